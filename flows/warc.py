"""WARC files: read HTTP response records back as RawDocuments (offline replay of a fetch)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from flows.inputs import Rejected
from transforms.records import RawDocument

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def read_warc(path: Path, default_source: str | None) -> Iterator[RawDocument | Rejected]:
    """HTML responses with status 200 become documents; other records are not inputs."""
    with open(path, "rb") as fh:
        try:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI") or f"{path}#{record.rec_headers.get_header('WARC-Record-ID')}"
                status = record.http_headers.get_statuscode()
                ctype = record.http_headers.get_header("Content-Type") or ""
                if status != "200" or ctype.split(";")[0].strip().lower() not in HTML_TYPES:
                    continue
                if (record.rec_headers.get_header("WARC-News-Etl-Kind") or "page") != "page":
                    continue  # our own fetch archive: feeds, sitemaps and robots.txt are not articles
                date = record.rec_headers.get_header("WARC-Date")
                fetched = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else None
                source = record.rec_headers.get_header("WARC-Source-Id") or default_source
                yield RawDocument(
                    input_ref=uri,
                    content=record.content_stream().read(),
                    media_type="html",
                    source_id=source,
                    url=uri if uri.startswith(("http://", "https://")) else None,
                    fetched_at=fetched.astimezone(UTC) if fetched else None,
                    charset=_charset(ctype),
                    outlet=record.rec_headers.get_header("WARC-Outlet"),
                )
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as err:
            yield Rejected(str(path), "bad_warc", f"the WARC file is damaged or truncated: {err}")
