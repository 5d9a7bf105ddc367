"""The BI marts: views in the DuckLake catalog, visible to every reader of the published copy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.test_warehouse_helpers import arabic_body, doc, load, rows
from transforms.records import Figure, Mention
from warehouse.paths import LakePaths


def _place(canonical: str, admin1: str | None, start: int, sentence: str | None = None) -> Mention:
    return Mention("place", canonical, canonical, start, start + len(canonical), sentence, admin1)


def test_marts_aggregate_per_day_week_and_governorate_month(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    a = doc("a.txt", arabic_body(1), url="https://a.example/1", source_id="enab", published_at="2024-05-06T09:00:00Z")
    b = doc("b.txt", arabic_body(2), url="https://a.example/2", source_id="enab", published_at="2024-05-06T18:00:00Z")
    c = doc("c.txt", arabic_body(3), url="https://c.example/1", source_id="npa", published_at="2024-06-20T09:00:00Z")
    undated = doc("d.txt", arabic_body(4), url="https://d.example/1", source_id="npa", published_at=None)
    # article a: Raqqa is named in the killed sentence, Hasakah in the arrested one
    s1, s2 = "قتل ثلاثة في الرقة", "اعتقال عشرة في الحسكة"
    a.mentions = [_place("الرقة", "Raqqa", 10, s1), _place("الحسكة", "Al-Hasakah", 500, s2), Mention("org", "قسد", "SDF", 30, 33)]
    a.figures = [Figure("killed", 3, 3, "exact", s1, 0, 9), Figure("arrested", 10, 12, "range", s2, 490, 501)]
    # article b: its sentence names no place; the article's main governorate (Raqqa twice) wins over Hasakah
    b.mentions = [_place("الحسكة", "Al-Hasakah", 1, "x"), _place("الرقة", "Raqqa", 5, "y"), _place("الطبقة", "Raqqa", 9, "z")]
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
        (date(2024, 5, 6), "place", "الحسكة", "Al-Hasakah", 2, 2),
        (date(2024, 5, 6), "place", "الرقة", "Raqqa", 2, 2),
        (date(2024, 5, 6), "place", "الطبقة", "Raqqa", 1, 1),
        (date(2024, 6, 17), "org", "SDF", None, 1, 1),
    ]

    monthly = rows(paths, "SELECT month, admin1, kind, figures, articles, count_low, count_high "
                          "FROM mart_figures_monthly ORDER BY month, admin1, kind")
    assert monthly == [
        (date(2024, 5, 1), "Al-Hasakah", "arrested", 1, 1, 10, 12),
        (date(2024, 5, 1), "Raqqa", "killed", 2, 2, 5, 5),
        (date(2024, 6, 1), "unknown", "arrested", 1, 1, 5, 5),
    ]


def test_figure_governorate_rule_sentence_then_article_then_unknown(tmp_path: Path) -> None:
    """One rule (figure_governorates) behind the mart and the report: a sentence naming places of
    two governorates falls back to the article's main governorate; ties go to the first named."""
    paths = LakePaths(tmp_path / "data")
    a = doc("a.txt", arabic_body(1), url="https://a.example/1", source_id="enab", published_at="2024-05-06T09:00:00Z")
    mixed = "مقتل شخصين بين الرقة والحسكة"
    a.mentions = [_place("الحسكة", "Al-Hasakah", 3, "أ"), _place("الرقة", "Raqqa", 40, mixed), _place("الحسكة", "Al-Hasakah", 50, mixed)]
    a.figures = [Figure("killed", 2, 2, "exact", mixed, 30, 38), Figure("arrested", 4, 4, "exact", "اعتقال أربعة", 90, 99)]
    b = doc("b.txt", arabic_body(2), url="https://a.example/2", source_id="enab", published_at="2024-05-07T09:00:00Z")
    b.mentions, b.figures = [], [Figure("killed", 1, 1, "exact", "قتل شخص", 0, 6)]
    load(paths, [[a, b]])
    got = rows(paths, "SELECT count_low, governorate, governorate_from FROM figure_governorates ORDER BY count_low")
    assert got == [(1, "unknown", "none"), (2, "Al-Hasakah", "article"), (4, "Al-Hasakah", "article")]


def test_open_counts_make_the_high_end_of_a_sum_unknown_and_events_count_incidents_once(tmp_path: Path) -> None:
    """"more than 20" has no upper end: the month's count_high is NULL, never below count_low. One
    incident told by two outlets is one event; killed and injured of it sit side by side."""
    paths = LakePaths(tmp_path / "data")
    a = doc("a.txt", "قتل أكثر من 20 مدنيا وأصيب 40 آخرون أمس في غارة جوية على سوق مدينة سراقب في ريف إدلب.",
            url="https://a.example/1", source_id="alpha", published_at="2024-05-07T09:00:00Z")
    b = doc("b.txt", "قتل 25 مدنيا أمس الاثنين في غارة جوية استهدفت سوق مدينة سراقب بريف إدلب.",
            url="https://b.example/1", source_id="beta", published_at="2024-05-07T12:00:00Z")
    load(paths, [[a, b]])
    (row,) = rows(paths, "SELECT kind, figures, count_low, count_high FROM mart_figures_monthly WHERE kind = 'killed'")
    assert row == ("killed", 2, 46, None)
    events = rows(paths, "SELECT kind, event_date, place, count_low, count_high, best, reports, outlets FROM events")
    assert events == [("killed", date(2024, 5, 6), "Saraqib", 21, None, 25, 2, 2)]
    monthly = rows(paths, "SELECT month, admin1, kind, events, reports, best, count_low, count_high FROM mart_events_monthly")
    assert monthly == [(date(2024, 5, 1), "Idlib", "killed", 1, 2, 25, 21, None)]
    counts = rows(paths, "SELECT kind, events, best, count_low, count_high FROM mart_event_counts_monthly ORDER BY kind")
    assert counts == [("injured", 1, 40, 40, 40), ("killed", 1, 25, 21, None)]
    assert rows(paths, "SELECT status, count(*) FROM data_tests GROUP BY 1") == [("passed", 25)]
