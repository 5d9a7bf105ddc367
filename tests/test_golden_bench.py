"""The extraction-quality bench: its scoring, and a clean skip without the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.quality_aeb import Score, main


def test_token_scores() -> None:
    s = Score()
    s.add("a", "the cat sat on the mat", "the cat sat")
    assert s.summary()["recall"] == 1.0
    assert s.summary()["precision"] == pytest.approx(3 / 6)
    s.add("b", None, "lost text")  # a failure scores zero
    summary = s.summary()
    assert summary["failures"] == 1 and summary["docs"] == 2
    assert summary["f1"] == pytest.approx((2 * 0.5 / 1.5) / 2)


def test_skips_cleanly_without_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--corpus", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr()
    assert "skipping" in out.err
    assert "arabic_samples" in out.out and "bare trafilatura" in out.out
