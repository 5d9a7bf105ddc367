"""The jobs the command line and the deployments share: a load under the writer lock, and a fetch
followed by the load of the WARC it wrote (one writer lock for both).

Both start Prefect flows; the caller has configured Prefect (flows/prefect_env.py) and checked
its inputs. A second writer raises warehouse.lock.WriterBusy (or waits, with `wait`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import LoadSettings
from flows.load_flow import load_flow
from flows.outcomes import run_flow_state, value_of
from warehouse.health import sources_all_rejected
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.runs import new_run_id
from warehouse.writer import LakeWriter


def load_locked(paths: LakePaths, inputs: list[str], settings: LoadSettings) -> dict[str, Any]:
    """Run the load flow with the settings' runner; the caller holds the writer lock."""
    run = load_flow
    if settings.runner == "dask":
        from flows.dask_runner import task_runner  # noqa: PLC0415  # Dask (~1 s of imports) only when asked for

        run = load_flow.with_options(task_runner=task_runner(settings.workers))
    params = {"paths": inputs, "data_dir": str(paths.data_dir), "run_id": new_run_id(), "settings": settings.as_dict()}
    return dict(value_of(run_flow_state(run, params)))


def run_load(paths: LakePaths, inputs: list[str], settings: LoadSettings, *, wait: bool) -> dict[str, Any]:
    """Load local files or folders into the lake; returns the load summary."""
    paths.lake_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(paths, wait=wait):
        return load_locked(paths, inputs, settings)


@dataclass
class FetchOutcome:
    fetched: dict[str, Any]  # the fetch flow's summary: run_id, warc, pages, counts, sources, failed, seconds
    loaded: dict[str, Any] | None  # the load of its WARC (None when no page was fetched)
    failed: dict[str, str] = field(default_factory=dict)  # per source that failed its part: why

    @property
    def message(self) -> str:
        from flows.fetch_flow import failure_message  # noqa: PLC0415  # the crawler's imports only for a fetch

        return failure_message(self.failed)


def run_fetch(paths: LakePaths, sources_file: str, only: str | None, settings: LoadSettings, *, wait: bool) -> FetchOutcome:
    """Fetch new pages into DATA_DIR/raw/<run_id>.warc.gz, then load that WARC with `settings`.

    A source fails its part when no feed or sitemap answered, every page it listed failed, or
    every page fetched was rejected by the load; the others still land. Failed sources are in
    the outcome (and the fetch run is 'failed' in `runs`, with why)."""
    from flows.fetch_flow import failure_message, fetch_flow  # noqa: PLC0415  # the HTTP client and crawler only for a fetch

    paths.lake_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(paths, wait=wait):
        params = {"sources_file": str(Path(sources_file).resolve()), "data_dir": str(paths.data_dir), "run_id": new_run_id(), "only": only}
        fetched = dict(value_of(run_flow_state(fetch_flow, params)))
        loaded = load_locked(paths, [fetched["warc"]], settings) if fetched["pages"] and fetched["warc"] else None
        failed = dict(fetched.get("failed") or {})
        if loaded is not None:
            rejected = {k: v for k, v in sources_all_rejected(paths, fetched["run_id"], loaded["run_id"]).items() if k not in failed}
            if rejected:
                failed.update(rejected)
                with LakeWriter(paths) as writer:
                    writer.fail_run(fetched["run_id"], failure_message(failed))
    return FetchOutcome(fetched, loaded, failed)
