"""Actor aliases: one canonical per actor, through clitics and quote marks."""

from __future__ import annotations

import pytest

from core import datafile
from transforms.actors import AliasesFile, build_actor_table, extract_actors
from transforms.facts import extract_facts
from transforms.normalize import safe_text, search_form
from transforms.sentences import split_sentences


def actors(text: str) -> list[tuple[str, str]]:
    body = search_form(text)
    found = extract_actors(body, split_sentences(body))
    for m in found:
        assert body[m.start : m.end] == m.surface and m.kind == "org"
    return [(m.surface, m.canonical) for m in found]


SDF = "Syrian Democratic Forces (SDF)"
IS = "Islamic State (ISIS)"
COALITION = "International Coalition (CJTF-OIR)"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("قوات سوريا الديمقراطية", SDF),
        ("قسد", SDF),
        ("#SDF", SDF),
        ("لـ”قوات سوريا الديمقراطية”", SDF),  # clitic + tatweel + quote
        ("وقسد", SDF),
        ("تنظيم “الدولة الإسلامية”", IS),
        ("داعش", IS),
        ("لداعش", IS),
        ("Daesh", IS),
        ("ISIS", IS),
        ("التحالف الدولي", COALITION),
        ("للتحالف الدولي", COALITION),  # لل = ل + ال
        ("قوات التحالف", COALITION),
        ("الأسايش", "Asayish (internal security forces)"),
        ("وحدات حماية الشعب", "People's Protection Units (YPG)"),
        ("قوات النظام", "Syrian government forces"),
        ("الميليشيات المدعومة من إيران", "Iran-backed militias"),
        ("نورث برس", "North Press Agency"),
        ("فرات بوست", "Furat Post"),
        ("وكالة “هاوار”", "Hawar News Agency (ANHA)"),
        ("وكالة “أعماق”", "Amaq News Agency"),
    ],
)
def test_alias_to_canonical(text: str, canonical: str) -> None:
    got = actors(text)
    assert [c for _s, c in got] == [canonical], got


def test_words_that_only_contain_an_alias_do_not_match() -> None:
    assert actors("قسدية") == []
    assert actors("الدولة السورية") == []  # "الدولة" alone is not the Islamic State


def test_anaphora_only_after_the_full_name() -> None:
    assert actors("نشاط التنظيم في البادية") == []
    got = actors("تنظيم داعش يهاجم. ونشاط التنظيم مستمر.")
    assert [c for _s, c in got] == [IS, IS]


def test_table_is_data() -> None:
    spec = datafile.parse({"actors": [{"canonical": "X", "aliases": ["مجموعة س"], "type": "armed_group"}]}, AliasesFile)
    table = build_actor_table(spec)
    body = search_form("هاجمت “مجموعة س” موقعا")
    assert [(m.surface, m.canonical) for m in extract_actors(body, split_sentences(body), table)] == [("مجموعه س", "X")]


def orgs(text: str) -> list[tuple[str, str, str | None]]:
    body = safe_text(text)
    return [(m.surface, m.canonical, m.canonical_ar) for m in extract_facts(body, search_form(body)).mentions if m.kind == "org"]


def test_organisation_by_its_head_noun() -> None:
    got = orgs("وقالت وزارة الزراعة الأردنية في بيان إن")
    assert got == [("وزارة الزراعة الأردنية", "وزاره الزراعه الاردنيه", "وزارة الزراعة الأردنية")]
    assert orgs("وتبنى لواء فرسان الجبل الهجوم.") == [("لواء فرسان الجبل", "لواء فرسان الجبل", "لواء فرسان الجبل")]
    # a head with the article needs an adjective: "الجيش اللبناني", not "الجيش" alone
    assert [o[0] for o in orgs("وانتشر الجيش اللبناني على الحدود، وقال إن الجيش سيبقى.")] == ["الجيش اللبناني"]


def test_head_noun_without_a_definite_name_is_not_an_organisation() -> None:
    assert orgs("وعقد مجلس عزاء في البلدة.") == []
    assert orgs("وشهدت حركة السير ازدحاما.") == []  # حركة is not a head: too often "movement"


def test_listed_actor_has_its_arabic_name() -> None:
    assert orgs("وقال مسؤول في البنتاغون إن") == [("البنتاغون", "US Department of Defense", "وزارة الدفاع الأمريكية")]


def test_quoted_only_form_counts_in_quotes() -> None:
    assert [c for _s, c, _a in orgs("وقالت مصادر لـ«الشرق الأوسط» إن الهجوم فشل.")] == ["Asharq Al-Awsat"]
    assert orgs("تشهد منطقة الشرق الأوسط توترا.") == []


def test_head_noun_with_a_quoted_name() -> None:
    got = orgs("وأعلن لواء «سيوف الحق» مسؤوليته عن الهجوم.")
    assert [s for s, _c, _a in got] == ["لواء «سيوف الحق»"]


def test_bare_regime_is_the_syrian_government() -> None:
    assert [c for _s, c, _a in orgs("واتهمت المعارضة النظام بقصف المدينة.")] == ["Syrian government"]
