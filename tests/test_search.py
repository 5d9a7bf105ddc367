"""Full-text search: DuckDB fts (Arabic stemmer) over body_search, published next to the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_warehouse_helpers import doc, load
from warehouse.paths import LakePaths
from warehouse.search import SearchUnavailable, search

FILLER = "وقالت مصادر محلية إن الوضع في المنطقة ما زال متوترا منذ أسابيع وسط انتشار أمني واسع."
SHELLING = "قصف مدفعي استهدف قرية في ريف دير الزور الشرقي صباح اليوم. " + FILLER
CAMP = "عائلات جديدة وصلت إلى مخيم الهول شرقي الحسكة بعد رحلة طويلة. " + FILLER
OTHER = "اجتماع في دمشق بين وفد حكومي وممثلين عن العشائر لبحث ملف الخدمات. " + FILLER


@pytest.fixture
def lake(tmp_path: Path) -> LakePaths:
    paths = LakePaths(tmp_path / "data")
    load(paths, [[
        doc("shelling.txt", SHELLING, url="https://x.example/shelling", title="قصف على ريف دير الزور"),
        doc("camp.txt", CAMP, url="https://x.example/camp", title="نازحون جدد"),
        doc("other.txt", OTHER, url="https://x.example/other", title="اجتماع في دمشق"),
    ]])
    return paths


def test_search_stems_and_normalises_arabic(lake: LakePaths) -> None:
    assert [h.url for h in search(lake, "بالقصف")] == ["https://x.example/shelling"]  # prefix بال stripped
    assert [h.url for h in search(lake, "المخيمات")] == ["https://x.example/camp"]  # plural/definite -> مخيم
    assert [h.url for h in search(lake, "دمشق")] == ["https://x.example/other"]
    assert [h.url for h in search(lake, "نازحون")] == ["https://x.example/camp"]  # the title is indexed too
    # diacritics and hamza forms in the query do not matter (normalised like body_search)
    assert [h.url for h in search(lake, "قَصْف")] == ["https://x.example/shelling"]
    assert search(lake, "كلمةغيرموجودة") == []
    ranked = search(lake, "قصف مخيم")
    assert {h.url for h in ranked} == {"https://x.example/shelling", "https://x.example/camp"}
    assert ranked[0].score >= ranked[1].score


def test_search_index_follows_new_runs(lake: LakePaths) -> None:
    load(lake, [[doc("more.txt", "مداهمة جديدة في الرقة ليلا. " + FILLER, url="https://x.example/more")]], "run-2")
    assert [h.url for h in search(lake, "الرقة")] == ["https://x.example/more"]
    assert not list(lake.lake_dir.glob(".*.tmp"))


def test_search_without_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SearchUnavailable, match="no search index"):
        search(LakePaths(tmp_path / "none"), "قصف")


def test_cli_search(lake: LakePaths, tmp_path: Path) -> None:
    cli = Cli(data_dir=lake.data_dir, env={})
    res = cli("search", "بالقصف", "--format", "json")
    assert res.code == 0, res.stderr
    hits = json.loads(res.stdout)
    assert [h["url"] for h in hits] == ["https://x.example/shelling"] and hits[0]["title"] == "قصف على ريف دير الزور"
    table = cli("search", "مخيم", "--limit", "1")
    assert table.code == 0 and "نازحون جدد" in table.stdout
    missing = Cli(data_dir=tmp_path / "empty", env={})("search", "قصف")
    assert missing.code == 1 and "no search index" in missing.stderr and "Traceback" not in missing.stderr
