"""`news-etl sql` and `search` against hostile queries and hostile stored text, through the real
CLI on a real lake (made without Prefect): nothing but reading touches the lake's files, a
statement stops at its timeout and its memory limit, results stream in bounded memory, and
control characters a stored value carries never reach the terminal raw."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from collect.extract import process_slice
from collect.inputs import discover, plan_units
from tests.conftest import ROOT, Cli
from tests.test_hostile_reading import GOOD
from tests.watchdog import run_watched
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

pytestmark = pytest.mark.slow

ESC_NAME = "clear\x1b[2J\x1b]0;owned\x07\u202etxt.exe.txt"  # ESC, OSC, BEL and a right-to-left override


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile-sql")
    inputs = base / "inputs"
    inputs.mkdir()
    (inputs / "a.txt").write_text(GOOD, encoding="utf-8")
    (inputs / ESC_NAME).write_text(GOOD + " اسم ملف خبيث", encoding="utf-8")
    results = process_slice(tuple(plan_units(discover([inputs]))))
    paths = LakePaths(base / "data")
    with LakeWriter(paths) as writer:
        writer.start_run("r1", "test", {})
        writer.commit_batch("r1", results)
        writer.finish_run("r1", "completed", {"inputs": len(results)})
    return paths.data_dir


def files(data: Path) -> list[tuple[str, int]]:
    """Every file of the lake with its size (write-ahead logs left out: readers may make them)."""
    lake = data / "lake"
    return sorted((str(p.relative_to(lake)), p.stat().st_size) for p in lake.rglob("*") if p.is_file() and ".wal" not in p.name)


WRITING_FUNCTIONS = [
    "SELECT * FROM ducklake_merge_adjacent_files('lake')",
    "FROM ducklake_rewrite_data_files('lake', 'articles', delete_threshold => 0)",
    "SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())",
    "SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)",
    "SELECT * FROM ducklake_delete_orphaned_files('lake', cleanup_all => true)",
    "SELECT * FROM ducklake_flush_inlined_data('lake')",
    "SELECT * FROM ducklake_set_option('lake', 'target_file_size', '1KB')",
    "SELECT * FROM ducklake_add_data_files('lake', 'articles', 'x.parquet')",
    "SELECT * FROM \"DuckLake_Merge_Adjacent_Files\"('lake')",
    "SELECT * FROM system.main.ducklake_merge_adjacent_files('lake')",
    "WITH x AS (SELECT * FROM ducklake_merge_adjacent_files('lake')) SELECT count(*) FROM x",
    "SELECT (SELECT count(*) FROM ducklake_rewrite_data_files('lake'))",
    "SELECT * FROM articles WHERE EXISTS (FROM ducklake_merge_adjacent_files('lake'))",
    "SELECT * FROM query('CALL ducklake_merge_adjacent_files(''lake'')')",
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
    "SELECT * FROM checkpoint()",
    "SELECT * FROM force_checkpoint()",
    "EXPLAIN ANALYZE SELECT * FROM ducklake_merge_adjacent_files('lake')",
    "CALL ducklake_merge_adjacent_files('lake')",
]


@pytest.mark.parametrize("query", WRITING_FUNCTIONS)
def test_functions_that_write_are_refused_and_no_file_appears(lake: Path, query: str) -> None:
    before = files(lake)
    res = Cli(data_dir=lake, env={})("sql", query, timeout=60)
    assert res.code == 1, (query, res.stdout)
    assert res.stderr.startswith("news-etl: error:") and "Traceback" not in res.stderr, res.stderr
    assert files(lake) == before


def test_reading_functions_still_answer(lake: Path) -> None:
    cli = Cli(data_dir=lake, env={})
    for query in (
        "SELECT count(*) AS n FROM ducklake_snapshots('lake')",
        "SELECT count(*) AS n FROM ducklake_table_info('lake')",
        "SELECT count(*) AS n FROM (SUMMARIZE articles)",
        "SELECT count(*) AS n FROM range(10) r, unnest([1, 2]) u",
        "SELECT count(*) AS n FROM read_parquet('" + str(lake / "lake" / "files") + "/main/articles/**/*.parquet')",
    ):
        rows = cli.sql_json(query)
        assert rows and int(rows[0]["n"]) > 0, query  # type: ignore[call-overload]


def test_a_statement_stops_at_its_timeout(lake: Path) -> None:
    started = time.monotonic()
    res = Cli(data_dir=lake, env={})("sql", "SELECT count(*) FROM range(1000000000000) a", "--timeout", "1", timeout=60)
    assert res.code == 1 and "ran longer than 1 s and was stopped" in res.stderr, res.stderr
    assert time.monotonic() - started < 30
    res = Cli(data_dir=lake, env={})("sql", "SELECT count(*) FROM range(1000000000000) a", extra_env={"NEWS_ETL_SQL_TIMEOUT": "1"})
    assert res.code == 1 and "ran longer than 1 s" in res.stderr


def test_a_statement_stops_at_its_memory_limit(lake: Path) -> None:
    query = "SELECT max(x) FROM (SELECT repeat(range::VARCHAR, 20) AS x FROM range(20000000) ORDER BY x DESC)"
    env = {**os.environ, "NEWS_ETL_DATA_DIR": str(lake)}
    res = run_watched([sys.executable, "-m", "cli", "sql", query, "--memory-limit", "64MiB"],
                      env=env, cwd=ROOT, seconds=120, max_rss_mb=900)
    assert res.code == 1, res.stdout
    assert "needs more memory than" in res.stderr and "--memory-limit" in res.stderr, res.stderr


def test_results_stream_in_bounded_memory(lake: Path) -> None:
    env = {**os.environ, "NEWS_ETL_DATA_DIR": str(lake)}
    # a million rows: fetched whole into Python (and printed from one string) they take over 300 MB;
    # streamed in batches the command stays near its resting size. (DuckDB 1.5 itself still buffers
    # a result of very wide text values whole: duckdb/duckdb-python#617.)
    query = "SELECT range AS a, range * 7 AS b, 'row ' || range::VARCHAR AS c FROM range(1000000)"
    res = run_watched([sys.executable, "-m", "cli", "sql", query, "--format", "csv"],
                      env=env, cwd=ROOT, seconds=180, max_rss_mb=220, discard_output=True)
    assert res.code == 0, res.stderr


def test_a_table_prints_a_thousand_rows_and_says_how_many_more(lake: Path) -> None:
    cli = Cli(data_dir=lake, env={})  # (each count of "\n| " includes the header row)
    table = cli("sql", "SELECT * FROM range(2500)")
    assert table.code == 0 and table.stdout.count("\n| ") == 1000 + 1
    assert "(1000 rows; 1500 more rows: use --limit N (0 for all) or --format csv)" in table.stdout
    assert cli("sql", "SELECT * FROM range(2500)", "--limit", "0").stdout.count("\n| ") == 2500 + 1
    assert cli("sql", "SELECT * FROM range(2500)", "--limit", "7").stdout.count("\n| ") == 7 + 1
    assert len(cli("sql", "SELECT * FROM range(2500)", "--format", "csv").stdout.splitlines()) == 2501
    assert len(json.loads(cli("sql", "SELECT * FROM range(2500)", "--format", "json").stdout)) == 2500
    assert len(json.loads(cli("sql", "SELECT * FROM range(2500)", "--format", "json", "--limit", "3").stdout)) == 3


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_control_characters_in_stored_values_are_escaped(lake: Path, fmt: str) -> None:
    cli = Cli(data_dir=lake, env={})
    query = "SELECT input_ref, regexp_extract(input_ref, '[^/]*$') AS name, chr(155) || 'c1' AS c1 FROM article_inputs ORDER BY 1"
    res = cli("sql", query, "--format", fmt)
    assert res.code == 0, res.stderr
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in res.stdout, (fmt, raw)
    if fmt == "json":
        refs = [str(row["input_ref"]) for row in json.loads(res.stdout)]
        assert any(ref.endswith(ESC_NAME) for ref in refs)  # the value itself is intact, only escaped
    else:
        assert "clear\\x1b[2J\\x1b]0;owned\\x07\\u202etxt.exe.txt" in res.stdout
        assert "\\x9bc1" in res.stdout
