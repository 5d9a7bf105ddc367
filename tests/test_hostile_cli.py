"""Hostile input end to end through the real `news-etl` CLI (and the session's real Prefect server):
the run finishes, the counts add up (inputs = articles + duplicates + rejects), every attack is a
reject with its reason, the good files of the same batch land, and nothing leaves its budget of
memory and time. Each run is watched (tests/watchdog.py): its whole process tree's resident memory
is sampled and the run is killed, failing the test, if it passes the cap or the time.

Also here: argument checks (usage errors, exit 2) and `sql`'s guarantees (read-only to the file,
a timeout, a memory limit, streamed output, escaped control characters)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, Cli
from tests.test_hostile_reading import GOOD, _page, _warc
from tests.watchdog import Watched, run_watched

pytestmark = pytest.mark.slow


def load_watched(cli: Cli, *args: str, seconds: float = 300, max_rss_mb: float = 3000) -> Watched:
    env = {**os.environ, **cli.env, "NEWS_ETL_DATA_DIR": str(cli.data_dir)}
    return run_watched([sys.executable, "-m", "cli", "load", *args], env=env, cwd=ROOT, seconds=seconds, max_rss_mb=max_rss_mb)


def counts_add_up(cli: Cli) -> list[dict[str, object]]:
    runs = cli.sql_json("select * from runs order by started_at")
    for run in runs:
        assert run["status"] == "completed", run
        parts = sum(int(run[k]) for k in ("articles_new", "articles_updated", "duplicates", "rejects"))  # type: ignore[call-overload]
        assert run["inputs"] == parts, run
    return runs


def reasons_by_name(cli: Cli, run: int = -1) -> dict[str, set[str]]:
    runs = cli.sql_json("select run_id from runs order by started_at")
    run_id = runs[run]["run_id"]
    rows = cli.sql_json(f"select input_ref, reason from rejects where run_id = '{run_id}'")
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(Path(str(row["input_ref"])).name.split("#")[0], set()).add(str(row["reason"]))
    return out


def stored_names(cli: Cli) -> set[str]:
    return {Path(str(r["input_ref"])).name for r in cli.sql_json("select input_ref from article_inputs")}


@pytest.fixture
def attacks(tmp_path: Path) -> Iterator[Path]:
    """A drop folder with good files and one of each attack on the load path."""
    folder = tmp_path / "drop"
    folder.mkdir()
    for i in range(3):
        (folder / f"good-{i}.txt").write_text(f"{GOOD} رقم {i}", encoding="utf-8")
    (folder / "good.html").write_bytes(_page("صفحة جيدة"))
    (folder / "good.jsonl").write_text("\n".join(json.dumps({"text": f"{GOOD} سطر {i}"}) for i in range(2)) + "\n", encoding="utf-8")
    (folder / "new\nline.txt").write_text(f"{GOOD} اسم غريب", encoding="utf-8")
    # what may not be read
    os.mkfifo(folder / "fifo.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n" * 20, encoding="utf-8")
    (folder / "shadow.txt").symlink_to(secret)
    # bytes, lines, nesting
    with open(folder / "one-line.txt", "wb") as fh:
        fh.write(("كلمة " * 1000).encode())
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB to read, no disk used
    (folder / "nul.txt").write_bytes(GOOD.encode() + b"\0" * 64)
    (folder / "deep.jsonl").write_text("[" * 3000 + "]" * 3000 + "\n" + json.dumps({"text": GOOD + " عميق"}) + "\n", encoding="utf-8")
    (folder / "dupkey.jsonl").write_text('{"text": "' + GOOD + '", "text": "آخر"}\n', encoding="utf-8")
    (folder / "tiny.jsonl").write_bytes(b"{}\n" * 1_000_000)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    (folder / "newlines.jsonl.gz").write_bytes(b"".join(packer.compress(b"\n" * (1 << 20)) for _ in range(50)) + packer.flush())
    corrupt = bytearray(gzip.compress(("\n".join(json.dumps({"text": f"{GOOD} {i}"}) for i in range(300)) + "\n").encode()))
    corrupt[len(corrupt) // 2: len(corrupt) // 2 + 40] = b"\xff" * 40
    (folder / "corrupt.jsonl.gz").write_bytes(bytes(corrupt))
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(256)) + packer.flush()
    (folder / "bomb.warc.gz").write_bytes(_warc(
        [("https://a.example/bomb", bomb, {"Content-Encoding": "gzip"}), ("https://a.example/ok", _page("سجل سليم"), {})], gz=True
    ))
    (folder / "nested.html").write_bytes(b"<html><body>" + b"<div>" * 100_000 + _page("عميقة") + b"</div>" * 100_000 + b"</body></html>")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.txt"))
    try:
        yield folder
    finally:
        sock.close()


def test_a_drop_folder_of_attacks_loads_its_good_files_and_rejects_the_rest(cli: Cli, attacks: Path) -> None:
    res = load_watched(cli, str(attacks), "--max-lines-per-file", "1000", "--max-document-bytes", "16MiB")
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr
    [run] = counts_add_up(cli)
    reasons = reasons_by_name(cli)
    expected = {
        "fifo.txt": {"not_a_file"}, "sock.txt": {"not_a_file"}, "zero.txt": {"outside_input"}, "shadow.txt": {"outside_input"},
        "one-line.txt": {"too_large"}, "nul.txt": {"binary"}, "deep.jsonl": {"too_deep"}, "dupkey.jsonl": {"bad_json"},
        "tiny.jsonl": {"no_text_field", "too_many_lines"}, "newlines.jsonl.gz": {"empty", "too_many_lines"},
        "bomb": {"too_large"},
    }
    for name, want in expected.items():
        assert reasons.get(name) == want, (name, reasons.get(name))
    assert "unreadable" in reasons["corrupt.jsonl.gz"]
    stored = stored_names(cli)
    assert {"good-0.txt", "good-1.txt", "good-2.txt", "good.html", "new\nline.txt", "ok"} <= stored
    assert sum(1 for r in cli.sql_json("select input_ref from article_inputs") if "good.jsonl" in str(r["input_ref"])) == 2
    assert not any("shadow" in str(r["body"]) or "root:" in str(r["body"]) for r in cli.sql_json("select body from articles"))
    assert int(run["inputs"]) > 2000  # type: ignore[call-overload]  # 1000 + 1000 lines + the files

    again = load_watched(cli, str(attacks), "--max-lines-per-file", "1000", "--max-document-bytes", "16MiB")
    assert again.code == 0, again.stderr
    first, second = counts_add_up(cli)
    assert second["inputs"] == first["inputs"]
    # what may not be read is refused again (never recorded as read); the rest is unchanged
    assert {"fifo.txt", "sock.txt", "zero.txt", "shadow.txt"} <= set(reasons_by_name(cli))


def _workers(cli_pid: int) -> list[psutil.Process]:
    """The extraction workers of a CLI run: the forkserver's children."""
    out = []
    for child in psutil.Process(cli_pid).children(recursive=True):
        try:
            if any("forkserver" in part for part in child.cmdline()):
                out.extend(child.children())
        except psutil.NoSuchProcess:
            continue
    return out


def test_a_slow_document_costs_that_document_only(cli: Cli, tmp_path: Path) -> None:
    from bench.scaling import document

    folder = tmp_path / "slow"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD + " أ", encoding="utf-8")
    (folder / "b-slow.txt").write_bytes(document("text", 40.0)[0])  # minutes of facts on any machine
    for i in range(4):
        (folder / f"c-{i}.txt").write_text(f"{GOOD} {i}", encoding="utf-8")
    res = load_watched(cli, str(folder), "--workers", "1", "--max-document-seconds", "8", seconds=240)
    assert res.code == 0, res.stderr
    counts_add_up(cli)
    assert reasons_by_name(cli) == {"b-slow.txt": {"too_slow"}}
    assert stored_names(cli) == {"a.txt", "c-0.txt", "c-1.txt", "c-2.txt", "c-3.txt"}


def test_a_worker_killed_mid_document_costs_that_document_only(cli: Cli, tmp_path: Path) -> None:
    """The OOM killer or a crash, simulated with SIGKILL on the worker busy with one document."""
    from bench.scaling import document

    folder = tmp_path / "crash"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD + " أ", encoding="utf-8")
    (folder / "b-victim.txt").write_bytes(document("text", 20.0)[0])
    for i in range(4):
        (folder / f"c-{i}.txt").write_text(f"{GOOD} {i}", encoding="utf-8")
    env = {**os.environ, **cli.env, "NEWS_ETL_DATA_DIR": str(cli.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "load", str(folder), "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    killed: list[int] = []

    def kill_the_busy_worker() -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            for worker in _workers(proc.pid):
                try:
                    if worker.cpu_times().user > 4:  # well into the 40 MB document
                        worker.send_signal(signal.SIGKILL)
                        killed.append(worker.pid)
                        return
                except psutil.NoSuchProcess:
                    continue
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_busy_worker)
    killer.start()
    _out, err = proc.communicate(timeout=300)
    killer.join()
    assert killed, "no worker was found busy"
    assert proc.returncode == 0, err
    counts_add_up(cli)
    reasons = reasons_by_name(cli)
    assert reasons == {"b-victim.txt": {"worker_crashed"}}, reasons
    assert stored_names(cli) == {"a.txt", "c-0.txt", "c-1.txt", "c-2.txt", "c-3.txt"}
    detail = cli.sql_json("select detail from rejects")[0]["detail"]
    assert "SIGKILL" in str(detail)


# -- usage errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", ".", "--workers", "100000"], "workers: must be a whole number <= 64"),
        (["load", ".", "--workers", "0"], "workers: must be a whole number >= 1"),
        (["load", ".", "--batch-size", "0"], "batch_size: must be a whole number >= 1"),
        (["load", ".", "--batch-size", "-5"], "batch_size: must be a whole number >= 1"),
        (["load", ".", "--max-document-bytes", "5TiB"], "max_document_bytes: must be a size between 1 KiB and 1 GiB"),
        (["load", ".", "--max-document-bytes", "lots"], "not a size"),
        (["load", ".", "--max-document-seconds", "-1"], "max_document_seconds: must be a number >= 0.1"),
        (["load", ".", "--max-lines-per-file", "0"], "max_lines_per_file: must be a whole number >= 1"),
        (["load", ".", "--max-json-depth", "100000"], "max_json_depth: must be a whole number <= 500"),
        (["sql", "select 1", "--limit", "-1"], "--limit must be a whole number >= 0"),
        (["sql", "select 1", "--timeout", "0"], "--timeout must be a number >= 0.1"),
        (["sql", "select 1", "--memory-limit", "1KiB"], "--memory-limit must be a size between 64 MiB"),
        (["search", "x", "--limit", "0"], "--limit must be a whole number >= 1"),
        (["search", "x", "--limit", "-3"], "--limit must be a whole number >= 1"),
        (["search", "x", "--limit", "1000000000"], "--limit must be a whole number <= 100000"),
        (["report", "--days", "0"], "--days must be a whole number >= 1"),
        (["report", "--top", "-1"], "--top must be a whole number >= 1"),
        (["maintain", "--expire-days", "-1"], "--expire-days must be a number >= 0"),
    ],
)
def test_counts_and_sizes_out_of_range_are_usage_errors(cli_offline: Cli, args: list[str], message: str) -> None:
    res = cli_offline(*args, timeout=60)
    assert res.code == 2, (args, res.stdout, res.stderr)
    assert message in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_the_sql_limits_come_from_the_environment_too(cli_offline: Cli) -> None:
    for env, message in (({"NEWS_ETL_SQL_TIMEOUT": "soon"}, "NEWS_ETL_SQL_TIMEOUT must be a number of seconds"),
                         ({"NEWS_ETL_SQL_MEMORY": "-5"}, "NEWS_ETL_SQL_MEMORY"),
                         ({"NEWS_ETL_SQL_TIMEOUT": "0"}, "NEWS_ETL_SQL_TIMEOUT must be a number >= 0.1")):
        res = cli_offline("sql", "select 1", extra_env=env, timeout=60)
        assert res.code == 2 and message in res.stderr, (env, res.stderr)


def test_on_dask_a_slow_document_is_stopped_by_the_soft_deadline(cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("prefect_dask", reason="the dask extra is not installed (pip install -e '.[dask]')")
    from bench.scaling import document

    folder = tmp_path / "dask"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD + " أ", encoding="utf-8")
    (folder / "b-slow.txt").write_bytes(document("text", 20.0)[0])  # facts: Python code the soft deadline interrupts
    (folder / "c.txt").write_text(GOOD + " ج", encoding="utf-8")
    res = load_watched(cli, str(folder), "--runner", "dask", "--max-document-seconds", "8", seconds=240)
    assert res.code == 0, res.stderr
    counts_add_up(cli)
    assert reasons_by_name(cli) == {"b-slow.txt": {"too_slow"}}
    assert stored_names(cli) == {"a.txt", "c.txt"}


def test_an_input_that_kills_every_worker_it_meets_is_rejected_per_document() -> None:
    from collect.extract import crashed_unit
    from collect.inputs import InputUnit

    lines = crashed_unit(InputUnit("/in/x.jsonl", "jsonl", 100, 3, 51), "KilledWorker")
    assert [(r.input_ref, r.reject.reason if r.reject else None) for r in lines] == [
        ("/in/x.jsonl#L51", "worker_crashed"), ("/in/x.jsonl#L52", "worker_crashed"), ("/in/x.jsonl#L53", "worker_crashed"),
    ]
    assert len(crashed_unit(InputUnit("/in/a.html", "html"), "KilledWorker")) == 1
