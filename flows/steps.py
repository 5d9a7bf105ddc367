"""Steps of the scheduled jobs, each in a child process that is stopped at its deadline.

Prefect's task timeouts cannot stop a task that runs in a worker thread and is blocked (a socket
that never answers, a long DuckDB query): the task goes on, and Prefect only logs that it
cannot interrupt it. A step here is a process of its own (`python -m flows.step_process`, in a
session of its own so that its extraction workers go with it): at its deadline it gets SIGUSR1
(its flows end Failed "timed out after N s" and record that in `runs`), then its process group
gets SIGKILL, at once when it has ended or `grace` seconds later. The kernel then releases the writer lock, and DuckLake's
commits are atomic, so the lake keeps its last complete commit. Anything the step left behind is
closed here: runs still 'running' in `runs` and flow runs still running in Prefect are marked
failed with the reason.

The child's flows are subflows of the step's task run (flows/outcomes.py), with their own task
runs and log lines, on the same Prefect API as the parent (the parent's server, temporary or not).

Exit codes of a step process: 0 completed or skipped, 1 failed with a reason (a source failed;
not retried), 3 another writer holds the lake (only without `wait`), anything else a crash
(retried by the step's task when it has retries).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flows.outcomes import ENV_PARENT_TASK_RUN

EXIT_FAILED = 1
EXIT_CRASHED = 2
EXIT_BUSY = 3
ENV_STEP_DEADLINE = "NEWS_ETL_STEP_DEADLINE"  # seconds, for the child's "timed out after N s"
# asks a step process to stop: not SIGTERM, which Prefect's flow engine takes for itself (the flow
# run would end Crashed "TerminationSignal" instead of Failed with the reason)
STOP_SIGNAL = signal.SIGUSR1


@dataclass
class StepResult:
    step: str
    status: str  # completed | skipped | failed | timed_out | busy | crashed
    seconds: float = 0.0
    detail: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d

    @property
    def ok(self) -> bool:
        return self.status in ("completed", "skipped")


@dataclass(frozen=True)
class StepSpec:
    """What a step process does: `step` (fetch | load | maintenance | backfill) in `data_dir`."""

    step: str
    data_dir: str
    config: str | None = None
    source: str | None = None  # fetch: one source id
    runner: str | None = None  # load: process | dask
    full: bool = False  # load: re-read every input
    wait: bool = True  # wait for another writer (the command line without --wait: exit 3)
    inputs: list[str] = field(default_factory=list)  # backfill: paths
    settings: dict[str, Any] = field(default_factory=dict)  # backfill: load settings


class StepCrashed(RuntimeError):
    """The step process ended without a result (killed, out of memory, an unexpected error)."""


def run_step(spec: StepSpec, timeout: float, grace: float, *, api_url: str | None, parent_task_run: str | None,
             logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> StepResult:
    """Run one step in a child process; stop it at `timeout` seconds. Raises StepCrashed when the
    process ended without a result."""
    started = time.monotonic()
    env = dict(os.environ)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if parent_task_run:
        env[ENV_PARENT_TASK_RUN] = parent_task_run
    env[ENV_STEP_DEADLINE] = f"{timeout:g}"
    with tempfile.TemporaryDirectory(prefix="news-etl-step-") as tmp:
        spec_file, result_file = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_file.write_text(json.dumps(asdict(spec)), encoding="utf-8")
        proc = subprocess.Popen(  # noqa: S603  # our own interpreter and module, arguments are our files
            [sys.executable, "-m", "flows.step_process", str(spec_file), str(result_file)],
            env=env, start_new_session=True,  # a group of its own: its workers are stopped with it
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.error("%s step: timed out after %g s; stopping it", spec.step, timeout)
            _stop(proc, grace)
            why = f"timed out after {timeout:g} s"
            _close_what_was_left(spec, why, parent_task_run, logger)
            return StepResult(spec.step, "timed_out", time.monotonic() - started, why)
        finally:
            if proc.poll() is None:  # the parent itself was interrupted (Ctrl-C, cancelled)
                _stop(proc, min(grace, 5.0))
        if result_file.exists():
            result = StepResult(**json.loads(result_file.read_text(encoding="utf-8")))
            result.seconds = time.monotonic() - started
            if code in (0, EXIT_FAILED, EXIT_BUSY):
                return result
            raise StepCrashed(f"{spec.step} step crashed (exit code {code}): {result.detail}")
    _close_what_was_left(spec, f"the {spec.step} step process ended with code {code}", parent_task_run, logger)
    raise StepCrashed(f"{spec.step} step ended without a result (exit code {code})")


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """STOP_SIGNAL to the step process (its flow ends Failed and records why), then SIGKILL to
    its whole process group (its extraction workers too) when it has ended or after `grace`."""
    try:
        os.kill(proc.pid, STOP_SIGNAL)
        proc.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.wait()


def _close_what_was_left(spec: StepSpec, why: str, parent_task_run: str | None,
                         logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
    """After a stopped step: runs left 'running' in the lake, and its flow runs still running
    in Prefect, are marked failed with why."""
    from warehouse.lock import WriterBusy, writer_lock  # noqa: PLC0415  # only after a stopped step
    from warehouse.paths import LakePaths  # noqa: PLC0415  # only after a stopped step
    from warehouse.writer import LakeWriter  # noqa: PLC0415  # only after a stopped step

    paths = LakePaths(Path(spec.data_dir))
    if not paths.catalog_setting.is_local or paths.catalog.exists():
        try:
            with writer_lock(paths, wait=False), LakeWriter(paths) as writer:
                changed = writer.fail_run(None, why)
            if changed:
                logger.info("%s step: %d run(s) left running marked failed (%s)", spec.step, changed, why)
        except WriterBusy as err:  # e.g. a PostgreSQL lease that has yet to expire: the next run marks them
            logger.warning("%s step: runs left running not marked (%s)", spec.step, err)
    if parent_task_run:
        _fail_running_subflows(parent_task_run, why, logger)


def _fail_running_subflows(parent_task_run: str, why: str,
                           logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
    from uuid import UUID  # noqa: PLC0415  # only after a stopped step

    from prefect.client.orchestration import get_client  # noqa: PLC0415  # only after a stopped step
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentTaskRunId  # noqa: PLC0415  # idem
    from prefect.states import Failed  # noqa: PLC0415  # only after a stopped step

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_task_run_id=FlowRunFilterParentTaskRunId(any_=[UUID(parent_task_run)]))
        )
        for run in runs:
            if run.state is not None and not run.state.is_final():
                client.set_flow_run_state(run.id, Failed(message=why), force=True)
                logger.info("flow run %s (%s) marked failed: %s", run.name, run.id, why)
