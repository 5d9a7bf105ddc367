"""Idempotency, versions, exact duplicates across outlets and lineage, on a real DuckLake."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from tests.test_warehouse_helpers import arabic_body, doc, load, rows
from warehouse.attach import LAKE, attach_sql
from warehouse.extensions import load_extension
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

TABLES_WITH_ROWS = ("articles", "article_versions", "article_inputs", "article_minhash", "article_lsh", "removed")


def _counts(paths: LakePaths) -> dict[str, int]:
    return {t: int(rows(paths, f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES_WITH_ROWS}


def test_same_inputs_again_change_nothing(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    batch = [doc(f"in/{i}.txt", arabic_body(i), url=f"https://a.example/{i}") for i in range(6)]
    first = load(paths, [batch[:3], batch[3:]], "run-1")
    assert first["articles_new"] == 6
    before = _counts(paths)
    ids = rows(paths, "SELECT article_id, version, content_hash, cluster_id FROM articles ORDER BY 1")

    second = load(paths, [batch], "run-2")
    assert second == {**second, "articles_new": 0, "articles_updated": 0, "duplicates": 6, "rejects": 0}
    assert _counts(paths) == before
    assert rows(paths, "SELECT article_id, version, content_hash, cluster_id FROM articles ORDER BY 1") == ids
    # lineage: every row names the run that wrote it; both runs are recorded with their counts
    assert {r[0] for r in rows(paths, "SELECT DISTINCT run_id FROM articles")} == {"run-1"}
    runs = rows(paths, "SELECT run_id, status, inputs, articles_new, duplicates, batches FROM runs ORDER BY started_at")
    assert runs == [("run-1", "completed", 6, 6, 0, 2), ("run-2", "completed", 6, 0, 6, 1)]


def test_changed_content_becomes_a_new_version_and_old_stays_queryable(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    url = "https://a.example/story"
    v1 = doc("in/v1.txt", arabic_body(1), url=url, title="عنوان")
    load(paths, [[v1]], "run-1")
    snap = int(rows(paths, "SELECT max(snapshot_id) FROM lake.snapshots()")[0][0])
    v2 = doc("in/v2.txt", arabic_body(1) + "\nتحديث: " + arabic_body(99, 20), url=url, title="عنوان")
    counts = load(paths, [[v2]], "run-2")
    assert counts["articles_updated"] == 1 and counts["articles_new"] == 0

    latest = rows(paths, "SELECT article_id, version, input_ref, run_id FROM articles")
    assert latest == [(v1.article.article_id, 2, "in/v2.txt", "run-2")]  # type: ignore[union-attr]
    versions = rows(paths, "SELECT version, input_ref FROM article_versions ORDER BY version")
    assert versions == [(1, "in/v1.txt"), (2, "in/v2.txt")]
    assert rows(paths, "SELECT count(*) FROM article_minhash")[0][0] == 1  # signature replaced, not added
    # DuckLake time travel on the published copy: the articles table as of the first run
    assert rows(paths, f"SELECT version, input_ref FROM articles AT (VERSION => {snap})") == [(1, "in/v1.txt")]

    # the old content again is a duplicate of the stored version, not a third version
    again = load(paths, [[v2]], "run-3")
    assert again["duplicates"] == 1 and rows(paths, "SELECT count(*) FROM article_versions")[0][0] == 2


def test_republication_collapses_into_one_article_with_every_input(tmp_path: Path) -> None:
    """The same body under another outlet's URL (seed 002: Independent Arabia republished by
    eocr.eu) is one article; both input_refs are kept."""
    paths = LakePaths(tmp_path / "data")
    body = arabic_body(7)
    original = doc("ia.txt", body, url="https://www.independentarabia.com/node/1", source_id="independentarabia")
    copy = doc("eocr.txt", body, url="https://eocr.eu/copy-1", source_id="eocr")
    counts = load(paths, [[original, copy]])
    assert (counts["articles_new"], counts["duplicates"]) == (1, 1)
    assert rows(paths, "SELECT source_id FROM articles") == [("independentarabia",)]
    inputs = rows(paths, "SELECT input_ref, relation FROM article_inputs ORDER BY input_ref")
    assert inputs == [("eocr.txt", "duplicate"), ("ia.txt", "stored")]


def test_published_copy_is_a_plain_read_only_ducklake(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    load(paths, [[doc("a.txt", arabic_body(3))]])
    con = duckdb.connect()
    load_extension(con, "ducklake")
    con.execute(attach_sql(paths.published_catalog, paths.files, read_only=True))
    assert con.execute(f"SELECT count(*) FROM {LAKE}.articles").fetchone() == (1,)
    try:
        con.execute(f"DELETE FROM {LAKE}.articles")
        raise AssertionError("a read-only attach accepted a DELETE")
    except duckdb.Error:
        pass


def test_a_moved_data_directory_still_opens_and_records_its_new_place(tmp_path: Path) -> None:
    first = LakePaths(tmp_path / "first")
    load(first, [[doc("a.txt", arabic_body(1), url="https://a.example/1")]])
    moved = LakePaths(tmp_path / "elsewhere" / "data")
    moved.data_dir.parent.mkdir()
    shutil.move(first.data_dir, moved.data_dir)
    # readers open it at once (the files are found under the new folder)
    assert rows(moved, "SELECT count(*) FROM articles") == [(1,)]
    # the next writer records the new place and carries on
    with writer_lock(moved), LakeWriter(moved) as writer:
        assert writer.moved_from == str(first.files) + os.sep
    load(moved, [[doc("b.txt", arabic_body(2), url="https://a.example/2")]], "run-2")
    assert rows(moved, "SELECT count(*) FROM articles") == [(2,)]
    assert not first.data_dir.exists()  # nothing was written to the old place
    # plain DuckDB (as a BI tool attaches it) needs no DATA_PATH any more
    con = duckdb.connect()
    load_extension(con, "ducklake")
    con.execute(f"ATTACH 'ducklake:{moved.published_catalog}' AS lake (READ_ONLY)")
    assert con.execute("SELECT count(*) FROM lake.articles").fetchall() == [(2,)]
    con.close()
