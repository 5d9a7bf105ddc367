"""The fetch flow: feeds and sitemaps -> new article pages -> WARC (DATA_DIR/raw/<run_id>.warc.gz).

One coarse Prefect task per source (sources run one after another, so the total concurrency bound
holds); inside a task one asyncio loop crawls the source (collect/crawl.py). Each source ends with
one lake commit of its fetch log, fetch state and rejects, so an interrupted run keeps what
finished. Articles are not built here: the pages are loaded from the WARC through the ordinary
load flow afterwards (flows/jobs.py), so a fetch and an offline replay of its WARC give the same
articles.
"""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from collect.crawl import COUNT_KEYS, PASSING_FAILURES, crawl_source
from collect.sources import Source, load_sources
from collect.warc_writer import WarcArchive
from warehouse.fetch_state import FetchStateStore, PageState
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter


def pages_to_fetch_again(store: FetchStateStore, source: Source) -> dict[str, PageState]:
    """Pages fetched whatever their feed says: those an earlier run fetched but never loaded, and
    those that failed for a passing reason in at most `retry_runs` runs."""
    return {
        **store.failed_pages(source.id, PASSING_FAILURES, source.limits.retry_runs),
        **store.pending_pages(source.id),
    }




@dataclass
class _FetchRun:
    sources: dict[str, Source]
    store: FetchStateStore
    archive: WarcArchive
    deadline: float  # time.monotonic() when the run's time (the sources' smallest run_timeout) is up


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
                pending=pages_to_fetch_again(store, source), deadline=run.deadline,
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
        deadline = started + min((s.limits.run_timeout for s in sources), default=0.0)
        _RUNS[run_id] = _FetchRun({s.id: s for s in sources}, FetchStateStore(writer), archive, deadline)
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
