"""Progress bars for long CLI work (fetching, extracting, committing), drawn on stderr with rich.

The CLI opens a `session()` around a command; flows report through the module functions, which
do nothing outside a session (deployments, tests, library use). Bars go to stderr only, so stdout
stays clean for `--format json`; they are drawn when stderr is a terminal, or when
NEWS_ETL_PROGRESS=1 (NEWS_ETL_PROGRESS=0 turns them off).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENV_PROGRESS = "NEWS_ETL_PROGRESS"

_lock = threading.Lock()
_state: dict[str, Any] = {}  # "progress": rich Progress, "tasks": {stage: task id}


def enabled(stream: Any = None) -> bool:
    flag = os.environ.get(ENV_PROGRESS, "").strip().lower()
    if flag in {"0", "false", "no", "off"}:
        return False
    if flag in {"1", "true", "yes", "on"}:
        return True
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def session() -> Iterator[bool]:
    """Draw bars for the duration of the block (if enabled); yields whether they are drawn."""
    if not enabled() or _state:
        yield False
        return
    # imported only when bars are drawn: `news-etl sql` and non-terminal runs stay light
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr, force_terminal=os.environ.get(ENV_PROGRESS) == "1" or None)
    bars = Progress(
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False, redirect_stdout=False,
    )
    with _lock:
        _state.update(progress=bars, tasks={})
    bars.start()
    try:
        yield True
    finally:
        bars.stop()
        with _lock:
            _state.clear()


def start(stage: str, total: int | None, unit: str = "") -> None:
    """Open (or reset) the bar of a stage: 'fetching', 'extracting', 'committing'..."""
    with _lock:
        bars = _state.get("progress")
        if bars is None:
            return
        tasks: dict[str, Any] = _state["tasks"]
        if stage in tasks:
            bars.reset(tasks[stage], total=total, completed=0)
        else:
            tasks[stage] = bars.add_task(stage, total=total, unit=unit)


def advance(stage: str, amount: int = 1) -> None:
    with _lock:
        bars = _state.get("progress")
        task = _state.get("tasks", {}).get(stage)
        if bars is not None and task is not None:
            bars.advance(task, amount)


def active() -> bool:
    return bool(_state)
