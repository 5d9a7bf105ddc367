"""Facts in an article: people, organisations and places (mentions) and event figures.

`extract_facts(body, body_search)` is called by the pipeline for every article. All offsets
(`start`, `end`) are character offsets into `body_search` (the search form: no diacritics, so its
length can differ from `body`); `sentence` is the sentence of `body_search` that holds the fact.
Extraction is rules plus curated data (transforms/data/), precision first. The extractors are
total: any text gives lists (possibly empty), never an exception (tests/test_facts_sentences.py
checks odd and random input).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transforms.actors import extract_actors
from transforms.figures import extract_figures
from transforms.people import extract_people
from transforms.places import extract_places
from transforms.records import Figure, Mention
from transforms.sentences import SpanSet, clear_token_cache, split_sentences


@dataclass(slots=True)
class Facts:
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def extract_facts(body: str, body_search: str) -> Facts:
    """Mentions and figures of one article; offsets are into `body_search`."""
    text = body_search
    sentences = split_sentences(text)
    orgs = extract_actors(text, sentences)
    places = extract_places(text, sentences, orgs)
    people = extract_people(text, sentences, orgs, places)
    # a person's name is not also a place (أبو كمال ...): people win over places they overlap
    person_spans = SpanSet((p.start, p.end) for p in people if p.kind == "person")
    places = [pl for pl in places if not person_spans.overlaps(pl.start, pl.end)]
    mentions = sorted(orgs + places + people, key=lambda m: (m.start, m.kind))
    figures = extract_figures(sentences)
    clear_token_cache()  # the cache serves the extractors of one article, not the next one
    return Facts(mentions=mentions, figures=figures)
