"""Organisations and armed actors: alias table (transforms/data/aliases.yaml) -> canonical actor.

Matches whole words on `body_search`, through Arabic proclitics (و ف ب ل ك, لل) and quote marks.
Short "anaphora" forms (التنظيم, التحالف) count only after the article named the actor in full.

Organisations not in the table are found by their head noun and name (`org_patterns` in
transforms/data/places.ar.yaml is not used here; the heads are in aliases.yaml `heads`): a head
(وزارة، هيئة، مجلس، جبهة، لواء، كتائب، جيش، حزب، منظمة ...) followed by a name of one to four
words that ends on a definite word ("وزارة الخارجية الأمريكية", "لواء شهداء اليرموك", "جيش
المجاهدين"). Their canonical name is the Arabic name as matched (search form).
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
class ActorTable:
    canonical: dict[str, str]  # search-form surface -> canonical
    anaphora: dict[str, str]
    kind: dict[str, str]  # canonical -> type (armed_group, media ...)
    arabic: dict[str, str]  # canonical -> Arabic name
    heads: frozenset[str]  # head nouns of organisation names (وزارة، جيش ...)
    heads_definite: frozenset[str]  # heads with the article that need an adjective (الجيش التركي)
    name_stop: frozenset[str]  # words that end an organisation's name
    adjectives: frozenset[str]  # definite adjectives that may follow a name (الحر، العليا)
    quoted: dict[str, str]  # form -> canonical, counted only inside quote marks
    full: PhraseIndex
    short: PhraseIndex | None
    full_firsts: frozenset[str]
    short_firsts: frozenset[str]


_ARABIC = re.compile("[\u0621-\u064a]")


@dataclass(frozen=True, slots=True)
class ActorSpec:
    canonical: str
    aliases: tuple[str, ...]
    type: str = "org"  # armed_group, armed_force, media ...
    anaphora: tuple[str, ...] = ()
    canonical_ar: str | None = None  # the Arabic name (default: the first Arabic alias)
    quoted: tuple[str, ...] = ()  # forms that name the actor only inside quote marks («الشرق الأوسط»)


@dataclass(frozen=True, slots=True)
class AliasesFile:
    """transforms/data/aliases.yaml"""

    actors: tuple[ActorSpec, ...]
    heads: tuple[str, ...] = ()
    heads_definite: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()
    name_stop: tuple[str, ...] = ()


def build_actor_table(data: AliasesFile) -> ActorTable:
    canonical: dict[str, str] = {}
    anaphora: dict[str, str] = {}
    kinds: dict[str, str] = {}
    arabic: dict[str, str] = {}
    quoted: dict[str, str] = {}
    for actor in data.actors:
        name = actor.canonical
        kinds[name] = actor.type
        first_ar = next((a for a in actor.aliases if _ARABIC.search(a)), None)
        if actor.canonical_ar or first_ar:
            arabic[name] = str(actor.canonical_ar or first_ar)
        for alias in actor.aliases:
            canonical.setdefault(sf(alias), name)
        for alias in actor.anaphora:
            anaphora.setdefault(sf(alias), name)
        for alias in actor.quoted:
            quoted.setdefault(sf(alias), name)
    short = phrase_index(anaphora) if anaphora else None
    return ActorTable(
        canonical,
        anaphora,
        kinds,
        arabic,
        frozenset(sf(x) for x in data.heads),
        frozenset(sf(x) for x in data.heads_definite),
        frozenset(sf(x) for x in data.name_stop),
        frozenset(sf(x) for x in data.adjectives),
        quoted,
        phrase_index(canonical),
        short,
        first_words(canonical),
        first_words(anaphora),
    )


@lru_cache(maxsize=1)
def actor_table() -> ActorTable:
    return build_actor_table(datafile.load_package("transforms", "data/aliases.yaml", AliasesFile))


def _key(surface: str) -> str:
    """Surface as matched (quotes/spaces between words, لل form) back to the table's key."""
    words = re.split(r"[\s\"']+", surface.strip())
    return " ".join(w for w in words if w)


def _lookup(table: dict[str, str], surface: str) -> str | None:
    key = _key(surface)
    if key in table:
        return table[key]
    if key.startswith("ل") and "ال" + key[1:] in table:  # للتحالف -> التحالف
        return table["ال" + key[1:]]
    return None


def extract_actors(text: str, sentences: list[Span], table: ActorTable | None = None) -> list[Mention]:
    t = table or actor_table()
    out: list[Mention] = []
    named: set[str] = set()
    for m in prefiltered_matches(text, t.full, t.full_firsts):
        surface = m.group("name")
        canonical = _lookup(t.canonical, surface)
        if canonical is None:
            continue
        named.add(canonical)
        s = sentence_at(sentences, m.start("name"))
        sentence = s.text if s else None
        out.append(Mention("org", surface, canonical, m.start("name"), m.end("name"), sentence, canonical_ar=t.arabic.get(canonical)))
    if t.short is not None and named:
        taken = [(x.start, x.end) for x in out]
        for m in prefiltered_matches(text, t.short, t.short_firsts):
            start, end = m.start("name"), m.end("name")
            canonical = _lookup(t.anaphora, m.group("name"))
            if canonical is None or canonical not in named or any(a < end and start < b for a, b in taken):
                continue
            s = sentence_at(sentences, start)
            out.append(Mention("org", m.group("name"), canonical, start, end, s.text if s else None, canonical_ar=t.arabic.get(canonical)))
    if t.quoted:
        taken = [(x.start, x.end) for x in out]
        for form, canonical in t.quoted.items():
            for pos in _quoted_at(text, form):
                if not any(a < pos + len(form) and pos < b for a, b in taken):
                    s = sentence_at(sentences, pos)
                    sentence = s.text if s else None
                    out.append(Mention("org", form, canonical, pos, pos + len(form), sentence, canonical_ar=t.arabic.get(canonical)))
    if t.heads:
        out.extend(_by_head(sentences, t, [(x.start, x.end) for x in out]))
    return sorted(out, key=lambda x: x.start)


def _quoted_at(text: str, form: str) -> list[int]:
    """Starts of `form` standing between quote marks ("«الشرق الأوسط»" in search form)."""
    out = []
    i = text.find(form)
    while i >= 0:
        j = i + len(form)
        if i > 0 and text[i - 1] in "\"'" and j < len(text) and text[j] in "\"'":
            out.append(i)
        i = text.find(form, j)
    return out


def _is_word(text: str) -> bool:
    return bool(_ARABIC.search(text)) and text.isalpha()


def _by_head(sentences: list[Span], t: ActorTable, taken: list[tuple[int, int]]) -> list[Mention]:
    """Organisations named by a head noun and a name ending on a definite word."""
    out: list[Mention] = []
    for s, hit in zip(sentences, trigger_flags(sentences, t.heads | t.heads_definite), strict=True):
        if not hit:
            continue
        tokens = tokenize(s.text, s.start)
        i = 0
        while i < len(tokens):
            bs = bases(tokens[i].text)
            definite = not t.heads_definite.isdisjoint(bs)
            if t.heads.isdisjoint(bs) and not definite:
                i += 1
                continue
            last = None
            k = i + 1
            if k < len(tokens) and tokens[k].text in "\"'" and not definite:
                close = next((m for m in range(k + 1, min(len(tokens), k + 6)) if tokens[m].text in "\"'"), None)
                if close is not None and close > k + 1 and all(_is_word(tokens[m].text) for m in range(k + 1, close)):
                    start = tokens[i].start + _clitics(tokens[i].text, bs, t)
                    end = tokens[close].end
                    if not any(a < end and start < b for a, b in taken):  # "لواء «حيدر الكرار»": a quoted name
                        surface = s.text[start - s.start : end - s.start]
                        out.append(Mention("org", surface, " ".join(surface.replace('"', " ").split()), start, end, s.text))
                        taken.append((start, end))
                    i = close + 1
                    continue
            while k < len(tokens) and k - i <= 4:
                w = tokens[k].text
                if not _is_word(w) or w in t.name_stop or any(b in t.name_stop for b in bases(w)[1:2]):
                    break
                if last is not None and not (w.startswith("لل") or _adjective(w, t)):
                    break  # after the name's definite word only adjectives follow ("الخارجية الأمريكية")
                if w.startswith("ال") or (w.startswith("لل") and len(w) > 3):
                    last = k
                elif definite or w.startswith(("وال", "بال", "فال")):
                    break
                k += 1
            if last is None or (definite and last == i + 1 and len(tokens[last].text) < 5):
                i += 1
                continue
            start = tokens[i].start + _clitics(tokens[i].text, bs, t)
            end = tokens[last].end
            if not any(a < end and start < b for a, b in taken):
                surface = s.text[start - s.start : end - s.start]
                canonical = " ".join(surface.split())
                out.append(Mention("org", surface, canonical, start, end, s.text))  # canonical_ar: as written
                taken.append((start, end))
            i = last + 1
    return out


def _adjective(word: str, t: ActorTable) -> bool:
    """A definite adjective: a nisba (الأمريكية، السوري، الوطنية) or a listed one (الحر، العليا)."""
    w = word[2:] if word.startswith("ال") else ""
    return bool(w) and (w.endswith(("ي", "يه", "يون", "يين")) or word in t.adjectives)


def _clitics(word: str, bs: tuple[str, ...], t: ActorTable) -> int:
    """Letters of proclitics in front of the head (وبوزارة -> 2)."""
    for b in bs:
        if b in t.heads or b in t.heads_definite:
            return len(word) - len(b) if word.endswith(b) else 0
    return 0
