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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from core import datafile
from transforms.records import Mention
from transforms.sentences import (
    PhraseIndex,
    Span,
    Token,
    bases,
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


def parse_gazetteer(tsv: str, rules: PlaceRulesFile) -> Gazetteer:
    lines = [ln for ln in tsv.splitlines() if ln and not ln.startswith("#")]
    by_name: dict[str, list[Place]] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"):
        place = Place(
            kind=row["kind"],
            name_en=row["name_en"],
            admin1=row["admin1"].strip() or None,
            admin2=row["admin2"].strip() or None,
            lat=_float(row["lat"]),
            lon=_float(row["lon"]),
            needs_context=row["context"] == "needs_context",
            name_ar=row["names_ar"].split("|")[0].strip() or None,
        )
        for name in row["names_ar"].split("|"):
            key = sf(name)
            if len(key) >= 3:
                by_name.setdefault(key, []).append(place)
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
    )


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    tsv = resources.files("transforms").joinpath("data/gazetteer.tsv").read_text(encoding="utf-8")
    return parse_gazetteer(tsv, datafile.load_package("transforms", "data/places.ar.yaml", PlaceRulesFile))


_PREV_WORD = re.compile(r"([\w]+)[\s\"']*$")


def _previous_word(text: str, pos: int) -> str | None:
    m = _PREV_WORD.search(text, max(0, pos - 40), pos)
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
    taken = [(m.start, m.end) for m in orgs or []]
    found: list[_Found] = []
    for m in prefiltered_matches(text, g.pattern, g.first_words):
        start, end = m.start("name"), m.end("name")
        if any(a < end and start < b for a, b in taken):
            continue  # inside an organisation's name
        key = _key(m.group("name"))
        places = g.by_name.get(key) or (g.by_name.get("ال" + key[1:]) if key.startswith("ل") else None)
        if not places:
            continue
        prev = _previous_word(text, m.start())
        prev_bases = set(bases(prev)) if prev else set()
        if prev_bases & g.org_heads:
            continue
        has_context = bool(prev_bases & g.context)
        wanted = next((g.kind_by_context[b] for b in bases(prev) if b in g.kind_by_context), None) if prev else None
        usable = tuple(p for p in places if has_context or not p.needs_context)
        if not usable:
            continue
        found.append((m.group("name"), start, end, usable, wanted, sentence_at(sentences, start)))
    # the governorates named without doubt: in each sentence and in the whole article
    sure: dict[int, set[str]] = {}
    counts: dict[str, int] = {}
    for _surface, _start, _end, usable, _wanted, s in found:
        gov = {p.admin1 for p in usable}
        if len(gov) == 1 and None not in gov:
            (admin1,) = gov
            if admin1 is not None:
                sure.setdefault(s.start if s else -1, set()).add(admin1)
                counts[admin1] = counts.get(admin1, 0) + 1
    main = max(counts, key=lambda k: counts[k]) if counts else None
    out: list[Mention] = []
    for n, (surface, start, end, usable, wanted, s) in enumerate(found):
        stated = _stated_governorate(text, found, n, g)
        if stated is not None and stated not in {p.admin1 for p in usable} and usable[0].kind not in ("governorate", "region", "country"):
            # "عين البيضا جنوب درعا": another place of that name, in the governorate the text states
            name = " ".join(surface.replace('"', " ").split())
            out.append(Mention("place", surface, name, start, end, s.text if s else None, stated))
            continue
        place = _choose(usable, wanted, sure.get(s.start if s else -1, set()), main)
        out.append(_mention(surface, place, start, end, s.text if s else None))
    out.extend(_unlisted(text, sentences, g, [*taken, *((m.start, m.end) for m in out)], out))
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
    tied = any(b in g.locators for w in between for b in bases(w))
    starts = any(b in g.locators for b in bases(surface2.split()[0])) and all(w in ("ب", "في") for w in between)
    if not (tied or starts):
        return None
    govs = {p.admin1 for p in usable2}
    return govs.pop() if len(govs) == 1 else None


def _choose(usable: tuple[Place, ...], wanted: str | None, in_sentence: set[str], main: str | None) -> Place:
    if len({p.admin1 for p in usable}) > 1:
        for govs in (in_sentence, {main} if main else set()):
            here = [p for p in usable if p.admin1 in govs]
            if here:
                return next((p for p in here if p.kind == wanted), here[0])
    return next((p for p in usable if p.kind == wanted), usable[0])


def _unlisted(text: str, sentences: list[Span], g: Gazetteer, taken: list[tuple[int, int]], listed: list[Mention]) -> list[Mention]:
    """Villages and towns that the gazetteer lacks, named by a settlement word, with their
    governorate stated next to them or the one governorate of their sentence."""
    out: list[Mention] = []
    for s, hit in zip(sentences, trigger_flags(sentences, frozenset(g.settlement)), strict=True):
        if not hit:
            continue
        tokens = tokenize(s.text, s.start)
        here = [m for m in listed if s.start <= m.start < s.end and m.admin1]
        for i, tok in enumerate(tokens):
            kind = next((g.settlement[b] for b in bases(tok.text) if b in g.settlement), None)
            if kind is None or i + 1 >= len(tokens):
                continue
            k = i + 1
            if tokens[k].text in "\"'":
                k += 1
            first = k
            named = tokens[k].text if k < len(tokens) else ""
            if named.startswith(("و", "ف")) and len(named) > 3 and not named.startswith("وادي"):
                continue  # "ويسكنون": a conjunction and a verb, not a name
            while k < len(tokens) and k - first < 3:
                w = tokens[k].text
                if not w.isalpha() or any(b in g.name_stop or b in g.locators or b in g.settlement for b in bases(w)):
                    break
                if k > first and w.startswith(("و", "ب", "ل")) and not w.startswith("ال") and len(w) > 3 and k - first >= 1:
                    break  # "بريف", "وقرية": a new phrase
                k += 1
            if k == first:
                continue
            a, b = tokens[first].start, tokens[k - 1].end
            if kind == "site":  # "مطار X", "دوار X", "تل X": the word is part of the name
                word = tok.text
                clitics = next((len(word) - len(c) for c in bases(word) if c in g.settlement and word.endswith(c)), 0)
                a = tok.start + clitics
            if any(x < b and a < y for x, y in taken):
                continue
            admin1 = _governorate_after(tokens, k, listed) or _only_governorate(here)
            if admin1 is None:
                continue
            surface = text[a:b]
            name = " ".join(surface.replace('"', " ").split())
            out.append(Mention("place", surface, name, a, b, s.text, admin1))  # canonical_ar: as written
            taken.append((a, b))
    return out


def _governorate_after(tokens: list[Token], k: int, listed: list[Mention]) -> str | None:
    """The governorate of a listed place within four words after token k ("بريف حماة")."""
    if k >= len(tokens):
        return None
    end = tokens[min(len(tokens) - 1, k + 4)].end
    for m in listed:
        if tokens[k].start <= m.start < end and m.admin1:
            return m.admin1
    return None


def _only_governorate(mentions: list[Mention]) -> str | None:
    govs = {m.admin1 for m in mentions}
    return govs.pop() if len(govs) == 1 else None
