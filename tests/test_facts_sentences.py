"""Sentence splitting and clitic handling shared by the fact extractors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.facts import extract_facts
from transforms.normalize import safe_text, search_form
from transforms.sentences import bases, split_sentences


def test_sentences_keep_offsets_and_skip_false_ends() -> None:
    text = 'قال "هيل". وصلت إلى 3.5 عملية! ثم\nسطر ثان؟ نعم\n\nالعقيد مايلز ب. كيغينز قال. ذلك".ولم يفصح pic.twitter.com/x عنه..\nاخر'
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        'قال "هيل".',
        "وصلت إلى 3.5 عملية!",  # a decimal point does not end a sentence
        "ثم",
        "سطر ثان؟",
        "نعم",
        "العقيد مايلز ب. كيغينز قال.",  # nor does a middle initial
        'ذلك".',
        "ولم يفصح pic.twitter.com/x عنه..",  # nor a dot inside a URL
        "اخر",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_bases_take_off_proclitics() -> None:
    assert bases("وللتحالف") == ("وللتحالف", "للتحالف", "التحالف", "تحالف", "لتحالف")
    assert "مقتل" in bases("بمقتل")
    assert bases("قسد") == ("قسد",)  # too short to carry a clitic


def test_extract_facts_on_odd_input_never_fails() -> None:
    for text in ["", ".", "\n\n", "١٢٣", "(@)", "— (@x)", "قتل", "اعتقال نحو", "عشرات", "ريف", "a" * 5000, "؟" * 100]:
        body = safe_text(text)
        facts = extract_facts(body, search_form(body))
        assert isinstance(facts.mentions, list) and isinstance(facts.figures, list)


ALPHABET = 'قتلاعبمنسدويرزهحةأإآىء ٠١٢٣456789.،,؟!"“”«»()@—\nابنقسدريفالشحيلهجينعشرات'


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300))
def test_extract_facts_is_total_and_offsets_hold(text: str) -> None:
    body = safe_text(text)
    body_search = search_form(body)
    facts = extract_facts(body, body_search)
    for m in facts.mentions:
        assert body[m.start : m.end] == m.surface
        assert search_form(m.surface) == m.surface_search
    for f in facts.figures:
        assert f.start is not None and f.end is not None and 0 <= f.start < f.end <= len(body)
        assert body[f.start : f.end] in f.sentence
        assert f.count_low is None or f.count_low >= 1
