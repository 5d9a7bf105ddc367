"""Shared helpers for the benchmarks: corpus discovery, timing, peak memory, running the CLI.

Benchmarks print figures; they are not tests. Each one uses ../shared/corpora when it exists and
otherwise prints "skipped: ... not found" and exits 0.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ENV_CORPORA = "NEWS_ETL_CORPORA"


def corpora_dir() -> Path | None:
    """../shared/corpora beside the project (or $NEWS_ETL_CORPORA, or /work/shared/corpora)."""
    candidates = [os.environ.get(ENV_CORPORA), str(ROOT.parent / "shared" / "corpora"), "/work/shared/corpora"]
    for raw in candidates:
        if raw and Path(raw).is_dir():
            return Path(raw)
    return None


def corpus(name: str) -> Path | None:
    base = corpora_dir()
    if base is None or not (base / name).is_dir():
        return None
    return base / name


def skipped(what: str) -> int:
    print(f"skipped: {what} not found (looked for ../shared/corpora beside the project, /work/shared/corpora, ${ENV_CORPORA})")
    return 0


def header(title: str) -> None:
    print(f"\n== {title} ==")
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, load avg {load_avg()}")


def load_avg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def fmt_mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


# -- memory -----------------------------------------------------------------------------------


def _rss_of(pid: int) -> int:
    """Resident set size of one process in bytes (Linux /proc), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    """Child processes of every thread of `pid`. /proc/PID/task/PID/children lists only the main
    thread's: a process pool whose forkserver was started from a worker thread (Prefect's task
    runner) would be missed with its workers."""
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            continue
    return out


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants (sum; shared pages are counted in each)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_of(p)
        stack.extend(_children(p))
    return total


class PeakRss:
    """Samples the summed RSS of a process tree every `interval` seconds; `.peak` in bytes."""

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def self_maxrss() -> int:
    """Peak RSS of this process so far (bytes), from getrusage."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- timing -----------------------------------------------------------------------------------


@dataclass
class Timed:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Timed]:
    t = Timed()
    start = time.perf_counter()
    try:
        yield t
    finally:
        t.seconds = time.perf_counter() - start


# -- Prefect and the CLI ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrefectServer:
    """A Prefect server on 127.0.0.1 kept for the whole benchmark (PREFECT_API_URL), for
    benchmarks that compare with a server the user runs themselves (bench.startup)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }

    def __enter__(self) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env()}
        env.pop("PREFECT_API_URL")
        prefect = Path(sys.executable).with_name("prefect")
        log = open(self.home / "server.log", "wb")  # lives as long as the server
        self.proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--no-ui", "--analytics-off"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prefect server exited; see " + str(self.home / "server.log"))
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("prefect server did not start in 120 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    wall: float  # seconds, process start to exit
    peak_rss: int  # bytes, summed over the CLI process and its workers


def run_cli(args: Sequence[str], data_dir: Path, env: dict[str, str] | None = None) -> CliRun:
    """`python -m cli ARGS` in a subprocess, timed, with the peak RSS of its process tree."""
    full_env = {**os.environ, **(env or {}), "NEWS_ETL_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    with PeakRss(proc.pid) as rss:
        out, err = proc.communicate()
    wall = time.perf_counter() - start
    return CliRun(proc.returncode, out, err, wall, rss.peak)


@contextmanager
def local_server(data_dir: Path) -> Iterator[float]:
    """The data dir's local Prefect server, as a user's commands meet it: started by a warm-up
    command (`news-etl server start`; yields its wall time, what the first command in a new data
    dir pays on top), stopped at the end. PREFECT_API_URL is unset meanwhile."""
    saved = os.environ.pop("PREFECT_API_URL", None)
    try:
        run = run_cli(["server", "start"], data_dir)
        check(run, "news-etl server start")
        yield run.wall
    finally:
        run_cli(["server", "stop"], data_dir)
        if saved is not None:
            os.environ["PREFECT_API_URL"] = saved


def check(run: CliRun, what: str) -> None:
    if run.code != 0:
        raise SystemExit(f"{what} failed (exit {run.code}):\n{run.stderr[-3000:]}")


def last_run(data_dir: Path) -> dict[str, Any]:
    """The newest row of the runs table, with `seconds` = finished_at - started_at (flow time)."""
    res = run_cli(
        ["sql", "select *, epoch(finished_at) - epoch(started_at) as seconds from runs order by started_at desc limit 1",
         "--format", "json"],
        data_dir,
    )
    check(res, "reading the runs table")
    rows = json.loads(res.stdout)
    return dict(rows[0])


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder (on the same disk as the project's /tmp)."""
    return tempfile.TemporaryDirectory(prefix=f"news-etl-bench-{prefix}-")
