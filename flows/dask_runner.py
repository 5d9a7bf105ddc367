"""The load flow with the CPU-bound extract on Dask (prefect-dask), for growing past one machine.

Same planning (flows.load_flow.plan_load, input ledger included), same worker function
(flows.extract.process_slice_counted) and the same single writer (warehouse.lake.LakeWriter, one atomic commit per batch) as the
default runner; only where a slice is transformed changes: a Dask worker instead of a local
process pool. By default a LocalCluster of two worker processes is started for the run; set
NEWS_ETL_DASK_ADDRESS=tcp://scheduler:8786 to use an existing cluster (its workers need this
package installed and the input paths readable at the same location).

Slices travel as file references (path, offset, line count); the transformed documents come
back to the flow process, which commits them. Install with the `dask` extra.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from core.settings import LoadSettings
from flows import progress
from flows.artifacts import publish_run_artifacts
from flows.extract import process_slice_counted, transform_options
from flows.load_flow import LoadSummary, Slice, ledger_rows, plan_load, run_totals, slice_outcomes
from transforms.pipeline import TransformOptions
from transforms.records import DocumentResult
from warehouse.lake import BatchCounts, LakeWriter, commit_counts_total
from warehouse.paths import LakePaths

ENV_DASK_ADDRESS = "NEWS_ETL_DASK_ADDRESS"
LOCAL_WORKERS = 2


def task_runner(workers: int = LOCAL_WORKERS) -> Any:
    """A DaskTaskRunner: the cluster named by NEWS_ETL_DASK_ADDRESS, or a local cluster of
    `workers` single-threaded worker processes."""
    from prefect_dask.task_runners import DaskTaskRunner  # noqa: PLC0415  # the optional `dask` extra

    address = os.environ.get(ENV_DASK_ADDRESS)
    if address:
        return DaskTaskRunner(address=address)

    def local_cluster() -> Any:
        from distributed import LocalCluster  # noqa: PLC0415  # the optional `dask` extra

        # the workers report task states to the same Prefect API as the flow: with the CLI's
        # temporary server that URL exists only now, so hand it down before they are spawned
        if not os.environ.get("PREFECT_API_URL"):
            from prefect.client.orchestration import get_client  # noqa: PLC0415  # only for a local cluster

            os.environ["PREFECT_API_URL"] = str(get_client(sync_client=True).api_url)
        for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core", "distributed.http.proxy"):
            logging.getLogger(name).setLevel(logging.ERROR)  # shutdown chatter (heartbeats to a closing scheduler)
        return LocalCluster(  # type: ignore[no-untyped-call]  # distributed has no type hints
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )

    return DaskTaskRunner(cluster_class=local_cluster)


@task(name="extract-slice", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)  # a lost worker: the slice runs again
def extract_slice(sl: Slice, options: TransformOptions | None = None) -> tuple[list[DocumentResult], list[int]]:
    """Transform one slice of inputs on a Dask worker (reads the files there)."""
    return process_slice_counted(sl, options)


def _submit(batch: list[Slice], options: TransformOptions | None = None) -> list[PrefectFuture[tuple[list[DocumentResult], list[int]]]]:
    return [extract_slice.submit(sl, options) for sl in batch]


def run_on_dask(paths: list[str], data_dir: str, run_id: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the Dask flow with a runner sized from settings['workers'] (default two processes)."""
    cfg = {k: v for k, v in (settings or {}).items() if k != "runner"}
    workers = int(cfg.get("workers") or LOCAL_WORKERS)
    flow_fn = load_flow_dask.with_options(task_runner=task_runner(workers))
    return dict(flow_fn(paths=paths, data_dir=data_dir, run_id=run_id, settings=cfg))


@flow(name="news-etl-load-dask", log_prints=False)
def load_flow_dask(paths: list[str], data_dir: str, run_id: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load local files into the lake, transforming on Dask; the caller holds the writer lock."""
    cfg = LoadSettings.parse(settings)
    options = transform_options(cfg)
    lake = LakePaths(data_dir=Path(data_dir))
    logger = get_run_logger()
    started = time.monotonic()
    parts: list[BatchCounts] = []
    with LakeWriter(lake) as writer:
        plan = plan_load(paths, cfg, None if cfg.full else writer.ledger())
        batches = plan.batches
        logger.info(
            "run %s: %d batches planned from %d path(s), extracting on Dask; %d unchanged file(s) skipped (%d documents)",
            run_id, len(batches), len(paths), plan.skipped_files, plan.skipped_documents,
        )
        sizes = [sum(max(u.documents, 1) for sl in b for u in sl) for b in batches]
        progress.start("extracting", sum(sizes), "documents")
        progress.start("committing", sum(sizes), "documents")
        last_batch = {u.path: no for no, b in enumerate(batches) for sl in b for u in sl}
        file_docs: dict[str, int] = {}
        writer.start_run(run_id, "load", {"paths": paths, **asdict(cfg), "runner": "dask"})
        try:
            pending = _submit(batches[0], options) if batches else []
            for no in range(len(batches)):
                results, outcomes = slice_outcomes(batches[no], [fut.result() for fut in pending])
                progress.advance("extracting", sizes[no])
                pending = _submit(batches[no + 1], options) if no + 1 < len(batches) else []
                ledger = ledger_rows(outcomes, no, last_batch, file_docs, plan.stats)
                counts = writer.commit_batch(run_id, results, no, ledger)
                parts.append(counts)
                progress.advance("committing", sizes[no])
                logger.info(
                    "batch %d committed: %d inputs -> %d new, %d updated, %d duplicates, %d rejects",
                    no, counts.inputs, counts.articles_new, counts.articles_updated, counts.duplicates, counts.rejects,
                )
        except BaseException as err:
            totals = commit_counts_total(parts)
            writer.finish_run(run_id, "failed", {**totals, "batches": len(parts)}, f"{type(err).__name__}: {err}")
            raise
        totals, message = run_totals(parts, plan)
        writer.finish_run(run_id, "completed", {**totals, "batches": len(parts)}, message, search=bool(parts))
    summary = LoadSummary(run_id, "completed", totals, time.monotonic() - started, len(parts))
    logger.info(
        "run %s completed on Dask: %d inputs, %d new, %d updated, %d duplicates, %d rejects in %.1fs",
        run_id, totals.get("inputs", 0), totals.get("articles_new", 0), totals.get("articles_updated", 0),
        totals.get("duplicates", 0), totals.get("rejects", 0), summary.seconds,
    )
    publish_run_artifacts(data_dir, run_id, {"load": summary.seconds})
    return asdict(summary)
