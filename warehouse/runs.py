"""Run records: the `runs` table (one row per run of a flow: status, parameters, counts, message)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.schema import TABLES, quote_ident


def new_run_id() -> str:
    """A run id that sorts by its start time (UTC): 20260301T023000Z-1a2b3c4d."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def record_start(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, parameters: dict[str, Any]) -> None:
    """Record a run as running; runs left 'running' by a dead process are marked failed (the
    caller holds the writer lock, so no other run can be alive). One snapshot."""
    con.execute("BEGIN")
    con.execute(
        "UPDATE runs SET status = 'failed', message = 'the process ended before the run finished' "
        "WHERE status = 'running'"
    )
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status, parameters) VALUES (?, ?, ?, 'running', ?)",
        [run_id, flow, datetime.now(UTC), json.dumps(parameters, ensure_ascii=False, default=str)],
    )
    con.execute("COMMIT")


def record_finish(con: duckdb.DuckDBPyConnection, run_id: str, status: str, counts: dict[str, int], message: str | None) -> None:
    """Record a run's end, its status and the counts the `runs` table has columns for."""
    cols = [c for c in counts if c in TABLES["runs"].names]
    sets = ", ".join(f"{quote_ident(c)} = ?" for c in cols)
    con.execute(
        f"UPDATE runs SET finished_at = ?, status = ?, message = ?{', ' if sets else ''}{sets} WHERE run_id = ?",
        [datetime.now(UTC), status, message, *(counts[c] for c in cols), run_id],
    )


def record_failure(con: duckdb.DuckDBPyConnection, run_id: str | None, message: str) -> int:
    """Mark a run failed with why (a run that ended 'completed' whose sources then failed their
    load; `run_id` None: every run left 'running' by a process that was stopped). Returns how
    many runs changed."""
    if run_id is None:
        where, params = "status = 'running'", [message]
    else:
        where, params = "run_id = ?", [message, run_id]
    row = con.execute(
        f"UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, now()), message = ? WHERE {where}", params
    ).fetchone()
    return int(row[0]) if row else 0
