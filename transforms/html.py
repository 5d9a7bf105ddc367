"""HTML to main text and page metadata with trafilatura (pure: a string in, a record out)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document

_STATUS = re.compile(r"(?:twitter|x)\.com/\w+/status(?:es)?/\d+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlExtraction:
    text: str
    title: str | None
    author: str | None
    date: str | None  # ISO date found by htmldate inside trafilatura, if any
    sitename: str | None
    categories: tuple[str, ...]
    description: str | None
    language: str | None
    url: str | None
    captions: tuple[str, ...] = ()  # <figcaption> texts: trafilatura drops them from the main text
    tweet_urls: tuple[str, ...] = ()  # status links inside embedded-tweet blockquotes, page order


def extract_html(html: str, url: str | None = None) -> HtmlExtraction | None:
    """Main text of an HTML page, or None when the page has no extractable text.

    Uses the same settings as a bare `trafilatura.extract` call for the main text so that our
    quality never falls below it; comments are excluded (they are not the article)."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        # structured dates only: the extensive search guesses (a caption's "2020" became 2020-01-01)
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        return None
    tree = parse_tree(html)
    return HtmlExtraction(
        text=doc.text or "",
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        sitename=doc.sitename or None,
        categories=tuple(doc.categories or ()),
        description=doc.description or None,
        language=doc.language or None,
        url=doc.url or url,
        captions=figure_captions(tree),
        tweet_urls=tweet_status_urls(tree),
    )


def parse_tree(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return None


def figure_captions(tree: lxml.html.HtmlElement | None) -> tuple[str, ...]:
    """Texts of the page's <figcaption> elements (photo captions), whitespace tidied."""
    if tree is None:
        return ()
    out: list[str] = []
    for node in tree.iter("figcaption"):
        text = " ".join(node.text_content().split())
        if text and text not in out:
            out.append(text)
    return tuple(out)


def tweet_status_urls(tree: lxml.html.HtmlElement | None) -> tuple[str, ...]:
    """The status URL of each embedded tweet (<blockquote class="twitter-tweet">), page order."""
    if tree is None:
        return ()
    out: list[str] = []
    for quote in tree.iter("blockquote"):
        if "twitter-tweet" not in (quote.get("class") or ""):
            continue
        links = [str(a.get("href")) for a in quote.iter("a") if _STATUS.search(str(a.get("href") or ""))]
        if links:
            out.append(links[-1])
    return tuple(out)
