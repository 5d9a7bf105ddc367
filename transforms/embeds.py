"""Things embedded in an article's text that are not its prose: tweets, short links, captions.

Pure functions over numbered lines. A tweet as it survives text extraction looks like

    Syrian Democratic Forces ... #DefeatDaesh pic.twitter.com/wnmEkfzS1E
    — Combined Special Ops Joint Task Force-Levant (@SOJTF_LEVANT) May 24, 2020

or a bare status URL (https://twitter.com/OIRSpox/status/1269371331553918981). A status id is a
Snowflake: its upper bits are the posting time in milliseconds since 2010-11-04 01:42:54.657 UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from transforms.dates import parse_full_date
from transforms.fields import detect_language
from transforms.records import Embed, Removed

_TWITTER_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 10**15  # ids below this predate Snowflake and carry no time

# the date is all that follows the handle: "May 24, 2020" | "24 May 2020" | "٢٤ مايو ٢٠٢٠"
_ATTRIBUTION = re.compile(
    r"^(?P<text>.*?)\s*[—–-]{1,2}\s*(?P<name>[^—–()]{1,80}?)\s*\(@(?P<handle>\w{1,15})\)\s*"
    r"(?P<date>(?:\w+\.?\s+\d{1,2},?\s+\d{4})|(?:\w{1,2}\s+(?:من\s+)?\w+(?:\s\w+)?,?\s+\w{4}))\s*$"
)
_STATUS_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<handle>\w{1,15})/status(?:es)?/(?P<id>\d{5,25})\S*$", re.IGNORECASE
)
_TWEET_MARKERS = re.compile(r"pic\.twitter\.com/|https?://t\.co/|(?:^|\s)[@#]\w", re.IGNORECASE)
_PIC_ONLY = re.compile(r"^(?:https?://)?pic\.twitter\.com/\w+$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"”»]+", re.IGNORECASE)


def snowflake_time(status_id: int) -> datetime | None:
    """Posting time encoded in a tweet's status id (None for pre-2010 ids)."""
    if status_id < _FIRST_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((status_id >> 22) + _TWITTER_EPOCH_MS) / 1000, tz=UTC)


@dataclass(slots=True)
class TweetResult:
    taken: set[int] = field(default_factory=set)
    removed: list[Removed] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)


def _posted(date_text: str) -> datetime | None:
    found = parse_full_date(date_text)
    return datetime(found.year, found.month, found.day, tzinfo=UTC) if found else None


def _looks_like_tweet_text(line: str, document_language: str) -> bool:
    return bool(_TWEET_MARKERS.search(line)) or detect_language(line) != document_language


def extract_tweets(lines: Sequence[tuple[int, str]]) -> TweetResult:
    """Embedded tweets among numbered, stripped, non-blank lines."""
    out = TweetResult()
    document_language = detect_language("\n".join(text for _, text in lines))
    for i, (no, line) in enumerate(lines):
        status = _STATUS_URL.match(line)
        if status:
            out.taken.add(no)
            out.removed.append(Removed(no, line, "tweet_url"))
            out.embeds.append(
                Embed("tweet", url=line, author="@" + status["handle"], posted_at=snowflake_time(int(status["id"])))
            )
            continue
        attribution = _ATTRIBUTION.match(line) if "(@" in line else None  # the regex needs "(@"
        if not attribution:
            continue
        posted = _posted(attribution["date"])
        if posted is None:
            continue  # "— Name (@x) ..." without a date is not an embed's attribution line
        out.taken.add(no)
        out.removed.append(Removed(no, line, "tweet_attribution"))
        parts = [attribution["text"]] if attribution["text"] else []
        # the tweet's text: the lines just above (a pic.twitter.com link, then the text itself)
        j = i - 1
        while not parts and j >= 0 and lines[j][0] not in out.taken:
            prev_no, prev = lines[j]
            if _PIC_ONLY.match(prev):
                out.taken.add(prev_no)
                out.removed.append(Removed(prev_no, prev, "tweet_text"))
                j -= 1
                continue
            if _looks_like_tweet_text(prev, document_language):
                out.taken.add(prev_no)
                out.removed.append(Removed(prev_no, prev, "tweet_text"))
                parts.append(prev)
            break
        text = " ".join(parts).strip() or None
        out.embeds.append(
            Embed(
                "tweet",
                url=None,
                author="@" + attribution["handle"],
                text=text,
                posted_at=posted,
                language=detect_language(text) if text else None,
            )
        )
    out.removed.sort(key=lambda r: r.line_no)
    return out


def short_link_embed(line: str) -> Embed | None:
    url = _URL.search(line)
    return Embed("short_link", url=url.group(0).rstrip(".,،")) if url else None


def url_domain(url: str) -> str | None:
    m = re.match(r"^(?:[a-z][a-z0-9+.\-]*:)?//(?:[^@/]*@)?(?:www\.)?([^/:?#]+)", url.strip(), re.IGNORECASE)
    return m.group(1).lower() if m else None


def attach_status_urls(embeds: Sequence[Embed], urls: Sequence[str]) -> list[Embed]:
    """Give text-level tweets (author and date, no URL) the status URL the page linked them to:
    same handle, in page order. The status id's time replaces a date-only time on the same day."""
    pending = list(urls)
    out = []
    for embed in embeds:
        if embed.kind == "tweet" and embed.url is None and embed.author:
            match = next((u for u in pending if _handle_of(u) == embed.author.lstrip("@").lower()), None)
            if match is not None:
                pending.remove(match)
                status = _STATUS_URL.match(match)
                exact = snowflake_time(int(status["id"])) if status else None
                same_day = exact is not None and embed.posted_at is not None and exact.date() == embed.posted_at.date()
                out.append(replace(embed, url=match, posted_at=exact if same_day else embed.posted_at))
                continue
        out.append(embed)
    return out


def _handle_of(url: str) -> str | None:
    status = _STATUS_URL.match(url.strip())
    return status["handle"].lower() if status else None
