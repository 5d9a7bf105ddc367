"""The load flow: local files -> transforms (process pool) -> one atomic lake commit per batch.

Thin orchestration only: planning is in flows/inputs.py, extraction in flows/extract.py (pure
transforms underneath), writing in warehouse/. Tasks are coarse (one per batch of hundreds of
documents) and exchange run ids and batch numbers, not article bodies.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import progress, resources
from flows.artifacts import publish_run_artifacts
from flows.extract import process_slice
from flows.inputs import InputUnit, discover, group_slices, plan_units
from warehouse.lake import BatchCounts, commit_counts_total
from warehouse.paths import LakePaths

Slice = tuple[InputUnit, ...]


@dataclass
class LoadSettings:
    batch_size: int = 400  # documents per commit
    docs_per_slice: int = 25  # documents per worker call
    workers: int = 2  # extraction processes (1 = in the flow process)
    source_id: str | None = None  # default source for inputs that do not name one


@dataclass
class LoadSummary:
    run_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    batches: int = 0
    message: str | None = None


def plan_batches(paths: list[str], settings: LoadSettings) -> list[list[Slice]]:
    files = discover(paths)
    batches: list[list[Slice]] = []
    current: list[Slice] = []
    size = 0
    for sl in group_slices(plan_units(files), settings.docs_per_slice):
        current.append(sl)
        size += sum(max(u.documents, 1) for u in sl)
        if size >= settings.batch_size:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def queue_batch(run_id: str, batch_no: int, slices: list[Slice], source_id: str | None) -> None:
    """Hand a batch's slices to the process pool now, without waiting: queued behind the batch
    being extracted, they start the moment a worker finishes its last slice of that batch."""
    res = resources.get(run_id)
    if res.pool is None:
        return
    futures = [res.pool.submit(process_slice, sl, source_id) for sl in slices]
    with res.lock:
        res.queued[batch_no] = futures


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(run_id: str, batch_no: int, slices: list[Slice], source_id: str | None) -> int:
    """Transform one batch in the process pool (slices queued by `queue_batch`, or queued here);
    results wait in the run's resources."""
    res = resources.get(run_id)
    if res.pool is None:
        results = [r for sl in slices for r in process_slice(sl, source_id)]
    else:
        with res.lock:
            futures = res.queued.pop(batch_no, None)
        if futures is None:
            futures = [res.pool.submit(process_slice, sl, source_id) for sl in slices]
        results = [r for fut in futures for r in fut.result()]
    with res.lock:
        res.extracted[batch_no] = results
    return len(results)


@task(name="commit-batch", cache_policy=NO_CACHE, retries=0)
def commit_batch(run_id: str, batch_no: int) -> dict[str, int]:
    """One atomic commit of one extracted batch."""
    res = resources.get(run_id)
    with res.lock:
        results = res.extracted.pop(batch_no)
    counts = res.writer.commit_batch(run_id, results, batch_no)
    get_run_logger().info(
        "batch %d committed: %d inputs -> %d new, %d updated, %d duplicates, %d rejects",
        batch_no, counts.inputs, counts.articles_new, counts.articles_updated, counts.duplicates, counts.rejects,
    )
    return asdict(counts)


@flow(name="news-etl-load", task_runner=cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=2)), log_prints=False)
def load_flow(paths: list[str], data_dir: str, run_id: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load local files (.txt .html .htm .jsonl .warc .warc.gz) into the lake."""
    cfg = LoadSettings(**(settings or {}))
    lake = LakePaths(data_dir=Path(data_dir))
    logger = get_run_logger()
    started = time.monotonic()
    batches = plan_batches(paths, cfg)
    logger.info("run %s: %d batches planned from %d path(s)", run_id, len(batches), len(paths))
    sizes = [sum(max(u.documents, 1) for sl in b for u in sl) for b in batches]  # for the progress bars
    progress.start("extracting", sum(sizes), "documents")
    progress.start("committing", sum(sizes), "documents")
    parts: list[BatchCounts] = []
    with resources.open_run(run_id, lake, cfg.workers) as res:
        res.writer.start_run(run_id, "load", {"paths": paths, **asdict(cfg)})
        try:
            pending: PrefectFuture[int] | Future[int] | None = None
            if batches:
                queue_batch(run_id, 0, batches[0], cfg.source_id)
                pending = extract_batch.submit(run_id, 0, batches[0], cfg.source_id)
            for no in range(len(batches)):
                assert pending is not None
                if no + 1 < len(batches):  # keep both workers busy across the batch boundary
                    queue_batch(run_id, no + 1, batches[no + 1], cfg.source_id)
                pending.result()
                progress.advance("extracting", sizes[no])
                pending = (
                    extract_batch.submit(run_id, no + 1, batches[no + 1], cfg.source_id)
                    if no + 1 < len(batches)
                    else None
                )
                parts.append(BatchCounts(**commit_batch(run_id, no)))
                progress.advance("committing", sizes[no])
        except BaseException as err:
            totals = commit_counts_total(parts)
            res.writer.finish_run(run_id, "failed", {**totals, "batches": len(parts)}, f"{type(err).__name__}: {err}")
            raise
        totals = commit_counts_total(parts)
        res.writer.finish_run(run_id, "completed", {**totals, "batches": len(parts)})
    summary = LoadSummary(run_id, "completed", totals, time.monotonic() - started, len(parts))
    logger.info(
        "run %s completed: %d inputs, %d new, %d updated, %d duplicates, %d rejects in %.1fs",
        run_id, totals.get("inputs", 0), totals.get("articles_new", 0), totals.get("articles_updated", 0),
        totals.get("duplicates", 0), totals.get("rejects", 0), summary.seconds,
    )
    publish_run_artifacts(data_dir, run_id, {"load": summary.seconds})
    return asdict(summary)
