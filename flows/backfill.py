"""The `backfill` deployment: load a given set of files (a WARC, a folder, jsonl...) or replay the
raw HTTP archives of a date range, through the same load path as the nightly job.

    paths=[...]                      load these files or folders
    start=2026-03-01 end=2026-03-07  replay DATA_DIR/raw/<run_id>.warc.gz of the runs started on
                                     those days (run ids begin with the UTC date: 20260301T...)

Loading is idempotent: what is already stored counts as duplicates and changes nothing. The load
runs in a child process stopped at its deadline (`timeouts.backfill`, 6 h; flows/steps.py).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State

from core.settings import LoadSettings, Timeouts, load_config
from flows.nightly import night_failures, retry_crashes_only, step_in_process, step_result
from flows.outcomes import failed
from flows.steps import StepResult, StepSpec
from flows.summaries import publish_steps
from warehouse.paths import LakePaths, resolve_data_dir

_RAW_NAME = re.compile(r"^(\d{4})(\d{2})(\d{2})T.*\.warc(\.gz)?$")


class BackfillError(ValueError):
    pass


def archives_between(raw_dir: Path, start: date, end: date) -> list[Path]:
    """The raw WARC archives of the runs started between start and end (inclusive), by name."""
    if end < start:
        raise BackfillError(f"the backfill range ends ({end}) before it starts ({start})")
    if not raw_dir.is_dir():
        return []
    found = []
    for path in sorted(raw_dir.iterdir()):
        m = _RAW_NAME.match(path.name)
        if m and path.is_file():
            day = date(int(m[1]), int(m[2]), int(m[3]))
            if start <= day <= end:
                found.append(path)
    return found


@task(name="backfill-load", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=60, retry_condition_fn=retry_crashes_only)
def backfill_load(spec: StepSpec, timeouts: Timeouts) -> dict[str, Any] | State[Any]:
    return step_in_process(spec, timeouts)


@flow(name="news-etl-backfill", log_prints=False)
def backfill(  # noqa: PLR0917  # deployment parameters, always passed by name
    paths: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    data_dir: str | None = None,
    source_id: str | None = None,
    batch_size: int | None = None,
    workers: int | None = None,
    runner: str | None = None,
) -> dict[str, Any] | State[Any]:
    """Load `paths`, or replay the archived raw responses of the days `start`..`end` (settings not
    given take the defaults of `news-etl load`)."""
    logger = get_run_logger()
    target = str(resolve_data_dir(data_dir))
    settings = LoadSettings.parse(
        {"source_id": source_id, "batch_size": batch_size, "workers": workers, "runner": runner}, "backfill parameters"
    )
    if paths and (start or end):
        raise BackfillError("give either paths or a date range (start, end), not both")
    if paths:
        inputs = [str(Path(p).expanduser().resolve()) for p in paths]
        missing = [p for p in inputs if not Path(p).exists()]
        if missing:
            raise BackfillError(f"backfill input not found: {', '.join(missing)}")
        what = f"{len(inputs)} path(s)"
    elif start:
        inputs = [str(p) for p in archives_between(LakePaths(Path(target)).raw_dir, start, end or start)]
        what = f"{len(inputs)} raw archive(s) from {start} to {end or start}"
    else:
        raise BackfillError("give paths to load or a start date (and optionally an end date) to replay")
    if not inputs:
        logger.info("backfill: nothing to load (%s)", what)
        step = StepResult("load", "skipped", detail=f"nothing to load: {what}").as_dict()
    else:
        logger.info("backfill: loading %s", what)
        spec = StepSpec(step="backfill", data_dir=target, inputs=inputs, settings=settings.as_dict())
        step = step_result("load", backfill_load(spec, load_config(None).timeouts, return_state=True))
        if step["status"] == "completed" and not step["detail"]:
            step["detail"] = what
    publish_steps("backfill", [step], target)
    problems = night_failures([step])
    if problems:
        return failed("; ".join(problems), step)
    return step
