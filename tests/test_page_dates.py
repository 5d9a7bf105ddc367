"""Publication dates of HTML pages: the time and zone kept, the dateline under the headline, and
htmldate's extensive search only where something else backs it (transforms/page_meta.py, fields.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from transforms.dates import weekday_agrees, written_dates
from transforms.fields import local_day, parse_iso_date
from transforms.html import parse_tree
from transforms.page_meta import PageDates, latest_day, page_dates, page_meta, visible_lines
from transforms.pipeline import transform_document
from transforms.records import RawDocument

CRAWL = date(2025, 12, 20)
PARAGRAPH = "The council met on Tuesday to discuss the new water plan for the district and its villages. " * 3


def page(head: str = "", body: str = "") -> str:
    return f"<html><head><title>Water plan approved by the council</title>{head}</head><body>{body}</body></html>"


def dates_of(html: str, url: str | None = None, latest: date = CRAWL) -> PageDates:
    tree = parse_tree(html)
    assert tree is not None
    return page_dates(tree, page_meta(tree, url), latest)


# -- ISO dates from metadata ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "instant", "precision", "offset"),
    [
        ("2024-03-05T10:00:00+03:00", datetime(2024, 3, 5, 7, 0, tzinfo=UTC), "minute", 180),
        ("2024-03-05T10:00:00+0300", datetime(2024, 3, 5, 7, 0, tzinfo=UTC), "minute", 180),  # htmldate's form
        ("2024-03-05T23:30:00-05:00", datetime(2024, 3, 6, 4, 30, tzinfo=UTC), "minute", -300),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, 0, tzinfo=UTC), "minute", 0),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC), "day", None),
        ("2024-03-05T00:00:00", datetime(2024, 3, 5, tzinfo=UTC), "day", None),  # a date alone, from htmldate
        ("2024-03-05T10:00:00", datetime(2024, 3, 5, tzinfo=UTC), "day", None),  # a time without a zone: the day only
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC), "month", None),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC), "year", None),
    ],
)
def test_a_time_with_its_zone_is_kept(value: str, instant: datetime, precision: str, offset: int | None) -> None:
    parsed = parse_iso_date(value, "page metadata")
    assert (parsed.value, parsed.precision, parsed.offset_minutes) == (instant, precision, offset)


def test_a_time_without_a_zone_says_what_was_dropped_unless_the_outlet_has_a_zone() -> None:
    assert "has no zone, so only the day is kept" in (parse_iso_date("2024-03-05T10:00:00", "input metadata").note or "")
    from zoneinfo import ZoneInfo

    parsed = parse_iso_date("2024-03-05T10:00:00", "input metadata", ZoneInfo("Asia/Damascus"))
    assert (parsed.value, parsed.precision, parsed.offset_minutes) == (datetime(2024, 3, 5, 7, 0, tzinfo=UTC), "minute", 180)


def test_the_local_day_is_the_sources() -> None:
    late = parse_iso_date("2024-03-05T23:30:00-05:00", "x")
    assert late.value is not None and late.value.date() == date(2024, 3, 6)
    assert local_day(late.value, late.offset_minutes) == date(2024, 3, 5)


def test_html_metadata_time_reaches_the_article_like_a_jsonl_time() -> None:
    meta = '<meta property="article:published_time" content="2024-03-05T10:00:00+03:00">'
    html = page(meta, f"<h1>Water plan</h1><p>{PARAGRAPH}</p>")
    for raw in (
        RawDocument("p.html", html.encode(), "html"),
        RawDocument("a.jsonl#1", PARAGRAPH.encode(), "text", published_at="2024-03-05T10:00:00+03:00"),
    ):
        article = transform_document(raw).article
        assert article is not None
        assert (article.published_at, article.published_precision, article.published_offset_minutes) == (
            datetime(2024, 3, 5, 7, 0, tzinfo=UTC),
            "minute",
            180,
        )


# -- dates written in the page --------------------------------------------------------------------


def test_written_dates_in_several_forms() -> None:
    text = "Posted July 17, 2025; 17.05.2021; 2024-01-31; 05/06/2024; اليوم الأحد 24 من أيار 2020; ٣ أيلول ٢٠٢٠"
    assert [d for _, d in written_dates(text)] == [
        date(2025, 7, 17), date(2021, 5, 17), date(2024, 1, 31), date(2020, 5, 24), date(2020, 9, 3)
    ]  # the slashed date is ambiguous (May 6 or June 5) and left out


def test_visible_lines_leave_out_scripts_and_quoted_material() -> None:
    tree = parse_tree(
        "<html><body><h1>A headline here</h1><div><span>By X</span> | <time>Dec 17, 2025</time></div>"
        "<script>var d='2020-01-01'</script><blockquote>a tweet, 1 May 2020</blockquote>"
        "<figure><figcaption>photo, 2 May 2020</figcaption></figure><p>Text <b>bold</b><br>next</p></body></html>"
    )
    assert tree is not None
    assert visible_lines(tree) == ["A headline here", "By X | Dec 17, 2025", "Text bold", "next"]


def test_the_dateline_under_the_headline() -> None:
    body = f"<nav>Home | News</nav><h1>Water plan approved by the council</h1><div>By Sam | 17.05.2021</div><p>{PARAGRAPH}</p>"
    got = dates_of(page(body=body))
    assert got.dateline is not None and (got.dateline.value, got.dateline.where) == ("2021-05-17", "dateline")
    assert got.metadata is None and got.text_search is None


def test_a_date_inside_a_sentence_is_an_event_not_a_dateline() -> None:
    body = f"<h1>Water plan approved by the council</h1><p>On March 3, 2024, the council voted. {PARAGRAPH}</p>"
    assert dates_of(page(body=body)).dateline is None


def test_no_date_after_the_crawl() -> None:
    body = f"<h1>Water plan approved by the council</h1><div>December 30, 2025</div><p>{PARAGRAPH}</p>"
    assert dates_of(page(body=body)).dateline is None
    assert dates_of(page(body=body), latest=date(2026, 1, 1)).dateline is not None
    assert latest_day(datetime(2025, 12, 20, 23, 0, tzinfo=UTC)) == date(2025, 12, 21)


def test_metadata_comes_first_and_keeps_its_time() -> None:
    head = '<meta property="article:published_time" content="2025-12-01T08:30:00+02:00">'
    got = dates_of(page(head, f"<h1>Water plan approved by the council</h1><div>17.05.2021</div><p>{PARAGRAPH}</p>"))
    assert got.metadata is not None and got.metadata.value == "2025-12-01T08:30:00+0200" and got.dateline is None


def test_the_extensive_search_needs_backing() -> None:
    # no metadata, no dateline: htmldate's extensive search finds "2024" in the text and says
    # January 1st; nothing backs it
    body = f"<h1>Water plan approved by the council</h1><p>{PARAGRAPH} The plan runs until 2024 and after.</p>"
    assert dates_of(page(body=body)) == PageDates()


def test_a_weekday_in_the_text_must_fit_a_searched_date() -> None:
    assert weekday_agrees(date(2021, 3, 15), "قال ناشطون، أمس الأحد، إن")  # Monday: yesterday was Sunday
    assert not weekday_agrees(date(2021, 3, 14), "قال ناشطون، أمس الأحد، إن")
    assert weekday_agrees(date(2021, 3, 14), "no weekday here")


def test_a_searched_date_backed_by_a_date_label_elsewhere_in_the_page() -> None:
    paragraphs = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(3))
    body = f"<h1>Water plan approved by the council</h1>{paragraphs}<div>Last updated: November 13, 2025</div>"
    got = dates_of(page(body=body))
    assert got.dateline is None  # too far under the headline
    assert got.text_search is not None and got.text_search.value == "2025-11-13"
    assert "on a line of its own" in got.text_search.origin


def test_a_tweet_s_date_backs_nothing() -> None:
    quote = (
        '<blockquote class="twitter-tweet"><p>Archives matter.</p>&mdash; Archive (@a) '
        '<a href="https://twitter.com/a/status/1">March 14, 2021</a></blockquote>'
    )
    body = f"<h1>Water plan approved by the council</h1><p>{PARAGRAPH}</p>{quote}"
    assert dates_of(page(body=body)) == PageDates()
