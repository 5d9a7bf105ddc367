"""The facts benchmark: its matching rules (bench/facts_score.py) and a clean skip without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import facts_bench
from bench.facts_score import loose, score_article
from transforms.records import Figure, Mention


def _m(kind: str, surface: str, canonical: str, admin1: str | None = None, canonical_ar: str | None = None) -> Mention:
    return Mention(kind, surface, canonical, 0, len(surface), None, admin1, canonical_ar=canonical_ar)


def test_loose_forms_ignore_clitics_article_and_hamza() -> None:
    assert loose("وللرقة") == loose("الرقة") == loose("رقه")
    assert loose("«داعش»") == loose("داعش")
    assert loose("أبو محمد") == loose("ابو محمد")


def test_places_match_by_canonical_place_and_governorate() -> None:
    label = {
        "places": [
            {"surface": "المنصورة", "name_en": "Al-Mansurah", "governorate": "Ar-Raqqah"},
            {"surface": "ريف حلب", "name_en": "Aleppo countryside", "governorate": "Aleppo"},
        ]
    }
    right = [_m("place", "المنصوره", "Mansoura", "Ar-Raqqah"), _m("place", "بريف حلب", "Aleppo countryside", "Aleppo")]
    score = score_article(label, right, [])
    assert (score.counts["places"].tp, score.counts["places"].fp, score.counts["places"].fn) == (2, 0, 0)
    wrong_governorate = [_m("place", "المنصوره", "Mansoura", "Aleppo")]
    assert score_article(label, wrong_governorate, []).counts["places"].tp == 0


def test_people_and_orgs_match_by_normalised_surface() -> None:
    label = {"people": [{"surface": "بشار الأسد"}], "orgs": [{"surface": "المرصد السوري لحقوق الإنسان"}]}
    found = [_m("person", "الاسد", "بشار الأسد"), _m("org", "والمرصد السوري", "SOHR")]
    score = score_article(label, found, [])
    assert score.counts["people"].tp == 1 and score.counts["orgs"].tp == 1


def test_figures_by_kind_and_counts_repeats_once_and_breakdown_links() -> None:
    label = {
        "figures": [
            {"kind": "killed", "count_low": 18, "count_high": 18, "breakdown_of": None},
            {"kind": "killed", "count_low": 7, "count_high": 7, "breakdown_of": 0},
        ]
    }
    figures = [
        Figure("killed", 18, 18, "exact", "s", figure_no=0),
        Figure("killed", 7, 7, "exact", "s", figure_no=1, of_figure=0),
        Figure("killed", 18, 18, "exact", "s", figure_no=2),  # the toll repeated: not a false positive
        Figure("injured", 2020, 2020, "exact", "s", figure_no=3),  # wrong: a false positive
    ]
    score = score_article(label, [], figures)
    killed = score.counts["figures:killed"]
    assert (killed.tp, killed.fp, killed.fn) == (2, 0, 0)
    assert score.counts["figures"].fp == 1
    assert score.breakdown_links == [1, 1]


def test_skips_cleanly_without_the_corpus(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(facts_bench, "corpus", lambda _name: None)
    assert facts_bench.main(["--set", "dev"]) == 0
    assert "skipped" in capsys.readouterr().out


def test_missing_labels_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert facts_bench.main(["--set", "heldout", "--labels", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().out
