"""The jobs the command line and the deployments share: a load under the writer lock, and a fetch
followed by the load of the WARC it wrote (one writer lock for both).

Both start Prefect flows; the caller has configured Prefect (flows/prefect_env.py) and checked
its inputs. A second writer raises warehouse.lock.WriterBusy (or waits, with `wait`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import LoadSettings
from flows.load_flow import load_flow
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.runs import new_run_id


def load_locked(paths: LakePaths, inputs: list[str], settings: LoadSettings) -> dict[str, Any]:
    """Run the load flow with the settings' runner; the caller holds the writer lock."""
    run = load_flow
    if settings.runner == "dask":
        from flows.dask_runner import task_runner  # noqa: PLC0415  # Dask (~1 s of imports) only when asked for

        run = load_flow.with_options(task_runner=task_runner(settings.workers))
    return dict(run(paths=inputs, data_dir=str(paths.data_dir), run_id=new_run_id(), settings=settings.as_dict()))


def run_load(paths: LakePaths, inputs: list[str], settings: LoadSettings, *, wait: bool) -> dict[str, Any]:
    """Load local files or folders into the lake; returns the load summary."""
    paths.lake_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(paths, wait=wait):
        return load_locked(paths, inputs, settings)


@dataclass
class FetchOutcome:
    fetched: dict[str, Any]  # the fetch flow's summary: run_id, warc, pages, counts, sources, seconds
    loaded: dict[str, Any] | None  # the load of its WARC (None when no page was fetched)


def run_fetch(paths: LakePaths, sources_file: str, only: str | None, settings: LoadSettings, *, wait: bool) -> FetchOutcome:
    """Fetch new pages into DATA_DIR/raw/<run_id>.warc.gz, then load that WARC with `settings`."""
    from flows.fetch_flow import fetch_flow  # noqa: PLC0415  # the HTTP client and crawler only for a fetch

    paths.lake_dir.mkdir(parents=True, exist_ok=True)
    with writer_lock(paths, wait=wait):
        fetched = dict(fetch_flow(
            sources_file=str(Path(sources_file).resolve()), data_dir=str(paths.data_dir), run_id=new_run_id(), only=only
        ))
        loaded = load_locked(paths, [fetched["warc"]], settings) if fetched["pages"] and fetched["warc"] else None
    return FetchOutcome(fetched, loaded)
