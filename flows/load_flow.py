"""The load flow: local files -> transforms (process pool) -> one atomic lake commit per batch.

Thin orchestration only: planning is in flows/inputs.py, extraction in flows/extract.py (pure
transforms underneath), writing in warehouse/. Tasks are coarse (one per batch of hundreds of
documents) and exchange run ids and batch numbers, not article bodies.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from core.settings import LoadSettings
from flows import progress, resources
from flows.artifacts import publish_run_artifacts
from flows.extract import process_slice_counted, text_ref, transform_options
from flows.inputs import InputUnit, discover, group_slices, plan_units
from transforms.pipeline import TransformOptions
from transforms.records import DocumentResult
from warehouse.lake import BatchCounts, commit_counts_total
from warehouse.paths import LakePaths

Slice = tuple[InputUnit, ...]


@dataclass
class LoadSummary:
    run_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    batches: int = 0
    message: str | None = None


@dataclass
class LoadPlan:
    batches: list[list[Slice]]
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # ledger key -> (size, mtime_ns)
    skipped_files: int = 0  # unchanged since the ledger's last record: not read
    skipped_documents: int = 0  # their documents, counted as duplicates


def ledger_key(path: str) -> str:
    """Absolute path as text the lake can store (bytes that are not UTF-8 as \\xNN escapes)."""
    return text_ref(os.path.abspath(path))


def plan_load(paths: list[str], settings: LoadSettings, ledger: dict[str, tuple[int, int, int]] | None = None) -> LoadPlan:
    """Batches of slices to read; with a ledger, files whose (path, size, mtime_ns) match their
    latest ledger row are left out before anything reads them."""
    plan = LoadPlan([])
    files: list[Path] = []
    for path in discover(paths):
        try:
            st = path.stat()
        except OSError:
            files.append(path)  # the reader reports it as unreadable
            continue
        key = ledger_key(str(path))
        plan.stats[key] = (st.st_size, st.st_mtime_ns)
        seen = (ledger or {}).get(key)
        if seen is not None and seen[:2] == (st.st_size, st.st_mtime_ns):
            plan.skipped_files += 1
            plan.skipped_documents += seen[2]
            continue
        files.append(path)
    current: list[Slice] = []
    size = 0
    for sl in group_slices(plan_units(files), settings.docs_per_slice):
        current.append(sl)
        size += sum(max(u.documents, 1) for u in sl)
        if size >= settings.batch_size:
            plan.batches.append(current)
            current, size = [], 0
    if current:
        plan.batches.append(current)
    return plan


def plan_batches(paths: list[str], settings: LoadSettings) -> list[list[Slice]]:
    return plan_load(paths, settings).batches


def queue_batch(
    run_id: str, batch_no: int, slices: list[Slice], options: TransformOptions | None = None
) -> None:
    """Hand a batch's slices to the process pool now, without waiting: queued behind the batch
    being extracted, they start the moment a worker finishes its last slice of that batch."""
    res = resources.get(run_id)
    if res.pool is None:
        return
    futures = [res.pool.submit(process_slice_counted, sl, options) for sl in slices]
    with res.lock:
        res.queued[batch_no] = futures


@task(name="extract-batch", cache_policy=NO_CACHE, retries=0)
def extract_batch(
    run_id: str, batch_no: int, slices: list[Slice], options: TransformOptions | None = None
) -> int:
    """Transform one batch in the process pool (slices queued by `queue_batch`, or queued here);
    results wait in the run's resources."""
    res = resources.get(run_id)
    if res.pool is None:
        done = [process_slice_counted(sl, options) for sl in slices]
    else:
        with res.lock:
            futures = res.queued.pop(batch_no, None)
        if futures is None:
            futures = [res.pool.submit(process_slice_counted, sl, options) for sl in slices]
        done = [fut.result() for fut in futures]
    results, outcomes = slice_outcomes(slices, done)
    with res.lock:
        res.extracted[batch_no] = results
        res.unit_outcomes[batch_no] = outcomes
    return len(results)


Outcome = tuple[InputUnit, int, str | None, str | None]  # unit, results, article id or reject reason of a one-document unit


def slice_outcomes(
    slices: list[Slice], done: list[tuple[list[DocumentResult], list[int]]]
) -> tuple[list[DocumentResult], list[Outcome]]:
    """Flatten `process_slice_counted` answers into the batch's results and one outcome per unit."""
    results: list[DocumentResult] = []
    outcomes: list[Outcome] = []
    for sl, (got, counts) in zip(slices, done, strict=True):
        at = 0
        for unit, n in zip(sl, counts, strict=True):
            one = got[at] if n == 1 and unit.kind != "jsonl" else None
            outcomes.append((
                unit,
                n,
                one.article.article_id if one is not None and one.article is not None else None,
                one.reject.reason if one is not None and one.reject is not None else None,
            ))
            at += n
        results.extend(got)
    return results, outcomes


def ledger_rows(
    outcomes: list[Outcome],
    batch_no: int,
    last_batch: dict[str, int],
    file_docs: dict[str, int],
    stats: dict[str, tuple[int, int]],
) -> list[dict[str, Any]]:
    """input_ledger rows for the files this batch finishes reading (a jsonl file split over
    several batches is recorded with its last one, so a run killed halfway re-reads it)."""
    rows: list[dict[str, Any]] = []
    for unit, n, article, reason in outcomes:
        file_docs[unit.path] = file_docs.get(unit.path, 0) + n
        key = ledger_key(unit.path)
        if last_batch.get(unit.path) != batch_no or key not in stats or reason == "unreadable":
            continue
        rows = [r for r in rows if r["path"] != key]
        size, mtime_ns = stats[key]
        rows.append({
            "path": key, "input_ref": text_ref(unit.path), "kind": unit.kind, "size": size, "mtime_ns": mtime_ns,
            "documents": file_docs[unit.path], "article_id": article, "reject_reason": reason,
        })
    return rows


def run_totals(parts: list[BatchCounts], plan: LoadPlan) -> tuple[dict[str, int], str | None]:
    """A run's counts; unchanged inputs that were not read count as duplicates of themselves."""
    totals = {**dict.fromkeys(BatchCounts.__slots__, 0), **commit_counts_total(parts)}
    message = None
    if plan.skipped_files:
        for key in ("inputs", "duplicates"):
            totals[key] = totals.get(key, 0) + plan.skipped_documents
        message = (
            f"{plan.skipped_files} unchanged input file(s) skipped ({plan.skipped_documents} documents, "
            "counted as duplicates); pass --full to re-read them"
        )
    totals["skipped_unchanged"] = plan.skipped_documents
    return totals, message


@task(name="commit-batch", cache_policy=NO_CACHE, retries=0)
def commit_batch(run_id: str, batch_no: int) -> dict[str, int]:
    """One atomic commit of one extracted batch."""
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


@flow(name="news-etl-load", task_runner=cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=2)), log_prints=False)
def load_flow(paths: list[str], data_dir: str, run_id: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load local files (.txt .html .htm .jsonl .warc .warc.gz) into the lake."""
    cfg = LoadSettings.parse(settings)
    options = transform_options(cfg)
    lake = LakePaths(data_dir=Path(data_dir))
    logger = get_run_logger()
    started = time.monotonic()
    parts: list[BatchCounts] = []
    with resources.open_run(run_id, lake, cfg.workers) as res:
        if res.writer.moved_from:
            logger.warning("the data directory moved: the lake's files were in %s, now in %s (recorded)",
                           res.writer.moved_from, lake.files)
        plan = plan_load(paths, cfg, None if cfg.full else res.writer.ledger())
        batches = plan.batches
        logger.info(
            "run %s: %d batches planned from %d path(s); %d unchanged file(s) skipped (%d documents)",
            run_id, len(batches), len(paths), plan.skipped_files, plan.skipped_documents,
        )
        sizes = [sum(max(u.documents, 1) for sl in b for u in sl) for b in batches]  # for the progress bars
        progress.start("extracting", sum(sizes), "documents")
        progress.start("committing", sum(sizes), "documents")
        last_batch = {u.path: no for no, b in enumerate(batches) for sl in b for u in sl}
        file_docs: dict[str, int] = {}
        res.writer.start_run(run_id, "load", {"paths": paths, **asdict(cfg)})
        try:
            pending: PrefectFuture[int] | Future[int] | None = None
            if batches:
                queue_batch(run_id, 0, batches[0], options)
                pending = extract_batch.submit(run_id, 0, batches[0], options)
            for no in range(len(batches)):
                assert pending is not None
                if no + 1 < len(batches):  # keep both workers busy across the batch boundary
                    queue_batch(run_id, no + 1, batches[no + 1], options)
                pending.result()
                progress.advance("extracting", sizes[no])
                pending = (
                    extract_batch.submit(run_id, no + 1, batches[no + 1], options)
                    if no + 1 < len(batches)
                    else None
                )
                with res.lock:
                    outcomes = res.unit_outcomes.pop(no, [])
                    res.ledger_rows[no] = ledger_rows(outcomes, no, last_batch, file_docs, plan.stats)
                parts.append(BatchCounts(**commit_batch(run_id, no)))
                progress.advance("committing", sizes[no])
        except BaseException as err:
            totals = commit_counts_total(parts)
            res.writer.finish_run(run_id, "failed", {**totals, "batches": len(parts)}, f"{type(err).__name__}: {err}")
            raise
        totals, message = run_totals(parts, plan)
        res.writer.finish_run(run_id, "completed", {**totals, "batches": len(parts)}, message, search=bool(parts))
    summary = LoadSummary(run_id, "completed", totals, time.monotonic() - started, len(parts))
    logger.info(
        "run %s completed: %d inputs, %d new, %d updated, %d duplicates, %d rejects in %.1fs",
        run_id, totals.get("inputs", 0), totals.get("articles_new", 0), totals.get("articles_updated", 0),
        totals.get("duplicates", 0), totals.get("rejects", 0), summary.seconds,
    )
    publish_run_artifacts(data_dir, run_id, {"load": summary.seconds})
    return asdict(summary)
