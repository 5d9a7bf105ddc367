"""HTML to main text and page metadata with trafilatura (pure: a string in, a record out)."""

from __future__ import annotations

from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document


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
        captions=figure_captions(html),
    )


def figure_captions(html: str) -> tuple[str, ...]:
    """Texts of the page's <figcaption> elements (photo captions), whitespace tidied."""
    try:
        tree = lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return ()
    out = []
    for node in tree.iter("figcaption"):
        text = " ".join(node.text_content().split())
        if text and text not in out:
            out.append(text)
    return tuple(out)
