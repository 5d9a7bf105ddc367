"""Events through the real CLI (Prefect + DuckLake on disk): hand-written articles from several
outlets (tests/golden_events/articles.jsonl: one air strike told by two outlets, a strike the same
day in another town, the same town five days later, one arrest campaign from two outlets, a stock
of prisoners), then a later report that ties two events together (bridge.jsonl)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.golden_events.harness import HERE
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

pytestmark = pytest.mark.slow

EVENTS = "SELECT * EXCLUDE (run_id) FROM events ORDER BY event_id"
LINKS = "SELECT event_id, article_id, report_no, figure_no, source_id, kind, count_low FROM event_reports ORDER BY article_id, report_no"


def _copy(name: str, tmp: Path) -> str:
    target = tmp / name
    shutil.copy(HERE / name, target)
    return str(target)


def test_events_are_resolved_kept_on_rerun_merged_by_a_bridge_and_kept_by_maintain(cli: Cli, tmp_path: Path) -> None:
    articles = _copy("articles.jsonl", tmp_path)
    res = cli("load", articles)
    assert res.code == 0, res.stderr
    assert "events: " in res.stdout and "data tests: " in res.stdout and "passed" in res.stdout

    events = cli.sql_json(EVENTS)
    assert sorted((e["kind"], e["place"], e["event_date"], e["reports"], e["outlets"]) for e in events) == [
        ("arrested", "Al-Shuhayl", "2026-03-06", 2, 2),
        ("killed", "Idlib", "2026-03-03", 1, 1),
        ("killed", "Idlib countryside (eastern)", "2026-03-03", 1, 1),
        ("killed", "Saraqib", "2026-03-03", 1, 1),
        ("killed", "Saraqib", "2026-03-08", 1, 1),
    ]
    # every figure of an event has its report, linked by the figure's key; the stock has none
    links = cli.sql_json(LINKS)
    assert len(links) == 7
    orphans = cli.sql_json(
        "SELECT r.article_id FROM event_reports r LEFT JOIN figures f ON f.article_id = r.article_id "
        "AND f.figure_no = r.figure_no WHERE f.article_id IS NULL")
    assert orphans == []
    assert cli.sql_json("SELECT count(*) AS n FROM event_reports r JOIN figures f ON f.article_id = r.article_id "
                        "AND f.figure_no = r.figure_no WHERE f.kind = 'held'") == [{"n": 0}]
    assert cli.sql_json("SELECT count(*) AS n FROM figures WHERE kind = 'held'") == [{"n": 1}]  # queryable, not an event
    tests = cli.sql_json("SELECT status, count(*) AS n FROM data_tests GROUP BY 1")
    assert [t["status"] for t in tests] == ["passed"]
    assert cli.sql_json("SELECT status FROM runs") == [{"status": "completed"}]

    # idempotent: the same input again changes no event, no id, no link
    assert cli("load", articles).code == 0
    assert cli("load", "--full", articles).code == 0
    assert cli.sql_json(EVENTS) == events
    assert cli.sql_json(LINKS) == links
    assert cli.sql_json("SELECT count(*) AS n FROM event_merges") == [{"n": 0}]

    # a later report ties the Saraqib strike to the eastern Idlib report of the same day: one event
    res = cli("load", _copy("bridge.jsonl", tmp_path))
    assert res.code == 0, res.stderr
    merges = cli.sql_json("SELECT from_event, into_event, reason FROM event_merges")
    saraqib = next(e for e in events if e["place"] == "Saraqib" and e["event_date"] == "2026-03-03")
    eastern = next(e for e in events if e["place"] == "Idlib countryside (eastern)")
    assert merges == [{"from_event": eastern["event_id"], "into_event": saraqib["event_id"], "reason": merges[0]["reason"]}]
    assert merges[0]["reason"].startswith("bridged by report ")
    after = {e["event_id"]: e for e in cli.sql_json(EVENTS)}
    assert eastern["event_id"] not in after
    strike = after[saraqib["event_id"]]
    assert (strike["reports"], strike["outlets"], strike["count_low"], strike["count_high"], strike["best"]) == (3, 3, 12, 30, 30)

    # maintain resolves everything again: the same events and ids, no new merge
    res = cli("maintain")
    assert res.code == 0, res.stderr
    assert "events rebuilt" in res.stdout
    assert {e["event_id"]: e for e in cli.sql_json(EVENTS)} == after
    assert len(cli.sql_json("SELECT * FROM event_merges")) == 1
    # the marts count each incident once
    monthly = cli.sql_json("SELECT admin1, kind, events, reports, best FROM mart_events_monthly WHERE kind = 'killed' AND admin1 = 'Idlib'")
    assert monthly == [{"admin1": "Idlib", "kind": "killed", "events": 3, "reports": 5, "best": 37}]


def test_a_failing_data_test_fails_the_run_after_its_data_is_committed(cli: Cli, tmp_path: Path) -> None:
    assert cli("load", _copy("articles.jsonl", tmp_path)).code == 0
    paths = LakePaths(cli.data_dir)
    with writer_lock(paths), LakeWriter(paths) as writer:  # a bad row, as a bug would leave it
        writer.con.execute("UPDATE events SET count_high = count_low - 1 WHERE kind = 'arrested'")
        writer.publish()
    res = cli("load", _copy("bridge.jsonl", tmp_path))
    assert res.code == 1
    assert "events_low_le_high" in res.stderr and "failed its data tests" in res.stderr
    assert "events_low_le_high" in res.stdout  # the run summary lists the failure
    run = cli.sql_json("SELECT status, message FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    assert run["status"] == "failed" and "events_low_le_high" in str(run["message"])
    failed = {f["name"]: f for f in cli.sql_json("SELECT name, failing_rows, sample FROM data_tests WHERE status = 'failed'")}
    # the bad high end breaks three rules: low <= high, best within low..high, the event's count = its event_counts row
    assert sorted(failed) == ["event_headline_count", "events_best_in_range", "events_low_le_high"]
    assert failed["events_low_le_high"]["failing_rows"] == 1
    assert json.loads(str(failed["events_low_le_high"]["sample"]))[0]["kind"] == "arrested"
    # the run's data is committed and visible
    assert cli.sql_json("SELECT count(*) AS n FROM articles WHERE url = 'https://beta.example/saraqib-toll'") == [{"n": 1}]
