"""The extraction quality gate (bench/quality.py): its scoring, its checks against the floors file,
and a loud failure when a corpus is missing. No corpus is read here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import quality
from bench.quality import CorpusScore, PageResult, check, date_matches, prf, same_title
from core import datafile


def test_word_f1_is_wcxb_scoring() -> None:
    p, r, f = prf("The cat sat on the mat", "the cat, the cat sat")
    # tokens: pred {the:2 cat sat on mat}, truth {the:2 cat:2 sat}: overlap the:2 cat:1 sat:1 = 4
    assert (p, r) == pytest.approx((4 / 6, 4 / 5))
    assert f == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    assert prf(None, "lost text") == (0.0, 0.0, 0.0)  # a failure scores zero
    assert prf("", "") == (1.0, 1.0, 1.0)
    assert prf("extra", "")[2] == 0.0


def test_titles_and_dates() -> None:
    assert same_title(" A  title\n", "A title") and not same_title("A title!", "A title")
    assert date_matches("2024-03-05T10:00:00+03:00", "2024-03-05")
    assert date_matches("2024-03-17", "2024-03")  # a truth given to the month
    assert not date_matches("2024-03-06", "2024-03-05") and not date_matches(None, "2024-03-05")


def _scores(pipeline: float, bare: float, answered: tuple[int, int] = (9, 10)) -> dict[str, CorpusScore]:
    sc = CorpusScore()
    truth = {("wcxb-dev", str(i)): "2024-01-02" for i in range(10)}
    for i in range(10):
        r = PageResult("wcxb-dev", str(i))
        r.text = {"pipeline": (1.0, 1.0, pipeline), "extract_json": (1.0, 1.0, bare)}
        r.date = {"pipeline": "2024-01-02" if i < answered[0] else None, "htmldate_extensive": "2024-01-02"}
        sc.add(r, truth)
    return {"wcxb-dev": sc}


def _floors(floor: float) -> quality.Floors:
    return quality.Floors(
        noise=quality.Noise(text_f1=0.002, title=0.005, date=0.004),
        floors=[quality.Floor("wcxb-dev", "text_f1", floor, "2026-12-03", "test")],
        ahead=[quality.Ahead("wcxb-dev", "text_f1", ["extract_json"], "quality first")],
        clean_text_false_positives=0,
    )


def test_check_passes_within_noise_and_names_each_regression() -> None:
    assert check(_scores(0.940, 0.941), _floors(0.941)) == []  # 0.001 below: noise
    problems = check(_scores(0.930, 0.936), _floors(0.940))
    assert len(problems) == 2
    assert "below its floor 0.9400" in problems[0] and "(set 2026-12-03: test)" in problems[0]
    assert "behind extract(json, metadata) 0.9360" in problems[1]
    audit = {"false_positives": 2, "examples": ["share_buttons: نص"]}
    assert "removed 2 lines of clean text" in check(_scores(0.95, 0.9), _floors(0.9), audit)[0]


def test_date_accuracy_and_precision() -> None:
    m = _scores(1.0, 1.0, answered=(9, 10))["wcxb-dev"].metrics()
    assert m["pipeline"]["date_accuracy"] == pytest.approx(0.9)
    assert m["pipeline"]["date_precision"] == 1.0
    assert m["htmldate_extensive"]["date_accuracy"] == 1.0


def test_the_floors_file_is_valid_and_dated() -> None:
    floors = datafile.load(quality.FLOORS, quality.Floors)
    assert floors.floors and floors.ahead
    for fl in floors.floors:
        assert len(fl.since) == 10 and fl.reason
    corpora = {fl.corpus for fl in floors.floors}
    assert corpora == {"aeb", "wcxb-dev", "arabic"}


def test_a_missing_corpus_fails_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert quality.main(["--corpora", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert "the AEB corpus is missing" in err and "nothing was checked" in err
