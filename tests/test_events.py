"""Event resolution (transforms/events.py): reading a report's date, place, actors and count from
sentences written for these tests, and grouping reports into incidents under the hard rules."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime

import pytest

from core import datafile
from transforms.events import (
    MAX_DAYS_APART,
    ActorExample,
    ArticleInput,
    DateExample,
    EventsFile,
    Report,
    adopt,
    build_event,
    cluster,
    compatible,
    event_date,
    event_rules,
    pair_score,
    place_level,
    reports_of,
    resolve,
)
from transforms.facts import extract_facts
from transforms.normalize import search_form
from transforms.places import gazetteer


def article(text: str, published: str | None = "2015-07-22", *, article_id: str = "a1", source: str = "outlet-a") -> ArticleInput:
    facts = extract_facts(text, search_form(text))
    when = datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None
    return ArticleInput(article_id, source, when, text, search_form(text), facts.mentions, facts.figures)


def report(**kw: object) -> Report:
    """A report with plain defaults: killed, 5 people, Aleppo city, 21 Jul 2015."""
    base: dict[str, object] = dict(
        article_id="a1", report_no=0, figure_no=0, source_id="outlet-a",
        published_at=datetime(2015, 7, 22, tzinfo=UTC), kind="killed", count_low=5, count_high=5, qualifier="exact",
        event_date=date(2015, 7, 21), date_precision="day", date_lo=date(2015, 7, 21), date_hi=date(2015, 7, 21),
        place="Aleppo", place_ar="حلب", place_level=3, admin1="Aleppo", admin2="Jabal Saman", lat=36.2, lon=37.16,
        place_from="sentence", sentence_no=0, perpetrator=None, target=None, persons=(),
        sentence="قتل خمسه مدنيين في قصف علي حي المغاير في مدينه حلب امس",
    )
    base.update(kw)
    return Report(**base)  # type: ignore[arg-type]  # the test's keyword defaults


# -- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("example", event_rules().examples, ids=lambda e: e.sentence[:30])
def test_date_examples_of_the_rules_file(example: DateExample) -> None:
    sentence = search_form(example.sentence)
    anchor = sentence.find(search_form(example.at)) if example.at else 0
    assert anchor >= 0
    when, precision, lo, hi = event_date(sentence, anchor, date.fromisoformat(example.published), background=example.background)
    assert (when.isoformat() if when else None, precision) == (example.date, example.precision)
    assert when is not None and lo is not None and hi is not None and lo <= when <= hi


def test_weekday_is_the_latest_such_day_up_to_publication() -> None:
    # published Saturday 8 Aug 2015: "مساء الخميس" is Thursday 6 Aug, "يوم السبت" the day itself
    sat = date(2015, 8, 8)
    assert event_date(search_form("قتل ضابط مساء الخميس في اللاذقية"), 0, sat)[:2] == (date(2015, 8, 6), "day")
    assert event_date(search_form("قتل ضابط يوم السبت في اللاذقية"), 0, sat)[:2] == (sat, "day")


def test_a_restated_weekday_may_be_the_week_before() -> None:
    # "وكانت ... خطفت ... مساء الأربعاء" published Thursday 6 Aug: 5 Aug or 29 Jul
    _, precision, lo, hi = event_date(search_form("وكانت الجبهة خطفت ثمانية عناصر مساء الأربعاء قرب اعزاز"), 40, date(2015, 8, 6))
    assert (precision, lo, hi) == ("week", date(2015, 7, 29), date(2015, 8, 5))


def test_the_nearest_statement_of_when_wins_over_when_it_was_said() -> None:
    # the report was made on Tuesday, the deaths happened on Monday
    s = search_form("وأفاد المرصد الثلاثاء بمقتل سبعة أشخاص الاثنين في بلدة الفوعة")
    anchor = s.index("سبعه")
    assert event_date(s, anchor, date(2015, 7, 22))[0] == date(2015, 7, 20)


def test_month_and_year_and_undated_and_unpublished() -> None:
    pub = date(2015, 8, 10)
    assert event_date(search_form("قتل في مارس 2014 في معارك"), 0, pub)[1:] == ("month", date(2014, 3, 1), date(2014, 3, 31))
    assert event_date(search_form("قتل خمسة مدنيين في غارة"), 0, pub) == (pub, "published", date(2015, 8, 9), pub)
    assert event_date(search_form("قتل خمسة مدنيين أمس"), 0, None) == (None, "none", None, None)
    # a date after publication is a plan, not an incident
    assert event_date(search_form("يبدأ الهجوم في 20 أغسطس"), 0, pub)[1] == "published"


# -- reading an article -------------------------------------------------------------------------

def test_a_figure_makes_a_report_with_its_date_place_and_count() -> None:
    a = article("قتل 18 شخصا أمس الثلاثاء في سقوط صاروخ أطلقته قوات النظام على حي شعبي في مدينة حلب.")
    reps = [r for r in reports_of(a) if r.kind == "killed"]
    assert len(reps) == 1
    r = reps[0]
    assert (r.count_low, r.count_high, r.event_date, r.date_precision) == (18, 18, date(2015, 7, 21), "day")
    assert (r.admin1, r.place_from) == ("Aleppo", "sentence")
    assert r.figure_no is not None


def test_the_publication_day_is_the_sources_own() -> None:
    # published 01:00 on 22 July in Damascus (+03:00) is 21 July 22:00 UTC: "أمس" is still 21 July
    text = "قتل 18 شخصا أمس في سقوط صاروخ أطلقته قوات النظام على حي شعبي في مدينة حلب."
    a = dataclasses.replace(
        article(text), published_at=datetime(2015, 7, 21, 22, 0, tzinfo=UTC), published_offset_minutes=180
    )
    (r,) = [r for r in reports_of(a) if r.kind == "killed"]
    assert (r.event_date, r.date_precision) == (date(2015, 7, 21), "day")  # read on the UTC day: 20 July


def test_stocks_totals_and_breakdowns_are_not_reports() -> None:
    a = article(
        "وتحتجز قوات سوريا الديمقراطية أكثر من عشرة آلاف عنصر من التنظيم في سجون الحسكة.\n"
        "وقتل أكثر من 240 ألف شخص في سوريا منذ اندلاع النزاع.\n"
        "وقتل 12 مدنيا بينهم 5 أطفال في غارة على مدينة الحسكة أمس."
    )
    reps = reports_of(a)
    assert [(r.kind, r.count_low) for r in reps] == [("killed", 12)]


def test_a_sentence_naming_an_incident_without_a_figure_is_a_report_without_a_count() -> None:
    a = article("أقدم سليمان الأسد على قتل العقيد حسان الشيخ مساء الخميس في مدينة اللاذقية.", "2015-08-08")
    reps = reports_of(a)
    assert [(r.kind, r.count_low, r.figure_no, r.event_date, r.admin1) for r in reps] == [
        ("killed", None, None, date(2015, 8, 6), "Latakia")
    ]


def test_a_sentence_without_a_place_takes_the_one_just_named_then_the_articles() -> None:
    a = article(
        "شهدت مدينة الرقة توترا أمنيا أمس.\nوأفادت مصادر باعتقال 20 شخصا خلال المداهمات.\nوعاد الهدوء مساء."
    )
    (r,) = reports_of(a)
    assert (r.kind, r.admin1, r.place_from) == ("arrested", "Ar-Raqqah", "context")


def test_an_incident_abroad_is_not_given_the_articles_governorate() -> None:
    a = article(
        "وقع انفجار في بلدة عين العرب السورية أمس.\nوفي تركيا قتل 30 شخصا في تفجير انتحاري في بلدة سروج قرب الحدود.\n"
        "وقال مسؤولون إن التحقيق مستمر.\nوأضاف مسؤول أن الشرطة تبحث عن المنفذين.\nوقتل 27 شخصا في سروج بحسب حصيلة جديدة."
    )
    abroad = [r for r in reports_of(a) if r.count_low in (27, 30)]
    assert abroad and all(r.admin1 is None for r in abroad)


def test_a_place_on_a_border_is_not_guessed_from_a_governorate_off_that_border() -> None:
    zabadani = "وقتل 5 عناصر من قوات النظام في اشتباكات في مدينة الزبداني بريف دمشق في سوريا أمس.\n"
    azaz = "وقتل 5 عناصر من قوات النظام في اشتباكات قرب مدينة اعزاز في سوريا أمس.\n"
    on_border = "وخطفت جبهة النصرة أمس خمسة مقاتلين من الفرقة 30 في قرية قاح الحدودية مع تركيا."

    def kidnapping(text: str) -> tuple[str | None, str]:
        (r,) = [r for r in reports_of(article(text, "2015-08-05")) if r.kind == "kidnapped"]
        return r.admin1, r.place_from

    # a village "on the border with Turkey" is not in Rif Dimashq: placed in Syria only (see adopt)
    assert kidnapping(zabadani + on_border) == (None, "country")
    assert kidnapping(zabadani + on_border.replace(" الحدودية مع تركيا", "")) == ("Rif Dimashq", "context")
    assert kidnapping(azaz + on_border) == ("Aleppo", "context")  # Aleppo lies on that border


def test_the_border_governorates_of_the_rules_file_are_governorates() -> None:
    known = {p.admin1 for ps in gazetteer().by_name.values() for p in ps if p.admin1}
    assert event_rules().borders and all(govs <= known for _, govs in event_rules().borders)


def test_a_place_abroad_nearer_the_toll_wins_and_a_state_as_actor_places_nothing() -> None:
    a = article("وأعلنت الداخلية التركية أن 30 شخصا قتلوا أمس في هجوم استهدف مدينة سوروتش التركية قرب الحدود مع مدينة كوباني.",
                "2015-07-21")
    assert [(r.count_low, r.admin1) for r in reports_of(a) if r.kind == "killed"] == [(30, None)]
    b = article("وقتل جنديان أمس في قصف تركي على قرية قرب مدينة جرابلس، وقصفت تركيا مواقع التنظيم.", "2015-07-21")
    assert [(r.count_low, r.admin1) for r in reports_of(b)] == [(2, "Aleppo")]


def test_a_part_of_a_total_told_in_the_next_sentence_is_no_report() -> None:
    a = article("وقتلت غارات التحالف 2927 عنصرا من التنظيم في محافظات حلب وحمص.\n"
                "كما لقي 115 مسلحا من جبهة النصرة حتفهم جراء غارات على مقرات لها في ريف حلب الغربي.\n"
                "وقتل 5 مدنيين أمس في قصف على مدينة الباب.", "2015-07-23")
    assert [r.count_low for r in reports_of(a)] == [5]


def test_a_toll_split_into_parts_is_one_report() -> None:
    def counts(text: str) -> list[tuple[str, int | None, int | None]]:
        return [(r.kind, r.count_low, r.count_high) for r in reports_of(article(text, "2015-08-01"))]

    # 25 dead of both sides, "18 of Nusra and seven of Division 30": the parts of a toll given whole
    assert counts("وهاجمت جبهة النصرة الجمعة مقرا للفرقة 30 قرب مدينة اعزاز، ووقعت اشتباكات تسببت بمقتل 25 مقاتلا من "
                  "الطرفين، بحسب المرصد السوري لحقوق الإنسان، وقال المرصد إن القتلى هم 18 عنصرا من جبهة النصرة، "
                  "وسبعة من الفرقة 30.") == [("killed", 25, 25)]
    # the sides of one toll, joined by و or إضافة إلى: their sum
    assert counts("وتسببت الاشتباكات قرب مدينة اعزاز أمس بمقتل 10 عناصر من تنظيم داعش و18 مقاتلا من الفصائل.") == [
        ("killed", 28, 28)]
    assert counts("وفي مدينة اعزاز قتل 34 عنصرا من قوات النظام أمس، بالإضافة إلى عنصرين من الحرس الثوري.") == [
        ("killed", 36, 36)]
    # a smaller count after a larger one, nothing between them but words: a part of it
    assert counts("وفي مدينة اعزاز أصيب 100 شخص في انفجار أمس، وقال الأطباء إن 20 جريحا ما زالوا في حالة حرجة.") == [
        ("injured", 100, 100)]
    # another incident word or place between two counts, or a day of each: two incidents, two reports
    assert sorted(counts("وقتل 5 مدنيين في قصف على مدينة الباب أمس، وقتل 3 مدنيين آخرين في قصف على مدينة منبج أمس.")) == [
        ("killed", 3, 3), ("killed", 5, 5)]
    assert sorted(counts("ووثق المرصد في مدينة اعزاز مقتل 12 مدنيا يوم الأحد، و3 مدنيين آخرين يوم الإثنين.")) == [
        ("killed", 3, 3), ("killed", 12, 12)]


@pytest.mark.parametrize("example", event_rules().actor_examples, ids=lambda e: e.sentence[:30])
def test_actor_examples_of_the_rules_file(example: ActorExample) -> None:
    reps = reports_of(article(example.sentence, example.published))
    assert reps, "the example makes no report"
    assert (reps[0].perpetrator, reps[0].target) == (example.perpetrator, example.target)


def test_perpetrator_and_target_from_the_actor_aliases() -> None:
    a = article("قتل 13 عنصرا من تنظيم داعش في غارات شنها التحالف الدولي على قرية قرب مدينة الحسكة أمس.")
    (r,) = [r for r in reports_of(a) if r.kind == "killed"]
    assert (r.perpetrator, r.target) == ("International Coalition (CJTF-OIR)", "Islamic State (ISIS)")


def test_an_incident_told_as_the_cause_of_the_news_happened_before_it() -> None:
    # the sit-in was yesterday; the killing it protests happened before: up to a week before
    a = article("ونفذ أكثر من ألف شخص اعتصاما في مدينة اللاذقية أمس احتجاجا على قتل العقيد خالد الحسن.", "2015-08-10")
    (r,) = reports_of(a)
    assert (r.kind, r.date_precision, r.date_lo, r.date_hi) == ("killed", "week", date(2015, 8, 2), date(2015, 8, 9))
    # an arrest "for the killing": the arrest, and the killing told as its cause
    b = article("أعلن التلفزيون الرسمي الاثنين توقيف سامر العلي المتهم بقتل العقيد خالد الحسن في مدينة اللاذقية.", "2015-08-11")
    assert [(x.kind, x.date_precision, x.date_lo, x.date_hi) for x in reports_of(b)] == [
        ("arrested", "day", date(2015, 8, 4), date(2015, 8, 10)), ("killed", "week", date(2015, 8, 3), date(2015, 8, 10))
    ]
    # a demanded killing is no incident
    assert reports_of(article("وخرج المئات في مدينة اللاذقية للمطالبة بإعدام خالد الحسن.", "2015-08-10")) == []


def test_a_named_victim_that_the_text_does_not_date_may_have_died_weeks_before() -> None:
    a = article("وقالت وزارة الدفاع أمس إن خالد الحسن قتل في غارة قرب مدينة سرمدا.", "2015-07-22")
    (r,) = reports_of(a)
    assert (r.persons, r.date_precision, r.date_lo, r.date_hi) == (("خالد الحسن",), "month", date(2015, 6, 21), date(2015, 7, 21))
    # who tells it is not part of the incident
    (told,) = reports_of(article("وقال مدير المرصد رامي عبد الرحمن إن 5 مدنيين قتلوا في غارة على مدينة سرمدا أمس.", "2015-07-22"))
    assert told.persons == () and told.date_precision == "day"


def test_a_report_placed_only_in_syria_takes_the_governorate_of_the_incident_it_restates() -> None:
    placed = report(persons=("خالد الحسن",), kind="killed", count_low=None, count_high=None)
    adrift = report(article_id="b", admin1=None, place=None, place_level=0, place_from="country", persons=("خالد الحسن",),
                    count_low=None, count_high=None, sentence="اعلنت مصادر في سوريا مقتل خالد الحسن")
    unknown = dataclasses.replace(adrift, article_id="c", persons=("سامر العلي",), sentence="قتل سامر العلي في سوريا")
    got = {r.article_id: r for r in adopt([placed, adrift, unknown], [placed])}
    assert (got["b"].admin1, got["b"].place_from, got["b"].place) == ("Aleppo", "match", None)
    assert got["c"].admin1 is None
    # two incidents in two governorates that it could restate: it stays where it is
    other = report(article_id="d", admin1="Idlib", place="Idlib", lat=35.93, lon=36.63, persons=("خالد الحسن",),
                   count_low=None, count_high=None)
    assert adopt([adrift], [placed, other])[0].admin1 is None
    res = resolve([placed, adrift])
    assert res.links[placed.key] == res.links[adrift.key]


def test_a_district_seat_is_as_specific_as_a_town_and_a_governorate_is_not_its_capital() -> None:
    assert place_level("Manbij", "Aleppo", "Manbij") == place_level("Saraqib", "Idlib", "Idlib") == 3
    assert place_level("Idlib", "Idlib", None) == 1 and place_level("Idlib", "Idlib", "Idlib") == 3


# -- hard rules and scores ------------------------------------------------------------------------

def test_never_across_governorates_or_more_than_two_days_apart() -> None:
    a = report()
    assert compatible(a, report(article_id="b"))
    assert not compatible(a, report(article_id="b", admin1="Idlib"))
    far = date(2015, 7, 21 + MAX_DAYS_APART + 1)
    assert not compatible(a, report(article_id="b", event_date=far, date_lo=far, date_hi=far))
    assert not compatible(a, report(article_id="b", kind="arrested"))  # another family of kinds
    # two towns 40 km apart are two incidents, whatever else agrees
    assert not compatible(a, report(article_id="b", place="Azaz", lat=36.59, lon=37.05))
    # one sentence, one kind, two counts: "killed 5 in X and 3 in Y"
    assert not compatible(a, report(report_no=1, count_low=3, count_high=3))
    assert pair_score(a, report(article_id="b", admin1="Idlib")) is None


def test_same_incident_from_two_outlets_scores_above_the_join_and_a_near_miss_below() -> None:
    w = __import__("transforms.events", fromlist=["WEIGHTS"]).WEIGHTS
    a = report()
    b = report(article_id="b", source_id="outlet-b", sentence="قتل خمسه مدنيين في قصف علي حي المغاير بمدينه حلب")
    other_day = date(2015, 7, 23)
    near = report(article_id="c", count_low=2, count_high=2, event_date=other_day, date_lo=other_day, date_hi=other_day,
                  sentence="قتل مدنيان في قصف علي حي الشعار")
    assert (pair_score(a, b) or 0) >= w.join
    assert (pair_score(a, near) or 0) < w.join


def test_grouping_is_the_same_whatever_the_order_of_the_reports() -> None:
    reps = [
        report(article_id=f"a{i}", source_id=f"s{i % 3}", count_low=5 + (i % 2), count_high=5 + (i % 2)) for i in range(6)
    ] + [report(article_id="x", admin1="Idlib", place="Idlib", lat=35.93, lon=36.63)]
    first = [[r.key for r in g] for g in cluster(reps)]
    shuffled = reps[:]
    random.Random(7).shuffle(shuffled)
    assert [[r.key for r in g] for g in cluster(shuffled)] == first
    assert sorted(len(g) for g in first) == [1, 6]


# -- the event and its counts ---------------------------------------------------------------------

def test_best_is_the_latest_report_low_and_high_span_them() -> None:
    day = lambda d: datetime(2015, 8, d, tzinfo=UTC)  # noqa: E731  # a short helper for the three reports
    reps = [
        report(article_id="a", published_at=day(3), count_low=12, count_high=12),
        report(article_id="b", published_at=day(4), count_low=27, count_high=27),
        report(article_id="c", published_at=day(4), count_low=20, count_high=None, qualifier="more_than"),
        report(article_id="c", report_no=1, published_at=day(4), kind="injured", count_low=40, count_high=40),
    ]
    e = build_event("ev-x", reps)
    assert (e.kind, e.count_low, e.count_high, e.best, e.reports, e.outlets) == ("killed", 12, None, 27, 3, 1)
    injured = next(c for c in e.counts if c.kind == "injured")
    assert (injured.count_low, injured.best, injured.reports) == (40, 40, 1)
    assert (e.first_reported, e.last_reported) == (day(3), day(4))


def test_ids_are_kept_and_a_bridging_report_records_a_merge() -> None:
    # two reports of one day in one governorate with no place below it and tolls far apart: two events
    a = report(article_id="a", place=None, place_level=1, count_low=7, count_high=7, sentence="قتل سبعه في قصف حي المغاير")
    b = report(article_id="b", place=None, place_level=1, count_low=30, count_high=30,
               sentence="ثلاثون قتيلا في هجوم الفصائل علي ثكنه عسكريه غربي المدينه")
    first = resolve([a, b])
    assert first.links[a.key] != first.links[b.key]
    again = resolve([a, b], first.links)
    assert again.links == first.links and not again.merges and again.events == first.events
    # a later report gives the first toll in the words of the second: one incident after all
    bridge = report(article_id="c", place=None, place_level=1, count_low=7, count_high=7,
                    published_at=datetime(2015, 7, 23, tzinfo=UTC), sentence=b.sentence)
    merged = resolve([a, b, bridge], first.links)
    assert len({merged.links[a.key], merged.links[b.key], merged.links[bridge.key]}) == 1
    (m,) = merged.merges
    assert {m.from_event, m.into_event} == {first.links[a.key], first.links[b.key]}
    assert m.into_event == merged.links[a.key] and m.reason == "bridged by report c#0"


def test_a_report_in_no_governorate_makes_no_event() -> None:
    res = resolve([report(admin1=None, place=None, place_level=0)])
    assert res.events == [] and res.links == {}


def test_the_rules_file_rejects_an_unknown_key() -> None:
    with pytest.raises(datafile.DataFileError, match="unknown"):
        datafile.parse({"kinds": {}, "figure_kinds": {}, "triggers": {}, "dates": {}, "actors": {}, "abroad": [],
                        "not_incident": [], "similarity_stop": [], "examples": [], "weights": 1}, EventsFile)


def test_report_keys_are_unique_per_article() -> None:
    a = article("قتل 5 مدنيين في مدينة حلب أمس.\nوأصيب 12 آخرون في القصف على حلب.\nواعتقلت القوات 3 أشخاص في إدلب أمس.")
    keys = [r.key for r in reports_of(a)]
    assert len(keys) == len(set(keys)) == 3
    assert dataclasses.asdict(reports_of(a)[0]) == dataclasses.asdict(reports_of(a)[0])  # pure: same text, same reports
