"""One source's crawl without Prefect: incremental choice of pages, the WARC it writes and how
that WARC reads back, and the fetch state kept in a real DuckLake on disk."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from collect.crawl import PASSING_FAILURES, crawl_source
from collect.inputs import Rejected
from collect.sources import Source
from collect.warc import read_warc
from collect.warc_writer import WarcArchive
from core.settings import Limits
from flows.fetch_flow import pages_to_fetch_again
from tests.fixtures.site.server import SITE, Site, SiteServer
from transforms.pipeline import transform_document
from transforms.records import RawDocument
from warehouse.fetch_state import FetchStateStore, PageState
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

FAST = Limits(user_agent="news-etl-test/1.0", delay=0.0, backoff=0.05, read_timeout=0.5, retries=2, max_bytes=1_000_000)


def _source(srv: SiteServer, feed: str, limits: Limits = FAST) -> Source:
    return Source(
        id="testsite", name="Test Site", language="ar", homepage=srv.url("/"), feeds=(srv.url(feed),), sitemaps=(),
        allowed_domains=("127.0.0.1",), allow_private_addresses=True, limits=limits,
    )


def _small_feed(site: Site) -> None:
    def feed() -> tuple[int, dict[str, str], bytes]:
        items = "".join(
            f"<item><link>{site.base}/news/{i}.html</link><pubDate>{d}</pubDate></item>"
            for i, d in ((1, "Fri, 13 Nov 2026 08:30:00 +0000"), (2, "Sat, 14 Nov 2026 08:30:00 +0000"), (3, ""))
        ) + f"<item><link>{site.base}/flaky.html</link></item><item><link>{site.base}/news/cp1256.html</link></item>"
        return 200, {"Content-Type": "application/rss+xml"}, f"<rss><channel>{items}</channel></rss>".encode()

    site.extra["/small-feed.xml"] = feed


def test_only_new_or_changed_pages_are_fetched(tmp_path: Path) -> None:
    site = Site()
    _small_feed(site)
    with SiteServer(site) as srv:
        seen = {
            # same date as the feed: unchanged, not fetched
            srv.url("/news/1.html"): PageState(srv.url("/news/1.html"), datetime(2026, 11, 13, 8, 30, tzinfo=UTC), None, None),
            # the feed's date is newer: changed, fetched again
            srv.url("/news/2.html"): PageState(srv.url("/news/2.html"), datetime(2026, 11, 1, tzinfo=UTC), '"v1"', None),
            # stored, the feed gives no date: not fetched
            srv.url("/news/3.html"): PageState(srv.url("/news/3.html"), None, None, None),
        }
        crawl = asyncio.run(crawl_source(_source(srv, "/small-feed.xml"), {}, seen, None, "run-1"))
    asked = site.paths()
    assert "/news/1.html" not in asked and "/news/3.html" not in asked
    assert asked.count("/news/2.html") == 1
    assert [h.headers.get("if-none-match") for h in site.hits if h.path == "/news/2.html"] == ['"v1"']
    assert crawl.counts["pages_skipped"] == 2 and crawl.counts["pages_fetched"] == 3
    states = {r["url"].removeprefix(site.base): r for r in crawl.state_rows}
    assert states["/news/2.html"]["changed_at"] == datetime(2026, 11, 14, 8, 30, tzinfo=UTC)
    assert states["/small-feed.xml"]["kind"] == "feed"


def test_max_pages_takes_the_newest_first() -> None:
    site = Site()
    _small_feed(site)
    with SiteServer(site) as srv:
        crawl = asyncio.run(crawl_source(_source(srv, "/small-feed.xml", replace(FAST, max_pages=1)), {}, {}, None, "r"))
    assert crawl.counts["pages_fetched"] == 1 and crawl.counts["pages_deferred"] == 4
    assert [p for p in site.paths() if p.startswith("/news/")] == ["/news/2.html"]


def test_warc_holds_every_response_and_replays_only_pages(tmp_path: Path) -> None:
    site = Site()
    _small_feed(site)
    warc = tmp_path / "raw" / "run.warc.gz"
    with SiteServer(site) as srv, WarcArchive(warc) as archive:
        crawl = asyncio.run(crawl_source(_source(srv, "/small-feed.xml"), {}, {}, archive.write, "run"))
        base = srv.site.base
    assert crawl.counts["pages_fetched"] == 5
    # robots + feed + 5 pages + the 500 that flaky.html answered first
    assert archive.records == 8 and archive.pages == 5
    docs = [d for d in read_warc(warc)]
    assert not [d for d in docs if isinstance(d, Rejected)]
    raws = [d for d in docs if isinstance(d, RawDocument)]
    assert sorted(d.input_ref.removeprefix(base) for d in raws) == [
        "/flaky.html", "/news/1.html", "/news/2.html", "/news/3.html", "/news/cp1256.html",
    ]
    assert {(d.source_id, d.outlet) for d in raws} == {("testsite", "Test Site")}
    assert all(d.fetched_at is not None and d.url == d.input_ref for d in raws)
    cp = next(d for d in raws if d.input_ref.endswith("cp1256.html"))
    result = transform_document(cp)
    assert result.article is not None, result.reject
    assert (result.article.title or "").startswith("صفحة بترميز ويندوز العربي")


def test_fetch_state_store_in_a_real_lake(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    now = datetime(2026, 11, 22, tzinfo=UTC)

    def state(url: str, kind: str, outcome: str, reason: str | None = None, etag: str | None = None) -> dict[str, object]:
        return {
            "url": url, "source_id": "s", "kind": kind, "final_url": url, "status": 200, "outcome": outcome, "reason": reason,
            "etag": etag, "last_modified": None, "changed_at": None, "fetched_at": now, "run_id": "r1",
        }

    log = {
        "run_id": "r1", "source_id": "s", "url": "http://x/a", "final_url": "http://x/a", "kind": "page", "status": 200,
        "outcome": "ok", "reason": None, "error": None, "attempts": 1, "bytes": 10, "fetched_at": now,
    }
    reject = {"input_ref": "http://x/c", "reason": "timeout", "detail": "no answer", "run_id": "r1", "rejected_at": now}
    with LakeWriter(paths) as writer:
        store = FetchStateStore(writer)
        store.commit(
            [log],
            [
                state("http://x/a", "page", "ok"),
                state("http://x/b", "page", "refused", "too_large"),
                state("http://x/c", "page", "failed", "timeout"),
                state("http://x/feed", "feed", "ok", etag='"e1"'),
            ],
            [reject],
        )
        # a is fetched but not loaded yet (killed run): fetched again; b is refused for good
        assert set(store.seen_pages("s")) == {"http://x/b"}
        assert set(store.pending_pages("s")) == {"http://x/a"}
        writer.con.execute(
            "INSERT INTO article_inputs VALUES ('id1', 'http://x/a', 's', 'http://x/a', 'h', 'stored', 'r1', ?)", [now]
        )
        assert set(store.seen_pages("s")) == {"http://x/a", "http://x/b"}
        assert store.pending_pages("s") == {}
        assert store.validators("s")["http://x/feed"].etag == '"e1"'
        # state is replaced per URL, the log is appended
        store.commit([log], [state("http://x/feed", "feed", "ok", etag='"e2"')], [])
        assert store.validators("s")["http://x/feed"].etag == '"e2"'
        assert writer.con.execute("SELECT count(*) FROM fetch_state WHERE url = 'http://x/feed'").fetchone() == (1,)
        assert writer.con.execute("SELECT count(*) FROM fetch_log").fetchone() == (2,)
        assert writer.con.execute("SELECT reason FROM rejects").fetchall() == [("timeout",)]


def test_pages_of_a_run_killed_before_loading_are_fetched_even_when_the_feed_is_unchanged() -> None:
    site = Site()
    _small_feed(site)
    site.extra["/small-feed.xml"] = lambda: (304, {}, b"")
    with SiteServer(site) as srv:
        pending = {srv.url("/news/4.html"): PageState(srv.url("/news/4.html"), None, None, None)}
        crawl = asyncio.run(crawl_source(_source(srv, "/small-feed.xml"), {}, {}, None, "r", pending=pending))
    assert crawl.counts["listings_not_modified"] == 1
    assert crawl.counts["pages_fetched"] == 1 and "/news/4.html" in site.paths()


def test_pages_that_failed_for_a_passing_reason_are_tried_in_later_runs(tmp_path: Path) -> None:
    site = Site()
    asked: dict[str, int] = {"/down.html": 0, "/recovers.html": 0, "/missing.html": 0}
    feed_changed = [True]

    def feed() -> tuple[int, dict[str, str], bytes]:
        if not feed_changed[0]:
            return 304, {}, b""
        items = "".join(f"<item><link>{site.base}{p}</link></item>" for p in asked)
        return 200, {"Content-Type": "application/rss+xml"}, f"<rss><channel>{items}</channel></rss>".encode()

    def page(path: str, answer: Callable[[int], int]) -> Callable[[], tuple[int, dict[str, str], bytes]]:
        def handler() -> tuple[int, dict[str, str], bytes]:
            asked[path] += 1
            status = answer(asked[path])
            body = (SITE / "news" / "2.html").read_bytes() if status == 200 else b"<html><body>no</body></html>"
            return status, {"Content-Type": "text/html; charset=utf-8"}, body
        return handler

    site.extra["/retry-feed.xml"] = feed
    site.extra["/down.html"] = page("/down.html", lambda n: 503)  # never comes back
    site.extra["/recovers.html"] = page("/recovers.html", lambda n: 200 if n > 3 else 502)  # up in the second run
    site.extra["/missing.html"] = page("/missing.html", lambda n: 404)  # lasting: never asked again
    paths = LakePaths(tmp_path / "data")
    with SiteServer(site) as srv, LakeWriter(paths) as writer:
        store = FetchStateStore(writer)
        source = _source(srv, "/retry-feed.xml", replace(FAST, retry_runs=1))

        def run(run_id: str) -> dict[str, int]:
            crawl = asyncio.run(crawl_source(
                source, store.validators(source.id), store.seen_pages(source.id), None, run_id,
                pending=pages_to_fetch_again(store, source),
            ))
            store.commit(crawl.log_rows, crawl.state_rows, crawl.reject_rows)
            return crawl.counts

        first = run("r1")
        assert first["pages_failed"] == 3 and asked == {"/down.html": 3, "/recovers.html": 3, "/missing.html": 1}
        feed_changed[0] = False  # the feed answers 304 from now on: only the retries are fetched
        second = run("r2")
        assert second["listings_not_modified"] == 1
        assert second["pages_fetched"] == 1 and second["pages_failed"] == 1
        assert asked == {"/down.html": 6, "/recovers.html": 4, "/missing.html": 1}
        # retry_runs=1: /down.html failed in two runs and is given up; /recovers.html is fetched
        assert set(store.failed_pages(source.id, PASSING_FAILURES, 1)) == set()
        assert set(store.failed_pages(source.id, PASSING_FAILURES, 2)) == {srv.url("/down.html")}
        run("r3")
        assert asked["/down.html"] == 6 and asked["/missing.html"] == 1
