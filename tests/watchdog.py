"""Memory and time watchdogs for the hostile-input tests.

`in_child(fn, *args, memory_mb=, seconds=)` runs `fn` in a forked child process whose address
space may grow by at most `memory_mb` (RLIMIT_AS): a regression that allocates without bound fails the test with a
MemoryError in the child instead of taking the machine's memory; the child is killed after
`seconds`. `run_watched(cmd, ...)` runs a command (the real CLI) and samples the resident memory
of its whole process tree (the workers included) until it ends; it is killed when it passes
`max_rss_mb` or `seconds`, and the test fails saying which.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import psutil


def _child(conn: Connection, memory_mb: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    limit = psutil.Process().memory_info().vms + memory_mb * 1024 * 1024  # what the fork already maps, plus
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as err:  # reported to the parent, which fails the test
        conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=8)}"))


def in_child(fn: Callable[..., Any], *args: Any, memory_mb: int = 1024, seconds: float = 60) -> Any:
    """fn(*args) in a forked child that may map at most `memory_mb` more than the fork already did,
    and run at most `seconds`."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, memory_mb, fn, args), daemon=True)
    started = time.monotonic()
    proc.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise AssertionError(f"still running after {seconds} s: killed")
        status, value = parent.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if status != "ok":
        raise AssertionError(f"failed within {memory_mb} MB of address space after {time.monotonic() - started:.1f} s: {value}")
    return value


@dataclass
class Watched:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def run_watched(
    cmd: list[str], *, env: dict[str, str], cwd: str | os.PathLike[str], seconds: float, max_rss_mb: float,
    discard_output: bool = False,
) -> Watched:
    """Run `cmd`, sampling its process tree's RSS every 50 ms; kill it (and fail) past either limit.
    `discard_output`: its stdout goes to /dev/null (a large result is not held by the test)."""
    started = time.monotonic()
    stdout = subprocess.DEVNULL if discard_output else subprocess.PIPE
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(proc.pid)
    peak = 0
    why = ""
    while proc.poll() is None:
        try:
            peak = max(peak, _tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        elapsed = time.monotonic() - started
        if peak > max_rss_mb * 1024 * 1024:
            why = f"its process tree used {peak / 2**20:.0f} MB (limit {max_rss_mb:.0f} MB)"
        elif elapsed > seconds:
            why = f"it ran longer than {seconds:.0f} s"
        if why:
            for p in [*watched.children(recursive=True), watched]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
            break
        time.sleep(0.05)
    out, err = proc.communicate(timeout=30)
    if why:
        raise AssertionError(f"{' '.join(cmd[2:5])}...: killed, {why}\nstderr: {err[-2000:]}")
    return Watched(proc.returncode, out or "", err, time.monotonic() - started, peak / 2**20)
