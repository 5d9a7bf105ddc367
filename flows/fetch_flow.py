"""The fetch flow: feeds and sitemaps -> new article pages -> WARC (DATA_DIR/raw/<run_id>.warc.gz).

One coarse Prefect task per source (sources run one after another, so the total concurrency bound
holds); inside a task one asyncio loop fetches the source's feeds and sitemaps, then the pages
they list that are not stored yet (or that the feed says changed), through flows/http_client.py.
Each source ends with one lake commit of its fetch log, fetch state and rejects, so an
interrupted run keeps what finished. Articles are not built here: the CLI loads the WARC through
the ordinary load flow afterwards, so a fetch and an offline replay of its WARC give the same
articles.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.http_client import RETRY_STATUSES, Fetcher, FetchResult, ResponseRecord
from flows.sources import Source, load_sources
from flows.warc_writer import WarcArchive
from transforms.feeds import FeedEntry, FeedError, parse_feed
from warehouse.fetch_state import FetchStateStore, PageState, Validators
from warehouse.lake import LakeWriter
from warehouse.paths import LakePaths

# failures worth another run: no answer, a refused connection, 429 and 5xx (the statuses retried within a run)
PASSING_FAILURES = ("timeout", "connect_error", *sorted(f"http_{status}" for status in RETRY_STATUSES))

def pages_to_fetch_again(store: FetchStateStore, source: Source) -> dict[str, PageState]:
    """Pages fetched whatever their feed says: those an earlier run fetched but never loaded, and
    those that failed for a passing reason in at most `retry_runs` runs."""
    return {
        **store.failed_pages(source.id, PASSING_FAILURES, source.limits.retry_runs),
        **store.pending_pages(source.id),
    }


COUNT_KEYS = (
    "listings_ok", "listings_not_modified", "listings_failed", "entries",
    "pages_fetched", "pages_not_modified", "pages_skipped", "pages_deferred", "pages_refused", "pages_failed",
    "requests", "source_errors",
)


@dataclass
class SourceCrawl:
    """What one source's crawl produced: rows for the lake and counts for the summary."""

    source_id: str
    run_id: str
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    state_rows: list[dict[str, Any]] = field(default_factory=list)
    reject_rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    notes: list[str] = field(default_factory=list)

    def log(self, res: FetchResult, *, outcome: str | None = None, reason: str | None = None, error: str | None = None) -> None:
        self.log_rows.append(
            {
                "run_id": self.run_id,
                "source_id": self.source_id,
                "url": res.url,
                "final_url": res.final_url,
                "kind": res.kind,
                "status": res.status,
                "outcome": outcome or res.outcome,
                "reason": reason or res.reason,
                "error": (error or res.error or None) and str(error or res.error)[:500],
                "attempts": res.attempts,
                "bytes": len(res.body) if res.body is not None else None,
                "fetched_at": res.fetched_at,
            }
        )

    def state(self, res: FetchResult, *, outcome: str, changed_at: datetime | None = None, final_url: str | None = None,
              etag: str | None = None, last_modified: str | None = None) -> None:
        self.state_rows.append(
            {
                "url": res.url,
                "source_id": self.source_id,
                "kind": res.kind,
                "final_url": final_url or res.final_url,
                "status": res.status,
                "outcome": outcome,
                "reason": res.reason,
                "etag": etag if etag is not None else res.header("etag"),
                "last_modified": last_modified if last_modified is not None else res.header("last-modified"),
                "changed_at": changed_at,
                "fetched_at": res.fetched_at,
                "run_id": self.run_id,
            }
        )

    def reject(self, res: FetchResult) -> None:
        self.reject_rows.append(
            {
                "input_ref": res.url,
                "reason": res.reason or "fetch_failed",
                "detail": (res.error or "the page could not be fetched")[:500],
                "run_id": self.run_id,
                "rejected_at": res.fetched_at,
            }
        )


def _changed(entry: FeedEntry, state: PageState) -> bool:
    """Does the feed say a stored page changed since we fetched it?"""
    new = entry.changed_at
    return new is not None and (state.changed_at is None or new > state.changed_at)


async def _listings(f: Fetcher, source: Source, validators: dict[str, Validators], crawl: SourceCrawl) -> dict[str, FeedEntry]:
    entries: dict[str, FeedEntry] = {}
    queue = [(u, "feed") for u in source.feeds] + [(u, "sitemap") for u in source.sitemaps]
    done: set[str] = set()
    followed = 0
    while queue:
        batch = [(u, k) for u, k in queue if u not in done]
        done.update(u for u, _ in batch)
        queue = []

        async def one(url: str, kind: str) -> FetchResult:
            v = validators.get(url)
            return await f.fetch(url, kind, etag=v.etag if v else None, last_modified=v.last_modified if v else None)

        results = await asyncio.gather(*(one(u, k) for u, k in batch))
        for res in results:
            if res.outcome == "not_modified":
                crawl.counts["listings_not_modified"] += 1
                crawl.log(res)
                continue
            if not res.ok or res.body is None:
                crawl.counts["listings_failed"] += 1
                crawl.log(res)
                continue
            try:
                parsed = parse_feed(res.body, res.final_url, res.charset)
            except FeedError as err:
                crawl.counts["listings_failed"] += 1
                crawl.log(res, outcome="failed", reason=err.reason, error=err.detail)
                crawl.notes.append(f"{res.url}: {err.detail}")
                continue
            crawl.counts["listings_ok"] += 1
            crawl.log(res, error="; ".join(parsed.notes) or None)
            crawl.state(res, outcome="ok")
            for entry in parsed.entries:
                known = entries.get(entry.url)
                if known is None or (known.changed_at is None and entry.changed_at is not None):
                    entries[entry.url] = entry
            oldest = datetime.min.replace(tzinfo=UTC)
            # news sites list hundreds of sitemaps, oldest first: follow the most recently changed
            for child in sorted(parsed.sitemaps, key=lambda e: e.changed_at or oldest, reverse=True):
                if followed < source.limits.max_sitemaps and child.url not in done:
                    followed += 1
                    queue.append((child.url, "sitemap"))
    return entries


async def crawl_source(
    source: Source,
    validators: dict[str, Validators],
    seen: dict[str, PageState],
    on_response: Callable[[ResponseRecord], None] | None,
    run_id: str,
    *,
    pending: dict[str, PageState] | None = None,
) -> SourceCrawl:
    """Fetch one source's feeds and sitemaps, then the pages they list that are new or changed,
    plus `pending` pages (fetched by an earlier run that never reached its load step)."""
    crawl = SourceCrawl(source.id, run_id)
    async with Fetcher(source, on_response) as f:
        entries = await _listings(f, source, validators, crawl)
        for url, st in (pending or {}).items():
            entries.setdefault(url, FeedEntry(url, None, None, st.changed_at))
        crawl.counts["entries"] = len(entries)
        todo: list[tuple[FeedEntry, PageState | None]] = []
        for url, entry in entries.items():
            state = seen.get(url)
            if state is not None and not _changed(entry, state):
                crawl.counts["pages_skipped"] += 1
                continue
            todo.append((entry, state))
        oldest = datetime.min.replace(tzinfo=UTC)
        todo.sort(key=lambda t: t[0].changed_at or oldest, reverse=True)  # newest first
        crawl.counts["pages_deferred"] = max(0, len(todo) - source.limits.max_pages)
        todo = todo[: source.limits.max_pages]

        async def one(entry: FeedEntry, state: PageState | None) -> FetchResult:
            return await f.fetch(
                entry.url, "page", etag=state.etag if state else None, last_modified=state.last_modified if state else None
            )

        results = await asyncio.gather(*(one(e, s) for e, s in todo))
        for (entry, state), res in zip(todo, results, strict=True):
            crawl.log(res)
            res.body = None  # the WARC has it; keep memory flat on large runs
            if res.outcome == "ok":
                crawl.counts["pages_fetched"] += 1
                crawl.state(res, outcome="ok", changed_at=entry.changed_at)
            elif res.outcome == "not_modified" and state is not None:
                crawl.counts["pages_not_modified"] += 1
                crawl.state(res, outcome="ok", changed_at=entry.changed_at, final_url=state.final_url,
                            etag=state.etag, last_modified=state.last_modified)
            else:
                crawl.counts["pages_refused" if res.outcome == "refused" else "pages_failed"] += 1
                crawl.state(res, outcome=res.outcome, changed_at=entry.changed_at)
                crawl.reject(res)
        crawl.counts["requests"] = f.requests
        crawl.notes.extend(f.notes)
    return crawl


# -- Prefect ---------------------------------------------------------------------------------


@dataclass
class _FetchRun:
    sources: dict[str, Source]
    store: FetchStateStore
    archive: WarcArchive


_RUNS: dict[str, _FetchRun] = {}


@task(name="fetch-source", cache_policy=NO_CACHE, retries=0)
def fetch_source(run_id: str, source_id: str) -> dict[str, int]:
    """One source: its feeds, sitemaps and new pages; one lake commit of its log and state."""
    run = _RUNS[run_id]
    source = run.sources[source_id]
    logger = get_run_logger()
    try:
        store = run.store
        crawl = asyncio.run(
            crawl_source(
                source, store.validators(source_id), store.seen_pages(source_id), run.archive.write, run_id,
                pending=pages_to_fetch_again(store, source),
            )
        )
    except Exception as err:  # noqa: BLE001  # one broken source must not end the run for the others
        logger.error("source %s failed: %s\n%s", source_id, err, traceback.format_exc(limit=5))
        return {"source_errors": 1}
    run.store.commit(crawl.log_rows, crawl.state_rows, crawl.reject_rows)
    for note in crawl.notes[:20]:
        logger.warning("source %s: %s", source_id, note)
    c = crawl.counts
    logger.info(
        "source %s: %d listings ok, %d not modified, %d failed; %d entries; pages: %d fetched, %d unchanged (304), "
        "%d already stored, %d deferred, %d refused, %d failed; %d requests",
        source_id, c["listings_ok"], c["listings_not_modified"], c["listings_failed"], c["entries"], c["pages_fetched"],
        c["pages_not_modified"], c["pages_skipped"], c["pages_deferred"], c["pages_refused"], c["pages_failed"], c["requests"],
    )
    return dict(c)


@flow(
    name="news-etl-fetch",
    task_runner=ThreadPoolTaskRunner(max_workers=1),  # type: ignore[arg-type]  # prefect infers ThreadPoolTaskRunner[Never]
    log_prints=False,
)
def fetch_flow(sources_file: str, data_dir: str, run_id: str, only: str | None = None) -> dict[str, Any]:
    """Collect new pages from the sources file's feeds and sitemaps into DATA_DIR/raw/<run_id>.warc.gz."""
    started = time.monotonic()
    sources = load_sources(sources_file, only)
    paths = LakePaths(Path(data_dir))
    warc_path = paths.raw_dir / f"{run_id}.warc.gz"
    totals = dict.fromkeys(COUNT_KEYS, 0)
    with LakeWriter(paths) as writer, WarcArchive(warc_path) as archive:
        writer.start_run(run_id, "fetch", {"sources_file": sources_file, "source": only, "warc": str(warc_path)})
        _RUNS[run_id] = _FetchRun({s.id: s for s in sources}, FetchStateStore(writer), archive)
        try:
            futures = [fetch_source.submit(run_id, s.id) for s in sources]
            for fut in futures:
                for key, value in fut.result().items():
                    totals[key] = totals.get(key, 0) + int(value)
        except BaseException as err:
            writer.finish_run(run_id, "failed", {}, f"{type(err).__name__}: {err}")
            raise
        finally:
            _RUNS.pop(run_id, None)
        failed_pages = totals["pages_refused"] + totals["pages_failed"]
        # the fetch run's own inputs are the pages that never reached the load step (its rejects);
        # fetched pages are counted by the load run that reads the WARC
        writer.finish_run(
            run_id,
            "completed",
            {"inputs": failed_pages, "rejects": failed_pages, "articles_new": 0, "articles_updated": 0, "duplicates": 0},
            json.dumps(totals),
        )
        pages = archive.pages
    if archive.records == 0:
        warc_path.unlink(missing_ok=True)
    return {
        "run_id": run_id,
        "warc": str(warc_path) if warc_path.exists() else None,
        "pages": pages,
        "counts": totals,
        "sources": len(sources),
        "seconds": time.monotonic() - started,
    }
