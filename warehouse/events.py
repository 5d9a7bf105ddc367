"""Events in the lake: the writer resolves them after a run's batches (transforms/events.py does
the reading and the grouping; every SQL string is here).

    events         one row per incident: kind, date, place, actors, best estimate, reports, outlets
    event_counts   one row per event and kind of count (the killed and the injured of one strike)
    event_reports  one row per report and its event; (article_id, figure_no) is the figure's key
    event_merges   an event that a later report joined to another (from_event, into_event, reason)
    event_articles the articles whose reports were read, with the version of the rules that read them

Incremental: the articles read are those without an `event_articles` row for their version and
the current rules (so a run killed before resolution, a new article, a changed article and a
change of the rules are all caught by the next run). Only the neighbourhood of their reports is
resolved again: per governorate, the stored reports whose dates lie within MAX_DAYS_APART of a new
report, with every report of the events these belong to, and the events that lost a report of a
changed article. `full=True` (news-etl maintain) resolves every stored report again. Event ids are
kept across runs (transforms.events.resolve); all of it is one DuckLake commit. The reports of
the articles a load just committed come with them from the workers (computed before the commit
from the same facts: collect/extract.py); the others are read back from the lake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from transforms.events import (
    MAX_DAYS_APART,
    ArticleInput,
    Event,
    Report,
    Resolution,
    adopt,
    floating,
    reports_of,
    resolve,
    rules_version,
)
from transforms.records import Figure, Mention
from warehouse.schema import EVENT_TABLES, TABLES, quote_ident

CHUNK = 500  # articles read at a time


@dataclass(frozen=True, slots=True)
class EventRun:
    articles_read: int = 0
    reports: int = 0  # reports of the articles read
    events_written: int = 0  # events (re)written in the neighbourhood
    merges: int = 0
    full: bool = False


_REPORT_COLUMNS = [f.name for f in TABLES["event_reports"] if f.name not in ("event_id", "run_id")]


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(name, table)


def _ids_table(ids: Iterable[str], column: str = "article_id") -> pa.Table:
    return pa.table({column: pa.array(sorted(set(ids)), pa.string())})


def stale_articles(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Articles whose reports were never read, or read from another version or by other rules."""
    rows = con.execute(
        "SELECT a.article_id, a.version FROM articles AS a "
        "LEFT JOIN event_articles AS e ON e.article_id = a.article_id AND e.version = a.version AND e.rules = ? "
        "WHERE e.article_id IS NULL ORDER BY a.article_id",
        [rules_version()],
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


def read_articles(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[ArticleInput]:
    """Articles with their stored facts, as transforms.events reads them."""
    _register(con, "ev_read_ids", _ids_table(ids))
    try:
        arts = con.execute(
            "SELECT article_id, source_id, published_at, body, body_search, published_offset_minutes FROM articles "
            "WHERE article_id IN (SELECT article_id FROM ev_read_ids) ORDER BY article_id"
        ).fetchall()
        figs = con.execute(
            'SELECT article_id, kind, count_low, count_high, qualifier, sentence, start, "end", sentence_search, '
            "figure_no, of_figure, scope, coalesce(part, 'body') FROM figures WHERE article_id IN (SELECT article_id FROM ev_read_ids) "
            'ORDER BY article_id, figure_no NULLS LAST, start, "end"'
        ).fetchall()
        ments = con.execute(
            'SELECT article_id, kind, surface, canonical, start, "end", sentence, admin1, admin2, lat, lon, canonical_ar, '
            "sentence_search, coalesce(part, 'body') FROM mentions WHERE article_id IN (SELECT article_id FROM ev_read_ids) "
            'ORDER BY article_id, start, "end", kind'
        ).fetchall()
    finally:
        con.unregister("ev_read_ids")
    figures: dict[str, list[Figure]] = defaultdict(list)
    legacy: dict[str, bool] = {}
    for aid, kind, lo, hi, qual, sentence, start, end, s_search, no, of, scope, part in figs:
        n = len(figures[aid])
        figures[aid].append(Figure(
            kind, lo, hi, qual, sentence or "", start, end, s_search,
            figure_no=no if no is not None else n, of_figure=of, scope=scope or "event", part=part,
        ))
        legacy[aid] = legacy.get(aid, True) and s_search is None
    mentions: dict[str, list[Mention]] = defaultdict(list)
    for aid, kind, surface, canonical, start, end, sentence, a1, a2, lat, lon, c_ar, s_search, part in ments:
        mentions[aid].append(Mention(kind, surface, canonical, start, end, sentence, a1, a2, lat, lon, c_ar, None, s_search, part=part))
        legacy[aid] = legacy.get(aid, True) and s_search is None
    return [
        ArticleInput(
            str(aid), str(src), pub, str(body), str(body_search), mentions[aid], figures[aid], legacy.get(aid, False),
            int(offset) if offset is not None else None,
        )
        for aid, src, pub, body, body_search, offset in arts
    ]


def _report_row(rep: Report, event_id: str, run_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id, "article_id": rep.article_id, "report_no": rep.report_no, "figure_no": rep.figure_no,
        "source_id": rep.source_id, "published_at": rep.published_at, "kind": rep.kind, "count_low": rep.count_low,
        "count_high": rep.count_high, "qualifier": rep.qualifier, "event_date": rep.event_date,
        "date_precision": rep.date_precision, "date_lo": rep.date_lo, "date_hi": rep.date_hi, "place": rep.place,
        "place_ar": rep.place_ar, "place_level": rep.place_level, "admin1": rep.admin1, "admin2": rep.admin2,
        "lat": rep.lat, "lon": rep.lon, "place_from": rep.place_from, "sentence_no": rep.sentence_no,
        "perpetrator": rep.perpetrator, "target": rep.target, "persons": "|".join(rep.persons) or None,
        "sentence_search": rep.sentence, "run_id": run_id,
    }


def _report(row: dict[str, Any]) -> Report:
    return Report(
        article_id=row["article_id"], report_no=row["report_no"], figure_no=row["figure_no"], source_id=row["source_id"],
        published_at=row["published_at"], kind=row["kind"], count_low=row["count_low"], count_high=row["count_high"],
        qualifier=row["qualifier"], event_date=row["event_date"], date_precision=row["date_precision"],
        date_lo=row["date_lo"], date_hi=row["date_hi"], place=row["place"], place_ar=row["place_ar"],
        place_level=row["place_level"], admin1=row["admin1"], admin2=row["admin2"], lat=row["lat"], lon=row["lon"],
        place_from=row["place_from"], sentence_no=row["sentence_no"], perpetrator=row["perpetrator"], target=row["target"],
        persons=tuple(row["persons"].split("|")) if row["persons"] else (), sentence=row["sentence_search"],
    )


def _event_row(e: Event, run_id: str) -> dict[str, Any]:
    return {
        "event_id": e.event_id, "kind": e.kind, "event_date": e.event_date, "date_precision": e.date_precision,
        "place": e.place, "canonical_ar": e.canonical_ar, "admin1": e.admin1, "admin2": e.admin2, "lat": e.lat, "lon": e.lon,
        "perpetrator": e.perpetrator, "target": e.target, "count_low": e.count_low, "count_high": e.count_high,
        "best": e.best, "reports": e.reports, "outlets": e.outlets, "first_reported": e.first_reported,
        "last_reported": e.last_reported, "run_id": run_id,
    }


def _stored(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any] = ()) -> list[tuple[Report, str]]:
    cols = ", ".join(quote_ident(c) for c in ["event_id", *_REPORT_COLUMNS])
    cur = con.execute(f"SELECT {cols} FROM event_reports WHERE {where} ORDER BY article_id, report_no", list(params))
    names = [d[0] for d in cur.description or []]
    return [(_report(dict(zip(names, row, strict=True))), str(row[0])) for row in cur.fetchall()]


def _windows(reports: Iterable[Report]) -> list[tuple[date, date]]:
    """Merged date windows (each report's range widened by MAX_DAYS_APART) of one governorate."""
    spans = sorted(
        (rep.date_lo - timedelta(days=MAX_DAYS_APART), rep.date_hi + timedelta(days=MAX_DAYS_APART))
        for rep in reports
        if rep.date_lo is not None and rep.date_hi is not None
    )
    out: list[tuple[date, date]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _neighbourhood(
    con: duckdb.DuckDBPyConnection, admin1: str, new: Sequence[Report], losing: set[str], changed: pa.Table, *, full: bool
) -> list[tuple[Report, str]]:
    """Stored reports (not of the articles read again) to resolve again with `new` in one governorate."""
    _register(con, "ev_changed", changed)
    try:
        if full:
            return _stored(con, "admin1 = ? AND article_id NOT IN (SELECT article_id FROM ev_changed)", [admin1])
        wins = _windows(new)
        touched: set[str] = set(losing)
        if wins:
            _register(con, "ev_windows", pa.table({
                "lo": pa.array([w[0] for w in wins], pa.date32()), "hi": pa.array([w[1] for w in wins], pa.date32()),
            }))
            try:
                touched |= {str(r[0]) for r in con.execute(
                    "SELECT DISTINCT r.event_id FROM event_reports AS r JOIN ev_windows AS w "
                    "ON r.date_hi >= w.lo AND r.date_lo <= w.hi WHERE r.admin1 = ?",
                    [admin1],
                ).fetchall()}
            finally:
                con.unregister("ev_windows")
        if not touched:
            return []
        _register(con, "ev_touched", _ids_table(touched, "event_id"))
        try:
            return _stored(
                con,
                "event_id IN (SELECT event_id FROM ev_touched) AND article_id NOT IN (SELECT article_id FROM ev_changed)",
            )
        finally:
            con.unregister("ev_touched")
    finally:
        con.unregister("ev_changed")


def _placed_near(con: duckdb.DuckDBPyConnection, reports: Sequence[Report], changed: pa.Table) -> list[Report]:
    """Stored reports of any governorate (not of the articles read again) dated within
    MAX_DAYS_APART of `reports`: what a report placed only in Syria may restate (adopt)."""
    wins = _windows(reports)
    if not wins:
        return []
    _register(con, "ev_windows", pa.table({
        "lo": pa.array([w[0] for w in wins], pa.date32()), "hi": pa.array([w[1] for w in wins], pa.date32()),
    }))
    _register(con, "ev_changed", changed)
    try:
        keys = con.execute(
            "SELECT DISTINCT r.article_id, r.report_no FROM event_reports AS r JOIN ev_windows AS w "
            "ON r.date_hi >= w.lo AND r.date_lo <= w.hi WHERE r.article_id NOT IN (SELECT article_id FROM ev_changed)"
        ).fetchall()
    finally:
        con.unregister("ev_windows")
        con.unregister("ev_changed")
    if not keys:
        return []
    _register(con, "ev_keys", pa.table({
        "article_id": pa.array([str(k[0]) for k in keys], pa.string()), "report_no": pa.array([int(k[1]) for k in keys], pa.int64()),
    }))
    try:
        return [rep for rep, _ in _stored(con, "(article_id, report_no) IN (SELECT article_id, report_no FROM ev_keys)")]
    finally:
        con.unregister("ev_keys")


def _insert(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=TABLES[name])
    view = f"ev_insert_{name}"
    con.register(view, table)
    try:
        cols = ", ".join(quote_ident(c) for c in table.schema.names)
        con.execute(f"INSERT INTO {quote_ident(name)} ({cols}) SELECT {cols} FROM {quote_ident(view)}")
    finally:
        con.unregister(view)


def _delete_events(con: duckdb.DuckDBPyConnection, ids: set[str]) -> None:
    if not ids:
        return
    _register(con, "ev_delete", _ids_table(ids, "event_id"))
    try:
        for name in EVENT_TABLES:
            con.execute(f"DELETE FROM {quote_ident(name)} WHERE event_id IN (SELECT event_id FROM ev_delete)")
    finally:
        con.unregister("ev_delete")


def _write(con: duckdb.DuckDBPyConnection, res: Resolution, reports: Sequence[Report], run_id: str, now: datetime) -> None:
    by_key = {rep.key: rep for rep in reports}
    _insert(con, "events", [_event_row(e, run_id) for e in res.events])
    _insert(con, "event_counts", [
        {"event_id": e.event_id, "kind": c.kind, "count_low": c.count_low, "count_high": c.count_high, "best": c.best,
         "reports": c.reports, "run_id": run_id}
        for e in res.events for c in e.counts
    ])
    _insert(con, "event_reports", [_report_row(by_key[key], event_id, run_id) for key, event_id in sorted(res.links.items())])
    _insert(con, "event_merges", [
        {"from_event": m.from_event, "into_event": m.into_event, "run_id": run_id, "reason": m.reason, "merged_at": now}
        for m in res.merges
    ])


def _utc_session(con: duckdb.DuckDBPyConnection) -> ZoneInfo | None:
    """The session's zone when it is UTC (DuckDB gives stored timestamps in it), else None: the
    reports computed from UTC instants in the workers are then not used (a stored article's
    publication day, read back in another zone, may differ) and the articles are read back."""
    row = con.execute("SELECT current_setting('TimeZone')").fetchone()
    try:
        zone = ZoneInfo(str(row[0]) if row is not None else "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        return None
    utc = all(datetime(2000, month, 1, tzinfo=zone).utcoffset() == timedelta(0) for month in (1, 7))
    return zone if utc else None


def _as_read(reports: list[Report], zone: ZoneInfo) -> list[Report]:
    """Reports computed before the commit, with published_at in the session's time zone, as
    the stored article's are read (the order of resolution compares their ISO texts)."""
    return [
        replace(rep, published_at=rep.published_at.astimezone(zone)) if rep.published_at is not None else rep
        for rep in reports
    ]


def new_reports(
    con: duckdb.DuckDBPyConnection, stale: Sequence[tuple[str, int]], given: Mapping[str, tuple[int, str, list[Report]]] | None = None
) -> list[Report]:
    """The reports of the `stale` articles, in their order: those `given` (computed in the
    workers from the very version stored, by the current rules) as they are, the others read
    from the lake."""
    given = given or {}
    rules = rules_version()
    zone = _utc_session(con) if given else None
    out: list[Report] = []
    for i in range(0, len(stale), CHUNK):
        chunk = stale[i:i + CHUNK]
        have: dict[str, list[Report]] = {}
        for aid, version in chunk:
            got = given.get(aid)
            if got is not None and zone is not None and got[0] == version and got[1] == rules:
                have[aid] = _as_read(got[2], zone)
        missing = [aid for aid, _ in chunk if aid not in have]
        if missing:
            for article in read_articles(con, missing):
                have[article.article_id] = reports_of(article)
        for aid, _ in chunk:
            out.extend(have.get(aid, ()))
    return out


def resolve_events(
    con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, *, full: bool = False,
    given: Mapping[str, tuple[int, str, list[Report]]] | None = None,
) -> EventRun:
    """Read the reports of the articles that need it and resolve their neighbourhood (or, with
    `full`, every stored report) in one transaction of the caller's connection. `given`: reports
    already computed (article_id -> (version, rules version, reports)), used for the articles
    whose stored version and rules they match."""
    stale = stale_articles(con)
    if not stale and not full:
        return EventRun()
    new = new_reports(con, stale, given)
    changed = _ids_table(aid for aid, _ in stale)
    adrift = [rep for rep in new if floating(rep)]
    if adrift:  # placed only in Syria: the governorate of the incident they restate, if one
        new = adopt(new, [rep for rep in new if rep.admin1 is not None] + _placed_near(con, adrift, changed))
    _register(con, "ev_changed_all", changed)
    try:
        old = [(rep, eid) for rep, eid in _stored(con, "article_id IN (SELECT article_id FROM ev_changed_all)")]
    finally:
        con.unregister("ev_changed_all")
    losing: dict[str, set[str]] = defaultdict(set)
    for rep, eid in old:
        if rep.admin1 is not None:
            losing[rep.admin1].add(eid)
    by_gov: dict[str, list[Report]] = defaultdict(list)
    for rep in new:
        if rep.admin1 is not None:
            by_gov[rep.admin1].append(rep)
    govs = set(by_gov) | set(losing)
    if full:
        govs |= {str(r[0]) for r in con.execute("SELECT DISTINCT admin1 FROM event_reports WHERE admin1 IS NOT NULL").fetchall()}
    existing = {str(r[0]) for r in con.execute("SELECT event_id FROM events").fetchall()}
    assigned: set[str] = set()
    written = merges = 0
    con.execute("BEGIN")
    try:
        _register(con, "ev_changed_all", changed)
        try:
            con.execute("DELETE FROM event_reports WHERE article_id IN (SELECT article_id FROM ev_changed_all)")
            con.execute("DELETE FROM event_articles WHERE article_id IN (SELECT article_id FROM ev_changed_all)")
        finally:
            con.unregister("ev_changed_all")
        for gov in sorted(govs):
            stored = _neighbourhood(con, gov, by_gov.get(gov, []), losing.get(gov, set()), changed, full=full)
            # old links of this governorate only: an event of another governorate keeps its id there
            prev = {rep.key: eid for rep, eid in old if rep.admin1 == gov} | {rep.key: eid for rep, eid in stored}
            touched = {eid for _, eid in stored} | losing.get(gov, set())
            reports = [rep for rep, _ in stored] + by_gov.get(gov, [])
            res = resolve(reports, prev, reason="rebuild" if full else None, reserved=(existing | assigned) - touched)
            assigned |= {e.event_id for e in res.events}
            _delete_events(con, touched)
            _write(con, res, reports, run_id, now)
            written += len(res.events)
            merges += len(res.merges)
        counts: dict[str, int] = defaultdict(int)
        for rep in new:
            counts[rep.article_id] += 1
        _insert(con, "event_articles", [
            {"article_id": aid, "version": version, "reports": counts.get(aid, 0), "rules": rules_version(), "run_id": run_id}
            for aid, version in stale
        ])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return EventRun(len(stale), len(new), written, merges, full)


def event_summary(run: EventRun) -> str | None:
    """One line for a run's message (None when the run read no article)."""
    if not run.articles_read and not run.full:
        return None
    what = "events rebuilt" if run.full else "events"
    return (f"{what}: {run.reports} reports of {run.articles_read} articles read, {run.events_written} events written, "
            f"{run.merges} merged")
