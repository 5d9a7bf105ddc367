"""Migrations applied by the writer, and maintenance: compaction, expiry, safe clean-up."""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_warehouse_helpers import arabic_body, doc, load, rows
from warehouse.attach import WarehouseError
from warehouse.lock import writer_lock
from warehouse.maintenance import published_files, run_maintenance
from warehouse.migrations import LATEST_VERSION
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly
from warehouse.writer import LakeWriter


def _several_runs(paths: LakePaths, runs: int = 4) -> None:
    for r in range(runs):
        load(paths, [[doc(f"r{r}-{i}.txt", arabic_body(100 * r + i), url=f"https://m.example/{r}/{i}") for i in range(3)]], f"run-{r}")


def _parquet_on_disk(paths: LakePaths) -> set[str]:
    return {str(p) for p in paths.files.rglob("*.parquet")}


def test_writer_migrates_an_old_lake(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    _several_runs(paths, 2)
    # turn it back into a version-1 lake: no marts, no signatures, version 1 only
    with writer_lock(paths), LakeWriter(paths) as w:
        w.con.execute("BEGIN")
        for view in ("mart_articles_daily", "mart_mentions_weekly", "mart_figures_monthly", "figure_governorates"):
            w.con.execute(f"DROP VIEW {view}")
        w.con.execute("DELETE FROM article_minhash")
        w.con.execute("DELETE FROM article_lsh")
        w.con.execute("DELETE FROM schema_info WHERE schema_version > 1")
        for table in ("articles", "article_versions"):
            w.con.execute(f"ALTER TABLE {table} DROP COLUMN source_from")
        w.con.execute("COMMIT")
        w.publish()
    assert rows(paths, "SELECT max(schema_version) FROM schema_info") == [(1,)]

    with writer_lock(paths), LakeWriter(paths):
        pass  # opening the lake applies pending migrations and publishes
    assert rows(paths, "SELECT max(schema_version) FROM schema_info") == [(LATEST_VERSION,)]
    assert rows(paths, "SELECT count(*) FROM mart_articles_daily")[0][0] > 0
    assert rows(paths, "SELECT count(*) FROM figure_governorates") == rows(paths, "SELECT count(*) FROM figures")
    assert rows(paths, "SELECT count(*) FROM article_minhash") == rows(paths, "SELECT count(*) FROM articles")
    assert rows(paths, "SELECT count(*) FROM articles WHERE source_from IS NULL") == rows(paths, "SELECT count(*) FROM articles")
    load(paths, [[doc("new.txt", arabic_body(999), url="https://m.example/new")]], "run-new")  # a new article fills it
    assert rows(paths, "SELECT source_from FROM articles WHERE run_id = 'run-new'") == [("input",)]


def test_a_schema_4_lake_gets_the_facts_columns(tmp_path: Path) -> None:
    """Lakes from before schema 5 lack the facts columns of the article's own text: the writer
    adds them (NULL for stored rows), the marts read them, and new rows fill them."""
    paths = LakePaths(tmp_path / "data")
    _several_runs(paths, 1)
    new_mention_cols = ("canonical_ar", "surface_search", "sentence_search", "part")
    new_figure_cols = ("sentence_search", "figure_no", "of_figure", "scope", "part")
    with writer_lock(paths), LakeWriter(paths) as w:
        w.con.execute("BEGIN")
        for view in ("mart_figures_monthly", "figure_governorates", "mart_mentions_weekly"):
            w.con.execute(f"DROP VIEW {view}")
        for col in new_mention_cols:
            w.con.execute(f"ALTER TABLE mentions DROP COLUMN {col}")
        for col in new_figure_cols:
            w.con.execute(f"ALTER TABLE figures DROP COLUMN {col}")
        w.con.execute("DELETE FROM schema_info WHERE schema_version > 4")
        w.con.execute("COMMIT")
        w.publish()
    assert rows(paths, "SELECT max(schema_version) FROM schema_info") == [(4,)]

    load(paths, [[doc("new.txt", arabic_body(7), url="https://m.example/new")]], "run-new")  # opens, migrates, loads
    assert rows(paths, "SELECT max(schema_version) FROM schema_info") == [(LATEST_VERSION,)]
    cols = {r[0] for r in rows(paths, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'figures'")}
    assert set(new_figure_cols) <= cols
    assert rows(paths, "SELECT count(*) FROM mentions WHERE part IS NULL")[0][0] > 0  # stored before: NULL
    assert rows(paths, "SELECT count(*) FROM mentions WHERE run_id = 'run-new' AND (part IS NULL OR surface_search IS NULL)") == [(0,)]
    assert rows(paths, "SELECT count(*) FROM figure_governorates") == rows(paths, "SELECT count(*) FROM figures")


def test_a_newer_lake_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    _several_runs(paths, 1)
    with writer_lock(paths), LakeWriter(paths) as w:
        w.con.execute("INSERT INTO schema_info VALUES (999, now())")
    with pytest.raises(WarehouseError, match="newer than this news-etl"), writer_lock(paths), LakeWriter(paths):
        pass


def test_maintenance_compacts_expires_and_cleans_without_breaking_readers(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    _several_runs(paths, 4)
    before = rows(paths, "SELECT article_id, version, cluster_id FROM articles ORDER BY 1")
    files_before = _parquet_on_disk(paths)
    # an orphan: a Parquet file no snapshot knows (as a run killed mid-commit leaves), made old
    some = sorted(paths.files.glob("main/articles/**/*.parquet"))[0]
    orphan = some.with_name("ducklake-orphan-left-by-a-killed-run.parquet")
    shutil.copyfile(some, orphan)
    old = time.time() - 2 * 86400  # older than the grace period
    os.utime(orphan, (old, old))
    assert rows(paths, "SELECT article_id, version, cluster_id FROM articles ORDER BY 1") == before  # never read

    reader = connect_readonly(paths)  # a BI reader that opened the lake before maintenance
    with writer_lock(paths), LakeWriter(paths) as w:
        first = run_maintenance(w, expire_older_than=timedelta(0), grace=timedelta(days=1))
    assert first.files_merged > 0 and first.snapshots_expired > 0
    assert first.files_deleted == 0  # released files are kept for a day: the old reader still works
    assert first.orphans_deleted == 1 and not orphan.exists()
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (len(before),)
    reader.close()

    with writer_lock(paths), LakeWriter(paths) as w:
        second = run_maintenance(w, expire_older_than=timedelta(0), grace=timedelta(0))
    assert second.files_deleted > 0
    after_files = _parquet_on_disk(paths)
    assert len(after_files) < len(files_before)
    assert rows(paths, "SELECT article_id, version, cluster_id FROM articles ORDER BY 1") == before
    referenced = published_files(paths)
    assert referenced and referenced <= after_files  # everything the readers' catalog names exists
    assert rows(paths, "SELECT count(*) FROM article_versions")[0][0] == len(before)


def test_maintenance_never_deletes_files_the_published_copy_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = LakePaths(tmp_path / "data")
    _several_runs(paths, 3)
    on_disk = _parquet_on_disk(paths)
    # simulate a published copy that lags behind the catalog (publish fails to happen)
    monkeypatch.setattr(LakeWriter, "publish", lambda self: None)
    with writer_lock(paths), LakeWriter(paths) as w, pytest.raises(WarehouseError, match="still references"):
        run_maintenance(w, expire_older_than=timedelta(0), grace=timedelta(0))
    assert on_disk <= _parquet_on_disk(paths)
    monkeypatch.undo()
    assert rows(paths, "SELECT count(*) FROM articles")[0][0] == 9


@pytest.mark.slow
def test_cli_maintain(cli: Cli) -> None:
    paths = LakePaths(cli.data_dir)
    _several_runs(paths, 2)
    res = cli("maintain", "--expire-days", "0", "--grace-hours", "0")
    assert res.code == 0, res.stderr
    assert "maintenance" in res.stdout and "files merged" in res.stdout
    run = cli.sql_json("SELECT flow, status, message FROM runs WHERE flow = 'maintain'")
    assert len(run) == 1 and run[0]["status"] == "completed" and "files_merged" in str(run[0]["message"])
    assert cli.sql_json("SELECT count(*) AS n FROM articles") == [{"n": 6}]
    nothing = Cli(data_dir=cli.data_dir.parent / "nothing", env=cli.env)("maintain")
    assert nothing.code == 1 and "nothing to maintain" in nothing.stderr
