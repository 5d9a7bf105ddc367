"""Publishing for readers: after every commit the local catalog is checkpointed and copied
atomically to `lake/published.ducklake`, the file `news-etl sql` and BI tools attach."""

from __future__ import annotations

import os
import shutil
import time

import duckdb

from warehouse.attach import META
from warehouse.paths import LakePaths
from warehouse.schema import quote_ident


def publish(con: duckdb.DuckDBPyConnection, paths: LakePaths) -> None:
    """Checkpoint the catalog and atomically replace the readers' copy with it.

    Data files are immutable in DuckLake, so the copy stays valid as long as maintenance
    only deletes files older than the published snapshot. Nothing to do with a PostgreSQL
    catalog: readers attach it directly and see every commit."""
    if not paths.catalog_setting.is_local:
        return
    con.execute(f"CHECKPOINT {quote_ident(META)}")
    target = paths.published_catalog
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    shutil.copyfile(paths.catalog, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def remove_stale_temporaries(paths: LakePaths) -> None:
    """Half-written copies left by a process killed while publishing (only the writer calls
    this, under the writer lock, so no live publish can be in progress)."""
    for tmp in paths.lake_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
