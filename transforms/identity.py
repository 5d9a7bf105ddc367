"""Stable ids: content hashes, article identities and safe source ids."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

# whitespace runs that collapsing \s+ to " " changes: every run but a lone " " (same result as
# substituting every run, without rewriting each single space)
_WS_TO_FIX = re.compile(r"\s(?:(?<=[^\S ])\s*|\s+)")
_SLUG_BAD = re.compile(r"[^a-z0-9_-]+")
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|amp)$")


def content_hash(body_search: str) -> str:
    """Hash of the normalised body with whitespace collapsed: equal for exact duplicates."""
    return hashlib.sha256(_WS_TO_FIX.sub(" ", body_search).strip().encode("utf-8")).hexdigest()[:32]


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = "&".join(
        q for q in parts.query.split("&") if q and not _TRACKING.match(q.split("=", 1)[0].lower())
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def article_identity(url: str | None, source_id: str, content_key: str) -> str:
    """What makes two inputs the same article: the canonical URL when there is one; otherwise
    the source plus a key of the content (a file has no stable identity of its own)."""
    if url:
        return "url:" + canonical_url(url)
    return f"content:{source_id}:{content_key}"


def article_id(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]


def text_ref(ref: str) -> str:
    """`ref` (a file name, a URL) as storable UTF-8 text: bytes of a file name that are not UTF-8
    (Linux allows any bytes) become \\xNN."""
    try:
        ref.encode("utf-8")
        return ref
    except UnicodeEncodeError:
        return ref.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe_source_id(value: str | None, default: str = "unknown") -> str:
    """A source id usable as a partition value: lower-case ASCII letters, digits, _ and -."""
    if not value:
        return default
    slug = _SLUG_BAD.sub("-", value.strip().lower()).strip("-")[:64]
    return slug or default
