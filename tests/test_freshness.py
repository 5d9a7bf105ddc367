"""Freshness of the sources: the views source_nights and source_freshness on a real lake with
nights written as a nightly run writes them (article_inputs, fetch_log), the rules from the config
in the lake, the registry's sources, and `news-etl status` (read-only) in its three formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from core.datafile import DataFileError
from core.settings import FreshnessRules, load_config
from render.report import write_report
from tests.conftest import Cli
from tests.test_warehouse_helpers import arabic_body, doc, load
from transforms.registry import registry
from warehouse.freshness import read_status
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.schema import TABLES
from warehouse.writer import LakeWriter

# the nightly runs at 23:30 UTC (02:30 Damascus); a night begins at 12:00 UTC by default
FIRST = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def night(n: int, minutes: int = 0) -> datetime:
    return FIRST + timedelta(days=n, minutes=minutes)


def insert(writer: LakeWriter, table: str, rows: list[dict[str, Any]]) -> None:
    writer.con.register("rows_in", pa.Table.from_pylist(rows, schema=TABLES[table]))
    writer.con.execute(f"INSERT INTO {table} SELECT * FROM rows_in")
    writer.con.unregister("rows_in")


def articles_on(source: str, n: int, count: int, *, minutes: int = 20) -> list[dict[str, Any]]:
    return [
        {"article_id": f"{source}-{n}-{i}", "input_ref": f"https://{source}.example/{n}/{i}", "source_id": source,
         "url": None, "content_hash": f"{source}{n}{i}", "relation": "stored", "run_id": f"load-{n}", "seen_at": night(n, minutes)}
        for i in range(count)
    ]


def fetch_rows(source: str, n: int, outcome: str = "ok", reason: str | None = None) -> list[dict[str, Any]]:
    return [{"run_id": f"fetch-{n}", "source_id": source, "url": f"https://{source}.example/feed", "final_url": None,
             "kind": "feed", "status": 200 if outcome == "ok" else None, "outcome": outcome, "reason": reason, "error": None,
             "attempts": 1, "bytes": None, "fetched_at": night(n)}]


@pytest.fixture
def lake(tmp_path: Path) -> LakePaths:
    """Nine nights of four sources, as the nightly leaves them."""
    paths = LakePaths(tmp_path / "data")
    load(paths, [[doc("seed.txt", arabic_body(1), source_id="enab-baladi")]])
    history = {
        "steady": [10, 12, 9, 11, 10, 12, 11, 10, 9],  # ok
        "gone-quiet": [10, 12, 9, 11, 10, 12, 11, 0, 0],  # silent: two nights without a new article
        "dwindling": [20, 22, 18, 21, 19, 20, 3, 2, 4],  # low: three nights under 25% of its median (20)
        "one-bad-night": [5, 6, 5, 4, 6, 5, 6, 5, 0],  # ok: one night is not two
    }
    with writer_lock(paths), LakeWriter(paths) as writer:
        writer.con.execute("BEGIN")
        for source, counts in history.items():
            for n, count in enumerate(counts):
                insert(writer, "fetch_log", fetch_rows(source, n))
                if count:
                    # the load of the fetched pages starts after midnight UTC: still the same night
                    insert(writer, "article_inputs", articles_on(source, n, count, minutes=50))
        # a source whose feeds fail two nights running (DNS): nights with fetches and no articles
        for n in (7, 8):
            insert(writer, "fetch_log", fetch_rows("ghost", n, "refused", "robots_unavailable"))
        writer.con.execute("COMMIT")
        writer.publish()
    return paths


def by_source(paths: LakePaths) -> dict[str, dict[str, Any]]:
    return {s["source_id"]: s for s in read_status(paths).sources}


def test_each_source_is_judged_against_its_own_nights(lake: LakePaths) -> None:
    s = by_source(lake)
    assert (s["steady"]["status"], s["steady"]["reason"]) == ("ok", None)
    assert s["gone-quiet"]["status"] == "silent"
    assert s["gone-quiet"]["reason"] == "no new article in its last 2 night(s)"
    assert s["dwindling"]["status"] == "low" and s["dwindling"]["median_articles"] == 20
    assert s["dwindling"]["reason"] == "fewer new articles than 25% of its median (20.0) in each of its last 3 night(s)"
    assert s["one-bad-night"]["status"] == "ok"
    assert s["ghost"]["status"] == "silent" and s["ghost"]["nights"] == 2 and s["ghost"]["articles"] == 0
    assert s["ghost"]["last_fetch_ok_at"] is None and s["steady"]["last_fetch_ok_at"] == night(8)
    # nights: one per nightly run, although each load ran after midnight UTC
    assert s["steady"]["nights"] == 9 and s["steady"]["last_night"].isoformat() == "2026-03-09"
    assert s["steady"]["recent_articles"][:3] == [9, 10, 11] and s["steady"]["last_night_articles"] == 9
    # the registry's sources are listed too: never seen, never flagged
    assert s["sy24"]["status"] == "unseen" and s["sy24"]["registered"] is True
    assert set(registry().sources) <= set(s)
    assert s["enab-baladi"]["status"] == "ok" and s["enab-baladi"]["articles"] == 1
    # flagged first
    order = [x["source_id"] for x in read_status(lake).sources]
    assert order[:3] == ["ghost", "gone-quiet", "dwindling"]


def test_the_rules_come_from_the_config_and_live_in_the_lake(lake: LakePaths, tmp_path: Path) -> None:
    config = tmp_path / "news-etl.yaml"
    config.write_text("inputs: []\nfreshness: {silent_nights: 3, low_ratio: 0.1, low_nights: 2}\n", encoding="utf-8")
    rules = load_config(str(config)).freshness
    assert rules == FreshnessRules(silent_nights=3, low_ratio=0.1, low_nights=2)
    with writer_lock(lake), LakeWriter(lake) as writer:
        assert writer.set_freshness_rules(rules)
        assert not writer.set_freshness_rules(rules)  # unchanged: no new snapshot
    s = by_source(lake)
    assert s["gone-quiet"]["status"] == "low"  # not silent (two nights are not three), but two nights under 10%
    assert s["ghost"]["status"] == "ok"  # only two nights seen
    assert s["dwindling"]["status"] == "ok"  # 2 is not under 10% of 20...
    assert read_status(lake).rules["silent_nights"] == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("freshness: {low_ratio: 2, silent_night: 1}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="silent_night"):
        load_config(str(bad))


def test_the_report_marks_the_sources_that_need_attention(lake: LakePaths, tmp_path: Path) -> None:
    page = write_report(lake, tmp_path / "report.html").read_text("utf-8")
    assert '<p id="sources-attention">3 source(s) need attention.</p>' in page
    assert page.count('<tr class="attention"><td>') == 3 and "<td>gone-quiet</td>" in page
    assert "<td>sy24</td>" not in page  # registered but never seen: not a row of the report


def test_status_is_read_only_and_speaks_table_csv_json(lake: LakePaths) -> None:
    cli = Cli(data_dir=lake.data_dir, env={})
    files = sorted(p.name for p in lake.lake_dir.rglob("*"))
    res = cli("status")
    assert res.code == 0, res.stderr
    assert "sources: 3 need attention" in res.stdout and "| gone-quiet" in res.stdout and "last 1 runs" in res.stdout
    doc_ = json.loads(cli("status", "--format", "json").stdout)
    assert doc_["need_attention"] == ["ghost", "gone-quiet", "dwindling"]
    assert {r["flow"] for r in doc_["runs"]} == {"load"} and doc_["rules"]["silent_nights"] == 2
    assert next(r for r in doc_["sources"] if r["source_id"] == "steady")["last_fetch_ok"].startswith("2026-03-09T23:30")
    sources = list(csv.DictReader(io.StringIO(cli("status", "--section", "sources", "--format", "csv").stdout)))
    assert {r["source_id"]: r["status"] for r in sources}["dwindling"] == "low"
    blocks = cli("status", "--format", "csv").stdout.split("\n\n")
    assert [b.splitlines()[0].split(":")[0] for b in blocks] == ["# last 1 runs", "# sources", "# rejects by reason"]
    assert cli("status", "--runs", "0").code == 2
    assert sorted(p.name for p in lake.lake_dir.rglob("*")) == files  # nothing written
    missing = Cli(data_dir=lake.data_dir.parent / "nowhere", env={})("status")
    assert missing.code == 1 and "no warehouse" in missing.stderr
