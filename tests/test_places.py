"""Gazetteer and place rules: coverage, clitics, context words, organisation names."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from transforms.actors import extract_actors
from transforms.facts import extract_facts
from transforms.normalize import safe_text, search_form
from transforms.places import Gazetteer, PlaceRulesFile, extract_places, gazetteer, parse_gazetteer
from transforms.sentences import split_sentences

GOVERNORATES = {
    "Damascus",
    "Rif Dimashq",
    "Aleppo",
    "Idlib",
    "Hama",
    "Homs",
    "Latakia",
    "Tartus",
    "Daraa",
    "As-Suwayda",
    "Quneitra",
    "Deir ez-Zor",
    "Al-Hasakah",
    "Ar-Raqqah",
}


def places(text: str) -> list[tuple[str, str | None]]:
    body = search_form(text)
    sentences = split_sentences(body)
    found = extract_places(body, sentences, extract_actors(body, sentences))
    for m in found:
        assert body[m.start : m.end] == m.surface
    return [(m.canonical, m.admin1) for m in found]


def rows() -> list[dict[str, str]]:
    text = resources.files("transforms").joinpath("data/gazetteer.tsv").read_text(encoding="utf-8")
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert any("GeoNames" in ln and "CC BY 4.0" in ln for ln in header), "the header states source and licence"
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def test_gazetteer_has_all_governorates_districts_and_recurring_places() -> None:
    data = rows()
    assert {r["name_en"] for r in data if r["kind"] == "governorate"} == GOVERNORATES
    assert {r["admin1"] for r in data if r["kind"] == "district"} == GOVERNORATES
    assert len([r for r in data if r["kind"] == "district"]) >= 60
    names = {n for r in data for n in r["names_ar"].split("|")}
    recurring = ["البصيرة", "الباغوز", "الشحيل", "هجين", "أبو النيتل", "غويران", "تدمر", "حقل العمر", "سجن الصناعة", "البادية"]
    for n in [*recurring, "ريف دير الزور الشرقي"]:
        assert n in names, n
    for r in data:
        spans = r["kind"] in ("region", "country") or r["name_en"].endswith(" river")  # a river crosses governorates
        assert r["admin1"] in GOVERNORATES or spans, r
        lat, lon = float(r["lat"]), float(r["lon"])
        assert 32.0 <= lat <= 37.5 and 35.5 <= lon <= 42.5, r  # inside Syria's bounding box


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("عملية أمنية في مدينة البصيرة، شرقي دير الزور", [("Al-Busayrah", "Deir ez-Zor"), ("Deir ez-Zor", "Deir ez-Zor")]),
        ("معقله الأخير في بلدة الباغوز", [("Al-Baghuz", "Deir ez-Zor")]),
        ("اشتباكات في الشحيل وهجين", [("Al-Shuhayl", "Deir ez-Zor"), ("Hajin", "Deir ez-Zor")]),
        ("بريف دير الزور الشرقي", [("Deir ez-Zor countryside (eastern)", "Deir ez-Zor")]),
        ("في الريف الجنوبي للحسكة", [("Al-Hasakah", "Al-Hasakah")]),  # لل = ل + ال
        ("سجن “الصناعة” في حي غويران", [("Al-Sinaa prison", "Al-Hasakah"), ("Ghuwayran", "Al-Hasakah")]),
        ("قاعدة حقل “العمر” النفطي", [("Al-Omar oil field", "Deir ez-Zor")]),
        ("سيطرته على تدمر وسط سوريا", [("Tadmur", "Homs"), ("Central Syria", None), ("Syria", None)]),  # a region, and the country it names
        ("انطلاقاً من البادية السورية", [("Syrian Desert (Badia)", None)]),
        ("في محافظة دير الزور", [("Deir ez-Zor", "Deir ez-Zor")]),
    ],
)
def test_places(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert places(text) == expected


def test_common_words_need_a_context_word() -> None:
    assert places("نشرت الصور على الإنترنت") == []  # "the pictures"
    assert places("اشتباكات في قرية الصور بريف دير الزور") == [("Al-Sur", "Deir ez-Zor"), ("Deir ez-Zor countryside", "Deir ez-Zor")]
    assert places("فتح الباب أمام المفاوضات") == []  # "the door"
    assert places("معارك في مدينة الباب") == [("Al-Bab", "Aleppo")]


def test_a_place_inside_an_organisation_name_is_not_a_place() -> None:
    assert places("بحسب ما قاله “مركز دير الزور الإعلامي” التابع للإدارة") == []
    assert places("أعلن مجلس دير الزور العسكري") == []
    assert places("نقلت شبكة الحسكة الإخبارية") == []  # an organisation head word before the name


def test_place_mentions_carry_admin_and_coordinates() -> None:
    body = search_form("في بلدة هجين")
    (m,) = extract_places(body, split_sentences(body))
    assert m.kind == "place" and m.admin1 == "Deir ez-Zor" and m.admin2 == "Abu Kamal"
    assert m.lat is not None and abs(m.lat - 34.7) < 0.2 and m.lon is not None and abs(m.lon - 40.83) < 0.2
    assert m.sentence == body


def test_gazetteer_loads_once() -> None:
    assert gazetteer() is gazetteer()


def places_in(text: str) -> list[tuple[str, str, str | None]]:
    body = safe_text(text)
    return [(m.surface, m.canonical, m.admin1) for m in extract_facts(body, search_form(body)).mentions if m.kind == "place"]


def test_unlisted_village_with_its_governorate_next_to_it() -> None:
    got = places_in("دارت اشتباكات في قرية تل الورد بريف حلب الشمالي.")
    assert got[0] == ("تل الورد", "تل الورد", "Aleppo")
    got = places_in("وسيطرت الفصائل على بلدة عين البيضا جنوب درعا.")
    assert ("عين البيضا", "عين البيضا", "Daraa") in got


def test_unlisted_village_takes_the_one_governorate_of_its_sentence() -> None:
    got = places_in("قصفت الطائرات مدينة إدلب وقرية المشيرفة القريبة.")
    assert ("المشيرفة", "المشيرفه", "Idlib") in got


def test_unlisted_name_without_a_syrian_governorate_is_not_a_place() -> None:
    assert places_in("قصفت الطائرات بلدة عرسال اللبنانية.") == []
    assert places_in("وصل الوفد إلى قرية صغيرة.") == []


def test_name_of_several_places_takes_the_governorate_of_its_sentence() -> None:
    tsv = "\n".join(
        [
            "kind\tname_en\tnames_ar\tadmin1\tadmin2\tlat\tlon\tcontext\tsource",
            "town\tNorthtown\tالسلامة الكبرى\tAleppo\tAzaz\t36.6\t37.0\tfree\tt",
            "town\tSouthtown\tالسلامة الكبرى\tDaraa\tDaraa\t32.6\t36.1\tfree\tt",
            "governorate\tDaraa\tدرعا\tDaraa\t\t32.6\t36.1\tfree\tt",
            "governorate\tAleppo\tحلب\tAleppo\t\t36.2\t37.1\tfree\tt",
        ]
    )
    g: Gazetteer = parse_gazetteer(tsv, PlaceRulesFile(kind_order=("town", "governorate")))
    for gov, want in (("درعا", "Daraa"), ("حلب", "Aleppo")):
        body = search_form(f"قصف على السلامة الكبرى في {gov}.")
        found = extract_places(body, split_sentences(body), [], g)
        assert next((m.canonical, m.admin1) for m in found) == ("Southtown" if want == "Daraa" else "Northtown", want)


def test_named_site_keeps_its_word_and_takes_the_governorate_stated() -> None:
    got = places_in("سيطرت الفصائل على مطار الحمدان العسكري في ريف درعا.")
    assert got[0][0] == "مطار الحمدان العسكري" and got[0][2] == "Daraa"
    got = places_in("انفجرت سيارة قرب دوار النخيل في مدينة حمص.")
    assert ("دوار النخيل", "دوار النخيل", "Homs") in got


def test_countryside_of_two_places_and_compound_directions() -> None:
    got = [c for _s, c, _g in places_in("عمليات في ريفي حلب وإدلب وفي ريف حماة الشمالي الغربي.")]
    assert "Aleppo countryside" in got and "Hama countryside (north-western)" in got


def test_regions_of_syria_by_compass_name_the_country_too() -> None:
    got = places_in("تقدمت القوات في شمال غرب سوريا.")
    assert got == [("شمال غرب سوريا", "North-western Syria", None), ("سوريا", "Syria", None)]
    assert places_in("انسحبوا نحو الشمال الغربي لسوريا.")[-1] == ("سوريا", "Syria", None)
    assert ("سوريه", "Syria", None) not in places_in("انطلاقا من البادية السورية.")  # an adjective, not the country


def test_every_name_of_a_list_after_a_plural_or_dual_settlement_word() -> None:
    got = places_in("قصف الطيران بلدات كفرعويد والبارة وبليون في جبل الزاوية بريف إدلب.")
    listed = [(s, g) for s, _c, g in got if s in ("كفرعويد", "البارة", "بليون")]
    assert listed == [("كفرعويد", "Idlib"), ("البارة", "Idlib"), ("بليون", "Idlib")]
    got = places_in("أما بلدتا تل شهاب ونصيب القريبتان من درعا فاستهدفهما الطيران.")
    assert [(s, g) for s, _c, g in got if s != "درعا"] == [("تل شهاب", "Daraa"), ("نصيب", "Daraa")]


def test_an_unlisted_village_takes_the_governorate_of_the_sentence_before_in_its_paragraph() -> None:
    text = "واشتد القصف على ريف حماة الشمالي. وسقطت قذائف على بلدة كفرزيتا وسط اشتباكات.\nوقصف الطيران بلدة الهبيط."
    got = places_in(text)
    assert ("كفرزيتا", "Hama") in [(s, g) for s, _c, g in got]
    assert not any(s == "الهبيط" for s, _c, _g in got)  # another paragraph: no governorate known


def test_a_description_after_a_settlement_word_is_not_a_name() -> None:
    got = places_in("في ريف حلب قرية شيعية محاصرة وحي شعبي وقاعدة عسكرية وتلة مرتفعة")
    assert [c for _s, c, _g in got] == ["Aleppo countryside"]


def test_a_conjunction_and_a_verb_are_not_a_village() -> None:
    assert places_in("وأحصى سكان مدينة حمص الذين فروا ويسكنون الآن في الخيام") == [("حمص", "Homs", "Homs")]


def test_dual_streets_and_areas_name_each_of_their_places() -> None:
    got = [(s, g) for s, _c, g in places_in("سقطت قذائف على شارعي النصر والحمراء في حمص")]
    assert ("النصر", "Homs") in got and ("الحمراء", "Homs") in got
    got = [s for s, _c, _g in places_in("قصفت قوات النظام أماكن في منطقتي الكبينة والتفاحية وأماكن أخرى في ريف اللاذقية")]
    assert "الكبينة" in got and "التفاحية" in got and "أماكن" not in got
    got = [s for s, _c, _g in places_in("سقطت قذائف على بلدتي نبل والزهراء، عقبه قصف على بلدة عندان بريف حلب")]
    assert not any("قصف" in s for s in got)  # a list goes on only after the conjunction و


def test_the_body_keeps_a_place_that_the_title_names_after_a_preposition() -> None:
    """"على أريحا" in the headline reads like a name (علي) in the search form; the article's spelling
    refutes it, and the body's "أريحا" is then a place, not that name's short form."""
    body = "قتل 12 شخصا في قصف جوي على مدينة أريحا في ريف إدلب أمس."
    facts = extract_facts(body, search_form(body), "قصف على أريحا")
    got = [(m.surface, m.part, m.admin1) for m in facts.mentions if m.kind == "place"]
    assert ("أريحا", "title", "Idlib") in got
    assert ("أريحا", "body", "Idlib") in got
    assert not [m for m in facts.mentions if m.kind == "person"]


def test_a_dual_of_a_settlement_word_needs_a_context_word() -> None:
    """"القريتين" alone is "the two villages" named before, not the town Al-Qaryatayn."""
    got = places_in("انسحب الثوار من تل أعور والفريكة في ريف إدلب، وقصفت قوات الأسد القريتين بالصواريخ.")
    assert not any(c == "Al-Qaryatayn" for _s, c, _g in got)
    assert ("القريتين", "Al-Qaryatayn", "Homs") in places_in("سيطر التنظيم على مدينة القريتين.")


def test_a_list_takes_the_governorate_of_its_listed_names() -> None:
    got = places_in("دارت اشتباكات في محيط قرى المشيك والزيارة وتل واسط والبحصة، بين قوات النظام والفصائل.")
    assert ("المشيك", "المشيك", "Hama") in got
    assert ("تل واسط", "تل واسط", "Hama") in got  # a hill's word begins a village's name
    assert ("البحصة", "البحصه", "Hama") in got


def test_a_village_of_a_listed_name_in_another_governorate() -> None:
    got = places_in("كانوا عائدين من مدينة اعزاز في ريف حلب الشمالي إلى مقرهم في قرية المالكية القريبة.")
    assert ("المالكية", "المالكيه", "Aleppo") in got
    got = places_in("هاجم الجيش بلدة الغارية الغربية الواقعة إلى الشرق من درعا.")
    assert ("الغارية الغربية", "الغاريه الغربيه", "Daraa") in got  # not the listed الغارية
    assert not any(c == "Gharyeh" for _s, c, _g in got)


def test_a_site_named_after_a_listed_place_is_a_place_of_its_own() -> None:
    got = places_in("قتلت امرأة في مخيم درعا جراء القصف.")
    assert ("مخيم درعا", "مخيم درعا", "Daraa") in got and ("درعا", "Daraa", "Daraa") in got
    got = places_in("استهدفت غارة مشفى سراقب في ريف إدلب.")
    assert not any(s == "مشفى سراقب" for s, _c, _g in got)  # a building named after its town is not


def test_a_name_that_begins_with_its_context_word() -> None:
    """The gazetteer lists "حي الشعار" and "الشعار" (which needs a context word)."""
    got = places_in("أعدم في حريتان بحي الشعار في مدينة حلب.")
    assert any(c == "Al-Shaar" and g == "Aleppo" for _s, c, g in got)


def test_areas_roads_and_resorts_name_places() -> None:
    got = places_in("ألقى الطيران براميل على منطقة البلد وسط الزبداني.")
    assert ("البلد", "البلد", "Rif Dimashq") in got
    got = places_in("تقدم الثوار على طريق سرغايا في ريف دمشق.")
    assert any(c == "Sarghaya" for _s, c, _g in got)
    assert not any(s == "عازلة" for s, _c, _g in places_in("طالبت تركيا بإقامة منطقة عازلة في ريف حلب."))


def test_a_clitic_on_a_two_letter_settlement_word() -> None:
    assert ("الراشدين", "الراشدين", "Aleppo") in places_in("اشتباكات بحي الراشدين في مدينة حلب.")


def test_a_list_item_after_a_name_with_um() -> None:
    got = [s for s, _c, _g in places_in("قصف على قرى الحولة وأم شرشوح في ريف حمص.")]
    assert "أم شرشوح" in got
    got = [s for s, _c, _g in places_in("قصف الطيران بلدتي المسيفرة وأم ولد بريف درعا.")]
    assert "أم ولد" in got  # not "أم" and "لد"


def test_a_name_that_needs_context_joined_to_a_listed_town() -> None:
    got = places_in("قصفت فصائل المعارضة مواقع للنظام في نبل والزهراء الاثنين.")
    assert ("الزهراء", "Al-Zahraa", "Aleppo") in got
    assert not any(c == "Al-Zahraa" for _s, c, _g in places_in("وقالت الزهراء إن الوضع صعب."))


def test_springs_and_ruins_begin_village_names() -> None:
    got = places_in("وامتد القصف الجوي إلى عين لاروز في جبل الزاوية.")
    assert ("عين لاروز", "عين لاروز", "Idlib") in got
    assert not any(s.startswith("عين") for s, _c, _g in places_in("وأخذ الجيش ذلك بعين الاعتبار في ريف حماة."))


def test_an_axis_names_the_place_not_the_front() -> None:
    got = [s for s, _c, _g in places_in("هاجم الثوار مواقع القوات عند محور الشلاح جنوب شرقي مدينة الزبداني.")]
    assert "الشلاح" in got


def test_sites_that_many_cities_have_take_the_governorate_of_their_sentence() -> None:
    got = places_in("سقطت قذائف على مناطق في محيط الحديقة العامة بمدينة حلب.")
    assert ("الحديقة العامة", "الحديقه العامه", "Aleppo") in got
    assert not any(s == "الحديقة العامة" for s, _c, _g in places_in("افتتحت البلدية الحديقة العامة أمس."))  # no governorate


def test_a_name_after_fi_tied_by_a_locator_to_a_listed_place() -> None:
    got = places_in("استهدفت قوات الأسد قرية كفرموس في شحشبو بريف إدلب الجنوبي بالصواريخ.")
    assert ("شحشبو", "شحشبو", "Idlib") in got
    got = [s for s, _c, _g in places_in("في حين عادت معركة الساحل بريف اللاذقية.")]
    assert not any(s.startswith("حين") for s in got)


def test_a_village_spelled_with_ta_marbuta_is_the_listed_one_with_alef() -> None:
    got = places_in("تحطمت طائرة حربية في سوق مزدحم في بلدة أريحة.")
    assert any(c == "Ariha" for _s, c, _g in got), got


def test_a_persons_short_form_inside_a_longer_place_is_the_places_word() -> None:
    body = "ونقل الناشط الإعلامي أبو العبد الشمالي أن الشرطة أطلقت النار قرب مدينة أكدة الخاضعة للمعارضة بريف حلب الشمالي."
    facts = extract_facts(body, search_form(body))
    assert "ريف حلب الشمالي" in [m.surface for m in facts.mentions if m.kind == "place"]
    assert [m.surface for m in facts.mentions if m.kind == "person"] == ["أبو العبد الشمالي"]


def test_guards_of_the_area_and_list_rules() -> None:
    """Phrases read on articles outside the labelled sets: no place in them."""
    for text in (
        "وتختلف عن اتفاقات حمص القديمة لجهة عدم السماح للمقاتلين بالاحتفاظ بأسلحتهم.",
        "ستوفر المنطقة الآمنة من وجهة النظر التركية مكانا في ريف حلب.",
        "قصفت الطائرة السيارة قرب قرية الحضر وهي منطقة يقطنها الدروز في ريف القنيطرة.",
        "فجر التنظيم عربة مفخخة استهدفت منطقة تمركز للوحدات الكردية في ريف الحسكة.",
        "استعادت قوات النظام مواقع عسكرية في مثلث جنوب دمشق.",
        "ولفت إلى مقتل البقية جراء استهداف مواقع وحواجز للتنظيم وآليات على الطرق المؤدية إلى حلب.",
    ):
        got = [s for s, c, _g in places_in(text) if c == " ".join(s.split()) or c == s]
        assert not any(w in " ".join(got) for w in ("عدم", "النظر", "يقطنها", "تمركز", "مثلث", "آليات", "للتنظيم")), (text, got)


def test_a_quarter_tied_to_its_city() -> None:
    got = places_in("اندلعت اشتباكات في حي الخالدية بمدينة حلب.")
    assert any(g == "Aleppo" and "الخالدية" in s for s, _c, g in got)
    got = places_in("ستمتد المنطقة من مدينة جرابلس على نهر الفرات شرقا إلى مدينة أعزاز غربا.")
    assert ("نهر الفرات", "Euphrates river", None) in got


def test_an_area_needs_its_governorate_next_to_it() -> None:
    assert ("رميلان", "رميلان", "Al-Hasakah") in places_in("دوى انفجار في منطقة رميلان بمحافظة الحسكة.")
    assert not any(s == "الخليج" for s, _c, _g in places_in("أكد الوزراء في حلب على تجنيب منطقة الخليج أي أخطار."))


def test_a_list_or_a_name_followed_by_another_country_is_no_syrian_place() -> None:
    got = [s for s, _c, _g in places_in("ونفذت الطائرات غارات على إدلب وبالقرب من مدن الحبانية وحديثة والموصل في العراق.")]
    assert not any(s in got for s in ("الحبانية", "حديثة", "الموصل"))
    got = [s for s, _c, _g in places_in("عبر اللاجئون من ريف حمص إلى منطقة عرسال في شرق لبنان.")]
    assert "عرسال" not in got


def test_a_listed_town_keeps_its_governorate_next_to_one_other_place() -> None:
    got = places_in("شنت قوات المعارضة هجوما على بلدة بصرى الشام قرب السويداء.")
    assert any(c == "Busra al-Sham" for _s, c, _g in got)


def test_a_plural_verb_is_no_list_item() -> None:
    got = [s for s, _c, _g in places_in("تسلل مقاتلون إلى مدينتي عين العرب وتل أبيض ونفذوا فيهما هجمات.")]
    assert not any("نفذوا" in s for s in got)


@pytest.mark.parametrize("text", ['قتل رجل في قرية "', "قتل رجل في بلدة '", "وصل إلى قرية"])
def test_a_sentence_that_ends_at_a_settlement_word_or_its_quote_names_no_place(text: str) -> None:
    facts = extract_facts(text, search_form(text))
    assert [m for m in facts.mentions if m.kind == "place"] == []
