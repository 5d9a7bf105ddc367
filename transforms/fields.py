"""Article fields from cleaned lines and page metadata: title, dates, language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

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
    value: datetime | None
    precision: Precision
    note: str | None


def parse_iso_date(value: str | None, origin: str, zone: tzinfo = UTC) -> ParsedDate:
    """An ISO 8601 date or datetime from metadata; precision follows what the text carries. A
    date-time without an offset is read in `zone` (the outlet's, when its registry entry says)."""
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
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return ParsedDate(parsed.astimezone(UTC), "day", f"from {origin}")
