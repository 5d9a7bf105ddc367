"""The child process of one step (flows/steps.py): `python -m flows.step_process SPEC RESULT`.

Runs the step's jobs (flows/jobs.py, flows/maintenance_flow.py) as subflows of the parent's step
task run, writes the step's result (JSON) to RESULT and exits 0 (completed or skipped), 1 (failed
with a reason), 3 (another writer holds the lake) or 2 (an unexpected error).

SIGUSR1 (the step's deadline) raises StepTimedOut in the main thread, so the running flow ends
Failed "timed out after N s" and its run is recorded failed in `runs`; then the parent kills the
process group (SIGKILL), at the latest after the grace period. If the parent dies, the step
stops itself the same way.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import Any

from flows.steps import ENV_STEP_DEADLINE, EXIT_BUSY, EXIT_CRASHED, EXIT_FAILED, STOP_SIGNAL, StepResult, StepSpec


class StepTimedOut(Exception):  # not TimeoutError: concurrent.futures waits swallow that
    pass


def _on_stop(_signum: int, _frame: FrameType | None) -> None:
    signal.signal(STOP_SIGNAL, signal.SIG_DFL)  # a second one ends the process at once
    deadline = os.environ.get(ENV_STEP_DEADLINE)
    raise StepTimedOut(f"timed out after {deadline} s" if deadline else "stopped")


def _watch_parent() -> None:
    """A step whose parent died (its flow run was cancelled or killed) stops its process group."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(2)
            if os.getppid() != parent:
                os.kill(os.getpid(), STOP_SIGNAL)
                time.sleep(30)
                os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, name="news-etl-parent-watch", daemon=True).start()


def run_fetch_step(spec: StepSpec) -> StepResult:
    from core.settings import load_config  # noqa: PLC0415  # imported in the child only
    from flows.jobs import run_fetch  # noqa: PLC0415  # imported in the child only
    from warehouse.paths import LakePaths  # noqa: PLC0415  # imported in the child only

    cfg = load_config(spec.config)
    if not cfg.sources:
        return StepResult("fetch", "skipped", detail="no sources in the config")
    outcome = run_fetch(LakePaths(Path(spec.data_dir)), cfg.sources, spec.source, cfg.fetch_load, wait=spec.wait)
    summary = {**outcome.fetched, "load": outcome.loaded, "failed": outcome.failed}
    if outcome.failed:
        return StepResult("fetch", "failed", detail=outcome.message, summary=summary)
    return StepResult("fetch", "completed", summary=summary)


def run_load_step(spec: StepSpec) -> StepResult:
    from core.settings import load_config  # noqa: PLC0415  # imported in the child only
    from flows.jobs import run_load  # noqa: PLC0415  # imported in the child only
    from warehouse.paths import LakePaths  # noqa: PLC0415  # imported in the child only

    cfg = load_config(spec.config)
    if not cfg.inputs:
        return StepResult("load", "skipped", detail="no inputs in the config")
    settings = cfg.load.but(runner=spec.runner) if spec.runner else cfg.load
    if spec.full:
        settings = settings.but(full=True)
    summary = run_load(LakePaths(Path(spec.data_dir)), list(cfg.inputs), settings, wait=spec.wait)
    return StepResult("load", str(summary.get("status", "completed")), summary=summary)


def run_backfill_step(spec: StepSpec) -> StepResult:
    from core.settings import LoadSettings  # noqa: PLC0415  # imported in the child only
    from flows.jobs import run_load  # noqa: PLC0415  # imported in the child only
    from warehouse.paths import LakePaths  # noqa: PLC0415  # imported in the child only

    summary = run_load(LakePaths(Path(spec.data_dir)), spec.inputs, LoadSettings.parse(spec.settings), wait=spec.wait)
    return StepResult("load", str(summary.get("status", "completed")), summary=summary)


def run_maintenance_step(spec: StepSpec) -> StepResult:
    from flows.maintenance_flow import maintenance_flow  # noqa: PLC0415  # imported in the child only
    from flows.outcomes import run_flow_state, value_of  # noqa: PLC0415  # imported in the child only
    from warehouse.lock import writer_lock  # noqa: PLC0415  # imported in the child only
    from warehouse.paths import LakePaths  # noqa: PLC0415  # imported in the child only
    from warehouse.runs import new_run_id  # noqa: PLC0415  # imported in the child only

    paths = LakePaths(Path(spec.data_dir))
    if paths.catalog_setting.is_local and not paths.catalog.exists():
        return StepResult("maintenance", "skipped", detail="no warehouse yet")
    with writer_lock(paths, wait=spec.wait):  # maintenance_flow expects its caller to hold the lock
        summary = dict(value_of(run_flow_state(maintenance_flow, {"data_dir": spec.data_dir, "run_id": new_run_id()})))
    return StepResult("maintenance", "completed", summary=summary)


STEPS = {"fetch": run_fetch_step, "load": run_load_step, "maintenance": run_maintenance_step, "backfill": run_backfill_step}


def main(argv: list[str]) -> int:
    spec_file, result_file = Path(argv[0]), Path(argv[1])
    raw: dict[str, Any] = json.loads(spec_file.read_text(encoding="utf-8"))
    spec = StepSpec(**{f.name: raw[f.name] for f in fields(StepSpec) if f.name in raw})
    signal.signal(STOP_SIGNAL, _on_stop)
    _watch_parent()
    from render import progress  # noqa: PLC0415  # bars on the terminal the step inherited, if any
    from warehouse.lock import WriterBusy  # noqa: PLC0415  # after the signal handler is in place
    from warehouse.writer import DataTestsFailed  # noqa: PLC0415  # after the signal handler is in place

    started = time.monotonic()
    try:
        with progress.session():
            result = STEPS[spec.step](spec)
        code = 0 if result.ok else EXIT_FAILED
    except WriterBusy as err:
        result, code = StepResult(spec.step, "busy", detail=str(err)), EXIT_BUSY
    except DataTestsFailed as err:  # the run's data is committed; a data test found offending rows
        result, code = StepResult(spec.step, "failed", detail=str(err), summary=err.summary), EXIT_FAILED
    except StepTimedOut as err:
        result, code = StepResult(spec.step, "timed_out", detail=str(err)), EXIT_FAILED
    except Exception as err:  # noqa: BLE001  # reported to the parent, which retries or fails the step
        traceback.print_exc()
        result, code = StepResult(spec.step, "crashed", detail=f"{type(err).__name__}: {err}"), EXIT_CRASHED
    result.seconds = time.monotonic() - started
    result_file.write_text(json.dumps(result.as_dict(), default=str), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
