"""The few page metadata fields we store, read cheaply from an already-parsed HTML tree (pure).

trafilatura's `with_metadata=True` also runs an XPath author search over a pruned deep copy of the
page, category/tag link searches and a licence search: about 2.5 s per 181 AEB pages, two thirds
of a bare `extract`. We store only title, date, site name, author (byline), section, URL and
language, so we take them from the cheap sources trafilatura itself reads first, in its order:
<meta> tags (og:, article:, name=, itemprop=), JSON-LD, the canonical link, <title>/<h1>, and
htmldate on the same tree for the publication date (structured dates only). The section falls
back to `<meta property="article:section">` / `name~=subject` (trafilatura's own fallback).
Nothing here mutates the tree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import lxml.html
from htmldate import find_date
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document

LOGGER = logging.getLogger(__name__)

# structured dates only: the extensive search guesses (a caption's "2020" became 2020-01-01)
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None
    author: str | None
    date: str | None  # ISO date from htmldate (structured sources only)
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
    meta.date = find_date(tree, url=meta.url, **DATE_PARAMS)
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
