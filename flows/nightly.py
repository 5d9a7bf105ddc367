"""The scheduled jobs (prefect.yaml): `nightly` (fetch + load + maintenance) and `maintenance`;
`news-etl run` runs the same nightly flow.

Each step is one coarse Prefect task that runs the step in a child process stopped at its
deadline (flows/steps.py; `timeouts:` in the config); the step's flows are subflows of its task
run. Every step takes the lake's writer lock itself, waiting for another writer; the
deployment's concurrency limit of 1 keeps two nightly runs from overlapping.

The night ends Failed, with the reason, when a step failed, timed out or crashed, or a source
failed its part (no feed or sitemap answered, every page failed or was rejected); the other
steps and sources still run and land.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext
from prefect.tasks import Task

from core.settings import FreshnessRules, RunConfig, Timeouts, load_config
from flows.outcomes import failed
from flows.steps import StepResult, StepSpec, run_step
from flows.summaries import publish_steps
from warehouse.freshness import as_plain, flagged_sources, rules_differ
from warehouse.lock import WriterBusy, writer_lock
from warehouse.paths import LakePaths, resolve_data_dir
from warehouse.writer import LakeWriter

SOURCE_EVENT = "news-etl.source.{status}"  # news-etl.source.silent, news-etl.source.low (automations match them)

NO_RETRY = ("StepFailed", "TimedOut", "Busy")  # a step's known failures: running it again would not help


def retry_crashes_only(_task: Task[..., Any], _run: TaskRun, state: State[Any]) -> bool:
    """Retry a step whose process crashed, not one that failed with a reason or timed out."""
    return state.name not in NO_RETRY


def _api_url() -> str:
    from prefect.client.orchestration import get_client  # noqa: PLC0415  # the client of this flow run

    with get_client(sync_client=True) as client:
        return str(client.api_url)


def step_in_process(spec: StepSpec, timeouts: Timeouts) -> dict[str, Any] | State[Any]:
    """The body of every step task: the step in a child process, its result, a Failed state
    (not retried) when it failed with a reason or timed out."""
    logger = get_run_logger()
    ctx = TaskRunContext.get()
    parent = str(ctx.task_run.id) if ctx is not None else None
    timeout = timeouts.of(spec.step)
    result = run_step(spec, timeout, timeouts.grace, api_url=_api_url(), parent_task_run=parent, logger=logger)
    logger.info("%s step %s in %.1fs%s", spec.step, result.status, result.seconds, f": {result.detail}" if result.detail else "")
    if result.ok:
        return result.as_dict()
    name = {"timed_out": "TimedOut", "busy": "Busy"}.get(result.status, "StepFailed")
    return failed(f"{spec.step} {result.status.replace('_', ' ')}: {result.detail}", result.as_dict(), name=name)


@task(name="fetch-sources", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=300, retry_condition_fn=retry_crashes_only)
def fetch_step(spec: StepSpec, timeouts: Timeouts) -> dict[str, Any] | State[Any]:
    """Collect the feeds and sitemaps of the config's sources file, then load the pages (a
    crashed step is retried; network failures are retried inside it)."""
    return step_in_process(spec, timeouts)


@task(name="load-inputs", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=60, retry_condition_fn=retry_crashes_only)
def load_step(spec: StepSpec, timeouts: Timeouts) -> dict[str, Any] | State[Any]:
    """Load the config's local inputs (a crashed step is retried once; a load is idempotent)."""
    return step_in_process(spec, timeouts)


@task(name="maintain-lake", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=120, retry_condition_fn=retry_crashes_only)
def maintenance_step(spec: StepSpec, timeouts: Timeouts) -> dict[str, Any] | State[Any]:
    """Compaction, snapshot expiry, old files, search index (flows/maintenance_flow.py)."""
    return step_in_process(spec, timeouts)


@task(name="check-freshness", cache_policy=NO_CACHE, retries=0)
def freshness_step(data_dir: str, rules: FreshnessRules) -> dict[str, Any]:
    """The config's freshness rules into the lake (when they changed and no other writer is
    busy), then the sources that need attention: a warning and a Prefect event
    (`news-etl.source.silent` / `.low`) for each, which the alert automations turn into
    notifications."""
    from prefect.events import emit_event  # noqa: PLC0415  # only this task emits events

    logger = get_run_logger()
    started = time.monotonic()
    paths = LakePaths(Path(data_dir))
    if paths.catalog_setting.is_local and not paths.published_catalog.exists():
        return StepResult("freshness", "skipped", detail="no warehouse yet").as_dict()
    if rules_differ(paths, rules):
        try:
            with writer_lock(paths, wait=False), LakeWriter(paths) as writer:
                writer.set_freshness_rules(rules)
            logger.info("freshness rules of the lake set to %s", rules.as_dict())
        except WriterBusy as err:
            logger.warning("freshness rules not updated this time (%s); the lake's rules apply", err)
    flagged = as_plain(flagged_sources(paths))
    for src in flagged:
        logger.warning("source %s is %s: %s", src["source_id"], src["status"], src["reason"])
        emit_event(
            event=SOURCE_EVENT.format(status=src["status"]),
            resource={"prefect.resource.id": f"news-etl.source.{src['source_id']}", "prefect.resource.name": str(src["source_id"])},
            payload={k: src[k] for k in ("source_id", "status", "reason", "last_night", "last_night_articles", "median_articles",
                                         "last_published_at", "last_ingested_at", "last_fetch_ok_at", "recent_articles")},
        )
    names = ", ".join(f"{s['source_id']} ({s['status']})" for s in flagged)
    detail = f"{len(flagged)} source(s) need attention: {names}" if flagged else ""
    return StepResult("freshness", "completed", time.monotonic() - started, detail, {"flagged": flagged}).as_dict()


def step_result(name: str, state: State[Any]) -> dict[str, Any]:
    """A step task's result, also when it failed; a task that raised (crashed) becomes a
    'crashed' step with the error."""
    data = state.result(raise_on_failure=False)
    if isinstance(data, BaseException):
        return StepResult(name, "crashed", detail=f"{type(data).__name__}: {data}").as_dict()
    return dict(data)


def night_failures(steps: list[dict[str, Any]]) -> list[str]:
    """Why the night failed, one line per failed step (a fetch names each failed source)."""
    return [f"{s['step']} {s['status'].replace('_', ' ')}: {s['detail']}" for s in steps if s["status"] not in ("completed", "skipped")]


@flow(name="news-etl-nightly", log_prints=False)
def nightly(  # noqa: PLR0917  # deployment parameters, always passed by name
    config: str | None = None,
    data_dir: str | None = None,
    fetch: bool = True,
    maintenance: bool = True,
    source: str | None = None,
    runner: str | None = None,
    full: bool = False,
    wait: bool = True,
) -> list[dict[str, Any]] | State[Any]:
    """The nightly job: fetch the config's sources, load its inputs, then maintain the lake.

    config: config file (default config/news-etl.yaml relative to the working directory);
    data_dir: default NEWS_ETL_DATA_DIR or ./data; runner: 'process' (default) or 'dask';
    full: re-read every input; wait: wait for another writer (False: a busy lake fails the night).
    Ends Failed with the reasons when a step failed, timed out or crashed, or a source failed."""
    logger = get_run_logger()
    target = str(resolve_data_dir(data_dir))
    cfg: RunConfig = load_config(config)  # a bad config fails the run before any step starts
    base = StepSpec(step="", data_dir=target, config=config, wait=wait)
    steps: list[dict[str, Any]] = []

    def run(task_: Task[[StepSpec, Timeouts], dict[str, Any] | State[Any]], spec: StepSpec) -> dict[str, Any]:
        result = step_result(spec.step, task_(spec, cfg.timeouts, return_state=True))
        steps.append(result)
        return result

    if fetch:
        if cfg.sources:
            run(fetch_step, StepSpec(**{**base.__dict__, "step": "fetch", "source": source}))
        else:
            logger.info("fetch skipped: the config lists no sources file")
            steps.append(StepResult("fetch", "skipped", detail="no sources in the config").as_dict())
    if not any(s["status"] == "busy" for s in steps):
        if cfg.inputs:
            run(load_step, StepSpec(**{**base.__dict__, "step": "load", "runner": runner, "full": full}))
        else:
            logger.info("load skipped: the config lists no inputs")
            steps.append(StepResult("load", "skipped", detail="no inputs in the config").as_dict())
    if maintenance and not any(s["status"] == "busy" for s in steps):
        paths = LakePaths(Path(target))
        if paths.catalog_setting.is_local and not paths.catalog.exists():
            logger.info("maintenance skipped: no warehouse at %s yet", target)
            steps.append(StepResult("maintenance", "skipped", detail="no warehouse yet").as_dict())
        else:
            run(maintenance_step, StepSpec(**{**base.__dict__, "step": "maintenance"}))
    if not any(s["status"] == "busy" for s in steps):
        steps.append(step_result("freshness", freshness_step(target, cfg.freshness, return_state=True)))
    problems = night_failures(steps)
    logger.info("nightly %s: %s", "failed" if problems else "completed",
                ", ".join(f"{s['step']} {s['status']} ({s['seconds']:.1f}s)" for s in steps))
    publish_steps("nightly", steps, target)
    if problems:
        return failed("; ".join(problems), steps)
    return steps


@flow(name="news-etl-maintenance", log_prints=False)
def maintenance(data_dir: str | None = None) -> dict[str, Any] | State[Any]:
    """Lake maintenance on its own schedule (compaction, snapshot expiry, old files)."""
    target = str(resolve_data_dir(data_dir))
    cfg = load_config(None)
    step = step_result("maintenance", maintenance_step(StepSpec(step="maintenance", data_dir=target), cfg.timeouts, return_state=True))
    publish_steps("maintenance", [step], target)
    problems = night_failures([step])
    if problems:
        return failed("; ".join(problems), step)
    return step
