"""What the workers compute before the commit (collect/extract.py `for_commit`) equals what the
committing process would compute itself: the near-duplicate signature of body_search, and the
event reports that warehouse/events.py reads from the stored article (`read_articles`, then
`reports_of`). Real transform, real DuckLake on disk, real LakeWriter; the fixtures are the
bundled samples (text and HTML), the golden events articles and the dev set of labelled
sentences (each one an article)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from collect.extract import transform_item
from collect.inputs import jsonl_record, plan_units, read_unit
from tests.conftest import SAMPLES
from tests.golden_events.harness import HERE as EVENTS_DIR
from transforms import neardup
from transforms.events import Report, reports_of, rules_version
from transforms.records import DocumentResult, RawDocument
from warehouse import events as wh_events
from warehouse import writer as wh_writer
from warehouse.batch import commit_counts_total
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

SENTENCES = Path(__file__).resolve().parent / "golden_facts" / "labelled_sentences.jsonl"
SOURCES = ("enab", "sy24", "northpress")


def _samples() -> Iterator[DocumentResult]:
    for unit in plan_units(sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".txt", ".html"))):
        for item in read_unit(unit):
            yield transform_item(item)


def _jsonl(name: str) -> list[DocumentResult]:
    out = []
    for line in (EVENTS_DIR / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        raw = jsonl_record(record, record["url"])
        assert isinstance(raw, RawDocument)
        out.append(transform_item(raw))
    return out


def _sentences() -> list[DocumentResult]:
    """Each labelled sentence as a short article of one of three outlets, on one of a few days
    (so that some of them are one incident told twice)."""
    out = []
    for i, line in enumerate(SENTENCES.read_text(encoding="utf-8").splitlines()):
        text = json.loads(line)["text"]
        raw = RawDocument(
            input_ref=f"sentences.jsonl#{i}", content=text.encode("utf-8"), media_type="text",
            source_id=SOURCES[i % 3], url=f"https://example.org/s/{i}", title=f"خبر {i}",
            published_at=f"2026-03-0{1 + i % 4}T0{i % 10}:30:00+03:00",
        )
        out.append(transform_item(raw))
    return out


def _bare(results: list[DocumentResult]) -> list[DocumentResult]:
    """The same results without what the workers computed (the flow process computes it)."""
    return [replace(r, signature=None, reports=None, reports_rules=None) for r in results]


def _key(rep: Report) -> tuple[Any, ...]:
    """A report with the ISO text of its publication (resolution orders by it)."""
    return (rep, rep.published_at.isoformat() if rep.published_at is not None else None)


RUNS = [  # run id -> batches
    ("run-1", lambda: [list(_samples()), _jsonl("articles.jsonl") + _jsonl("tolls.jsonl")]),
    ("run-2", lambda: [_sentences()[:20], _sentences()[20:]]),
    ("run-3", lambda: [_jsonl("bridge.jsonl")]),
]

EVENT_SQL = {
    "events": "SELECT * FROM events ORDER BY event_id",
    "event_counts": "SELECT * FROM event_counts ORDER BY event_id, kind",
    "event_reports": "SELECT * FROM event_reports ORDER BY article_id, report_no",
    "event_merges": "SELECT * EXCLUDE (merged_at) FROM event_merges ORDER BY from_event, into_event",
    "event_articles": "SELECT * FROM event_articles ORDER BY article_id, version",
    "clusters": "SELECT article_id, version, cluster_id FROM articles ORDER BY article_id",
    "article_minhash": "SELECT article_id, cluster_id, signature FROM article_minhash ORDER BY article_id",
    "article_lsh": "SELECT article_id, band, bucket FROM article_lsh ORDER BY article_id, band",
}


def _load(paths: LakePaths, run_id: str, batches: list[list[DocumentResult]]) -> tuple[dict[str, list[Any]], int]:
    """One run as the load flow drives the writer; the lake's event and near-duplicate tables
    after it, and how many articles resolution read back from the lake."""
    read: list[int] = []
    real = wh_events.read_articles

    def counting(con: Any, ids: Any) -> Any:
        read.append(len(ids))
        return real(con, ids)

    with pytest.MonkeyPatch.context() as mp, writer_lock(paths), LakeWriter(paths) as writer:
        mp.setattr(wh_events, "read_articles", counting)  # the real function, counted
        writer.start_run(run_id, "load", {"test": True})
        parts = [writer.commit_batch(run_id, batch, no) for no, batch in enumerate(batches)]
        status, message = writer.finish_checked(run_id, {**commit_counts_total(parts), "batches": len(parts)}, None)
        assert status == "completed", message
        tables = {name: writer.con.execute(sql).fetchall() for name, sql in EVENT_SQL.items()}
    return tables, sum(read)


def test_worker_signatures_equal_the_flow_process_ones() -> None:
    results = list(_samples()) + _jsonl("articles.jsonl") + _sentences()
    arts = [r for r in results if r.article is not None]
    assert len(arts) >= 50
    for r in arts:
        assert r.article is not None
        assert r.signature == neardup.signature(r.article.body_search)
        assert r.reports_rules == rules_version()
        assert r.reports is not None


def test_worker_reports_equal_the_reports_read_back_from_the_lake(tmp_path: Path) -> None:
    paths = LakePaths(data_dir=tmp_path / "data")
    total = 0
    for run_id, batches in RUNS:
        given = [r for batch in batches() for r in batch]
        _load(paths, run_id, [given])
        with writer_lock(paths), LakeWriter(paths) as writer:
            latest = {r.article.article_id: r for r in given if r.article is not None}
            stored = wh_events.read_articles(writer.con, sorted(latest))
            assert len(stored) >= len(latest) - 2  # (a duplicate of another is not stored)
            zone = wh_events._utc_session(writer.con)  # the conversion resolution applies
            assert zone is not None
            for article in stored:
                worker = latest[article.article_id].reports
                assert worker is not None
                assert [_key(r) for r in wh_events._as_read(worker, zone)] == [_key(r) for r in reports_of(article)]
                total += len(worker)
    assert total >= 30  # the fixtures hold reports to compare


def test_events_tables_are_the_same_whether_the_workers_or_the_writer_read_the_reports(tmp_path: Path) -> None:
    fast, slow = LakePaths(data_dir=tmp_path / "fast"), LakePaths(data_dir=tmp_path / "slow")
    for run_id, batches in RUNS:
        worker = batches()
        got_fast, read_fast = _load(fast, run_id, worker)
        got_slow, read_slow = _load(slow, run_id, [_bare(b) for b in worker])
        assert read_fast == 0, "every article's reports came from the workers"
        assert read_slow > 0
        for name in EVENT_SQL:
            assert got_fast[name] == got_slow[name], name
    assert got_fast["events"], "the fixtures make events"


def test_reports_of_another_version_or_other_rules_are_read_from_the_lake(tmp_path: Path) -> None:
    paths = LakePaths(data_dir=tmp_path / "data")
    batch = _jsonl("articles.jsonl")
    stale_rules = [replace(r, reports_rules="an older reader") for r in batch[:3]] + batch[3:]
    _, read = _load(paths, "run-1", [stale_rules])
    assert read == 3
    # the same article ids again with the reports left out: nothing new to read (idempotent)
    tables, read = _load(paths, "run-2", [_bare(batch)])
    assert read == 0
    again, read = _load(paths, "run-3", [batch])
    assert read == 0 and again["events"] == tables["events"]


def test_beyond_the_kept_reports_the_articles_are_read_back_with_the_same_events(tmp_path: Path) -> None:
    batches = [_sentences()]
    fast, capped = LakePaths(data_dir=tmp_path / "fast"), LakePaths(data_dir=tmp_path / "capped")
    want, read = _load(fast, "run-1", batches)
    assert read == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wh_writer, "KEEP_REPORTS", 10)
        got, read = _load(capped, "run-1", batches)
    stored = len(want["clusters"])
    assert read == stored - 10 > 0
    assert got == want
