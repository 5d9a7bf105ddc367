"""`news-etl status` as a table, csv or json: the last runs, every source's freshness, rejects by
reason (warehouse/freshness.py reads them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from render.output import _jsonable, render
from warehouse.freshness import Status

RUNS = ("run_id", "flow", "status", "started_at", "seconds", "inputs", "new", "updated", "duplicates", "rejects", "message")
SOURCES = (
    "source_id", "status", "reason", "articles", "last_published", "last_ingested", "last_fetch_ok",
    "last_night", "last_night_articles", "median", "recent_nights",
)
REJECTS = ("reason", "rejects", "last_at")


def _runs(status: Status, fmt: str) -> list[tuple[Any, ...]]:
    rows = []
    for r in status.runs:
        seconds = round((r["finished_at"] - r["started_at"]).total_seconds(), 1) if r["finished_at"] else None
        started = _when(r["started_at"]) if fmt == "table" else r["started_at"]
        rows.append((r["run_id"], r["flow"], r["status"], started, seconds, r["inputs"], r["articles_new"],
                     r["articles_updated"], r["duplicates"], r["rejects"], r["message"]))
    return rows


def _when(value: Any) -> Any:
    """A timestamp to the minute (UTC) for the table; other formats keep the full value."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value


def _sources(status: Status, fmt: str) -> list[tuple[Any, ...]]:
    when = _when if fmt == "table" else (lambda v: v)
    return [
        (s["source_id"], s["status"], s["reason"], s["articles"], when(s["last_published_at"]), when(s["last_ingested_at"]),
         when(s["last_fetch_ok_at"]), s["last_night"], s["last_night_articles"], s["median_articles"],
         " ".join(str(n) for n in s["recent_articles"]) if s["recent_articles"] else None)
        for s in status.sources
    ]


def _rejects(status: Status) -> list[tuple[Any, ...]]:
    return [(r["reason"], r["rejects"], r["last_at"]) for r in status.rejects]


def render_status(status: Status, fmt: str, section: str = "all") -> str:
    parts = {
        "runs": (f"last {len(status.runs)} runs", RUNS, _runs(status, fmt)),
        "sources": (
            f"sources: {len(status.flagged)} need attention (silent: no new article in {status.rules['silent_nights']} "
            f"nights; low: under {status.rules['low_ratio']:.0%} of their median in {status.rules['low_nights']} nights)",
            SOURCES, _sources(status, fmt),
        ),
        "rejects": ("rejects by reason", REJECTS, _rejects(status)),
    }
    chosen = list(parts) if section == "all" else [section]
    if fmt == "json":
        doc: dict[str, Any] = {
            name: [dict(zip(parts[name][1], (_jsonable(v) for v in row), strict=True)) for row in parts[name][2]]
            for name in chosen
        }
        if section == "all":
            doc["rules"] = status.rules
            doc["need_attention"] = [s["source_id"] for s in status.flagged]
        return json.dumps(doc if section == "all" else doc[section], ensure_ascii=False)
    blocks = []
    for name in chosen:
        title, columns, rows = parts[name]
        text = render(fmt, columns, rows)
        if fmt == "csv" and section != "all":
            blocks.append(text)
        else:
            blocks.append(f"# {title}\n{text}" if fmt == "csv" else f"{title}\n{text}")
    return "\n\n".join(blocks)
