"""The load flow: local files -> transforms -> one atomic lake commit per batch.

One flow for both runners. By default extraction runs in a local process pool (flows/resources.py)
behind one `extract-batch` task per batch, on a thread-pool task runner; with
`settings.runner == "dask"` the flow is started as
`load_flow.with_options(task_runner=flows.dask_runner.task_runner(workers))` and each slice is an
`extract-slice` task on a Dask worker. Planning is collect.inputs (batches) and warehouse.ledger
(unchanged files), extraction collect.extract, writing warehouse/. Tasks are coarse and exchange
run ids, batch numbers and file references, not article bodies; the commit runs in the flow's
process, which holds the writer lock.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from collect.extract import UnitOutcome, crashed_unit, process_slice_counted, slice_outcomes, transform_options
from collect.inputs import Slice, discover, plan_batches
from core.settings import InputBudget, LoadSettings
from flows import resources
from flows.artifacts import publish_run_artifacts
from flows.plain_flow import plain_flow
from render import progress
from transforms.pipeline import TransformOptions
from transforms.records import DocumentResult
from warehouse.batch import BatchCounts, commit_counts_total
from warehouse.ledger import ledger_rows, run_totals, skip_unchanged
from warehouse.paths import LakePaths
from warehouse.report_queries import RunStats
from warehouse.writer import DataTestsFailed

SliceResult = tuple[list[DocumentResult], list[int]]


@dataclass
class LoadSummary:
    run_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    batches: int = 0
    message: str | None = None


# -- extraction: a process pool behind one task per batch, or one task per slice on Dask -------------


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(
    run_id: str, batch_no: int, slices: list[Slice], options: TransformOptions | None = None, budget: InputBudget | None = None
) -> int:
    """Transform one batch in the run's supervised pool (slices queued by `PoolExtraction.queue`,
    or queued here); results wait in the run's resources."""
    res = resources.get(run_id)
    budget = budget or InputBudget()
    if res.pool is None:
        done = [process_slice_counted(sl, options, budget) for sl in slices]
    else:
        with res.lock:
            futures = res.queued.pop(batch_no, None)
        if futures is None:
            futures = [res.pool.submit(sl, options, budget) for sl in slices]
        done = [fut.result() for fut in futures]
    results, outcomes = slice_outcomes(slices, done)
    with res.lock:
        res.extracted[batch_no] = results
        res.unit_outcomes[batch_no] = outcomes
    return len(results)


@task(name="extract-slice", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)  # a lost worker: the slice runs again
def extract_slice(sl: Slice, options: TransformOptions | None = None, budget: InputBudget | None = None) -> SliceResult:
    """Transform one slice of inputs on a Dask worker (it reads the files there). Dask cannot
    kill one task, so each document has a soft deadline (collect/deadline.py)."""
    return process_slice_counted(sl, options, budget or InputBudget(), soft_deadline=True)


class Extraction(Protocol):
    def queue(self, batch_no: int, slices: list[Slice]) -> None:
        """Hand a batch to the workers ahead of time, if they can take it (never waits)."""

    def start(self, batch_no: int, slices: list[Slice]) -> None:
        """Start extracting a batch."""

    def wait(self, batch_no: int) -> None:
        """Wait for a started batch; its results and unit outcomes then wait in the run's resources."""


class PoolExtraction:
    """The local supervised pool (default)."""

    def __init__(self, run_id: str, options: TransformOptions, budget: InputBudget) -> None:
        self.run_id, self.options, self.budget = run_id, options, budget
        self.pending: dict[int, PrefectFuture[int]] = {}

    def queue(self, batch_no: int, slices: list[Slice]) -> None:
        """Queued behind the batch being extracted, a batch's slices start the moment a worker
        finishes its last slice of that batch: the workers never idle at a batch boundary."""
        res = resources.get(self.run_id)
        if res.pool is None:
            return
        futures: list[Future[SliceResult]] = [res.pool.submit(sl, self.options, self.budget) for sl in slices]
        with res.lock:
            res.queued[batch_no] = futures

    def start(self, batch_no: int, slices: list[Slice]) -> None:
        self.pending[batch_no] = extract_batch.submit(self.run_id, batch_no, slices, self.options, self.budget)

    def wait(self, batch_no: int) -> None:
        self.pending.pop(batch_no).result()


class TaskExtraction:
    """One task per slice on the flow's task runner (Dask)."""

    def __init__(self, run_id: str, options: TransformOptions, budget: InputBudget) -> None:
        self.run_id, self.options, self.budget = run_id, options, budget
        self.pending: dict[int, tuple[list[Slice], list[PrefectFuture[SliceResult]]]] = {}

    def queue(self, batch_no: int, slices: list[Slice]) -> None:
        return  # the cluster's scheduler keeps its workers busy

    def start(self, batch_no: int, slices: list[Slice]) -> None:
        self.pending[batch_no] = (slices, [extract_slice.submit(sl, self.options, self.budget) for sl in slices])

    def wait(self, batch_no: int) -> None:
        slices, futures = self.pending.pop(batch_no)
        done = [self._answer(sl, fut) for sl, fut in zip(slices, futures, strict=True)]
        results, outcomes = slice_outcomes(slices, done)
        res = resources.get(self.run_id)
        with res.lock:
            res.extracted[batch_no] = results
            res.unit_outcomes[batch_no] = outcomes

    def _answer(self, sl: Slice, future: PrefectFuture[SliceResult]) -> SliceResult:
        """The slice's results; a slice whose task failed for good (Dask gave up on it after its
        workers died, and the task's own retry failed too) is tried again one input at a time,
        and an input that fails alone is rejected as worker_crashed (each of its documents)."""
        future.wait()
        if not future.state.is_failed():
            return future.result()
        get_run_logger().warning("a slice of %d input(s) failed on Dask; trying its inputs one at a time", len(sl))
        one_by_one = [(unit, extract_slice.submit((unit,), self.options, self.budget)) for unit in sl]
        results: list[DocumentResult] = []
        counts: list[int] = []
        for unit, fut in one_by_one:
            fut.wait()
            failed = fut.state.is_failed()
            got = crashed_unit(unit, str(fut.state.message or "the task failed")) if failed else fut.result()[0]
            results.extend(got)
            counts.append(len(got))
        return results, counts


def _run_stats(res: resources.RunResources, run_id: str) -> RunStats | None:
    """The run's counts for its artifacts, read by the writer; None: read them from the published lake."""
    try:
        return res.writer.run_stats(run_id)
    except Exception as err:  # noqa: BLE001  # artifacts are a report on the run, never its failure
        get_run_logger().debug("run %s: counts not read by the writer (%s)", run_id, err)
        return None


# -- committing --------------------------------------------------------------------------------------


@task(name="commit-batch", cache_policy=NO_CACHE, retries=0)
def commit_batch(run_id: str, batch_no: int) -> dict[str, int]:
    """One atomic commit of one extracted batch (called directly: it runs in the flow's process)."""
    res = resources.get(run_id)
    with res.lock:
        results = res.extracted.pop(batch_no)
        ledger = res.ledger_rows.pop(batch_no, [])
    counts = res.writer.commit_batch(run_id, results, batch_no, ledger)
    get_run_logger().info(
        "batch %d committed: %d inputs -> %d new, %d updated, %d duplicates, %d rejects",
        batch_no, counts.inputs, counts.articles_new, counts.articles_updated, counts.duplicates, counts.rejects,
    )
    return asdict(counts)


@plain_flow(name="news-etl-load", task_runner=cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=2)), log_prints=False)
def load_flow(paths: list[str], data_dir: str, run_id: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load local files (.txt .html .htm .jsonl .warc .warc.gz) into the lake; the caller holds
    the writer lock. `settings`: core.settings.LoadSettings as a mapping."""
    cfg = LoadSettings.parse(settings)
    options = transform_options(cfg)
    lake = LakePaths(data_dir=Path(data_dir))
    logger = get_run_logger()
    started = time.monotonic()
    parts: list[BatchCounts] = []
    on_dask = cfg.runner == "dask"
    budget = cfg.budget
    with resources.open_run(run_id, lake, cfg.workers, pool=not on_dask) as res:
        if res.writer.moved_from:
            logger.warning("the data directory moved: the lake's files were in %s, now in %s (recorded)",
                           res.writer.moved_from, lake.files)
        unchanged = skip_unchanged(
            discover(paths, follow_symlinks=budget.follow_symlinks), None if cfg.full else res.writer.ledger()
        )
        batches = plan_batches(unchanged.to_read, cfg.batch_size, cfg.docs_per_slice, budget)
        logger.info(
            "run %s: %d batches planned from %d path(s), extracting %s; %d unchanged file(s) skipped (%d documents)",
            run_id, len(batches), len(paths), "on Dask" if on_dask else f"in {res.workers} process(es)",
            unchanged.skipped_files, unchanged.skipped_documents,
        )
        sizes = [sum(max(u.documents, 1) for sl in b for u in sl) for b in batches]  # for the progress bars
        progress.start("extracting", sum(sizes), "documents")
        progress.start("committing", sum(sizes), "documents")
        last_batch = {u.path: no for no, b in enumerate(batches) for sl in b for u in sl}
        file_docs: dict[str, int] = {}
        extraction: Extraction = (
            TaskExtraction(run_id, options, budget) if on_dask else PoolExtraction(run_id, options, budget)
        )
        res.writer.start_run(run_id, "load", {"paths": paths, **cfg.as_dict()})
        try:
            if batches:
                extraction.queue(0, batches[0])
                extraction.start(0, batches[0])
            for no in range(len(batches)):
                if no + 1 < len(batches):  # keep every worker busy across the batch boundary
                    extraction.queue(no + 1, batches[no + 1])
                extraction.wait(no)
                progress.advance("extracting", sizes[no])
                if no + 1 < len(batches):
                    extraction.start(no + 1, batches[no + 1])
                with res.lock:
                    outcomes: list[UnitOutcome] = res.unit_outcomes.pop(no, [])
                    res.ledger_rows[no] = ledger_rows(outcomes, no, last_batch, file_docs, unchanged.stats, read_again=res.read_again)
                parts.append(BatchCounts(**commit_batch(run_id, no)))
                progress.advance("committing", sizes[no])
        except BaseException as err:
            totals = commit_counts_total(parts)
            res.writer.finish_run(run_id, "failed", {**totals, "batches": len(parts)}, f"{type(err).__name__}: {err}")
            raise
        totals, message = run_totals(parts, unchanged)
        try:  # events of the new articles, then the data tests: a failing test fails the run
            status, message = res.writer.finish_checked(run_id, {**totals, "batches": len(parts)}, message, search=bool(parts))
        except BaseException as err:
            res.writer.finish_run(run_id, "failed", {**totals, "batches": len(parts)}, f"{type(err).__name__}: {err}")
            raise
        stats = _run_stats(res, run_id)
    summary = LoadSummary(run_id, status, totals, time.monotonic() - started, len(parts), message)
    logger.info(
        "run %s completed: %d inputs, %d new, %d updated, %d duplicates, %d rejects in %.1fs",
        run_id, totals.get("inputs", 0), totals.get("articles_new", 0), totals.get("articles_updated", 0),
        totals.get("duplicates", 0), totals.get("rejects", 0), summary.seconds,
    )
    publish_run_artifacts(data_dir, run_id, {"load": summary.seconds}, stats)
    if status != "completed":
        raise DataTestsFailed(f"run {run_id} failed its data tests (its data is committed): {message}", asdict(summary))
    return asdict(summary)
