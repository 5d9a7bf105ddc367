from __future__ import annotations

import pytest

from transforms.normalize import safe_text, search_form, search_letters


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("سوریا", "سوريا"),  # Persian yeh inside an Arabic word
        ("كیغینز", "كيغينز"),
        ("ظھور", "ظهور"),  # heh doachashmee
        ("کتاب", "كتاب"),  # keheh
        ("قــوات", "قوات"),  # tatweel inside a word
        ("a\u200fb\u200b", "ab"),  # bidi mark and zero-width space
        ("e\u0301", "\u00e9"),  # NFC
        ("  two   spaces \t", "two spaces"),
    ],
)
def test_safe_text(raw: str, expected: str) -> None:
    assert safe_text(raw) == expected


def test_safe_text_keeps_original_letters() -> None:
    text = "أكّد “قسد” الإثنين ٢٤"
    assert safe_text(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أحمد", "احمد"),
        ("إسلام", "اسلام"),
        ("آلاف", "الاف"),
        ("مستشفى", "مستشفي"),
        ("الدولة", "الدوله"),
        ("٢٠٢٠", "2020"),
        ("۲۴", "24"),
        ("مُحَمَّد", "محمد"),
        ("“قسد”", '"قسد"'),
        ("«قسد»", '"قسد"'),
        ("SDF", "sdf"),
    ],
)
def test_search_form(raw: str, expected: str) -> None:
    assert search_form(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u0671لله", "الله"),  # alef wasla
        ("۱۲۳", "123"),  # Persian digits
        ("٣٫٥", "3.5"),  # Arabic decimal separator
        ("‘قسد’", "'قسد'"),  # single typographic quotes
        ("„قسد“", '"قسد"'),
        ("ـ", ""),  # tatweel alone is dropped in the search form
        ("قُتِلَ", "قتل"),  # harakat
        ("مئة", "مئه"),
        ("إلى", "الي"),
    ],
)
def test_search_form_mappings(raw: str, expected: str) -> None:
    assert search_form(raw) == expected


def test_zwnj_and_tatweel_only_inside_arabic_words() -> None:
    assert safe_text("قو\u200cات") == "قوات"  # ZWNJ between Arabic letters
    assert safe_text("a\u200cb") == "a\u200cb"  # kept elsewhere
    assert safe_text("لـ”قسد”") == "لـ”قسد”"  # tatweel before a quote is not inside a word


def test_persian_letters_outside_arabic_words_are_kept() -> None:
    assert safe_text("ی") == "ی"  # a lone Persian yeh (e.g. a Persian quotation mark of a letter)


def test_search_letters_keeps_regex_syntax() -> None:
    assert search_letters(r"^(على|إلى)\S+$") == r"^(علي|الي)\S+$"
