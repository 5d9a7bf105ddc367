"""Fetch state in the lake: the fetch log, conditional-GET validators and the pages already seen.

    fetch_log    one row per URL tried by a fetch run (append-only)
    fetch_state  the latest state per URL (replaced on every fetch of that URL)

A page counts as already stored when its state says it was fetched (or refused for a lasting
reason) AND, for fetched pages, its URL reached the load step (it is in article_inputs or
rejects). A run killed between fetching and loading therefore fetches those pages again. A URL
that is in article_inputs for the source (loaded from a file earlier) counts as stored as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from warehouse.schema import TABLES, quote_ident, quote_literal
from warehouse.writer import LakeWriter

# refusals that the same URL would meet again: not retried until the feed says it changed
LASTING_REFUSALS = ("unsupported_content_type", "too_large", "bad_scheme", "offsite", "private_address", "robots_disallowed")


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class PageState:
    final_url: str | None
    changed_at: datetime | None
    etag: str | None
    last_modified: str | None


class FetchStateStore:
    """Reads and writes fetch state through the single writer's connection (hold the writer lock)."""

    def __init__(self, writer: LakeWriter) -> None:
        self.writer = writer
        self.con = writer.con

    def validators(self, source_id: str) -> dict[str, Validators]:
        """ETag / Last-Modified of the feeds and sitemaps fetched before."""
        rows = self.con.execute(
            "SELECT url, etag, last_modified FROM fetch_state "
            "WHERE source_id = ? AND kind IN ('feed', 'sitemap') AND outcome = 'ok'",
            [source_id],
        ).fetchall()
        return {r[0]: Validators(r[1], r[2]) for r in rows}

    def seen_pages(self, source_id: str) -> dict[str, PageState]:
        """Pages already stored (or refused for a lasting reason), by the URL the feed gave."""
        refusals = ", ".join(quote_literal(r) for r in LASTING_REFUSALS)
        rows = self.con.execute(
            "SELECT url, final_url, changed_at, etag, last_modified FROM fetch_state "
            "WHERE source_id = ? AND kind = 'page' AND ("
            f"  (outcome = 'refused' AND reason IN ({refusals})) "
            "   OR (outcome = 'ok' AND (final_url IN (SELECT input_ref FROM article_inputs) "
            "                           OR final_url IN (SELECT input_ref FROM rejects))))",
            [source_id],
        ).fetchall()
        seen = {r[0]: PageState(r[1], r[2], r[3], r[4]) for r in rows}
        # pages stored by an earlier load (a jsonl or WARC with the same URL) count as seen too
        for (ref,) in self.con.execute(
            "SELECT DISTINCT input_ref FROM article_inputs WHERE source_id = ? AND input_ref LIKE 'http%'", [source_id]
        ).fetchall():
            seen.setdefault(ref, PageState(ref, None, None, None))
        return seen

    def pending_pages(self, source_id: str) -> dict[str, PageState]:
        """Pages fetched by a run that ended before its load step (not in article_inputs or
        rejects): the next run fetches them again even if their feed answers 304."""
        rows = self.con.execute(
            "SELECT url, final_url, changed_at, etag, last_modified FROM fetch_state "
            "WHERE source_id = ? AND kind = 'page' AND outcome = 'ok' "
            "AND final_url NOT IN (SELECT input_ref FROM article_inputs) "
            "AND final_url NOT IN (SELECT input_ref FROM rejects)",
            [source_id],
        ).fetchall()
        return {r[0]: PageState(r[1], r[2], None, None) for r in rows}  # no validators: a 304 would lose the page

    def failed_pages(self, source_id: str, reasons: Iterable[str], max_runs: int) -> dict[str, PageState]:
        """Pages whose latest fetch failed for one of `reasons` (passing ones: no answer, 429,
        5xx) in at most `max_runs` runs so far: the next run tries them again even when their
        feed answers 304 or no longer lists them."""
        wanted = [str(r) for r in reasons]
        if max_runs <= 0 or not wanted:
            return {}
        rows = self.con.execute(
            "SELECT s.url, s.changed_at FROM fetch_state AS s "
            "WHERE s.source_id = ? AND s.kind = 'page' AND s.outcome = 'failed' AND list_contains(?, s.reason) "
            "AND (SELECT count(DISTINCT l.run_id) FROM fetch_log AS l WHERE l.source_id = s.source_id "
            "     AND l.url = s.url AND l.kind = 'page' AND l.outcome = 'failed') <= ?",
            [source_id, wanted, max_runs],
        ).fetchall()
        return {r[0]: PageState(None, r[1], None, None) for r in rows}  # no validators: nothing stored to keep

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        arrow = pa.Table.from_pylist(rows, schema=TABLES[table])
        view = f"batch_{table}"
        self.con.register(view, arrow)
        try:
            cols = ", ".join(quote_ident(c) for c in arrow.schema.names)
            self.con.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM {quote_ident(view)}")
        finally:
            self.con.unregister(view)

    def commit(
        self, log_rows: Iterable[dict[str, Any]], state_rows: Iterable[dict[str, Any]], reject_rows: Iterable[dict[str, Any]]
    ) -> None:
        """One atomic commit: log rows appended, state rows replace earlier state of their URLs,
        rejects appended."""
        logs, states, rejects = list(log_rows), list(state_rows), list(reject_rows)
        latest: dict[str, dict[str, Any]] = {}
        for row in states:
            latest[row["url"]] = row
        states = list(latest.values())
        self.con.execute("BEGIN")
        try:
            if states:
                urls = pa.table({"url": [r["url"] for r in states]})
                self.con.register("state_urls", urls)
                try:
                    self.con.execute("DELETE FROM fetch_state WHERE url IN (SELECT url FROM state_urls)")
                finally:
                    self.con.unregister("state_urls")
            self._insert("fetch_state", states)
            self._insert("fetch_log", logs)
            self._insert("rejects", rejects)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.writer.publish()
