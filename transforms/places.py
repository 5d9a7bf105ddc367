"""Places: gazetteer lookup (transforms/data/gazetteer.tsv) with context rules.

A gazetteer name matches through clitics and quote marks on `body_search`. Names that are also
common words (context = needs_context in the gazetteer) count only right after a context word
(قرية، بلدة، مدينة، ريف ...). A name right after an organisation head word (مركز، مجلس، شبكة ...)
or inside an organisation mention is not a place.
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
from transforms.sentences import Span, SpanSet, bases, clitic_regex, first_words, prefiltered_matches, sentence_at, sf


@dataclass(frozen=True, slots=True)
class Place:
    kind: str
    name_en: str
    admin1: str | None
    admin2: str | None
    lat: float | None
    lon: float | None
    needs_context: bool


@dataclass(frozen=True, slots=True)
class Gazetteer:
    by_name: dict[str, tuple[Place, ...]]
    pattern: re.Pattern[str]
    context: frozenset[str]
    org_heads: frozenset[str]
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
        pattern=clitic_regex(frozen),
        context=frozenset(sf(x) for x in rules.context),
        org_heads=frozenset(sf(x) for x in rules.org_heads),
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


def extract_places(text: str, sentences: list[Span], orgs: list[Mention] | None = None, gaz: Gazetteer | None = None) -> list[Mention]:
    g = gaz or gazetteer()
    taken = SpanSet((m.start, m.end) for m in orgs or [])
    out: list[Mention] = []
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
        has_context = bool(prev_bases & g.context)
        wanted = next((g.kind_by_context[b] for b in bases(prev) if b in g.kind_by_context), None) if prev else None
        usable = [p for p in places if has_context or not p.needs_context]
        if not usable:
            continue
        place = next((p for p in usable if p.kind == wanted), usable[0])
        s = sentence_at(sentences, start)
        sentence = s.text if s else None
        out.append(Mention("place", m.group("name"), place.name_en, start, end, sentence, place.admin1, place.admin2, place.lat, place.lon))
    return out
