"""The steps of a scheduled job as Prefect artifacts: a table of the steps (status, seconds,
detail) and a markdown summary of the night."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact


def steps_markdown(kind: str, steps: list[dict[str, Any]], data_dir: str) -> str:
    rows = [{"step": s["step"], "status": s["status"], "seconds": s["seconds"], "detail": s["detail"]} for s in steps]
    lines = [f"# news-etl {kind}", "", f"data directory: `{data_dir}`", ""]
    lines += ["| step | status | seconds | detail |", "| --- | --- | ---: | --- |"]
    lines += [f"| {r['step']} | {r['status']} | {r['seconds']:.1f} | {r['detail']} |" for r in rows]
    load = next((s["summary"] for s in steps if s["step"] == "load" and s["summary"]), None)
    if load:
        c = load.get("counts", {})
        lines += ["", f"load run `{load.get('run_id')}`: {c.get('inputs', 0)} inputs -> {c.get('articles_new', 0)} new, "
                  f"{c.get('articles_updated', 0)} updated, {c.get('duplicates', 0)} duplicates, {c.get('rejects', 0)} rejects "
                  "(per-source and reject tables: artifacts `news-etl-sources`, `news-etl-rejects`)"]
    fetch = next((s["summary"] for s in steps if s["step"] == "fetch" and s["summary"]), None)
    if fetch and fetch.get("failed"):
        lines += ["", "| failed source | why |", "| --- | --- |"]
        lines += [f"| {sid} | {why} |" for sid, why in fetch["failed"].items()]
    fresh = next((s["summary"] for s in steps if s["step"] == "freshness" and s["summary"]), None)
    if fresh and fresh.get("flagged"):
        lines += ["", "Sources that need attention (`news-etl status`, view `source_freshness`):", "",
                  "| source | status | why | last article ingested | last fetch a listing answered | recent nights |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {f['source_id']} | {f['status']} | {f['reason']} | {f['last_ingested_at'] or '-'} | "
                  f"{f['last_fetch_ok_at'] or '-'} | {f['recent_articles'] or '-'} |" for f in fresh["flagged"]]
    return "\n".join(lines)


def publish_steps(kind: str, steps: list[dict[str, Any]], data_dir: str, extra: str = "") -> None:
    """A table artifact of the steps (status, duration) and a markdown summary of the night
    (`extra`: more markdown, e.g. the sources needing attention)."""
    rows = [{"step": s["step"], "status": s["status"], "seconds": s["seconds"], "detail": s["detail"]} for s in steps]
    create_table_artifact(table=rows, key=f"news-etl-{kind}-steps", description=f"news-etl {kind}: steps and durations")
    markdown = steps_markdown(kind, steps, data_dir) + (f"\n\n{extra}" if extra else "")
    create_markdown_artifact(markdown=markdown, key=f"news-etl-{kind}-summary", description=f"news-etl {kind} summary")
