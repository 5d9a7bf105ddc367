"""Lake maintenance: schema migrations, compaction, snapshot expiry and file clean-up.

Run by the single writer (`news-etl maintain`, flows/maintenance_flow.py), in this order:

1. migrations: already applied when the writer opened the lake (warehouse/migrations.py);
2. publish, so the readers' copy is the current catalog (it may lag after a killed run);
3. compaction: `ducklake_merge_adjacent_files` merges the many small files of nightly batches;
4. expiry: `ducklake_expire_snapshots` drops snapshots older than `expire_older_than` (time
   travel reaches back that far; `article_versions` keeps every version regardless);
5. publish again: from now on the readers' copy no longer references what expiry released;
6. clean-up: `ducklake_cleanup_old_files` deletes files scheduled for deletion more than `grace`
   ago, and `ducklake_delete_orphaned_files` deletes files no snapshot knows (left by a run killed
   mid-commit) older than `grace`. Before deleting, every candidate is checked against the files
   the published catalog references; if any is still referenced nothing is deleted.
   `grace` protects readers that opened the previous published copy and are still scanning.

With the catalog in PostgreSQL there is no published copy: the publish steps do nothing, readers
see every commit at once, and the check in 6. is made against the files the catalog itself
references; `grace` protects readers still scanning an older snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb

from warehouse.attach import LAKE, META, WarehouseError
from warehouse.paths import LakePaths
from warehouse.schema import quote_ident, quote_literal
from warehouse.writer import LakeWriter

DEFAULT_EXPIRE_OLDER_THAN = timedelta(days=30)
DEFAULT_GRACE = timedelta(days=1)


@dataclass(slots=True)
class MaintenanceReport:
    files_merged: int = 0
    files_created: int = 0
    snapshots_expired: int = 0
    files_deleted: int = 0
    orphans_deleted: int = 0
    files_kept_for_readers: list[str] = field(default_factory=list)
    schema_version: int = 0
    indexed_articles: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "files_merged": self.files_merged,
            "files_created": self.files_created,
            "snapshots_expired": self.snapshots_expired,
            "files_deleted": self.files_deleted,
            "orphans_deleted": self.orphans_deleted,
            "schema_version": self.schema_version,
            "indexed_articles": self.indexed_articles,
        }


def _interval(delta: timedelta) -> str:
    return f"now() - INTERVAL {quote_literal(f'{int(delta.total_seconds())} seconds')}"


def published_files(paths: LakePaths) -> set[str]:
    """Absolute paths of every data and delete file the published catalog references (any
    snapshot it still has, so time travel on the published copy keeps working)."""
    if not paths.published_catalog.exists():
        return set()
    con = duckdb.connect(str(paths.published_catalog), read_only=True)
    try:
        return _referenced_files(con, paths, prefix="")
    finally:
        con.close()


def referenced_files(writer: LakeWriter) -> set[str]:
    """The files the readers' catalog references: the published copy, or with a PostgreSQL
    catalog the catalog itself (read through the writer's connection)."""
    if writer.paths.catalog_setting.is_local:
        return published_files(writer.paths)
    return _referenced_files(writer.con, writer.paths, prefix=f"{quote_ident(META)}.")


def _referenced_files(con: duckdb.DuckDBPyConnection, paths: LakePaths, *, prefix: str) -> set[str]:
    row = con.execute(f"SELECT value FROM {prefix}ducklake_metadata WHERE key = 'data_path'").fetchone()
    data_path = str(row[0]) if row else paths.files_location
    rows = con.execute(
        f"""
        SELECT f.path, f.path_is_relative, t.path, t.path_is_relative, s.path, s.path_is_relative
        FROM (SELECT table_id, path, path_is_relative FROM {prefix}ducklake_data_file
              UNION ALL SELECT table_id, path, path_is_relative FROM {prefix}ducklake_delete_file) AS f
        JOIN (SELECT DISTINCT table_id, schema_id, path, path_is_relative FROM {prefix}ducklake_table) AS t
          ON t.table_id = f.table_id
        JOIN (SELECT DISTINCT schema_id, path, path_is_relative FROM {prefix}ducklake_schema) AS s
          ON s.schema_id = t.schema_id
        """
    ).fetchall()
    out = set()
    for fpath, frel, tpath, trel, spath, srel in rows:
        if not frel:
            out.add(_normal(fpath))
            continue
        base = tpath if not trel else (spath if not srel else data_path + spath) + tpath
        out.add(_normal(base + fpath))
    return out


def _normal(location: str) -> str:
    """One spelling per file: a local path normalised, an object storage URL as it is."""
    return location if "://" in location else str(Path(location))


def run_maintenance(
    writer: LakeWriter,
    *,
    expire_older_than: timedelta = DEFAULT_EXPIRE_OLDER_THAN,
    grace: timedelta = DEFAULT_GRACE,
) -> MaintenanceReport:
    """Compact, expire and clean the lake (the caller holds the writer lock)."""
    con = writer.con
    report = MaintenanceReport()
    lake = quote_literal(LAKE)
    writer.publish()
    for _schema, _table, processed, created in con.execute(f"CALL ducklake_merge_adjacent_files({lake})").fetchall():
        report.files_merged += int(processed)
        report.files_created += int(created)
    expired = con.execute(
        f"CALL ducklake_expire_snapshots({lake}, older_than => {_interval(expire_older_than)})"
    ).fetchall()
    report.snapshots_expired = len(expired)
    writer.publish()

    referenced = referenced_files(writer)
    scheduled = {
        _normal(str(r[0]))
        for r in con.execute(
            f"CALL ducklake_cleanup_old_files({lake}, dry_run => true, older_than => {_interval(grace)})"
        ).fetchall()
    }
    orphans = {
        _normal(str(r[0]))
        for r in con.execute(
            f"CALL ducklake_delete_orphaned_files({lake}, dry_run => true, older_than => {_interval(grace)})"
        ).fetchall()
    }
    still_read = sorted((scheduled | orphans) & referenced)
    if still_read:
        report.files_kept_for_readers = still_read
        raise WarehouseError(
            f"maintenance stopped before deleting {len(still_read)} file(s) the readers' catalog still "
            f"references (first: {still_read[0]}); nothing was deleted"
        )
    if scheduled:
        report.files_deleted = len(
            con.execute(f"CALL ducklake_cleanup_old_files({lake}, older_than => {_interval(grace)})").fetchall()
        )
    if orphans:
        report.orphans_deleted = len(
            con.execute(f"CALL ducklake_delete_orphaned_files({lake}, older_than => {_interval(grace)})").fetchall()
        )
    row = con.execute("SELECT max(schema_version) FROM schema_info").fetchone()
    report.schema_version = int(row[0]) if row and row[0] is not None else 0
    report.indexed_articles = writer.refresh_search(full=True).indexed  # compacts the index too
    writer.publish()
    return report
