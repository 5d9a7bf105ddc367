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
