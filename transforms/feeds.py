"""Feeds and sitemaps: bytes in, the article URLs they list out. Pure (no I/O).

Handles RSS 2.0 / 0.9x, RSS 1.0 (RDF), Atom, sitemaps (urlset, Google News sitemaps) and sitemap
indexes. Real-world breakage is tolerated: wrong encoding declarations (the bytes are decoded
with transforms.decode first), HTML entities such as &nbsp; that XML does not define, bare '&',
unparseable dates (kept as None with a note), entries without a link (skipped with a note).

Refused with FeedError: documents that declare entities (<!ENTITY ...>: "billion laughs" and
external-entity attacks), documents that are not XML feeds, empty input. The parser never
resolves entities, never loads a DTD and never touches the network.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from transforms.decode import DecodeError, decode_bytes


class FeedError(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None  # lastmod / atom:updated: when the page last changed

    @property
    def changed_at(self) -> datetime | None:
        return self.updated or self.published


@dataclass(slots=True)
class ParsedFeed:
    kind: str  # rss | rdf | atom | urlset | sitemapindex
    entries: list[FeedEntry] = field(default_factory=list)
    sitemaps: list[FeedEntry] = field(default_factory=list)  # children of a sitemap index
    notes: list[str] = field(default_factory=list)  # tolerated problems (bad dates, missing links)


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_NAMED_REF = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_BARE_AMP = re.compile(r"&(?!#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]{1,31};)")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_MAX_ERRORS_NOTED = 5


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, recover=True
    )


def _named_ref(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    code = html.entities.name2codepoint.get(name)
    return f"&#{code};" if code is not None else ""  # unknown entity: dropped


def _clean_xml(text: str) -> str:
    text = _XML_DECL.sub("", text, count=1)
    text = _NAMED_REF.sub(_named_ref, text)
    return _BARE_AMP.sub("&amp;", text)


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 / W3C (Atom, sitemaps) or a bare date; None if unparseable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if not 1900 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return str(etree.QName(tag).localname).lower()


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if _local(child) in names:
            return child
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


class _Builder:
    def __init__(self, kind: str, base_url: str | None) -> None:
        self.feed = ParsedFeed(kind)
        self.base_url = base_url
        self.seen: set[str] = set()

    def date(self, value: str | None, what: str) -> datetime | None:
        parsed = parse_date(value)
        if value and parsed is None and len(self.feed.notes) < _MAX_ERRORS_NOTED:
            self.feed.notes.append(f"unparseable {what} date {value[:60]!r}")
        return parsed

    def add(self, link: str | None, title: str | None, published: str | None, updated: str | None, *, index: bool = False) -> None:
        if not link:
            if len(self.feed.notes) < _MAX_ERRORS_NOTED:
                self.feed.notes.append(f"an entry without a link was skipped (title {(title or '')[:60]!r})")
            return
        url = urljoin(self.base_url, link.strip()) if self.base_url else link.strip()
        if url in self.seen:
            return
        self.seen.add(url)
        entry = FeedEntry(url, title, self.date(published, "published"), self.date(updated, "updated"))
        (self.feed.sitemaps if index else self.feed.entries).append(entry)


def _rss_link(item: etree._Element) -> str | None:
    link = _text(_child(item, "link"))
    if link:
        return link
    guid = _child(item, "guid")
    text = _text(guid)
    if guid is not None and text and guid.get("isPermaLink", "true").lower() != "false" and text.startswith(("http://", "https://")):
        return text
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return about or None


def _atom_link(entry: etree._Element) -> str | None:
    best: str | None = None
    for link in entry:
        if _local(link) != "link" or not link.get("href"):
            continue
        rel = link.get("rel", "alternate")
        if rel == "alternate" and link.get("type", "text/html") in ("text/html", "application/xhtml+xml"):
            return str(link.get("href"))
        if rel == "alternate" and best is None:
            best = str(link.get("href"))
    return best


def parse_feed(data: bytes, base_url: str | None = None, header_charset: str | None = None) -> ParsedFeed:
    """Parse a feed or sitemap. Raises FeedError(reason, detail) for refused or unusable input;
    reasons: empty, undecodable, xml_entities, bad_xml, not_a_feed."""
    if _ENTITY_DECL.search(data):
        raise FeedError("xml_entities", "the document declares XML entities (possible XML bomb or external entity); refused")
    try:
        decoded = decode_bytes(data, header_charset)
    except DecodeError as err:
        raise FeedError(err.reason, err.detail) from None
    text = _clean_xml(decoded.text)
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as err:
        raise FeedError("bad_xml", f"not parseable as XML: {err}") from None
    if root is None:
        raise FeedError("bad_xml", "not parseable as XML")
    kind = _local(root)
    if kind in {"rss", "rdf"}:
        b = _Builder("rss" if kind == "rss" else "rdf", base_url)
        for item in root.iter():
            if _local(item) == "item":
                b.add(
                    _rss_link(item),
                    _text(_child(item, "title")),
                    _text(_child(item, "pubdate", "date", "published")),
                    _text(_child(item, "updated", "modified")),
                )
    elif kind == "feed":
        b = _Builder("atom", base_url)
        for entry in root:
            if _local(entry) == "entry":
                b.add(
                    _atom_link(entry),
                    _text(_child(entry, "title")),
                    _text(_child(entry, "published", "issued")),
                    _text(_child(entry, "updated", "modified")),
                )
    elif kind == "urlset":
        b = _Builder("urlset", base_url)
        for url in root:
            if _local(url) != "url":
                continue
            news = _child(url, "news")
            published = _text(_child(news, "publication_date")) if news is not None else None
            title = _text(_child(news, "title")) if news is not None else None
            b.add(_text(_child(url, "loc")), title, published, _text(_child(url, "lastmod")))
    elif kind == "sitemapindex":
        b = _Builder("sitemapindex", base_url)
        for sm in root:
            if _local(sm) == "sitemap":
                b.add(_text(_child(sm, "loc")), None, None, _text(_child(sm, "lastmod")), index=True)
    else:
        raise FeedError("not_a_feed", f"the document is <{kind or '?'}>, not RSS, Atom or a sitemap")
    return b.feed
