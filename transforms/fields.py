"""Article fields from cleaned lines and page metadata: title, dates, language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from transforms.records import Precision

_SENTENCE_END = re.compile(r"[.!؟?]\s*$")


def looks_like_headline(line: str) -> bool:
    """A headline is short and does not read as a full sentence paragraph (a lede)."""
    words = line.split()
    if not 2 <= len(words) <= 20 or len(line) > 160:
        return False
    return not (_SENTENCE_END.search(line) and len(words) > 12)


_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
# in UTF-8 every character of U+0600-U+06FF (the Arabic block) starts with one of these bytes, and
# no other character does
_ARABIC_LEADS = bytes(range(0xD8, 0xDC))


def detect_language(text: str) -> str:
    # counts of Arabic and [A-Za-z] characters without a regex scan (findall made a list of every
    # character): in UTF-8 an ASCII byte is only ever an ASCII character (surrogatepass: any str encodes)
    data = text.encode("utf-8", "surrogatepass")
    arabic = len(data) - len(data.translate(None, _ARABIC_LEADS))
    latin = len(data) - len(data.translate(None, _ASCII_LETTERS))
    if arabic == 0 and latin == 0:
        return "und"
    return "ar" if arabic >= latin else "en"


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: datetime | None  # UTC
    precision: Precision
    note: str | None
    offset_minutes: int | None = None  # the source's UTC offset, when it gave a time with its zone


def parse_iso_date(value: str | None, origin: str, zone: tzinfo | None = None) -> ParsedDate:
    """An ISO 8601 date or datetime from metadata; the precision is what the text carries.

    A time with a zone ("2024-03-05T10:00:00+03:00", "...Z", htmldate's "+0300") is kept: the
    instant in UTC, precision `minute`, and the source's offset. A time without a zone is read in
    `zone` (the outlet's, when its registry entry says); without one it names a day somewhere on
    Earth but no instant, so only its day is kept (precision `day`) and the note says so. A bare
    midnight without a zone is how a date alone comes out of htmldate: `day`."""
    if not value:
        return ParsedDate(None, "none", f"no date in {origin}")
    text = value.strip().replace("Z", "+00:00")
    for fmt, precision in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
            return ParsedDate(parsed, precision, f"from {origin}")  # type: ignore[arg-type]  # literal from the tuple
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return ParsedDate(None, "none", f"unparseable date in {origin}: {value[:40]!r}")
    if parsed.tzinfo is None and zone is not None and parsed.time() != time(0, 0):
        parsed = parsed.replace(tzinfo=zone)
    offset = parsed.utcoffset()
    if offset is None:
        day = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
        if parsed.time() == time(0, 0):
            return ParsedDate(day, "day", f"from {origin}")
        return ParsedDate(day, "day", f"from {origin} (its time {parsed:%H:%M} has no zone, so only the day is kept)")
    return ParsedDate(parsed.astimezone(UTC), "minute", f"from {origin}", int(offset.total_seconds() // 60))


def local_day(value: datetime, offset_minutes: int | None) -> date:
    """The publication day as the source wrote it: the UTC instant moved by the source's offset."""
    if offset_minutes is None:
        return value.date()
    return value.astimezone(timezone(timedelta(minutes=offset_minutes))).date()
