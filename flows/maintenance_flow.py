"""The maintenance flow: migrations, compaction, snapshot expiry, file clean-up, search index.

Thin: the work is in warehouse/maintenance.py. The caller holds the writer lock. The run is
recorded in `runs` (flow 'maintain'); what it did is in the run's `message` (JSON).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from warehouse.maintenance import run_maintenance
from warehouse.paths import LakePaths
from warehouse.writer import DataTestsFailed, LakeWriter


@flow(name="news-etl-maintain", log_prints=False)
def maintenance_flow(data_dir: str, run_id: str, expire_days: float = 30, grace_hours: float = 24) -> dict[str, Any]:
    """Compact small files, expire old snapshots, delete unreferenced files, rebuild search,
    resolve every event again, run the data tests."""
    logger = get_run_logger()
    paths = LakePaths(Path(data_dir))
    params = {"expire_days": expire_days, "grace_hours": grace_hours}
    with LakeWriter(paths) as writer:
        writer.start_run(run_id, "maintain", params)
        try:
            report = run_maintenance(
                writer, expire_older_than=timedelta(days=expire_days), grace=timedelta(hours=grace_hours)
            )
        except BaseException as err:
            writer.finish_run(run_id, "failed", {}, f"{type(err).__name__}: {err}")
            raise
        counts = report.as_counts()
        try:  # every event resolved again, then the data tests
            status, message = writer.finish_checked(run_id, {}, json.dumps(counts), search=False, full_events=True)
        except BaseException as err:
            writer.finish_run(run_id, "failed", {}, f"{type(err).__name__}: {err}", search=False)
            raise
    logger.info("maintenance %s: %s", run_id, message)
    if status != "completed":
        raise DataTestsFailed(f"maintenance {run_id} failed its data tests: {message}", {"run_id": run_id, "status": status})
    return {"run_id": run_id, "status": status, "message": message, **asdict(report)}
