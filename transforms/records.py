"""Typed records that flow from acquisition through the transforms into the warehouse.

Every input document ends as exactly one `DocumentResult`: either an `Article` (with its
mentions, figures, embeds and removed lines) or a `Reject`. The warehouse decides later whether
an article is new, a new version of a stored one, or a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from transforms.events import Report

MediaType = Literal["text", "html"]
# how much of published_at the source gave: minute (a time with its zone), day, month, year, none
Precision = Literal["minute", "day", "month", "year", "none"]


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One input document as acquired: raw bytes plus provenance. No parsing done yet."""

    input_ref: str  # URL for fetched pages; file path (or path#line / path#warc-offset) otherwise
    content: bytes
    media_type: MediaType
    source_id: str | None = None  # explicit source, when the input says (jsonl, sources file, --source)
    url: str | None = None
    title: str | None = None  # supplied by a structured input (jsonl), wins over extraction
    published_at: str | None = None  # supplied by a structured input (jsonl), ISO 8601 text
    fetched_at: datetime | None = None  # crawl time; anchors relative dates (اليوم، أمس)
    charset: str | None = None  # from an HTTP Content-Type header or a container's metadata
    outlet: str | None = None  # supplied outlet name (sources file / jsonl)


@dataclass(frozen=True, slots=True)
class Embed:
    kind: str  # tweet | link | short_link | caption | image
    url: str | None = None
    author: str | None = None
    text: str | None = None
    posted_at: datetime | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Removed:
    line_no: int  # 0-based index of the line in the text the cleaner saw
    line: str
    rule: str


@dataclass(frozen=True, slots=True)
class Mention:
    kind: str  # person | org | place
    surface: str  # as the article writes it: body[start:end] (extractors work on the search form first)
    canonical: str
    start: int  # character offsets into body (into body_search until extract_facts maps them)
    end: int
    sentence: str | None = None  # the sentence of body that holds the mention
    admin1: str | None = None
    admin2: str | None = None
    lat: float | None = None
    lon: float | None = None
    canonical_ar: str | None = None  # Arabic canonical name (places and actors)
    surface_search: str | None = None  # the surface in search form: body_search[start_search:end_search]
    sentence_search: str | None = None  # the sentence in search form
    part: str = "body"  # body | title: where the mention stands (offsets are into that text)


@dataclass(frozen=True, slots=True)
class Figure:
    kind: str  # killed | injured | arrested | detained | kidnapped | held | operations | attacks
    count_low: int | None
    count_high: int | None
    qualifier: str | None  # exact | about | more_than | at_least | range | vague
    sentence: str  # the sentence of body that holds the figure
    start: int | None = None  # offsets into body (into body_search until extract_facts maps them)
    end: int | None = None
    sentence_search: str | None = None  # the sentence in search form
    figure_no: int = 0  # ordinal of the figure in its article (0, 1, ...)
    of_figure: int | None = None  # a breakdown ("بينهم 7 أطفال"): figure_no of its total
    scope: str = "event"  # event | cumulative (since 2011, yearly tolls) | stock (people held)
    part: str = "body"  # body | title: where the figure stands (offsets are into that text)


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    identity: str  # what makes two inputs "the same article": canonical url, else a content key
    source_id: str
    outlet: str | None
    url: str | None
    input_ref: str
    title: str | None
    subtitle: str | None
    byline: str | None
    section: str | None
    published_at: datetime | None  # UTC: the instant (precision minute), else midnight UTC of the source's day/month/year
    published_precision: Precision
    published_offset_minutes: int | None  # the source's UTC offset (minute precision only): local time = published_at + offset
    date_note: str | None  # why published_at is empty or how it was resolved
    language: str
    body: str
    body_search: str
    word_count: int
    content_hash: str
    extractor: str  # trafilatura | text | jsonl-text ...


@dataclass(frozen=True, slots=True)
class Reject:
    input_ref: str
    reason: str  # short machine-readable code: empty, binary, undecodable, no_text, bad_json, ...
    detail: str  # one sentence a person can act on


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an article's resolved fields came from (`news-etl extract` prints it)."""

    source_id: str  # input | option (--source-id) | domain | site_name | short_link | byline | lead_in | appeal | default
    outlet: str | None = None  # input | page_metadata | byline | lead_in | appeal | short_link | url | registry
    title: str | None = None  # input | page_metadata | text
    published_at: str | None = None  # input | page_metadata | dateline | text | text_search


@dataclass(slots=True)
class DocumentResult:
    input_ref: str
    article: Article | None = None
    reject: Reject | None = None
    provenance: Provenance | None = None
    mentions: list[Mention] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    # computed in the worker from the article (collect/extract.py), so the committing process
    # need not: the near-duplicate signature of body_search (transforms/neardup.py), and the
    # event reports of the article's facts with the version of the rules that read them
    signature: tuple[int, ...] | None = None
    reports: list[Report] | None = None
    reports_rules: str | None = None

    @classmethod
    def rejected(cls, input_ref: str, reason: str, detail: str) -> DocumentResult:
        return cls(input_ref=input_ref, reject=Reject(input_ref, reason, detail))
