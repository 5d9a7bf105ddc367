"""Hostile servers: a fetch stays within its time and memory whatever a site sends.

Every case runs against a real HTTP server on 127.0.0.1 (tests/fixtures/site/server.py), inside a
forked child whose address space is capped (tests/watchdog.py), so a body decoded without bound
would fail the test with a MemoryError instead of eating the machine's memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from collect.http_client import ROBOTS_MAX_BYTES, Fetcher, ResponseRecord
from collect.sources import Source
from core.settings import Limits
from tests.fixtures.site.server import SiteServer
from tests.watchdog import in_child

LIMITS = Limits(
    user_agent="news-etl-test/1.0 (+mailto:tests@example.org)", delay=0.0, backoff=0.05, connect_timeout=2.0,
    read_timeout=1.0, response_timeout=1.5, retries=1, max_bytes=1_000_000,
)


@pytest.fixture
def server() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        yield srv


def _source(srv: SiteServer, limits: Limits = LIMITS) -> Source:
    return Source(
        id="testsite", name="Test Site", language="ar", homepage=srv.url("/"), feeds=(), sitemaps=(),
        allowed_domains=("127.0.0.1",), allow_private_addresses=True, limits=limits,
    )


def _fetch(src: Source, urls: list[tuple[str, str]], deadline_in: float | None = None) -> list[tuple[object, ...]]:
    """Fetch in this (child) process; the results as plain tuples, with the archived records' kinds."""
    records: list[ResponseRecord] = []

    async def go() -> list[tuple[object, ...]]:
        deadline = time.monotonic() + deadline_in if deadline_in is not None else None
        async with Fetcher(src, records.append, deadline=deadline) as f:
            got = await asyncio.gather(*(f.fetch(u, k) for u, k in urls))
            notes = list(f.notes)
        return [(r.outcome, r.reason, len(r.body or b""), r.attempts, r.error, notes) for r in got]

    started = time.monotonic()
    out = asyncio.run(go())
    return [(*row, time.monotonic() - started, [r.kind for r in records]) for row in out]


def test_a_server_that_drips_one_byte_at_a_time_is_cut_at_the_response_deadline(server: SiteServer) -> None:
    server.site.drip_seconds = 0.1  # each byte well inside read_timeout: only the response deadline can stop it
    [(outcome, reason, size, attempts, error, _, seconds, kinds)] = in_child(
        _fetch, _source(server), [(server.url("/drip.html"), "page")], memory_mb=1024, seconds=30
    )
    assert (outcome, reason, size, attempts) == ("failed", "too_slow", 0, 1), error
    assert "response_timeout" in str(error)
    assert seconds < 1.5 + 3  # one response deadline (not retried), plus robots.txt
    assert "page" not in kinds  # nothing half-received is archived


def test_a_gzip_of_gzip_bomb_is_refused_within_the_decoded_cap(server: SiteServer) -> None:
    [(outcome, reason, size, _, error, _, seconds, kinds)] = in_child(
        _fetch, _source(server), [(server.url("/gzip-bomb.html"), "page")], memory_mb=700, seconds=60
    )
    assert (outcome, reason, size) == ("refused", "too_large", 0), error
    assert "once decoded" in str(error)
    assert "page" not in kinds
    assert seconds < 10


def test_a_raw_deflate_bomb_is_refused_within_the_decoded_cap(server: SiteServer) -> None:
    [(outcome, reason, _, _, error, _, _, _)] = in_child(
        _fetch, _source(server), [(server.url("/deflate-bomb.html"), "page")], memory_mb=700, seconds=60
    )
    assert (outcome, reason) == ("refused", "too_large"), error


def test_stacked_encodings_under_the_cap_are_decoded(server: SiteServer) -> None:
    import gzip
    import zlib

    page = ("<html><body><p>" + "خبر مضغوط مرتين. " * 500 + "</p></body></html>").encode()
    server.site.extra["/twice.html"] = lambda: (
        200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "deflate, gzip"}, gzip.compress(zlib.compress(page))
    )
    [(outcome, _, size, _, error, _, _, _)] = in_child(_fetch, _source(server), [(server.url("/twice.html"), "page")])
    assert outcome == "ok" and size == len(page), error


def test_an_unknown_encoding_fails_instead_of_storing_compressed_bytes(server: SiteServer) -> None:
    server.site.extra["/br.html"] = lambda: (200, {"Content-Type": "text/html", "Content-Encoding": "br"}, b"\x8b\x02\x80")
    [(outcome, reason, *_)] = in_child(_fetch, _source(server), [(server.url("/br.html"), "page")])
    assert (outcome, reason) == ("failed", "unsupported_encoding")


def test_robots_txt_is_parsed_from_its_first_500_kib(server: SiteServer) -> None:
    padding = "# " + "x" * 98 + "\n"
    server.site.robots = (
        "User-agent: *\nDisallow: /private/\n" + padding * (ROBOTS_MAX_BYTES // len(padding) + 100) + "Disallow: /\n"
    )
    page, secret = in_child(
        _fetch, _source(server), [(server.url("/news/1.html"), "page"), (server.url("/private/secret.html"), "page")]
    )
    assert page[0] == "ok", page  # the host is not refused; the Disallow past 500 KiB does not apply
    assert (secret[0], secret[1]) == ("refused", "robots_disallowed")
    assert any("longer than 500 KiB" in note for note in page[5])  # type: ignore[attr-defined]  # notes: a list


def test_a_robots_txt_that_drips_means_nothing_is_fetched_from_the_host(server: SiteServer) -> None:
    server.site.drip_robots = True
    server.site.drip_seconds = 0.05
    [(outcome, reason, *_rest, seconds, _)] = in_child(_fetch, _source(server), [(server.url("/news/1.html"), "page")])
    assert (outcome, reason) == ("refused", "robots_unavailable")
    assert seconds < 1.5 * 2 + 3  # robots: response deadline, one retry


def test_a_host_gets_host_timeout_seconds_per_run(server: SiteServer) -> None:
    server.site.slow_seconds = 0.5
    limits = replace(LIMITS, host_timeout=1.2, per_host=1, read_timeout=2.0, response_timeout=2.0)
    urls = [(server.url(f"/slow.html?{i}"), "page") for i in range(8)]
    rows = in_child(_fetch, _source(server, limits), urls, seconds=60)
    reasons = [r[1] for r in rows]
    assert "host_deadline" in reasons, reasons
    assert max(r[6] for r in rows) < 1.2 + 2.0 + 1  # type: ignore[operator]  # seconds: a float
    assert all(r[4] and "host_timeout" in str(r[4]) for r in rows if r[1] == "host_deadline")


def test_nothing_starts_after_the_run_deadline(server: SiteServer) -> None:
    server.site.slow_seconds = 0.4
    limits = replace(LIMITS, per_host=1, read_timeout=2.0, response_timeout=2.0)
    urls = [(server.url(f"/slow.html?{i}"), "page") for i in range(6)]
    rows = in_child(_fetch, _source(server, limits), urls, 1.0, seconds=60)
    reasons = [r[1] for r in rows]
    assert "run_deadline" in reasons, reasons
    assert max(r[6] for r in rows) < 3  # type: ignore[operator]  # seconds: a float
