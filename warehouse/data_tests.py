"""Data tests, run by the writer after every run (in the spirit of dbt's): each test is a name, a
SQL query that returns the offending rows, and a message. A test passes when its query returns no
row. Results land in the `data_tests` table; a failing test fails the run (runs.status 'failed',
its reason in runs.message, a non-zero exit) after the data is committed: the rows stay visible,
so they can be looked at with `news-etl sql`.

Declared as data: the list below, plus a NOT NULL test for every column that
warehouse/schema.py declares non-nullable in the tables of `NOT_NULL_TABLES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.schema import TABLES, quote_ident

SAMPLE = 5  # offending rows kept with a failure


@dataclass(frozen=True, slots=True)
class DataTest:
    name: str
    sql: str  # returns the offending rows
    message: str


@dataclass(frozen=True, slots=True)
class DataTestResult:
    name: str
    failing_rows: int
    message: str
    sample: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0


TESTS: list[DataTest] = [
    DataTest("figures_low_le_high", "SELECT article_id, figure_no, kind, count_low, count_high FROM figures WHERE count_low > count_high",
             "a figure's count_low is above its count_high"),
    DataTest("events_low_le_high", "SELECT event_id, kind, count_low, count_high FROM events WHERE count_low > count_high",
             "an event's count_low is above its count_high"),
    DataTest("events_best_in_range",
             "SELECT event_id, count_low, best, count_high FROM events "
             "WHERE best < count_low OR best > count_high OR (best IS NULL) <> (count_low IS NULL)",
             "an event's best estimate lies outside its low..high range (or is missing beside a count)"),
    DataTest("event_counts_low_le_high",
             "SELECT event_id, kind, count_low, best, count_high FROM event_counts "
             "WHERE count_low > count_high OR best < count_low OR best > count_high",
             "an event's count of one kind has low > high or a best estimate outside low..high"),
    DataTest("events_ids_unique", "SELECT event_id, count(*) AS n FROM events GROUP BY event_id HAVING count(*) > 1",
             "an event_id appears in more than one events row"),
    DataTest("event_counts_unique",
             "SELECT event_id, kind, count(*) AS n FROM event_counts GROUP BY event_id, kind HAVING count(*) > 1",
             "an event has two rows of one kind in event_counts"),
    DataTest("event_reports_key_unique",
             "SELECT article_id, report_no, count(*) AS n FROM event_reports GROUP BY article_id, report_no HAVING count(*) > 1",
             "a report (article_id, report_no) is linked to more than one event"),
    DataTest("events_have_reports",
             "SELECT e.event_id FROM events AS e WHERE NOT EXISTS (SELECT 1 FROM event_reports AS r WHERE r.event_id = e.event_id)",
             "an event has no report"),
    DataTest("reports_have_events",
             "SELECT r.article_id, r.report_no, r.event_id FROM event_reports AS r "
             "WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.event_id = r.event_id)",
             "a report points to an event that does not exist"),
    DataTest("reports_have_articles",
             "SELECT r.article_id, r.report_no FROM event_reports AS r "
             "WHERE NOT EXISTS (SELECT 1 FROM articles AS a WHERE a.article_id = r.article_id)",
             "a report's article does not exist"),
    DataTest("reports_have_figures",
             "SELECT r.article_id, r.figure_no FROM event_reports AS r WHERE r.figure_no IS NOT NULL AND NOT EXISTS "
             "(SELECT 1 FROM figures AS f WHERE f.article_id = r.article_id AND f.figure_no = r.figure_no)",
             "a report's figure (article_id, figure_no) does not exist"),
    DataTest("event_sums_match",
             "SELECT e.event_id, e.reports, r.articles, e.outlets, r.sources FROM events AS e JOIN "
             "(SELECT event_id, count(DISTINCT article_id) AS articles, count(DISTINCT source_id) AS sources "
             "FROM event_reports GROUP BY event_id) AS r USING (event_id) "
             "WHERE e.reports <> r.articles OR e.outlets <> r.sources",
             "an event's reports/outlets differ from the articles/sources of its event_reports"),
    DataTest("event_counts_match_reports",
             "SELECT c.event_id, c.kind, c.reports, r.articles, c.count_low, r.low, c.count_high, r.high FROM event_counts AS c "
             "LEFT JOIN (SELECT event_id, kind, count(DISTINCT article_id) AS articles, min(count_low) AS low, "
             "CASE WHEN bool_or(count_high IS NULL) THEN NULL ELSE max(count_high) END AS high FROM event_reports "
             "WHERE count_low IS NOT NULL GROUP BY ALL) AS r USING (event_id, kind) "
             "WHERE r.articles IS NULL OR c.reports <> r.articles OR c.count_low <> r.low OR c.count_high IS DISTINCT FROM r.high",
             "an event's count of one kind does not match the counts its reports give"),
    DataTest("event_headline_count",
             "SELECT e.event_id, e.kind, e.count_low, c.count_low AS counted FROM events AS e "
             "LEFT JOIN event_counts AS c ON c.event_id = e.event_id AND c.kind = e.kind "
             "WHERE e.count_low IS DISTINCT FROM c.count_low OR e.count_high IS DISTINCT FROM c.count_high "
             "OR e.best IS DISTINCT FROM c.best",
             "an event's own count differs from its event_counts row of the same kind"),
    DataTest("events_one_governorate",
             "SELECT event_id, count(DISTINCT admin1) AS governorates FROM event_reports GROUP BY event_id "
             "HAVING count(DISTINCT admin1) > 1 OR bool_or(admin1 IS NULL)",
             "an event's reports lie in several governorates (or none)"),
    DataTest("events_within_two_days",
             "SELECT a.event_id, min(a.date_hi) AS first_day, max(a.date_lo) AS last_day FROM event_reports AS a "
             "GROUP BY a.event_id HAVING max(a.date_lo) - min(a.date_hi) > 2",
             "an event's reports are dated more than two days apart"),
    DataTest("events_not_stocks",
             "SELECT r.article_id, r.figure_no, f.kind, f.scope FROM event_reports AS r JOIN figures AS f "
             "ON f.article_id = r.article_id AND f.figure_no = r.figure_no "
             "WHERE f.kind = 'held' OR coalesce(f.scope, 'event') <> 'event' OR f.of_figure IS NOT NULL "
             "OR coalesce(f.part, 'body') <> 'body'",
             "a stock (people held), a total since a date, a breakdown or a title's figure was made an event report"),
    DataTest("mart_events_monthly_sums",
             "SELECT m.events, e.events FROM (SELECT sum(events) AS events FROM mart_events_monthly) AS m, "
             "(SELECT count(*) AS events FROM events) AS e WHERE m.events IS DISTINCT FROM e.events AND e.events > 0",
             "mart_events_monthly does not count every event once"),
    DataTest("mart_figures_high_not_below_low",
             "SELECT month, admin1, kind, count_low, count_high FROM mart_figures_monthly WHERE count_high < count_low",
             "mart_figures_monthly has a group whose count_high is below its count_low"),
]

NOT_NULL_TABLES = ("events", "event_counts", "event_reports", "event_merges", "figures", "mentions")


def not_null_tests() -> list[DataTest]:
    out = []
    for table in NOT_NULL_TABLES:
        required = [f.name for f in TABLES[table] if not f.nullable]
        cond = " OR ".join(f"{quote_ident(c)} IS NULL" for c in required)
        out.append(DataTest(
            f"{table}_not_null", f"SELECT * FROM {quote_ident(table)} WHERE {cond}",
            f"{table} has NULL in a column declared NOT NULL ({', '.join(required)})",
        ))
    return out


def all_tests() -> list[DataTest]:
    return [*TESTS, *not_null_tests()]


def _jsonable(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else str(v)


def run_tests(con: duckdb.DuckDBPyConnection, tests: list[DataTest] | None = None) -> list[DataTestResult]:
    out = []
    for test in tests or all_tests():
        cur = con.execute(f"SELECT count(*) OVER () AS failing_rows_total, * FROM ({test.sql}) LIMIT {SAMPLE}")
        names = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
        failing = int(rows[0][0]) if rows else 0
        sample = [{k: _jsonable(v) for k, v in zip(names[1:], row[1:], strict=True)} for row in rows]
        out.append(DataTestResult(test.name, failing, test.message, sample))
    return out


def record(con: duckdb.DuckDBPyConnection, run_id: str, results: list[DataTestResult], now: datetime) -> None:
    """The results as rows of `data_tests` (the caller commits)."""
    table = pa.Table.from_pylist([
        {"run_id": run_id, "name": r.name, "status": "passed" if r.passed else "failed", "failing_rows": r.failing_rows,
         "message": r.message, "sample": json.dumps(r.sample, ensure_ascii=False) if r.sample else None, "checked_at": now}
        for r in results
    ], schema=TABLES["data_tests"])
    con.register("dt_results", table)
    try:
        cols = ", ".join(quote_ident(c) for c in table.schema.names)
        con.execute(f"INSERT INTO data_tests ({cols}) SELECT {cols} FROM dt_results")
    finally:
        con.unregister("dt_results")


def summary(results: list[DataTestResult]) -> str:
    """One line for a run's message: how many passed, and every failure with its reason."""
    failed = [r for r in results if not r.passed]
    if not failed:
        return f"data tests: {len(results)} passed"
    parts = "; ".join(f"{r.name} ({r.failing_rows} rows): {r.message}" for r in failed)
    return f"data tests: {len(failed)} of {len(results)} failed: {parts}"
