"""Places: gazetteer lookup (transforms/data/gazetteer.tsv) with context rules.

A gazetteer name matches through clitics and quote marks on `body_search`. Names that are also
common words (context = needs_context in the gazetteer) count only right after a context word
(قرية، بلدة، مدينة، ريف ...). A name right after an organisation head word (مركز، مجلس، شبكة ...)
or inside an organisation mention is not a place.

A name that is several places (المنصورة in Ar-Raqqah and in Aleppo) takes the one in the
governorate of the sentence's other places, else of the article's main governorate, else the
kind a context word asks for, else the first by kind order.

A village or town the gazetteer lacks is still a place when a settlement word names it and its
governorate is stated next to it ("قرية الزيارة بريف حماة", "بلدة كفرعويد جنوب إدلب") or is the
one governorate of the sentence's other places; its canonical name is its Arabic name.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from core import datafile
from transforms.records import Mention
from transforms.sentences import (
    PhraseIndex,
    Span,
    SpanSet,
    Token,
    bases,
    clitic_forms,
    first_words,
    phrase_index,
    prefiltered_matches,
    sentence_at,
    sf,
    tokenize,
    trigger_flags,
)


@dataclass(frozen=True, slots=True)
class Place:
    kind: str
    name_en: str
    admin1: str | None
    admin2: str | None
    lat: float | None
    lon: float | None
    needs_context: bool
    name_ar: str | None = None  # the Arabic name (first of names_ar)
    local: bool = False  # a site that every city has (المربع الأمني): in the governorate of its sentence


@dataclass(frozen=True, slots=True)
class Gazetteer:
    by_name: dict[str, tuple[Place, ...]]
    pattern: PhraseIndex
    context: frozenset[str]
    org_heads: frozenset[str]
    settlement: dict[str, str]
    name_stop: frozenset[str]
    locators: frozenset[str]
    kind_by_context: dict[str, str]
    kind_order: tuple[str, ...]
    first_words: frozenset[str]  # first word of every name: only there is the full pattern tried
    list_heads: frozenset[str] = frozenset()
    not_names: frozenset[str] = frozenset()
    name_adjectives: frozenset[str] = frozenset()
    sites_of_places: frozenset[str] = frozenset()
    settlement_forms: frozenset[str] = frozenset()  # written forms of the settlement words: a quick test per token
    after_min_only: frozenset[str] = frozenset()  # "جهة": a settlement word only as written, after من
    ties: frozenset[str] = frozenset()  # "بريف", "شمال": tie a name after في to the listed place after them
    abroad: frozenset[str] = frozenset()  # other countries: a name that one follows is no Syrian place


def _float(x: str) -> float | None:
    try:
        return float(x)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class PlaceRulesFile:
    """transforms/data/places.ar.yaml"""

    context: tuple[str, ...] = ()
    settlement: dict[str, str] = field(default_factory=dict)  # word -> kind of an unlisted place
    name_stop: tuple[str, ...] = ()  # words that are not part of an unlisted place's name
    locators: tuple[str, ...] = ()  # words that tie a place to the next one (ريف، شمال ...)
    org_heads: tuple[str, ...] = ()
    kind_by_context: dict[str, str] = field(default_factory=dict)
    kind_order: tuple[str, ...] = ()
    list_heads: tuple[str, ...] = ()  # plural and dual settlement words: a list of names may follow
    not_names: tuple[str, ...] = ()  # common words that follow a settlement word and are no name
    name_adjectives: tuple[str, ...] = ()  # "الغربية": after a village's name, another village
    sites_of_places: tuple[str, ...] = ()  # "مخيم درعا", "مطار حماة": a site named after a place
    city_sites: tuple[str, ...] = ()  # "المربع الأمني", "الملعب البلدي": sites of the city named near them
    after_min_only: tuple[str, ...] = ()  # settlement words that count only as written, right after من
    ties: tuple[str, ...] = ()  # locators that tie a name after في to the listed place after them
    abroad: tuple[str, ...] = ()  # other countries, after a name: not a Syrian place


def _settlement_duals(rules: PlaceRulesFile) -> frozenset[str]:
    """The definite duals of the settlement words (القريتين، البلدتين، المدينتين): a place of that
    name (Al-Qaryatayn) is read as one only after a context word ("مدينة القريتين"); alone it is
    "the two villages" named before."""
    out: set[str] = set()
    for word, kind in rules.settlement.items():
        w = sf(word)
        if kind in ("village", "town", "city") and w.endswith("ه") and len(w) > 2:
            out.update({"ال" + w[:-1] + "تين", "ال" + w[:-1] + "تان"})
    return frozenset(out)


def parse_gazetteer(tsv: str, rules: PlaceRulesFile) -> Gazetteer:
    lines = [ln for ln in tsv.splitlines() if ln and not ln.startswith("#")]
    by_name: dict[str, list[Place]] = {}
    duals = _settlement_duals(rules)
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"):
        names = [sf(n) for n in row["names_ar"].split("|")]
        place = Place(
            kind=row["kind"],
            name_en=row["name_en"],
            admin1=row["admin1"].strip() or None,
            admin2=row["admin2"].strip() or None,
            lat=_float(row["lat"]),
            lon=_float(row["lon"]),
            needs_context=row["context"] == "needs_context" or any(n in duals for n in names),
            name_ar=row["names_ar"].split("|")[0].strip() or None,
        )
        for name in row["names_ar"].split("|"):
            key = sf(name)
            if len(key) >= 3:
                by_name.setdefault(key, []).append(place)
    for name in rules.city_sites:
        key = sf(name)
        if key not in by_name:  # the gazetteer's own place of that name wins
            by_name[key] = [Place("site", key, None, None, None, None, needs_context=False, name_ar=name, local=True)]
    kind_order = rules.kind_order
    rank = {k: i for i, k in enumerate(kind_order)}
    frozen = {k: tuple(sorted(v, key=lambda p: rank.get(p.kind, len(rank)))) for k, v in by_name.items()}
    return Gazetteer(
        by_name=frozen,
        pattern=phrase_index(frozen),
        context=frozenset(sf(x) for x in rules.context),
        org_heads=frozenset(sf(x) for x in rules.org_heads),
        settlement={sf(k): v for k, v in rules.settlement.items()},
        name_stop=frozenset(sf(x) for x in rules.name_stop),
        locators=frozenset(sf(x) for x in rules.locators),
        kind_by_context={sf(k): v for k, v in rules.kind_by_context.items()},
        kind_order=kind_order,
        first_words=first_words(frozen),
        list_heads=frozenset(sf(x) for x in rules.list_heads),
        name_adjectives=frozenset(sf(x) for x in rules.name_adjectives),
        sites_of_places=frozenset(sf(x) for x in rules.sites_of_places),
        settlement_forms=clitic_forms(frozenset(sf(k) for k in rules.settlement)),
        after_min_only=frozenset(sf(x) for x in rules.after_min_only),
        ties=frozenset(sf(x) for x in rules.ties),
        abroad=frozenset(sf(x) for x in rules.abroad),
        not_names=frozenset(sf(x) for x in rules.not_names),
    )


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    tsv = resources.files("transforms").joinpath("data/gazetteer.tsv").read_text(encoding="utf-8")
    return parse_gazetteer(tsv, datafile.load_package("transforms", "data/places.ar.yaml", PlaceRulesFile))


_PREV_WORD = re.compile(r"([\w]+)[\s\"']*$")


def _previous_word(text: str, pos: int) -> str | None:
    m = _PREV_WORD.search(text, max(0, pos - 40), pos)
    return m.group(1) if m else None


_NEXT_WORD = re.compile(r"[\s\"']*(\w+)")


def _next_word(text: str, pos: int) -> str | None:
    m = _NEXT_WORD.match(text, pos, pos + 40)
    return m.group(1) if m else None


def _own_clitic_context(text: str, match_start: int, name_start: int) -> str:
    """Clitics glued to the name (بريف -> nothing; ب is a preposition) are not context words."""
    return text[match_start:name_start]


def _key(surface: str) -> str:
    key = " ".join(w for w in re.split(r"[\s\"']+", surface) if w)
    return key


def _mention(surface: str, place: Place, start: int, end: int, sentence: str | None) -> Mention:
    return Mention("place", surface, place.name_en, start, end, sentence, place.admin1, place.admin2, place.lat, place.lon, place.name_ar)


def extract_places(text: str, sentences: list[Span], orgs: list[Mention] | None = None, gaz: Gazetteer | None = None) -> list[Mention]:
    g = gaz or gazetteer()
    org_spans = [(m.start, m.end) for m in orgs or []]
    taken = SpanSet(org_spans)
    found: list[_Found] = []
    for m in prefiltered_matches(text, g.pattern, g.first_words):
        start, end = m.start("name"), m.end("name")
        if taken.overlaps(start, end):
            continue  # inside an organisation's name
        key = _key(m.group("name"))
        places = g.by_name.get(key) or (g.by_name.get("ال" + key[1:]) if key.startswith("ل") else None)
        if not places:
            continue
        prev = _previous_word(text, m.start())
        prev_bases = set(bases(prev)) if prev else set()
        if prev_bases & g.org_heads:
            continue
        has_context = bool(prev_bases & g.context) or key.split(" ", 1)[0] in g.context  # "حي الشعار": its own word
        wanted = next((g.kind_by_context[b] for b in bases(prev) if b in g.kind_by_context), None) if prev else None
        usable = tuple(p for p in places if has_context or not p.needs_context)
        if not usable and prev and text[m.start()] == "و":
            usable = _joined_to(places, prev, g)  # "نبل والزهراء": next to a listed town of its governorate
        if not usable:
            continue
        if all(p.kind in ("village", "town") for p in usable) and _next_word(text, end) in g.name_adjectives:
            continue  # "الغارية الغربية": another village than the listed "الغارية"
        found.append((m.group("name"), start, end, usable, wanted, sentence_at(sentences, start)))
    # the governorates named without doubt: in each sentence and in the whole article
    sure: dict[int, set[str]] = {}
    per_sentence: dict[int, dict[str, int]] = {}  # how many places of each governorate a sentence names
    counts: dict[str, int] = {}
    for _surface, _start, _end, usable, _wanted, s in found:
        gov = {p.admin1 for p in usable}
        if len(gov) == 1 and None not in gov:
            (admin1,) = gov
            if admin1 is not None:
                sure.setdefault(s.start if s else -1, set()).add(admin1)
                here = per_sentence.setdefault(s.start if s else -1, {})
                here[admin1] = here.get(admin1, 0) + 1
                counts[admin1] = counts.get(admin1, 0) + 1
    main = max(counts, key=lambda k: counts[k]) if counts else None
    out: list[Mention] = []
    index = {sp.start: i for i, sp in enumerate(sentences)} if any(u[0].local for *_x, u, _w, _s in found) else {}
    for n, (surface, start, end, usable, wanted, s) in enumerate(found):
        if usable[0].local:
            local = _local_governorate(text, sentences, index, s, sure)
            if local is not None:
                out.append(Mention("place", surface, usable[0].name_en, start, end, s.text if s else None, local))
            continue
        stated = _stated_governorate(text, found, n, g)
        if stated is None and _after_village_word(text, start, g):
            stated = _other_governorate(usable, per_sentence.get(s.start if s else -1, {}))  # "مدينة اعزاز ... في قرية المالكية"
        if stated is not None and stated not in {p.admin1 for p in usable} and usable[0].kind not in ("governorate", "region", "country"):
            # "عين البيضا جنوب درعا": another place of that name, in the governorate the text states
            name = " ".join(surface.replace('"', " ").split())
            out.append(Mention("place", surface, name, start, end, s.text if s else None, stated))
            continue
        place = _choose(usable, wanted, sure.get(s.start if s else -1, set()), main)
        out.append(_mention(surface, place, start, end, s.text if s else None))
        if place.kind == "region" and " " in surface:
            country = _country_in(text, surface, end, g, s)  # "شمال سوريا" names the country too
            if country is not None:
                out.append(country)
    taken_all = SpanSet([*org_spans, *((m.start, m.end) for m in out)])
    out.extend(_unlisted(text, sentences, g, taken_all, out, main))
    out.extend(_tied(text, sentences, g, taken_all, [m for m in out if m.admin1]))
    return sorted(out, key=lambda m: m.start)


_Found = tuple[str, int, int, tuple[Place, ...], str | None, Span | None]  # surface, start, end, candidates, wanted kind, sentence


def _stated_governorate(text: str, found: list[_Found], n: int, g: Gazetteer) -> str | None:
    """The governorate of the place that a locator ties place n to ("X بريف حماة", "X جنوب درعا")."""
    if n + 1 >= len(found):
        return None
    _s, _a, end, _u, _w, _sp = found[n]
    surface2, start2, _e2, usable2, _w2, _sp2 = found[n + 1]
    between = [w.strip("\"'") for w in text[end:start2].split()]
    if len(between) > 3 or any(not w.isalpha() or w.startswith("و") for w in between):
        return None  # a list ("الحسكة وريف دير الزور") or another clause
    tied = any(b in g.locators for w in between for b in bases(w)) or between in (["بمدينه"], ["في", "مدينه"])  # "حي الخالدية بمدينة حلب"
    starts = any(b in g.locators for b in bases(surface2.split()[0])) and all(w in ("ب", "في") for w in between)
    if not (tied or starts):
        return None
    govs = {p.admin1 for p in usable2}
    return govs.pop() if len(govs) == 1 else None


def _local_governorate(text: str, sentences: list[Span], index: dict[int, int], s: Span | None, sure: dict[int, set[str]]) -> str | None:
    """The one governorate of the places of sentence `s`, else of the sentence before it in the
    same paragraph."""
    if s is None:
        return None
    here = sure.get(s.start, set())
    if here:
        return next(iter(here)) if len(here) == 1 else None
    n = index.get(s.start, 0)
    if n == 0 or "\n" in text[sentences[n - 1].end : s.start]:
        return None
    before = sure.get(sentences[n - 1].start, set())
    return next(iter(before)) if len(before) == 1 else None


def _joined_to(places: tuple[Place, ...], prev: str, g: Gazetteer) -> tuple[Place, ...]:
    """The candidates of a name that needs a context word, joined by و to the listed town or
    village before it (`prev`, a name that needs none) in the same governorate."""
    before = [p for p in g.by_name.get(prev, ()) if not p.needs_context and p.kind in ("village", "town")]
    govs = {p.admin1 for p in before}
    return tuple(p for p in places if p.admin1 in govs and p.kind in ("village", "town"))


def _after_village_word(text: str, start: int, g: Gazetteer) -> bool:
    """Whether the name at `start` follows a singular village or town word (قرية، بلدة)."""
    prev = _previous_word(text, start)
    return prev is not None and any(g.settlement.get(b) in ("village", "town") and b not in g.list_heads for b in bases(prev))


def _other_governorate(usable: tuple[Place, ...], in_sentence: dict[str, int]) -> str | None:
    """The one governorate of the other places of a place's sentence (`in_sentence`: places per
    governorate, this one included), when the place's candidates all lie elsewhere."""
    own = {p.admin1 for p in usable}
    others = {gov: n - (1 if own == {gov} else 0) for gov, n in in_sentence.items()}
    named = [gov for gov, n in others.items() if n > 0]
    if len(named) == 1 and named[0] not in own and others[named[0]] >= 2:  # named twice: "اعزاز في ريف حلب"
        return named[0]
    return None


def _choose(usable: tuple[Place, ...], wanted: str | None, in_sentence: set[str], main: str | None) -> Place:
    if len({p.admin1 for p in usable}) > 1:
        for govs in (in_sentence, {main} if main else set()):
            here = [p for p in usable if p.admin1 in govs]
            if here:
                return next((p for p in here if p.kind == wanted), here[0])
    return next((p for p in usable if p.kind == wanted), usable[0])


def _country_in(text: str, surface: str, end: int, g: Gazetteer, s: Span | None) -> Mention | None:
    """The country named by the last word of a region's name ("شمال سوريا", "الشمال الغربي لسوريا")."""
    last = surface.rsplit(maxsplit=1)[-1]
    for b in (last, last[1:]) if last.startswith("ل") else (last,):  # not the adjective (البادية السورية)
        country = next((p for p in g.by_name.get(b, ()) if p.kind == "country"), None)
        if country is not None:
            return _mention(text[end - len(b) : end], country, end - len(b), end, s.text if s else None)
    return None


def _unlisted(  # noqa: PLR0917  # the article's text, its places and its main governorate
    text: str, sentences: list[Span], g: Gazetteer, taken: SpanSet, listed: list[Mention], main: str | None = None
) -> list[Mention]:
    """Places named by a settlement word: villages and towns that the gazetteer lacks, with their
    governorate stated next to them, or the one governorate of their sentence (else of the
    sentence before, in the same paragraph); and every name of a list after a plural or dual
    settlement word ("بلدات كنصفرة والبارة وبليون", "بلدتا خراب الشحم وغرز")."""
    out: list[Mention] = []
    by_start = sorted((m.start, i) for i, m in enumerate(listed))  # a sentence's mentions by bisection, not a scan
    starts = [start for start, _ in by_start]

    def within(sentence: Span) -> list[Mention]:
        inside = by_start[bisect_left(starts, sentence.start) : bisect_left(starts, sentence.end)]
        return [listed[i] for _, i in inside if listed[i].admin1]  # in the order of the text

    for n_s, (s, hit) in enumerate(zip(sentences, trigger_flags(sentences, frozenset(g.settlement)), strict=True)):
        if not hit:
            continue
        tokens = tokenize(s.text, s.start)
        here = within(s)
        here_starts = [m.start for m in here]
        only_here = _only_governorate(here)
        for i, tok in enumerate(tokens):
            if tok.text not in g.settlement_forms:
                continue
            tok_bases = bases(tok.text)
            if len(tok.text) == 3 and tok.text[0] in _ONE_CLITIC and tok.text[1:] in g.settlement:
                tok_bases = (*tok_bases, tok.text[1:])  # "بحي", "وتل": a clitic on a two-letter word
            b_set = next((b for b in tok_bases if b in g.settlement), None)
            if b_set is None or i + 1 >= len(tokens) or tok.text.endswith("ال" + b_set):
                continue  # "المدن الساحلية", "البلدتين المحاصرتين": a definite noun takes adjectives, not a name
            if b_set in g.after_min_only and (tok.text != b_set or i == 0 or tokens[i - 1].text != "من"):
                continue  # "من جهة العرقوب"; not "لجهة عدم السماح", "من وجهة النظر"
            kind = g.settlement[b_set]
            k = i + 1
            if tokens[k].text in "\"'":
                k += 1
            named = tokens[k].text if k < len(tokens) else ""
            if named.startswith(("و", "ف")) and len(named) > 3 and not named.startswith("وادي"):
                continue  # "ويسكنون": a conjunction and a verb, not a name
            items = [(k, _read_item(tokens, k, 0, g))]
            if items[0][1] == k:
                continue
            is_list = not g.list_heads.isdisjoint(tok_bases)
            if is_list:
                items.extend(_list_items(tokens, items[0][1], g))
            after = items[-1][1]
            if any(b in g.abroad for t in tokens[after : after + 4] for b in bases(t.text)):
                continue  # "مدن الحبانية وحديثة والموصل في العراق", "منطقة عرسال في شرق لبنان"
            stated = _governorate_after(tokens, after, here, here_starts)
            of_list = _list_governorate(tokens, items, g, main) if is_list else None
            admin1 = stated or of_list or only_here or _previous_governorate(text, sentences, n_s, within)
            if kind == "area":
                admin1 = stated  # "منطقة رميلان بمحافظة الحسكة"; not "منطقة الخليج", "منطقة عرسال في شرق لبنان"
            for n_item, (first, k_end) in enumerate(items):
                skip = 1 if n_item > 0 else 0  # the conjunction و before every further name of a list
                a, b = tokens[first].start + skip, tokens[k_end - 1].end
                if kind == "site" and n_item == 0 and is_list is False:  # "مطار X", "تل X": the word is part of the name
                    word = tok.text
                    clitics = next((len(word) - len(c) for c in tok_bases if c in g.settlement and word.endswith(c)), 0)
                    a = tok.start + clitics
                site_admin1 = None
                if taken.overlaps(a, b):
                    of_place = b_set in g.sites_of_places and n_item == 0 and not is_list
                    inner = _inner_place(here, here_starts, a, b) if of_place else None
                    if inner is None or taken.overlaps(a, inner.start) or taken.overlaps(inner.end, b):
                        continue
                    site_admin1 = inner.admin1  # "مخيم درعا": a site named after a listed place, in its governorate
                    b = inner.end
                surface = text[a:b]
                key = _key(surface)
                known = g.by_name.get(key) or _final_variant(key, g)
                wide = known is not None and any(p.kind in ("governorate", "region", "country") for p in known)
                if known and (admin1 is None or admin1 in {p.admin1 for p in known} or wide):
                    place = _choose(known, kind, {admin1} if admin1 else set(), None)
                    out.append(_mention(surface, place, a, b, s.text))
                    taken.add(a, b)
                    continue
                if site_admin1 is not None:
                    out.append(Mention("place", surface, " ".join(surface.replace('"', " ").split()), a, b, s.text, site_admin1))
                    taken.add(a, b)
                    continue
                if admin1 is None:
                    continue
                if (stated is None or (is_list and n_item == 0)) and k_end - first == 1 and not _name_like(tokens[first].text[skip:]):
                    continue  # "بلدة شيعية", "حي شعبي", "قاعدة عسكرية": a description, not a name
                name = " ".join(surface.replace('"', " ").split())
                out.append(Mention("place", surface, name, a, b, s.text, admin1))  # canonical_ar: as written
                taken.add(a, b)
    return out


_ONE_CLITIC = frozenset("وفبلك")
_PRONOUN_WORD = re.compile(r"^(?!ال)\w{3,}(?:ها|هم|هما)$")
_DUAL_OR_PLURAL_ADJ = re.compile(r"^ال\w+(?:تين|تان|يين|يون)$")
_NISBA_OR_PARTICIPLE = re.compile(r"^(?:\w{2,}يه|م\w{2,4}ه|\w+(?:ها|هم|هما))$")


def _name_like(word: str) -> bool:
    """An indefinite word after a settlement word that can be a name: not a nisba adjective
    (شيعية), a participle (محاصرة، مرتفعة) or a word with a pronoun (بمحيطها); a definite
    word (the article ال) always can."""
    return word.startswith("ال") or not _NISBA_OR_PARTICIPLE.match(word)


def _item_word_ok(w: str, g: Gazetteer) -> bool:
    return w.isalpha() and not any(b in g.name_stop or b in g.locators or b in g.settlement or b in g.not_names for b in bases(w))


def _read_item(tokens: list[Token], first: int, skip: int, g: Gazetteer) -> int:
    """The end (exclusive token index) of a place name of one to three words starting at token
    `first` (its first `skip` letters are a conjunction)."""
    if first >= len(tokens):
        return first  # the sentence ends at the settlement word (or its opening quote)
    k = first
    head = tokens[first].text[skip:]
    if _PRONOUN_WORD.match(head) or (len(head) >= 5 and head.endswith("وا")):
        return first  # "منطقة يقطنها الدروز", "ونفذوا فيهما": a verb or a noun with a pronoun begins no name
    while k < len(tokens) and k - first < 3:
        w = tokens[k].text[skip:] if k == first else tokens[k].text
        if k == first and g.settlement.get(w) == "site" and k + 1 < len(tokens) and _item_word_ok(tokens[k + 1].text, g):
            k += 2  # "قرى المشيك وتل واسط", "قرية تل الورد": a hill or a spring names the village
            continue
        if not _item_word_ok(w, g):
            break
        if k > first and w.startswith(("و", "ب", "ل")) and not w.startswith("ال") and (len(w) > 3 or w[1:] in g.settlement or w == "وام"):
            break  # "بريف", "وقرية", "وحي", "وأم شرشوح": a new phrase
        if k > first and len(w) >= 5 and w.endswith("وا"):
            break  # "ونفذوا": a plural verb ends the name
        if k > first and _DUAL_OR_PLURAL_ADJ.match(w):
            break  # "غرز القريبتان", "كفريا والفوعة الشيعيتين": an adjective of the list
        k += 1
    return k


def _list_items(tokens: list[Token], k: int, g: Gazetteer) -> list[tuple[int, int]]:
    """Further names of a list after a plural or dual settlement word, each after the conjunction
    و (a comma may stand before it): "والبارة وبليون", "، وصرين"."""
    out: list[tuple[int, int]] = []
    while k < len(tokens):
        j = k + 1 if tokens[k].text in ("،", ",") else k
        if j >= len(tokens):
            break
        w = tokens[j].text
        if not (w.startswith("و") and len(w) > 2) or w.startswith("وادي"):
            break  # no conjunction: the list has ended
        end = _read_item(tokens, j, 1, g)
        if end == j:
            break
        out.append((j, end))
        k = end
    return out


def _tied(text: str, sentences: list[Span], g: Gazetteer, taken: SpanSet, listed: list[Mention]) -> list[Mention]:
    """"في شحشبو بريف إدلب": an unlisted name after في, tied by a locator to the listed place right
    after it, is a place of that place's governorate."""
    out: list[Mention] = []
    listed = sorted(listed, key=lambda m: m.start)
    starts = [m.start for m in listed]
    for s, hit in zip(sentences, trigger_flags(sentences, g.locators), strict=True):
        if not hit:
            continue
        tokens = tokenize(s.text, s.start)
        for i in range(len(tokens) - 2):
            if tokens[i].text != "في":
                continue
            end = _read_item(tokens, i + 1, 0, g)
            if end == i + 1 or end >= len(tokens) or g.ties.isdisjoint(bases(tokens[end].text)):
                continue  # a compass word or ريف ties it: "في شحشبو بريف إدلب"
            if end - i == 2 and not _name_like(tokens[i + 1].text):
                continue
            a, b = tokens[i + 1].start, tokens[end - 1].end
            if taken.overlaps(a, b) or any(w.text in g.not_names or w.text in g.context for w in tokens[i + 1 : end]):
                continue
            nxt = listed[bisect_left(starts, tokens[end].start) : bisect_left(starts, tokens[min(len(tokens) - 1, end + 2)].end)]
            if not nxt or nxt[0].admin1 is None:
                continue
            surface = text[a:b]
            out.append(Mention("place", surface, " ".join(surface.replace('"', " ").split()), a, b, s.text, nxt[0].admin1))
            taken.add(a, b)
    return out


def _final_variant(key: str, g: Gazetteer) -> tuple[Place, ...] | None:
    """A listed place whose name ends in ا where the text writes ة, or the other way round
    ("بلدة أريحة" is أريحا); only after a settlement word, and not for a place that needs context."""
    if len(key) < 4 or key[-1] not in "اه":
        return None
    other = key[:-1] + ("ه" if key[-1] == "ا" else "ا")
    found = tuple(p for p in g.by_name.get(other, ()) if not p.needs_context)
    return found or None


def _inner_place(here: list[Mention], starts: list[int], a: int, b: int) -> Mention | None:
    """The one listed place (with a governorate) inside [a, b) that does not start at a."""
    inside = [m for m in here[bisect_left(starts, a) : bisect_left(starts, b)] if m.end <= b]
    return inside[0] if len(inside) == 1 and inside[0].start > a else None


def _list_governorate(tokens: list[Token], items: list[tuple[int, int]], g: Gazetteer, main: str | None) -> str | None:
    """The one governorate of the names of a list that the gazetteer knows in one governorate only
    ("قرى المشيك والزيارة وتل واسط": الزيارة is in Hama, so are its neighbours); when they
    disagree (a village's name is often that of another elsewhere), the article's main governorate
    if it is one of theirs."""
    govs: set[str] = set()
    for n_item, (first, end) in enumerate(items):
        words = [t.text for t in tokens[first:end]]
        if n_item > 0:
            words[0] = words[0][1:]
        known = g.by_name.get(" ".join(words), ())
        admin1s = {p.admin1 for p in known}
        if len(admin1s) == 1 and None not in admin1s:
            govs.update(a for a in admin1s if a is not None)
    if len(govs) == 1:
        return govs.pop()
    return main if main in govs else None


def _previous_governorate(text: str, sentences: list[Span], n: int, within: Callable[[Span], list[Mention]]) -> str | None:
    """The one governorate of the sentence before sentence n, in the same paragraph (`within`: a
    sentence's listed places that have a governorate)."""
    if n == 0 or "\n" in text[sentences[n - 1].end : sentences[n].start]:
        return None
    return _only_governorate(within(sentences[n - 1]))


def _governorate_after(tokens: list[Token], k: int, listed: list[Mention], starts: list[int]) -> str | None:
    """The governorate of a listed place within four words after token k ("بريف حماة"); `listed`:
    the sentence's listed places (only they can be in its tokens) in the order of the text, with
    their `starts`."""
    if k >= len(tokens):
        return None
    end = tokens[min(len(tokens) - 1, k + 4)].end
    for m in listed[bisect_left(starts, tokens[k].start) : bisect_left(starts, end)]:
        if m.admin1:
            return m.admin1
    return None


def _only_governorate(mentions: list[Mention]) -> str | None:
    govs = {m.admin1 for m in mentions}
    return govs.pop() if len(govs) == 1 else None
