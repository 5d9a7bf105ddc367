"""Organisations and armed actors: alias table (transforms/data/aliases.yaml) -> canonical actor.

Matches whole words on `body_search`, through Arabic proclitics (و ف ب ل ك, لل) and quote marks.
Short "anaphora" forms (التنظيم, التحالف) count only after the article named the actor in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core import datafile
from transforms.records import Mention
from transforms.sentences import Span, SpanSet, clitic_regex, first_words, prefiltered_matches, sentence_at, sf


@dataclass(frozen=True, slots=True)
class ActorTable:
    canonical: dict[str, str]  # search-form surface -> canonical
    anaphora: dict[str, str]
    kind: dict[str, str]  # canonical -> type (armed_group, media ...)
    full: re.Pattern[str]
    short: re.Pattern[str] | None
    full_firsts: frozenset[str]
    short_firsts: frozenset[str]


@dataclass(frozen=True, slots=True)
class ActorSpec:
    canonical: str
    aliases: tuple[str, ...]
    type: str = "org"  # armed_group, armed_force, media ...
    anaphora: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AliasesFile:
    """transforms/data/aliases.yaml"""

    actors: tuple[ActorSpec, ...]


def build_actor_table(data: AliasesFile) -> ActorTable:
    canonical: dict[str, str] = {}
    anaphora: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for actor in data.actors:
        name = actor.canonical
        kinds[name] = actor.type
        for alias in actor.aliases:
            canonical.setdefault(sf(alias), name)
        for alias in actor.anaphora:
            anaphora.setdefault(sf(alias), name)
    short = clitic_regex(anaphora) if anaphora else None
    return ActorTable(canonical, anaphora, kinds, clitic_regex(canonical), short, first_words(canonical), first_words(anaphora))


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
        out.append(Mention("org", surface, canonical, m.start("name"), m.end("name"), s.text if s else None))
    if t.short is not None and named:
        taken = SpanSet((x.start, x.end) for x in out)
        for m in prefiltered_matches(text, t.short, t.short_firsts):
            start, end = m.start("name"), m.end("name")
            canonical = _lookup(t.anaphora, m.group("name"))
            if canonical is None or canonical not in named or taken.overlaps(start, end):
                continue
            s = sentence_at(sentences, start)
            out.append(Mention("org", m.group("name"), canonical, start, end, s.text if s else None))
    return sorted(out, key=lambda x: x.start)
