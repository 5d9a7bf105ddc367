"""Run summaries as the command line prints them (a load, a fetch, a maintenance run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIRST_QUERY = 'try:  .venv/bin/news-etl sql "select source_id, title, published_at from articles limit 5"'
FETCH_KEYS = (
    "listings_ok", "listings_not_modified", "listings_failed", "entries", "pages_fetched", "pages_not_modified",
    "pages_skipped", "pages_deferred", "pages_refused", "pages_failed", "requests", "source_errors",
)
MAINTENANCE_KEYS = (
    "schema_version", "files_merged", "files_created", "snapshots_expired", "files_deleted", "orphans_deleted", "indexed_articles",
)


def load_summary(summary: Mapping[str, Any], data_dir: object, *, first_query_hint: bool = False) -> str:
    counts = summary.get("counts", {})
    rows = [
        ("inputs", counts.get("inputs", 0)),
        ("articles new", counts.get("articles_new", 0)),
        ("articles updated", counts.get("articles_updated", 0)),
        ("duplicates", counts.get("duplicates", 0)),
        ("rejects", counts.get("rejects", 0)),
        ("removed lines", counts.get("removed_lines", 0)),
        ("mentions", counts.get("mentions", 0)),
        ("figures", counts.get("figures", 0)),
        ("time", f"{summary.get('seconds', 0.0):.1f}s"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"\nrun {summary.get('run_id')} {summary.get('status')}"]
    lines += [f"  {key.ljust(width)}  {value}" for key, value in rows]
    lines += run_notes(summary.get("message"))
    lines.append(f"data: {data_dir}")
    if first_query_hint:
        lines.append(FIRST_QUERY)
    return "\n".join(lines)


def fetch_summary(fetched: Mapping[str, Any]) -> str:
    counts = fetched["counts"]
    lines = [f"\nfetch {fetched['run_id']}: {fetched['sources']} source(s) in {fetched['seconds']:.1f}s"]
    lines += [f"  {key.replace('_', ' ').ljust(21)}  {counts.get(key, 0)}" for key in FETCH_KEYS]
    lines.append(f"  warc                   {fetched['warc'] or '-'}")
    return "\n".join(lines)


def maintenance_summary(run_id: str, result: Mapping[str, Any]) -> str:
    lines = [f"\nmaintenance {run_id} completed"]
    lines += [f"  {key.replace('_', ' ').ljust(18)}  {result.get(key)}" for key in MAINTENANCE_KEYS]
    lines += run_notes(result.get("message"))
    return "\n".join(lines)


def run_notes(message: object) -> list[str]:
    """The parts of a run's message about its events and its data tests, one line each."""
    return [f"  {note}" for note in str(message or "").split("; ") if note.startswith(("events", "data tests"))]
