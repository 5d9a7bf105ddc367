"""A soft deadline per document, for workers that cannot be killed one task at a time (Dask).

`DocumentDeadline(seconds).watch()` arms a watchdog thread for the calling thread; when the
block runs longer than `seconds`, `TooSlow` is raised in that thread (CPython's
PyThreadState_SetAsyncExc). It is soft: the exception is delivered when the thread next runs
Python bytecode, so a long call into C (one regular expression, one lxml parse) finishes first.
The supervised pool (collect/pool.py) enforces the hard deadline by killing the worker process.
`TooSlow` derives from BaseException so that no `except Exception` on the way swallows it; a
handler that swallows everything (a garbage-collector callback of Dask's, which CPython runs
inside the thread and whose exceptions it ignores) may still take it, so the watchdog raises it
again every REPEAT seconds until the block ends.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TooSlow(BaseException):  # a signal to stop this document, not an error of the program
    """The document's time is up."""


REPEAT = 2.0  # seconds between two deliveries of the same deadline's TooSlow

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


class _Watchdog:
    """One thread per process that fires the deadlines of every watching thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, int]] = {}  # thread id -> (deadline, token)
        self._fired: set[tuple[int, int]] = set()
        self._token = 0
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> tuple[int, int]:
        tid = threading.get_ident()
        with self._cond:
            self._token += 1
            self._armed[tid] = (time.monotonic() + seconds, self._token)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="news-etl-deadline", daemon=True)
                self._thread.start()
            self._cond.notify()
            return tid, self._token

    def disarm(self, key: tuple[int, int]) -> bool:
        """Stop watching; True if the deadline fired (its exception may still be pending: it is
        cleared here, so it can never escape outside the watched block)."""
        tid, token = key
        with self._cond:
            if self._armed.get(tid, (0.0, -1))[1] == token:
                del self._armed[tid]
            fired = key in self._fired
            if fired:
                self._fired.discard(key)
                _set_async_exc(tid, ctypes.py_object())  # NULL: clear a pending TooSlow not delivered yet
            return fired

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for tid, (when, token) in list(self._armed.items()):
                    if when <= now:  # fired, and fired again until disarmed (a swallowed one)
                        self._armed[tid] = (now + REPEAT, token)
                        self._fired.add((tid, token))
                        _set_async_exc(tid, ctypes.py_object(TooSlow))
                waits = [when - now for when, _ in self._armed.values()]
                self._cond.wait(timeout=min(waits) if waits else None)


_WATCHDOG = _Watchdog()


class DocumentDeadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Raise TooSlow inside the block once it has run `seconds`."""
        key = _WATCHDOG.arm(self.seconds)
        try:
            yield
        finally:
            while True:  # a repeated TooSlow may arrive while disarming: disarm again
                try:
                    fired = _WATCHDOG.disarm(key)
                    break
                except TooSlow:
                    continue
            if fired:
                raise TooSlow
