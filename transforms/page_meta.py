"""The few page metadata fields we store, read cheaply from an already-parsed HTML tree (pure).

trafilatura's `with_metadata=True` also runs an XPath author search over a pruned deep copy of the
page, category/tag link searches and a licence search: about 2.5 s per 181 AEB pages, two thirds
of a bare `extract`. We store only title, date, site name, author (byline), section, URL and
language, so we take them from the cheap sources trafilatura itself reads first, in its order:
<meta> tags (og:, article:, name=, itemprop=), JSON-LD, the canonical link, <title>/<h1>. The
section falls back to `<meta property="article:section">` / `name~=subject` (trafilatura's own
fallback). Nothing here mutates the tree.

The publication date (`page_dates`), three candidates in order of trust, each looked for only
when the one before found nothing:

1. htmldate's fast search (URL, <meta>, JSON-LD, date elements; `original_date`), with the time
   and zone when the page gives them.
2. the dateline: a complete date written near the headline in the page's visible text (the first
   one after the headline starts, else the nearest before it).
3. htmldate's extensive search of the page text, only when its answer is backed by something
   else: the same day written in full in the visible text or in a <meta> value, or the URL's
   year and month. A January 1st backed only by the URL is refused (htmldate turns a bare year
   into January 1st), and so is any day after the crawl.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import lxml.html
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

from transforms.dates import written_dates

LOGGER = logging.getLogger(__name__)

# htmldate keeps a time and its zone in this format ("2020-07-12T10:15:00+0300"); a date alone
# comes out as midnight without a zone
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# the fast search: structured sources first; the extensive one guesses (a caption's "2020" becomes
# 2020-01-01), so its answer needs backing (page_dates)
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True, "outputformat": DATE_FORMAT}
DATELINE_BEFORE = 300  # characters of visible text before the headline searched for a dateline
DATELINE_AFTER = 500  # ... and after the headline's start
DATELINE_MAX_LINE = 120  # a dateline is a short line; a date inside a longer one is an event's
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "td", "th", "tr", "ul",
    }
)
# not read for the page's own date: invisible, or quoting something else (an embedded tweet's date,
# a photo caption's)
_NOT_OWN_TEXT = ("script", "style", "noscript", "template", "blockquote", "figcaption")
_URL_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_.-]([01]\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class PageDate:
    value: str  # ISO date, or date-time with its offset when the page gives one
    origin: str  # for the article's date note: "page metadata", "the dateline '17 May 2021'" ...
    where: str  # provenance: page_metadata | dateline | text_search


@dataclass(frozen=True, slots=True)
class PageDates:
    """The page's publication-date candidates, most trusted first (see the module's docstring)."""

    metadata: PageDate | None = None
    dateline: PageDate | None = None
    text_search: PageDate | None = None


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None
    author: str | None
    date: str | None  # htmldate's fast search: ISO date, or date-time with its offset
    sitename: str | None
    categories: tuple[str, ...]
    description: str | None
    language: str | None
    url: str | None


def page_meta(tree: lxml.html.HtmlElement, url: str | None = None) -> PageMeta:
    """Title, author, date, site name, section(s), description, language and URL of a page."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # trafilatura drops one-word meta authors too
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as err:  # noqa: BLE001  # malformed JSON-LD must not lose the page
        LOGGER.debug("JSON-LD metadata skipped: %s", err)
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    meta.date = find_date(tree, url=meta.url, **DATE_PARAMS)  # the cheap candidate; page_dates for the rest
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (found := META_URL.match(meta.url)):
        meta.sitename = found[1]
    if not meta.categories:
        meta.categories = [
            str(el.get("content"))
            for el in tree.iterfind(".//head//meta[@content]")
            if el.get("property") == "article:section" or "subject" in (el.get("name") or "")
        ]
    meta.clean_and_trim()
    return _frozen(meta, url)


def _frozen(meta: Document, url: str | None) -> PageMeta:
    return PageMeta(
        title=meta.title or None,
        author=meta.author or None,
        date=meta.date or None,
        sitename=meta.sitename or None,
        categories=tuple(c for c in (meta.categories or ()) if c),
        description=meta.description or None,
        language=meta.language or None,
        url=meta.url or url,
    )


def page_dates(
    tree: lxml.html.HtmlElement, meta: PageMeta, latest: date, *, headline: str | None = None
) -> PageDates:
    """The publication-date candidates of a page, looked for in order of trust and only as far as
    needed (the first found ends the search). `latest`: no publication day after it (the crawl
    day, or today, plus one for time zones)."""
    if meta.date and _day(meta.date) <= latest:
        return PageDates(metadata=PageDate(meta.date, "page metadata", "page_metadata"))
    lines = visible_lines(tree)
    line = dateline(tree, lines, headline or meta.title, latest)
    if line is not None:
        return PageDates(dateline=line)
    guess = find_date(tree, url=meta.url, extensive_search=True, original_date=True, max_date=latest.isoformat())
    if guess and (found := date.fromisoformat(guess[:10])) <= latest:
        reason = _backing(found, lines, tree, meta.url)
        if reason is not None:
            return PageDates(text_search=PageDate(guess[:10], f"htmldate's search of the page, backed by {reason}", "text_search"))
    return PageDates()


def _day(value: str) -> date:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value[:10])


def visible_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """The page's own text as a reader sees it, one line per block (paragraph, heading, list item,
    table cell, division ...), whitespace collapsed: no scripts, styles, templates or comments,
    and no quoted material (blockquotes, figure captions)."""
    body = tree.find("body")
    root = body if body is not None else tree
    parts: list[str] = []
    hidden = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        skip = not isinstance(el.tag, str) or el.tag in _NOT_OWN_TEXT
        block = not skip and el.tag in _BLOCK_TAGS
        if event == "start":
            if skip:
                hidden += 1
            elif not hidden:
                parts.append("\n" if block else " ")
                parts.append(el.text or "")
            continue
        if skip:
            hidden -= 1
        if not hidden and el is not root:
            parts.append("\n" if block else " ")
            parts.append(el.tail or "")
    return [line for raw in "".join(parts).split("\n") if (line := " ".join(raw.split()))]


def dateline(tree: lxml.html.HtmlElement, lines: list[str], title: str | None, latest: date) -> PageDate | None:
    """A complete date on a short line of its own near the headline (a dateline, not a date inside
    a sentence): the first within DATELINE_AFTER characters from the headline on, else the nearest
    within DATELINE_BEFORE characters before it."""
    at = _headline_line(tree, lines, title)
    if at is None:
        return None
    found = None
    seen = 0
    for line in lines[at:]:
        if seen > DATELINE_AFTER:
            break
        if (found := _label_date(line, latest)) is not None:
            break
        seen += len(line)
    seen = 0
    for line in reversed(lines[:at] if found is None else []):
        seen += len(line)
        if seen > DATELINE_BEFORE:
            break
        if (found := _label_date(line, latest)) is not None:
            break
    if found is None:
        return None
    return PageDate(found.isoformat(), "the date written under the headline", "dateline")


def _label_date(line: str, latest: date) -> date | None:
    """The date a short line states (a dateline or a date label), or None."""
    if len(line) > DATELINE_MAX_LINE:
        return None
    days = [d for _, d in written_dates(line) if d <= latest]
    return days[0] if days else None


def _headline_line(tree: lxml.html.HtmlElement, lines: list[str], title: str | None) -> int | None:
    """The line holding the headline (the first <h1>, else the metadata title)."""
    candidates = [" ".join(h1.text_content().split()) for h1 in tree.iter("h1")][:1]
    if title:
        candidates.append(" ".join(title.split()))
    for headline in candidates:
        if len(headline) < 8:
            continue
        for i, line in enumerate(lines):
            if headline in line:
                return i
    return None


def _backing(found: date, lines: list[str], tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """What else says the page was published on `found`, or None."""
    if any(_label_date(line, found) == found for line in lines):
        return "the same date on a line of its own in the page"
    metas = " ; ".join(str(m.get("content")) for m in tree.iterfind(".//meta[@content]"))
    if any(d == found for _, d in written_dates(metas)):
        return "the same date in the page's <meta> tags"
    if url and (found.month, found.day) != (1, 1):
        months = {(int(y), int(m)) for y, m in _URL_MONTH.findall(url)}
        if (found.year, found.month) in months:
            return "the year and month in the URL"
    return None


def latest_day(fetched_at: datetime | None, today: date | None = None) -> date:
    """The last possible publication day: the crawl's (or today's) plus one for time zones."""
    base = fetched_at.date() if fetched_at is not None else (today or date.today())
    return base + timedelta(days=1)
