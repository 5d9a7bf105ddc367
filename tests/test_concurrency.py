"""One writer at a time, and readers that keep working (and never see a partial batch) while a
run is committing. Real CLI processes against the session's Prefect server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES, Cli
from tests.test_warehouse_helpers import corpus_records, write_jsonl
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly

pytestmark = pytest.mark.slow

BATCH = 25


def make_corpus(folder: Path, batches: int, seed0: int = 0) -> Path:
    """`batches` jsonl files of BATCH distinct articles: with --batch-size BATCH every file is
    exactly one commit, so a reader can recognise a partial batch."""
    recs = corpus_records(batches * BATCH, seed0=seed0)
    for b in range(batches):
        write_jsonl(folder / f"part-{b:03d}.jsonl", recs[b * BATCH : (b + 1) * BATCH])
    return folder


def start_cli(cli: Cli, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **cli.env, "NEWS_ETL_DATA_DIR": str(cli.data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, start_new_session=True,
    )


def snapshot_counts(paths: LakePaths) -> tuple[int, int, int, int] | None:
    """(articles, article_inputs, signatures, completed runs) in one read of the published copy."""
    if not paths.published_catalog.exists():
        return None
    con = connect_readonly(paths)
    try:
        row = con.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_inputs), "
            "(SELECT count(*) FROM article_minhash), (SELECT count(*) FROM runs WHERE status = 'completed')"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def test_second_writer_exits_at_once_with_a_clear_message(cli: Cli) -> None:
    paths = LakePaths(cli.data_dir)
    with writer_lock(paths):
        started = time.monotonic()
        res = cli("load", str(SAMPLES))
        elapsed = time.monotonic() - started
    assert res.code == 3, res.stderr
    assert "another news-etl run is writing" in res.stderr and "--wait" in res.stderr
    assert "Traceback" not in res.stderr and elapsed < 30
    assert not paths.published_catalog.exists()  # nothing was written


def test_second_writer_waits_when_asked(cli: Cli) -> None:
    paths = LakePaths(cli.data_dir)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writer_lock(paths):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    proc = start_cli(cli, "load", str(SAMPLES / "000_946957e105135c63.txt"), "--wait")
    time.sleep(4)
    assert proc.poll() is None  # still waiting for the lock
    release.set()
    holder.join()
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert cli.sql_json("SELECT count(*) AS n FROM articles") == [{"n": 1}]


def test_readers_never_fail_nor_see_a_partial_batch_during_a_load(cli: Cli, tmp_path: Path) -> None:
    paths = LakePaths(cli.data_dir)
    corpus = make_corpus(tmp_path / "corpus", batches=12)
    proc = start_cli(cli, "load", str(corpus), "--batch-size", str(BATCH), "--workers", "1")
    seen: list[tuple[int, int, int, int]] = []
    errors: list[str] = []
    sql_results: list[Any] = []
    while proc.poll() is None:
        try:
            counts = snapshot_counts(paths)
        except Exception as exc:  # a reader must never fail: record and fail below
            errors.append(repr(exc))
            continue
        if counts is not None:
            seen.append(counts)
            if len(seen) % 10 == 1:  # and the real `news-etl sql` command now and then
                res = cli("sql", "SELECT count(*) AS n FROM articles", "--format", "json")
                sql_results.append((res.code, res.stderr))
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert not errors, errors[:3]
    assert all(code == 0 for code, _ in sql_results), sql_results
    assert seen, "the reader never saw the published lake"
    articles = [s[0] for s in seen]
    assert all(n % BATCH == 0 for n in articles), sorted(set(articles))  # whole batches only
    assert all(a == i == m for a, i, m, _ in seen)  # tables agree with each other in every read
    assert articles == sorted(articles)  # never goes back
    assert any(0 < n < 12 * BATCH for n in articles), sorted(set(articles))  # really read mid-run
    assert snapshot_counts(paths) == (12 * BATCH, 12 * BATCH, 12 * BATCH, 1)
