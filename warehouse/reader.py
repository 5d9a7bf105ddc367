"""Read-only access to the published lake for `news-etl sql` and other readers.

The connection attaches the published catalog READ_ONLY, then locks itself down: file access is
limited to the lake's folders, external access is off and the configuration is frozen, so a
query cannot COPY ... TO a file, ATTACH another database or install anything. Its memory is
capped (QueryLimits.memory_limit; spilling goes to a private temporary folder) and a statement
that runs longer than QueryLimits.timeout is interrupted.

Only SELECT-type statements run, and the table functions they may call are an allow-list of
functions that only read (`READ_TABLE_FUNCTIONS`): DuckLake's maintenance functions
(ducklake_merge_adjacent_files, ducklake_rewrite_data_files, ducklake_expire_snapshots,
ducklake_cleanup_old_files, ducklake_flush_inlined_data, ducklake_set_option, ...) write Parquet
files into the lake's folder before the read-only catalog refuses their commit, so they are
refused before the statement runs, like `query()` and `json_execute_serialized_sql` (SQL text
the check cannot see) and `checkpoint()`.

With the catalog in PostgreSQL (NEWS_ETL_CATALOG) the reader attaches that catalog READ_ONLY
(DuckLake then reads it in READ ONLY PostgreSQL transactions) and locks down the same way;
external access off still lets DuckLake read its catalog through the connection attached before.
It does not stop the postgres extension's own table functions (postgres_scan opens any
connection string, postgres_query runs any read-only SQL on the catalog's server), so user
queries that call them, or run SQL text (query(), json_execute_serialized_sql), are refused.

With the data files in object storage (NEWS_ETL_DATA_PATH) the reader holds a temporary S3
secret made from the environment; file access is limited to the lake's prefix (so a query can
read the lake's Parquet files but nothing else in the bucket), and `duckdb_secrets()` is refused
like every table function off the allow-list (the configuration is locked besides).
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from core.settings import QueryLimits
from warehouse.attach import WarehouseError, attach_lake
from warehouse.extensions import connect_memory, load_extension
from warehouse.paths import LakePaths
from warehouse.schema import quote_literal


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def connect_readonly(
    paths: LakePaths, *, extensions: tuple[str, ...] = (), limits: QueryLimits | None = None, temp_dir: str | None = None
) -> duckdb.DuckDBPyConnection:
    if paths.catalog_setting.is_local and not paths.published_catalog.exists():
        raise WarehouseError(
            f"no warehouse at {paths.data_dir}: run `news-etl run` or `news-etl load PATH` first "
            "(or pass --data-dir / set NEWS_ETL_DATA_DIR)"
        )
    con = connect_memory()
    try:
        for name in extensions:
            load_extension(con, name)
        attach_lake(con, paths, read_only=True)
    except BaseException:
        con.close()
        raise
    if limits is not None:
        limit_memory(con, limits, temp_dir)  # spilling: a private folder (removed by the caller), never the current directory
    folders = [str(p) + "/" for p in (paths.files, paths.lake_dir)]
    if paths.is_remote:  # only the lake's own prefix, not the rest of the bucket
        folders.append(paths.files_location)
    allowed = ", ".join(quote_literal(f) for f in folders)
    con.execute(f"SET allowed_directories = [{allowed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\s+", re.IGNORECASE)


# The table functions a query may call: they only read (the lake's tables, files inside the lake's
# folders, DuckDB's and DuckLake's metadata) or make values. Anything else (DuckLake's maintenance
# functions that write files, checkpoint(), query() and other SQL-text runners, the postgres
# extension's functions) is refused before the statement runs.
READ_TABLE_FUNCTIONS = frozenset({
    # values
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree", "summary",
    "histogram", "histogram_values", "icu_calendar_names", "pg_timezone_names", "test_all_types", "test_vector_types",
    # files (inside the lake's folders only: allowed_directories)
    "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "parquet_full_metadata", "parquet_bloom_probe", "read_csv", "read_csv_auto", "sniff_csv",
    "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto",
    "read_ndjson_objects", "read_ndjson_objects_auto", "read_text", "read_blob", "glob",
    # DuckDB's metadata
    "duckdb_columns", "duckdb_constraints", "duckdb_databases", "duckdb_dependencies", "duckdb_extensions",
    "duckdb_functions", "duckdb_indexes", "duckdb_keywords", "duckdb_memory", "duckdb_optimizers", "duckdb_schemas",
    "duckdb_sequences", "duckdb_settings", "duckdb_tables", "duckdb_temporary_files", "duckdb_types", "duckdb_variables",
    "duckdb_views", "duckdb_approx_database_count", "duckdb_connection_count", "duckdb_external_file_cache",
    "pragma_table_info", "pragma_show", "pragma_version", "pragma_platform", "pragma_user_agent",
    "pragma_database_size", "pragma_storage_info", "pragma_metadata_info", "pragma_collations",
    # DuckLake's metadata and time travel (reads of the catalog)
    "ducklake_snapshots", "ducklake_table_info", "ducklake_list_files", "ducklake_table_changes",
    "ducklake_table_insertions", "ducklake_table_deletions", "ducklake_current_snapshot",
    "ducklake_last_committed_snapshot", "ducklake_options", "ducklake_settings",
    # ... and the same called on the attached catalog (`lake.snapshots()`, `lake.table_changes(...)`)
    "snapshots", "table_info", "table_changes", "table_insertions", "table_deletions", "current_snapshot",
    "last_committed_snapshot",
})
# scalar functions that run SQL text the check cannot see, or reach PostgreSQL servers
_REFUSED_SCALARS = frozenset({"query", "json_execute_serialized_sql", "pg_clear_cache", "read_postgres_binary"})
_REFUSED_PREFIXES = ("postgres_", "ducklake_")


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str, *, remote_catalog: bool = False) -> None:
    """Only SELECT-type statements (and EXPLAIN of one) may run, calling only the table functions
    of READ_TABLE_FUNCTIONS. The lake's folders must stay readable for the query, so DuckDB's
    allowed_directories alone would still let a COPY ... TO, an ATTACH of the writer's catalog or
    a DuckLake maintenance function write inside them. (`remote_catalog` is accepted for the
    callers' sake: the checks are the same for every catalog.)"""
    del remote_catalog
    for statement in con.extract_statements(sql):
        kind = statement.type
        if kind == duckdb.StatementType.EXPLAIN:
            check_read_only(con, _EXPLAIN.sub("", statement.query, count=1))
        elif kind != duckdb.StatementType.SELECT:
            raise WarehouseError(f"only read queries are allowed (SELECT, WITH, EXPLAIN, ...), not {kind.name}")
        else:
            _check_functions(con, statement.query)


def _check_functions(con: duckdb.DuckDBPyConnection, query: str) -> None:
    row = con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    tree = json.loads(str(row[0])) if row else {"error": True}
    if tree.get("error"):
        raise WarehouseError(
            f"this query cannot be checked for the functions it calls: {tree.get('error_message', 'not a plain SELECT')}"
        )
    for name, table in _function_names(tree):
        lowered = name.lower()
        if table and lowered not in READ_TABLE_FUNCTIONS:
            raise WarehouseError(
                f"{name}() is not allowed: `news-etl sql` only reads, and this table function could write or run "
                "other SQL (allowed: the lake's tables, read_parquet/read_csv/read_json of its files, metadata functions)"
            )
        if not table and (lowered in _REFUSED_SCALARS or lowered.startswith(_REFUSED_PREFIXES)):
            raise WarehouseError(f"{name}() is not allowed: `news-etl sql` only reads the lake's tables")


def _function_names(node: object, table: bool = False) -> Iterator[tuple[str, bool]]:
    """(name, is a table function) of every function the serialised query calls."""
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str):
            yield name, table
        is_ref = node.get("type") == "TABLE_FUNCTION"
        for key, value in node.items():
            yield from _function_names(value, is_ref and key == "function")
    elif isinstance(node, list):
        for value in node:
            yield from _function_names(value)


class QueryTimeout(WarehouseError):
    """The statement ran longer than its QueryLimits.timeout."""


@dataclass
class QueryStream:
    """An open read-only statement: its column names and its rows in batches (`batches`)."""

    columns: list[str]
    cursor: duckdb.DuckDBPyConnection

    def batches(self, size: int = 1000) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            rows = self.cursor.fetchmany(size)
            if not rows:
                return
            yield rows


@contextmanager
def statement_deadline(con: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[None]:
    """Interrupt what `con` runs once the block has taken `seconds`: a QueryTimeout."""
    expired = threading.Event()

    def interrupt() -> None:
        expired.set()
        con.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        if not expired.is_set():
            raise
        raise QueryTimeout(
            f"the query ran longer than {seconds:g} s and was stopped (--timeout, NEWS_ETL_SQL_TIMEOUT)"
        ) from None
    finally:
        timer.cancel()


def limit_memory(con: duckdb.DuckDBPyConnection, limits: QueryLimits, temp_dir: str | None) -> None:
    """Cap the connection's memory; spill to `temp_dir` (a private folder) or not at all."""
    con.execute(f"SET memory_limit = '{int(limits.memory_limit)}B'")
    con.execute(f"SET temp_directory = {quote_literal(temp_dir or '')}")
    con.execute(f"SET max_temp_directory_size = '{int(limits.memory_limit) * 4}B'")


@contextmanager
def open_query(paths: LakePaths, sql: str, limits: QueryLimits | None = None) -> Iterator[QueryStream]:
    """Check and start a read-only statement; its rows are fetched in batches inside the block,
    all within `limits` (the timeout covers running and fetching: the statement is interrupted,
    a QueryTimeout)."""
    limits = limits or QueryLimits()
    with tempfile.TemporaryDirectory(prefix="news-etl-sql-") as spill:
        con = connect_readonly(paths, limits=limits, temp_dir=spill)
        try:
            with statement_deadline(con, limits.timeout):
                check_read_only(con, sql, remote_catalog=not paths.catalog_setting.is_local)
                cursor = con.execute(sql)
                yield QueryStream([d[0] for d in cursor.description or []], cursor)
        finally:
            con.close()


def run_query(paths: LakePaths, sql: str, limits: QueryLimits | None = None) -> QueryResult:
    """Every row of a read-only statement (for tests and small internal queries)."""
    with open_query(paths, sql, limits) as stream:
        return QueryResult(stream.columns, [row for batch in stream.batches() for row in batch])
