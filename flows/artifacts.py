"""Prefect artifacts for every run: table artifacts (per-source counts, rejects by reason,
durations) and a markdown run summary, visible in the UI under the flow run and by key.

Must be called inside a flow run. Publishing never fails a run: a problem is logged as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from warehouse.paths import LakePaths
from warehouse.report_queries import RunStats, run_stats

KEY_PREFIX = "news-etl"


def summary_markdown(stats: RunStats, durations: Mapping[str, float], *, title: str = "news-etl run") -> str:
    c = stats.counts
    lines = [
        f"# {title} `{stats.run_id}`: {stats.status or 'unknown'}",
        "",
        f"**{c.get('inputs', 0)} inputs** -> {c.get('articles_new', 0)} new articles, {c.get('articles_updated', 0)} updated, "
        f"{c.get('duplicates', 0)} duplicates, {c.get('rejects', 0)} rejects "
        f"({c.get('batches', 0)} batches; {c.get('mentions', 0)} mentions, {c.get('figures', 0)} figures, "
        f"{c.get('removed_lines', 0)} lines removed by cleaning).",
        "",
    ]
    if stats.per_source:
        lines += ["| source | new | updated | duplicate refs |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {r['source_id']} | {r['articles_new']} | {r['articles_updated']} | {r['duplicate_refs']} |" for r in stats.per_source]
        lines.append("")
    if stats.rejects_by_reason:
        lines += ["| reject reason | inputs |", "| --- | ---: |"]
        lines += [f"| {r['reason']} | {r['rejects']} |" for r in stats.rejects_by_reason]
        lines.append("")
    if durations:
        lines += ["| step | seconds |", "| --- | ---: |"]
        lines += [f"| {k} | {v:.1f} |" for k, v in durations.items()]
        lines.append("")
    return "\n".join(lines)


def publish_run_artifacts(
    data_dir: str, run_id: str, durations: Mapping[str, float] | None = None, stats: RunStats | None = None
) -> RunStats | None:
    """Publish the run's counts as artifacts: `stats` read by the writer at the end of its run,
    or read here from the published lake."""
    logger = get_run_logger()
    try:
        stats = stats or run_stats(LakePaths(Path(data_dir)), run_id)
    except Exception as err:  # noqa: BLE001  # artifacts are a report on the run, never its failure
        logger.warning("run %s: no artifacts published (%s: %s)", run_id, type(err).__name__, err)
        return None
    steps: dict[str, float] = dict(durations or {})
    if stats.seconds is not None and "load" not in steps:
        steps["load"] = stats.seconds
    publish_stats(stats, steps)
    return stats


def publish_stats(stats: RunStats, durations: Mapping[str, float], *, title: str = "news-etl run") -> None:
    logger = get_run_logger()
    try:
        per_source: list[dict[str, Any]] = stats.per_source or [
            {"source_id": "(none)", "articles_new": 0, "articles_updated": 0, "duplicate_refs": 0}
        ]
        create_table_artifact(
            table=per_source, key=f"{KEY_PREFIX}-sources",
            description=f"Run {stats.run_id}: articles per source (new, updated, duplicate inputs)",
        )
        create_table_artifact(
            table=stats.rejects_by_reason or [{"reason": "(none)", "rejects": 0}], key=f"{KEY_PREFIX}-rejects",
            description=f"Run {stats.run_id}: rejected inputs by reason",
        )
        create_table_artifact(
            table=[{"step": k, "seconds": round(v, 3)} for k, v in durations.items()] or [{"step": "(none)", "seconds": 0}],
            key=f"{KEY_PREFIX}-durations", description=f"Run {stats.run_id}: seconds per step",
        )
        create_markdown_artifact(
            markdown=summary_markdown(stats, durations, title=title), key=f"{KEY_PREFIX}-summary",
            description=f"Run {stats.run_id} summary",
        )
    except Exception as err:  # noqa: BLE001  # artifacts are a report on the run, never its failure
        logger.warning("run %s: artifacts not published (%s: %s)", stats.run_id, type(err).__name__, err)
        return
    logger.info(
        "run %s: artifacts published (%d sources, %d reject reasons)", stats.run_id, len(stats.per_source), len(stats.rejects_by_reason)
    )
