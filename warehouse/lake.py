"""The DuckLake warehouse: one writer, atomic commits per batch, a published copy for readers.

Layout under the data directory (see warehouse/paths.py):
    lake/catalog.ducklake    DuckLake catalog (DuckDB file), opened by the single writer only
    lake/published.ducklake  copy of the catalog after the last commit; readers attach this
    lake/files/main/<table>/source_id=<s>/pub_year=<y>/pub_month=<m>/*.parquet

With NEWS_ETL_CATALOG=postgres:<dsn> (warehouse/catalog.py) the catalog is a PostgreSQL
database instead: the writer and the readers attach it directly (readers READ_ONLY), there is no
published copy, and the data files stay in lake/files/.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa

from transforms import neardup
from transforms.records import DocumentResult
from warehouse.batch import Plan, StoredArticle, plan_batch
from warehouse.catalog import POSTGRES_PREFIX, redact
from warehouse.data_tests import DataTestResult, record, run_tests
from warehouse.data_tests import summary as data_test_summary
from warehouse.events import EventRun, resolve_events
from warehouse.extensions import connect_memory, load_extension
from warehouse.migrations import LATEST_VERSION, current_version, migrate
from warehouse.paths import LakePaths
from warehouse.schema import (
    ARTICLE_CHILD_TABLES,
    NEARDUP_TABLES,
    PARTITIONS,
    SCHEMA_VERSION,
    TABLES,
    column_ddl,
    quote_ident,
    quote_literal,
)
from warehouse.search import IndexRefresh, refresh_search_index
from warehouse.writer_lease import LeaseBusy, LeaseError, WriterLease

LAKE = "lake"
META = f"__ducklake_metadata_{LAKE}"


class WarehouseError(RuntimeError):
    """A problem a user can act on (message is one clear sentence)."""


class WriterBusy(WarehouseError):
    pass


class DataTestsFailed(WarehouseError):
    """A data test found offending rows after a run; the run's data is committed and visible."""

    def __init__(self, message: str, summary: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.summary = summary or {}


@dataclass(frozen=True, slots=True)
class BatchCounts:
    inputs: int
    articles_new: int
    articles_updated: int
    duplicates: int
    rejects: int
    removed_lines: int
    mentions: int
    figures: int
    embeds: int

    @classmethod
    def from_plan(cls, plan: Plan, inputs: int) -> BatchCounts:
        return cls(
            inputs=inputs,
            articles_new=plan.articles_new,
            articles_updated=plan.articles_updated,
            duplicates=plan.duplicates,
            rejects=plan.rejects,
            removed_lines=plan.count("removed"),
            mentions=plan.count("mentions"),
            figures=plan.count("figures"),
            embeds=plan.count("embeds"),
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def attach_sql(catalog: Path | str, files: Path, *, read_only: bool, override_data_path: bool = False) -> str:
    """ATTACH of the lake; `catalog` is a DuckDB catalog file or 'postgres:<dsn>'.
    `override_data_path`: use `files` even if the catalog records another data path (a local
    lake whose data directory was moved: every file path inside the catalog is relative)."""
    options = [f"DATA_PATH {quote_literal(str(files) + os.sep)}"]
    if override_data_path:
        options.append("OVERRIDE_DATA_PATH true")
    if read_only:
        options.append("READ_ONLY")
    else:
        options.append("DATA_INLINING_ROW_LIMIT 0")  # rows always land in Parquet files
    return f"ATTACH {quote_literal('ducklake:' + str(catalog))} AS {LAKE} ({', '.join(options)})"


def catalog_location(paths: LakePaths, *, read_only: bool) -> str:
    """What to attach: the writer's catalog file or the readers' published copy, or the
    PostgreSQL catalog (the same for both)."""
    setting = paths.catalog_setting
    if setting.is_local:
        return str(paths.published_catalog if read_only else paths.catalog)
    return POSTGRES_PREFIX + setting.dsn


def attach_lake(con: duckdb.DuckDBPyConnection, paths: LakePaths, *, read_only: bool) -> None:
    """Load the extensions the catalog needs, attach the lake as `lake` and USE it; a failure is
    a one-line WarehouseError (never showing a password of the connection string)."""
    load_extension(con, "ducklake")
    if not paths.catalog_setting.is_local:
        _load_postgres(con)
    try:
        con.execute(attach_sql(
            catalog_location(paths, read_only=read_only), paths.files, read_only=read_only,
            # a local lake is one folder (catalog + files): it still opens after the folder moved;
            # with PostgreSQL every machine must use the same data path (_attach_failure says so)
            override_data_path=paths.catalog_setting.is_local,
        ))
    except duckdb.Error as err:  # PostgreSQL: not chained, DuckDB's message repeats the connection string
        raise WarehouseError(_attach_failure(paths, err, read_only=read_only)) from (
            err if paths.catalog_setting.is_local else None
        )
    con.execute(f"USE {LAKE}")


def check_catalog(paths: LakePaths) -> None:
    """Fail fast, before a flow starts, when the PostgreSQL catalog cannot be reached (a plain
    READ_ONLY connection: nothing is created). Nothing to check for the local catalog."""
    setting = paths.catalog_setting
    if setting.is_local:
        return
    con = connect_memory()
    try:
        _load_postgres(con)
        try:
            con.execute(f"ATTACH {quote_literal(setting.dsn)} AS catalog_check (TYPE postgres, READ_ONLY)")
            con.execute("SELECT 1 FROM postgres_query('catalog_check', 'SELECT 1')").fetchall()
        except duckdb.Error as err:
            raise WarehouseError(_attach_failure(paths, err, read_only=False)) from None
    finally:
        con.close()


def _load_postgres(con: duckdb.DuckDBPyConnection) -> None:
    try:
        load_extension(con, "postgres_scanner")
    except (ImportError, RuntimeError) as err:
        raise WarehouseError(
            "the PostgreSQL catalog needs the duckdb-extension-postgres_scanner wheel matching duckdb "
            f"(pip install -e '.[postgres]'): {str(err).splitlines()[0]}"
        ) from err


def where_is(paths: LakePaths) -> str:
    """'at DATA_DIR' or 'in the PostgreSQL catalog (dsn without password)', for messages."""
    setting = paths.catalog_setting
    return f"at {paths.data_dir}" if setting.is_local else f"in {setting.describe()}"


def _attach_failure(paths: LakePaths, err: duckdb.Error, *, read_only: bool) -> str:
    setting = paths.catalog_setting
    text = str(err).strip()
    if setting.is_local:
        what = f"the published warehouse {paths.published_catalog}" if read_only else f"the warehouse catalog {paths.catalog}"
        return f"cannot open {what}: {redact(text.splitlines()[0] if text else type(err).__name__)}"
    if read_only and "creating a new DuckLake is explicitly disabled" in text:
        return (
            f"no warehouse in {setting.describe()}: run `news-etl run` or `news-etl load PATH` "
            "with this NEWS_ETL_CATALOG first"
        )
    stored = re.search(r'does not match existing data path in the catalog "([^"]*)"', text)
    if stored:
        return (
            f"{setting.describe()} keeps this lake's data files in {stored.group(1)}, not in {paths.files}{os.sep}: "
            "use the same data directory (--data-dir / NEWS_ETL_DATA_DIR) on every machine"
        )
    marker = 'Unable to connect to Postgres at "'
    if marker in text:  # the extension repeats the whole connection string: keep libpq's reason
        rest = text[text.index(marker) + len(marker):]
        text = rest.split('": ', 1)[1] if '": ' in rest else rest
    elif "ERROR:" in text:
        text = "PostgreSQL says: " + text.rsplit("ERROR:", 1)[1].strip()
    reason = " ".join(text.split())  # one line (libpq's hints come on a second line)
    return f"cannot open {setting.describe()}: {redact(reason)}"


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
        handle.write(f"pid {os.getpid()} since {utcnow():%Y-%m-%dT%H:%M:%SZ}\n")
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


class LakeWriter:
    """The single writer. Use inside `writer_lock`. Every public write is one DuckLake snapshot."""

    def __init__(self, paths: LakePaths) -> None:
        self.paths = paths
        paths.files.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(paths)
        self.con = connect_memory()
        try:
            attach_lake(self.con, paths, read_only=False)
        except BaseException:
            self.con.close()
            raise
        self.moved_from = self._adopt_data_path()
        self.ensure_schema()

    def _adopt_data_path(self) -> str | None:
        """A local lake whose data directory was moved or re-mounted records its new place (the
        DuckLake `data_path`), so plain DuckDB and BI tools attach it without OVERRIDE_DATA_PATH;
        returns the old place, or None. Published with the next commit."""
        if not self.paths.catalog_setting.is_local:
            return None
        meta = quote_ident(META)
        row = self.con.execute(f"SELECT value FROM {meta}.ducklake_metadata WHERE key = 'data_path'").fetchone()
        want = str(self.paths.files) + os.sep
        if row is None or row[0] == want:
            return None
        self.con.execute(f"UPDATE {meta}.ducklake_metadata SET value = ? WHERE key = 'data_path'", [want])
        return str(row[0])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LakeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        existing = {r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [LAKE]
        ).fetchall()}
        self.con.execute("BEGIN")
        for name, schema in TABLES.items():
            if name in existing:
                continue
            self.con.execute(f"CREATE TABLE {quote_ident(name)} ({column_ddl(schema)})")
            if name in PARTITIONS:
                cols = ", ".join(quote_ident(c) for c in PARTITIONS[name])
                self.con.execute(f"ALTER TABLE {quote_ident(name)} SET PARTITIONED BY ({cols})")
        if "schema_info" not in existing:
            self.con.execute("CREATE TABLE schema_info (schema_version INTEGER NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)")
            self.con.execute("INSERT INTO schema_info VALUES (?, ?)", [SCHEMA_VERSION, utcnow()])
        self.con.execute("COMMIT")
        version = current_version(self.con)
        if version > LATEST_VERSION:
            raise WarehouseError(
                f"the warehouse {where_is(self.paths)} has schema version {version}, newer than this "
                f"news-etl understands ({LATEST_VERSION}): upgrade news-etl"
            )
        migrate(self.con)
        # a run killed between a commit and its publish left the readers' copy behind: catch up
        self.publish()

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, flow: str, parameters: dict[str, Any]) -> None:
        """Record a run as running; runs left 'running' by a dead process are marked failed
        (we hold the writer lock, so no other run can be alive)."""
        self.con.execute("BEGIN")
        self.con.execute(
            "UPDATE runs SET status = 'failed', message = 'the process ended before the run finished' "
            "WHERE status = 'running'"
        )
        self.con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status, parameters) VALUES (?, ?, ?, 'running', ?)",
            [run_id, flow, utcnow(), json.dumps(parameters, ensure_ascii=False, default=str)],
        )
        self.con.execute("COMMIT")
        self.publish()

    def finish_run(
        self, run_id: str, status: str, counts: dict[str, int], message: str | None = None, *, search: bool = True
    ) -> None:
        """Record the run's end and counts; the full-text index is brought up to date first unless `search`
        is False (nothing was committed) (a failure there is noted in the run's message, the data
        committed stays committed)."""
        try:
            if search:
                self.refresh_search()
        except (duckdb.Error, OSError) as err:
            note = f"search index not updated: {str(err).splitlines()[0]}"
            message = f"{message}; {note}" if message else note
        cols = [c for c in counts if c in TABLES["runs"].names]
        sets = ", ".join(f"{quote_ident(c)} = ?" for c in cols)
        self.con.execute(
            f"UPDATE runs SET finished_at = ?, status = ?, message = ?{', ' if sets else ''}{sets} WHERE run_id = ?",
            [utcnow(), status, message, *(counts[c] for c in cols), run_id],
        )
        self.publish()

    # -- batches ----------------------------------------------------------------------------

    def _lookup(self, results: list[DocumentResult]) -> tuple[dict[str, StoredArticle], dict[str, str], set[tuple[str, str]]]:
        arts = [r.article for r in results if r.article is not None]
        if not arts:
            return {}, {}, set()
        keys = pa.table(
            {
                "article_id": [a.article_id for a in arts],
                "content_hash": [a.content_hash for a in arts],
                "input_ref": [a.input_ref for a in arts],
            }
        )
        self.con.register("batch_keys", keys)
        try:
            by_id = {
                r[0]: StoredArticle(r[0], r[1], r[2])
                for r in self.con.execute(
                    "SELECT article_id, version, content_hash FROM articles "
                    "WHERE article_id IN (SELECT article_id FROM batch_keys)"
                ).fetchall()
            }
            by_hash = dict(
                self.con.execute(
                    "SELECT content_hash, min(article_id) FROM articles "
                    "WHERE content_hash IN (SELECT content_hash FROM batch_keys) GROUP BY 1"
                ).fetchall()
            )
            known = {
                (r[0], r[1])
                for r in self.con.execute(
                    "SELECT article_id, input_ref FROM article_inputs "
                    "WHERE input_ref IN (SELECT input_ref FROM batch_keys)"
                ).fetchall()
            }
        finally:
            self.con.unregister("batch_keys")
        return by_id, by_hash, known

    def ledger(self) -> dict[str, tuple[int, int, int]]:
        """Latest (size, mtime_ns, documents) per input file path recorded by earlier runs."""
        rows = self.con.execute(
            "SELECT path, arg_max(size, recorded_at), arg_max(mtime_ns, recorded_at), "
            "arg_max(documents, recorded_at) FROM input_ledger GROUP BY path"
        ).fetchall()
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    def commit_batch(
        self,
        run_id: str,
        results: list[DocumentResult],
        batch_no: int = 0,
        ledger: list[dict[str, Any]] | None = None,
    ) -> BatchCounts:
        """One atomic DuckLake commit for the whole batch: either all of it is visible or none.
        `ledger` rows (input_ledger: files read whole by this batch) land in the same commit."""
        now = utcnow()
        by_id, by_hash, known = self._lookup(results)
        plan = plan_batch(
            results, run_id=run_id, now=now, stored_by_id=by_id, stored_by_hash=by_hash, known_inputs=known
        )
        plan.rows["input_ledger"].extend({**row, "run_id": run_id, "recorded_at": now} for row in ledger or ())
        self._cluster(plan, run_id)
        self.con.execute("BEGIN")
        try:
            if plan.replace_ids:
                ids = pa.table({"article_id": sorted(plan.replace_ids)})
                self.con.register("replaced_ids", ids)
                for table in ("articles", *ARTICLE_CHILD_TABLES, *NEARDUP_TABLES):
                    self.con.execute(
                        f"DELETE FROM {quote_ident(table)} WHERE article_id IN (SELECT article_id FROM replaced_ids)"
                    )
            for table in TABLES:
                if table == "runs" or not plan.rows[table]:
                    continue
                arrow = plan.table(table)
                view = f"batch_{table}"
                self.con.register(view, arrow)
                cols = ", ".join(quote_ident(c) for c in arrow.schema.names)
                self.con.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM {quote_ident(view)}")
                self.con.unregister(view)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            if plan.replace_ids:
                self.con.unregister("replaced_ids")
        self.publish()
        return BatchCounts.from_plan(plan, inputs=sum(1 for _ in results))

    def _cluster(self, plan: Plan, run_id: str) -> None:
        """Near-duplicates: give every article version of the plan a cluster_id (an updated
        article keeps its stored one; a new one joins its most similar stored or earlier article's
        cluster, else starts its own) and add the signature rows of the latest versions."""
        versions = plan.rows["article_versions"]
        if not versions:
            return
        sigs = [(str(r["article_id"]), neardup.signature(str(r["body_search"]))) for r in versions]
        bands = {sig: neardup.band_buckets(sig) for _, sig in sigs}  # hashed once per signature
        buckets = pa.table(
            {
                "band": pa.array([b for _, s in sigs for b, _ in bands[s]], pa.int32()),
                "bucket": pa.array([k for _, s in sigs for _, k in bands[s]], pa.int64()),
            }
        )
        ids = pa.table({"article_id": sorted({a for a, _ in sigs})})
        self.con.register("batch_buckets", buckets)
        self.con.register("batch_ids", ids)
        try:
            stored = [
                (str(r[0]), str(r[1]), neardup.decode(str(r[2])))
                for r in self.con.execute(
                    "SELECT m.article_id, m.cluster_id, m.signature FROM article_minhash AS m "
                    "WHERE m.article_id IN (SELECT l.article_id FROM article_lsh AS l "
                    "JOIN batch_buckets AS b ON l.band = b.band AND l.bucket = b.bucket) "
                    "OR m.article_id IN (SELECT article_id FROM batch_ids)"
                ).fetchall()
            ]
        finally:
            self.con.unregister("batch_buckets")
            self.con.unregister("batch_ids")
        keep = {a: c for a, c, _ in stored if a in plan.replace_ids}
        clusters = neardup.assign_clusters(sigs, stored, keep=keep)
        latest: dict[str, neardup.Signature] = {}
        for row, (article_id, sig) in zip(versions, sigs, strict=True):
            row["cluster_id"] = clusters[article_id]
            latest[article_id] = sig
        for row in plan.rows["articles"]:
            article_id = str(row["article_id"])
            row["cluster_id"] = clusters[article_id]
            sig = latest[article_id]
            plan.rows["article_minhash"].append(
                {"article_id": article_id, "cluster_id": clusters[article_id], "signature": neardup.encode(sig), "run_id": run_id}
            )
            plan.rows["article_lsh"].extend(
                {"article_id": article_id, "band": band, "bucket": bucket, "run_id": run_id}
                for band, bucket in bands[sig]
            )

    # -- events and data tests ----------------------------------------------------------------

    def resolve_events(self, run_id: str, *, full: bool = False) -> EventRun:
        """Events of the articles this or an earlier run stored and no run resolved yet (or, with
        `full`, all of them again): one commit (warehouse/events.py)."""
        run = resolve_events(self.con, run_id, utcnow(), full=full)
        if run.articles_read or run.full:
            self.publish()
        return run

    def check_data(self, run_id: str) -> list[DataTestResult]:
        """Run the data tests (warehouse/data_tests.py) and record their results in `data_tests`."""
        results = run_tests(self.con)
        self.con.execute("BEGIN")
        try:
            record(self.con, run_id, results, utcnow())
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.publish()
        return results

    def finish_checked(
        self, run_id: str, counts: dict[str, int], message: str | None, *, search: bool = True, full_events: bool = False
    ) -> tuple[str, str | None]:
        """The end of a writing run: resolve events, run the data tests, record the run as
        completed, or failed when a data test failed (its reasons in the message). Returns
        (status, message)."""
        events = self.resolve_events(run_id, full=full_events)
        results = self.check_data(run_id)
        notes = [m for m in (message, event_summary(events), data_test_summary(results)) if m]
        status = "completed" if all(r.passed for r in results) else "failed"
        text = "; ".join(notes)
        self.finish_run(run_id, status, counts, text, search=search)
        return status, text

    # -- publishing -------------------------------------------------------------------------

    def refresh_search(self, *, full: bool = False) -> IndexRefresh:
        """Bring the full-text index (lake/search.duckdb) up to date with the latest articles:
        an update of the previous index, or a full build when `full` or much changed."""
        return refresh_search_index(self.con, self.paths, full=full)

    def publish(self) -> None:
        """Checkpoint the catalog and atomically replace the readers' copy with it.

        Data files are immutable in DuckLake, so the copy stays valid as long as maintenance
        only deletes files older than the published snapshot. Nothing to do with a PostgreSQL
        catalog: readers attach it directly and see every commit."""
        if not self.paths.catalog_setting.is_local:
            return
        self.con.execute(f"CHECKPOINT {quote_ident(META)}")
        target = self.paths.published_catalog
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        shutil.copyfile(self.paths.catalog, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)


def remove_stale_temporaries(paths: LakePaths) -> None:
    """Half-written copies left by a process killed while publishing (only the writer calls
    this, under the writer lock, so no live publish can be in progress)."""
    for tmp in paths.lake_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def commit_counts_total(parts: Iterable[BatchCounts]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key in BatchCounts.__slots__:
            total[key] = total.get(key, 0) + int(getattr(part, key))
    return total


def event_summary(run: EventRun) -> str | None:
    if not run.articles_read and not run.full:
        return None
    what = "events rebuilt" if run.full else "events"
    return (f"{what}: {run.reports} reports of {run.articles_read} articles read, {run.events_written} events written, "
            f"{run.merges} merged")
