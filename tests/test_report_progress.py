"""Progress bars on stderr for long CLI work; stdout stays clean for machine-readable output."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import SAMPLES, Cli

pytestmark = pytest.mark.slow


def test_progress_bars_on_stderr_and_clean_json_stdout(cli: Cli) -> None:
    n = sum(1 for p in SAMPLES.rglob("*") if p.is_file())
    res = cli("load", str(SAMPLES), extra_env={"NEWS_ETL_PROGRESS": "1"})
    assert res.code == 0, res.stderr
    assert "extracting" in res.stderr and "committing" in res.stderr
    assert f"{n}/{n}" in res.stderr  # the bars reached the end
    assert "extracting" not in res.stdout and "\x1b[" not in res.stdout  # the summary table alone on stdout
    assert "articles new" in res.stdout
    # the run published its artifacts to the Prefect server: per-source counts of this run
    run_id = res.stdout.split("run ", 1)[1].split()[0]
    found = httpx.post(
        cli.env["PREFECT_API_URL"] + "/artifacts/filter", json={"artifacts": {"key": {"any_": ["news-etl-sources"]}}}, timeout=30
    ).json()
    mine = [a for a in found if run_id in (a.get("description") or "")]
    assert mine
    per_source = {r["source_id"]: (r["articles_new"], r["articles_updated"], r["duplicate_refs"]) for r in json.loads(mine[0]["data"])}
    # the samples' sources come from the registry (URL, site name, byline, short link, appeal); two name none
    assert per_source == {"enab-baladi": (2, 0, 0), "eocr": (2, 0, 0), "local": (2, 0, 0), "north-press": (1, 0, 0), "sy24": (2, 0, 0)}
    assert sum(new for new, _, _ in per_source.values()) == n
    js = cli("sql", "select count(*) as n from articles", "--format", "json", extra_env={"NEWS_ETL_PROGRESS": "1"})
    assert json.loads(js.stdout) == [{"n": n}]
    quiet = cli("load", str(SAMPLES))  # not a terminal: no bars
    assert quiet.code == 0 and "committing" not in quiet.stderr
