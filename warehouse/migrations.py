"""Schema migrations, applied by the writer itself when it opens the lake.

`schema_info` holds one row per applied version. A fresh lake is created at the base version
(warehouse.schema.SCHEMA_VERSION, all tables of warehouse.schema.TABLES) and then migrated like
an old one, so every migration runs on every lake. Each migration is one DuckLake snapshot: a
run killed during a migration leaves the lake at the previous version and the next run retries.

    2  near-duplicate signatures (article_minhash, article_lsh) back-filled for stored articles;
       the BI marts (warehouse/marts.py)
    3  figure_governorates view: one governorate rule for the marts, the report and the docs
    4  articles.source_from (and article_versions): how the article's source_id was resolved
    5  facts as the article writes them: mentions.canonical_ar, surface_search, sentence_search,
       part; figures.sentence_search, figure_no, of_figure (breakdown of a total), scope (event |
       cumulative | stock), part (body | title); the figure mart counts the body's events, not
       breakdowns. Rows stored before keep the search form in surface/sentence and offsets into
       body_search, with the new columns NULL (a re-extraction of those articles rewrites them)
    6  events: tables events, event_counts, event_reports, event_merges, event_articles and
       data_tests (created by the writer like every table of warehouse.schema); the event marts;
       mart_figures_monthly's count_high is NULL for a group with an open-ended count. The events
       of the stored articles are resolved by the next run (warehouse/events.py)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from transforms import neardup
from warehouse.marts import MART_VIEWS
from warehouse.schema import SCHEMA_VERSION, TABLES, column_ddl, quote_ident


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT max(schema_version) FROM schema_info").fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def create_marts(con: duckdb.DuckDBPyConnection) -> None:
    for name, sql in MART_VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {sql}")


def backfill_signatures(con: duckdb.DuckDBPyConnection, run_id: str = "migration-2") -> int:
    """Signatures and LSH buckets for stored articles that have none (lakes from before v2).
    Existing cluster_ids are kept."""
    rows = con.execute(
        "SELECT article_id, coalesce(cluster_id, article_id), body_search FROM articles "
        "WHERE article_id NOT IN (SELECT article_id FROM article_minhash) ORDER BY article_id"
    ).fetchall()
    if not rows:
        return 0
    sigs = [(str(r[0]), str(r[1]), neardup.signature(str(r[2]))) for r in rows]
    minhash = pa.Table.from_pylist(
        [{"article_id": a, "cluster_id": c, "signature": neardup.encode(s), "run_id": run_id} for a, c, s in sigs],
        schema=TABLES["article_minhash"],
    )
    lsh = pa.Table.from_pylist(
        [
            {"article_id": a, "band": band, "bucket": bucket, "run_id": run_id}
            for a, _, s in sigs
            for band, bucket in neardup.band_buckets(s)
        ],
        schema=TABLES["article_lsh"],
    )
    for name, table in (("article_minhash", minhash), ("article_lsh", lsh)):
        view = f"backfill_{name}"
        con.register(view, table)
        try:
            con.execute(f"INSERT INTO {quote_ident(name)} SELECT * FROM {quote_ident(view)}")
        finally:
            con.unregister(view)
    return len(sigs)


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    backfill_signatures(con)
    create_marts(con)


def add_missing_columns(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    """Columns of warehouse.schema.TABLES that an older lake lacks, added (NULL for stored rows)."""
    added = []
    for name in tables:
        have = {str(r[0]) for r in con.execute(f"DESCRIBE {quote_ident(name)}").fetchall()}
        for f in TABLES[name]:
            if f.name in have:
                continue
            ddl = column_ddl(pa.schema([f.with_nullable(True)]))
            con.execute(f"ALTER TABLE {quote_ident(name)} ADD COLUMN {ddl}")
            added.append(f"{name}.{f.name}")
    return added


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("articles", "article_versions"):  # a lake created at v4 already has the column
        con.execute(f"ALTER TABLE {quote_ident(table)} ADD COLUMN IF NOT EXISTS source_from VARCHAR")


def _v5(con: duckdb.DuckDBPyConnection) -> None:
    add_missing_columns(con, ("mentions", "figures"))
    create_marts(con)


MIGRATIONS: list[Migration] = [
    Migration(2, "near-duplicate signatures back-filled; BI marts", _v2),
    Migration(3, "figure_governorates view; mart_figures_monthly uses it", create_marts),
    Migration(4, "articles.source_from: how the source id was resolved", _v4),
    Migration(5, "facts in the article's own text; figure breakdowns, scope and part", _v5),
    Migration(6, "events and their marts; mart_figures_monthly high end of open counts", create_marts),
]

LATEST_VERSION = max([SCHEMA_VERSION, *(m.version for m in MIGRATIONS)])


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    applied = []
    version = current_version(con)
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        if migration.version <= version:
            continue
        con.execute("BEGIN")
        try:
            migration.apply(con)
            con.execute("INSERT INTO schema_info VALUES (?, ?)", [migration.version, datetime.now(UTC)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
        version = migration.version
    return applied
