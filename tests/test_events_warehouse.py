"""Events in a real lake, written without Prefect (warehouse/events.py through the real writer):
incremental resolution keeps ids unique when a changed article's report moves to another
governorate, and the data tests pass."""

from __future__ import annotations

from pathlib import Path

from tests.test_warehouse_helpers import doc, load, rows
from warehouse.paths import LakePaths


def test_a_changed_article_moving_governorate_keeps_event_ids_unique(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    text = "قتل 7 مدنيين أمس في غارة جوية على سوق مدينة {place} في ريف المحافظة."
    x1 = doc("x.txt", text.format(place="سراقب"), url="https://x.example/1", source_id="x", published_at="2024-05-07T09:00:00Z")
    y = doc("y.txt", "أفادت مصادر محلية بأنه " + text.format(place="سراقب"), url="https://y.example/1", source_id="y",
            published_at="2024-05-07T10:00:00Z")
    load(paths, [[x1, y]], run_id="run-1")
    first = rows(paths, "SELECT event_id, admin1, reports FROM events")
    assert [(a, n) for _, a, n in first] == [("Idlib", 2)]
    # the first outlet corrects its article: the strike was in Manbij (Aleppo)
    x2 = doc("x.txt", text.format(place="منبج"), url="https://x.example/1", source_id="x", published_at="2024-05-07T09:00:00Z")
    load(paths, [[x2]], run_id="run-2")
    after = rows(paths, "SELECT event_id, admin1, reports FROM events ORDER BY admin1")
    assert [(a, n) for _, a, n in after] == [("Aleppo", 1), ("Idlib", 1)]
    assert len({e for e, _, _ in after}) == 2
    idlib = next(e for e, a, _ in after if a == "Idlib")
    assert idlib == first[0][0] or rows(paths, "SELECT count(*) FROM event_merges") == [(0,)]
    assert rows(paths, "SELECT status, count(*) FROM data_tests WHERE run_id = 'run-2' GROUP BY 1") == [("passed", 25)]


def test_a_later_report_placed_only_in_syria_joins_the_incident_it_restates(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    placed = doc("p.txt", "قال المرصد إن العقيد خالد الحسن قتل أمس برصاص مسلحين قرب مدينة سراقب في ريف إدلب.",
                 url="https://p.example/1", source_id="p", published_at="2024-05-07T09:00:00Z")
    load(paths, [[placed]], run_id="run-1")
    (event,) = rows(paths, "SELECT event_id, admin1 FROM events")
    assert event[1] == "Idlib"
    # two days later another outlet restates it and names only Syria: it takes the incident's governorate
    later = doc("q.txt", "وأعلنت مصادر في سوريا مقتل العقيد خالد الحسن برصاص مسلحين مجهولين أثناء عودته إلى منزله. "
                "ولم تعلن أي جهة مسؤوليتها عن الحادثة حتى الآن، وفق المصادر نفسها.",
                url="https://q.example/1", source_id="q", published_at="2024-05-09T09:00:00Z")
    load(paths, [[later]], run_id="run-2")
    assert rows(paths, "SELECT event_id, admin1, reports, outlets FROM events") == [(event[0], "Idlib", 2, 2)]
    assert rows(paths, "SELECT place_from FROM event_reports WHERE source_id = 'q'") == [("match",)]
    assert rows(paths, "SELECT count(*) FROM data_tests WHERE run_id = 'run-2' AND status <> 'passed'") == [(0,)]
