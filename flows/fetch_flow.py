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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.task_runners import ThreadPoolTaskRunner

from collect.crawl import COUNT_KEYS, PASSING_FAILURES, crawl_source
from collect.sources import Source, load_sources
from collect.warc_writer import WarcArchive
from flows.outcomes import failed
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
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # per source
    failures: dict[str, str] = field(default_factory=dict)  # per failed source: why


_RUNS: dict[str, _FetchRun] = {}


@task(name="fetch-source", cache_policy=NO_CACHE, retries=0)
def fetch_source(run_id: str, source_id: str) -> dict[str, int] | State[Any]:
    """One source: its feeds, sitemaps and new pages; one lake commit of its log and state. The
    task ends Failed, with the reason, when no feed or sitemap answered or every page failed."""
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
        run.failures[source_id] = f"{type(err).__name__}: {err}"
        return failed(f"source {source_id} failed: {run.failures[source_id]}")
    run.store.commit(crawl.log_rows, crawl.state_rows, crawl.reject_rows)
    for note in crawl.unique_notes()[:20]:
        logger.warning("source %s: %s", source_id, note)
    c = crawl.counts
    logger.info(
        "source %s: %d listings ok, %d not modified, %d failed; %d entries; pages: %d fetched, %d unchanged (304), "
        "%d already stored, %d deferred, %d refused, %d failed; %d requests",
        source_id, c["listings_ok"], c["listings_not_modified"], c["listings_failed"], c["entries"], c["pages_fetched"],
        c["pages_not_modified"], c["pages_skipped"], c["pages_deferred"], c["pages_refused"], c["pages_failed"], c["requests"],
    )
    run.counts[source_id] = dict(c)
    why = crawl.failure()
    if why is not None:
        run.failures[source_id] = why
        return failed(f"source {source_id} failed: {why}")
    return dict(c)


def failure_message(failures: dict[str, str]) -> str:
    """'sources failed: a (why); b (why)' for runs.message, the flow's state and the command line."""
    return "sources failed: " + "; ".join(f"{sid} ({why})" for sid, why in failures.items())


@flow(
    name="news-etl-fetch",
    task_runner=ThreadPoolTaskRunner(max_workers=1),  # type: ignore[arg-type]  # prefect infers ThreadPoolTaskRunner[Never]
    log_prints=False,
)
def fetch_flow(sources_file: str, data_dir: str, run_id: str, only: str | None = None) -> dict[str, Any] | State[Any]:
    """Collect new pages from the sources file's feeds and sitemaps into DATA_DIR/raw/<run_id>.warc.gz.
    Ends Failed (with the summary as its data) when a source failed; the others' pages are in the WARC."""
    started = time.monotonic()
    sources = load_sources(sources_file, only)
    paths = LakePaths(Path(data_dir))
    warc_path = paths.raw_dir / f"{run_id}.warc.gz"
    totals = dict.fromkeys(COUNT_KEYS, 0)
    with LakeWriter(paths) as writer, WarcArchive(warc_path) as archive:
        writer.start_run(run_id, "fetch", {"sources_file": sources_file, "source": only, "warc": str(warc_path)})
        deadline = started + min((s.limits.run_timeout for s in sources), default=0.0)
        run = _RUNS[run_id] = _FetchRun({s.id: s for s in sources}, FetchStateStore(writer), archive, deadline)
        try:
            futures = {s.id: fetch_source.submit(run_id, s.id) for s in sources}
            for sid, fut in futures.items():
                fut.wait()
                if fut.state.is_failed() and sid not in run.failures:  # ended by Prefect, not by us
                    run.failures[sid] = fut.state.message or "the task failed"
            for counts in run.counts.values():
                for key, value in counts.items():
                    totals[key] = totals.get(key, 0) + int(value)
            totals["source_errors"] = len(run.failures)
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
            "failed" if run.failures else "completed",
            {"inputs": failed_pages, "rejects": failed_pages, "articles_new": 0, "articles_updated": 0, "duplicates": 0},
            failure_message(run.failures) if run.failures else json.dumps(totals),
        )
        pages = archive.pages
    if archive.records == 0:
        warc_path.unlink(missing_ok=True)
    summary = {
        "run_id": run_id,
        "warc": str(warc_path) if warc_path.exists() else None,
        "pages": pages,
        "counts": totals,
        "sources": len(sources),
        "failed": dict(run.failures),
        "seconds": time.monotonic() - started,
    }
    if run.failures:  # the night's other sources still land: the caller loads the WARC
        return failed(failure_message(run.failures), summary)
    return summary
