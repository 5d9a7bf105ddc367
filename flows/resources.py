"""Per-run resources shared by the tasks of one flow run: the lake writer, the supervised worker
pool (collect/pool.py: a slow or crashing document costs that document, never the batch) and
the hand-off of extracted batches between the extract and commit tasks.

Prefect tasks receive only the run id and batch numbers; the bulky data stays here, in the flow
process, so it is never serialised into Prefect's task parameters or results.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from collect.extract import UnitOutcome
from collect.pool import SupervisedPool
from transforms.records import DocumentResult
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter


@dataclass
class RunResources:
    paths: LakePaths
    writer: LakeWriter
    pool: SupervisedPool | None
    workers: int
    extracted: dict[int, list[DocumentResult]] = field(default_factory=dict)
    # pool futures of a batch's slices, submitted ahead so the workers never idle between batches
    queued: dict[int, list[Future[tuple[list[DocumentResult], list[int]]]]] = field(default_factory=dict)
    unit_outcomes: dict[int, list[UnitOutcome]] = field(default_factory=dict)  # per batch: what each unit gave
    ledger_rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # input_ledger rows per batch
    read_again: set[str] = field(default_factory=set)  # files not to record in the ledger (a reject that may pass)
    lock: threading.Lock = field(default_factory=threading.Lock)



_RUNS: dict[str, RunResources] = {}


def get(run_id: str) -> RunResources:
    return _RUNS[run_id]


@contextmanager
def open_run(run_id: str, paths: LakePaths, workers: int, *, pool: bool = True) -> Iterator[RunResources]:
    """The run's writer and (with `pool`) its supervised pool of `workers` processes, started on
    demand; even one worker runs in its own process, so that it can be replaced."""
    writer = LakeWriter(paths)
    pool_ = SupervisedPool(workers) if pool else None
    res = RunResources(paths=paths, writer=writer, pool=pool_, workers=workers)
    _RUNS[run_id] = res
    try:
        yield res
    finally:
        _RUNS.pop(run_id, None)
        if pool_ is not None:
            pool_.shutdown(cancel=True)
        writer.close()
