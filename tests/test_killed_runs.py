"""SIGKILL at several points leaves the lake at its last complete commit; the next run resumes
with no duplicates, and files a killed run left behind are never read (maintenance removes them).

Two kinds of kill: deterministic (a child process drives the real LakeWriter and kills itself
with SIGKILL at a chosen point) and real (the `news-etl load` process group killed mid-run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli
from tests.test_concurrency import BATCH, make_corpus, snapshot_counts, start_cli
from tests.test_warehouse_helpers import arabic_body, doc, load, rows
from transforms.records import DocumentResult
from warehouse.lock import writer_lock
from warehouse.maintenance import published_files, run_maintenance
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

CHILD = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path

    from warehouse.lock import writer_lock
    from warehouse.writer import LakeWriter
    from tests.test_warehouse_helpers import arabic_body, doc
    from warehouse.paths import LakePaths

    paths, point = LakePaths(Path(sys.argv[1])), sys.argv[2]
    armed = False

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    class Con:  # the writer's connection, killed at a chosen statement
        def __init__(self, con):
            self._con = con
        def __getattr__(self, name):
            return getattr(self._con, name)
        def execute(self, sql, *args):
            if armed and point == "insert" and sql.startswith('INSERT INTO "article_inputs"'):
                die()  # half-way through the batch's inserts: Parquet files already written
            if armed and point == "commit" and sql == "COMMIT":
                die()
            return self._con.execute(sql, *args)

    real_copy, real_replace = shutil.copyfile, os.replace

    def copy(src, dst, *a, **k):
        if armed and point == "publish":
            with open(src, "rb") as fh, open(dst, "wb") as out:
                out.write(fh.read(65536))  # a half-written copy of the catalog
            die()
        return real_copy(src, dst, *a, **k)

    def replace(src, dst, *a, **k):
        if armed and point == "search" and str(dst).endswith("search.duckdb"):
            die()  # the index is built but not swapped in
        return real_replace(src, dst, *a, **k)

    shutil.copyfile, os.replace = copy, replace
    batches = [
        [doc(f"b{b}-{i}.txt", arabic_body(1000 * b + i), url=f"https://k.example/{b}/{i}") for i in range(10)]
        for b in range(3)
    ]
    with writer_lock(paths), LakeWriter(paths) as w:
        w.con = Con(w.con)
        w.start_run("killed", "load", {})
        w.commit_batch("killed", batches[0], 0)
        armed = True
        if point == "transform":
            die()  # between commits, while the next batch is being transformed
        w.commit_batch("killed", batches[1], 1)
        w.finish_run("killed", "completed", {})
    print("not killed")
    """
)

# point -> (articles the readers see after the kill, articles in the writer's catalog)
POINTS = {
    "transform": (10, 10),
    "insert": (10, 10),
    "commit": (10, 10),
    "publish": (10, 20),
    "search": (20, 20),
}


def _batches() -> list[list[DocumentResult]]:  # the same documents the child built
    return [
        [doc(f"b{b}-{i}.txt", arabic_body(1000 * b + i), url=f"https://k.example/{b}/{i}") for i in range(10)]
        for b in range(3)
    ]


@pytest.mark.parametrize("point", sorted(POINTS))
def test_sigkill_at_a_point_leaves_the_last_complete_commit(tmp_path: Path, point: str) -> None:
    paths = LakePaths(tmp_path / "data")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(paths.data_dir), point],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    published, catalog = POINTS[point]

    # readers: exactly the last published complete commit, never a part of a batch
    assert rows(paths, "SELECT count(*) FROM articles") == [(published,)]
    assert rows(paths, "SELECT count(*) FROM article_inputs") == [(published,)]
    assert rows(paths, "SELECT count(*) FROM article_minhash") == [(published,)]

    # the writer's own catalog: the batch was either committed whole or not at all
    with writer_lock(paths), LakeWriter(paths) as w:
        assert not list(paths.lake_dir.glob(".*.tmp"))  # half-written copies removed
        got = w.con.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone()
        assert got == (catalog, catalog)
    # opening the writer republished: readers now see the catalog's last commit
    assert rows(paths, "SELECT count(*) FROM articles") == [(catalog,)]

    # the next run resumes: everything loaded once, no duplicates, the killed run marked failed
    counts = load(paths, _batches(), "rerun")
    assert counts["articles_new"] == 30 - catalog and counts["duplicates"] == catalog
    assert rows(paths, "SELECT count(*), count(DISTINCT article_id), count(DISTINCT content_hash) FROM articles") == [(30, 30, 30)]
    assert rows(paths, "SELECT count(*) FROM (SELECT DISTINCT article_id, input_ref FROM article_inputs)") == \
        rows(paths, "SELECT count(*) FROM article_inputs") == [(30,)]
    assert dict(rows(paths, "SELECT run_id, status FROM runs")) == {"killed": "failed", "rerun": "completed"}

    # files the killed run wrote but never committed are not read, and maintenance removes them
    on_disk = {str(p) for p in paths.files.rglob("*.parquet")}
    referenced = published_files(paths)
    assert referenced <= on_disk
    with writer_lock(paths), LakeWriter(paths) as w:
        report = run_maintenance(w, expire_older_than=timedelta(days=30), grace=timedelta(0))
    if point in ("insert", "commit"):
        assert report.orphans_deleted > 0
    assert {str(p) for p in paths.files.rglob("*.parquet")} <= published_files(paths)
    assert rows(paths, "SELECT count(*) FROM articles") == [(30,)]


@pytest.mark.slow
def test_news_etl_load_killed_again_and_again_then_resumed(cli: Cli, tmp_path: Path) -> None:
    """The real command, SIGKILLed (whole process group: flow and extraction workers) at
    different moments: before anything was committed, and after 1, 3 and 5 batches."""
    paths = LakePaths(cli.data_dir)
    batches = 8
    corpus = make_corpus(tmp_path / "corpus", batches=batches)
    last = 0
    for kill_after in (None, 1, 3, 5):
        proc = start_cli(cli, "load", str(corpus), "--batch-size", str(BATCH), "--workers", "2")
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            counts = snapshot_counts(paths)
            articles = counts[0] if counts else 0
            if kill_after is None and paths.lake_dir.exists():
                time.sleep(1.0)  # the run has started: kill during start-up / the first transform
                break
            if kill_after is not None and articles >= kill_after * BATCH:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        counts = snapshot_counts(paths)
        if counts is not None:
            articles, inputs, sigs, _ = counts
            assert articles % BATCH == 0 and articles == inputs == sigs
            assert articles >= last  # a kill never loses committed work
            # a kill between a batch's catalog commit and its publication leaves readers one
            # batch behind the catalog; the writer's catalog is what the next run resumes from
            with writer_lock(paths), LakeWriter(paths) as w:
                row = w.con.execute("SELECT count(*) FROM articles").fetchone()
            assert row is not None and row[0] in (articles, articles + BATCH)
            last = int(row[0])
    res = cli("load", str(corpus), "--batch-size", str(BATCH))
    assert res.code == 0, res.stderr
    final = cli.sql_json(
        "SELECT count(*) AS n, count(DISTINCT article_id) AS ids, count(DISTINCT content_hash) AS hashes FROM articles"
    )
    assert final == [{"n": batches * BATCH, "ids": batches * BATCH, "hashes": batches * BATCH}]
    run = cli.sql_json("SELECT articles_new, duplicates FROM runs WHERE status = 'completed'")
    assert run == [{"articles_new": batches * BATCH - last, "duplicates": last}]
    statuses = {str(s["status"]): s["n"] for s in cli.sql_json("SELECT status, count(*) AS n FROM runs GROUP BY 1")}
    assert statuses["completed"] == 1 and statuses["failed"] >= 3 and "running" not in statuses  # type: ignore[operator]
