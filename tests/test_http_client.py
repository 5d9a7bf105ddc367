"""The polite HTTP client against a real threaded server on 127.0.0.1 (no Prefect, no lake)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from collect.http_client import Fetcher, FetchResult, ResponseRecord, _blocked_address, _retry_after
from collect.sources import Source
from core.settings import Limits
from tests.fixtures.site.server import Site, SiteServer

FAST = Limits(
    user_agent="news-etl-test/1.0 (+mailto:tests@example.org)",
    delay=0.0,
    backoff=0.05,
    connect_timeout=2.0,
    read_timeout=0.5,
    retries=2,
    max_bytes=1_000_000,
)


@pytest.fixture
def server() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        yield srv


def source(srv: SiteServer, *, private: bool = True, limits: Limits = FAST, domains: tuple[str, ...] = ("127.0.0.1",)) -> Source:
    return Source(
        id="testsite", name="Test Site", language="ar", homepage=srv.url("/"), feeds=(srv.url("/feed.xml"),),
        sitemaps=(), allowed_domains=domains, allow_private_addresses=private, limits=limits,
    )


def fetch_all(src: Source, urls: list[tuple[str, str]], records: list[ResponseRecord] | None = None) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(src, records.append if records is not None else None) as f:
            return list(await asyncio.gather(*(f.fetch(u, k) for u, k in urls)))

    return asyncio.run(go())


def test_page_is_fetched_with_our_user_agent_after_robots(server: SiteServer) -> None:
    records: list[ResponseRecord] = []
    [res] = fetch_all(source(server), [(server.url("/news/1.html"), "page")], records)
    assert res.ok and res.status == 200 and res.attempts == 1
    assert res.body is not None and "التحالف".encode() in res.body
    assert server.site.paths() == ["/robots.txt", "/news/1.html"]
    assert all(h.headers["user-agent"].startswith("news-etl-test/1.0") for h in server.site.hits)
    assert [(r.kind, r.status) for r in records] == [("robots", 200), ("page", 200)]


def test_500_then_200_is_retried(server: SiteServer) -> None:
    records: list[ResponseRecord] = []
    [res] = fetch_all(source(server), [(server.url("/flaky.html"), "page")], records)
    assert res.ok and res.attempts == 2
    assert [r.status for r in records if r.kind == "page"] == [500, 200]  # both responses archived


def test_429_waits_for_retry_after(server: SiteServer) -> None:
    [res] = fetch_all(source(server), [(server.url("/busy.html"), "page")])
    assert res.ok and res.attempts == 2
    first, second = server.site.times("/busy.html")
    assert second - first >= 0.95  # Retry-After: 1


def test_retry_after_longer_than_allowed_gives_up(server: SiteServer) -> None:
    server.site.extra["/later.html"] = lambda: (503, {"Retry-After": "3600"}, b"down")
    [res] = fetch_all(source(server), [(server.url("/later.html"), "page")])
    assert res.outcome == "failed" and res.reason == "http_503" and res.attempts == 1
    assert "Retry-After" in (res.error or "")


def test_timeout_is_retried_then_recorded(server: SiteServer) -> None:
    server.site.slow_seconds = 1.5
    started = time.monotonic()
    [res] = fetch_all(source(server), [(server.url("/slow.html"), "page")])
    assert res.outcome == "failed" and res.reason == "timeout" and res.attempts == 3
    assert server.site.counts["/slow.html"] == 3
    assert time.monotonic() - started < 5


def test_404_is_not_retried(server: SiteServer) -> None:
    [res] = fetch_all(source(server), [(server.url("/gone.html"), "page")])
    assert res.outcome == "failed" and res.reason == "http_404" and res.attempts == 1
    assert server.site.counts["/gone.html"] == 1


def test_connection_refused_is_retried_with_backoff() -> None:
    with SiteServer() as srv:
        src = source(srv)
        url = srv.url("/news/1.html")
    # the server is gone: nothing listens on the port any more
    started = time.monotonic()
    [res] = fetch_all(src, [(url, "robots")])
    assert res.outcome == "failed" and res.reason == "connect_error" and res.attempts == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # backoff 0.05, then 0.1 (plus jitter)


def test_redirect_loop_and_offsite_redirect_are_refused(server: SiteServer) -> None:
    loop, away = fetch_all(source(server), [(server.url("/loop-a.html"), "page"), (server.url("/away.html"), "page")])
    assert loop.outcome == "refused" and loop.reason == "redirect_loop"
    assert away.outcome == "refused" and away.reason == "offsite" and "elsewhere.example" in (away.error or "")
    assert "/page.html" not in server.site.paths()


def test_redirect_within_allowed_domains_is_followed(server: SiteServer) -> None:
    server.site.extra["/moved.html"] = lambda: (301, {"Location": "/news/2.html"}, b"")
    [res] = fetch_all(source(server), [(server.url("/moved.html"), "page")])
    assert res.ok and res.final_url == server.url("/news/2.html")


def test_huge_pages_are_refused(server: SiteServer) -> None:
    records: list[ResponseRecord] = []
    declared, streamed = fetch_all(
        source(server), [(server.url("/huge.html"), "page"), (server.url("/huge-stream.html"), "page")], records
    )
    assert declared.outcome == "refused" and declared.reason == "too_large" and "Content-Length" in (declared.error or "")
    assert streamed.outcome == "refused" and streamed.reason == "too_large"
    assert declared.body is None and streamed.body is None
    assert all(r.kind == "robots" for r in records)  # nothing oversized is archived


def test_non_html_and_bad_schemes_are_refused(server: SiteServer) -> None:
    pdf, ftp, js = fetch_all(
        source(server),
        [(server.url("/doc.pdf"), "page"), ("ftp://127.0.0.1/x.html", "page"), ("javascript:alert(1)", "page")],
    )
    assert pdf.outcome == "refused" and pdf.reason == "unsupported_content_type"
    assert ftp.reason == "bad_scheme" and js.reason == "bad_scheme"


def test_private_addresses_are_refused_unless_allowed(server: SiteServer) -> None:
    [res] = fetch_all(source(server, private=False), [(server.url("/news/1.html"), "page")])
    assert res.outcome == "refused" and res.reason == "private_address"
    assert server.site.paths() == []  # not even robots.txt was asked
    [res] = fetch_all(source(server, domains=("localhost",), private=False), [("http://localhost:1/x", "page")])
    assert res.reason == "private_address"


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True), ("169.254.169.254", True),  # cloud metadata
        ("100.100.100.200", True),  # shared address space (CGNAT; a cloud metadata address too)
        ("192.0.2.1", True), ("198.18.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
        ("::1", True), ("fe80::1%eth0", True), ("::ffff:127.0.0.1", True), ("fd00::1", True),
        ("8.8.8.8", False), ("151.101.1.69", False), ("2001:4860:4860::8888", False),
    ],
)
def test_only_public_unicast_addresses_pass(address: str, blocked: bool) -> None:
    assert _blocked_address(address) is blocked


def test_address_connected_to_is_checked_again(server: SiteServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name passes the check before the request (here: the check is made to
    answer "fine", as a public first answer would) but resolves to 127.0.0.1 when connecting. The
    connection is refused there, before anything is sent: the server never sees the request."""

    async def public(self: Fetcher, host: str, port: int) -> str | None:
        return None

    monkeypatch.setattr(Fetcher, "_address_problem", public)
    records: list[ResponseRecord] = []
    [res] = fetch_all(source(server, private=False), [(server.url("/news/1.html"), "page")], records)
    assert res.outcome == "refused" and res.reason == "private_address", res
    assert "127.0.0.1" in (res.error or "") and res.body is None
    assert records == []
    assert server.site.paths() == []  # not even robots.txt was asked


def test_robots_disallow_is_honoured(server: SiteServer) -> None:
    [res] = fetch_all(source(server), [(server.url("/private/secret.html"), "page")])
    assert res.outcome == "refused" and res.reason == "robots_disallowed"
    assert "/private/secret.html" not in server.site.paths()


def test_robots_5xx_means_nothing_is_fetched(server: SiteServer) -> None:
    server.site.extra["/robots.txt"] = lambda: (503, {}, b"down")
    [res] = fetch_all(source(server, limits=replace(FAST, retries=0)), [(server.url("/news/1.html"), "page")])
    assert res.outcome == "refused" and res.reason == "robots_unavailable"
    assert "/news/1.html" not in server.site.paths()


def test_robots_is_fetched_once_and_crawl_delay_paces_requests() -> None:
    site = Site(robots="User-agent: *\nCrawl-delay: 0.3\nDisallow: /private/\n")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async def go(src: Source, urls: list[str]) -> list[FetchResult]:
        async with Fetcher(src, sleep=sleep) as f:
            return list(await asyncio.gather(*(f.fetch(u, "page") for u in urls)))

    with SiteServer(site) as srv:
        urls = [srv.url(f"/news/{i}.html") for i in (1, 2, 3)]
        results = asyncio.run(go(source(srv, limits=replace(FAST, per_host=4, concurrency=4)), urls))
    assert all(r.ok for r in results)
    assert site.paths().count("/robots.txt") == 1
    # three pages asked at once: the 2nd waits 0.3 s, the 3rd 0.6 s (the 1st goes at once)
    paced = sorted(w for w in waits if w > 0.05)
    assert len(paced) == 2 and 0.2 <= paced[0] <= 0.31 and 0.5 <= paced[1] <= 0.61, waits
    pages = sorted(h.at for h in site.hits if h.path.startswith("/news/"))
    assert pages[-1] - pages[0] >= 0.45


def test_per_host_limit_bounds_concurrency() -> None:
    site = Site()
    active = 0
    peak = 0
    lock = __import__("threading").Lock()

    def slowish() -> tuple[int, dict[str, str], bytes]:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.3)
        with lock:
            active -= 1
        return 200, {"Content-Type": "text/html"}, b"<html><body><p>ok</p></body></html>"

    for i in range(8):
        site.extra[f"/p{i}.html"] = slowish
    with SiteServer(site) as srv:
        urls = [(srv.url(f"/p{i}.html"), "page") for i in range(8)]
        results = fetch_all(source(srv, limits=replace(FAST, per_host=2, concurrency=8)), urls)
    assert all(r.ok for r in results)
    assert peak == 2


def test_conditional_get_sends_validators(server: SiteServer) -> None:
    async def go() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(source(server)) as f:
            first = await f.fetch(server.url("/feed.xml"), "feed")
            second = await f.fetch(server.url("/feed.xml"), "feed", etag=first.header("etag"))
            return first, second

    first, second = asyncio.run(go())
    assert first.ok and first.header("etag")
    assert second.outcome == "not_modified" and second.status == 304


def test_retry_after_parsing() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 10) == pytest.approx(10.0)
