"""Publication dates from Arabic text: month names, anchored mentions, year resolution."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from transforms.dates import anchored_mentions, month_years, parse_full_date, resolve_text_date

LEVANTINE = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"]
EGYPTIAN = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]


@pytest.mark.parametrize("names", [LEVANTINE, EGYPTIAN])
def test_every_month_name(names: list[str]) -> None:
    for number, name in enumerate(names, start=1):
        assert parse_full_date(f"في 3 من {name} 2021 وقع الهجوم") == date(2021, number, 3), name
        assert month_years(f"منذ {name} 2019") == [(2019, number)], name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("May 24, 2020", date(2020, 5, 24)),
        ("24 May 2020", date(2020, 5, 24)),
        ("٢٤ أيار ٢٠٢٠", date(2020, 5, 24)),  # Arabic-Indic digits
        ("24 من شهر أيار عام 2020", date(2020, 5, 24)),
        ("31 شباط 2020", None),  # not a calendar date
        ("حزيران 2020", None),  # no day
    ],
)
def test_parse_full_date(text: str, expected: date | None) -> None:
    assert parse_full_date(text) == expected


def test_month_words_need_word_boundaries() -> None:
    # "آب" (August) is also part of other words; "مايو" inside a longer word is not a month
    assert month_years("الآباء 2020") == []
    assert month_years("في آب 2020") == [(2020, 8)]


def test_anchored_mentions() -> None:
    (m,) = anchored_mentions("وعقد القائد، اليوم الأحد 24 من أيار، لقاء")
    assert (m.offset, m.weekday, m.day, m.month, m.year) == (0, 6, 24, 5, None)
    (m,) = anchored_mentions("قال أمس الأحد لموقع")
    assert (m.offset, m.weekday, m.day) == (-1, 6, None)
    assert anchored_mentions("لليوم الرابع على التوالي") == []  # لليوم is not the word اليوم


def test_weekday_and_tweet_fix_the_year() -> None:
    got = resolve_text_date("اليوم الأحد 24 من أيار، لقاء", strong_evidence=[date(2020, 5, 24)])
    assert got.value == datetime(2020, 5, 24, tzinfo=UTC) and got.precision == "day"
    assert got.note is not None and "2020" in got.note


def test_caption_month_fixes_the_year_and_weekday_rejects_the_others() -> None:
    text = "وتوسعت الحملة اليوم، الأحد 7 من حزيران، لتشمل القرى. وفي تشرين الأول 2019 قتل زعيمه."
    got = resolve_text_date(text, evidence_months=[(2020, 6)])
    assert got.value == datetime(2020, 6, 7, tzinfo=UTC)


def test_weekday_that_fits_no_evidence_leaves_the_date_empty() -> None:
    got = resolve_text_date("اليوم الاثنين 24 من أيار، لقاء", strong_evidence=[date(2020, 5, 24)])
    assert got.value is None and got.precision == "none"
    assert got.note is not None and "agrees" in got.note


def test_never_invent_a_year() -> None:
    got = resolve_text_date("اليوم الأحد 24 من أيار، لقاء")
    assert got.value is None and got.precision == "none"
    assert got.note is not None and "year" in got.note


def test_explicit_year_in_the_anchored_mention() -> None:
    got = resolve_text_date("اليوم الأحد 7 من حزيران 2020")
    assert got.value == datetime(2020, 6, 7, tzinfo=UTC)
    assert resolve_text_date("اليوم الاثنين 7 من حزيران 2020").value is None  # wrong weekday


def test_relative_words_against_the_crawl_date() -> None:
    crawl = datetime(2020, 11, 9, 6, 0, tzinfo=UTC)  # a Monday
    assert resolve_text_date("قال أمس الأحد", fetched_at=crawl).value == datetime(2020, 11, 8, tzinfo=UTC)
    assert resolve_text_date("وفجر اليوم نفذت القوات", fetched_at=crawl).value == datetime(2020, 11, 9, tzinfo=UTC)
    assert resolve_text_date("قال أمس الخميس", fetched_at=crawl).value is None  # no Thursday just before
    # written on Sunday, crawled early on Monday: the weekday names the day, not the crawl
    got = resolve_text_date("حدد رئيس الوزراء، اليوم (الأحد)، ملامح", fetched_at=crawl)
    assert got.value == datetime(2020, 11, 8, tzinfo=UTC)
    # a day and month in early January crawled on 2 January: this year; in late December: last year
    jan = datetime(2021, 1, 2, tzinfo=UTC)
    assert resolve_text_date("اليوم 1 من كانون الثاني", fetched_at=jan).value == datetime(2021, 1, 1, tzinfo=UTC)
    assert resolve_text_date("اليوم 30 من كانون الأول", fetched_at=jan).value == datetime(2020, 12, 30, tzinfo=UTC)


def test_relative_word_without_a_crawl_date() -> None:
    got = resolve_text_date("قال أمس الأحد لموقع")
    assert got.value is None and got.note is not None and "crawl date" in got.note


def test_no_date_at_all() -> None:
    got = resolve_text_date("نص بلا تاريخ")
    assert (got.value, got.precision) == (None, "none")
