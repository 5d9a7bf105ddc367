"""The lake's single writer: schema and migrations on open, one atomic DuckLake commit per batch,
run records, the search index, and a published copy for readers after every commit.

Layout under the data directory (see warehouse/paths.py):
    lake/catalog.ducklake    DuckLake catalog (DuckDB file), opened by the single writer only
    lake/published.ducklake  copy of the catalog after the last commit; readers attach this
    lake/files/main/<table>/source_id=<s>/pub_year=<y>/pub_month=<m>/*.parquet

With NEWS_ETL_CATALOG=postgres:<dsn> (warehouse/catalog.py) the catalog is a PostgreSQL
database instead: the writer and the readers attach it directly (readers READ_ONLY), there is no
published copy, and the data files stay in lake/files/, or with NEWS_ETL_DATA_PATH=s3://...
in object storage (the search index is then built here and uploaded after every run that changed
it: warehouse/objectstore.py). Use inside `warehouse.lock.writer_lock`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from core.settings import FreshnessRules
from transforms.events import Report
from transforms.records import DocumentResult
from warehouse import freshness, runs
from warehouse.attach import LAKE, META, WarehouseError, attach_lake, where_is
from warehouse.batch import BatchCounts, StoredArticle, plan_batch
from warehouse.clustering import cluster
from warehouse.data_tests import DataTestResult, record, run_tests
from warehouse.data_tests import summary as data_test_summary
from warehouse.events import EventRun, event_summary, resolve_events
from warehouse.extensions import connect_memory
from warehouse.ledger import Ledger, read_ledger
from warehouse.migrations import LATEST_VERSION, current_version, migrate
from warehouse.objectstore import ObjectStoreError, index_exists, upload_index
from warehouse.paths import LakePaths
from warehouse.publish import publish, remove_stale_temporaries
from warehouse.report_queries import RunStats, query_run_stats
from warehouse.schema import ARTICLE_CHILD_TABLES, NEARDUP_TABLES, PARTITIONS, SCHEMA_VERSION, TABLES, column_ddl, quote_ident
from warehouse.search import IndexRefresh, refresh_search_index, search_path

# at most this many articles' event reports from the workers are kept until the run's end (~1 KB
# an article on SaudiNewsNet); those of the articles beyond are read back when the events are resolved
KEEP_REPORTS = 200_000


class DataTestsFailed(WarehouseError):
    """A data test found offending rows after a run; the run's data is committed and visible."""

    def __init__(self, message: str, summary: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.summary = summary or {}


class LakeWriter:
    """The single writer. Use inside `writer_lock`. Every public write is one DuckLake snapshot."""

    def __init__(self, paths: LakePaths) -> None:
        self.paths = paths
        paths.lake_dir.mkdir(parents=True, exist_ok=True)
        if not paths.is_remote:
            paths.files.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(paths)
        self.con = connect_memory()
        try:
            attach_lake(self.con, paths, read_only=False)
        except BaseException:
            self.con.close()
            raise
        self.moved_from = self._adopt_data_path()
        # event reports computed in the workers for the articles this writer committed:
        # article_id -> (stored version, rules version, reports); resolve_events uses them
        self.reports: dict[str, tuple[int, str, list[Report]]] = {}
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
            self.con.execute("INSERT INTO schema_info VALUES (?, ?)", [SCHEMA_VERSION, datetime.now(UTC)])
        self.con.execute("COMMIT")
        version = current_version(self.con)
        if version > LATEST_VERSION:
            raise WarehouseError(
                f"the warehouse {where_is(self.paths)} has schema version {version}, newer than this "
                f"news-etl understands ({LATEST_VERSION}): upgrade news-etl"
            )
        migrate(self.con)
        freshness.sync_registry(self.con)
        # a run killed between a commit and its publish left the readers' copy behind: catch up
        self.publish()

    # -- runs (warehouse/runs.py) -------------------------------------------------------------

    def start_run(self, run_id: str, flow: str, parameters: dict[str, Any]) -> None:
        """Record a run as running (runs left 'running' by a dead process become failed)."""
        runs.record_start(self.con, run_id, flow, parameters)
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
        except (duckdb.Error, OSError, ObjectStoreError) as err:
            note = f"search index not updated: {str(err).splitlines()[0]}"
            message = f"{message}; {note}" if message else note
        runs.record_finish(self.con, run_id, status, counts, message)
        self.publish()

    def fail_run(self, run_id: str | None, message: str) -> int:
        """Mark a run failed with why (`run_id` None: every run left 'running' by a process that
        was stopped, e.g. at its deadline); one snapshot. Returns how many runs changed."""
        changed = runs.record_failure(self.con, run_id, message)
        if changed:
            self.publish()
        return changed

    def set_freshness_rules(self, rules: FreshnessRules) -> bool:
        """The config's freshness rules for the lake's views (one snapshot if they changed)."""
        changed = freshness.set_rules(self.con, rules)
        if changed:
            self.publish()
        return changed

    def run_stats(self, run_id: str) -> RunStats:
        """The run's counts for its artifacts, read on this connection (no second attach)."""
        return query_run_stats(self.con, run_id)

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

    def ledger(self) -> Ledger:
        """Latest (size, mtime_ns, documents) per input file path recorded by earlier runs."""
        return read_ledger(self.con)

    def commit_batch(
        self,
        run_id: str,
        results: list[DocumentResult],
        batch_no: int = 0,
        ledger: list[dict[str, Any]] | None = None,
    ) -> BatchCounts:
        """One atomic DuckLake commit for the whole batch: either all of it is visible or none.
        `ledger` rows (input_ledger: files read whole by this batch) land in the same commit."""
        now = datetime.now(UTC)
        by_id, by_hash, known = self._lookup(results)
        plan = plan_batch(
            results, run_id=run_id, now=now, stored_by_id=by_id, stored_by_hash=by_hash, known_inputs=known
        )
        plan.rows["input_ledger"].extend({**row, "run_id": run_id, "recorded_at": now} for row in ledger or ())
        cluster(self.con, plan, run_id, {
            r.article.body_search: r.signature for r in results if r.article is not None and r.signature is not None
        })
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
        self._keep_reports(results, plan.rows["articles"])
        self.publish()
        return BatchCounts.from_plan(plan, inputs=sum(1 for _ in results))

    def _keep_reports(self, results: list[DocumentResult], stored: list[dict[str, Any]]) -> None:
        """Keep the workers' event reports of the article versions just committed (a result
        without them, or another version: resolution reads the stored article)."""
        given = {
            (r.article.article_id, r.article.content_hash): (r.reports_rules, r.reports)
            for r in results if r.article is not None
        }
        for row in stored:
            aid = str(row["article_id"])
            rules, reports = given.get((aid, str(row["content_hash"])), (None, None))
            if rules is None or reports is None or (aid not in self.reports and len(self.reports) >= KEEP_REPORTS):
                self.reports.pop(aid, None)
            else:
                self.reports[aid] = (int(row["version"]), rules, reports)

    # -- publishing -------------------------------------------------------------------------

    def refresh_search(self, *, full: bool = False) -> IndexRefresh:
        """Bring the full-text index (lake/search.duckdb) up to date with the latest articles:
        an update of the previous index, or a full build when `full` or much changed. With the
        lake in object storage the index is then uploaded (when it changed, or is not there)."""
        refresh = refresh_search_index(self.con, self.paths, full=full)
        root = self.paths.catalog_setting.data_path
        if root and (refresh.mode != "unchanged" or not index_exists(root)):
            upload_index(search_path(self.paths), root)
        return refresh

    # -- events and data tests ----------------------------------------------------------------

    def resolve_events(self, run_id: str, *, full: bool = False, publish: bool = True) -> EventRun:
        """Events of the articles this or an earlier run stored and no run resolved yet (or, with
        `full`, all of them again): one commit (warehouse/events.py). `publish=False`: the
        caller publishes later (one copy for readers instead of several)."""
        run = resolve_events(self.con, run_id, datetime.now(UTC), full=full, given=self.reports)
        self.reports = {}
        if publish and (run.articles_read or run.full):
            self.publish()
        return run

    def check_data(self, run_id: str, *, publish: bool = True) -> list[DataTestResult]:
        """Run the data tests (warehouse/data_tests.py) and record their results in `data_tests`."""
        results = run_tests(self.con)
        self.con.execute("BEGIN")
        try:
            record(self.con, run_id, results, datetime.now(UTC))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        if publish:
            self.publish()
        return results

    def finish_checked(
        self, run_id: str, counts: dict[str, int], message: str | None, *, search: bool = True, full_events: bool = False
    ) -> tuple[str, str | None]:
        """The end of a writing run: resolve events, run the data tests, record the run as
        completed, or failed when a data test failed (its reasons in the message). Returns
        (status, message)."""
        # published once, by finish_run (a run killed before it: the next writer publishes on open)
        events = self.resolve_events(run_id, full=full_events, publish=False)
        results = self.check_data(run_id, publish=False)
        notes = [m for m in (message, event_summary(events), data_test_summary(results)) if m]
        status = "completed" if all(r.passed for r in results) else "failed"
        text = "; ".join(notes)
        self.finish_run(run_id, status, counts, text, search=search)
        return status, text

    def publish(self) -> None:
        """Checkpoint the catalog and copy it atomically for readers (warehouse/publish.py)."""
        publish(self.con, self.paths)
