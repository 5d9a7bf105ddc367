"""Expected facts for the five seed articles (samples/): tests/golden_facts/<sample>.json.

The golden files were written from the extractor's output and then checked by hand against the
articles (docs/facts.md lists what is knowingly missed). Regenerate after a reviewed rule change:

    .venv/bin/python -m tests.test_facts_golden --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from transforms.normalize import search_form
from transforms.pipeline import transform_document
from transforms.records import RawDocument

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
GOLDEN = Path(__file__).resolve().parent / "golden_facts"


def facts_json(path: Path) -> dict[str, Any]:
    result = transform_document(RawDocument(input_ref=str(path), content=path.read_bytes(), media_type="text"))
    assert result.article is not None
    body = result.article.body
    title = result.article.title or ""
    mentions = [
        {
            "kind": m.kind,
            "surface": m.surface,
            "canonical": m.canonical,
            "canonical_ar": m.canonical_ar,
            "start": m.start,
            "end": m.end,
            "admin1": m.admin1,
            "part": m.part,
        }
        for m in result.mentions
    ]
    for x in result.mentions:  # offsets point at the surface in body (or the title), the article's own text
        assert (title if x.part == "title" else body)[x.start : x.end] == x.surface, x
        assert search_form(x.surface) == x.surface_search, x
        assert x.sentence is not None and x.surface in x.sentence, x
    figures = [
        {
            "kind": f.kind,
            "count_low": f.count_low,
            "count_high": f.count_high,
            "qualifier": f.qualifier,
            "text": (title if f.part == "title" else body)[f.start or 0 : f.end or 0],
            "of_figure": f.of_figure,
            "scope": f.scope,
            "part": f.part,
        }
        for f in result.figures
    ]
    for n, f in enumerate(result.figures):
        assert f.figure_no == n and (title if f.part == "title" else body)[f.start or 0 : f.end or 0] in f.sentence, f
    people = sorted({m.canonical for m in result.mentions if m.kind == "person"})
    orgs = sorted({m.canonical for m in result.mentions if m.kind == "org"})
    places = sorted({m.canonical for m in result.mentions if m.kind == "place"})
    return {"people": people, "orgs": orgs, "places": places, "figures": figures, "mentions": mentions}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_seed_article_facts_match_golden(path: Path) -> None:
    expected = json.loads((GOLDEN / f"{path.stem}.json").read_text(encoding="utf-8"))
    got = facts_json(path)
    # the summaries first: a failure there reads like a review comment
    assert got["people"] == expected["people"]
    assert got["orgs"] == expected["orgs"]
    assert got["places"] == expected["places"]
    assert got["figures"] == expected["figures"]
    assert got["mentions"] == expected["mentions"]


def test_golden_files_say_what_an_analyst_expects() -> None:
    """Hand-written facts from reading the seeds: these never come from the extractor."""
    g = {p.stem[:3]: json.loads((GOLDEN / f"{p.stem}.json").read_text(encoding="utf-8")) for p in SAMPLES}
    assert {"إيريك هيل", "مظلوم عبدي"} <= set(g["000"]["people"])
    assert ("arrested", 7, None, "at_least") in {(f["kind"], f["count_low"], f["count_high"], f["qualifier"]) for f in g["001"]["figures"]}
    assert ("killed", 3, 3) in {(f["kind"], f["count_low"], f["count_high"]) for f in g["001"]["figures"]}
    assert g["002"]["people"] == ["مايلز كاغينز", "مظلوم عبدي"]  # كيغينز / كیغینز / ب. / الثالث merged
    detained = {(f["kind"], f["count_low"], f["count_high"], f["qualifier"]) for f in g["002"]["figures"]}
    assert ("held", 10001, None, "more_than") in detained  # "الاحتجاز ... المستمر": people held, a stock
    assert "محمود ابو يوسف" in g["003"]["people"] and "ابو يوسف" not in g["003"]["people"]
    assert ("arrested", 38, 38) in {(f["kind"], f["count_low"], f["count_high"]) for f in g["003"]["figures"]}
    assert ("arrested", 50, 50, "about") in {(f["kind"], f["count_low"], f["count_high"], f["qualifier"]) for f in g["004"]["figures"]}
    assert "Abu al-Naytal" in g["004"]["places"] and "مايلز كاغينز" in g["004"]["people"]
    # "مركز دير الزور الإعلامي" is an organisation, and its "دير الزور" is not a place mention
    org = next(m for m in g["000"]["mentions"] if m["canonical"] == "Deir ez-Zor Media Center")
    assert not any(m["kind"] == "place" and org["start"] <= m["start"] < org["end"] for m in g["000"]["mentions"])


if __name__ == "__main__":
    if "--write" in sys.argv:
        GOLDEN.mkdir(exist_ok=True)
        for p in SAMPLES:
            (GOLDEN / f"{p.stem}.json").write_text(json.dumps(facts_json(p), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print("wrote", p.stem)
