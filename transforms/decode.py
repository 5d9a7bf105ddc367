"""Bytes to text: BOMs, declared charsets, UTF-8, windows-1256; binary input refused."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)["']""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Arabic letters in windows-1256 occupy 0xC1-0xFE; Latin-1 text rarely looks like that.
_ARABIC_1256 = re.compile(rb"[\xc1-\xfe]")
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


class DecodeError(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str


def normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset a document declares about itself (HTML meta or XML declaration)."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return normalise_charset(match.group(1).decode("ascii", "replace")) if match else None


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # bytes < 9 or 13 < b < 32
    return controls / len(sample) > 0.05


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, header_charset: str | None = None) -> Decoded:
    """Decode a document. Order: BOM, valid UTF-8, the header's charset, the document's own
    declaration, windows-1256 for Arabic single-byte text. A UTF-8 page served with a wrong
    header decodes as UTF-8 because UTF-8 validity is checked before trusting the header."""
    if not data.strip():
        raise DecodeError("empty", "the input has no content")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text = _try(data, enc)
            if text is not None:
                return Decoded(text, enc)
    if looks_binary(data):
        raise DecodeError("binary", "the input looks like binary data, not text or HTML")
    text = _try(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8")
    candidates = [normalise_charset(header_charset), declared_charset(data)]
    for candidate in candidates:
        if candidate and candidate != "utf-8":
            text = _try(data, candidate)
            if text is not None:
                return Decoded(text, candidate)
    if len(_ARABIC_1256.findall(data[:8192])) > 0:
        text = _try(data, "cp1256")
        if text is not None:
            return Decoded(text, "cp1256")
    raise DecodeError("undecodable", "the bytes are neither UTF-8 nor a declared or Arabic charset")
