"""Fetch throughput against a local site: pages/s with the per-host delay set to zero.

    .venv/bin/python -m bench.fetch_bench [--pages 400] [--per-host 1 4 8]

The site (tests/fixtures/site/server.py, a threaded http.server) runs in a child process so it
does not share the GIL with the client. Each round fetches robots.txt, one RSS feed listing N
article pages and the N pages through collect/http_client.py and collect/crawl.crawl_source,
appending every response to a WARC file, exactly as `news-etl fetch` does (without Prefect and
without the lake commit).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from collect.crawl import crawl_source
from collect.sources import Source
from collect.warc_writer import WarcArchive
from core.settings import Limits
from tests.fixtures.site.server import Site, SiteServer

SITE_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "site"


def _serve(n_pages: int, queue: Any, stop: Any) -> None:
    pages = [(SITE_DIR / "news" / f"{i}.html").read_bytes() for i in range(1, 6)]
    site = Site()
    for i in range(n_pages):
        body = pages[i % 5].replace(b"<h1>", f"<h1>[{i}] ".encode())
        site.extra[f"/bench/{i}.html"] = lambda body=body: (200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def feed() -> tuple[int, dict[str, str], bytes]:
        items = "".join(f"<item><title>{i}</title><link>{site.base}/bench/{i}.html</link></item>" for i in range(n_pages))
        return 200, {"Content-Type": "application/rss+xml"}, f"<rss><channel>{items}</channel></rss>".encode()

    site.extra["/bench-feed.xml"] = feed
    with SiteServer(site) as srv:
        queue.put(srv.site.base)
        stop.wait()


def run_round(base: str, n_pages: int, per_host: int, workdir: Path, no: int = 0) -> tuple[float, int, int]:
    limits = Limits(user_agent="news-etl-bench/1.0", delay=0.0, per_host=per_host, concurrency=max(per_host, 8), max_pages=n_pages)
    source = Source(
        id="bench", name="Bench", language="ar", homepage=base + "/", feeds=(base + "/bench-feed.xml",), sitemaps=(),
        allowed_domains=("127.0.0.1",), allow_private_addresses=True, limits=limits,
    )
    warc = workdir / f"bench-{no}-{per_host}.warc.gz"
    with WarcArchive(warc) as archive:
        started = time.perf_counter()
        crawl = asyncio.run(crawl_source(source, {}, {}, archive.write, "bench"))
        seconds = time.perf_counter() - started
    return seconds, crawl.counts["pages_fetched"], warc.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--per-host", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    stop = ctx.Event()
    proc = ctx.Process(target=_serve, args=(args.pages, queue, stop), daemon=True)
    proc.start()
    try:
        base = queue.get(timeout=30)
        with tempfile.TemporaryDirectory() as tmp:
            run_round(base, 20, 2, Path(tmp))  # warm-up
            print(f"fetch bench: {args.pages} pages from a local site, delay 0, WARC written (server in a child process)")
            for no, per_host in enumerate(args.per_host, 1):
                seconds, pages, size = run_round(base, args.pages, per_host, Path(tmp), no)
                print(
                    f"  per_host={per_host:<3d} {pages} pages in {seconds:6.2f}s = {pages / seconds:7.1f} pages/s"
                    f"  (WARC {size / 1e6:.1f} MB)"
                )
    finally:
        stop.set()
        proc.join(timeout=5)


if __name__ == "__main__":
    main()
