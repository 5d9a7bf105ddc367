"""WARC files: read HTTP response records back as RawDocuments (offline replay of a fetch)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from collect.inputs import Rejected
from transforms.records import RawDocument

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _record_id(record: ArcWarcRecord) -> str:
    return record.rec_headers.get_header("WARC-Record-ID") or "?"


def _document(path: Path, record: ArcWarcRecord) -> RawDocument | None:
    """The article page in a record, or None for records that are not article pages."""
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
    fetched = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else None
    return RawDocument(
        input_ref=uri,
        content=record.content_stream().read(),
        media_type="html",
        source_id=record.rec_headers.get_header("WARC-Source-Id"),
        url=uri if uri.startswith(("http://", "https://")) else None,
        fetched_at=fetched.astimezone(UTC) if fetched else None,
        charset=_charset(ctype),
        outlet=record.rec_headers.get_header("WARC-Outlet"),
    )


def read_warc(path: Path) -> Iterator[RawDocument | Rejected]:
    """HTML responses with status 200 become documents; other records are not inputs. A file cut
    short ends with one `bad_warc` reject (the records before the cut are kept)."""
    with open(path, "rb") as fh:
        try:
            records = ArchiveIterator(fh)
            end = 0
            for record in records:
                doc = _document(path, record)
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
            size = path.stat().st_size
            slack = 0 if path.name.lower().endswith(".gz") else 4  # an uncompressed record's final CRLFs may stay unread
            if size - end > slack:
                yield Rejected(str(path), "bad_warc", f"the WARC file ends with {size - end} bytes that are not a complete record")
        except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError, KeyError, IndexError) as err:  # warcio on damaged input
            yield Rejected(str(path), "bad_warc", f"the WARC file is damaged or truncated: {err}")
