"""Attaching the lake, and what a failure to attach means in one line.

The catalog is a local DuckDB file (the writer's `lake/catalog.ducklake`, the readers' published
copy) or, with NEWS_ETL_CATALOG=postgres:<dsn> (warehouse/catalog.py), a PostgreSQL database that
the writer and the readers attach directly. A failure is a WarehouseError that never shows a
password of the connection string.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from warehouse import objectstore
from warehouse.catalog import POSTGRES_PREFIX, redact
from warehouse.extensions import connect_memory, load_extension
from warehouse.paths import LakePaths
from warehouse.schema import quote_literal

LAKE = "lake"
META = f"__ducklake_metadata_{LAKE}"


class WarehouseError(RuntimeError):
    """A problem a user can act on (message is one clear sentence)."""


def attach_sql(catalog: Path | str, files: Path | str, *, read_only: bool, override_data_path: bool = False) -> str:
    """ATTACH of the lake; `catalog` is a DuckDB catalog file or 'postgres:<dsn>', `files` a
    folder (Path) or a location ending in a separator (str, e.g. s3://bucket/prefix/files/).
    `override_data_path`: use `files` even if the catalog records another data path (a local
    lake whose data directory was moved: every file path inside the catalog is relative)."""
    location = files if isinstance(files, str) else str(files) + os.sep
    options = [f"DATA_PATH {quote_literal(location)}"]
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
    if paths.is_remote:
        use_object_storage(con, paths)
    try:
        con.execute(attach_sql(
            catalog_location(paths, read_only=read_only), paths.files_location, read_only=read_only,
            # a local lake is one folder (catalog + files): it still opens after the folder moved;
            # with PostgreSQL every machine must use the same data path (_attach_failure says so)
            override_data_path=paths.catalog_setting.is_local,
        ))
    except duckdb.Error as err:  # PostgreSQL: not chained, DuckDB's message repeats the connection string
        raise WarehouseError(_attach_failure(paths, err, read_only=read_only)) from (
            err if paths.catalog_setting.is_local else None
        )
    con.execute(f"USE {LAKE}")


def use_object_storage(con: duckdb.DuckDBPyConnection, paths: LakePaths) -> None:
    """httpfs (from its wheel) and a temporary secret made of the environment's credentials, for
    a lake whose files are in object storage (warehouse/objectstore.py)."""
    try:
        load_extension(con, "httpfs")
    except (ImportError, RuntimeError) as err:
        raise WarehouseError(
            "the lake on object storage needs the duckdb-extension-httpfs wheel matching duckdb "
            f"(pip install -e '.[s3]'): {str(err).splitlines()[0]}"
        ) from err
    try:
        objectstore.create_secret(con, paths.catalog_setting.data_path)
    except objectstore.ObjectStoreError as err:
        raise WarehouseError(str(err)) from None


def check_catalog(paths: LakePaths) -> None:
    """Fail fast, before a flow starts, when the PostgreSQL catalog (or the object storage the
    data files are in) cannot be reached (a plain READ_ONLY connection: nothing is created).
    Nothing to check for the local catalog."""
    setting = paths.catalog_setting
    if setting.is_local:
        return
    if setting.is_remote:
        try:
            objectstore.check(setting.data_path)
        except objectstore.ObjectStoreError as err:
            raise WarehouseError(str(err)) from None
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
            f"{setting.describe()} keeps this lake's data files in {stored.group(1)}, not in {paths.files_location}: "
            + ("set NEWS_ETL_DATA_PATH to the same root on every machine" if paths.is_remote else
               "use the same data directory (--data-dir / NEWS_ETL_DATA_DIR) on every machine")
        )
    marker = 'Unable to connect to Postgres at "'
    if marker in text:  # the extension repeats the whole connection string: keep libpq's reason
        rest = text[text.index(marker) + len(marker):]
        text = rest.split('": ', 1)[1] if '": ' in rest else rest
    elif "ERROR:" in text:
        text = "PostgreSQL says: " + text.rsplit("ERROR:", 1)[1].strip()
    reason = " ".join(text.split())  # one line (libpq's hints come on a second line)
    return f"cannot open {setting.describe()}: {redact(reason)}"
