from __future__ import annotations

import pytest

from transforms.normalize import safe_text, search_form


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
