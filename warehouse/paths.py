"""Every path inside the data directory, in one place (and where the catalog lives)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.catalog import Catalog, catalog_from_env
from warehouse.objectstore import files_url

DEFAULT_DATA_DIR = "data"
ENV_DATA_DIR = "NEWS_ETL_DATA_DIR"


def resolve_data_dir(value: str | os.PathLike[str] | None = None) -> Path:
    raw = value or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True, slots=True)
class LakePaths:
    data_dir: Path
    # NEWS_ETL_CATALOG (warehouse/catalog.py): the local DuckDB file below, or PostgreSQL
    catalog_setting: Catalog = field(default_factory=catalog_from_env)

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def catalog(self) -> Path:
        """The writer's DuckLake catalog (a DuckDB file): only the one writer opens it. Unused
        when the catalog is in PostgreSQL (`catalog_setting`)."""
        return self.lake_dir / "catalog.ducklake"

    @property
    def published_catalog(self) -> Path:
        """A read-only copy of the catalog, swapped atomically after every commit; readers use it.
        Unused when the catalog is in PostgreSQL: readers attach that one directly."""
        return self.lake_dir / "published.ducklake"

    @property
    def files(self) -> Path:
        """Parquet data files, hive-partitioned: files/main/<table>/source_id=../pub_year=../..."""
        return self.lake_dir / "files"

    @property
    def is_remote(self) -> bool:
        """The data files and the search index are in object storage (NEWS_ETL_DATA_PATH)."""
        return self.catalog_setting.is_remote

    @property
    def files_location(self) -> str:
        """Where the data files are, as DuckLake's DATA_PATH (ends with a separator): `files`
        on this machine, or <root>files/ in object storage."""
        if self.catalog_setting.is_remote:
            return files_url(self.catalog_setting.data_path)
        return str(self.files) + os.sep

    @property
    def search_cache(self) -> Path:
        """Where a reader keeps its downloaded copy of a search index in object storage."""
        return self.data_dir / "cache"

    @property
    def writer_lock(self) -> Path:
        return self.lake_dir / "writer.lock"

    @property
    def raw_dir(self) -> Path:
        """Raw HTTP responses archived as WARC, one file per run."""
        return self.data_dir / "raw"

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / ".prefect"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    def table_files(self, table: str) -> Path:
        return self.files / "main" / table
