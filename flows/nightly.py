"""The scheduled jobs (prefect.yaml): `nightly` (fetch + load + maintenance) and `maintenance`.

Each step is one coarse Prefect task with retries and a timeout (Prefect's, in the task's worker
thread; nothing here uses signals). Every step takes the lake's writer lock itself, waiting for
another writer; the deployment's concurrency limit of 1 keeps two nightly runs from overlapping.

Fetching then loading what was fetched, and loading, are the jobs the command line runs too
(flows/jobs.py); maintenance is flows/maintenance_flow.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from core.settings import load_config
from flows.jobs import run_fetch, run_load
from flows.maintenance_flow import maintenance_flow
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths, resolve_data_dir
from warehouse.runs import new_run_id

# seconds before a step is abandoned (the flow fails and the next night starts afresh)
FETCH_TIMEOUT = 3 * 3600
LOAD_TIMEOUT = 3 * 3600
MAINTENANCE_TIMEOUT = 3600


@dataclass
class StepResult:
    step: str
    status: str  # completed | skipped | failed
    seconds: float = 0.0
    detail: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@task(name="fetch-sources", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=300, timeout_seconds=FETCH_TIMEOUT)
def fetch_step(data_dir: str, config: str | None, source: str | None) -> dict[str, Any]:
    """Collect the feeds and sitemaps of the config's sources file, then load the pages (network: retried)."""
    logger = get_run_logger()
    cfg = load_config(config)
    if not cfg.sources:
        logger.info("fetch skipped: the config lists no sources file")
        return asdict_step(StepResult("fetch", "skipped", detail="no sources in the config"))
    started = time.monotonic()
    outcome = run_fetch(LakePaths(Path(data_dir)), cfg.sources, source, cfg.fetch_load, wait=True)
    summary = {**outcome.fetched, "load": outcome.loaded}
    logger.info("fetch completed in %.1fs", time.monotonic() - started)
    return asdict_step(StepResult("fetch", "completed", time.monotonic() - started, summary=summary))


@task(name="load-inputs", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=60, timeout_seconds=LOAD_TIMEOUT)
def load_step(data_dir: str, config: str | None, runner: str | None) -> dict[str, Any]:
    """Load the config's local inputs (disk: retried once; a load is idempotent)."""
    logger = get_run_logger()
    cfg = load_config(config)
    if not cfg.inputs:
        logger.info("load skipped: the config lists no inputs")
        return asdict_step(StepResult("load", "skipped", detail="no inputs in the config"))
    started = time.monotonic()
    settings = cfg.load.but(runner=runner) if runner else cfg.load
    summary = run_load(LakePaths(Path(data_dir)), list(cfg.inputs), settings, wait=True)
    return asdict_step(StepResult("load", str(summary.get("status", "completed")), time.monotonic() - started, summary=summary))


@task(name="maintain-lake", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=120, timeout_seconds=MAINTENANCE_TIMEOUT)
def maintenance_step(data_dir: str) -> dict[str, Any]:
    """Compaction, snapshot expiry, old files, search index (flows/maintenance_flow.py)."""
    logger = get_run_logger()
    paths = LakePaths(Path(data_dir))
    if paths.catalog_setting.is_local and not paths.catalog.exists():
        logger.info("maintenance skipped: no warehouse at %s yet", data_dir)
        return asdict_step(StepResult("maintenance", "skipped", detail="no warehouse yet"))
    started = time.monotonic()
    with writer_lock(paths, wait=True):  # maintenance_flow expects its caller to hold the lock
        summary = dict(maintenance_flow(data_dir=data_dir, run_id=new_run_id()))
    logger.info("maintenance completed in %.1fs", time.monotonic() - started)
    return asdict_step(StepResult("maintenance", "completed", time.monotonic() - started, summary=summary))


def asdict_step(step: StepResult) -> dict[str, Any]:
    return {"step": step.step, "status": step.status, "seconds": round(step.seconds, 3), "detail": step.detail, "summary": step.summary}


def publish_steps(kind: str, steps: list[dict[str, Any]], data_dir: str) -> None:
    """A table artifact of the steps (status, duration) and a markdown summary of the night."""
    rows = [{"step": s["step"], "status": s["status"], "seconds": s["seconds"], "detail": s["detail"]} for s in steps]
    create_table_artifact(table=rows, key=f"news-etl-{kind}-steps", description=f"news-etl {kind}: steps and durations")
    lines = [f"# news-etl {kind}", "", f"data directory: `{data_dir}`", ""]
    lines += ["| step | status | seconds | detail |", "| --- | --- | ---: | --- |"]
    lines += [f"| {r['step']} | {r['status']} | {r['seconds']:.1f} | {r['detail']} |" for r in rows]
    load = next((s["summary"] for s in steps if s["step"] == "load" and s["summary"]), None)
    if load:
        c = load.get("counts", {})
        lines += ["", f"load run `{load.get('run_id')}`: {c.get('inputs', 0)} inputs -> {c.get('articles_new', 0)} new, "
                  f"{c.get('articles_updated', 0)} updated, {c.get('duplicates', 0)} duplicates, {c.get('rejects', 0)} rejects "
                  "(per-source and reject tables: artifacts `news-etl-sources`, `news-etl-rejects`)"]
    create_markdown_artifact(markdown="\n".join(lines), key=f"news-etl-{kind}-summary", description=f"news-etl {kind} summary")


@flow(name="news-etl-nightly", log_prints=False, timeout_seconds=FETCH_TIMEOUT + LOAD_TIMEOUT + MAINTENANCE_TIMEOUT)
def nightly(  # noqa: PLR0917  # deployment parameters, always passed by name
    config: str | None = None,
    data_dir: str | None = None,
    fetch: bool = True,
    maintenance: bool = True,
    source: str | None = None,
    runner: str | None = None,
) -> list[dict[str, Any]]:
    """The nightly job: fetch the config's sources, load its inputs, then maintain the lake.

    config: config file (default config/news-etl.yaml relative to the working directory);
    data_dir: default NEWS_ETL_DATA_DIR or ./data; runner: 'process' (default) or 'dask'."""
    logger = get_run_logger()
    target = str(resolve_data_dir(data_dir))
    load_config(config)  # a bad config fails the run before any step starts
    steps: list[dict[str, Any]] = []
    if fetch:
        steps.append(fetch_step.submit(target, config, source).result())
    steps.append(load_step.submit(target, config, runner).result())
    if maintenance:
        steps.append(maintenance_step.submit(target).result())
    logger.info("nightly completed: %s", ", ".join(f"{s['step']} {s['status']} ({s['seconds']:.1f}s)" for s in steps))
    publish_steps("nightly", steps, target)
    return steps


@flow(name="news-etl-maintenance", log_prints=False, timeout_seconds=MAINTENANCE_TIMEOUT)
def maintenance(data_dir: str | None = None) -> dict[str, Any]:
    """Lake maintenance on its own schedule (compaction, snapshot expiry, old files)."""
    target = str(resolve_data_dir(data_dir))
    step = maintenance_step.submit(target).result()
    publish_steps("maintenance", [step], target)
    return step
