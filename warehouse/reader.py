"""Read-only access to the published lake for `news-etl sql` and other readers.

The connection attaches the published catalog READ_ONLY, then locks itself down: file access is
limited to the lake's folders, external access is off and the configuration is frozen, so a
query cannot COPY ... TO a file, ATTACH another database or install anything.

With the catalog in PostgreSQL (NEWS_ETL_CATALOG) the reader attaches that catalog READ_ONLY
(DuckLake then reads it in READ ONLY PostgreSQL transactions) and locks down the same way;
external access off still lets DuckLake read its catalog through the connection attached before.
It does not stop the postgres extension's own table functions (postgres_scan opens any
connection string, postgres_query runs any read-only SQL on the catalog's server), so user
queries that call them, or run SQL text (query(), json_execute_serialized_sql), are refused.

With the data files in object storage (NEWS_ETL_DATA_PATH) the reader holds a temporary S3
secret made from the environment; file access is limited to the lake's prefix (so a query can
read the lake's Parquet files but nothing else in the bucket), `duckdb_secrets()` shows the
secret redacted and unredacting is refused (the configuration is locked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.attach import WarehouseError, attach_lake
from warehouse.extensions import connect_memory, load_extension
from warehouse.paths import LakePaths
from warehouse.schema import quote_literal


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def connect_readonly(paths: LakePaths, *, extensions: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
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
    folders = [str(p) + "/" for p in (paths.files, paths.lake_dir)]
    if paths.is_remote:  # only the lake's own prefix, not the rest of the bucket
        folders.append(paths.files_location)
    allowed = ", ".join(quote_literal(f) for f in folders)
    con.execute(f"SET allowed_directories = [{allowed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\s+", re.IGNORECASE)


# functions a query on the PostgreSQL-catalog reader may not call: they reach PostgreSQL
# servers past the lock-down, or run SQL text that could
_REFUSED_PREFIXES = ("postgres_",)
_REFUSED_FUNCTIONS = frozenset({"pg_clear_cache", "read_postgres_binary", "query", "json_execute_serialized_sql"})


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str, *, remote_catalog: bool = False) -> None:
    """Only SELECT-type statements (and EXPLAIN of one) may run. The lake's folders must stay
    readable for the query, so DuckDB's allowed_directories alone would still let a COPY ... TO
    or an ATTACH of the writer's catalog write inside them. With `remote_catalog` (PostgreSQL)
    the query may not call the functions above either."""
    for statement in con.extract_statements(sql):
        kind = statement.type
        if kind == duckdb.StatementType.EXPLAIN:
            check_read_only(con, _EXPLAIN.sub("", statement.query, count=1), remote_catalog=remote_catalog)
        elif kind != duckdb.StatementType.SELECT:
            raise WarehouseError(f"only read queries are allowed (SELECT, WITH, EXPLAIN, ...), not {kind.name}")
        elif remote_catalog:
            _check_functions(con, statement.query)


def _check_functions(con: duckdb.DuckDBPyConnection, query: str) -> None:
    row = con.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    tree = json.loads(str(row[0])) if row else {"error": True}
    if tree.get("error"):
        raise WarehouseError(
            f"this query cannot be checked for functions that reach PostgreSQL: {tree.get('error_message', 'not a plain SELECT')}"
        )
    for name in _function_names(tree):
        lowered = name.lower()
        if lowered in _REFUSED_FUNCTIONS or lowered.startswith(_REFUSED_PREFIXES):
            raise WarehouseError(f"{name}() is not allowed in queries on a PostgreSQL catalog (read the lake's tables instead)")


def _function_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str):
            yield name
        for value in node.values():
            yield from _function_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _function_names(value)


def run_query(paths: LakePaths, sql: str) -> QueryResult:
    con = connect_readonly(paths)
    try:
        check_read_only(con, sql, remote_catalog=not paths.catalog_setting.is_local)
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(columns, cursor.fetchall())
    finally:
        con.close()
