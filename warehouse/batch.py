"""Turn a batch of DocumentResults into pyarrow Tables with the declared schemas.

The decision of what each article is (new, a new version, a duplicate) is made here, in plain
Python over small lookups the writer fetched from the lake, so it is testable without DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from transforms.records import Article, DocumentResult
from warehouse.schema import TABLES


@dataclass(frozen=True, slots=True)
class StoredArticle:
    article_id: str
    version: int
    content_hash: str


@dataclass(slots=True)
class Plan:
    """What a batch will write. Row dicts per table, plus the ids whose old rows get replaced."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    replace_ids: set[str] = field(default_factory=set)
    articles_new: int = 0
    articles_updated: int = 0
    duplicates: int = 0
    rejects: int = 0

    def table(self, name: str) -> pa.Table:
        return pa.Table.from_pylist(self.rows[name], schema=TABLES[name])

    def count(self, name: str) -> int:
        return len(self.rows[name])


@dataclass(frozen=True, slots=True)
class BatchCounts:
    inputs: int
    articles_new: int
    articles_updated: int
    duplicates: int
    rejects: int
    removed_lines: int
    mentions: int
    figures: int
    embeds: int

    @classmethod
    def from_plan(cls, plan: Plan, inputs: int) -> BatchCounts:
        return cls(
            inputs=inputs,
            articles_new=plan.articles_new,
            articles_updated=plan.articles_updated,
            duplicates=plan.duplicates,
            rejects=plan.rejects,
            removed_lines=plan.count("removed"),
            mentions=plan.count("mentions"),
            figures=plan.count("figures"),
            embeds=plan.count("embeds"),
        )


def commit_counts_total(parts: Iterable[BatchCounts]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key in BatchCounts.__slots__:
            total[key] = total.get(key, 0) + int(getattr(part, key))
    return total


def _article_row(result: DocumentResult, version: int, run_id: str, now: datetime, cluster_id: str | None) -> dict[str, Any]:
    a = result.article
    assert a is not None
    pub = a.published_at
    return {
        "article_id": a.article_id,
        "version": version,
        "source_id": a.source_id,
        "outlet": a.outlet,
        "url": a.url,
        "input_ref": a.input_ref,
        "title": a.title,
        "subtitle": a.subtitle,
        "byline": a.byline,
        "section": a.section,
        "published_at": pub,
        "published_precision": a.published_precision,
        "date_note": a.date_note,
        "language": a.language,
        "body": a.body,
        "body_search": a.body_search,
        "word_count": a.word_count,
        "content_hash": a.content_hash,
        "cluster_id": cluster_id or a.article_id,
        "identity": a.identity,
        "extractor": a.extractor,
        "run_id": run_id,
        "ingested_at": now,
        "pub_year": pub.year if pub is not None and a.published_precision != "none" else 0,
        "pub_month": pub.month if pub is not None and a.published_precision in ("day", "month") else 0,
        "source_from": result.provenance.source_id if result.provenance is not None else None,
    }


def _child_rows(result: DocumentResult, article_id: str, run_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "mentions": [
            {
                "article_id": article_id,
                "kind": m.kind,
                "surface": m.surface,
                "canonical": m.canonical,
                "start": m.start,
                "end": m.end,
                "sentence": m.sentence,
                "admin1": m.admin1,
                "admin2": m.admin2,
                "lat": m.lat,
                "lon": m.lon,
                "run_id": run_id,
                "canonical_ar": m.canonical_ar,
                "surface_search": m.surface_search,
                "sentence_search": m.sentence_search,
                "part": m.part,
            }
            for m in result.mentions
        ],
        "figures": [
            {
                "article_id": article_id,
                "kind": f.kind,
                "count_low": f.count_low,
                "count_high": f.count_high,
                "qualifier": f.qualifier,
                "sentence": f.sentence,
                "start": f.start,
                "end": f.end,
                "run_id": run_id,
                "sentence_search": f.sentence_search,
                "figure_no": f.figure_no,
                "of_figure": f.of_figure,
                "scope": f.scope,
                "part": f.part,
            }
            for f in result.figures
        ],
        "embeds": [
            {
                "article_id": article_id,
                "kind": e.kind,
                "url": e.url,
                "author": e.author,
                "text": e.text,
                "posted_at": e.posted_at,
                "language": e.language,
                "run_id": run_id,
            }
            for e in result.embeds
        ],
        "removed": [
            {"article_id": article_id, "line_no": r.line_no, "line": r.line, "rule": r.rule, "run_id": run_id}
            for r in result.removed
        ],
    }


def plan_batch(
    results: Iterable[DocumentResult],
    *,
    run_id: str,
    now: datetime,
    stored_by_id: Mapping[str, StoredArticle],
    stored_by_hash: Mapping[str, str],
    known_inputs: set[tuple[str, str]],
    clusters: Mapping[str, str] | None = None,
) -> Plan:
    """Decide each result's fate. `stored_by_id`/`stored_by_hash` describe the lake's latest
    articles for the ids and hashes in this batch; `known_inputs` the (article_id, input_ref)
    pairs already recorded. Within a batch, a later version of the same article wins."""
    plan = Plan()
    by_hash: dict[str, str] = dict(stored_by_hash)
    pending: dict[str, tuple[DocumentResult, int]] = {}
    seen_inputs = set(known_inputs)
    clusters = clusters or {}

    def note_input(article_id: str, a: Article, relation: str) -> None:
        key = (article_id, a.input_ref)
        if key in seen_inputs:
            return
        seen_inputs.add(key)
        plan.rows["article_inputs"].append(
            {
                "article_id": article_id,
                "input_ref": a.input_ref,
                "source_id": a.source_id,
                "url": a.url,
                "content_hash": a.content_hash,
                "relation": relation,
                "run_id": run_id,
                "seen_at": now,
            }
        )

    for result in results:
        if result.reject is not None or result.article is None:
            reject = result.reject
            plan.rejects += 1
            plan.rows["rejects"].append(
                {
                    "input_ref": result.input_ref,
                    "reason": reject.reason if reject else "no_article",
                    "detail": reject.detail if reject else "the transform produced no article",
                    "run_id": run_id,
                    "rejected_at": now,
                }
            )
            continue
        a = result.article
        if a.content_hash in by_hash:
            plan.duplicates += 1
            note_input(by_hash[a.content_hash], a, "duplicate")
            continue
        previous = pending.get(a.article_id)
        stored = stored_by_id.get(a.article_id)
        if previous is not None:
            version = previous[1] + 1
        elif stored is not None:
            version = stored.version + 1
        else:
            version = 1
        if previous is not None or stored is not None:
            plan.articles_updated += 1
            if stored is not None:
                plan.replace_ids.add(a.article_id)
            relation = "version"
        else:
            plan.articles_new += 1
            relation = "stored"
        pending[a.article_id] = (result, version)
        by_hash[a.content_hash] = a.article_id
        note_input(a.article_id, a, relation)
        plan.rows["article_versions"].append(
            _article_row(result, version, run_id, now, clusters.get(a.article_id))
        )

    for article_id, (result, version) in pending.items():
        assert result.article is not None
        plan.rows["articles"].append(
            _article_row(result, version, run_id, now, clusters.get(article_id))
        )
        for table, rows in _child_rows(result, article_id, run_id).items():
            plan.rows[table].extend(rows)
    return plan
