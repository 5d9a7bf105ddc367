"""Read-only access to the published lake for `news-etl sql` and other readers.

The connection attaches the published catalog READ_ONLY, then locks itself down: file access is
limited to the lake's folders, external access is off and the configuration is frozen, so a
query cannot COPY ... TO a file, ATTACH another database or install anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.extensions import connect_memory, load_extension
from warehouse.lake import LAKE, WarehouseError, attach_sql
from warehouse.paths import LakePaths
from warehouse.schema import quote_literal


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def connect_readonly(paths: LakePaths, *, extensions: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    if not paths.published_catalog.exists():
        raise WarehouseError(
            f"no warehouse at {paths.data_dir}: run `news-etl run` or `news-etl load PATH` first "
            "(or pass --data-dir / set NEWS_ETL_DATA_DIR)"
        )
    con = connect_memory()
    load_extension(con, "ducklake")
    for name in extensions:
        load_extension(con, name)
    try:
        con.execute(attach_sql(paths.published_catalog, paths.files, read_only=True))
    except duckdb.Error as err:
        con.close()
        raise WarehouseError(f"cannot open the published warehouse {paths.published_catalog}: {err}") from err
    con.execute(f"USE {LAKE}")
    allowed = ", ".join(quote_literal(str(p) + "/") for p in (paths.files, paths.lake_dir))
    con.execute(f"SET allowed_directories = [{allowed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


_EXPLAIN = re.compile(r"^\s*explain(\s+analyze)?\s+", re.IGNORECASE)


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Only SELECT-type statements (and EXPLAIN of one) may run. The lake's folders must stay
    readable for the query, so DuckDB's allowed_directories alone would still let a COPY ... TO
    or an ATTACH of the writer's catalog write inside them."""
    for statement in con.extract_statements(sql):
        kind = statement.type
        if kind == duckdb.StatementType.EXPLAIN:
            check_read_only(con, _EXPLAIN.sub("", statement.query, count=1))
        elif kind != duckdb.StatementType.SELECT:
            raise WarehouseError(f"only read queries are allowed (SELECT, WITH, EXPLAIN, ...), not {kind.name}")


def run_query(paths: LakePaths, sql: str) -> QueryResult:
    con = connect_readonly(paths)
    try:
        check_read_only(con, sql)
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(columns, cursor.fetchall())
    finally:
        con.close()
