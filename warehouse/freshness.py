"""How each source is doing: its nights, its last article and fetch, and whether it needs
attention. Views in the catalog, so `news-etl status`, the nightly summary, the HTML report and BI
tools read the same numbers.

    source_nights     source x night: new articles stored, updated, duplicates; fetch runs,
                      listings that answered or failed, pages fetched or failed
    source_freshness  source: status (ok | silent | low | unseen) and why, articles, last article
                      (published, ingested), last fetch and last fetch that a listing answered,
                      nights seen, the last night's articles, the median before the recent nights,
                      the recent nights' articles (newest first)

A source's nights are the nights on which a fetch tried it or a load stored or repeated one of
its articles (a night begins at `night_starts_at` o'clock UTC); nights without either are not
counted (a night when nothing ran says nothing about a source). The rules (when 'silent', when
'low') are the one row of `freshness_rules`, written from the config's `freshness:` by the
nightly job (core.settings.FreshnessRules has the defaults). Sources are those registered
(`source_registry`, kept by the writer from sources/) plus any source id found in the lake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from core.settings import FreshnessRules
from transforms.registry import registry
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly
from warehouse.schema import TABLES, quote_ident

RULE_FIELDS = ("silent_nights", "low_ratio", "low_nights", "window_nights", "night_starts_at")
FLAGGED = ("silent", "low")
_D = FreshnessRules()
_RULES = f"""
    rules AS (
        SELECT * FROM (
            SELECT silent_nights, low_ratio, low_nights, window_nights, night_starts_at, 1 AS pick
            FROM freshness_rules
            UNION ALL
            SELECT {_D.silent_nights}, {_D.low_ratio}, {_D.low_nights}, {_D.window_nights}, {_D.night_starts_at}, 2
        ) ORDER BY pick LIMIT 1
    )"""


def _night(column: str) -> str:
    """The night a timestamp falls in (a night begins at rules.night_starts_at, UTC)."""
    return f"(DATE '1970-01-01' + CAST(floor((epoch({column}) - 3600 * r.night_starts_at) / 86400) AS INTEGER))"


FRESHNESS_VIEWS: dict[str, str] = {
    "source_nights": f"""
        WITH {_RULES},
        stored AS (
            SELECT i.source_id, {_night("i.seen_at")} AS night,
                   count(*) FILTER (WHERE i.relation = 'stored') AS articles,
                   count(*) FILTER (WHERE i.relation = 'version') AS updated,
                   count(*) FILTER (WHERE i.relation = 'duplicate') AS duplicates
            FROM article_inputs AS i, rules AS r
            GROUP BY ALL
        ),
        fetched AS (
            SELECT f.source_id, {_night("f.fetched_at")} AS night,
                   count(DISTINCT f.run_id) AS fetch_runs,
                   count(*) FILTER (WHERE f.kind IN ('feed', 'sitemap') AND f.outcome IN ('ok', 'not_modified')) AS listings_ok,
                   count(*) FILTER (WHERE f.kind IN ('feed', 'sitemap') AND f.outcome NOT IN ('ok', 'not_modified')) AS listings_failed,
                   count(*) FILTER (WHERE f.kind = 'page' AND f.outcome = 'ok') AS pages_fetched,
                   count(*) FILTER (WHERE f.kind = 'page' AND f.outcome IN ('failed', 'refused')) AS pages_failed
            FROM fetch_log AS f, rules AS r
            GROUP BY ALL
        )
        SELECT source_id, night,
               coalesce(s.articles, 0) AS articles,
               coalesce(s.updated, 0) AS updated,
               coalesce(s.duplicates, 0) AS duplicates,
               coalesce(f.fetch_runs, 0) AS fetch_runs,
               coalesce(f.listings_ok, 0) AS listings_ok,
               coalesce(f.listings_failed, 0) AS listings_failed,
               coalesce(f.pages_fetched, 0) AS pages_fetched,
               coalesce(f.pages_failed, 0) AS pages_failed
        FROM stored AS s FULL OUTER JOIN fetched AS f USING (source_id, night)
    """,
    "source_freshness": f"""
        WITH {_RULES},
        n AS (
            SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY night DESC) AS rn FROM source_nights
        ),
        agg AS (
            SELECT n.source_id,
                   count(*) AS nights,
                   max(n.night) AS last_night,
                   max(n.articles) FILTER (WHERE n.rn = 1) AS last_night_articles,
                   count(*) FILTER (WHERE n.rn <= r.silent_nights) AS silent_seen,
                   max(n.articles) FILTER (WHERE n.rn <= r.silent_nights) AS silent_max,
                   count(*) FILTER (WHERE n.rn <= r.low_nights) AS low_seen,
                   max(n.articles) FILTER (WHERE n.rn <= r.low_nights) AS low_max,
                   median(n.articles) FILTER (WHERE n.rn > r.low_nights AND n.rn <= r.low_nights + r.window_nights) AS median_articles,
                   count(*) FILTER (WHERE n.rn > r.low_nights AND n.rn <= r.low_nights + r.window_nights) AS baseline_nights,
                   list(n.articles ORDER BY n.night DESC)
                       FILTER (WHERE n.rn <= greatest(r.silent_nights, r.low_nights, 7)) AS recent_articles
            FROM n, rules AS r
            GROUP BY n.source_id
        ),
        arts AS (
            SELECT source_id, count(*) AS articles, max(published_at) AS last_published_at, max(ingested_at) AS last_ingested_at
            FROM articles GROUP BY 1
        ),
        fetches AS (
            SELECT source_id, max(fetched_at) AS last_fetch_at,
                   max(fetched_at) FILTER (WHERE kind IN ('feed', 'sitemap') AND outcome IN ('ok', 'not_modified')) AS last_fetch_ok_at
            FROM fetch_log GROUP BY 1
        ),
        ids AS (
            SELECT source_id FROM source_registry UNION SELECT source_id FROM arts
            UNION SELECT source_id FROM agg UNION SELECT source_id FROM fetches
        ),
        judged AS (
            SELECT ids.source_id, reg.name, reg.source_id IS NOT NULL AS registered, r.*,
                   agg.* EXCLUDE (source_id), agg.source_id IS NOT NULL AS seen,
                   arts.* EXCLUDE (source_id), fetches.* EXCLUDE (source_id),
                   CASE WHEN agg.source_id IS NULL THEN 'unseen'
                        WHEN agg.silent_seen >= r.silent_nights AND agg.silent_max = 0 THEN 'silent'
                        WHEN agg.low_seen >= r.low_nights AND agg.baseline_nights >= r.low_nights
                             AND agg.median_articles > 0 AND agg.low_max < r.low_ratio * agg.median_articles THEN 'low'
                        ELSE 'ok' END AS status
            FROM ids
            CROSS JOIN rules AS r
            LEFT JOIN source_registry AS reg ON reg.source_id = ids.source_id
            LEFT JOIN agg ON agg.source_id = ids.source_id
            LEFT JOIN arts ON arts.source_id = ids.source_id
            LEFT JOIN fetches ON fetches.source_id = ids.source_id
        )
        SELECT source_id, name, registered, status,
               CASE status
                   WHEN 'silent' THEN 'no new article in its last ' || silent_nights || ' night(s)'
                   WHEN 'low' THEN 'fewer new articles than ' || CAST(round(low_ratio * 100) AS INTEGER)
                        || '% of its median (' || median_articles || ') in each of its last ' || low_nights || ' night(s)'
                   WHEN 'unseen' THEN 'registered; never fetched or loaded'
               END AS reason,
               coalesce(articles, 0) AS articles, last_published_at, last_ingested_at, last_fetch_ok_at, last_fetch_at,
               coalesce(nights, 0) AS nights, last_night, last_night_articles, median_articles, recent_articles
        FROM judged
    """,
}


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    for name, sql in FRESHNESS_VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {quote_ident(name)} AS {sql}")


def default_rules_row(rules: FreshnessRules | None = None) -> dict[str, Any]:
    r = rules or FreshnessRules()
    return {**{k: getattr(r, k) for k in RULE_FIELDS}, "updated_at": datetime.now(UTC)}


def _replace(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Replace a small table's rows (inside the caller's transaction)."""
    con.execute(f"DELETE FROM {quote_ident(table)}")
    if not rows:
        return
    view = f"new_{table}"
    con.register(view, pa.Table.from_pylist(rows, schema=TABLES[table]))
    try:
        con.execute(f"INSERT INTO {quote_ident(table)} SELECT * FROM {quote_ident(view)}")
    finally:
        con.unregister(view)


def rules_in(con: duckdb.DuckDBPyConnection) -> FreshnessRules | None:
    row = con.execute(f"SELECT {', '.join(RULE_FIELDS)} FROM freshness_rules ORDER BY updated_at DESC LIMIT 1").fetchone()
    return FreshnessRules(**dict(zip(RULE_FIELDS, row, strict=True))) if row else None


def set_rules(con: duckdb.DuckDBPyConnection, rules: FreshnessRules) -> bool:
    """Write the rules when they differ from the lake's (one snapshot); returns whether they did."""
    if rules_in(con) == rules:
        return False
    con.execute("BEGIN")
    try:
        _replace(con, "freshness_rules", [default_rules_row(rules)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def registry_rows() -> list[dict[str, Any]]:
    return [
        {"source_id": s.id, "name": s.name, "homepage": s.homepage, "feeds": len(s.feeds), "sitemaps": len(s.sitemaps)}
        for s in sorted(registry().sources.values(), key=lambda s: s.id)
    ]


def sync_registry(con: duckdb.DuckDBPyConnection) -> bool:
    """Keep `source_registry` equal to sources/ (one snapshot when it changed); returns whether it did."""
    want = registry_rows()
    cols = list(TABLES["source_registry"].names)
    have = [dict(zip(cols, r, strict=True)) for r in con.execute(
        f"SELECT {', '.join(quote_ident(c) for c in cols)} FROM source_registry ORDER BY source_id"
    ).fetchall()]
    if have == want:
        return False
    con.execute("BEGIN")
    try:
        _replace(con, "source_registry", want)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class Status:
    """What `news-etl status` shows."""

    runs: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    rules: dict[str, Any]

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [s for s in self.sources if s["status"] in FLAGGED]


SOURCE_COLUMNS = (
    "source_id", "status", "reason", "articles", "last_published_at", "last_ingested_at", "last_fetch_ok_at",
    "last_fetch_at", "nights", "last_night", "last_night_articles", "median_articles", "recent_articles", "registered", "name",
)
RUN_COLUMNS = (
    "run_id", "flow", "status", "started_at", "finished_at", "inputs", "articles_new", "articles_updated",
    "duplicates", "rejects", "message",
)
_ORDER = "CASE status WHEN 'silent' THEN 0 WHEN 'low' THEN 1 WHEN 'ok' THEN 2 ELSE 3 END, source_id"


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def source_freshness(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every source (flagged first), from the view."""
    return _dicts(con, f"SELECT {', '.join(SOURCE_COLUMNS)} FROM source_freshness ORDER BY {_ORDER}")


def read_status(paths: LakePaths, *, runs: int = 10, days: int = 7) -> Status:
    """The last `runs` runs, every source's freshness, rejects by reason over the last `days` days."""
    con = connect_readonly(paths)
    try:
        last_runs = _dicts(con, f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC LIMIT ?", [runs])
        rejects = _dicts(
            con,
            "SELECT reason, count(*) AS rejects, max(rejected_at) AS last_at FROM rejects "
            "WHERE rejected_at >= now() - to_days(CAST(? AS INTEGER)) GROUP BY 1 ORDER BY 2 DESC, 1",
            [days],
        )
        rules = rules_in(con) or FreshnessRules()
        return Status(last_runs, source_freshness(con), rejects, rules.as_dict())
    finally:
        con.close()


def flagged_sources(paths: LakePaths) -> list[dict[str, Any]]:
    """The sources that need attention now (status silent or low), with why."""
    con = connect_readonly(paths)
    try:
        return [s for s in source_freshness(con) if s["status"] in FLAGGED]
    finally:
        con.close()


def rules_differ(paths: LakePaths, rules: FreshnessRules) -> bool:
    con = connect_readonly(paths)
    try:
        return rules_in(con) != rules
    finally:
        con.close()


def as_plain(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with dates and lists as strings, for JSON artifacts and events."""
    out = []
    for row in rows:
        plain: dict[str, Any] = {}
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                plain[key] = value.isoformat()
            elif isinstance(value, list):
                plain[key] = ", ".join(str(v) for v in value)
            else:
                plain[key] = value
        out.append(plain)
    return out
