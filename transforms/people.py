"""People: names introduced by a title (العقيد ...), by a role in apposition ("قائد قسد، مظلوم
عبدي،"), by a "Name (@handle)" tweet signature, names that start with a given name of the
lexicon ("وقال رامي عبد الرحمن", "مدير المرصد رامي عبد الرحمن"), kunyas with a nisba ("أبو محمد
الجولاني"), or known to the curated list (transforms/data/people.ar.yaml). Full names only (two to
five words; a single word only for a curated public name such as أوباما); a name right after
أحد/بعض ("أحد أمراء ...") is not a person; proclitics (و ف ب ل ك) are not part of a name. Spelling
variants of one person merge through a consonant skeleton; a later surname-only mention ("هيل")
resolves to the full name given earlier in the same article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
    word_positions,
)

MIN_WORDS = 2
MAX_WORDS = 5
MAX_LEXICON_WORDS = 4  # a name found by its given name alone: at most four words
_ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")
_SIGNATURE = re.compile(r"(?:^|[—\-–]\s*)(?P<name>[^\n—()@]{3,80}?)\s*\(@(?P<handle>\w{2,30})\)")
_VOWELS = str.maketrans("", "", "اويءئؤ")
_CLITIC_ARTICLE = ("وال", "بال", "لل")  # not فال/كال: foreign names start so (فالون، كالاهان)
_ARABIC_RUN = re.compile(r"[\u0621-\u064a]+")


@lru_cache(maxsize=65536)
def _surname_key(word: str) -> str:
    return word[0] + word[1:].translate(_VOWELS) if word else ""


@dataclass(frozen=True, slots=True)
class PeopleRules:
    titles: frozenset[str]
    title_fillers: frozenset[str]
    roles: tuple[tuple[str, ...], ...]
    stop: frozenset[str]
    particles: frozenset[str]
    suffixes: frozenset[str]
    org_words: tuple[str, ...]
    known: dict[str, str]  # skeleton -> canonical
    known_pattern: PhraseIndex | None
    role_firsts: frozenset[str]
    role_words: frozenset[str]  # words of roles: "المتحدث" ends a name
    known_firsts: frozenset[str]
    triggers: frozenset[str]  # titles, first words of roles, given names: where a candidate can start
    first_names: frozenset[str]  # given names that start a name on their own
    first_names_ambiguous: frozenset[str]  # given names that are common words: need a context
    reporting: frozenset[str]  # reporting verbs after which a name may stand (قال، أكد ...)
    not_before: frozenset[str]  # أحد، بعض: what follows is not a person
    kunya: frozenset[str]  # أبو، أم
    given_forms: frozenset[str]  # given names and kunyas with every proclitic: a quick filter


@lru_cache(maxsize=16384)
def skeleton(name: str) -> str:
    """Key that equates spelling variants: no initials, no generational suffix, no long vowels
    inside words (كاغينز / كيغينز -> كغنز)."""
    words = [w for w in re.split(r"[\s.]+", sf(name)) if w]
    words = [w for w in words if len(w) > 1 and w not in _SUFFIXES_SF]
    return " ".join(w[0] + w[1:].translate(_VOWELS) for w in words)


_SUFFIXES_SF = frozenset({"الثالث", "الثاني", "الاول", "جونيور", "الابن"})


@dataclass(frozen=True, slots=True)
class KnownPerson:
    canonical: str
    forms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PeopleFile:
    """transforms/data/people.ar.yaml"""

    titles: tuple[str, ...] = ()
    title_fillers: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    role_words: tuple[str, ...] = ()
    particles: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    org_words: tuple[str, ...] = ()
    known: tuple[KnownPerson, ...] = ()
    first_names: tuple[str, ...] = ()
    first_names_ambiguous: tuple[str, ...] = ()
    reporting_verbs: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()
    kunya: tuple[str, ...] = ()


def build_people_rules(data: PeopleFile) -> PeopleRules:
    def words(items: tuple[str, ...]) -> frozenset[str]:
        return frozenset(sf(x) for x in items)

    known: dict[str, str] = {}
    forms: list[str] = []
    for person in data.known:
        canonical = person.canonical
        for form in [canonical, *person.forms]:
            known[skeleton(form)] = canonical
            forms.append(sf(form))
    roles = tuple(sorted({tuple(sf(r).split()) for r in data.roles}, key=lambda r: -len(r)))
    titles = words(data.titles)
    first = words(data.first_names)
    ambiguous = words(data.first_names_ambiguous)
    return PeopleRules(
        titles=titles,
        title_fillers=words(data.title_fillers),
        roles=roles,
        stop=words(data.stop),
        particles=words(data.particles),
        suffixes=words(data.suffixes),
        org_words=tuple(sf(x) for x in data.org_words),
        known=known,
        known_pattern=phrase_index(forms) if forms else None,
        role_firsts=frozenset(r[0] for r in roles),
        known_firsts=first_words(forms),
        role_words=frozenset(w for r in roles for w in r if len(w) > 3 and w != "باسم") | words(data.role_words),
        triggers=titles | frozenset(r[0] for r in roles) | first | ambiguous | words(data.kunya),
        first_names=first,
        first_names_ambiguous=ambiguous,
        reporting=words(data.reporting_verbs),
        not_before=words(data.not_before),
        kunya=words(data.kunya),
        given_forms=_with_clitics(first | ambiguous | words(data.kunya)),
    )


def _with_clitics(names: frozenset[str]) -> frozenset[str]:
    prefixes = ["", *"وفبلك", *(a + b for a in "وف" for b in "بلك")]
    return frozenset(p + n for n in names for p in prefixes)


@lru_cache(maxsize=1)
def people_rules() -> PeopleRules:
    return build_people_rules(datafile.load_package("transforms", "data/people.ar.yaml", PeopleFile))


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    surface: str


def _is_name_word(tok: Token, rules: PeopleRules, blocked: set[str]) -> bool:
    w = tok.text
    if not _ARABIC_WORD.match(w) or len(w) < 2:
        return False
    if w.startswith(_CLITIC_ARTICLE):
        return False  # بالجهاز، والمجلس، للمعسكر: a preposition or conjunction, not a name
    return not (w in rules.titles or w in rules.role_words or any(b in rules.stop for b in bases(w)) or w in blocked)


def _plural_participle(word: str) -> bool:
    return word.startswith("ال") and word.endswith(("ين", "ون")) and len(word) >= 7


def _ali(tokens: list[Token], k: int, n: int, rules: PeopleRules, blocked: set[str]) -> bool:
    """A word the name-word test refuses that is still part of a name: علي (Ali and على "on" share
    a search form: the article's own spelling decides), or a title word that is a family name."""
    if n < 1:
        return False
    word = tokens[k].text
    if word == "علي":
        return True  # the article's own spelling decides later (extract_facts cuts a name at على)
    # a title word right after a given name is a family name ("سامر الشيخ")
    after_given = tokens[k - 1].text in rules.given_forms
    return word in rules.titles and after_given and k + 1 < len(tokens) and not _is_name_word(tokens[k + 1], rules, blocked)


def _read_name(  # the lexicon path says where the given name stands
    tokens: list[Token], i: int, rules: PeopleRules, blocked: set[str], first_skip: int = 0, *, given: bool = False
) -> tuple[int, int] | None:
    """A full name starting at token i (optional opening quote): (first, last) token indexes.
    `first_skip` letters of clitics stand before the first word (ورامي)."""
    if i < len(tokens) and tokens[i].text in "\"'":
        i += 1
    first = i
    last = None
    n = 0
    k = i
    while k < len(tokens) and n < MAX_WORDS:
        tok = tokens[k]
        if n == 0 and tok.text.startswith("ال"):
            return None  # a name does not start with the article (that is a title or a noun)
        if n == 0 and (first_skip or given):
            last, n, k = k, 1, k + 1  # the given name itself (its clitics aside, علي though a stop word)
            continue
        # a middle initial: ب. / B.
        if n >= 1 and len(tok.text) == 1 and tok.text.isalpha() and k + 1 < len(tokens) and tokens[k + 1].text == ".":
            k += 2
            continue
        if not _is_name_word(tok, rules, blocked) and not _ali(tokens, k, n, rules, blocked):
            break
        if n >= 1 and tok.text.startswith("و") and tok.text not in rules.particles:
            break  # "محمد بن سلمان ووزير": a conjunction ends the name
        if n >= 1 and tokens[k - 1].text.startswith("ال") and not tok.text.startswith("ال"):
            break  # after a family name with ال only another one may follow (الهاشمي القرشي)
        last = k
        n += 1
        k += 1
    if last is None:
        return None
    # a name does not end on a particle (أبو), nor on a plural participle ("الحلبي الخاضعين")
    while last >= first and (tokens[last].text in rules.particles or (last - first >= 2 and _plural_participle(tokens[last].text))):
        last -= 1
    words = [t.text for t in tokens[first : last + 1] if len(t.text) > 1]
    if len(words) < MIN_WORDS:
        return None
    return first, last


def _match_words(tokens: list[Token], i: int, phrase: tuple[str, ...]) -> int | None:
    if i + len(phrase) > len(tokens):
        return None
    if phrase[0] not in bases(tokens[i].text):
        return None
    for k in range(1, len(phrase)):
        if tokens[i + k].text != phrase[k]:
            return None
    return i + len(phrase) - 1


def _candidates(sentence: Span, rules: PeopleRules, blocked: set[str]) -> list[_Found]:
    tokens = tokenize(sentence.text, sentence.start)
    out: list[_Found] = []
    i = 0
    while i < len(tokens):
        base = bases(tokens[i].text)
        got: tuple[int, int] | None = None
        if not rules.titles.isdisjoint(base) and not (i > 0 and tokens[i - 1].text in rules.given_forms):
            k = i + 1  # (after a given name "الشيخ" is a family name: "حسان الشيخ")
            while k < len(tokens) and k - i <= 6 and (tokens[k].text in rules.title_fillers or tokens[k].text.startswith("ال")):
                if tokens[k].text in rules.titles:
                    break
                k += 1
            got = _read_name(tokens, k, rules, blocked)
        if got is None and not rules.role_firsts.isdisjoint(base):
            for role in rules.roles:
                e = _match_words(tokens, i, role)
                if e is None:
                    continue
                # the role's complement runs to a comma; the name follows it
                k = e + 1
                while k < len(tokens) and k - e <= 8 and tokens[k].text not in ("،", ",", ".", ":", "؟"):
                    k += 1
                if k < len(tokens) and tokens[k].text in ("،", ","):
                    k += 1
                    if k < len(tokens) and tokens[k].text in rules.titles:
                        k += 1
                    got = _read_name(tokens, k, rules, blocked)
                    if got is not None:
                        after = got[1] + 1
                        if after < len(tokens) and tokens[after].text in "\"'":
                            after += 1
                        if after < len(tokens) and tokens[after].text not in ("،", ",", ".", ")", "(", ":"):
                            got = None  # not a closed apposition: precision first
                break
        skip = 0
        if got is None:
            got, skip = _lexicon_name(tokens, i, rules, blocked)
        if got is not None and _after_one_of(tokens, got[0], rules):
            got = None  # "أحد أمراء التنظيم ...", "بعض القادة ...": not a person
        if got is not None:
            a, b = got
            start = tokens[a].start + skip
            surface = sentence.text[start - sentence.start : tokens[b].end - sentence.start]
            out.append(_Found(start, tokens[b].end, surface))
            i = b + 1
            continue
        i += 1
    return out


def _given_name(word: str, names: frozenset[str]) -> int | None:
    """Clitics before a given name (و، ف، ب، ل، ك, or two of them): how many letters, or None."""
    if word in names:
        return 0
    if word[0] not in _PROCLITICS:
        return None
    for n in (1, 2):
        if len(word) > n + 1 and word[n:] in names and all(c in _PROCLITICS for c in word[:n]):
            return n
    return None


_PROCLITICS = frozenset("وفبلك")


def _after_one_of(tokens: list[Token], a: int, rules: PeopleRules) -> bool:
    return any(tokens[k].text in rules.not_before for k in range(max(0, a - 2), a))


def _nisba(word: str) -> bool:
    return word.startswith("ال") and word.endswith("ي") and len(word) >= 5


def _lexicon_name(tokens: list[Token], i: int, rules: PeopleRules, blocked: set[str]) -> tuple[tuple[int, int] | None, int]:
    """A name at token i that starts with a given name of the lexicon or a kunya (أبو/أم):
    ((first, last), letters of clitics to skip) or (None, 0). A given name that is a common word,
    and a kunya, need a context: a reporting verb, title or role before, or a nisba at the end."""
    word = tokens[i].text
    if word not in rules.given_forms:
        return None, 0
    if i > 0 and tokens[i - 1].text in rules.particles:
        return None, 0  # "أبو حمزة": the name starts at the particle
    skip = _given_name(word, rules.first_names)
    context_needed = False
    if skip is None:
        skip = _given_name(word, rules.first_names_ambiguous | rules.kunya)
        context_needed = True
    if skip is None:
        return None, 0
    got = _read_name(tokens, i, rules, blocked, first_skip=skip, given=True)
    if got is None:
        return None, 0
    a, b = got
    if b - a + 1 > MAX_LEXICON_WORDS:
        b = a + MAX_LEXICON_WORDS - 1
    # a last word with a pronoun suffix after a full name is a noun ("حمدان انسحابه")
    while b - a >= 2 and tokens[b].text.endswith(("ه", "ها", "هم")) and not tokens[b].text.startswith("ال"):
        b -= 1
    if context_needed:
        prev = tokens[i - 1].text if i > 0 else ""
        prev_bases = set(bases(prev))
        kunya = _given_name(word, rules.kunya) is not None
        in_context = bool(prev_bases & (rules.reporting | rules.titles | rules.role_words)) or (kunya and prev in ("،", ","))
        if not in_context and not _nisba(tokens[b].text):
            return None, 0
    return (a, b), skip



def _clean(surface: str, rules: PeopleRules) -> str:
    words = [w for w in re.split(r"[\s\"']+", surface) if w]
    out = [w for w in words if len(w.rstrip(".")) != 1 and w not in rules.suffixes]
    return " ".join(out)


def extract_people(
    text: str,
    sentences: list[Span],
    orgs: list[Mention] | None = None,
    places: list[Mention] | None = None,
    rules: PeopleRules | None = None,
) -> list[Mention]:
    r = rules or people_rules()
    taken = [(m.start, m.end) for m in (orgs or [])]
    # words of actor names never start or extend a person's name
    blocked: set[str] = set()
    for org in orgs or []:
        blocked.update(org.surface.replace('"', " ").split())
    found: list[tuple[_Found, str | None]] = []  # (span, org canonical when a signature is an org)
    place_spans = [(m.start, m.end) for m in places or []]
    for s, hit in zip(sentences, trigger_flags(sentences, r.triggers), strict=True):
        if hit:  # a sentence without a title or a role has no candidate
            for f in _candidates(s, r, blocked):
                first = f.surface.split()[0] if f.surface.split() else ""
                if first in r.kunya and any(a < f.end and f.start < b for a, b in place_spans):
                    continue  # "أبو الظهور العسكري": a place named like a kunya
                found.append((f, None))
    known_found: set[int] = set()
    if r.known_pattern is not None:
        for m in prefiltered_matches(text, r.known_pattern, r.known_firsts):
            found.append((_Found(m.start("name"), m.end("name"), m.group("name")), None))
            known_found.add(m.start("name"))
    orgs_out: list[Mention] = []
    for m in _SIGNATURE.finditer(text) if "(@" in text else ():
        name = m.group("name").strip(" \"'")
        if not name or len(name.split()) > 8:
            continue
        low = name.lower()
        start = m.start("name") + m.group("name").find(name)
        f = _Found(start, start + len(name), name)
        if any(w in low for w in r.org_words):
            orgs_out.append(Mention("org", name, name, f.start, f.end, _sentence(sentences, f.start), None))
        elif len(name.split()) >= MIN_WORDS:
            found.append((f, None))
    # drop overlaps with organisations, then duplicates (same span: keep the longest)
    spans: dict[int, _Found] = {}
    for f, _ in found:
        if f.start not in known_found and any(a < f.end and f.start < b for a, b in taken):
            continue  # inside an organisation's name (a listed person stays: "نظام بشار الأسد")
        cur = spans.get(f.start)
        if cur is None or f.end > cur.end:
            spans[f.start] = f
    ordered = sorted(spans.values(), key=lambda f: f.start)
    merged: list[_Found] = []
    for f in ordered:
        if merged and f.start < merged[-1].end:
            if f.end - f.start > merged[-1].end - merged[-1].start:
                merged[-1] = f
            continue
        merged.append(f)
    # canonical names: curated list, else the first full form of that skeleton in the article
    seen: list[tuple[str, str, str]] = []  # (skeleton, clean form, canonical)
    mentions: list[Mention] = []
    for f in merged:
        clean = _clean(f.surface, r)
        key = skeleton(clean)
        earlier = next((c for k, form, c in seen if k == key and _close(form, clean)), None)
        if earlier is None and len(clean.split()) >= 2:  # "عبد الرحمن" after "رامي عبد الرحمن"
            earlier = next((c for _k, form, c in seen if form.endswith(" " + clean)), None)
        if clean.startswith("ل") and key not in r.known and skeleton("ا" + clean) in r.known:
            key = skeleton("ا" + clean)  # "للأسد": the name is "الأسد" after the preposition ل
        canonical = r.known.get(key) or earlier or _loose_known(key, r) or clean
        seen.append((key, clean, canonical))
        mentions.append(Mention("person", f.surface, canonical, f.start, f.end, _sentence(sentences, f.start)))
    mentions.extend(_surnames(text, sentences, mentions, r))
    return sorted(mentions + orgs_out, key=lambda m: m.start)


def _close(a: str, b: str) -> bool:
    """Same number of words, each within one letter in length: كاغينز ~ كيغينز, not عيسى ~ عيساوي."""
    wa, wb = a.split(), b.split()
    return len(wa) == len(wb) and all(abs(len(x) - len(y)) <= 1 for x, y in zip(wa, wb, strict=True))


def _loose_known(key: str, rules: PeopleRules) -> str | None:
    """A full name whose skeleton contains a known one's (middle names, initials dropped)."""
    words = key.split()
    if not words or words[0] in {skeleton(p) for p in rules.particles}:
        return None  # "أبو حمزة المهاجر" is not "أبو حسن المهاجر": a kunya's first word is not a name
    for known_key, canonical in rules.known.items():
        kw = known_key.split()
        if len(kw) >= 2 and kw[0] == words[0] and kw[-1] == words[-1]:
            return canonical
    return None


def _sentence(sentences: list[Span], pos: int) -> str | None:
    s = sentence_at(sentences, pos)
    return s.text if s else None


def _surnames(text: str, sentences: list[Span], people: list[Mention], rules: PeopleRules) -> list[Mention]:
    """Later surname-only mentions resolve to the full name given earlier in the article."""
    by_surname: dict[str, set[str]] = {}
    first_seen: dict[str, int] = {}
    for p in people:
        words = [w for w in p.canonical.split() if w not in rules.suffixes]
        surface_words = [w for w in _clean(p.surface, rules).split()]
        for w in {sf(words[-1]), sf(surface_words[-1]) if surface_words else ""}:
            if len(w) >= 3 and w not in rules.particles:
                key = _surname_key(w)
                by_surname.setdefault(key, set()).add(p.canonical)
                first_seen[key] = min(first_seen.get(key, p.end), p.end)
    out: list[Mention] = []
    if not by_surname:
        return out
    surnames = {sf(w) for p in people for w in p.surface.split()[-1:]} | {sf(w) for p in people for w in p.canonical.split()[-1:]}
    taken = [(p.start, p.end) for p in people]
    # only the distinct words of the article that carry a surname are looked for in the text
    positions = word_positions(text)
    firsts = {k[0] for k in by_surname}
    longest = max(len(k) for k in by_surname) + 6  # a key drops long vowels and clitics: words are longer
    wanted = {
        w
        for w in positions
        if len(w) <= longest
        and not firsts.isdisjoint(w[:4])  # the key's first letter stands in the first four (after clitics)
        and _ARABIC_RUN.fullmatch(w)
        and any(_surname_key(b) in by_surname for b in bases(w))
    }
    if not wanted:
        return out
    for w_start, word in sorted((i, w) for w in wanted for i in positions[w]):
        end = w_start + len(word)
        for b in bases(word):
            key = _surname_key(b)
            owners = by_surname.get(key)
            if not owners or len(owners) != 1 or w_start < first_seen[key]:
                continue
            if b not in surnames and len(b) < 6:
                continue  # a short word may share the skeleton of a surname (السد / الأسد): only as written
            start = end - len(b)
            if any(a <= start < e for a, e in taken):
                break
            out.append(Mention("person", b, next(iter(owners)), start, end, _sentence(sentences, start)))
            break
    return out
