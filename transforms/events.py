"""Events: incidents resolved across articles and outlets, each counted once.

Two pure steps, text and facts in, records out (the writer calls them; warehouse/events.py has the
SQL):

1. `reports_of(article)`: an article's *reports*: one per event figure (killed, injured, kidnapped,
   arrested, detained; not a breakdown of another figure, not a stock or a total since a date), and
   one per sentence that reports an incident with no figure (an attack, a named person killed or
   kidnapped) when that sentence names a Syrian place below the governorate or a person. Each
   report is read on its own: the event date from its sentence relative to the publication day
   (`مساء الإثنين`, `أمس`, `يوم السبت`, `29 يوليو`), the most specific place (district,
   governorate, coordinates) in its sentence or else the article's main governorate, the
   perpetrator and target from the actor aliases, the count.
2. `resolve(reports, previous)`: reports grouped into events. Hard rules: one governorate, one
   family of kinds (violence, abduction, detention), event dates at most two days apart, places
   below the governorate no more than `PLACE_KM` apart, never two different counts of one kind
   from one sentence. Within those, a report joins the event whose reports it matches best (same
   place, same day, same or growing toll, same sentence text, same named person, same actors)
   when the score reaches `Weights.join`; a report that matches two events merges them. Reports are
   taken in publication order, so the same reports always give the same events; an event keeps
   the id it had (`previous`) when most of its reports stay together, a merged event's id is
   recorded in `Resolution.merges`.

The rules (triggers, date words, actor cues, places abroad) are data: transforms/data/events.ar.yaml.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal

from core import datafile
from transforms.actors import actor_table
from transforms.dates import tables as date_tables
from transforms.fields import local_day
from transforms.offsets import OffsetMap
from transforms.people import people_rules
from transforms.places import gazetteer
from transforms.records import Article, Figure, Mention
from transforms.sentences import Span, bases, sf, split_sentences

MAX_DAYS_APART = 2  # never one event across reports whose dates are further apart
PLACE_KM = 12.0  # two places below the governorate further apart than this are two incidents
PUBLISHED_SPAN = 1  # a figure whose sentence gives no date happened on the publication day or up to this many days before
PLAN_DAYS = 60  # a day and month without a year up to this far after publication is a plan, further: last year's
MENTION_SPAN = 6  # the same for an incident named without a figure: often a restatement of an earlier one
SAID_REACH = 6  # a reporting verb this many words before a statement of when makes it the saying's date
OWN_DATE_REACH = 8  # an incident told as background takes a date written this many words after it as its own
CONTEXT_TEXT = 0.25  # a neighbouring sentence sharing this much (text_overlap) tells the same story
VICTIM_REACH = 6  # a person named this many words before or after the incident word is its victim (or culprit)

# how specific a place is: the event keeps its most specific one (a district is named after its
# seat, and the news that names it means the town: منبج، أعزاز، أريحا)
PLACE_LEVELS = {"country": 0, "governorate": 1, "region": 1, "district": 3, "city": 3, "town": 3, "village": 4,
                "neighbourhood": 5, "site": 5}
SPECIFIC = 3  # towns and below: two such places can tell incidents apart


# -- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KindRule:
    family: str
    rank: int
    people: bool


@dataclass(frozen=True, slots=True)
class EventRules:
    kinds: dict[str, KindRule]
    figure_kinds: dict[str, str]  # figure kind -> event kind (attacks -> attack)
    triggers: dict[str, frozenset[tuple[str, ...]]]
    relative: dict[tuple[str, ...], int]
    vague: dict[tuple[str, ...], tuple[int, int]]
    weekday_prefixes: frozenset[str]
    reporting: frozenset[str]
    pluperfect: frozenset[str]
    said_after: frozenset[str]
    month_parts: dict[str, tuple[int, int]]
    actor_types: frozenset[str]
    perpetrator_before: frozenset[tuple[str, ...]]
    perpetrator_verbs: frozenset[str]
    target_before: frozenset[tuple[str, ...]]
    abroad: frozenset[tuple[str, ...]]
    not_incident: tuple[tuple[str, ...], ...]
    similarity_stop: frozenset[str]
    examples: tuple[DateExample, ...]
    max_people: int
    max_age_days: int
    background: frozenset[tuple[str, ...]] = frozenset()
    background_days: int = 7
    not_today_before: frozenset[str] = frozenset()
    not_today_after: frozenset[str] = frozenset()
    not_done: frozenset[tuple[str, ...]] = frozenset()
    victim_days: int = 30
    abroad_where: frozenset[str] = frozenset()
    continues: frozenset[str] = frozenset()
    actor_examples: tuple[ActorExample, ...] = ()
    borders: tuple[tuple[frozenset[tuple[str, ...]], frozenset[str]], ...] = ()
    toll_joins: frozenset[tuple[str, ...]] = frozenset()
    toll_apart: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KindSpec:
    family: str
    rank: int
    people: bool


@dataclass(frozen=True, slots=True)
class DatesSpec:
    relative: dict[str, int]
    vague: dict[str, tuple[int, int]]  # [days back at most, days back at least]
    pluperfect: list[str]
    said_after: list[str]
    month_parts: dict[str, tuple[int, int]]
    weekday_prefixes: list[str]
    reporting: list[str]
    background: list[str] = field(default_factory=list)
    background_days: int = 7
    not_today_before: list[str] = field(default_factory=list)
    not_today_after: list[str] = field(default_factory=list)
    victim_days: int = 30


@dataclass(frozen=True, slots=True)
class ActorsSpec:
    types: list[str]
    perpetrator_before: list[str]
    perpetrator_verbs: list[str]
    target_before: list[str]


@dataclass(frozen=True, slots=True)
class DateExample:
    sentence: str
    published: str
    date: str  # the event date (for a span: its latest day)
    precision: Literal["day", "week", "month", "year", "published", "none"]
    at: str = ""  # the word the report is anchored on (its count or trigger); default the start
    background: bool = False  # the incident is told as the cause or background of the sentence's news
    victim: bool = False  # the sentence names the person killed, kidnapped or arrested


@dataclass(frozen=True, slots=True)
class BorderSpec:
    words: list[str]  # "الحدودية مع تركيا", "الحدود التركية"
    governorates: list[str]  # the governorates along that border (admin1 of the gazetteer)


@dataclass(frozen=True, slots=True)
class ActorExample:
    sentence: str  # an article of this one sentence, published on `published`
    perpetrator: str | None  # canonical names of transforms/data/aliases.yaml, of the sentence's first report
    target: str | None
    published: str = "2015-08-01"


@dataclass(frozen=True, slots=True)
class EventsFile:
    """transforms/data/events.ar.yaml"""

    kinds: dict[str, KindSpec]
    figure_kinds: dict[str, str]
    triggers: dict[str, list[str]]
    dates: DatesSpec
    actors: ActorsSpec
    abroad: list[str]
    not_incident: list[str]
    similarity_stop: list[str]
    examples: list[DateExample]
    max_people: int = 1000
    max_age_days: int = 730
    not_done: list[str] = field(default_factory=list)
    abroad_where: list[str] = field(default_factory=list)
    continues: list[str] = field(default_factory=list)
    actor_examples: list[ActorExample] = field(default_factory=list)
    borders: list[BorderSpec] = field(default_factory=list)
    toll_joins: list[str] = field(default_factory=list)
    toll_apart: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name, target in self.figure_kinds.items():
            if target not in self.kinds:
                raise datafile.Invalid(f"figure_kinds.{name}", f"{target!r} is not one of kinds {sorted(self.kinds)}")
        for kind in self.triggers:
            if kind not in self.kinds:
                raise datafile.Invalid(f"triggers.{kind}", f"not one of kinds {sorted(self.kinds)}")


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(sf(phrase).split())


def build_rules(data: EventsFile) -> EventRules:
    stop = [sf(x) for x in data.similarity_stop]
    return EventRules(
        kinds={k: KindRule(v.family, v.rank, v.people) for k, v in data.kinds.items()},
        figure_kinds=dict(data.figure_kinds),
        triggers={k: frozenset(_words(x) for x in v) for k, v in data.triggers.items()},
        relative={_words(k): v for k, v in data.dates.relative.items()},
        vague={_words(k): v for k, v in data.dates.vague.items()},
        weekday_prefixes=frozenset(sf(x) for x in data.dates.weekday_prefixes),
        reporting=frozenset(sf(x) for x in data.dates.reporting),
        pluperfect=frozenset(sf(x) for x in data.dates.pluperfect),
        said_after=frozenset(sf(x) for x in data.dates.said_after),
        month_parts={sf(k): v for k, v in data.dates.month_parts.items()},
        actor_types=frozenset(data.actors.types),
        perpetrator_before=frozenset(_words(x) for x in data.actors.perpetrator_before),
        perpetrator_verbs=frozenset(sf(x) for x in data.actors.perpetrator_verbs),
        target_before=frozenset(_words(x) for x in data.actors.target_before),
        abroad=frozenset(_words(x) for x in data.abroad),
        not_incident=tuple(_words(x) for x in data.not_incident),
        similarity_stop=frozenset(stop) | frozenset(bases(x)[-1] for x in stop),
        examples=tuple(data.examples),
        max_people=data.max_people,
        max_age_days=data.max_age_days,
        background=frozenset(_words(x) for x in data.dates.background),
        background_days=data.dates.background_days,
        not_today_before=frozenset(sf(x) for x in data.dates.not_today_before),
        not_today_after=frozenset(sf(x) for x in data.dates.not_today_after),
        not_done=frozenset(_words(x) for x in data.not_done),
        victim_days=data.dates.victim_days,
        abroad_where=frozenset(sf(x) for x in data.abroad_where),
        continues=frozenset(sf(x) for x in data.continues),
        actor_examples=tuple(data.actor_examples),
        borders=tuple((frozenset(_words(w) for w in b.words), frozenset(b.governorates)) for b in data.borders),
        toll_joins=frozenset(_words(x) for x in data.toll_joins),
        toll_apart=frozenset(sf(x) for x in data.toll_apart),
    )


READER_VERSION = "3"  # bump when reports_of reads articles differently


def _rules_text() -> str:
    return resources.files("transforms").joinpath("data/events.ar.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def event_rules() -> EventRules:
    return build_rules(datafile.load_package("transforms", "data/events.ar.yaml", EventsFile))


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Changes when the way reports are read changes (this module's READER_VERSION or the
    rules file): stored reports read by other rules are read again by the next run."""
    return f"{READER_VERSION}-{hashlib.sha256(_rules_text().encode()).hexdigest()[:12]}"


@lru_cache(maxsize=1)
def _place_levels() -> tuple[dict[tuple[str, str | None, str | None], int], dict[tuple[str, str | None], int]]:
    """How specific the gazetteer's place of a name is: by (canonical, admin1, admin2) (a
    governorate and its capital share a name; the governorate has no admin2), and by
    (canonical, admin1) for a mention whose district the gazetteer does not give."""
    exact: dict[tuple[str, str | None, str | None], int] = {}
    loose: dict[tuple[str, str | None], int] = {}
    for places in gazetteer().by_name.values():
        for p in places:
            level = PLACE_LEVELS.get(p.kind, 1)
            key = (p.name_en, p.admin1, p.admin2 or None)
            exact[key] = max(exact.get(key, 0), level)
            loose[key[:2]] = max(loose.get(key[:2], 0), level)
    return exact, loose


def place_level(canonical: str, admin1: str | None, admin2: str | None = None) -> int:
    exact, loose = _place_levels()
    found = exact.get((canonical, admin1, admin2 or None))
    return found if found is not None else loose.get((canonical, admin1), 1 if admin1 else 0)


# -- records ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArticleInput:
    """What resolution reads of one stored article: its text, its publication and its facts.
    Offsets of `mentions`/`figures` are into `body`, or into `body_search` when
    `search_offsets` (rows stored before the facts carried body offsets)."""

    article_id: str
    source_id: str
    published_at: datetime | None
    body: str
    body_search: str
    mentions: Sequence[Mention] = ()
    figures: Sequence[Figure] = ()
    search_offsets: bool = False
    published_offset_minutes: int | None = None  # the source's UTC offset: its publication day is local_day(...)


def stored_input(article: Article, mentions: Sequence[Mention], figures: Sequence[Figure]) -> ArticleInput:
    """The `ArticleInput` that warehouse.events.read_articles builds from this article's stored
    rows, built from the transform's records (in the worker, before the commit): the facts in
    the order the query reads them, each field as the row stores it (a mention without its
    surface_search, a figure without a scope as "event")."""
    def nulls_last(v: int | None) -> tuple[bool, int]:
        return (v is None, v if v is not None else 0)

    figs = sorted(figures, key=lambda f: (nulls_last(f.figure_no), nulls_last(f.start), nulls_last(f.end)))
    ments = sorted(mentions, key=lambda m: (m.start, m.end, m.kind))
    legacy = bool(figs or ments) and all(f.sentence_search is None for f in figs) and all(m.sentence_search is None for m in ments)
    return ArticleInput(
        article.article_id, article.source_id, article.published_at, article.body, article.body_search,
        [replace(m, surface_search=None) for m in ments],
        [replace(f, sentence=f.sentence or "", scope=f.scope or "event") for f in figs],
        legacy, article.published_offset_minutes,
    )


@dataclass(frozen=True, slots=True)
class Report:
    """One article's account of one incident: a figure, or a sentence with an incident word."""

    article_id: str
    report_no: int  # ordinal among the article's reports: (article_id, report_no) is the key
    figure_no: int | None  # the figure it reads (None: a sentence with no figure)
    source_id: str
    published_at: datetime | None
    kind: str  # killed | injured | kidnapped | arrested | detained | attack
    count_low: int | None
    count_high: int | None
    qualifier: str | None
    event_date: date | None
    date_precision: str  # day | week | month | published | none
    date_lo: date | None  # the days the event may have happened on
    date_hi: date | None
    place: str | None  # canonical name of the most specific place named for it
    place_ar: str | None
    place_level: int  # see PLACE_LEVELS; 0: no place
    admin1: str | None
    admin2: str | None
    lat: float | None
    lon: float | None
    place_from: str  # sentence | context | title | article | match (adopt) | country (Syria only) | none
    sentence_no: int  # index of the sentence in the article
    perpetrator: str | None
    target: str | None
    persons: tuple[str, ...]
    sentence: str  # the sentence of the article (search form) that holds the report

    @property
    def key(self) -> tuple[str, int]:
        return (self.article_id, self.report_no)


@dataclass(frozen=True, slots=True)
class EventCount:
    kind: str
    count_low: int | None
    count_high: int | None
    best: int | None
    reports: int  # articles that give a count of this kind


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    kind: str
    event_date: date | None
    date_precision: str
    place: str | None
    canonical_ar: str | None
    admin1: str | None
    admin2: str | None
    lat: float | None
    lon: float | None
    perpetrator: str | None
    target: str | None
    count_low: int | None  # of `kind` (counts of the other kinds: `counts`)
    count_high: int | None
    best: int | None
    reports: int  # articles
    outlets: int  # distinct source_id
    first_reported: datetime | None
    last_reported: datetime | None
    counts: tuple[EventCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Merge:
    from_event: str
    into_event: str
    reason: str


@dataclass(slots=True)
class Resolution:
    events: list[Event] = field(default_factory=list)
    links: dict[tuple[str, int], str] = field(default_factory=dict)  # report key -> event_id
    merges: list[Merge] = field(default_factory=list)


# -- reading an article ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    text: str
    forms: tuple[str, ...]


def _tokens(text: str, offset: int = 0) -> list[_Tok]:
    return [_Tok(m.start() + offset, m.end() + offset, m.group(0), bases(m.group(0))) for m in _TOKEN.finditer(text)]


def _phrase_at(toks: Sequence[_Tok], i: int, phrase: tuple[str, ...]) -> bool:
    """`phrase` starts at token i (clitics and the article allowed on its first word)."""
    if i + len(phrase) > len(toks):
        return False
    if phrase[0] not in toks[i].forms:
        return False
    return all(toks[i + k].text == w or toks[i + k].text == "ال" + w or w in toks[i + k].forms for k, w in enumerate(phrase) if k)


def _find_phrases(toks: Sequence[_Tok], phrases: Iterable[tuple[str, ...]]) -> list[tuple[int, tuple[str, ...]]]:
    """(token index, phrase) of every occurrence, longest phrase first at each index."""
    ordered = sorted(phrases, key=lambda p: -len(p))
    firsts = {p[0] for p in ordered}
    out = []
    for i, t in enumerate(toks):
        if firsts.isdisjoint(t.forms):
            continue
        for p in ordered:
            if _phrase_at(toks, i, p):
                out.append((i, p))
                break
    return out


@dataclass(frozen=True, slots=True)
class _DateCue:
    pos: int  # character offset in the sentence
    lo: date
    hi: date
    precision: str
    strength: int  # explicit date 0, weekday 1, relative word 2, vague span 3


def _weekday_before(published: date, weekday: int) -> date:
    return published - timedelta(days=(published.weekday() - weekday) % 7)


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(day month [year], month year) in search form, month names from transforms/rules/dates.yaml."""
    t = date_tables()
    month = rf"(?<!\w)(?P<month>{t.month_re})(?!\w)"
    year = r"(?P<year>(?:19|20)\d\d)(?!\d)"
    day_month = re.compile(
        rf"(?<!\d)(?P<day>[0-3]?\d)(?!\d)\s*(?:من\s+)?(?:شهر\s+)?{month}(?:[\s,،/]*(?:من\s+)?(?:عام\s+)?{year})?",
        re.IGNORECASE,
    )
    month_year = re.compile(rf"{month}[\s,،/]*(?:من\s+)?(?:عام\s+)?{year}", re.IGNORECASE)
    return day_month, month_year


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def date_cues(sentence: str, published: date | None, rules: EventRules | None = None) -> list[_DateCue]:  # one loop per way of saying when
    """Every statement of when in a sentence (search form), resolved against the publication day."""
    r = rules or event_rules()
    out: list[_DateCue] = []
    t = date_tables()
    day_month, month_year = _date_patterns()
    taken: list[tuple[int, int]] = []
    for m in day_month.finditer(sentence):
        month = t.months.get(m["month"].lower())
        year = int(m["year"]) if m["year"] else (published.year if published else None)
        if month is None or year is None:
            continue
        try:
            found = date(year, month, int(m["day"]))
            if not m["year"] and published is not None and found > published + timedelta(days=PLAN_DAYS):
                found = date(year - 1, month, int(m["day"]))  # "25 December" written in January
        except ValueError:
            continue
        taken.append((m.start(), m.end()))
        if published is not None and found > published + timedelta(days=1):
            continue  # a date after publication is a plan, not an incident
        out.append(_DateCue(m.start(), found, found, "day", 0))
    for m in month_year.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken):
            continue
        month = t.months.get(m["month"].lower())
        if month is None:
            continue
        lo = date(int(m["year"]), month, 1)
        out.append(_DateCue(m.start(), lo, _month_end(lo.year, lo.month), "month", 0))
    toks = _tokens(sentence)
    month_of = {f: m for f, m in t.months.items() if " " not in f}
    for i, tok in enumerate(toks[:-1]):
        part = next((r.month_parts[f] for f in tok.forms if f in r.month_parts), None)
        month = next((month_of[f] for f in toks[i + 1].forms if f in month_of), None)
        if part is None or month is None or any(a <= tok.start < b for a, b in taken):
            continue
        year = published.year if published is not None else None
        written = re.match(r"\s*(?:من\s+)?(?:عام\s+)?((?:19|20)\d\d)", sentence[toks[i + 1].end:])
        if written:
            year = int(written.group(1))
        if year is None:
            continue
        if published is not None and not written and date(year, month, part[0]) > published:
            year -= 1
        lo = date(year, month, part[0])
        hi = min(date(year, month, 1) + timedelta(days=part[1] - 1), _month_end(year, month))
        out.append(_DateCue(tok.start, lo, hi, "month", 0))
    if published is None:
        return out
    restated = bool(toks) and not r.pluperfect.isdisjoint(toks[0].forms)
    weekdays = t.weekdays
    for i, tok in enumerate(toks):
        day = next((weekdays[f] for f in tok.forms if f in weekdays and f.startswith("ال")), None)
        if day is None:
            continue
        if i > 0 and toks[i - 1].text in r.reporting:
            continue
        found = _weekday_before(published, day)
        if restated:  # "وكانت ... خطفت مساء الأربعاء": this week's or the week before's
            out.append(_DateCue(tok.start, found - timedelta(days=7), found, "week", 1))
        else:
            out.append(_DateCue(tok.start, found, found, "day", 1))
    for i, phrase in _find_phrases(toks, r.relative):
        if i > 0 and toks[i - 1].text in r.reporting:
            continue
        end = i + len(phrase)
        if (i > 0 and not r.not_today_before.isdisjoint(toks[i - 1].forms)) or (
            end < len(toks) and not r.not_today_after.isdisjoint(toks[end].forms)
        ):
            continue  # "في اليوم نفسه", "في نفس اليوم": the day of something told before
        found = published + timedelta(days=r.relative[phrase])
        out.append(_DateCue(toks[i].start, found, found, "day", 2))
    for i, phrase in _find_phrases(toks, r.vague):
        back_most, back_least = r.vague[phrase]
        lo, hi = published - timedelta(days=back_most), published - timedelta(days=back_least)
        precision = "week" if back_most <= 14 else "month" if back_most <= 62 else "year"
        out.append(_DateCue(toks[i].start, lo, hi, precision, 3))
    return out


def _said(sentence: str, cue: _DateCue, rules: EventRules) -> bool:
    """Whether a statement of when dates the saying: followed by أن/إن/عن (within two words), or
    closing a reporting clause ("وفق ما أعلن المرصد الجمعة": a reporting verb a few words before,
    with no أن, number or incident word between)."""
    after = _tokens(sentence[cue.pos:])[1:4]
    if any(not rules.said_after.isdisjoint(tok.forms) for tok in after[:2]):
        return True
    before = _tokens(sentence[:cue.pos])[-SAID_REACH:]
    for k in range(len(before) - 1, -1, -1):
        tok = before[k]
        if tok.text in rules.reporting:
            return True
        if tok.text.isdigit() or not rules.said_after.isdisjoint(tok.forms) or _is_trigger(before, k, rules):
            return False
    return False


def _is_trigger(toks: Sequence[_Tok], i: int, rules: EventRules) -> bool:
    return any(_phrase_at(toks, i, p) for ps in rules.triggers.values() for p in ps)


def event_date(
    sentence: str,
    anchor: int,
    published: date | None,
    rules: EventRules | None = None,
    *,
    span: int = PUBLISHED_SPAN,
    background: bool = False,
    victim: bool = False,
) -> tuple[date | None, str, date | None, date | None]:
    """(event_date, precision, earliest, latest) of the report at `anchor` in `sentence`: the
    statement of when nearest to it (an explicit date or weekday before a bare أمس/اليوم; for a
    span, `event_date` is its latest day); one that dates the saying counts only when nothing else
    says when, and then the event happened that day or up to `span` days before;
    without one, the publication day (precision `published`: the event on that day or up to
    `span` days before; a sentence that opens with كان/كانت restates something earlier: up to
    `background_days` before, precision `week`); without a publication day, nothing (`none`).
    `background`: the incident is told as the cause or background of the sentence's news
    ("احتجاجا على قتل ..."): a date written right after it is its own, else it happened up to
    `background_days` before the sentence's own time (precision `week`). `victim`: the sentence
    names the person killed; the death of a named person that the text does not date (the
    saying's date at most) is often announced late: up to `victim_days` before (`month`)."""
    r = rules or event_rules()
    cues = date_cues(sentence, published, r)
    said = {c.pos: _said(sentence, c, r) for c in cues}
    toks = _tokens(sentence)
    if background and toks:
        reach = toks[min(len(toks) - 1, bisect_left([t.start for t in toks], anchor) + OWN_DATE_REACH)].end
        own = [c for c in cues if anchor < c.pos <= reach and not said[c.pos]]
        if own:  # "بعد هجوم شنته النصرة الجمعة": the incident's own date
            return _dated(min(own, key=lambda c: (c.pos, c.strength)), 0)
    best = min(cues, key=lambda c: (abs(c.pos - anchor) + 25 * c.strength + (100 if said[c.pos] else 0), c.pos)) if cues else None
    ref = best.hi if best is not None else published
    if ref is None:
        return None, "none", None, None
    undated = best is None or said[best.pos]
    if background or (victim and undated):
        back, precision = (r.background_days, "week") if background else (r.victim_days, "month")
        return ref, precision, ref - timedelta(days=back), ref
    if best is not None:
        return _dated(best, span if said[best.pos] else 0)
    restated = bool(toks) and not r.pluperfect.isdisjoint(toks[0].forms)
    back, precision = (r.background_days, "week") if restated else (span, "published")
    return ref, precision, ref - timedelta(days=back), ref


def _dated(cue: _DateCue, before: int) -> tuple[date | None, str, date | None, date | None]:
    """A report dated by `cue` (for a span, its latest day), or up to `before` days earlier."""
    when = cue.hi if cue.precision == "week" else cue.lo
    return when, cue.precision, cue.lo - timedelta(days=before), cue.hi


def told_as_background(toks: Sequence[_Tok], i: int, rules: EventRules) -> bool:
    """Whether the incident word at token i is told as the cause or background of the news: right
    after one of `dates.background` (احتجاجا على، ردا على، بعد، إثر، بتهمة، الذي ...)."""
    return any(i - len(p) >= 0 and _phrase_at(toks, i - len(p), p) for p in rules.background)


def wanted_not_done(toks: Sequence[_Tok], i: int, rules: EventRules) -> bool:
    """Whether the incident word at token i is demanded or threatened, not done (للمطالبة بإعدام)."""
    return any(i - len(p) >= 0 and _phrase_at(toks, i - len(p), p) for p in rules.not_done)


def _to_search_offsets(body: str, body_search: str) -> tuple[OffsetMap, int]:
    return OffsetMap(body, body_search), len(body_search)


def _search_pos(omap: OffsetMap, n: int, body_pos: int) -> int:
    """The search-form offset whose body offset is `body_pos` (the mapping is monotonic)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if omap.start(mid) < body_pos:
            lo = mid + 1
        else:
            hi = mid
    return lo


@dataclass(frozen=True, slots=True)
class _Placed:
    pos: int
    mention: Mention
    level: int


def _sentence_index(sentences: Sequence[Span], pos: int) -> int | None:
    starts = [s.start for s in sentences]
    k = bisect_left(starts, pos + 1) - 1
    if k >= 0 and sentences[k].start <= pos < max(sentences[k].end, sentences[k].start + 1):
        return k
    return None


def _main_governorate(places: Sequence[_Placed]) -> str | None:
    """The admin1 with the most place mentions in the article, ties to the one named first (the
    rule of the figure_governorates view)."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for p in places:
        a = p.mention.admin1
        if a:
            counts[a] += 1
            first.setdefault(a, p.pos)
    if not counts:
        return None
    return min(counts, key=lambda a: (-counts[a], first[a], a))


def _choose_place(places: Sequence[_Placed], anchor: int) -> _Placed | None:
    """The place of a report among its sentence's places: when they lie in several governorates,
    the governorate of the place nearest the anchor; then the most specific, nearest place."""
    if not places:
        return None
    govs = {p.mention.admin1 for p in places}
    if len(govs) > 1:
        nearest = min(places, key=lambda p: (abs(p.pos - anchor), p.pos))
        places = [p for p in places if p.mention.admin1 == nearest.mention.admin1]
    return min(places, key=lambda p: (-p.level, abs(p.pos - anchor), p.pos))


def _actors(sentence: str, orgs: Sequence[tuple[int, Mention]], rules: EventRules) -> tuple[str | None, str | None]:
    """(perpetrator, target) among the armed actors named in a sentence (search form)."""
    types = actor_table().kind
    perpetrator = target = None
    toks = _tokens(sentence)
    starts = [t.start for t in toks]
    for pos, m in orgs:
        if types.get(m.canonical) not in rules.actor_types:
            continue
        i = bisect_left(starts, pos)  # the actor's first token
        before = toks[max(0, i - 3):i]
        prev = toks[i - 1] if i > 0 else None
        as_target = any(_phrase_at(before, k, p) for p in rules.target_before for k in range(len(before)))
        as_perp = any(_phrase_at(before, k, p) for p in rules.perpetrator_before for k in range(len(before)))
        if prev is not None and not rules.perpetrator_verbs.isdisjoint(prev.forms):
            as_perp, as_target = True, False
        if as_target and prev is not None and any(_phrase_at(toks, i - 1, p) for p in rules.target_before):
            as_perp = False
        if as_perp and perpetrator is None and m.canonical != target:
            perpetrator = m.canonical
        elif as_target and target is None and m.canonical != perpetrator:
            target = m.canonical
    return perpetrator, target


@lru_cache(maxsize=1)
def public_figures() -> frozenset[str]:
    """The public figures of transforms/data/people.ar.yaml (`known`): named in every kind of
    news (الأسد، أوباما), they tell no incident from another."""
    return frozenset(people_rules().known.values())


def _named(toks: Sequence[_Tok], people: Sequence[tuple[int, int, str]], rules: EventRules) -> list[tuple[int, str]]:
    """(token index, canonical) of the people a sentence names as part of what happened, not as
    those who tell it: a name right after a reporting verb (within three words, "وقال مدير المرصد
    رامي عبد الرحمن") or right before أن/إن is the speaker's."""
    starts = [t.start for t in toks]
    out = []
    for a, b, canonical in people:
        i = bisect_left(starts, a)
        j = bisect_left(starts, b)
        if any(t.text in rules.reporting for t in toks[max(0, i - 3):i]):
            continue
        if j < len(toks) and not rules.said_after.isdisjoint(toks[j].forms) and toks[j].text != "عن":
            continue
        out.append((i, canonical))
    return out


def _abroad(toks: Sequence[_Tok], rules: EventRules) -> list[int]:
    """Where the sentence places something abroad (character offsets): a place of `abroad` after
    a word of `abroad_where` or with the clitic ب ("في بلدة سروج"، "بتركيا"، "قرب كيليس"), not a
    state as the actor ("قصفت تركيا مواقع ... في سوريا")."""
    out = []
    for i, _ in _find_phrases(toks, rules.abroad):
        located = toks[i].text.startswith("ب") and toks[i].text[1:] in toks[i].forms
        if located or any(not rules.abroad_where.isdisjoint(t.forms) for t in toks[max(0, i - 2):i]):
            out.append(toks[i].start)
    return out


def border_governorates(toks: Sequence[_Tok], rules: EventRules) -> frozenset[str] | None:
    """The governorates a sentence allows when it puts something on a border ("في قرية قاح الحدودية
    مع تركيا": Latakia, Idlib, Aleppo, Ar-Raqqah or Al-Hasakah); None when it names no border."""
    allowed: set[str] | None = None
    for words, governorates in rules.borders:
        if _find_phrases(toks, words):
            allowed = (allowed or set()) | governorates
    return frozenset(allowed) if allowed is not None else None


def reports_of(article: ArticleInput, rules: EventRules | None = None) -> list[Report]:  # one pass over an article's facts
    """The article's event reports, in text order."""
    r = rules or event_rules()
    text = article.body_search
    sentences = split_sentences(text)
    if article.search_offsets:
        def to_search(pos: int) -> int:
            return pos
    else:
        omap, n = _to_search_offsets(article.body, text)

        def to_search(pos: int) -> int:
            return _search_pos(omap, n, pos)

    published = local_day(article.published_at, article.published_offset_minutes) if article.published_at is not None else None
    by_sentence: dict[int, list[_Placed]] = {}
    all_places: list[_Placed] = []
    orgs: dict[int, list[tuple[int, Mention]]] = {}
    persons: dict[int, list[tuple[int, int, str]]] = {}
    public = public_figures()
    title_places: list[_Placed] = []
    in_syria = False  # the article names Syria or one of its regions
    for m in article.mentions:
        if m.kind == "place" and m.admin1 is None:
            in_syria = True
            continue
        if m.part != "body":  # a mention of the title: its offsets point into the title
            if m.kind == "place":
                title_places.append(_Placed(m.start, m, place_level(m.canonical, m.admin1, m.admin2)))
            continue
        pos = to_search(m.start)
        k = _sentence_index(sentences, pos)
        if m.kind == "place":
            placed = _Placed(pos, m, place_level(m.canonical, m.admin1, m.admin2))
            all_places.append(placed)
            if k is not None:
                by_sentence.setdefault(k, []).append(placed)
        elif m.kind == "org" and k is not None:
            orgs.setdefault(k, []).append((pos, m))
        elif m.kind == "person" and k is not None and m.canonical not in public:
            persons.setdefault(k, []).append((pos, to_search(m.end), m.canonical))
    main_gov = _main_governorate(all_places)
    reports: list[Report] = []

    def report(kind: str, k: int | None, anchor: int, figure: Figure | None) -> None:
        sentence = sentences[k] if k is not None else None
        s_text = sentence.text if sentence is not None else ""
        s_start = sentence.start if sentence is not None else 0
        local = anchor - s_start
        toks = _tokens(s_text)
        at = bisect_left([t.start for t in toks], local)
        if at < len(toks) and wanted_not_done(toks, at, r):
            return
        background = at < len(toks) and told_as_background(toks, at, r)
        named = _named(toks, [(a - s_start, b - s_start, c) for a, b, c in persons.get(k, [])], r) if k is not None else []
        victim = kind == "killed" and any(abs(i - at) <= VICTIM_REACH for i, _ in named)
        when, precision, lo, hi = event_date(
            s_text, local, published, r, span=PUBLISHED_SPAN if figure else MENTION_SPAN, background=background, victim=victim
        )
        abroad_at = _abroad(toks, r)
        abroad = bool(abroad_at)
        places = [replace(p, pos=p.pos - s_start) for p in by_sentence.get(k, [])] if k is not None else []
        places = [p for p in places if p.pos not in abroad_at]  # "مدينة سوروتش التركية" is no Syrian town
        chosen = _choose_place(places, local)
        place_from = "sentence"
        if chosen is not None and abroad_at and min(abs(a - local) for a in abroad_at) < min(abs(p.pos - local) for p in places):
            chosen = None  # "في هجوم استهدف مدينة سوروتش التركية قرب الحدود مع كوباني": the incident is abroad
        border = border_governorates(toks, r)
        if chosen is None and k is not None and not abroad:
            # the place the text was just speaking of: the nearest sentence before (or the next one)
            # that names one, unless another of them goes on with this sentence's story
            near_by = [near for near in (k - 1, k - 2, k - 3, k + 1) if near in by_sentence]
            if near_by:
                same = max(near_by, key=lambda n: text_overlap(s_text, sentences[n].text))
                near = same if text_overlap(s_text, sentences[same].text) >= CONTEXT_TEXT else near_by[0]
                if _abroad(_tokens(sentences[near].text), r):
                    abroad = True  # it was speaking of a place abroad too: no guess
                else:
                    chosen = _choose_place(by_sentence[near], by_sentence[near][-1].pos)
                    place_from = "context"
            elif title_places:  # the place the headline names
                chosen = _choose_place(title_places, 0)
                place_from = "title"
        if chosen is not None and place_from != "sentence" and border is not None and chosen.mention.admin1 not in border:
            chosen = None  # a guess off the border the sentence names ("قرية قاح الحدودية مع تركيا" is not in Rif Dimashq)
        if chosen is not None and chosen.level < SPECIFIC:  # "... جنوب إدلب" under a headline naming the town
            finer = [p for p in title_places if p.mention.admin1 == chosen.mention.admin1 and p.level > chosen.level]
            if finer:
                chosen, place_from = _choose_place(finer, 0), "title"
        if chosen is not None:
            pm = chosen.mention
            place: str | None = pm.canonical
            place_ar, level, admin1, admin2, lat, lon = pm.canonical_ar, chosen.level, pm.admin1, pm.admin2, pm.lat, pm.lon
        elif main_gov is not None and not abroad and (border is None or main_gov in border):
            place, place_ar, level, admin1, admin2, lat, lon = None, None, 1, main_gov, None, None, None
            place_from = "article"
        else:
            place, place_ar, level, admin1, admin2, lat, lon = None, None, 0, None, None, None, None
            place_from = "country" if in_syria and not abroad else "none"  # "في سوريا": see adopt()
        sentence_orgs = [(pos - s_start, m) for pos, m in orgs.get(k, [])] if k is not None else []
        perpetrator, target = _actors(s_text, sentence_orgs, r)
        counts = figure is not None and r.kinds[kind].people
        if counts and figure is not None and (figure.count_low or 0) >= r.max_people:
            return  # a total or a population, not one incident
        if published is not None and hi is not None and hi < published - timedelta(days=r.max_age_days):
            return  # history, not an incident of now
        reports.append(Report(
            article_id=article.article_id,
            report_no=len(reports),
            figure_no=figure.figure_no if figure is not None else None,
            source_id=article.source_id,
            published_at=article.published_at,
            kind=kind,
            count_low=figure.count_low if counts and figure is not None else None,
            count_high=figure.count_high if counts and figure is not None else None,
            qualifier=figure.qualifier if counts and figure is not None else None,
            event_date=when,
            date_precision=precision,
            date_lo=lo,
            date_hi=hi,
            place=place,
            place_ar=place_ar,
            place_level=level,
            admin1=admin1,
            admin2=admin2,
            lat=lat,
            lon=lon,
            place_from=place_from,
            sentence_no=k if k is not None else -1,
            perpetrator=perpetrator,
            target=target,
            persons=tuple(sorted({c for _, c in named})),
            sentence=s_text,
        ))

    in_sentence = [
        (f, k) for f in article.figures
        if f.part == "body" and f.start is not None and (k := _sentence_index(sentences, to_search(f.start))) is not None
    ]
    with_figure = {k for _, k in in_sentence}  # sentences whose figures tell what they report
    # sentences that give a total, a stock or a toll over a period
    totals = {k for f, k in in_sentence if (f.scope or "event") != "event" or (f.count_low or 0) >= r.max_people}

    def total(k: int) -> bool:
        """Sentence k tells a total: its own words say so, or it goes on (كما ...) with one."""
        toks = _tokens(sentences[k].text)
        if k in totals or _find_phrases(toks, r.not_incident):
            return True
        return k > 0 and bool(toks) and not r.continues.isdisjoint(toks[0].forms) and (
            k - 1 in totals or bool(_find_phrases(_tokens(sentences[k - 1].text), r.not_incident)))

    counted: list[tuple[str, int | None, int, Figure]] = []
    for f in sorted(article.figures, key=lambda f: (f.start if f.start is not None else -1, f.figure_no)):
        kind = r.figure_kinds.get(f.kind, f.kind)
        if kind not in r.kinds or f.of_figure is not None or (f.scope or "event") != "event" or f.part != "body":
            continue  # stocks, totals, breakdowns are no reports; the title repeats the body
        anchor = to_search(f.start) if f.start is not None else 0
        k = _sentence_index(sentences, anchor) if f.start is not None else None
        if k is not None and total(k):
            continue
        counted.append((kind, k, anchor, f))
    for kind, k, anchor, f in _parts_of_totals(counted, sentences, by_sentence, r):
        report(kind, k, anchor, f)
    trigger_kinds = sorted(r.triggers, key=lambda kind: r.kinds[kind].rank)
    for k, s in enumerate(sentences):
        if k in with_figure:
            continue
        specific = [p for p in by_sentence.get(k, []) if p.level >= 2]
        if not specific and not persons.get(k):
            continue
        toks = _tokens(s.text)
        if total(k):
            continue
        found = [(i, kind) for kind in trigger_kinds for i, _ in _find_phrases(toks, r.triggers[kind])]
        if not found:
            continue
        i, kind = min(found, key=lambda x: (x[0], r.kinds[x[1]].rank))
        if not specific and kind == "attack":
            continue  # a named person is not enough to place an attack
        report(kind, k, s.start + toks[i].start, None)
        # an incident of another family told as its cause ("توقيف فلان المتهم بقتل العقيد")
        told = {r.kinds[kind].family}
        for j, other in sorted(found):
            if r.kinds[other].family not in told and other != "attack" and told_as_background(toks, j, r):
                told.add(r.kinds[other].family)
                report(other, k, s.start + toks[j].start, None)
    return reports


def _says_when(toks: Sequence[_Tok], rules: EventRules) -> bool:
    """Whether the words name a day or a month (a weekday, أمس, يوليو)."""
    t = date_tables()
    named = set(t.weekdays) | {m for m in t.months if " " not in m}
    return any(not named.isdisjoint(tok.forms) for tok in toks) or bool(_find_phrases(toks, rules.relative))


def _parts_of_totals(
    told: Sequence[tuple[str, int | None, int, Figure]], sentences: Sequence[Span], by_sentence: Mapping[int, Sequence[_Placed]],
    rules: EventRules,
) -> list[tuple[str, int | None, int, Figure]]:
    """One toll per incident where a sentence splits it, among counts of one kind in one sentence:
    those that add up to another are its parts and make no report ("25 قتيلا ... 18 من النصرة
    وسبعة من الفرقة"). With no place and no incident word between two counts, a count joined to the
    one before by و or a phrase of `toll_joins` (بالإضافة إلى، مقابل) is the other part of one
    toll, read as their sum unless a word of `toll_apart` (في) stands between them ("25 متطرفا من
    النصرة وسبعة من المدافعين": 32; the report keeps the first part's figure_no); a smaller count
    otherwise is a part of the larger one before ("أصيب 100 ... وقال الأطباء إن 20 جريحا ما زالوا
    في حالة حرجة"). A place or an incident word between two counts, or a day of each, tells two
    incidents ("قتل 5 في الباب، وقتل 3 في منبج"، "12 يوم الأحد، و3 يوم الإثنين"): both stay."""
    drop: set[int] = set()
    sums: dict[int, list[int]] = {}  # the first part of a toll -> all its parts
    by_kind: dict[tuple[int, str], list[int]] = {}
    for n, (kind, k, _, f) in enumerate(told):
        if k is not None and f.count_low is not None and f.qualifier != "vague" and rules.kinds[kind].people:
            by_kind.setdefault((k, kind), []).append(n)
    for (k, _), members in by_kind.items():
        if len(members) < 2:
            continue
        whole = next((w for w in members if len(members) > 2
                      and sum(told[n][3].count_low or 0 for n in members if n != w) == told[w][3].count_low), None)
        if whole is not None:
            drop.update(n for n in members if n != whole)
            continue
        sentence = sentences[k]
        places = [p.pos for p in by_sentence.get(k, [])]
        head = members[0]
        for i, j in itertools.pairwise(members):
            a, b = told[i], told[j]
            toks = _tokens(sentence.text[a[2] - sentence.start:])
            upto = max((t for t, tok in enumerate(toks) if tok.start <= b[2] - a[2]), default=0)  # the second's first word
            between = toks[1:upto + 1]  # from the word after the first count's to the second's first word
            after = toks[upto:]  # the second count's words, to the end of the sentence
            if (any(a[2] < pos < b[2] for pos in places) or any(_is_trigger(between, t, rules) for t in range(len(between)))
                    or (_says_when(between, rules) and _says_when(after, rules))):
                head = j  # another place, incident or day ("12 يوم الأحد، و3 يوم الإثنين"): another incident
                continue
            joined = (toks[upto].text.startswith("و") and len(toks[upto].text) > 1) or any(
                upto - len(ph) >= 1 and _phrase_at(toks, upto - len(ph), ph) for ph in rules.toll_joins)
            if joined and not any(not rules.toll_apart.isdisjoint(tok.forms) for tok in between):
                sums.setdefault(head, [head]).append(j)
                drop.add(j)
            elif (b[3].count_low or 0) < (a[3].count_low or 0):
                drop.add(j)
            else:
                head = j
    out = []
    for n, x in enumerate(told):
        if n in drop:
            continue
        if n in sums:
            parts = [told[m][3] for m in sums[n]]
            low = sum(f.count_low or 0 for f in parts)
            high = None if any(f.count_high is None for f in parts) else sum(f.count_high or 0 for f in parts)
            qualifier = "exact" if all(f.qualifier == "exact" for f in parts) else "more_than" if high is None else "about"
            out.append((x[0], x[1], x[2], replace(x[3], count_low=low, count_high=high, qualifier=qualifier)))
        else:
            out.append(x)
    return out


# -- matching reports ---------------------------------------------------------------------------

def _km(a: Report, b: Report) -> float | None:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(dlat, dlon)


def days_apart(a: Report, b: Report) -> int | None:
    """Days between the date ranges of two reports (0 when they overlap); None when undated."""
    if a.date_lo is None or a.date_hi is None or b.date_lo is None or b.date_hi is None:
        return None
    return max(0, (a.date_lo - b.date_hi).days, (b.date_lo - a.date_hi).days)


def own_place(rep: Report) -> bool:
    """Whether the report's place is named in its own sentence or headline (not a neighbour's
    sentence, a guess: two such places far apart do not forbid one incident)."""
    return rep.place_from in ("sentence", "title")


def family(kind: str, rules: EventRules | None = None) -> str:
    return (rules or event_rules()).kinds[kind].family


def compatible(a: Report, b: Report, rules: EventRules | None = None) -> bool:
    """The hard rules: may these two reports be one incident at all?"""
    r = rules or event_rules()
    if a.admin1 is None or a.admin1 != b.admin1 or r.kinds[a.kind].family != r.kinds[b.kind].family:
        return False
    gap = days_apart(a, b)
    if gap is None or gap > MAX_DAYS_APART:
        return False
    if a.place_level >= SPECIFIC and b.place_level >= SPECIFIC and a.place != b.place and own_place(a) and own_place(b):
        km = _km(a, b)
        if km is None or km > PLACE_KM:
            return False
    same_sentence = a.article_id == b.article_id and a.sentence == b.sentence
    return not (same_sentence and a.kind == b.kind and (a.count_low, a.count_high) != (b.count_low, b.count_high))


@lru_cache(maxsize=65536)
def _content(sentence: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """The words of a sentence that can tell one incident from another (bare forms, without the
    words of `similarity_stop`), and their pairs in order."""
    stop = event_rules().similarity_stop
    words = []
    for w in _TOKEN.findall(sentence):
        forms = bases(w)
        if not stop.isdisjoint(forms) or (len(forms[-1]) < 3 and not w.isdigit()):
            continue
        words.append(forms[-1])
    return frozenset(words), frozenset(itertools.pairwise(words))


def text_overlap(a: str, b: str) -> float:
    """How much two sentences say the same thing: the share of the shorter one's content words,
    and of its word pairs, found in the other (wire copy restated), averaged."""
    (ua, ba), (ub, bb) = _content(a), _content(b)
    if len(ua) < 3 or len(ub) < 3:
        return 0.0
    words = len(ua & ub) / min(len(ua), len(ub))
    pairs = len(ba & bb) / min(len(ba), len(bb)) if ba and bb else 0.0
    return (words + pairs) / 2


@dataclass(frozen=True, slots=True)
class Weights:
    """What each piece of agreement adds to a pair's score (tuned on the development part of
    bench/labels/events, see docs/events.md); a report joins an event at `join`."""

    place_same: float = 1.0  # the same town, village or site
    place_near: float = 0.0  # two such places within PLACE_KM
    place_same_coarse: float = 1.0  # the same district or region
    day_same: float = 1.5
    day_next: float = 0.0
    day_far: float = -0.5  # two days apart
    count_same: float = 2.0  # the same count (3 or more)
    count_same_small: float = 1.0  # the same count of 1 or 2
    count_overlap: float = 1.0  # ranges that overlap
    count_conflict: float = -1.0  # counts too far apart for a toll that grew
    text: float = 6.0  # times the sentences' overlap (0..1)
    person: float = 2.0  # a person named in both
    perpetrator_same: float = 0.5
    perpetrator_other: float = -1.0
    kind_other: float = -1.0  # killed and injured, or an attack and its toll
    adjacent: float = 0.5  # the same article, the next sentence
    nearby: float = 0.0  # the same article, up to three sentences away
    join: float = 3.0


WEIGHTS = Weights()


def _count_score(a: Report, b: Report, w: Weights) -> float:
    if a.kind != b.kind or a.count_low is None or b.count_low is None:
        return 0.0
    a_hi = a.count_high if a.count_high is not None else math.inf
    b_hi = b.count_high if b.count_high is not None else math.inf
    if (a.count_low, a.count_high) == (b.count_low, b.count_high):
        return w.count_same if a.count_low >= 3 else w.count_same_small
    if a.count_low <= b_hi and b.count_low <= a_hi:
        return w.count_overlap
    small, large = sorted((a.count_low, b.count_low))
    if large <= 3 * max(small, 1) + 2:
        return 0.0  # a toll that grew
    return w.count_conflict


def pair_score(a: Report, b: Report, rules: EventRules | None = None, weights: Weights | None = None) -> float | None:
    """How much two reports look like one incident; None when the hard rules forbid it."""
    r = rules or event_rules()
    w = weights or WEIGHTS
    if not compatible(a, b, r):
        return None
    if a.article_id == b.article_id and a.sentence == b.sentence:
        return 10.0  # killed and injured of one sentence: one incident
    s = 0.0
    if a.place_level >= SPECIFIC and b.place_level >= SPECIFIC:
        s += w.place_same if a.place == b.place else w.place_near
    elif a.place is not None and a.place == b.place and a.place_level >= 2:
        s += w.place_same_coarse
    if a.date_precision == "day" and b.date_precision == "day" and a.event_date is not None and b.event_date is not None:
        gap = abs((a.event_date - b.event_date).days)
        s += w.day_same if gap == 0 else w.day_next if gap == 1 else w.day_far
    s += _count_score(a, b, w)
    s += w.text * text_overlap(a.sentence, b.sentence)
    if set(a.persons) & set(b.persons):
        s += w.person
    if a.perpetrator is not None and b.perpetrator is not None:
        s += w.perpetrator_same if a.perpetrator == b.perpetrator else w.perpetrator_other
    if a.kind != b.kind:
        s += w.kind_other
    if a.article_id == b.article_id:
        near = abs(a.sentence_no - b.sentence_no)
        s += w.adjacent if near <= 1 else w.nearby if near <= 3 else 0.0
    return s


# -- resolving ----------------------------------------------------------------------------------

def _order(rep: Report) -> tuple[str, str, int]:
    when = rep.published_at.isoformat() if rep.published_at is not None else "9999"
    return (when, rep.article_id, rep.report_no)


def _candidate_pairs(block: Sequence[Report]) -> Iterable[tuple[Report, Report]]:
    """Pairs of a block (one governorate, one family) whose dates may be one incident's: the
    block sorted by earliest date, each report paired with the ones that start before its end
    plus MAX_DAYS_APART."""
    ordered = sorted(block, key=lambda rep: (rep.date_lo or date.min, _order(rep)))
    for i, a in enumerate(ordered):
        assert a.date_hi is not None
        limit = a.date_hi + timedelta(days=MAX_DAYS_APART)
        for b in ordered[i + 1:]:
            if b.date_lo is not None and b.date_lo > limit:
                break
            yield a, b


def cluster(reports: Sequence[Report], rules: EventRules | None = None, weights: Weights | None = None) -> list[list[Report]]:
    """Reports grouped into incidents (see the module doc): every pair of reports that may be one
    incident is scored; the pairs are taken best first and join their two groups when the score
    reaches `Weights.join` and every report of one group is compatible with every report of the
    other. Deterministic: the same reports, in any order, give the same groups."""
    r = rules or event_rules()
    w = weights or WEIGHTS
    reps = sorted(reports, key=_order)
    index = {rep.key: i for i, rep in enumerate(reps)}
    blocks: dict[tuple[str, str], list[Report]] = {}
    for rep in reps:
        if rep.admin1 is not None and rep.date_lo is not None:
            blocks.setdefault((rep.admin1, r.kinds[rep.kind].family), []).append(rep)
    edges: list[tuple[float, int, int]] = []
    for block in blocks.values():
        for a, b in _candidate_pairs(block):
            score = pair_score(a, b, r, w)
            if score is not None and score >= w.join:
                i, j = sorted((index[a.key], index[b.key]))
                edges.append((score, i, j))
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))
    group = list(range(len(reps)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(reps))}
    for _, i, j in edges:
        gi, gj = group[i], group[j]
        if gi == gj:
            continue
        if not all(compatible(reps[x], reps[y], r) for x in members[gi] for y in members[gj]):
            continue
        keep, gone = min(gi, gj), max(gi, gj)
        for x in members[gone]:
            group[x] = keep
        members[keep].extend(members.pop(gone))
    return [[reps[x] for x in sorted(ms)] for _, ms in sorted(members.items())]


ADOPT_TEXT = 0.5  # the sentence overlap (text_overlap) that lets a report placed only in Syria take a governorate


def floating(rep: Report, rules: EventRules | None = None) -> bool:
    """A report that places its incident in Syria but in no governorate ("في سوريا", "شمال سوريا"),
    dated within `victim_days`."""
    if rep.admin1 is not None or rep.place_from != "country" or rep.date_lo is None or rep.date_hi is None:
        return False
    return (rep.date_hi - rep.date_lo).days <= (rules or event_rules()).victim_days


ADOPT_POSTINGS = 400  # a word found in more candidate sentences than this does not propose candidates


def adopt(reports: Sequence[Report], candidates: Sequence[Report], rules: EventRules | None = None,
          weights: Weights | None = None) -> list[Report]:
    """Reports placed only in Syria (`floating`) that restate an incident placed in a governorate
    take that governorate (`place_from = 'match'`, no place below it): a report of `candidates`
    of the same family within two days names the same person (not a public figure, not who tells
    it) or shares most of its words (`ADOPT_TEXT`), and scores at least `Weights.join` with it;
    the candidates that qualify all lie in one governorate. Others are returned unchanged (and
    make no event). Candidates are proposed by the people and the words they share (an index),
    not by comparing every pair."""
    r = rules or event_rules()
    w = weights or WEIGHTS
    placed = sorted((c for c in candidates if c.admin1 is not None and c.date_lo is not None), key=_order)
    by_person: dict[str, list[int]] = {}
    by_word: dict[str, list[int]] = {}
    for i, c in enumerate(placed):
        for person in set(c.persons):
            by_person.setdefault(person, []).append(i)
        for word in _content(c.sentence)[0]:
            by_word.setdefault(word, []).append(i)
    out = []
    for rep in reports:
        if not floating(rep, r):
            out.append(rep)
            continue
        words = _content(rep.sentence)[0]
        shared: Counter[int] = Counter()
        for word in words:
            hits = by_word.get(word, ())
            if len(hits) <= ADOPT_POSTINGS:
                shared.update(hits)
        proposed = {i for i, n in shared.items() if n >= ADOPT_TEXT * min(len(words), 6)}
        proposed.update(i for person in set(rep.persons) for i in by_person.get(person, ()))
        govs: set[str] = set()
        for i in sorted(proposed):
            c = placed[i]
            if r.kinds[c.kind].family != r.kinds[rep.kind].family or str(c.admin1) in govs:
                continue
            if not (set(rep.persons) & set(c.persons)) and text_overlap(rep.sentence, c.sentence) < ADOPT_TEXT:
                continue
            score = pair_score(replace(rep, admin1=c.admin1), c, r, w)
            if score is not None and score >= w.join:
                govs.add(str(c.admin1))
                if len(govs) > 1:
                    break
        if len(govs) == 1:
            out.append(replace(rep, admin1=govs.pop(), place_level=1, place_from="match"))
        else:
            out.append(rep)
    return out


def _event_id(anchor: Report) -> str:
    digest = hashlib.sha256(f"{anchor.article_id}#{anchor.report_no}".encode()).hexdigest()
    return f"ev-{digest[:16]}"


def _value(rep: Report) -> int | None:
    """One number for a report's count: the exact or stated number, the middle of a range, the
    low end of an open or vague amount."""
    if rep.count_low is None:
        return None
    if rep.qualifier == "range" and rep.count_high is not None:
        return (rep.count_low + rep.count_high) // 2
    return rep.count_low


def _counts(members: Sequence[Report], kind: str) -> EventCount | None:
    """Counts of one kind across an event's reports: low is the lowest count any report gives,
    high the highest (NULL when a report gives no upper end, "أكثر من 20"); `best` is the count
    of the latest article (a toll that grows: the latest credible report), its largest one when it
    gives several, vague amounts (عشرات) only when no article gives a number."""
    reps = [rep for rep in members if rep.kind == kind and rep.count_low is not None]
    if not reps:
        return None
    low = min(rep.count_low for rep in reps if rep.count_low is not None)
    high = None if any(rep.count_high is None for rep in reps) else max(rep.count_high or 0 for rep in reps)
    precise = [rep for rep in reps if rep.qualifier != "vague"] or reps
    latest = max(precise, key=lambda rep: (_order(rep)[0], _value(rep) or 0))
    return EventCount(kind, low, high, _value(latest), len({rep.article_id for rep in reps}))


def _most_common(values: Iterable[str | None]) -> str | None:
    counted = Counter(v for v in values if v)
    if not counted:
        return None
    return min(counted, key=lambda v: (-counted[v], v))


def build_event(event_id: str, members: Sequence[Report], rules: EventRules | None = None) -> Event:
    r = rules or event_rules()
    kind = min((m.kind for m in members), key=lambda k: r.kinds[k].rank)
    days = Counter(m.event_date for m in members if m.date_precision == "day" and m.event_date is not None)
    if days:
        when: date | None = min(days, key=lambda d: (-days[d], d))
        precision = "day"
    else:
        dated = [m for m in members if m.event_date is not None]
        first = min(dated, key=lambda m: (m.event_date or date.max, _order(m))) if dated else None
        when = first.event_date if first is not None else None
        precision = first.date_precision if first is not None else "none"
    top = max(m.place_level for m in members)
    at_top = [m for m in members if m.place_level == top and m.place is not None]
    place_name = _most_common(m.place for m in at_top)
    where = next((m for m in at_top if m.place == place_name), None)
    counts = [c for k in sorted(r.kinds, key=lambda k: r.kinds[k].rank) if (c := _counts(members, k)) is not None]
    own = next((c for c in counts if c.kind == kind), None)
    dates = [m.published_at for m in members if m.published_at is not None]
    return Event(
        event_id=event_id,
        kind=kind,
        event_date=when,
        date_precision=precision,
        place=place_name,
        canonical_ar=where.place_ar if where is not None else None,
        admin1=members[0].admin1,
        admin2=where.admin2 if where is not None else _most_common(m.admin2 for m in members),
        lat=where.lat if where is not None else None,
        lon=where.lon if where is not None else None,
        perpetrator=_most_common(m.perpetrator for m in members),
        target=_most_common(m.target for m in members),
        count_low=own.count_low if own else None,
        count_high=own.count_high if own else None,
        best=own.best if own else None,
        reports=len({m.article_id for m in members}),
        outlets=len({m.source_id for m in members}),
        first_reported=min(dates) if dates else None,
        last_reported=max(dates) if dates else None,
        counts=tuple(counts),
    )


def resolve(
    reports: Sequence[Report],
    previous: Mapping[tuple[str, int], str] | None = None,
    *,
    reason: str | None = None,
    rules: EventRules | None = None,
    reserved: frozenset[str] | set[str] = frozenset(),
) -> Resolution:
    """Events of `reports` (a report placed in no Syrian governorate makes no event: most are news
    from elsewhere). `previous`: the event each already stored report belonged to; an
    event keeps its id when it keeps most of its reports, an old event none of whose reports keep
    its id is recorded as merged into the event that took most of them (`reason`, or the report
    that bridged them). `reserved`: ids of events outside these reports (another governorate's),
    never given to a new event."""
    r = rules or event_rules()
    prev = dict(previous or {})
    if any(floating(rep, r) for rep in reports):
        reports = adopt(reports, reports, r)
    groups = cluster([rep for rep in reports if rep.admin1 is not None], r)
    # the groups with the most old reports choose their ids first; between old events with as
    # many reports in a group, the one reported first keeps its id
    votes = [Counter(prev[m.key] for m in g if m.key in prev) for g in groups]
    first_seen: dict[str, tuple[str, str, int]] = {}
    for g in groups:
        for m in g:
            if m.key in prev:
                old_id = prev[m.key]
                first_seen[old_id] = min(first_seen.get(old_id, _order(m)), _order(m))
    order = sorted(range(len(groups)), key=lambda i: (-(votes[i].most_common(1)[0][1] if votes[i] else 0), _order(groups[i][0])))
    used: set[str] = set()
    ids: dict[int, str] = {}
    for i in order:
        for old, _ in sorted(votes[i].items(), key=lambda kv: (-kv[1], first_seen[kv[0]], kv[0])):
            if old not in used:
                ids[i] = old
                break
        else:
            new = _event_id(groups[i][0])
            n = 1
            while new in used or new in prev.values() or new in reserved:
                new = f"{_event_id(groups[i][0])}-{n}"
                n += 1
            ids[i] = new
        used.add(ids[i])
    out = Resolution()
    for i, g in enumerate(groups):
        out.events.append(build_event(ids[i], g, r))
        for m in g:
            out.links[m.key] = ids[i]
    gone = sorted(set(prev.values()) - used)
    for old in gone:
        took = Counter(out.links[k] for k, v in prev.items() if v == old and k in out.links)
        if not took:
            continue
        into = min(took, key=lambda e: (-took[e], e))
        g = groups[next(i for i, e in ids.items() if e == into)]
        bridge = next((m for m in reversed(g) if m.key not in prev), None)
        why = reason or (f"bridged by report {bridge.article_id}#{bridge.report_no}" if bridge else "regrouped")
        out.merges.append(Merge(old, into, why))
    out.events.sort(key=lambda e: e.event_id)
    return out
