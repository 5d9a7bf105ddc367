"""Golden documents: each bundled sample must come out exactly as written down in
tests/golden/<name>.json (clean body, title, subtitle, outlet, date, embeds, removed lines).
The expected files are reviewed by hand; `python -m tests.golden.regen` rewrites them."""

from __future__ import annotations

import json

import pytest

from collect.extract import transform_options
from core.settings import LoadSettings
from tests.golden.harness import GOLDEN, Case, cases, snapshot
from transforms.pipeline import TransformOptions

CASES = cases()


def test_every_sample_has_a_golden_file() -> None:
    names = {c.name for c in CASES}
    assert len([c for c in CASES if c.media_type == "text"]) >= 5
    assert len([c for c in CASES if c.media_type == "html"]) >= 3
    missing = sorted(n for n in names if not (GOLDEN / f"{n}.json").exists())
    assert not missing, f"write golden files with `python -m tests.golden.regen`: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case) -> None:
    path = GOLDEN / f"{case.name}.json"
    if not path.exists():
        pytest.fail(f"no golden file {path.name}")
    expected = json.loads(path.read_text("utf-8"))
    actual = json.loads(json.dumps(snapshot(case), ensure_ascii=False))
    assert actual["article"] == expected["article"]
    assert actual["embeds"] == expected["embeds"]
    assert actual["removed"] == expected["removed"]


@pytest.mark.parametrize("case", [c for c in CASES if c.media_type == "html"], ids=lambda c: c.name)
def test_html_golden_holds_with_trafilatura_fallback_on(case: Case) -> None:
    """The default skips trafilatura's readability/jusText comparison (fast mode, measured in
    docs/performance.md); on our Arabic pages the slower comparison must not find another text."""
    expected = json.loads((GOLDEN / f"{case.name}.json").read_text("utf-8"))
    actual = json.loads(json.dumps(snapshot(case, TransformOptions(html_fallback=True)), ensure_ascii=False))
    assert actual["article"] == expected["article"]
    assert actual["removed"] == expected["removed"]


def test_html_fallback_setting_reaches_the_transform() -> None:
    assert transform_options(LoadSettings(html_fallback=True)) == TransformOptions(html_fallback=True)
    assert transform_options(LoadSettings()).html_fallback is False
