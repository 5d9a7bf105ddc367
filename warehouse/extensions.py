"""Load DuckDB extensions offline from the PyPI extension wheels (no download, no home dir)."""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.schema import quote_literal


def extension_file(name: str, con: duckdb.DuckDBPyConnection) -> Path:
    module = importlib.import_module(f"duckdb_extension_{name}")
    version = con.sql("PRAGMA version").fetchone()
    if version is None:
        raise RuntimeError("DuckDB did not report its version")
    path = Path(str(resources.files(module))) / "extensions" / str(version[0]) / f"{name}.duckdb_extension"
    if not path.exists():
        raise RuntimeError(
            f"the {name} extension wheel has no build for DuckDB {version[0]}: "
            f"install duckdb-extension-{name} matching duckdb (see constraints.txt)"
        )
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"LOAD {quote_literal(str(extension_file(name, con)))}")


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never installs or auto-loads anything from the network."""
    return duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
