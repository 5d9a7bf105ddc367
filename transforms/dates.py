"""Publication dates written in Arabic article text.

Month and weekday names are data (transforms/rules/dates.yaml): Levantine (كانون الثاني ...
كانون الأول), Egyptian/Western (يناير ...), Maghreb forms and English. A date in the text only
counts as the publication date when it is anchored to the day of writing ("اليوم الأحد 24 من
أيار", "أمس الأحد"); a date the article merely mentions ("في 31 من تشرين الأول 2019") is an event.

Never invent a year: a day and month without a year is resolved only when the weekday and other
evidence in the article (an embedded tweet's date, a caption's "حزيران 2020", a status id) or the
crawl date fix it; otherwise the date stays empty and `note` says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from core import datafile
from transforms.fields import ParsedDate
from transforms.normalize import search_form

_STRONG_WINDOW_DAYS = 45  # an embed's date this close to a candidate date agrees with it
_CRAWL_LAG_DAYS = 2  # a page is crawled at most this many days after it was written


@dataclass(frozen=True, slots=True)
class DateTables:
    months: dict[str, int]  # search-form name -> month number
    weekdays: dict[str, int]  # search-form name -> Python weekday (Monday 0)
    relative: dict[str, int]  # search-form word -> offset in days from the day of writing
    month_re: str
    weekday_re: str
    relative_re: str


def _alternation(names: Iterable[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class DatesFile:
    """transforms/rules/dates.yaml"""

    months: dict[int, list[str]]  # month number -> names
    weekdays: dict[int, list[str]]  # Python weekday (Monday 0) -> names
    relative: dict[str, int]  # word -> offset in days from the day of writing


@lru_cache(maxsize=1)
def tables() -> DateTables:
    raw = datafile.load_package("transforms", "rules/dates.yaml", DatesFile)
    months = {search_form(n): m for m, names in raw.months.items() for n in names}
    weekdays = {search_form(n): d for d, names in raw.weekdays.items() for n in names}
    relative = {search_form(w): o for w, o in raw.relative.items()}
    return DateTables(months, weekdays, relative, _alternation(months), _alternation(weekdays), _alternation(relative))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    t = tables()
    b, e = r"(?<!\w)", r"(?!\w)"
    month = f"{b}(?P<month>{t.month_re}){e}"
    day = r"(?<!\d)(?P<day>[0-3]?\d)(?!\d)"
    year = r"(?P<year>(?:19|20)\d\d)(?!\d)"
    return {
        # 24 من أيار 2020 | 24 أيار، 2020 | 24 May 2020
        "dmy": re.compile(rf"{day}\s*(?:من\s+)?(?:شهر\s+)?{month}[\s,،]*(?:من\s+)?(?:عام\s+|سنه\s+)?{year}", re.IGNORECASE),
        # May 24, 2020
        "mdy": re.compile(rf"{month}\s+{day}(?:st|nd|rd|th)?,?\s+{year}", re.IGNORECASE),
        # حزيران 2020
        "my": re.compile(rf"{month}[\s,،]*(?:من\s+)?(?:عام\s+)?{year}", re.IGNORECASE),
        # اليوم الأحد 24 من أيار | أمس الأحد | اليوم، الأحد 7 من حزيران 2020 | وفجر اليوم
        "anchored": re.compile(
            rf"{b}(?P<rel>{t.relative_re}){e}[\s,،]*"
            rf"(?:\(?\s*{b}(?P<weekday>{t.weekday_re}){e}\s*\)?[\s,،]*)?"
            rf"(?:{day}\s*(?:من\s+)?(?:شهر\s+)?{month}(?:[\s,،]*(?:من\s+)?(?:عام\s+)?{year})?)?",
            re.IGNORECASE,
        ),
    }


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_full_date(text: str) -> date | None:
    """The first complete day-month-year date in `text` (any supported month names)."""
    key = search_form(text)
    t, p = tables(), _patterns()
    for name in ("dmy", "mdy"):
        m = p[name].search(key)
        if m:
            return _safe_date(int(m["year"]), t.months[m["month"].lower()], int(m["day"]))
    return None


def month_years(text: str) -> list[tuple[int, int]]:
    """Every (year, month) written as "MONTH YYYY" (also inside full dates)."""
    key = search_form(text)
    t = tables()
    return [(int(m["year"]), t.months[m["month"].lower()]) for m in _patterns()["my"].finditer(key)]


@dataclass(frozen=True, slots=True)
class AnchoredMention:
    surface: str
    offset: int  # days from the day of writing (اليوم 0, أمس -1)
    weekday: int | None
    day: int | None
    month: int | None
    year: int | None


def anchored_mentions(text: str) -> list[AnchoredMention]:
    """Dates tied to the day of writing, in text order."""
    key = search_form(text)
    t = tables()
    out = []
    for m in _patterns()["anchored"].finditer(key):
        out.append(
            AnchoredMention(
                surface=m.group(0).strip(" ،,"),
                offset=t.relative[m["rel"]],
                weekday=t.weekdays[m["weekday"]] if m["weekday"] else None,
                day=int(m["day"]) if m["day"] else None,
                month=t.months[m["month"].lower()] if m["month"] else None,
                year=int(m["year"]) if m["year"] else None,
            )
        )
    return out


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _pick(mentions: Sequence[AnchoredMention]) -> AnchoredMention | None:
    """The most informative mention: day and month first, then a weekday, then a bare word."""
    with_day = [a for a in mentions if a.day is not None]
    with_weekday = [a for a in mentions if a.weekday is not None]
    for group in (with_day, with_weekday, list(mentions)):
        if group:
            return group[0]
    return None


def resolve_text_date(  # noqa: PLR0911  # one early return per way a written date can fail
    text: str,
    *,
    strong_evidence: Sequence[date] = (),
    evidence_months: Sequence[tuple[int, int]] = (),
    fetched_at: datetime | None = None,
) -> ParsedDate:
    """The publication date written in an article's text.

    `strong_evidence`: dates of things embedded in the article (tweets, status ids);
    `evidence_months`: (year, month) pairs from captions; years mentioned in the body are weak
    evidence (the year before publication is often mentioned)."""
    mention = _pick(anchored_mentions(text))
    if mention is None:
        return ParsedDate(None, "none", "no publication date in metadata or text")
    said = f"text says {mention.surface!r}"
    if mention.day is not None and mention.month is not None and mention.year is not None:
        found = _safe_date(mention.year, mention.month, mention.day)
        if found is None:
            return ParsedDate(None, "none", f"{said}: not a calendar date")
        if mention.weekday is not None and found.weekday() != mention.weekday:
            return ParsedDate(None, "none", f"{said}: the weekday does not match the date")
        return ParsedDate(_midnight(found), "day", f"from {said}")
    if fetched_at is not None:
        anchor = fetched_at.astimezone(UTC).date()
        if mention.day is not None and mention.month is not None:
            found = _safe_date(anchor.year, mention.month, mention.day)
            if found is not None and found > anchor + timedelta(days=1):
                found = _safe_date(anchor.year - 1, mention.month, mention.day)
            if found is None:
                return ParsedDate(None, "none", f"{said}: not a calendar date near the crawl date")
            if mention.weekday is not None and found.weekday() != mention.weekday:
                return ParsedDate(None, "none", f"{said}: the weekday does not match {found.isoformat()} (crawl date {anchor})")
            return ParsedDate(_midnight(found), "day", f"from {said}, year from the crawl date {anchor}")
        if mention.weekday is None:
            found = anchor + timedelta(days=mention.offset)
            return ParsedDate(_midnight(found), "day", f"from {said} relative to the crawl date {anchor}")
        # the weekday names the day: the latest day written on or shortly before the crawl
        for back in range(_CRAWL_LAG_DAYS + 1):
            written = anchor - timedelta(days=back)
            found = written + timedelta(days=mention.offset)
            if found.weekday() == mention.weekday:
                return ParsedDate(_midnight(found), "day", f"from {said}: the latest such day up to the crawl date {anchor}")
        return ParsedDate(None, "none", f"{said}: no such weekday within {_CRAWL_LAG_DAYS} days before the crawl date {anchor}")
    if mention.day is None or mention.month is None:
        return ParsedDate(None, "none", f"{said} but the crawl date is unknown, so the day cannot be fixed")
    return _resolve_year(mention, said, text, strong_evidence, evidence_months)


def _resolve_year(
    mention: AnchoredMention,
    said: str,
    text: str,
    strong_evidence: Sequence[date],
    evidence_months: Sequence[tuple[int, int]],
) -> ParsedDate:
    assert mention.day is not None and mention.month is not None
    strong_years = {d.year for d in strong_evidence} | {y for y, _ in evidence_months}
    weak_years = {y for y, _ in month_years(text)} - strong_years
    candidates = sorted(strong_years | weak_years | {y + 1 for y in weak_years})
    if not candidates:
        return ParsedDate(None, "none", f"{said} without a year, and nothing in the article fixes the year")

    def agrees(found: date) -> bool:
        near = any(abs((found - d).days) <= _STRONG_WINDOW_DAYS for d in strong_evidence)
        same_month = any(abs((found.year * 12 + found.month) - (y * 12 + m)) <= 1 for y, m in evidence_months)
        return near or same_month

    dated = [(y, _safe_date(y, mention.month, mention.day)) for y in candidates]
    valid = [(y, d) for y, d in dated if d is not None]
    if mention.weekday is not None:
        valid = [(y, d) for y, d in valid if d.weekday() == mention.weekday]
        if strong_years:
            valid = [(y, d) for y, d in valid if agrees(d)]
        reason = "the weekday" + (" and the embedded dates" if strong_years else " and the years the article mentions")
    else:
        valid = [(y, d) for y, d in valid if agrees(d)]
        reason = "the embedded dates"
    if len(valid) == 1:
        found = valid[0][1]
        return ParsedDate(_midnight(found), "day", f"from {said}; year {found.year} fixed by {reason}")
    if not valid:
        return ParsedDate(None, "none", f"{said} without a year; no year in the evidence ({candidates}) agrees")
    years = [y for y, _ in valid]
    return ParsedDate(None, "none", f"{said} without a year; several years fit ({years})")
