"""Reliability end to end through the real `news-etl` CLI and Prefect: a full disk, a read-only
data directory, refused SQL writes, and odd file names whose counts must add up.

The disk tests mount a tiny tmpfs (root with CAP_SYS_ADMIN, as on the CI machine); elsewhere
they are skipped with the reason. A crash mid-run (SIGKILL) is covered by the warehouse tests.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Cli

pytestmark = pytest.mark.slow

GOOD = "قال مصدر محلي إن قوات الأمن اعتقلت عددا من الشبان في ريف المدينة خلال حملة مداهمات واسعة شملت قرى عدة."


def _mount(args: list[str]) -> str | None:
    """Run mount; None when it worked, else why not (for the skip reason)."""
    try:
        proc = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    return None if proc.returncode == 0 else (proc.stderr.strip() or f"mount exited {proc.returncode}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MB tmpfs: room for the lake's catalogs and a little data."""
    target = tmp_path / "disk"
    target.mkdir()
    why = _mount(["-t", "tmpfs", "-o", "size=48m,mode=0755", "tmpfs", str(target)])
    if why:
        pytest.skip(f"cannot mount a tmpfs here to simulate a full disk: {why}")
    try:
        yield target
    finally:
        _umount(target)


def _fill(disk: Path) -> Path:
    """Fill the file system to the last byte; returns the filler to delete later."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def _articles(folder: Path, n: int, tag: str) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{tag}-{i:03d}.txt").write_text(f"{GOOD} {tag} رقم {i}", encoding="utf-8")
    return folder


def _counts_add_up(cli: Cli) -> None:
    for run in cli.sql_json("select * from runs where status = 'completed'"):
        parts = sum(int(run[k]) for k in ("articles_new", "articles_updated", "duplicates", "rejects"))  # type: ignore[call-overload]
        assert run["inputs"] == parts, run


def test_full_disk_is_a_clear_error_and_corrupts_nothing(cli: Cli, tmp_path: Path, small_disk: Path) -> None:
    cli.data_dir = small_disk / "data"
    first = cli("load", str(_articles(tmp_path / "a", 5, "a")))
    assert first.code == 0, first.stderr
    before = cli.sql_json("select article_id from articles order by 1")
    assert len(before) == 5

    filler = _fill(small_disk)
    res = cli("load", str(_articles(tmp_path / "b", 40, "b")), "--batch-size", "10")
    assert res.code != 0
    last = res.stderr.strip().splitlines()[-1]
    # the last word is ours, one clear line (Prefect's engine logs the failed flow's traceback above it)
    assert last.startswith("news-etl: error:") and "no space left" in last.lower(), res.stderr[-3000:]

    # what readers see is still the last complete commit
    assert cli.sql_json("select article_id from articles order by 1") == before

    filler.unlink()
    again = cli("load", str(tmp_path / "b"), str(tmp_path / "a"))
    assert again.code == 0, again.stderr
    ids = cli.sql_json("select article_id, count(*) as n from articles group by 1")
    assert len(ids) == 45 and all(r["n"] == 1 for r in ids)  # nothing lost, nothing twice
    _counts_add_up(cli)


def test_read_only_data_dir_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    why = _mount(["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)])
    if why:
        pytest.skip(f"cannot mount a read-only tmpfs here: {why}")
    try:
        res = cli("load", str(SAMPLES), "--data-dir", str(target / "data"))
    finally:
        _umount(target)
    assert res.code == 1, res.stderr
    assert res.stderr.startswith("news-etl: error:") and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0, res.stderr


def test_read_only_existing_lake_refuses_loads_but_answers_queries(cli: Cli, tmp_path: Path) -> None:
    assert cli("load", str(SAMPLES / "000_946957e105135c63.txt")).code == 0
    view = cli.data_dir  # the catalog records its absolute data path: make the same path read-only
    why = _mount(["--bind", str(view), str(view)]) or _mount(["-o", "remount,bind,ro", str(view)])
    if why:
        _umount(view)
        pytest.skip(f"cannot make a read-only bind mount here: {why}")
    try:
        res = cli("load", str(SAMPLES), "--data-dir", str(view))
        rows = cli("sql", "select count(*) as n from articles", "--data-dir", str(view), "--format", "csv")
    finally:
        _umount(view)
    assert res.code == 1, res.stderr
    assert res.stderr.startswith("news-etl: error:") and "Traceback" not in res.stderr, res.stderr
    assert rows.code == 0, rows.stderr
    assert rows.stdout.splitlines() == ["n", "1"]


def test_sql_cannot_write_into_the_lake_or_attach_the_writer_catalog(cli: Cli, tmp_path: Path) -> None:
    assert cli("load", str(SAMPLES / "001_cb6402e5e5e5f342.txt")).code == 0
    lake = cli.data_dir / "lake"
    catalog = lake / "catalog.ducklake"
    size = catalog.stat().st_size
    for query in (
        f"copy (select * from articles) to '{lake}/files/leak.parquet'",
        f"copy (select 1) to '{catalog}'",
        f"attach 'ducklake:{catalog}' as w (data_path '{lake}/files/'); delete from w.articles",
        "select 1; delete from articles",
        "call ducklake_expire_snapshots('lake', older_than => now())",
    ):
        res = cli("sql", query)
        assert res.code == 1, (query, res.stdout)
        assert res.stderr.startswith("news-etl: error:") and "Traceback" not in res.stderr, res.stderr
    assert not (lake / "files" / "leak.parquet").exists()
    assert catalog.stat().st_size == size
    assert cli("load", str(SAMPLES / "002_f1852edf7d2c64f9.txt")).code == 0  # the writer's catalog still works
    assert cli.sql_json("select count(*) as n from articles")[0]["n"] == 2


def test_odd_file_names_end_to_end_counts_add_up(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "مجلد 'odd' \"names\""
    folder.mkdir()
    names = ["space name.txt", "خبر.txt", "q'uote.txt", 'd"quote.txt', "new\nline.txt", "star*.txt", "bad.bin", "empty.txt"]
    for i, name in enumerate(names):
        (folder / name).write_text(f"{GOOD} {i}" if name != "empty.txt" else "", encoding="utf-8")
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(f"{GOOD} latin1 name", encoding="utf-8")
    res = cli("load", str(folder))
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr
    run = cli.sql_json("select * from runs")[0]
    assert run["inputs"] == len(names) + 1
    _counts_add_up(cli)
    refs = {str(r["input_ref"]) for r in cli.sql_json("select input_ref from article_inputs union all select input_ref from rejects")}
    expected = {str(folder / n) for n in names} | {str(folder / "caf\\xe9.txt")}
    assert refs == expected
