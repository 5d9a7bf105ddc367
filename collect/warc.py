"""WARC files: read HTTP response records back as RawDocuments (offline replay of a fetch)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from collect.inputs import Rejected, too_many_lines
from collect.reading import DECOMPRESS_ERRORS, InputRefused, damaged, open_input, read_capped
from core.settings import InputBudget
from transforms.records import RawDocument

HTML_TYPES = ("text/html", "application/xhtml+xml")
# what warcio raises on damaged input
WARCIO_ERRORS = (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError, KeyError, IndexError, zlib.error)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _record_id(record: ArcWarcRecord) -> str:
    return record.rec_headers.get_header("WARC-Record-ID") or "?"


def _document(path: Path, record: ArcWarcRecord, budget: InputBudget) -> RawDocument | Rejected | None:
    """The article page in a record, or None for records that are not article pages; a body over
    the budget (after its Content-Encoding is undone) or one that cannot be decoded is a reject."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or f"{path}#{record.rec_headers.get_header('WARC-Record-ID')}"
    status = record.http_headers.get_statuscode()
    ctype = record.http_headers.get_header("Content-Type") or ""
    if status != "200" or ctype.split(";")[0].strip().lower() not in HTML_TYPES:
        return None
    if (record.rec_headers.get_header("WARC-News-Etl-Kind") or "page") != "page":
        return None  # our own fetch archive: feeds, sitemaps and robots.txt are not articles
    date = record.rec_headers.get_header("WARC-Date")
    try:
        fetched = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else None
    except ValueError:
        fetched = None
    try:
        body = read_capped(record.content_stream(), budget.max_document_bytes, "the record's body")
    except InputRefused as err:
        return Rejected(uri, err.reason, err.detail)
    except DECOMPRESS_ERRORS as err:
        return Rejected(uri, "unreadable", damaged(err, "record's compressed body").detail)
    return RawDocument(
        input_ref=uri,
        content=body,
        media_type="html",
        source_id=record.rec_headers.get_header("WARC-Source-Id"),
        url=uri if uri.startswith(("http://", "https://")) else None,
        fetched_at=fetched.astimezone(UTC) if fetched else None,
        charset=_charset(ctype),
        outlet=record.rec_headers.get_header("WARC-Outlet"),
    )


def read_warc(path: Path, root: str = "", budget: InputBudget | None = None) -> Iterator[RawDocument | Rejected]:
    """HTML responses with status 200 become documents; other records are not inputs. A file cut
    short ends with one `bad_warc` reject (the records before the cut are kept); so does one with
    more records than the budget's max_lines_per_file (`too_many_lines`)."""
    budget = budget or InputBudget()
    with open_input(str(path), root, budget) as fh:
        try:
            records = ArchiveIterator(fh)
            end = 0
            for count, record in enumerate(records, start=1):
                if count > budget.max_lines_per_file:
                    refused = too_many_lines(path, count, budget, "records")
                    assert refused.refusal is not None
                    yield Rejected(refused.ref.replace("#L", "#record"), *refused.refusal)
                    return
                doc = _document(path, record, budget)
                while record.raw_stream.read(1 << 16):  # drain, so a short record is noticed
                    pass
                declared = (record.rec_headers.get_header("Content-Length") or "").strip()
                if not declared.isdigit() or getattr(record.raw_stream, "limit", 0) > 0:
                    yield Rejected(str(path), "bad_warc", f"the WARC file is truncated inside record {_record_id(record)}")
                    return
                records.read_to_end(record)
                end = records.get_record_offset() + records.get_record_length()
                if doc is not None:
                    yield doc
            size = os.fstat(fh.fileno()).st_size
            slack = 0 if path.name.lower().endswith(".gz") else 4  # an uncompressed record's final CRLFs may stay unread
            if size - end > slack:
                yield Rejected(str(path), "bad_warc", f"the WARC file ends with {size - end} bytes that are not a complete record")
        except WARCIO_ERRORS as err:
            yield Rejected(str(path), "bad_warc", f"the WARC file is damaged or truncated: {err}"[:500])
