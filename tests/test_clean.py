"""The cleaning engine: precision guard, blocks, embedded tweets and short links."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from core import datafile
from transforms.clean import RuleFile, clean_document, load_rules, parse_rules, reads_as_content
from transforms.embeds import attach_status_urls, extract_tweets, snowflake_time
from transforms.pipeline import transform_document
from transforms.records import Embed, RawDocument

RULES = load_rules("ar")
P1 = "وقال التحالف في بيان إن العمليات مستمرة في دير الزور والرقة منذ أيام."
P2 = "وأضاف أن الحملة ستتوسع لتشمل الحسكة خلال الأيام المقبلة بحسب البيان."


def test_content_lines_are_never_taken_by_guarded_rules() -> None:
    lines = [
        "فيسبوك",
        "وقال ناشط إن “فيسبوك” حذف الصفحة بعد ساعات من نشر الصور.",  # a sentence about Facebook
        "«اقرأ أيضاً» هو اسم البرنامج الذي أطلقته الوزارة في الحسكة هذا العام.",
        "التعليقات",
    ]
    cleaned = clean_document(lines, RULES)
    assert cleaned.text_lines == lines[1:3]
    assert [(r.line_no, r.rule) for r in cleaned.removed] == [(0, "share_buttons"), (3, "comment_form")]


def test_reads_as_content() -> None:
    assert reads_as_content(P1)
    assert reads_as_content("قال: “نحن هنا باقون في أرضنا ولن نغادر”")
    assert not reads_as_content("ادعم عنب بلدي")
    assert not reads_as_content("سوريا بحاجة للصحافة الحرة.. ونحن بحاجتك لنبقى مستقلين")


def test_related_block_takes_its_link_list_and_stops_at_a_paragraph() -> None:
    lines = [P1, "اقرأ أيضاً:", "“قسد” تعتقل متهمين بالانتماء للتنظيم", "التحالف يدرب عناصر من “قسد”", P2]
    cleaned = clean_document(lines, RULES)
    assert cleaned.text_lines == [P1, P2]
    assert [r.rule for r in cleaned.removed] == ["related_block"] * 3
    assert [r.line_no for r in cleaned.removed] == [1, 2, 3]


def test_blank_lines_do_not_break_a_block_and_line_numbers_count_them() -> None:
    lines = [P1, "", "الأكثر قراءة", "", "ارتفاع أسعار الخبز في الرقة", "", P2]
    cleaned = clean_document(lines, RULES)
    assert cleaned.lines == [(0, P1), (6, P2)]
    assert [(r.line_no, r.rule) for r in cleaned.removed] == [(2, "related_block"), (4, "related_block")]


def test_tweet_with_text_and_attribution_becomes_an_embed() -> None:
    lines = [
        P1,
        "Coalition forces continue to support the SDF. #DefeatDaesh pic.twitter.com/wnmEkfzS1E",
        "— OIR Spokesman (@OIRSpox) May 24, 2020",
        P2,
    ]
    cleaned = clean_document(lines, RULES)
    assert cleaned.text_lines == [P1, P2]
    (tweet,) = cleaned.embeds
    assert tweet.kind == "tweet" and tweet.author == "@OIRSpox" and tweet.language == "en"
    assert tweet.text is not None and tweet.text.startswith("Coalition forces")
    assert tweet.posted_at == datetime(2020, 5, 24, tzinfo=UTC)
    assert [r.rule for r in cleaned.removed] == ["tweet_text", "tweet_attribution"]


def test_tweet_attribution_on_the_same_line_and_arabic_date() -> None:
    line = "التحالف مستمر في دعم شركائنا #داعش — التحالف الدولي (@CJTFOIR) 7 حزيران 2020"
    out = extract_tweets([(0, P1), (1, line)])
    (tweet,) = out.embeds
    assert tweet.text == "التحالف مستمر في دعم شركائنا #داعش"
    assert tweet.posted_at == datetime(2020, 6, 7, tzinfo=UTC)
    assert out.taken == {1}


def test_an_arabic_paragraph_above_an_attribution_is_not_taken_as_the_tweet() -> None:
    out = extract_tweets([(0, P1), (1, "— OIR Spokesman (@OIRSpox) May 24, 2020"), (2, P2)])
    assert out.taken == {1}
    assert out.embeds[0].text is None


def test_a_line_with_a_handle_but_no_date_is_not_an_attribution() -> None:
    line = "وقال المتحدث باسم التحالف — مايلز كاغينز (@OIRSpox) في تغريدة"
    assert clean_document([line], RULES).text_lines == [line]
    # a date inside a longer tail is a sentence, not an attribution line
    line2 = "وكتب — مايلز كاغينز (@OIRSpox) في تغريدة نشرها يوم May 24, 2020"
    assert clean_document([line2], RULES).text_lines == [line2]


def test_status_url_yields_time_from_the_id() -> None:
    cleaned = clean_document([P1, "https://twitter.com/OIRSpox/status/1269371331553918981", P2], RULES)
    (tweet,) = cleaned.embeds
    assert tweet.url == "https://twitter.com/OIRSpox/status/1269371331553918981"
    assert tweet.author == "@OIRSpox"
    assert tweet.posted_at is not None and tweet.posted_at.date().isoformat() == "2020-06-06"
    assert cleaned.removed[0].rule == "tweet_url"


def test_snowflake_time() -> None:
    assert snowflake_time(1269371331553918981) == datetime(2020, 6, 6, 20, 51, 23, 878000, tzinfo=UTC)
    assert snowflake_time(20) is None  # a pre-2010 id carries no time


def test_short_link_keeps_the_url_with_its_case() -> None:
    cleaned = clean_document([P1, "رابط مختصر: https://example.com/?p=AbC12"], RULES)
    assert cleaned.text_lines == [P1]
    assert [(e.kind, e.url) for e in cleaned.embeds] == [("short_link", "https://example.com/?p=AbC12")]


def test_source_rules_come_first_and_add_to_the_language_rules() -> None:
    extra = parse_rules(datafile.parse({"line": [{"name": "site_footer", "pattern": "^جميع الحقوق محفوظه.*$"}]}, RuleFile))
    rules = RULES.merged(extra)
    cleaned = clean_document([P1, "جميع الحقوق محفوظة © عنب بلدي 2020", "فيسبوك"], rules)
    assert [r.rule for r in cleaned.removed] == ["site_footer", "share_buttons"]


def test_odd_input_never_crashes() -> None:
    for lines in ([], [""], ["   "], ["(", ")", "— (@) ,"], ["\u200f"], ["x" * 5000]):
        clean_document(lines, RULES)


ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةأإآءئؤ ـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩0123456789 \n\t.,،:؛!؟?\"“”«»()-–—@#/اليومأمسالأحدأيار2020(@x)pic.twitter.comhttps://ع"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=400))
def test_transform_never_crashes_on_arbitrary_text(text: str) -> None:
    result = transform_document(RawDocument("fuzz.txt", text.encode(), "text"))
    assert (result.article is None) != (result.reject is None)
    if result.article is not None:
        assert result.article.body.strip()
        assert all(r.line for r in result.removed)


def test_status_urls_from_the_page_attach_to_text_tweets() -> None:
    day = datetime(2020, 6, 6, tzinfo=UTC)
    tweets = [Embed("tweet", author="@OIRSpox", posted_at=day), Embed("tweet", author="@Other", posted_at=day)]
    out = attach_status_urls(tweets, ["https://twitter.com/oirspox/status/1269371331553918981"])
    assert out[0].url == "https://twitter.com/oirspox/status/1269371331553918981"
    assert out[0].posted_at == datetime(2020, 6, 6, 20, 51, 23, 878000, tzinfo=UTC)  # same day: exact time
    assert out[1].url is None  # another handle is never given someone else's link
