"""The fact extractors never raise, whatever words follow each other: sentences built from the
words the rules look for (settlement words, list heads, triggers, number words, locators, quotes,
conjunctions) in any order, cut anywhere. An exception here would turn an article into a reject."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.facts import extract_facts
from transforms.normalize import search_form
from transforms.places import gazetteer

WORDS = (
    "قرية", "بلدة", "بلدات", "بلدتا", "قريتي", "حي", "بحي", "وتل", "تل", "مخيم", "مطار", "منطقة", "جهة", "من",
    "في", "بريف", "ريف", "حلب", "إدلب", "درعا", "الشمالي", "و", "وسبعة", "قتل", "مقتل", "أصيب", "اعتقال",
    "خمسة", "25", "منهم", "بينهم", "أطفال", "عنصرا", "شخصا", "\"", "'", "،", ".", ":", "(", ")", "المشيك",
    "والبارة", "وبليون", "العراق", "الحدودية", "مع", "تركيا", "أبو", "الظهور", "العقيد", "محمد",
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30), st.booleans())
def test_any_sequence_of_rule_words_gives_facts_and_never_raises(words: list[str], with_title: bool) -> None:
    gazetteer()  # loaded once, outside the example's time
    text = " ".join(words)
    title = " ".join(words[: len(words) // 2]) if with_title else None
    facts = extract_facts(text, search_form(text), title)
    for m in facts.mentions:
        part = title if m.part == "title" else text
        assert part is not None and 0 <= m.start <= m.end <= len(part)
