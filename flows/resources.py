"""Per-run resources shared by the tasks of one flow run: the lake writer, the process pool and
the hand-off of extracted batches between the extract and commit tasks.

Prefect tasks receive only the run id and batch numbers; the bulky data stays here, in the flow
process, so it is never serialised into Prefect's task parameters or results.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from collect.extract import UnitOutcome
from transforms.records import DocumentResult
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter


@dataclass
class RunResources:
    paths: LakePaths
    writer: LakeWriter
    pool: ProcessPoolExecutor | None
    workers: int
    extracted: dict[int, list[DocumentResult]] = field(default_factory=dict)
    # pool futures of a batch's slices, submitted ahead so the workers never idle between batches
    queued: dict[int, list[Future[tuple[list[DocumentResult], list[int]]]]] = field(default_factory=dict)
    unit_outcomes: dict[int, list[UnitOutcome]] = field(default_factory=dict)  # per batch: what each unit gave
    ledger_rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # input_ledger rows per batch
    lock: threading.Lock = field(default_factory=threading.Lock)


    def extract_here(self) -> None:
        """Extract in this process: for a handful of documents, starting workers (a process
        each, importing the transforms) costs more than the work. The pool, never started, goes."""
        if self.pool is not None:
            self.pool.shutdown(wait=False)
        self.pool, self.workers = None, 1


_RUNS: dict[str, RunResources] = {}


def get(run_id: str) -> RunResources:
    return _RUNS[run_id]


def _pool(workers: int) -> ProcessPoolExecutor | None:
    if workers <= 1:
        return None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["transforms.pipeline", "transforms.html", "collect.extract"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


@contextmanager
def open_run(run_id: str, paths: LakePaths, workers: int) -> Iterator[RunResources]:
    writer = LakeWriter(paths)
    pool = _pool(workers)
    res = RunResources(paths=paths, writer=writer, pool=pool, workers=workers)
    _RUNS[run_id] = res
    try:
        yield res
    finally:
        _RUNS.pop(run_id, None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        writer.close()
