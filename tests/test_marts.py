"""The BI marts: views in the DuckLake catalog, visible to every reader of the published copy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.test_warehouse_helpers import arabic_body, doc, load, rows
from transforms.records import Figure, Mention
from warehouse.paths import LakePaths


def _place(canonical: str, admin1: str | None, start: int) -> Mention:
    return Mention("place", canonical, canonical, start, start + len(canonical), None, admin1)


def test_marts_aggregate_per_day_week_and_governorate_month(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    a = doc("a.txt", arabic_body(1), url="https://a.example/1", source_id="enab", published_at="2024-05-06T09:00:00Z")
    b = doc("b.txt", arabic_body(2), url="https://a.example/2", source_id="enab", published_at="2024-05-06T18:00:00Z")
    c = doc("c.txt", arabic_body(3), url="https://c.example/1", source_id="npa", published_at="2024-06-20T09:00:00Z")
    undated = doc("d.txt", arabic_body(4), url="https://d.example/1", source_id="npa", published_at=None)
    # article a: a killed figure next to Raqqa (offset 10) and far from Hasakah (offset 500)
    a.mentions = [_place("الرقة", "Raqqa", 10), _place("الحسكة", "Al-Hasakah", 500), Mention("org", "قسد", "SDF", 30, 33)]
    a.figures = [Figure("killed", 3, 3, "exact", "قتل ثلاثة", 20, 29), Figure("arrested", 10, 12, "range", "اعتقال", 495, 501)]
    b.mentions = [_place("الرقة", "Raqqa", 5)]
    b.figures = [Figure("killed", 2, 2, "exact", "قتل اثنان", 7, 15)]
    c.figures = [Figure("arrested", 5, 5, "exact", "اعتقال خمسة", 0, 10)]  # no place: unknown
    c.mentions = [Mention("org", "قسد", "SDF", 40, 43)]
    undated.mentions, undated.figures = [], []  # only the hand-made facts above
    load(paths, [[a, b, c, undated]])

    daily = rows(paths, "SELECT source_id, day, articles FROM mart_articles_daily ORDER BY 1, 2 NULLS LAST")
    assert daily == [("enab", date(2024, 5, 6), 2), ("npa", date(2024, 6, 20), 1), ("npa", None, 1)]

    weekly = rows(paths, "SELECT week, kind, canonical, admin1, mentions, articles FROM mart_mentions_weekly "
                         "ORDER BY week, kind, canonical")
    assert weekly == [
        (date(2024, 5, 6), "org", "SDF", None, 1, 1),
        (date(2024, 5, 6), "place", "الحسكة", "Al-Hasakah", 1, 1),
        (date(2024, 5, 6), "place", "الرقة", "Raqqa", 2, 2),
        (date(2024, 6, 17), "org", "SDF", None, 1, 1),
    ]

    monthly = rows(paths, "SELECT month, admin1, kind, figures, articles, count_low, count_high "
                          "FROM mart_figures_monthly ORDER BY month, admin1, kind")
    assert monthly == [
        (date(2024, 5, 1), "Al-Hasakah", "arrested", 1, 1, 10, 12),
        (date(2024, 5, 1), "Raqqa", "killed", 2, 2, 5, 5),
        (date(2024, 6, 1), "unknown", "arrested", 1, 1, 5, 5),
    ]
