"""HTML to main text and page metadata with trafilatura (pure: a string in, a record out)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document
from trafilatura.utils import load_html

from transforms.page_meta import PageDates, latest_day, page_dates, page_meta

_STATUS = re.compile(r"(?:twitter|x)\.com/\w+/status(?:es)?/\d+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HtmlExtraction:
    text: str
    title: str | None
    author: str | None
    dates: PageDates  # publication-date candidates (transforms/page_meta.py)
    sitename: str | None
    categories: tuple[str, ...]
    description: str | None
    language: str | None
    url: str | None
    captions: tuple[str, ...] = ()  # <figcaption> texts: trafilatura drops them from the main text
    tweet_urls: tuple[str, ...] = ()  # status links inside embedded-tweet blockquotes, page order
    path: str = "fast"  # the trafilatura pass the text comes from: fast | fast_recall | full (main_text)


TextPath = Literal["fast", "fast_recall", "full"]
RecallMode = Literal["gated", "always", "never"]


def extract_html(
    html: str,
    url: str | None = None,
    *,
    fallback: bool = False,
    gate: bool = True,
    recall: RecallMode = "gated",
    fetched_at: datetime | None = None,
) -> HtmlExtraction | None:
    """Main text of an HTML page, or None when the page has no extractable text.

    The page is parsed once (trafilatura's own loader, so the main text sees the same tree as a
    bare `trafilatura.extract` call); the metadata we store, the captions and the tweet links are
    read from that tree first (transforms/page_meta.py, cheap sources only), then trafilatura
    extracts the main text from it without its own metadata pass (it works on a copy, so the
    tree is never changed under us). Comments are excluded (they are not the article). How the
    text is chosen: `main_text`. `fetched_at`: the crawl time; no publication date after it is
    believed."""
    tree = parse_tree(html)
    if tree is None:
        return None
    meta = page_meta(tree, url)
    captions, tweets = figure_captions(tree), tweet_status_urls(tree)
    doc, path = main_text(tree, url or meta.url, fallback=fallback, gate=gate, recall=recall)
    if doc is None or not (doc.text or "").strip():
        return None
    return HtmlExtraction(
        text=doc.text or "",
        title=meta.title,
        author=meta.author,
        dates=page_dates(tree, meta, latest_day(fetched_at)),
        sitename=meta.sitename,
        categories=meta.categories,
        description=meta.description,
        language=meta.language,
        url=meta.url or url,
        captions=captions,
        tweet_urls=tweets,
        path=path,
    )


def main_text(
    tree: lxml.html.HtmlElement, url: str | None, *, fallback: bool = False, gate: bool = True, recall: RecallMode = "gated"
) -> tuple[Document | None, TextPath]:
    """trafilatura's main text of a page, and which pass gave it.

    1. trafilatura's fast mode (its own extractor, baseline rescue and recall retry).
    2. Where that covers under RECALL_PAGE_SHARE of the page's visible text, or has few blocks,
       fast mode again favouring recall (it keeps tables, lists and the later sections of long
       guides that the balanced setting drops); its text is taken when it is at least
       RECALL_MIN_GAIN times as long (a few more lines are datelines and page furniture).
    3. Where the result still looks incomplete (`looks_incomplete`), the full cascade with the
       readability/jusText comparison; its text is taken unless what it adds does not read as
       article text (`adds_prose`).

    `fallback=True` (config `load.html_fallback`) takes the full cascade alone; `gate=False` never
    runs it; `recall` "always"/"never" replaces step 2 by a single fast pass favouring recall or
    not (measurements: docs/extraction.md, "Main text: which trafilatura pass")."""
    if fallback:
        return run_trafilatura(tree, url, fast=False), "full"
    measured: list[int] = []

    def page_length() -> int:
        if not measured:
            measured.append(visible_length(tree))
        return measured[0]

    doc = run_trafilatura(tree, url, fast=True, recall=recall == "always")
    path: TextPath = "fast_recall" if recall == "always" else "fast"
    if recall == "gated" and looks_incomplete(doc, tree, share=RECALL_PAGE_SHARE, page_length=page_length):
        more = run_trafilatura(tree, url, fast=True, recall=True)
        if more is not None and finds_more((doc.text or "") if doc else "", more.text or ""):
            doc, path = more, "fast_recall"
    if gate and looks_incomplete(doc, tree, page_length=page_length):
        full = run_trafilatura(tree, url, fast=False)
        if full is not None and (doc is None or adds_prose(doc.text or "", full.text or "")):
            doc, path = full, "full"
    return doc, path


def run_trafilatura(tree: lxml.html.HtmlElement, url: str | None, *, fast: bool, recall: bool = False) -> Document | None:
    """trafilatura on a parsed page, comments excluded, tables kept."""
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        fast=fast,
        favor_recall=recall,
    )
    return doc if isinstance(doc, Document) else None


# Fast mode is run again favouring recall where the first pass covers under RECALL_PAGE_SHARE of
# the page's visible text (or has few blocks), and its text taken when RECALL_MIN_GAIN times as
# long. Measured on AEB and WCXB (docs/extraction.md): 0.5-0.8 and 1.3-1.5 are within 0.0015.
RECALL_PAGE_SHARE = 0.6
RECALL_MIN_GAIN = 1.3
# The gate: the fast result looks incomplete when its text is under GATE_PAGE_SHARE of the page's
# visible text, or it has fewer than GATE_MIN_BLOCKS text blocks (paragraphs, headings, list items,
# quotes). Measured on AEB and WCXB together (docs/extraction.md): the comparison then runs on
# 11-20% of pages; 0.2-0.5 and 3-8 give the same F1 within 0.0015 on both corpora.
GATE_PAGE_SHARE = 0.3
GATE_MIN_BLOCKS = 5
# The comparison's text is declined when fewer than this share of the lines it adds to the fast
# text end a sentence: teasers cut mid-sentence or ending "…", repeated banners, bullet stubs.
ACCEPT_SENTENCE_SHARE = 0.25
_BLOCKS = ("p", "head", "item", "quote")
_INVISIBLE = ("script", "style", "noscript", "template")
_SENTENCE_END = re.compile(r"[.!?؟。！？:\"”’»)\]]$")


def finds_more(first_text: str, recall_text: str) -> bool:
    """Whether the recall pass found RECALL_MIN_GAIN times the first pass's text (a missed
    section), not just a few more lines (a dateline, page furniture)."""
    return bool(recall_text.strip()) and len(recall_text) >= RECALL_MIN_GAIN * len(first_text)


def looks_incomplete(
    doc: Document | None,
    tree: lxml.html.HtmlElement,
    *,
    share: float = GATE_PAGE_SHARE,
    page_length: Callable[[], int] | None = None,
) -> bool:
    """Whether trafilatura's result may have missed the article: no text, fewer than
    GATE_MIN_BLOCKS blocks, or under `share` of the page's visible text (`page_length`, when the
    caller has it, else measured here)."""
    if doc is None or doc.body is None or not (doc.text or "").strip():
        return True
    if sum(1 for _ in doc.body.iter(*_BLOCKS)) < GATE_MIN_BLOCKS:
        return True
    return len(doc.text or "") < share * (page_length() if page_length is not None else visible_length(tree))


def visible_length(tree: lxml.html.HtmlElement) -> int:
    """About how many characters of text the page shows (whitespace collapsed, scripts and styles
    left out): a cheap stand-in for trafilatura's html2txt (a sixth of its cost)."""
    body = tree.find("body")
    root = body if body is not None else tree
    hidden = sum(
        len(" ".join(el.text_content().split()))
        for el in root.iter(*_INVISIBLE)
        if not any(a.tag in _INVISIBLE for a in el.iterancestors())
    )
    return max(0, len(" ".join(root.text_content().split())) - hidden)


def adds_prose(fast_text: str, full_text: str) -> bool:
    """Whether the lines the full cascade adds to the fast text read as article text: at least
    ACCEPT_SENTENCE_SHARE of them end a sentence (an ellipsis does not). Nothing added: yes."""
    known = {line.strip() for line in fast_text.split("\n") if line.strip()}
    flat = " ".join(fast_text.split())
    added = [
        line
        for raw in full_text.split("\n")
        if (line := raw.strip()) and line not in known and " ".join(line.split()) not in flat
    ]
    if not added:
        return True
    ended = sum(1 for line in added if _SENTENCE_END.search(line) and not line.endswith(("...", "…")))
    return ended >= ACCEPT_SENTENCE_SHARE * len(added)


def parse_tree(html: str) -> lxml.html.HtmlElement | None:
    """The page as trafilatura parses it (encoding repair, dubious-HTML checks), or None."""
    try:
        tree = load_html(html)
    except (ParserError, ValueError, TypeError):
        return None
    return tree if isinstance(tree, lxml.html.HtmlElement) else None


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
