"""Facts in an article: people, organisations and places (mentions) and event figures.

`extract_facts(body, body_search)` is called by the pipeline for every article. The extractors
match on `body_search` (the search form: no diacritics, unified letters); what is returned is cut
from `body`, as the article writes it: `start`/`end` are offsets into `body`, `surface` is
`body[start:end]` and `sentence` the sentence of `body` that holds the fact. The search forms are
kept beside them (`surface_search`, `sentence_search`). Extraction is rules plus curated data
(transforms/data/), precision first. The extractors are
total: any text gives lists (possibly empty), never an exception (tests/test_facts_sentences.py
checks odd and random input).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from transforms.actors import extract_actors
from transforms.figures import extract_figures
from transforms.normalize import search_form
from transforms.offsets import OffsetMap
from transforms.people import extract_people
from transforms.places import extract_places
from transforms.records import Figure, Mention
from transforms.sentences import Span, SpanSet, clear_token_cache, sentence_at, split_sentences


@dataclass(slots=True)
class Facts:
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def extract_facts(body: str, body_search: str, title: str | None = None) -> Facts:
    """Mentions and figures of one article; offsets are into `body`. With a `title`, the title's
    facts come first, with `part = 'title'` and offsets into the title (a name or a toll that only
    the headline gives is a fact of the article too); title and body are read as one text, so a
    later short form in the body resolves to a full name of the title."""
    if not title or not title.strip() or "\n" in title:
        return _extract(body, body_search, 0)
    # one pass over "title \n body" (a line break ends a sentence), offsets split by part
    cut = len(title) + 1
    both = _extract(title + "\n" + body, search_form(title) + "\n" + body_search, cut)
    in_body = {(f.kind, f.count_low) for f in both.figures if f.part == "body"}
    kept = [f for f in both.figures if f.part == "body" or (f.kind, f.count_low) not in in_body]
    if len(kept) < len(both.figures):  # a headline's toll that the body gives is the body's
        new_no = {f.figure_no: n for n, f in enumerate(kept)}
        kept = [replace(f, figure_no=n, of_figure=None if f.of_figure is None else new_no.get(f.of_figure)) for n, f in enumerate(kept)]
    return Facts(mentions=both.mentions, figures=kept)


def _extract(body: str, body_search: str, cut: int) -> Facts:
    """Facts of `body` (the title, a line break and the body when `cut` > 0)."""
    text = body_search
    sentences = split_sentences(text)
    orgs = extract_actors(text, sentences)
    places = extract_places(text, sentences, orgs)
    people = _not_inside_places(extract_people(text, sentences, orgs, places), places)
    omap = OffsetMap(body, body_search)
    # the article's own spelling judges every person once: None (refuted), or the end to keep
    judged = {(p.start, p.end): _person_in_body(body, omap.start(p.start), omap.end(p.end)) for p in people if p.kind == "person"}
    # a person's name is not also a place (أبو كمال ...): people win over places they overlap,
    # unless the article's spelling refutes the person ("على الحسكة" is not a name), or refutes
    # the full name that a later short form stands for ("على أريحا" in the title, "أريحا" in the body)
    refuted = {p.canonical for p in people if p.kind == "person" and " " in p.surface and judged[(p.start, p.end)] != omap.end(p.end)}
    person_spans = SpanSet(
        (p.start, p.end) for p in people
        if p.kind == "person" and judged[(p.start, p.end)] == omap.end(p.end) and not (p.canonical in refuted and " " not in p.surface)
    )
    places = [pl for pl in places if not person_spans.overlaps(pl.start, pl.end)]
    # a name never runs across a line break (a paragraph's end, or the title's)
    mentions = sorted((m for m in orgs + places + people if "\n" not in text[m.start : m.end]), key=lambda m: (m.start, m.kind))
    figures = extract_figures(sentences)
    clear_token_cache()  # the cache serves the extractors of one article, not the next one
    return to_body(body, body_search, sentences, mentions, figures, omap=omap, judged=judged, cut=cut)


def _not_inside_places(people: list[Mention], places: list[Mention]) -> list[Mention]:
    """A one-word short form of a person inside a longer place's name is the place's word, not the
    person ("ريف حلب الشمالي" after "أبو العبد الشمالي")."""
    long_places = sorted((pl.start, pl.end) for pl in places if " " in pl.surface.strip())
    if not long_places:
        return people
    starts = [a for a, _b in long_places]

    def inside(p: Mention) -> bool:
        k = bisect_right(starts, p.start) - 1  # the last long place that starts at or before the person
        return k >= 0 and long_places[k][1] >= p.end and long_places[k] != (p.start, p.end)

    return [p for p in people if not (p.kind == "person" and " " not in p.surface.strip() and inside(p))]


_NOT_IN_NAME = re.compile(r"(?:^|\s)(?:على|إلى|الى|حتى)(?:\s|$)")
_PRONOUN_END = re.compile(r"[\u0621-\u064a]{2,}(?:ه|ها|هم|هما|هن)$")
_NAMES_IN_HA = frozenset({"الله", "طه", "نصرالله", "عبدالله"})


def _person_in_body(body: str, a: int, b: int) -> int | None:
    """What the article's own spelling says about a person found in the search form: the name
    ends before a preposition that the search form confused with a name (على / علي); a word that
    ends in a pronoun (اسمه، إيقافها) is no name. The end to keep, or None to drop the mention."""
    surface = body[a:b]
    m = _NOT_IN_NAME.search(surface)
    if m is not None:
        if m.start() == 0 or len(surface[: m.start()].split()) < 2:
            return None
        surface = surface[: m.start()]
    words = surface.split()
    if any(_PRONOUN_END.search(w) and w not in _NAMES_IN_HA for w in words):
        return None
    return a + len(surface)


_QUOTES = str.maketrans(dict.fromkeys('"«»“”\'', " "))


def _canonical_ar(m: Mention, surface: str) -> str:
    """The Arabic name when the extractor gave none: a person's canonical (already Arabic), or an
    organisation found by its head noun as the article writes it."""
    if m.kind == "person":
        return m.canonical
    return " ".join(surface.translate(_QUOTES).split())


def to_body(  # the caller's offset map and judgements are reused
    body: str,
    body_search: str,
    sentences: list[Span],
    mentions: list[Mention],
    figures: list[Figure],
    *,
    omap: OffsetMap | None = None,
    judged: dict[tuple[int, int], int | None] | None = None,
    cut: int = 0,
) -> Facts:
    """Surfaces, sentences and offsets of the article's own text (`body`); search forms beside.
    With `cut` > 0 the text is "title \n body": what starts before `cut` is the title's
    (`part = 'title'`), the rest has its offsets moved to the body."""
    omap = omap or OffsetMap(body, body_search)
    judged = judged if judged is not None else {}
    cache: dict[int, str] = {}

    def body_sentence(pos: int) -> str | None:
        s = sentence_at(sentences, pos)
        if s is None:
            return None
        if s.start not in cache:
            cache[s.start] = body[omap.start(s.start) : omap.end(s.end)]
        return cache[s.start]

    def person_end(m: Mention, a: int, b: int) -> int | None:
        key = (m.start, m.end)
        return judged[key] if key in judged else _person_in_body(body, a, b)

    out_m = []
    # people that the article's spelling refutes (على ...): their later short forms go with them
    refuted = {
        m.canonical
        for m in mentions
        if m.kind == "person" and " " in m.surface and person_end(m, omap.start(m.start), omap.end(m.end)) != omap.end(m.end)
    }
    for m in mentions:
        a, b = omap.start(m.start), omap.end(m.end)
        surface_search, canonical = m.surface, m.canonical
        if m.kind == "person":
            keep = person_end(m, a, b)
            if keep is None:
                continue
            if keep < b:
                b = keep
                surface_search = body_search[m.start : m.start + len(search_form(body[a:b]))]
                if search_form(m.canonical).startswith(surface_search + " "):
                    canonical = surface_search
            elif m.canonical in refuted and " " not in m.surface:
                continue  # a surname of a name the article's spelling refuted
        part, shift = ("title", 0) if a < cut else ("body", cut)
        out_m.append(
            Mention(
                m.kind,
                body[a:b],
                canonical,
                a - shift,
                b - shift,
                body_sentence(m.start),
                m.admin1,
                m.admin2,
                m.lat,
                m.lon,
                m.canonical_ar or _canonical_ar(m, body[a:b]),
                surface_search,
                m.sentence,
                part,
            )
        )
    out_f = []
    for n, f in enumerate(figures):
        fa = omap.start(f.start) if f.start is not None else None
        fb = omap.end(f.end) if f.end is not None else None
        part, shift = ("title", 0) if (fa or 0) < cut else ("body", cut)
        sentence = body_sentence(f.start) if f.start is not None else None
        out_f.append(
            Figure(
                f.kind,
                f.count_low,
                f.count_high,
                f.qualifier,
                sentence or f.sentence,
                None if fa is None else fa - shift,
                None if fb is None else fb - shift,
                f.sentence,
                n,
                f.of_figure,
                f.scope,
                part,
            )
        )
    return Facts(mentions=out_m, figures=out_f)
