"""One writer at a time: a lock file in the data directory guards one machine; with a PostgreSQL
catalog a lease in its database (warehouse/writer_lease.py) guards the others."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from warehouse.attach import WarehouseError, check_catalog
from warehouse.catalog import redact
from warehouse.paths import LakePaths
from warehouse.writer_lease import LeaseBusy, LeaseError, WriterLease


class WriterBusy(WarehouseError):
    pass


@contextmanager
def writer_lock(paths: LakePaths, *, wait: bool = False) -> Iterator[None]:
    """Only one process writes the lake. A second one fails at once with a clear message, or
    waits for the first one when asked to. The lock file is in the local data directory, so it
    guards one machine; with a PostgreSQL catalog a lease in its database guards the others."""
    try:
        paths.lake_dir.mkdir(parents=True, exist_ok=True)
        handle: IO[str] = open(paths.writer_lock, "a+", encoding="utf-8")  # noqa: SIM115  # held for the whole block
    except OSError as err:
        raise WarehouseError(f"cannot write to the data directory {paths.data_dir}: {err.strerror}") from err
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WriterBusy(
                f"another news-etl run is writing to {paths.data_dir} ({holder}); "
                "wait for it to finish or pass --wait"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\n")
        handle.flush()
        with _writer_lease(paths, wait=wait):
            yield
    finally:
        handle.close()  # closing the file releases the lock


@contextmanager
def _writer_lease(paths: LakePaths, *, wait: bool) -> Iterator[None]:
    """With a PostgreSQL catalog, the lease that keeps other machines from writing (warehouse/writer_lease.py)."""
    setting = paths.catalog_setting
    if setting.is_local:
        yield
        return
    check_catalog(paths)  # an unreachable catalog: the usual one-line message, before any flow starts
    lease = WriterLease(setting.dsn)
    try:
        lease.acquire(wait=wait)
    except LeaseBusy as err:
        raise WriterBusy(f"{err}; wait for it to finish or pass --wait") from None
    except LeaseError as err:
        raise WarehouseError(f"cannot take the writer lease in {setting.describe()}: {redact(str(err))}") from None
    try:
        yield
    finally:
        lease.release()
