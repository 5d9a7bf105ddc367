"""People: titles, apposition, tweet signatures, full names, variants and surnames."""

from __future__ import annotations

from transforms.actors import extract_actors
from transforms.normalize import safe_text, search_form
from transforms.people import extract_people, skeleton
from transforms.sentences import split_sentences


def people(text: str) -> list[tuple[str, str, str]]:
    body = search_form(safe_text(text))
    sentences = split_sentences(body)
    found = extract_people(body, sentences, extract_actors(body, sentences))
    for m in found:
        assert body[m.start : m.end] == m.surface
    return [(m.kind, m.surface, m.canonical) for m in found]


def test_title_then_name() -> None:
    assert people("قال العقيد جويل هاربر، أمس الأحد") == [("person", "جويل هاربر", "جويل هاربر")]


def test_title_with_adjectives_keeps_the_full_name() -> None:
    got = people("قال الناشط الحقوقي وفي مجال المناصرة محمود أبو يوسف لمنصة SY24، إن")
    assert got == [("person", "محمود ابو يوسف", "محمود ابو يوسف")]  # not "أبو يوسف"


def test_role_apposition() -> None:
    got = people("وعقد قائد قوة العمليات المشتركة في التحالف الدولي، إيريك هيل، اليوم لقاء")
    assert got == [("person", "ايريك هيل", "إيريك هيل")]
    got = people("هدد المتحدث الجديد باسم التنظيم، “أبو حمزة القرشي”، في كلمة")
    assert got == [("person", "ابو حمزه القرشي", "أبو حمزة القرشي")]


def test_open_apposition_is_not_a_name() -> None:
    # "قائد الشرطة، وهو ..." : after the comma comes a clause, not a name
    assert people("وقال قائد الشرطة، وهو يتحدث للصحفيين إن") == []


def test_surname_resolves_to_the_full_name_given_earlier() -> None:
    got = people("التقى قائد التحالف، إيريك هيل، مع قائد قسد، مظلوم عبدي، اليوم. وناقش هيل مع عبدي الخطط.")
    assert [(s, c) for _k, s, c in got] == [
        ("ايريك هيل", "إيريك هيل"),
        ("مظلوم عبدي", "مظلوم عبدي"),
        ("هيل", "إيريك هيل"),
        ("عبدي", "مظلوم عبدي"),
    ]


def test_surname_before_the_full_name_is_not_resolved() -> None:
    got = people("قال هيل إن. ثم قال قائد التحالف، إيريك هيل، كذا.")
    assert [s for _k, s, _c in got] == ["ايريك هيل"]


def test_spelling_variants_merge_within_and_across_articles() -> None:
    a = people("قال العقيد مایلز ب. كیغینز الثالث، المتحدث. ولم يفصح كیغینز عن شيء.")
    b = people("ونشر المتحدث باسم التحالف، العقيد مايلز كاغينز، عبر تويتر")
    assert {c for _k, _s, c in a} == {"مايلز كاغينز"} and len(a) == 2
    assert {c for _k, _s, c in b} == {"مايلز كاغينز"}
    assert skeleton("مايلز كاغينز") == skeleton("مايلز ب. كيغينز الثالث")


def test_unknown_variants_merge_by_skeleton_within_an_article() -> None:
    got = people("قال الناشط سامر عيسى إن. وأضاف الناشط سامر عيساوي. وقال الصحفي سامر عيسي، كذا.")
    canon = [c for _k, _s, c in got]
    assert canon[0] == canon[2] == "سامر عيسي" and canon[1] == "سامر عيساوي"


def test_tweet_signature() -> None:
    got = people("— Myles B. Caggins III (@OIRSpox) June 6, 2020")
    assert got == [("person", "myles b. caggins iii", "مايلز كاغينز")]
    got = people("— Combined Special Ops Joint Task Force-Levant (@SOJTF_LEVANT) May 24, 2020")
    assert [k for k, _s, _c in got] == ["org"]


def test_a_single_word_is_not_a_name() -> None:
    assert people("قال العقيد هاربر إن") == []


def test_name_after_a_reporting_verb_without_a_title() -> None:
    got = people("وقال سامر الحلبي إن الطريق مقطوعة منذ يومين.")
    assert got == [("person", "سامر الحلبي", "سامر الحلبي")]


def test_given_name_in_an_apposition_without_comma() -> None:
    got = people("وأوضح رئيس المجلس المحلي ماهر عبد الكريم أن الأهالي نزحوا.")
    assert got == [("person", "ماهر عبد الكريم", "ماهر عبد الكريم")]


def test_conjunction_is_not_part_of_the_name() -> None:
    got = people("حضر اللقاء الوزير وخليل النجار.")
    assert [(k, s) for k, s, _c in got] == [("person", "خليل النجار")]


def test_kunya_with_a_nisba() -> None:
    assert people("وظهر أبو عمر الحمصي في تسجيل مصور.") == [("person", "ابو عمر الحمصي", "ابو عمر الحمصي")]
    assert people("وصل أبو عمر إلى المدينة.") == []  # a kunya alone, no context: not sure


def test_given_name_that_is_a_common_word_needs_a_context() -> None:
    assert people("وكان طالب المجلس بفتح الطريق.") == []  # طالب: "demanded"
    assert people("وقال جمال الشامي إن المعبر أغلق.") == [("person", "جمال الشامي", "جمال الشامي")]


def test_one_of_is_not_a_person() -> None:
    assert people("وقال أحد أمراء الإعلام في التنظيم إن الهجوم فشل.") == []
    got = people("وقال أحد مسؤولي الإعلام، أبو حمزة المهاجر، إن")
    assert got == [("person", "ابو حمزه المهاجر", "ابو حمزه المهاجر")]  # the kunya belongs to the name
    # a named person after the phrase is still a person
    assert people("وقال أحد القادة الميدانيين سمير يوسف إن الهجوم فشل.") == [("person", "سمير يوسف", "سمير يوسف")]


def test_ali_inside_a_name() -> None:
    got = people("وأعلن مصطفى علي حمدان انسحابه.")
    assert got == [("person", "مصطفي علي حمدان", "مصطفي علي حمدان")]


def test_public_figure_named_alone() -> None:
    got = people("وانتقد أوباما موقف موسكو.")
    assert got == [("person", "اوباما", "باراك أوباما")]


def test_date_words_are_not_a_nisba() -> None:
    assert people("وفي رجب الماضي عاد الأهالي.") == []


def body_people(text: str) -> list[str]:
    from transforms.facts import extract_facts  # the whole path, body spelling included

    body = safe_text(text)
    return [m.surface for m in extract_facts(body, search_form(body)).mentions if m.kind == "person"]


def test_the_preposition_ala_is_not_the_name_ali() -> None:
    assert body_people("وحث على المجتمع الدولي التحرك.") == []
    assert body_people("وقال مصطفى علي إن الوضع صعب.") == ["مصطفى علي"]
    assert body_people("وأكد جون كيري على دعم الحل.") == ["جون كيري"]


def test_words_with_a_pronoun_are_not_a_name() -> None:
    assert body_people("وقال مسؤول، مشترطا عدم نشر اسمه، إن الهجوم فشل.") == []


def test_family_name_that_is_also_a_title() -> None:
    assert body_people("وقال سامر الشيخ إن الطريق مغلقة.") == ["سامر الشيخ"]


def test_later_short_form_takes_the_full_name() -> None:
    body = safe_text("وقال رامي عبد الرحمن إن القصف مستمر. وأضاف عبد الرحمن أن الحصيلة سترتفع.")
    from transforms.facts import extract_facts  # the whole path

    people_found = [(m.surface, m.canonical) for m in extract_facts(body, search_form(body)).mentions if m.kind == "person"]
    assert {c for _s, c in people_found} == {"رامي عبد الرحمن"}


def test_ali_starts_a_name_and_foreign_family_names_with_fa() -> None:
    assert body_people("وقُتل القيادي في الميليشيا علي كنعان، بحسب المرصد.") == ["علي كنعان"]
    assert body_people("وقال وزير الدفاع مايكل فالون إن بلاده ستواصل.") == ["مايكل فالون"]
    assert body_people("وتقدمت القوات على الحسكة من الجنوب.") == []  # على, not Ali: no name, no surname
