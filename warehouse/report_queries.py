"""Read-only queries behind the run artifacts and the HTML report (`news-etl report`).

Every SQL string of the report lives here; callers get plain Python rows. The connection is the
locked-down reader of warehouse/reader.py (published catalog or the PostgreSQL catalog, READ_ONLY).

The report counts people through events (warehouse/events.py): each incident once, however many
articles report it, with its best estimate (docs/events.md); `detained` and `arrested` stay apart.
Stocks (people held, totals since a date) are figures, never events: the report says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from warehouse.freshness import source_freshness
from warehouse.paths import LakePaths
from warehouse.reader import connect_readonly

# date of publication in UTC, whatever the session time zone
_DAY = "CAST(timezone('UTC', published_at) AS DATE)"


@dataclass
class RunStats:
    run_id: str
    flow: str | None = None
    status: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    per_source: list[dict[str, Any]] = field(default_factory=list)  # source_id, articles_new, articles_updated, duplicate_refs
    rejects_by_reason: list[dict[str, Any]] = field(default_factory=list)  # reason, rejects
    seconds: float | None = None


@dataclass
class EventRow:
    event_id: str
    kind: str
    event_date: str | None
    date_precision: str
    place: str | None
    place_ar: str | None
    admin1: str | None
    perpetrator: str | None
    target: str | None
    counts: dict[str, tuple[int | None, int | None, int | None]]  # kind -> (low, high, best)
    reports: int
    outlets: int
    links: list[tuple[str, str, str | None]]  # (source_id, url, title) of its reports


@dataclass
class EventData:
    by_governorate: list[tuple[str, str, int, int]]  # governorate, kind of count, events, best (sum)
    events_by_governorate: dict[str, int]  # governorate -> events
    points: list[tuple[float, float, int, str]]  # lat, lon, killed (best, 0 if none), place
    per_day: list[tuple[str, str, int]]  # day (ISO), event kind, events
    largest: list[EventRow]
    totals: dict[str, int]  # events, reports, undated, unplaced, stocks, cumulative, merges


@dataclass
class ReportData:
    totals: dict[str, int]
    per_source_day: list[tuple[str, str, int]]  # source_id, day (ISO), articles
    top_actors: list[tuple[str, str, int]]  # kind (person|org), canonical, articles
    top_places: list[tuple[str, str | None, int]]  # canonical, admin1, articles
    figures_by_governorate: list[tuple[str, str, int, int]]  # governorate, kind (killed|arrested), total, articles
    runs: list[dict[str, Any]]
    first_day: str | None
    last_day: str | None
    undated_articles: int = 0
    events: EventData | None = None
    data_tests: list[tuple[str, str, int, str]] = field(default_factory=list)  # name, status, rows, message (last run)
    sources: list[dict[str, Any]] = field(default_factory=list)  # the view source_freshness, flagged first


RUN_COUNT_COLUMNS = (
    "inputs", "articles_new", "articles_updated", "duplicates", "rejects",
    "removed_lines", "mentions", "figures", "embeds", "batches",
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def run_stats(paths: LakePaths, run_id: str) -> RunStats:
    """Counts of one run: totals from `runs`, per source from the stored versions and inputs,
    rejects by reason (read from the published lake)."""
    con = connect_readonly(paths)
    try:
        return query_run_stats(con, run_id)
    finally:
        con.close()


def query_run_stats(con: duckdb.DuckDBPyConnection, run_id: str) -> RunStats:
    """`run_stats` on an open connection to the lake (the writer's, at the end of its run)."""
    stats = RunStats(run_id=run_id)
    cols = ", ".join(RUN_COUNT_COLUMNS)
    row = con.execute(
        f"SELECT flow, status, {cols}, epoch(finished_at) - epoch(started_at) FROM runs WHERE run_id = ?", [run_id]
    ).fetchone()
    if row is not None:
        stats.flow, stats.status = row[0], row[1]
        stats.counts = {c: int(v or 0) for c, v in zip(RUN_COUNT_COLUMNS, row[2:-1], strict=True)}
        stats.seconds = float(row[-1]) if row[-1] is not None else None
    per_source = _rows(
        con,
        "WITH v AS (SELECT source_id, count(*) FILTER (WHERE version = 1) AS new, "
        "count(*) FILTER (WHERE version > 1) AS updated FROM article_versions WHERE run_id = ? GROUP BY 1), "
        "d AS (SELECT source_id, count(*) AS dups FROM article_inputs WHERE run_id = ? AND relation = 'duplicate' GROUP BY 1) "
        "SELECT coalesce(v.source_id, d.source_id) AS s, coalesce(v.new, 0), coalesce(v.updated, 0), coalesce(d.dups, 0) "
        "FROM v FULL OUTER JOIN d ON v.source_id = d.source_id ORDER BY 1",
        [run_id, run_id],
    )
    stats.per_source = [
        {"source_id": s, "articles_new": int(n), "articles_updated": int(u), "duplicate_refs": int(d)}
        for s, n, u, d in per_source
    ]
    stats.rejects_by_reason = [
        {"reason": r, "rejects": int(n)}
        for r, n in _rows(con, "SELECT reason, count(*) FROM rejects WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC, 1", [run_id])
    ]
    return stats


def report_data(paths: LakePaths, *, days: int | None = None, top: int = 15) -> ReportData:
    """Everything the HTML report draws. `days` limits the per-day chart to the last N days
    that have articles (None: all)."""
    con = connect_readonly(paths)
    try:
        totals_row = con.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT source_id) FROM articles), "
            "(SELECT count(*) FROM mentions), (SELECT count(*) FROM figures), (SELECT count(*) FROM rejects), "
            "(SELECT count(*) FROM runs)"
        ).fetchone()
        assert totals_row is not None
        totals = dict(zip(("articles", "sources", "mentions", "figures", "rejects", "runs"), (int(v) for v in totals_row), strict=True))
        bounds = con.execute(f"SELECT min({_DAY}), max({_DAY}) FROM articles WHERE published_at IS NOT NULL").fetchone()
        last = bounds[1] if bounds else None
        where = "published_at IS NOT NULL"
        params: list[Any] = []
        if days is not None and last is not None:
            where += f" AND {_DAY} > ?::DATE - ?::INTEGER"
            params = [last, days]
        per_day = [
            (str(s), d.isoformat(), int(n))
            for s, d, n in _rows(
                con, f"SELECT source_id, {_DAY} AS day, count(*) FROM articles WHERE {where} GROUP BY 1, 2 ORDER BY 2, 1", params
            )
        ]
        first_day = per_day[0][1] if per_day else None
        actors = [
            (str(k), str(c), int(n))
            for k, c, n in _rows(
                con,
                "SELECT kind, canonical, count(DISTINCT article_id) AS n FROM mentions WHERE kind IN ('person', 'org') "
                "GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT ?",
                [top],
            )
        ]
        places = [
            (str(c), a, int(n))
            for c, a, n in _rows(
                con,
                "SELECT canonical, any_value(admin1) AS admin1, count(DISTINCT article_id) AS n FROM mentions "
                "WHERE kind = 'place' GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT ?",
                [top],
            )
        ]
        figures = [
            (str(g), str(k), int(t), int(n))
            for g, k, t, n in _rows(
                con,
                """
                SELECT governorate,
                       CASE WHEN kind = 'detained' THEN 'arrested' ELSE kind END AS kind,
                       sum(count_low), count(DISTINCT article_id)
                FROM figure_governorates
                WHERE kind IN ('killed', 'arrested', 'detained') AND count_low IS NOT NULL
                GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
                """,
            )
        ]
        runs = [
            {"run_id": r, "flow": f, "status": s, "started_at": t.isoformat() if t else None, "inputs": int(i or 0),
             "articles_new": int(a or 0), "rejects": int(x or 0)}
            for r, f, s, t, i, a, x in _rows(
                con,
                "SELECT run_id, flow, status, started_at, inputs, articles_new, rejects FROM runs ORDER BY started_at DESC LIMIT 10",
            )
        ]
        try:
            sources = [s for s in source_freshness(con) if s["status"] != "unseen"]
        except duckdb.CatalogException:  # a lake last written before the freshness views
            sources = []
        undated_row = con.execute("SELECT count(*) FROM articles WHERE published_at IS NULL").fetchone()
        tests = [
            (str(n), str(st), int(k), str(m))
            for n, st, k, m in _rows(
                con,
                "SELECT name, status, failing_rows, message FROM data_tests "
                "WHERE run_id = (SELECT run_id FROM data_tests ORDER BY checked_at DESC LIMIT 1) ORDER BY status, name",
            )
        ]
        return ReportData(
            totals, per_day, actors, places, figures, runs, first_day, last.isoformat() if last else None,
            undated_articles=int(undated_row[0]) if undated_row else 0, events=event_data(con, top), data_tests=tests, sources=sources,
        )
    finally:
        con.close()


def event_data(con: duckdb.DuckDBPyConnection, top: int = 15) -> EventData:
    """What the report draws of the events: counts per governorate and kind of count, events per
    day, the events on the map, the largest events with links to their reports."""
    by_gov = [
        (str(g), str(k), int(n), int(b or 0))
        for g, k, n, b in _rows(
            con,
            "SELECT admin1, kind, sum(events), sum(best) FROM mart_event_counts_monthly GROUP BY 1, 2 ORDER BY 1, 2",
        )
    ]
    per_gov = {str(g): int(n) for g, n in _rows(con, "SELECT coalesce(admin1, 'unknown'), count(*) FROM events GROUP BY 1")}
    points = [
        (float(lat), float(lon), int(k or 0), str(p))
        for lat, lon, k, p in _rows(
            con,
            "SELECT e.lat, e.lon, c.best, e.place FROM events AS e "
            "LEFT JOIN event_counts AS c ON c.event_id = e.event_id AND c.kind = 'killed' "
            "WHERE e.lat IS NOT NULL AND e.lon IS NOT NULL ORDER BY c.best DESC NULLS LAST, e.event_id LIMIT 400",
        )
    ]
    per_day = [
        (d.isoformat(), str(k), int(n))
        for d, k, n in _rows(con, "SELECT event_date, kind, count(*) FROM events WHERE event_date IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2")
    ]
    largest_ids = [
        str(r[0])
        for r in _rows(
            con,
            "SELECT e.event_id FROM events AS e LEFT JOIN event_counts AS c ON c.event_id = e.event_id AND c.kind = 'killed' "
            "WHERE e.kind IN ('killed', 'injured', 'kidnapped', 'arrested', 'detained') "
            "ORDER BY c.best DESC NULLS LAST, e.best DESC NULLS LAST, e.reports DESC, e.event_id LIMIT ?",
            [top],
        )
    ]
    largest: list[EventRow] = []
    if largest_ids:
        counts: dict[str, dict[str, tuple[int | None, int | None, int | None]]] = {}
        for eid, k, lo, hi, b in _rows(
            con, "SELECT event_id, kind, count_low, count_high, best FROM event_counts WHERE list_contains(?, event_id)", [largest_ids]
        ):
            counts.setdefault(str(eid), {})[str(k)] = (lo, hi, b)
        links: dict[str, list[tuple[str, str, str | None]]] = {}
        for eid, src, url, title in _rows(
            con,
            "SELECT DISTINCT r.event_id, a.source_id, coalesce(a.url, a.input_ref), a.title FROM event_reports AS r "
            "JOIN articles AS a ON a.article_id = r.article_id WHERE list_contains(?, r.event_id) ORDER BY 1, 2, 3",
            [largest_ids],
        ):
            links.setdefault(str(eid), []).append((str(src), str(url), title))
        rows = {
            str(r[0]): r
            for r in _rows(
                con,
                "SELECT event_id, kind, event_date, date_precision, place, canonical_ar, admin1, perpetrator, target, reports, outlets "
                "FROM events WHERE list_contains(?, event_id)",
                [largest_ids],
            )
        }
        for eid in largest_ids:
            _, kind, day, prec, place, place_ar, admin1, perp, target, reports, outlets = rows[eid]
            largest.append(EventRow(
                eid, str(kind), day.isoformat() if day else None, str(prec), place, place_ar, admin1, perp, target,
                counts.get(eid, {}), int(reports), int(outlets), links.get(eid, []),
            ))
    totals_row = con.execute(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_reports), "
        "(SELECT count(*) FROM events WHERE event_date IS NULL), (SELECT count(*) FROM events WHERE place IS NULL), "
        "(SELECT count(*) FROM figures WHERE kind = 'held' OR scope = 'stock'), (SELECT count(*) FROM figures WHERE scope = 'cumulative'), "
        "(SELECT count(*) FROM event_merges)"
    ).fetchone()
    assert totals_row is not None
    names = ("events", "reports", "undated", "unplaced", "stocks", "cumulative", "merges")
    totals = dict(zip(names, (int(v) for v in totals_row), strict=True))
    return EventData(by_gov, per_gov, points, per_day, largest, totals)
