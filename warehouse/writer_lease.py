"""The writer lease: one writing machine at a time for a lake whose catalog is in PostgreSQL.

The local writer lock (a flock on DATA_DIR/lake/writer.lock) guards one machine. With a shared
PostgreSQL catalog, two machines could both write; so the writer also holds a lease, one row in
the table `news_etl_writer_lease` of the catalog's database:

* taking it is one upsert that succeeds only when the row is free, expired, or already ours
  (PostgreSQL serialises two machines on the row), read back to see who holds it;
* a thread renews it every `seconds / 5` while the writer runs;
* it is deleted when the writer ends; a writer that died leaves a lease that expires `seconds`
  after its last renewal (5 minutes by default), after which another machine takes it.

A machine that loses its lease (suspended for longer than the lease) is noted in `lost`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import duckdb

from warehouse.extensions import connect_memory, load_extension
from warehouse.schema import quote_literal

LEASE_TABLE = "news_etl_writer_lease"
LEASE_SECONDS = 300
_ALIAS = "news_etl_lease"


class LeaseBusy(RuntimeError):
    """Another machine holds the lease; the message names it."""


class LeaseError(RuntimeError):
    """The catalog's database could not be reached or written."""


def _execute(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a statement in the catalog's PostgreSQL database as it is written."""
    con.execute(f"CALL postgres_execute({quote_literal(_ALIAS)}, {quote_literal(sql)})")


def _query_one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...] | None:
    """The first row of a SELECT run in the catalog's PostgreSQL database."""
    return con.execute(f"SELECT * FROM postgres_query({quote_literal(_ALIAS)}, {quote_literal(sql)})").fetchone()


@dataclass
class WriterLease:
    dsn: str
    seconds: float = LEASE_SECONDS
    holder: str = field(
        default_factory=lambda: f"{socket.gethostname()} pid {os.getpid()} ({uuid.uuid4().hex[:12]})"
    )
    lost: bool = False
    _con: duckdb.DuckDBPyConnection | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = connect_memory()
        try:
            load_extension(con, "postgres_scanner")
            con.execute(f"ATTACH {quote_literal(self.dsn)} AS {_ALIAS} (TYPE postgres)")
            _execute(
                con,
                f"CREATE TABLE IF NOT EXISTS {LEASE_TABLE} (id integer PRIMARY KEY, holder text NOT NULL, "
                "acquired_at timestamptz NOT NULL, renewed_at timestamptz NOT NULL)",
            )
        except BaseException:
            con.close()
            raise
        return con

    def _try(self, con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
        """Take the lease if free, expired or ours; None when taken, else (holder, renewed_at)."""
        _execute(
            con,
            f"INSERT INTO {LEASE_TABLE} VALUES (1, {quote_literal(self.holder)}, now(), now()) ON CONFLICT (id) DO UPDATE "
            "SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at "
            f"WHERE {LEASE_TABLE}.holder = EXCLUDED.holder "
            f"OR {LEASE_TABLE}.renewed_at < now() - make_interval(secs => {float(self.seconds)})",
        )
        row = _query_one(con, f"SELECT holder, renewed_at::text FROM {LEASE_TABLE} WHERE id = 1")
        if row is not None and row[0] == self.holder:
            return None
        return (str(row[0]), str(row[1])) if row else ("?", "?")

    def acquire(self, *, wait: bool = False, poll: float = 2.0) -> None:
        try:
            con = self._connect()
        except duckdb.Error as err:
            raise LeaseError(str(err).splitlines()[0]) from None
        try:
            while True:
                other = self._try(con)
                if other is None:
                    break
                if not wait:
                    raise LeaseBusy(
                        f"another machine is writing this lake: {other[0]} (lease renewed at {other[1]}; "
                        f"it expires {self.seconds:.0f} s after its last renewal if that machine stopped)"
                    )
                time.sleep(poll)
        except duckdb.Error as err:
            con.close()
            raise LeaseError(str(err).splitlines()[0]) from None
        except BaseException:
            con.close()
            raise
        self._con = con
        self._thread = threading.Thread(target=self._renew, name="news-etl-writer-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        every = max(self.seconds / 5, 0.05)
        while not self._stop.wait(every):
            with self._lock:
                if self._con is None:
                    return
                try:
                    if self._try(self._con) is not None:
                        self.lost = True
                except duckdb.Error:
                    continue  # the database is unreachable for a moment: try again at the next beat

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            con, self._con = self._con, None
        if con is None:
            return
        try:
            _execute(con, f"DELETE FROM {LEASE_TABLE} WHERE id = 1 AND holder = {quote_literal(self.holder)}")
        except duckdb.Error:
            pass  # unreachable: the lease expires on its own
        finally:
            con.close()
