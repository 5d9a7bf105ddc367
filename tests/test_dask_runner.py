"""The Dask task runner (prefect-dask, a local cluster of two worker processes) gives the same
lake as the default process-pool runner."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.conftest import SEEDS, Cli
from tests.report_lake import write_jsonl

pytestmark = pytest.mark.slow
pytest.importorskip("prefect_dask", reason="the dask extra is not installed (pip install -e '.[dask]')")

QUERIES = {
    "articles": "select article_id, version, source_id, url, title, published_at, content_hash, word_count, body "
    "from articles order by article_id",
    "rejects": "select input_ref, reason, detail from rejects order by input_ref",
    "removed": "select article_id, line_no, rule from removed order by all",
    "input_ledger": "select input_ref, kind, size, mtime_ns, documents, article_id, reject_reason from input_ledger order by all",
    "runs": "select inputs, articles_new, articles_updated, duplicates, rejects, removed_lines, batches from runs",
}


def test_dask_runner_matches_the_default_runner(cli: Cli, tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "dated.jsonl")
    inputs = [*(str(p) for p in SEEDS), str(jsonl)]
    default = cli("load", *inputs, "--batch-size", "6")
    assert default.code == 0, default.stderr
    dask_cli = dataclasses.replace(cli, data_dir=tmp_path / "dask-data")
    res = dask_cli("load", *inputs, "--batch-size", "6", "--runner", "dask")
    assert res.code == 0, res.stderr
    assert "extracting on Dask" in res.stderr  # the one load flow, with the Dask task runner
    assert "Traceback" not in res.stderr
    for name, query in QUERIES.items():
        expected, got = cli.sql_json(query), dask_cli.sql_json(query)
        assert got == expected, name
    run = dask_cli.sql_json("select parameters, batches, articles_new from runs")[0]
    assert '"runner": "dask"' in str(run["parameters"])
    assert run["batches"] == 2 and run["articles_new"] == 11

    # the input ledger works the same on Dask: a second run over unchanged files reads nothing
    again = dask_cli("load", *inputs, "--batch-size", "6", "--runner", "dask")
    assert again.code == 0, again.stderr
    second = dask_cli.sql_json("select inputs, duplicates, batches, message from runs order by started_at desc limit 1")[0]
    assert second["batches"] == 0 and second["inputs"] == second["duplicates"] == run_inputs(dask_cli)
    assert "unchanged input file(s) skipped" in str(second["message"])


def run_inputs(cli: Cli) -> int:
    return int(cli.sql_json("select inputs from runs order by started_at limit 1")[0]["inputs"])
