"""The whole path for real: samples -> Prefect flow -> transforms -> DuckLake -> SQL out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SAMPLES, Cli

pytestmark = pytest.mark.slow


def test_run_loads_samples_and_sql_answers(cli: Cli, tmp_path: Path) -> None:
    res = cli("run")
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert "completed" in res.stdout and "inputs" in res.stdout

    n_inputs = sum(1 for p in SAMPLES.rglob("*") if p.is_file())
    rows = cli.sql_json("select source_id, count(*) as n from articles group by 1")
    assert sum(int(r["n"]) for r in rows) >= 5  # type: ignore[call-overload]

    run = cli.sql_json("select * from runs")
    assert len(run) == 1 and run[0]["status"] == "completed"
    counts = run[0]
    assert counts["inputs"] == n_inputs
    assert counts["inputs"] == counts["articles_new"] + counts["articles_updated"] + counts["duplicates"] + counts["rejects"]  # type: ignore[operator]

    # the same load again stores nothing new: same ids, same counts
    before = cli.sql_json("select article_id, content_hash from articles order by 1")
    res2 = cli("load", str(SAMPLES))
    assert res2.code == 0, res2.stderr
    after = cli.sql_json("select article_id, content_hash from articles order by 1")
    assert before == after
    second = cli.sql_json("select * from runs where flow = 'load' order by started_at desc limit 1")[0]
    assert second["articles_new"] == 0 and second["duplicates"] == len(before)

    # Parquet files on disk, hive-partitioned, readable by plain DuckDB
    files = cli.data_dir / "lake" / "files" / "main" / "articles"
    parts = sorted(p.relative_to(files).parts[:3] for p in files.rglob("*.parquet"))
    assert parts and all(p[0].startswith("source_id=") and p[1].startswith("pub_year=") for p in parts)
    con = duckdb.connect()
    n = con.execute(
        "select count(*) from read_parquet(?, hive_partitioning = true)", [str(files / "**" / "*.parquet")]
    ).fetchone()
    assert n is not None and n[0] == len(before)


def test_sql_formats(cli: Cli, tmp_path: Path) -> None:
    assert cli("load", str(SAMPLES / "000_946957e105135c63.txt")).code == 0
    table = cli("sql", "select count(*) as n from articles")
    assert table.code == 0 and "| n" in table.stdout and "(1 row)" in table.stdout
    csv = cli("sql", "select 1 as a, 'x,y' as b", "--format", "csv")
    assert csv.stdout.splitlines() == ["a,b", '1,"x,y"']
    js = cli("sql", "select 1 as a, null as b", "--format", "json")
    assert json.loads(js.stdout) == [{"a": 1, "b": None}]


def test_sql_is_read_only(cli: Cli, tmp_path: Path) -> None:
    assert cli("load", str(SAMPLES / "001_cb6402e5e5e5f342.txt")).code == 0
    target = tmp_path / "leak.csv"
    for query in (
        f"copy (select * from articles) to '{target}'",
        f"attach '{tmp_path / 'other.db'}' as other",
        "delete from articles",
        "drop table articles",
        "set enable_external_access = true",
    ):
        res = cli("sql", query)
        assert res.code != 0, query
        assert res.stderr.startswith("news-etl: error:"), res.stderr
    assert not target.exists() and not (tmp_path / "other.db").exists()
    assert cli.sql_json("select count(*) as n from articles")[0]["n"] == 1


def test_sql_without_warehouse_is_a_clear_error(cli_offline: Cli) -> None:
    res = cli_offline("sql", "select 1")
    assert res.code == 1
    assert "no warehouse" in res.stderr and "Traceback" not in res.stderr


def test_missing_path_is_a_one_line_error(cli_offline: Cli, tmp_path: Path) -> None:
    res = cli_offline("load", str(tmp_path / "nope"))
    assert res.code == 1
    assert res.stderr.strip().count("\n") == 0 and "no such file or folder" in res.stderr


def test_unwritable_data_dir_is_a_clear_error(cli_offline: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    res = cli_offline("load", str(SAMPLES), extra_env={"NEWS_ETL_DATA_DIR": str(blocker)})
    assert res.code == 1 and "not a directory" in res.stderr


def test_data_dir_flag_before_and_after_command(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "other-data"
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SAMPLES / "003_557eac65f9b4e072.txt", src)
    assert cli("--data-dir", str(other), "load", str(src)).code == 0
    res = cli("sql", "select count(*) as n from articles", "--data-dir", str(other), "--format", "json")
    assert json.loads(res.stdout) == [{"n": 1}]
    assert not (cli.data_dir / "lake").exists()
    assert (ROOT / "samples").is_dir()
