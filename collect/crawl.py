"""The crawl of one source, without Prefect: its feeds and sitemaps, then the pages they list that
are not stored yet (or that the feed says changed), through collect/http_client.py.

What the lake already knows (validators of the listings, the pages seen) comes in as plain
mappings; what the crawl learnt goes out as rows (`SourceCrawl`) for the lake's fetch log, fetch
state and rejects. Every HTTP response is handed to `on_response` (the run's WARC).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from collect.http_client import RETRY_STATUSES, Fetcher, FetchResult, ResponseRecord
from collect.sources import Source
from transforms.feeds import FeedEntry, FeedError, parse_feed


class Validators(Protocol):
    """A listing's validators from an earlier fetch (warehouse.fetch_state.Validators)."""

    @property
    def etag(self) -> str | None: ...
    @property
    def last_modified(self) -> str | None: ...


class PageState(Validators, Protocol):
    """What an earlier fetch learnt about a page (warehouse.fetch_state.PageState)."""

    @property
    def final_url(self) -> str | None: ...
    @property
    def changed_at(self) -> datetime | None: ...


# failures worth another run: no answer, a refused connection, 429 and 5xx (the statuses retried within a
# run), a response, host or run that ran out of time
PASSING_FAILURES = (
    "timeout", "connect_error", "too_slow", "host_deadline", "run_deadline",
    *sorted(f"http_{status}" for status in RETRY_STATUSES),
)

COUNT_KEYS = (
    "listings_ok", "listings_not_modified", "listings_failed", "entries",
    "pages_fetched", "pages_not_modified", "pages_skipped", "pages_deferred", "pages_refused", "pages_failed",
    "requests", "source_errors",
)


@dataclass
class SourceCrawl:
    """What one source's crawl produced: rows for the lake and counts for the summary."""

    source_id: str
    run_id: str
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    state_rows: list[dict[str, Any]] = field(default_factory=list)
    reject_rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    notes: list[str] = field(default_factory=list)
    fresh_pages: set[str] = field(default_factory=set)  # pages a feed or sitemap listed this run (not retries)

    def unique_notes(self) -> list[str]:
        """The notes, each once (two listings on one host meet the same DNS failure)."""
        return list(dict.fromkeys(self.notes))

    def failure(self) -> str | None:
        """Why this source's part of the run failed, or None: no feed or sitemap answered (DNS
        failure, refused connection, timeout, 5xx, robots.txt unreachable, not a feed), or every
        page its listings offered was refused or failed. Nothing new (a 304, no new entries) and
        pages retried from earlier runs failing again are not failures."""
        c = self.counts
        if c["listings_failed"] and not (c["listings_ok"] or c["listings_not_modified"]):
            listings = [r for r in self.log_rows if r["kind"] in ("feed", "sitemap")]
            return f"no feed or sitemap answered ({_why(listings)})"
        pages = [r for r in self.log_rows if r["kind"] == "page" and r["url"] in self.fresh_pages]
        if pages and not any(r["outcome"] in ("ok", "not_modified") for r in pages):
            return f"every page was refused or failed ({_why(pages)})"
        return None

    def log(self, res: FetchResult, *, outcome: str | None = None, reason: str | None = None, error: str | None = None) -> None:
        self.log_rows.append(
            {
                "run_id": self.run_id,
                "source_id": self.source_id,
                "url": res.url,
                "final_url": res.final_url,
                "kind": res.kind,
                "status": res.status,
                "outcome": outcome or res.outcome,
                "reason": reason or res.reason,
                "error": (error or res.error or None) and str(error or res.error)[:500],
                "attempts": res.attempts,
                "bytes": len(res.body) if res.body is not None else None,
                "fetched_at": res.fetched_at,
            }
        )

    def state(self, res: FetchResult, *, outcome: str, changed_at: datetime | None = None, final_url: str | None = None,
              etag: str | None = None, last_modified: str | None = None) -> None:
        self.state_rows.append(
            {
                "url": res.url,
                "source_id": self.source_id,
                "kind": res.kind,
                "final_url": final_url or res.final_url,
                "status": res.status,
                "outcome": outcome,
                "reason": res.reason,
                "etag": etag if etag is not None else res.header("etag"),
                "last_modified": last_modified if last_modified is not None else res.header("last-modified"),
                "changed_at": changed_at,
                "fetched_at": res.fetched_at,
                "run_id": self.run_id,
            }
        )

    def reject(self, res: FetchResult) -> None:
        self.reject_rows.append(
            {
                "input_ref": res.url,
                "reason": res.reason or "fetch_failed",
                "detail": (res.error or "the page could not be fetched")[:500],
                "run_id": self.run_id,
                "rejected_at": res.fetched_at,
            }
        )


def _why(rows: list[dict[str, Any]]) -> str:
    """'2 of 2: robots_unavailable x2; http://x/feed.xml: <error>' for the failed rows of a log."""
    failed = [r for r in rows if r["outcome"] not in ("ok", "not_modified")]
    reasons = Counter(str(r["reason"] or r["outcome"]) for r in failed)
    text = f"{len(failed)} of {len(rows)}: " + ", ".join(f"{reason} x{n}" for reason, n in reasons.most_common())
    first = next((r for r in failed if r["error"]), None)
    if first is not None:
        text += f"; first: {first['url']}: {_shorter(str(first['error']))}"
    return text


def _shorter(error: str, limit: int = 240) -> str:
    """An error message cut to `limit` characters, keeping its end (where the cause is)."""
    return error if len(error) <= limit else "..." + error[-limit:]


def _changed(entry: FeedEntry, state: PageState) -> bool:
    """Does the feed say a stored page changed since we fetched it?"""
    new = entry.changed_at
    return new is not None and (state.changed_at is None or new > state.changed_at)


async def _listings(f: Fetcher, source: Source, validators: Mapping[str, Validators], crawl: SourceCrawl) -> dict[str, FeedEntry]:
    entries: dict[str, FeedEntry] = {}
    queue = [(u, "feed") for u in source.feeds] + [(u, "sitemap") for u in source.sitemaps]
    done: set[str] = set()
    followed = 0
    while queue:
        batch = [(u, k) for u, k in queue if u not in done]
        done.update(u for u, _ in batch)
        queue = []

        async def one(url: str, kind: str) -> FetchResult:
            v = validators.get(url)
            return await f.fetch(url, kind, etag=v.etag if v else None, last_modified=v.last_modified if v else None)

        results = await asyncio.gather(*(one(u, k) for u, k in batch))
        for res in results:
            if res.outcome == "not_modified":
                crawl.counts["listings_not_modified"] += 1
                crawl.log(res)
                continue
            if not res.ok or res.body is None:
                crawl.counts["listings_failed"] += 1
                crawl.log(res)
                continue
            try:
                parsed = parse_feed(res.body, res.final_url, res.charset)
            except FeedError as err:
                crawl.counts["listings_failed"] += 1
                crawl.log(res, outcome="failed", reason=err.reason, error=err.detail)
                crawl.notes.append(f"{res.url}: {err.detail}")
                continue
            crawl.counts["listings_ok"] += 1
            crawl.log(res, error="; ".join(parsed.notes) or None)
            crawl.state(res, outcome="ok")
            for entry in parsed.entries:
                known = entries.get(entry.url)
                if known is None or (known.changed_at is None and entry.changed_at is not None):
                    entries[entry.url] = entry
            oldest = datetime.min.replace(tzinfo=UTC)
            # news sites list hundreds of sitemaps, oldest first: follow the most recently changed
            for child in sorted(parsed.sitemaps, key=lambda e: e.changed_at or oldest, reverse=True):
                if followed < source.limits.max_sitemaps and child.url not in done:
                    followed += 1
                    queue.append((child.url, "sitemap"))
    return entries


async def crawl_source(
    source: Source,
    validators: Mapping[str, Validators],
    seen: Mapping[str, PageState],
    on_response: Callable[[ResponseRecord], None] | None,
    run_id: str,
    *,
    pending: Mapping[str, PageState] | None = None,
    deadline: float | None = None,
) -> SourceCrawl:
    """Fetch one source's feeds and sitemaps, then the pages they list that are new or changed,
    plus `pending` pages (fetched by an earlier run that never reached its load step); nothing
    starts after `deadline` (time.monotonic(): the run's)."""
    crawl = SourceCrawl(source.id, run_id)
    async with Fetcher(source, on_response, deadline=deadline) as f:
        entries = await _listings(f, source, validators, crawl)
        crawl.fresh_pages = set(entries)
        for url, st in (pending or {}).items():
            entries.setdefault(url, FeedEntry(url, None, None, st.changed_at))
        crawl.counts["entries"] = len(entries)
        todo: list[tuple[FeedEntry, PageState | None]] = []
        for url, entry in entries.items():
            state = seen.get(url)
            if state is not None and not _changed(entry, state):
                crawl.counts["pages_skipped"] += 1
                continue
            todo.append((entry, state))
        oldest = datetime.min.replace(tzinfo=UTC)
        todo.sort(key=lambda t: t[0].changed_at or oldest, reverse=True)  # newest first
        crawl.counts["pages_deferred"] = max(0, len(todo) - source.limits.max_pages)
        todo = todo[: source.limits.max_pages]

        async def one(entry: FeedEntry, state: PageState | None) -> FetchResult:
            return await f.fetch(
                entry.url, "page", etag=state.etag if state else None, last_modified=state.last_modified if state else None
            )

        results = await asyncio.gather(*(one(e, s) for e, s in todo))
        for (entry, state), res in zip(todo, results, strict=True):
            crawl.log(res)
            res.body = None  # the WARC has it; keep memory flat on large runs
            if res.outcome == "ok":
                crawl.counts["pages_fetched"] += 1
                crawl.state(res, outcome="ok", changed_at=entry.changed_at)
            elif res.outcome == "not_modified" and state is not None:
                crawl.counts["pages_not_modified"] += 1
                crawl.state(res, outcome="ok", changed_at=entry.changed_at, final_url=state.final_url,
                            etag=state.etag, last_modified=state.last_modified)
            else:
                crawl.counts["pages_refused" if res.outcome == "refused" else "pages_failed"] += 1
                crawl.state(res, outcome=res.outcome, changed_at=entry.changed_at)
                crawl.reject(res)
        crawl.counts["requests"] = f.requests
        crawl.notes.extend(f.notes)
    return crawl
