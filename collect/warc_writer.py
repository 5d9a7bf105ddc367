"""Append every HTTP response of a fetch run to DATA_DIR/raw/<run_id>.warc.gz (warcio).

Each response is one gzip member (a WARC `response` record), written and flushed as it arrives,
so a killed run leaves a readable archive of everything fetched so far. Extra WARC headers:

    WARC-Source-Id        the source id from the sources file (articles.source_id on replay)
    WARC-Outlet           the source's name (articles.outlet on replay)
    WARC-News-Etl-Kind    robots | feed | sitemap | page (replay loads only pages)

Bodies are stored decoded (Content-Encoding removed, Content-Length set to the stored length),
so any WARC tool reads them as plain HTTP responses.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from types import TracebackType

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from collect.http_client import ResponseRecord


def _ascii(value: str) -> str:
    return value.encode("ascii", "backslashreplace").decode("ascii")


class WarcArchive:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "ab")  # noqa: SIM115  # closed in close()
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()
        self.records = 0
        self.pages = 0  # page responses with status 200

    def write(self, rec: ResponseRecord) -> None:
        http_headers = StatusAndHeaders(
            f"{rec.status} {rec.reason_phrase}".strip(),
            [(_ascii(k), _ascii(v)) for k, v in rec.headers],
            protocol=rec.http_version.upper(),
        )
        record = self._writer.create_warc_record(
            rec.url,
            "response",
            payload=io.BytesIO(rec.body),
            length=len(rec.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": datetime_to_iso_date(rec.fetched_at),
                "WARC-Source-Id": rec.source_id,
                "WARC-Outlet": _ascii(rec.outlet),
                "WARC-News-Etl-Kind": rec.kind,
            },
        )
        with self._lock:
            self._writer.write_record(record)
            self._fh.flush()
            self.records += 1
            if rec.kind == "page" and rec.status == 200:
                self.pages += 1

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
