"""A supervised pool of extraction processes: one slow or crashing document costs one reject.

`concurrent.futures.ProcessPoolExecutor` cannot do this: a worker that dies breaks the whole
pool (every pending slice fails), and a task that never ends cannot be stopped. Here:

* N worker processes (started on demand, at most one per slice in flight), each with its own
  pipe. A worker takes one slice at a time and reports every document: `item` when a document
  has been read and its transform starts, `result` when it is done.
* The parent (one dispatcher thread) gives every document `seconds` from the worker's last
  report. A worker that overruns is killed (SIGKILL) and replaced; one that dies (a segfault,
  os._exit, the kernel's OOM killer) is replaced too. The document it was working on becomes a
  reject (`too_slow`, `worker_crashed`), and a fresh worker resumes the slice right after it:
  the documents already reported are kept, the rest are processed as usual. A worker stuck or
  killed while *reading* (before reporting the next document) ends that input with one reject:
  the rest of that file is not read (it could only fail the same way again).
* Every overrun or crash consumes a document or an input, so a slice always finishes.

`submit(units, options, budget)` returns a Future of `(results, counts per unit)`, the same as
collect.extract.process_slice_counted.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from collect.extract import nothing_read, process_unit, too_slow_detail, transform_item, unit_items, with_text_ref
from collect.inputs import InputUnit, Rejected
from core.settings import InputBudget
from transforms.pipeline import TransformOptions
from transforms.records import DocumentResult, RawDocument

SliceResult = tuple[list[DocumentResult], list[int]]
Transform = Callable[[RawDocument | Rejected, TransformOptions | None], DocumentResult]
PRELOAD = ["transforms.pipeline", "collect.extract", "collect.pool"]


# -- the worker process ------------------------------------------------------------------------


def _worker_main(conn: Connection) -> None:
    """Take jobs until told to stop (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        job_id, units, options, budget, transform, start_unit, skip = job
        for ui in range(start_unit, len(units)):
            unit = units[ui]
            given = skip if ui == start_unit else 0
            for index, item in unit_items(unit, budget, given):
                conn.send(("item", job_id, ui, index, item.input_ref))
                conn.send(("result", job_id, ui, index, with_text_ref(transform(item, options))))
                given = index + 1
            if given == 0:
                conn.send(("result", job_id, ui, 0, with_text_ref(nothing_read(unit))))
                given = 1
            conn.send(("unit", job_id, ui, given))
        conn.send(("done", job_id))


# -- the parent side -------------------------------------------------------------------------------


@dataclass
class _Job:
    job_id: int
    units: tuple[InputUnit, ...]
    options: TransformOptions | None
    budget: InputBudget
    future: Future[SliceResult]
    results: list[list[DocumentResult]] = field(default_factory=list)
    unit_at: int = 0  # the unit being read
    next_item: int = 0  # the index of the next item of that unit
    in_flight: str | None = None  # input_ref of the item being transformed (after `item`)

    def __post_init__(self) -> None:
        self.results = [[] for _ in self.units]


@dataclass
class _Worker:
    process: Any  # multiprocessing's Process of the forkserver context
    conn: Connection
    job: _Job | None = None
    since: float = 0.0  # the last report (or the job's start)


class SupervisedPool:
    """N supervised worker processes; see the module's docstring."""

    def __init__(self, workers: int, *, context: str = "forkserver", transform: Transform = transform_item) -> None:
        self.size = max(1, workers)
        self.transform = transform  # a module-level function (it travels to the workers by name)
        self._ctx: Any = multiprocessing.get_context(context)
        if context == "forkserver":
            self._ctx.set_forkserver_preload(PRELOAD)
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._workers: list[_Worker] = []
        self._ids = itertools.count()
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._closing = False
        self._abort = False
        self.replaced = 0  # workers killed or lost and replaced (for the log)
        self._thread = threading.Thread(target=self._dispatch, name="news-etl-pool", daemon=True)
        self._thread.start()

    # -- public ------------------------------------------------------------------------------

    def submit(
        self, units: Sequence[InputUnit], options: TransformOptions | None = None, budget: InputBudget | None = None
    ) -> Future[SliceResult]:
        future: Future[SliceResult] = Future()
        job = _Job(next(self._ids), tuple(units), options, budget or InputBudget(), future)
        with self._lock:
            if self._closing:
                raise RuntimeError("the pool is shut down")
            self._queue.append(job)
        self._wake()
        return future

    def shutdown(self, *, cancel: bool = True) -> None:
        """Stop the workers: with `cancel`, at once (slices not finished are cancelled), else
        after every submitted slice is done."""
        with self._lock:
            self._closing = True
            self._abort = cancel
            pending = list(self._queue) if cancel else []
            if cancel:
                self._queue.clear()
        for job in pending:
            job.future.cancel()
        self._wake()
        self._thread.join()
        self._wake_r.close()
        self._wake_w.close()

    # -- the dispatcher thread -----------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"")

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child,), daemon=True, name="news-etl-extract")
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _assign(self) -> None:
        with self._lock:
            while self._queue:
                idle = next((w for w in self._workers if w.job is None and w.process.is_alive()), None)
                if idle is None:
                    if len(self._workers) >= self.size:
                        return
                    idle = self._spawn()
                job = self._queue.popleft()
                if job.future.cancelled():
                    continue
                idle.job = job
                idle.since = time.monotonic()
                try:
                    idle.conn.send((job.job_id, job.units, job.options, job.budget, self.transform, job.unit_at, job.next_item))
                except OSError:
                    self._queue.appendleft(job)
                    idle.job = None
                    self._retire(idle)

    def _dispatch(self) -> None:
        try:
            while True:
                self._assign()
                with self._lock:
                    if self._abort:
                        for worker in self._workers:
                            if worker.job is not None:
                                worker.job.future.cancel()
                                worker.job = None
                    closing = self._closing and not self._queue and all(w.job is None for w in self._workers)
                if closing:
                    break
                busy = [w for w in self._workers if w.job is not None]
                now = time.monotonic()
                timeout = min((w.since + _seconds(w) - now for w in busy), default=None)
                ready = wait(
                    [self._wake_r, *(w.conn for w in busy), *(w.process.sentinel for w in busy)],
                    timeout=None if timeout is None else max(0.0, timeout),
                )
                if self._wake_r in ready:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                for worker in busy:
                    self._service(worker, ready)
        except BaseException as err:  # noqa: BLE001  # nothing may leave a future waiting for ever
            self._fail_all(err)
        finally:
            for worker in list(self._workers):
                self._stop(worker)

    def _service(self, worker: _Worker, ready: list[Any]) -> None:
        """Read what a busy worker reported; replace it when it overran or died."""
        gone = worker.process.sentinel in ready
        if worker.conn in ready or gone:
            try:
                while worker.job is not None and worker.conn.poll():
                    self._report(worker, worker.conn.recv())
            except (EOFError, OSError):
                gone = True  # its end of the pipe closed: it died (or is dying)
        job = worker.job
        if job is None:
            if gone:
                self._retire(worker)
            return
        if gone or not worker.process.is_alive():
            worker.process.join(timeout=5)
            self._lose(worker, "worker_crashed", _crash_detail(worker.process.exitcode))
        elif time.monotonic() - worker.since > _seconds(worker):
            self._lose(worker, "too_slow", "")

    def _report(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        job = worker.job
        assert job is not None
        worker.since = time.monotonic()
        kind = message[0]
        if kind == "item":
            _, _, ui, index, ref = message
            job.unit_at, job.next_item, job.in_flight = ui, index, ref
        elif kind == "result":
            _, _, ui, index, result = message
            job.results[ui].append(result)
            job.unit_at, job.next_item, job.in_flight = ui, index + 1, None
        elif kind == "unit":
            _, _, ui, _count = message
            job.unit_at, job.next_item, job.in_flight = ui + 1, 0, None
        elif kind == "done":
            worker.job = None
            self._finish(job)

    def _lose(self, worker: _Worker, reason: str, crash: str) -> None:
        """The worker overran or died: reject what it was doing, replace it, resume the slice."""
        job = worker.job
        assert job is not None
        worker.job = None
        self._retire(worker)
        self.replaced += 1
        ui = job.unit_at
        if ui >= len(job.units):
            self._finish(job)
            return
        unit = job.units[ui]
        seconds = job.budget.max_document_seconds
        if job.in_flight is not None:  # transforming one document: reject it, go on with the next
            detail = too_slow_detail(seconds) if reason == "too_slow" else (
                f"the worker process died while transforming this document ({crash})"
            )
            job.results[ui].append(with_text_ref(DocumentResult.rejected(job.in_flight, reason, detail)))
            job.next_item += 1
            job.in_flight = None
        else:  # reading: this input ends here
            detail = too_slow_detail(seconds, reading=True) if reason == "too_slow" else (
                f"the worker process died while reading the input ({crash}); the rest of it was not read"
            )
            job.results[ui].append(with_text_ref(DocumentResult.rejected(unit.line_ref(job.next_item), reason, detail)))
            job.unit_at, job.next_item = ui + 1, 0
        if job.unit_at >= len(job.units):
            self._finish(job)
            return
        with self._lock:
            self._queue.appendleft(job)

    def _finish(self, job: _Job) -> None:
        if job.future.cancelled():
            return
        results = [r for unit_results in job.results for r in unit_results]
        job.future.set_result((results, [len(r) for r in job.results]))

    def _retire(self, worker: _Worker) -> None:
        self._stop(worker, kill=True)

    def _stop(self, worker: _Worker, *, kill: bool = False) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if worker.process.is_alive():
            if kill:
                worker.process.kill()
            else:
                try:
                    worker.conn.send(None)
                except OSError:
                    worker.process.kill()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()

    def _fail_all(self, err: BaseException) -> None:
        with self._lock:
            jobs = [w.job for w in self._workers if w.job is not None] + list(self._queue)
            self._queue.clear()
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(RuntimeError(f"the extraction pool failed: {type(err).__name__}: {err}"))


def _seconds(worker: _Worker) -> float:
    return worker.job.budget.max_document_seconds if worker.job is not None else 0.0


def _crash_detail(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def run_inline(units: Sequence[InputUnit], options: TransformOptions | None, budget: InputBudget) -> SliceResult:
    """The same answer in this process, unsupervised (tests, one-off tools)."""
    results = [process_unit(u, options, budget) for u in units]
    return [r for rs in results for r in rs], [len(r) for r in results]

