"""Article fields: title vs lede, subtitle, caption, byline, SEO suffix, outlet, language."""

from __future__ import annotations

import pytest

from transforms.fields import detect_language, looks_like_headline
from transforms.headings import analyse_header, is_subtitle, match_caption, seo_suffix, split_suffix
from transforms.outlets import canonical_outlet, detect_outlet
from transforms.pipeline import transform_document
from transforms.records import RawDocument

LEDE = (
    "ناقش التحالف الدولي مع “قوات سوريا الديمقراطية” (قسد) الإجراءات التي يجري اتباعها للحد من العمليات المتزايدة"
    " لتنظيم “الدولة الإسلامية”، في شمال شرقي سوريا."
)
ECCI = "ECCI (European Centre for Counterterrorism and Intelligence Studies)"
PARA = "وأضاف أن “التحالف مستمر في شراكته مع قوات سوريا الديمقراطية، وسنستمر في استهداف داعش في سوريا حتى لا يهدد المنطقة مرة أخرى”."


def numbered(*lines: str) -> list[tuple[int, str]]:
    return list(enumerate(lines))


def test_a_full_sentence_first_line_is_a_lede_not_a_title() -> None:
    assert not looks_like_headline(LEDE)
    header = analyse_header(numbered(LEDE, PARA), title_hint=None, title_from_text=True)
    assert header.title is None and [t for _, t in header.lines] == [LEDE, PARA]


def test_title_and_subtitle() -> None:
    header = analyse_header(
        numbered("التحالف الدولي: تنظيم داعش ما زال نشطاً في سوريا", "تصاعد مستمر لهجمات وتحركات التنظيم في البادية.", LEDE, PARA),
        title_hint=None,
        title_from_text=True,
    )
    assert header.title == "التحالف الدولي: تنظيم داعش ما زال نشطاً في سوريا"
    assert header.subtitle == "تصاعد مستمر لهجمات وتحركات التنظيم في البادية."
    assert [no for no, _ in header.lines] == [2, 3]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("تصاعد مستمر لهجمات وتحركات التنظيم في البادية.", True),
        (LEDE, False),  # too long
        ("اندبندنت عربية – مع عودة تحرك عناصر التنظيم تكثفت الزيارات.", False),  # a lead-in opens a lede
        ("قتل ثلاثة. وأصيب خمسة آخرون في الهجوم.", False),  # two sentences
        ("اقرأ:", False),
    ],
)
def test_is_subtitle(line: str, expected: bool) -> None:
    assert is_subtitle(line) is expected


def test_seo_suffix_repeated_on_headings_is_stripped_and_kept_as_section() -> None:
    lines = numbered(
        "التحالف الدولي: عودة ظهور داعش محتملة – مكافحة الإرهاب",
        LEDE,
        "تكثيف العمليات– مكافحة الإرهاب",
        PARA,
        "تواصل مستمر",
    )
    header = analyse_header(lines, title_hint=None, title_from_text=True)
    assert header.section == "مكافحة الإرهاب"
    assert header.title == "التحالف الدولي: عودة ظهور داعش محتملة"
    assert [t for _, t in header.lines] == [LEDE, "تكثيف العمليات", PARA, "تواصل مستمر"]
    assert [(r.line_no, r.rule, r.line) for r in header.removed] == [
        (0, "seo_suffix", "– مكافحة الإرهاب"),
        (2, "seo_suffix", "– مكافحة الإرهاب"),
    ]


def test_an_unlisted_suffix_needs_three_headings() -> None:
    two = ["لعبة جديدة على الهواتف – Pocket Edition", "تحديث كبير للعبة – Pocket Edition"]
    assert seo_suffix(two) is None  # twice can be a product name
    assert seo_suffix([*two, "مقابلة مع المطورين – Pocket Edition"]) == "Pocket Edition"


def test_a_dash_inside_one_heading_is_not_a_suffix() -> None:
    assert seo_suffix(["دير الزور – الميادين: اشتباكات عنيفة", "الرقة – الطبقة"]) is None
    assert split_suffix("قسد – التحالف") is None  # head too short to be a heading with a suffix


def test_caption_byline_under_the_title() -> None:
    lines = numbered(
        "في يومها الرابع.. حملة التحالف الأمنية تتوسع في سوريا",
        'عناصر من "قسد" خلال حملة أمنية في سوريا - حزيران 2020 (التحالف الدولي)',
        "خاص – SY24",
        LEDE,
        PARA,
    )
    header = analyse_header(lines, title_hint=None, title_from_text=True)
    assert header.title is not None and header.byline == "SY24" and header.byline_is_outlet
    (caption,) = header.embeds
    assert caption.kind == "caption" and caption.author == "التحالف الدولي"
    assert [r.rule for r in header.removed] == ["caption", "byline"]
    assert [t for _, t in header.lines] == [LEDE, PARA]


def test_a_sentence_ending_in_parentheses_is_not_a_caption() -> None:
    assert match_caption("آثار الهجوم على النقطة العسكرية - أيلول 2020 (نورث برس)") is not None
    assert match_caption("وقال إن الهجوم وقع في حزيران 2020 (بحسب المرصد)") is None  # no dash before the date
    assert match_caption("وقال إن الهجوم وقع. - حزيران 2020 (المرصد)") is None  # a sentence
    assert match_caption("عناصر من قسد خلال حملة أمنية (التحالف الدولي)") is None  # no month and year


def test_title_from_metadata_drops_the_repeated_first_line() -> None:
    header = analyse_header(numbered("عنوان الخبر هنا", LEDE), title_hint="عنوان الخبر هنا", title_from_text=True)
    assert header.title == "عنوان الخبر هنا" and [t for _, t in header.lines] == [LEDE]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"byline_outlet": "SY24"}, ("SY24", "byline")),
        ({"byline_outlet": "موقع جديد"}, ("موقع جديد", "byline")),  # an unknown outlet is still the outlet
        ({"first_line": "اندبندنت عربية – مع عودة تحرك عناصر التنظيم"}, ("Independent Arabia", "lead_in")),
        ({"first_line": "دير الزور – قتل ثلاثة مدنيين"}, None),  # a place dateline is not an outlet
        ({"removed_lines": ["ادعم عنب بلدي"]}, ("Enab Baladi", "appeal")),
        ({"short_links": ["https://eocr.eu/?p=3008"]}, (ECCI, "short_link")),
        ({"url": "https://www.enabbaladi.net/archives/1"}, ("Enab Baladi", "url")),
    ],
)
def test_detect_outlet(kwargs: dict[str, object], expected: tuple[str, str] | None) -> None:
    args: dict[str, object] = {"byline_outlet": None, "first_line": None, "removed_lines": [], "short_links": [], "url": None}
    args.update(kwargs)
    found = detect_outlet(**args)  # type: ignore[arg-type]
    assert (None if found is None else (found.outlet, found.signal)) == expected


def test_canonical_outlet() -> None:
    assert canonical_outlet("عنب بلدي") == "Enab Baladi"
    assert canonical_outlet("enabbaladi.net") == "Enab Baladi"
    assert canonical_outlet("Some Paper") == "Some Paper"
    assert canonical_outlet("  ") is None


def test_language_per_document_and_per_line() -> None:
    assert detect_language(LEDE) == "ar"
    assert detect_language("Syrian Democratic Forces fought bravely") == "en"
    assert detect_language("2020 - 10") == "und"


def test_english_tweet_inside_an_arabic_article() -> None:
    text = "\n".join([LEDE, "The SDF continues the fight against Daesh. pic.twitter.com/abc", "— CJTF-OIR (@CJTFOIR) June 7, 2020", PARA])
    result = transform_document(RawDocument("t.txt", text.encode(), "text"))
    assert result.article is not None and result.article.language == "ar"
    assert [(e.kind, e.language) for e in result.embeds] == [("tweet", "en")]
    assert "SDF" not in result.article.body
