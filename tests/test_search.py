"""Full-text search: DuckDB fts (Arabic stemmer) over body_search, published next to the catalog."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import warehouse.search as search_module
from tests.conftest import Cli
from tests.test_warehouse_helpers import arabic_body, doc, load
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.search import SearchFilter, SearchUnavailable, search, search_path
from warehouse.writer import LakeWriter

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


def test_search_filters_sources_dates_and_all_words(tmp_path: Path) -> None:
    paths = LakePaths(tmp_path / "data")
    load(paths, [[
        doc("a.txt", "قصف مدفعي على ريف دير الزور. " + FILLER, url="https://a.example/1", source_id="enab",
            published_at="2024-05-03T10:00:00Z"),
        doc("b.txt", "قصف جوي على مخيم قرب الحسكة. " + FILLER, url="https://b.example/2", source_id="npa",
            published_at="2024-06-10T10:00:00Z"),
        doc("c.txt", "قصف وتوتر في دير الزور. " + FILLER, url="https://b.example/3", source_id="npa", published_at=None),
    ]])

    def urls(query: str, where: SearchFilter) -> set[str | None]:
        return {h.url for h in search(paths, query, where=where)}

    assert urls("قصف", SearchFilter()) == {"https://a.example/1", "https://b.example/2", "https://b.example/3"}
    assert urls("قصف", SearchFilter(sources=("npa",))) == {"https://b.example/2", "https://b.example/3"}
    assert urls("قصف", SearchFilter(sources=("npa", "enab"))) == urls("قصف", SearchFilter())
    june = SearchFilter(since=datetime(2024, 6, 1, tzinfo=UTC), until=datetime(2024, 7, 1, tzinfo=UTC))
    assert urls("قصف", june) == {"https://b.example/2"}  # the undated article is left out
    assert urls("قصف", SearchFilter(until=datetime(2024, 5, 4, tzinfo=UTC))) == {"https://a.example/1"}
    # any word, or every word
    assert urls("مخيم الزور", SearchFilter()) == {"https://a.example/1", "https://b.example/2", "https://b.example/3"}
    assert urls("قصف الزور", SearchFilter(all_words=True)) == {"https://a.example/1", "https://b.example/3"}
    # the limit applies after the filter: the best match of one source is found even if others rank higher
    assert [h.url for h in search(paths, "قصف", limit=1, where=SearchFilter(sources=("enab",)))] == ["https://a.example/1"]


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
    narrowed = cli("search", "قصف", "--since", "2024-05-03", "--until", "2024-05-03", "--source", "src", "--all", "--format", "json")
    assert narrowed.code == 0 and [h["url"] for h in json.loads(narrowed.stdout)] == ["https://x.example/shelling"], narrowed.stderr
    assert json.loads(cli("search", "قصف", "--since", "2024-05-04", "--format", "json").stdout) == []
    bad = cli("search", "قصف", "--since", "May 3")
    assert bad.code == 2 and "--since must be a day like" in bad.stderr and "Traceback" not in bad.stderr
    missing = Cli(data_dir=tmp_path / "empty", env={})("search", "قصف")
    assert missing.code == 1 and "no search index" in missing.stderr and "Traceback" not in missing.stderr


def _index_state(path: Path) -> dict[str, Any]:
    """The fts tables of an index file keyed by article and term (docids/termids are internal)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        fts = "fts_main_docs"
        return {
            "docs": sorted(con.execute(f"SELECT name, len FROM {fts}.docs").fetchall()),
            "dict": sorted(con.execute(f"SELECT term, df FROM {fts}.dict").fetchall()),
            "terms": sorted(con.execute(
                f"SELECT d.name, f.field, t.term, count(*) FROM {fts}.terms AS x JOIN {fts}.docs AS d USING (docid) "
                f"JOIN {fts}.dict AS t USING (termid) JOIN {fts}.fields AS f USING (fieldid) GROUP BY ALL"
            ).fetchall()),
            "stats": con.execute(f"SELECT num_docs, avgdl FROM {fts}.stats").fetchall(),
            "rows": sorted(con.execute("SELECT article_id, version, title, title_search, body_search FROM docs").fetchall()),
        }
    finally:
        con.close()


QUERIES = ("قصف", "دير الزور", "مخيم الهول", "قوات سوريا الديمقراطية", "اعتقال مقاتلين", "الرقة ليلا", "دمشق")


def _scores(paths: LakePaths) -> dict[str, list[tuple[str, float]]]:
    return {q: sorted((h.article_id, round(h.score, 9)) for h in search(paths, q, limit=1000)) for q in QUERIES}


def test_an_updated_index_equals_a_full_build(lake: LakePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "REBUILD_FRACTION", 10.0)  # update even when most articles change
    load(lake, [[doc(f"a{i}.txt", arabic_body(i), url=f"https://x.example/a{i}", title=f"خبر {i}") for i in range(12)]], "run-2")
    load(lake, [[
        doc("more.txt", "مداهمة جديدة في الرقة ليلا. " + FILLER, url="https://x.example/more"),
        # a new version of an article already indexed: its old postings must go
        doc("shelling-2.txt", "قصف جديد على ريف دير الزور ومخيم الهول. " + FILLER, url="https://x.example/shelling",
            title="قصف متجدد"),
        doc("a3-v2.txt", arabic_body(103), url="https://x.example/a3"),
    ]], "run-3")
    index = search_path(lake)
    with duckdb.connect(str(index), read_only=True) as con:
        assert con.execute("SELECT updates FROM index_meta").fetchall() == [(2,)]  # both runs updated it
    updated, updated_scores = _index_state(Path(index)), _scores(lake)
    assert any(h.url == "https://x.example/more" for h in search(lake, "الرقة"))
    assert [h.title for h in search(lake, "متجدد")] == ["قصف متجدد"]

    with writer_lock(lake), LakeWriter(lake) as writer:
        assert writer.refresh_search().mode == "unchanged"
        refreshed = writer.refresh_search(full=True)
    assert refreshed.mode == "full" and refreshed.indexed == 3 + 12 + 1
    assert _index_state(Path(index)) == updated
    assert _scores(lake) == updated_scores


def test_much_change_or_an_older_index_means_a_full_build(lake: LakePaths) -> None:
    with writer_lock(lake), LakeWriter(lake) as writer:
        with duckdb.connect(str(search_path(lake))) as con:
            con.execute("UPDATE index_meta SET format = 1")
        assert writer.refresh_search().mode == "full"  # an index of another format is rebuilt
        assert writer.refresh_search().mode == "unchanged"
        with duckdb.connect(str(search_path(lake))) as con:
            con.execute("DROP TABLE index_meta")  # as written by news-etl before 2026-12-03
        assert writer.refresh_search().mode == "full"
        search_path(lake).write_bytes(b"not a database")
        assert writer.refresh_search().mode == "full"
        assert [h.url for h in search(lake, "دمشق")] == ["https://x.example/other"]
    # 3 articles indexed, 2 new ones: more than REBUILD_FRACTION changed
    load(lake, [[doc(f"b{i}.txt", arabic_body(50 + i), url=f"https://x.example/b{i}") for i in range(2)]], "run-2")
    with duckdb.connect(str(search_path(lake)), read_only=True) as con:
        assert con.execute("SELECT updates FROM index_meta").fetchall() == [(0,)]
