"""The source registry (sources/<id>/): every registered source's frozen pages through the real
pipeline, its own boilerplate rules' examples, the checks of the registry's data, how an input's
source is resolved, and that nothing the project ships names a source the registry does not know."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import datafile
from core.datafile import DataFileError
from tests.conftest import ROOT
from tests.frozen_pages import all_pages, snapshot
from transforms.clean import clean_document, load_rules, match_block_rule, match_line_rule, parse_rules
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import RawDocument
from transforms.registry import PACKAGE, FrozenPage, Registry, SourceFile, frozen_pages, registry, rules_for

REGISTRY = registry()
PAGES = all_pages()
LEDE = "وقال مسؤول محلي إن الأهالي ينتظرون منذ أسابيع وصول المساعدات إلى القرى المتضررة في المنطقة."
TITLE = "الأهالي ينتظرون المساعدات في القرى المتضررة"
LINE_TWO = "وأضاف أن الطرق المؤدية إلى القرى ما زالت مغلقة بسبب الأمطار الغزيرة التي هطلت خلال الأسبوع."


def test_the_seed_outlets_and_the_saudinewsnet_outlets_are_registered() -> None:
    seeds = {"enab-baladi", "sy24", "independent-arabia", "north-press", "eocr", "furat-post"}
    others = {"syria-tv", "al-jazeera", "hawar", "aawsat"}
    saudinewsnet = {"aleqtisadiya", "aljazirah", "almadina", "alriyadh", "alwatan", "alweeam", "alyaum",
                    "arreyadi", "arriyadiyah", "okaz", "sabq", "was", "3alyoum"}
    assert seeds | others | saudinewsnet <= set(REGISTRY.sources)


@pytest.mark.parametrize("source_id", sorted(REGISTRY.sources))
def test_every_source_has_a_frozen_page_with_its_expected_record(source_id: str) -> None:
    pages = frozen_pages(source_id)
    assert pages, f"{PACKAGE}/{source_id}/pages/ holds no frozen page"
    for page in pages:
        assert page.expected, f"{page.path}: no {page.name}.expected.json (python -m tests.frozen_pages --write)"


@pytest.mark.parametrize("page", PAGES, ids=[p.path for p in PAGES])
def test_frozen_page(page: FrozenPage) -> None:
    """Fundus-style: the page's bytes alone through the real pipeline give the expected record,
    and the page resolves to the source whose folder it is in."""
    got = snapshot(page)
    assert got == page.expected, f"{page.path}: `python -m tests.frozen_pages` shows the change"
    assert got["source_id"] == page.source_id


def _own_rules(source: SourceFile) -> list[tuple[str, Any]]:
    rules = parse_rules(source.boilerplate)
    return [(source.id, r) for r in (*rules.line, *rules.block)]


OWN_RULES = [pair for s in REGISTRY.sources.values() for pair in _own_rules(s)]


@pytest.mark.parametrize(("source_id", "rule"), OWN_RULES, ids=[f"{s}:{r.name}" for s, r in OWN_RULES])
def test_source_rule_examples(source_id: str, rule: Any) -> None:
    """A source's own rules carry examples like the language's: each `remove` line is taken by
    that rule (the source's rules apply first), each `keep` line survives every rule."""
    rules = rules_for("ar", source_id)
    assert rule.remove_examples and rule.keep_examples, f"{source_id}:{rule.name}: every rule needs remove and keep examples"
    language_names = {r.name for r in (*load_rules("ar").line, *load_rules("ar").block)}
    assert rule.name not in language_names, f"{source_id}:{rule.name} shadows a language rule"
    for example in rule.remove_examples:
        taken = match_block_rule(example, rules) if rule in rules.block else match_line_rule(example, rules)
        assert taken is not None and taken.name == rule.name, (rule.name, example)
    for example in rule.keep_examples:
        assert clean_document([example], rules).text_lines == [example], (rule.name, example)


def test_a_source_s_rules_apply_under_its_registered_id() -> None:
    """`fetch` stores Enab Baladi's pages under source_id 'enab-baladi': its footer and app-promo
    rules must apply to them (they did not when the rule file was keyed 'enabbaladi')."""
    language = rules_for("ar", None)
    enab = rules_for("ar", "enab-baladi")
    assert [r.name for r in enab.line[:2]] == ["enab_baladi_footer", "enab_baladi_app_promo"]
    assert len(enab.line) == len(language.line) + 2
    assert rules_for("ar", "enabbaladi") is language  # no second spelling
    text = "\n".join([LEDE, "جميع الحقوق محفوظة © عنب بلدي 2020", LINE_TWO, "حمّل تطبيق عنب بلدي على هاتفك"])
    result = transform_document(RawDocument("p", text.encode(), "text", source_id="enab-baladi"))
    assert [r.rule for r in result.removed] == ["enab_baladi_footer", "enab_baladi_app_promo"]
    other = transform_document(RawDocument("p", text.encode(), "text", source_id="sy24"))
    assert other.removed == []


# -- resolution -------------------------------------------------------------------------------------


def resolve(text: str, **raw: Any) -> tuple[str, str, str | None]:
    options = raw.pop("options", None)
    result = transform_document(RawDocument("in.txt", text.encode(), raw.pop("media_type", "text"), **raw), options)
    assert result.article is not None and result.provenance is not None, result.reject
    return result.article.source_id, result.provenance.source_id, result.article.outlet


def test_the_input_s_source_wins_then_the_option_then_the_registry() -> None:
    body = f"{TITLE}\nخاص – SY24\n{LEDE}\n{LINE_TWO}"
    assert resolve(body, source_id="my-feed") == ("my-feed", "input", "SY24")
    assert resolve(body, options=TransformOptions(source_id="batch-7")) == ("batch-7", "option", "SY24")
    assert resolve(body) == ("sy24", "byline", "SY24")
    assert resolve(body, source_id="okaz") == ("okaz", "input", "SY24")  # the outlet is who wrote it


def test_url_domain_and_subdomains_resolve_the_source() -> None:
    assert resolve(f"{LEDE}\n{LINE_TWO}", url="https://english.enabbaladi.net/archives/1") == ("enab-baladi", "domain", "Enab Baladi")
    assert resolve(f"{LEDE}\n{LINE_TWO}", url="https://www.okaz.com.sa/x") == ("okaz", "domain", "Okaz")
    assert resolve(f"{LEDE}\n{LINE_TWO}", url="https://evil-enabbaladi.net/x")[:2] == ("local", "default")


def test_outlet_signals_in_the_text_resolve_the_source() -> None:
    assert resolve(f"نورث برس – {LEDE}\n{LINE_TWO}")[:2] == ("north-press", "lead_in")
    assert resolve(f"{LEDE}\n{LINE_TWO}\nادعم عنب بلدي")[:2] == ("enab-baladi", "appeal")
    assert resolve(f"{LEDE}\n{LINE_TWO}\nرابط مختصر .. https://eocr.eu/?p=1")[:2] == ("eocr", "short_link")
    # the page's own short link says where it is published; its lead-in says who wrote it
    republished = f"اندبندنت عربية – {LEDE}\n{LINE_TWO}\nرابط مختصر .. https://eocr.eu/?p=1"
    assert resolve(republished) == ("eocr", "short_link", "Independent Arabia")


def test_local_only_when_nothing_matches() -> None:
    assert resolve(f"{LEDE}\n{LINE_TWO}") == ("local", "default", None)
    assert resolve(f"الرياض – {LEDE}\n{LINE_TWO}")[:2] == ("local", "default")  # a city dateline is not Al Riyadh
    assert resolve(f"{TITLE}\nخاص – موقع جديد\n{LEDE}\n{LINE_TWO}") == ("local", "default", "موقع جديد")  # an unregistered outlet


def test_a_registered_source_s_name_is_the_outlet_when_nothing_else_names_one() -> None:
    result = transform_document(RawDocument("in.jsonl#L1", f"{LEDE}\n{LINE_TWO}".encode(), "text", source_id="alriyadh"))
    assert result.article is not None and result.article.outlet == "Al Riyadh"
    assert result.provenance is not None and result.provenance.outlet == "registry"


def test_a_source_s_time_zone_reads_date_times_without_an_offset() -> None:
    spec = datafile.parse({"id": "tz-test", "name": "TZ", "dates": {"timezone": "Asia/Damascus"}}, SourceFile)
    assert spec.dates.timezone == "Asia/Damascus"
    with pytest.raises(DataFileError, match=r"dates\.timezone: 'Mars/Olympus' is not an IANA time zone name"):
        datafile.parse({"id": "x", "name": "X", "dates": {"timezone": "Mars/Olympus"}}, SourceFile)


# -- the registry's own checks ----------------------------------------------------------------------


def spec(**fields: Any) -> SourceFile:
    return datafile.parse({"name": fields.get("id", "x").upper(), **fields}, SourceFile, "source.yaml")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"id": "Enab Baladi"}, "id: 'Enab Baladi' must be lower-case letters"),
        ({"id": "a", "domains": ["a.org"], "feeds": ["https://b.org/feed"]}, "domains: https://b.org/feed is outside the source's domains"),
        ({"id": "a", "feeds": ["ftp://a.org/f"]}, "feeds: 'ftp://a.org/f' is not an http(s) URL"),
        ({"id": "a", "limits": {"speed": 1}}, "limits: speed: unknown key"),
        ({"id": "a", "limits": {"delay": -1}}, "limits: delay: must be a number >= 0"),
        ({"id": "a", "domian": ["a.org"]}, "domian: unknown key (did you mean 'domain"),
        ({"id": "a", "boilerplate": {"line": [{"name": "x"}]}}, "boilerplate.line[0]: missing key 'pattern'"),
    ],
)
def test_a_bad_source_file_names_the_key(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(DataFileError) as err:
        spec(**fields)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_two_sources_cannot_claim_one_domain_or_one_name() -> None:
    a = spec(id="a", domains=["a.org"], names=["الموقع"])
    with pytest.raises(DataFileError, match=r"domain 'a\.org' is also claimed by 'a'"):
        Registry([a, spec(id="b", domains=["www.a.org"])])
    with pytest.raises(DataFileError, match="name 'الموقع' is also used by 'a'"):
        Registry([a, spec(id="b", names=["الموقع"])])


def test_the_longest_registered_domain_wins() -> None:
    reg = Registry([spec(id="parent", domains=["example.org"]), spec(id="child", domains=["news.example.org"])])
    assert reg.by_domain("https://a.news.example.org/x").id == "child"  # type: ignore[union-attr]
    assert reg.by_domain("https://example.org/").id == "parent"  # type: ignore[union-attr]
    assert reg.by_domain("http://[bad") is None and reg.by_domain(None) is None


# -- nothing names an unknown source ----------------------------------------------------------------


def test_nothing_the_project_ships_names_an_unknown_source() -> None:
    """Per-source rules live in the source's folder; configs and frozen pages name registered ids."""
    known = set(REGISTRY.sources)
    problems: list[str] = []
    rules_dir = ROOT / "transforms" / "rules"
    for path in sorted(rules_dir.rglob("*.yaml")):
        if path.parent != rules_dir:  # transforms/rules/sources/<id>.yaml and the like: not read any more
            problems.append(f"{path.relative_to(ROOT)}: per-source rules belong in sources/<id>/source.yaml (boilerplate:)")
    for folder in sorted((ROOT / PACKAGE).iterdir()):
        if folder.is_dir() and not folder.name.startswith(("_", ".")) and folder.name not in known:
            problems.append(f"{PACKAGE}/{folder.name}: a folder without a valid source.yaml")
    for page in PAGES:
        if page.expected.get("source_id") not in known:
            problems.append(f"{page.path}: expects unknown source {page.expected.get('source_id')!r}")
    problems += config_problems(ROOT / "config", known)
    assert problems == []


def config_problems(config_dir: Path, known: set[str]) -> list[str]:
    problems = []
    for path in sorted(config_dir.glob("*.yaml")):
        data = datafile.read_yaml(path) or {}
        for entry in data.get("sources") or []:
            if isinstance(entry, dict) and entry.get("id") not in known:
                problems.append(f"{path.name}: source {entry.get('id')!r} is not registered in {PACKAGE}/")
        source_id = (data.get("load") or {}).get("source_id") if isinstance(data.get("load"), dict) else None
        if source_id is not None and source_id not in known:
            problems.append(f"{path.name}: load.source_id {source_id!r} is not registered in {PACKAGE}/")
    return problems


def test_the_unknown_source_check_fails_on_a_bad_config(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text("sources:\n  - id: enabbaladi\n  - id: sy24\n", encoding="utf-8")
    (tmp_path / "news-etl.yaml").write_text("load:\n  source_id: nowhere\n", encoding="utf-8")
    assert config_problems(tmp_path, set(REGISTRY.sources)) == [
        "news-etl.yaml: load.source_id 'nowhere' is not registered in sources/",
        "sources.yaml: source 'enabbaladi' is not registered in sources/",
    ]
