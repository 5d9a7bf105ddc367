"""Figure rules, one sentence per rule and per near-miss."""

from __future__ import annotations

import pytest

from transforms.figures import extract_figures
from transforms.normalize import search_form
from transforms.numbers_ar import quantity_at
from transforms.sentences import split_sentences, tokenize


def figs(text: str) -> set[tuple[str, int | None, int | None, str | None]]:
    body = search_form(text)
    return {(f.kind, f.count_low, f.count_high, f.qualifier) for f in extract_figures(split_sentences(body))}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # digits, with the counted noun after them
        ("قُتل 3 مدنيين في قصف على البلدة.", {("killed", 3, 3, "exact")}),
        ("واعتقلت القوات 12 شخصاً من أبناء القرية.", {("arrested", 12, 12, "exact")}),
        ("أُصيب 4 أطفال بجروح.", {("injured", 4, 4, "exact")}),
        # Arabic-Indic digits and thousands separators
        ("اعتقال ١٥ شخصاً", {("arrested", 15, 15, "exact")}),
        ("احتجاز 10,000 عنصر", {("detained", 10000, 10000, "exact")}),
        # number words, compounds, teens, thousands
        ("مقتل ثلاثة عناصر من التنظيم", {("killed", 3, 3, "exact")}),
        ("اعتقال خمسة وعشرين شخصاً", {("arrested", 25, 25, "exact")}),
        ("اختطاف ثلاثة عشر مدنياً", {("kidnapped", 13, 13, "exact")}),
        ("احتجاز عشرة آلاف عنصر", {("detained", 10000, 10000, "exact")}),
        # duals and a single noun
        ("ألقت القبض على عنصرين من الخلايا", {("arrested", 2, 2, "exact")}),
        ("مقتل شخص برصاص مجهولين", {("killed", 1, 1, "exact")}),
        ("نفذت القوات عمليتين أمنيتين", {("operations", 2, 2, "exact")}),
        ("شن التنظيم هجوماً على حاجز", {("attacks", 1, 1, "exact")}),
        # qualifiers
        ("اعتقال نحو 50 شخصاً", {("arrested", 50, 50, "about")}),
        ("مقتل أكثر من 20 عنصراً", {("killed", 21, None, "more_than")}),
        ("اعتقل 7 أشخاص على الأقل", {("arrested", 7, None, "at_least")}),
        ("مقتل ما لا يقل عن 5 مدنيين", {("killed", 5, None, "at_least")}),
        ("اعتقال حوالي 30 شخصاً", {("arrested", 30, 30, "about")}),
        # vague amounts
        ("اعتقلوا عشرات الأشخاص خلال الحملة", {("arrested", 10, 99, "vague")}),
        ("احتجاز آلاف الأسرى", {("held", 1000, 9999, "vague")}),  # prisoners held: a stock
        ("شن التنظيم عشرات الهجمات", {("attacks", 10, 99, "vague")}),
        ("إبقاء الآلاف من معتقلي التنظيم", {("held", 1000, 9999, "vague")}),  # people held: a stock
        ("نزوح عشرات الآلاف واعتقال مئات الأشخاص", {("arrested", 100, 999, "vague")}),
        # the count before the counted noun
        ("وصلت إلى 22 عملية أمنية", {("operations", 22, 22, "exact")}),
        ("سقوط 6 قتلى و9 جرحى", {("killed", 6, 6, "exact"), ("injured", 9, 9, "exact")}),
        # two kinds in one sentence
        ("قُتل فيها 3 مدنيين، واعتقل 7 أشخاص", {("killed", 3, 3, "exact"), ("arrested", 7, 7, "exact")}),
        # a count stops at the next trigger: each kind gets its own
        ("قُتل مدنيان وأصيب ثلاثة آخرون بانفجار", {("killed", 2, 2, "exact"), ("injured", 3, 3, "exact")}),
        # "لقي ... حتفه/مصرعه": killed only with the confirming word
        ("ولقي خمسة أشخاص حتفهم بانفجار لغم", {("killed", 5, 5, "exact")}),
        ("لقي طفلان مصرعهما غرقاً", {("killed", 2, 2, "exact")}),
        # an indefinite singular in the accusative is one: right after the trigger, or as the
        # object after a short subject (the accusative ending marks it)
        ("واعتقلت دورية للأسايش شاباً في حي غويران", {("arrested", 1, 1, "exact")}),
        ("اعتقلت الدورية أمس شاباً من الحي", {("arrested", 1, 1, "exact")}),
        ("اعتقلت شاباً من أبناء الحي", {("arrested", 1, 1, "exact")}),
        ("أعدم التنظيم رجلاً في الميادين", {("killed", 1, 1, "exact")}),
        ("إعدام رجلاً", {("killed", 1, 1, "exact")}),
        ("اعتقلت الدورية أمس شاب الحي", set()),  # not accusative, not right after the trigger
        # counted nouns joined by و are figures of their own (no total is written)
        ("أدى القصف إلى إصابة امرأة وطفلين", {("injured", 1, 1, "exact"), ("injured", 2, 2, "exact")}),
        ("مقتل عنصرين وقيادي في التنظيم", {("killed", 2, 2, "exact"), ("killed", 1, 1, "exact")}),
        ("مقتل شاب ووالدته", {("killed", 1, 1, "exact")}),  # not a counted noun: not a figure
        # the count before a plural verb ("subject_first") when none follows it
        ("وذكر المرصد أن 9 عناصر من التنظيم قتلوا في الاشتباكات", {("killed", 9, 9, "exact")}),
        ("وأفاد أن خمسة مدنيين أصيبوا بجروح", {("injured", 5, 5, "exact")}),
        ("أكد 3 شهود أن عناصر قتلوا في الاشتباك", set()),  # the nearest counted noun has no count
        ("عنصران من التنظيم لقيا حتفهما", {("killed", 2, 2, "exact")}),
        ("وقالت الوكالة إن 4 مواطنين قتلوا في التفجير", {("killed", 4, 4, "exact")}),  # a count beats a dual reading
        # the total, not the breakdown, before the verb; the breakdown is read as its parts
        ("إن 57 مدنياً بينهم 12 طفلاً و6 نساء قتلوا", {("killed", 57, 57, "exact"), ("killed", 12, 12, "exact"), ("killed", 6, 6, "exact")}),
        ("إن 11 شخصاً قتلوا و32 أصيبوا بجروح", {("killed", 11, 11, "exact")}),  # another trigger stops the look back
        # ranges need an opener (بين / ما بين); "من N إلى M" is mostly a toll that rose
        ("مقتل ما بين 20 و25 شخصاً", {("killed", 20, 25, "range")}),
        ("ما بين 20 و25 شخصاً أصيبوا في القصف", {("injured", 20, 25, "range")}),
        ("إصابة بين عشرة وعشرين مدنياً", {("injured", 10, 20, "range")}),  # not the compound 30
        ("اعتقال بين 20 إلى 30 شخصاً", {("arrested", 20, 30, "range")}),
        ("ارتفع عدد القتلى من 31 إلى 32 قتيلاً", {("killed", 32, 32, "exact")}),
        ("اعتقال بين 30 و20 شخصاً", set()),  # not a range, and no count next to the noun
        # clitics on the trigger
        ("تسببت بمقتل مدني", {("killed", 1, 1, "exact")}),
        ("وأفادت الوكالة باعتقال 8 أشخاص", {("arrested", 8, 8, "exact")}),
    ],
)
def test_figure_rules(sentence: str, expected: set[tuple[str, int | None, int | None, str | None]]) -> None:
    assert figs(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "اعتقل في 24 من أيار الماضي",  # a date, not a count
        "قُتل عام 2019 في الباغوز",  # a year
        "اعتقال شاب يبلغ من العمر 25 عاماً",  # an age: but "شاب" is one arrest (checked below)
        "الحملة الأمنية لليوم الرابع على التوالي",  # day of a campaign
        "اعتقال المتهم رقم 5 في القضية",  # an id
        "قُتل في الساعة 3 فجراً",  # a time
        "العمليات الأمنية هدفها منع التنظيم",  # no count, definite
        "تصاعد الهجمات في البادية",  # no count
        "اعتقلت الاستخبارات 3.5 بالمئة",  # a decimal
        "عُقد الاجتماع 3 مرات",  # no trigger
        "بعد مقتل زعيمه أبو بكر البغدادي",  # "زعيمه" is not a counted noun: no guess
        "وأفرجت السلطات عن 25 معتقلاً بموجب عفو عام",  # a release, not an arrest or a detention
        "أطلقت قوات الأمن سراح 20 معتقلاً",
        "لقي 3 أشخاص ترحيباً واسعاً",  # "لقي" without حتف/مصرع is not a death
    ],
)
def test_near_misses_are_not_counted(sentence: str) -> None:
    got = figs(sentence)
    assert not any(low not in (None, 1) for _k, low, _h, _q in got), got
    if "25 عاماً" in sentence:
        assert got == {("arrested", 1, 1, "exact")}
    elif "رقم 5" not in sentence:
        assert got == set()


def test_one_figure_per_kind_and_sentence_keeps_the_total() -> None:
    text = "ألقت القبض على عنصرين بعمليتين منفصلتين، في الأولى ألقت القبض على شخص، وفي الثانية ألقت القبض على شخص."
    assert figs(text) == {("arrested", 2, 2, "exact")}


def test_figure_keeps_sentence_and_offsets_into_body_search() -> None:
    body = search_form("مقدمة الخبر.\nوأفادت الوكالة باعتقال نحو 50 شخصًا، اعتبرتهم من خلايا التنظيم.")
    (fig,) = extract_figures(split_sentences(body))
    assert fig.sentence.startswith("وافادت الوكاله") and fig.sentence.endswith("التنظيم.")
    assert body[fig.start or 0 : fig.end or 0] == "باعتقال نحو 50 شخصا"


def test_quantity_words() -> None:
    def q(text: str) -> tuple[int | None, int | None, str] | None:
        got = quantity_at(tokenize(search_form(text)), 0)
        return (got.low, got.high, got.qualifier) if got else None

    assert q("عشرات") == (10, 99, "vague")
    assert q("عشرات الآلاف") == (10000, 99999, "vague")
    assert q("مئتين") == (200, 200, "exact")
    assert q("ثلاثة آلاف") == (3000, 3000, "exact")
    assert q("لأكثر من 100") == (100, 100, "more_than")
    assert q("الدولة") is None
    assert q("ما بين 20 و25") == (20, 25, "range")
    assert q("بين عشرة وعشرين") == (10, 20, "range")
    assert q("عشرة وعشرين") == (10, 10, "exact")  # a unit of ten or more takes no tens after it
    assert q("بين 5 و5") is None


def figs_linked(text: str) -> list[tuple[str, int | None, int | None, str | None, int | None, str]]:
    body = search_form(text)
    return [(f.kind, f.count_low, f.count_high, f.qualifier, f.of_figure, f.scope) for f in extract_figures(split_sentences(body))]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the count before a passive or plural verb, its subject and a partitive in between
        ("وذكرت الشبكة أن 23 مقاتلاً على الأقل من عناصر الفصيل المتشدد قتلوا خلال المواجهات", {("killed", 23, None, "at_least")}),
        ("أكد الناشطون أن ثمانية مدنيين من سكان الحي أصيبوا بالقصف", {("injured", 8, 8, "exact")}),
        # لقي N ... مصرعهم / استشهد
        ("لقي تسعة أشخاص من عائلة واحدة مصرعهم بغارة جوية", {("killed", 9, 9, "exact")}),
        ("استشهد 6 مواطنين بقذائف الهاون", {("killed", 6, 6, "exact")}),
        # a trigger several words before its count and counted noun
        ("قُتل في الضربات التي طالت محطة الوقود وسط البلدة ليلة أمس 15 شخصاً", {("killed", 15, 15, "exact")}),
        # a date between the trigger and the count does not stop it, and is not the count
        ("اعتقلت الشرطة يوم 3 آب أربعة شبان", {("arrested", 4, 4, "exact")}),
        # counted nouns that are triggers: "ستة قتلى" / "أربعة جرحى" / "شهداء"
        ("وخلف الانفجار سبعة قتلى وخمسة جرحى", {("killed", 7, 7, "exact"), ("injured", 5, 5, "exact")}),
        ("سقوط 11 شهيداً في المدينة", {("killed", 11, 11, "exact")}),
        # kidnapping and capture verbs
        ("خطفت عصابة مسلحة خمسة سائقين على الطريق الدولي", {("kidnapped", 5, 5, "exact")}),
        ("وأسرت الكتيبة جنديين خلال الهجوم", {("kidnapped", 2, 2, "exact")}),
        ("وقال إن أسر الضحايا تطالب بالعدالة", set()),  # أسر = families: no captive, no count
        # a toll names its kind; the number may stand alone, the last of a rise
        ("وبلغت حصيلة القتلى 41 حتى مساء الأحد", {("killed", 41, 41, "exact")}),
        ("ارتفع عدد الضحايا من 12 إلى 19 بحسب المستشفى", {("killed", 19, 19, "exact")}),
        # two figures of one kind in one sentence, each with its count
        ("قُتل أربعة عناصر في درعا وقُتل سبعة مدنيين في حماة", {("killed", 4, 4, "exact"), ("killed", 7, 7, "exact")}),
        # people held: a standing population, kind held
        ("وتحتجز الميليشيا قرابة 300 شخص في معتقلاتها", {("held", 300, 300, "about")}),
        ("ويقبع آلاف السجناء في السجون المركزية", {("held", 1000, 9999, "vague")}),
        ("ويستمر احتجاز 900 شخص في سجون الأمن", {("held", 900, 900, "exact")}),
        ("احتجزت الشرطة 5 أشخاص للتحقيق معهم", {("detained", 5, 5, "exact")}),
        # never from objects: vehicles, rockets, buildings
        ("دمرت الغارات 12 سيارة و4 مبان في البلدة", set()),
        ("سقطت 30 قذيفة على الأحياء السكنية", set()),
    ],
)
def test_more_phrasings(sentence: str, expected: set[tuple[str, int | None, int | None, str | None]]) -> None:
    assert figs(sentence) == expected


def test_breakdown_is_linked_to_its_total() -> None:
    got = figs_linked("وأسفرت الغارة عن مقتل 21 مدنياً بينهم 9 أطفال و4 نساء.")
    assert got == [
        ("killed", 21, 21, "exact", None, "event"),
        ("killed", 9, 9, "exact", 0, "event"),
        ("killed", 4, 4, "exact", 0, "event"),
    ]
    # the link is an index into the article's figures, across sentences
    got = figs_linked("اعتقلت الدورية شابين. وأصيب 10 أشخاص من بينهم 3 أطفال.")
    assert got == [
        ("arrested", 2, 2, "exact", None, "event"),
        ("injured", 10, 10, "exact", None, "event"),
        ("injured", 3, 3, "exact", 1, "event"),
    ]


def test_scope_marks_stocks_and_totals() -> None:
    got = figs_linked("وأحصت المنظمة مقتل 4500 مدني منذ بداية العام في المحافظة.")
    assert got == [("killed", 4500, 4500, "exact", None, "cumulative")]
    got = figs_linked("ويحتجز الجهاز نحو 2000 معتقل في سجونه.")
    assert got == [("held", 2000, 2000, "about", None, "stock")]
    assert figs_linked("قُتل ثلاثة مدنيين بقصف على السوق.") == [("killed", 3, 3, "exact", None, "event")]


def test_parts_told_in_the_sentences_after_a_total() -> None:
    # counts of its kind that add up to the total exactly
    got = figs_linked("قتل 15 شخصا في قصف على البلدة. وقال المرصد إن الغارات أدت إلى مقتل 11 مدنيا. وأضاف أن 4 آخرين قتلوا برصاص القناصة.")
    assert [(k, lo, of) for k, lo, _hi, _q, of, _s in got] == [("killed", 15, None), ("killed", 11, 0), ("killed", 4, 0)]
    # a count its sentence marks as a part, with one total it can belong to
    got = figs_linked("وأصيب 20 شخصا في الانفجار. وكان ستة من الجرحى من الأطفال.")
    assert [(k, lo, of) for k, lo, _hi, _q, of, _s in got] == [("injured", 20, None), ("injured", 6, 0)]
    # parts that do not add up, with no marker, stay figures of their own
    got = figs_linked("قتل 15 شخصا في القصف. وفي حمص قتل 4 عناصر.")
    assert [of for *_x, of, _s in got] == [None, None]
    # two totals it could belong to: ambiguous, not linked
    got = figs_linked("قتل 30 شخصا في حلب. وقتل 12 شخصا في إدلب. وكان ثلاثة من القتلى أطفالا.")
    assert got[-1][4] is None


def test_parts_after_a_named_person_in_a_breakdown() -> None:
    got = figs_linked("أدى القصف إلى مقتل 9 أشخاص بينهم رئيس المجلس المحلي في البلدة وخمسة أطفال.")
    assert got == [("killed", 9, 9, "exact", None, "event"), ("killed", 5, 5, "exact", 0, "event")]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # the count before a kidnapping verb that carries its object ("اختطفهم": he took them)
        ("ولا يزال مجهولا مصير 40 مدنيا من سكان القرية اختطفهم المسلحون", {("kidnapped", 40, 40, "exact")}),
        # a time between the verb, its subject and its object is no gap
        ("خطف مسلحون مساء أمس سائقاً على الطريق الدولي", {("kidnapped", 1, 1, "exact")}),
        # a count of the doers is not a count of victims
        ("واختطف أربعة ملثمين الطبيب من عيادته", set()),
    ],
)
def test_kidnapping_phrasings(sentence: str, expected: set[tuple[str, int | None, int | None, str | None]]) -> None:
    assert figs(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a toll's number before it, preferred to a count after it; its breakdown after the toll
        (
            "ارتفع إلى 18 على الأقل عدد قتلى النظام بينهم 12 ضابطاً في الهجوم.",
            [("killed", 18, None, "at_least", None, "event"), ("killed", 12, 12, "exact", 0, "event")],
        ),
        # ... or past its breakdown, commas and a number included
        (
            "كذلك ارتفع إلى 9 بينهم رئيس المجلس المحلي وخمسة أطفال دون سن الـ 18، ومواطنة عدد القتلى الذين قضوا أمس.",
            [("killed", 9, 9, "exact", None, "event"), ("killed", 5, 5, "exact", 0, "event")],
        ),
        # "عدد X الذين قتلوا": the toll of a counted noun before its verb
        ("ارتفع الى 25 على الأقل عدد مقاتلي الجبهة الذين لقوا مصرعهم في الغارات.", [("killed", 25, None, "at_least", None, "event")]),
        # a breakdown as an aside, auxiliaries before the verb
        (
            "يذكر أن ثلاثة مدنيين، بينهم طفلة، كانوا قد قتلوا خلال العيد.",
            [("killed", 3, 3, "exact", None, "event"), ("killed", 1, 1, "exact", 0, "event")],
        ),
        # counts joined by و before one verb are figures of their own
        (
            "إن أربعة من أفراده وثمانية مهاجمين على الأقل قتلوا.",
            [("killed", 4, 4, "exact", None, "event"), ("killed", 8, None, "at_least", None, "event")],
        ),
        # a partitive of the toll's noun before the verb
        ("فإن عشرة أشخاص من القتلى قضوا جراء سقوط قذيفة.", [("killed", 10, 10, "exact", None, "event")]),
        # an aside between the trigger and its count
        ("وقتل، بحسب المرصد، حوالى خمسين ألف جندي خلال النزاع.", [("killed", 50000, 50000, "about", None, "event")]),
        ("ونفذت الجبهة حكم الإعدام، أمس، بحق عشرة أشخاص.", [("killed", 10, 10, "exact", None, "event")]),
        # but not any clause between commas
        ("وقتل، وهو ما أكده الناشطون، 10 أشخاص.", []),
        # a list of counts per place, the counted noun said once
        (
            "بلغ عدد الضحايا في حماة 13 شخصاً، وسبعة في ريف دمشق، واثنين في الرقة، وضحية واحدة في اللاذقية.",
            [
                ("killed", 13, 13, "exact", None, "event"),
                ("killed", 7, 7, "exact", None, "event"),
                ("killed", 2, 2, "exact", None, "event"),
                ("killed", 1, 1, "exact", None, "event"),
            ],
        ),
        # "وأحد" + people after a singular; a one after a one is no part of it; after a joiner
        (
            "قتل قائد عسكري وأحد العناصر في الاشتباكات.",
            [("killed", 1, 1, "exact", None, "event"), ("killed", 1, 1, "exact", None, "event")],
        ),
        (
            "إن 173 مدنياً قتلوا بالإضافة إلى مقتل مقاتل إسلامي.",
            [("killed", 173, 173, "exact", None, "event"), ("killed", 1, 1, "exact", None, "event")],
        ),
        ("اعتقلت الشرطة عنصرين، وفي الأولى اعتقلت شخصاً.", [("arrested", 2, 2, "exact", None, "event")]),
        # a breakdown far after its total, past parentheses
        (
            "قتلت الغارات 3042 من تنظيم (داعش) وجبهة النصرة (تنظيم القاعدة في بلاد الشام) بينهم عشرات القياديين.",
            [("killed", 3042, 3042, "exact", None, "event"), ("killed", 10, 99, "vague", 0, "event")],
        ),
        # a count of the ones just named in a breakdown, "N منهم"
        (
            "ارتفع إلى 18 عدد قتلى النظام بينهم 12 ضابطاً، اثنان منهم برتبة عميد.",
            [("killed", 18, 18, "exact", None, "event"), ("killed", 12, 12, "exact", 0, "event"), ("killed", 2, 2, "exact", 0, "event")],
        ),
        # "من بين قتلى X" and the count after it
        ("وأشار المرصد إلى أن من بين قتلى المعارضة ثلاثة من قادة المجموعات.", [("killed", 3, 3, "exact", None, "event")]),
        # a plural of people with a possessive: "عدد من أفرادها"; "وعدد" is no toll ("عدد القتلى")
        ("واتهمت الجماعة الجبهة بخطف زعيمها وعدد من أفرادها.", [("kidnapped", 2, None, "vague", None, "event")]),
        # a number after "يقدرون ب" counts the people named before it
        (
            "بسبب مقتل أعداد كبيرة من المقاتلين الذين يقدرون بعشرات الآلاف في الصراع.",
            [("killed", 10000, 99999, "vague", None, "event")],
        ),
        ("قتل 5 أشخاص في قصف استمر 3 أيام.", [("killed", 5, 5, "exact", None, "event")]),
        # "قتلها": her killing of
        ("أعلنت المعارضة تقدمها وقتلها عشرات من عناصر النظام.", [("killed", 10, 99, "vague", None, "event")]),
    ],
)
def test_third_round_phrasings(sentence: str, expected: list[tuple[str, int | None, int | None, str | None, int | None, str]]) -> None:
    assert figs_linked(sentence) == expected


def test_an_attack_word_counts_once_per_sentence() -> None:
    """"شنت الجبهة هجوما ... لكنها تعرضت لهجوم مضاد": the self-counting singular keeps the old rule."""
    got = figs_linked("وفي الشهر الماضي شنت الجبهة الجنوبية هجوما لطرد القوات الحكومية لكنها تعرضت لهجوم مضاد من القوات الحكومية.")
    assert got == [("attacks", 1, 1, "exact", None, "event")]
