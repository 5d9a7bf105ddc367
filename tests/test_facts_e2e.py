"""Facts through the real load path (Prefect + DuckLake), and the documented analyst query
"arrests per governorate per month" (read from docs/facts.md, so the docs stay true)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, Cli

pytestmark = pytest.mark.slow


def documented_query(name: str) -> str:
    doc = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- query: " + name + r" -->\s*```sql\n(.*?)```", doc, re.S)
    assert m, f"docs/facts.md has no query {name}"
    return m.group(1)


ARTICLES = [
    # one place in the figure's sentence
    {
        "url": "https://example.org/a1",
        "title": "حملة في الشحيل",
        "published_at": "2024-03-10T08:00:00Z",
        "source_id": "test",
        "text": "اعتقلت قوات سوريا الديمقراطية 12 شخصاً في بلدة الشحيل بريف دير الزور الشرقي.\nوقالت مصادر محلية إن الحملة مستمرة.",
    },
    {
        "url": "https://example.org/a2",
        "title": "مداهمة في غويران",
        "published_at": "2024-03-20T08:00:00Z",
        "source_id": "test",
        "text": "ألقت قوات الأسايش القبض على 5 أشخاص في حي غويران بمدينة الحسكة.\nولم تذكر أسماء الموقوفين حتى الآن.",
    },
    # no place in the figure's sentence: the article's main governorate (الرقة, twice)
    {
        "url": "https://example.org/a3",
        "title": "توتر في الرقة",
        "published_at": "2024-04-02T08:00:00Z",
        "source_id": "test",
        "text": "شهدت مدينة الرقة توتراً أمنياً أمس.\nوأفادت مصادر باعتقال نحو 20 شخصاً خلال المداهمات.\nوعاد الهدوء إلى الرقة مساء.",
    },
    # places in two governorates in the sentence -> main governorate of the article (دير الزور, named first)
    {
        "url": "https://example.org/a4",
        "title": "اعتقالات",
        "published_at": "2024-04-15T08:00:00Z",
        "source_id": "test",
        "text": "وفي دير الزور والحسكة اعتقلت القوات 3 أشخاص.\nوكانت دير الزور قد شهدت هجمات.",
    },
]


def test_load_fills_mentions_and_figures_and_answers_arrests_per_governorate(cli: Cli, tmp_path: Path) -> None:
    feed = tmp_path / "facts.jsonl"
    feed.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES) + "\n", encoding="utf-8")
    res = cli("load", *(str(p) for p in SEEDS), str(feed))
    assert res.code == 0, res.stderr

    per_article = cli.sql_json(
        "select a.article_id, (select count(*) from mentions m where m.article_id = a.article_id) as mentions, "
        "(select count(*) from figures f where f.article_id = a.article_id) as figures from articles a"
    )
    assert len(per_article) == 5 + len(ARTICLES)
    assert all(int(r["mentions"]) > 0 and int(r["figures"]) > 0 for r in per_article), per_article  # type: ignore[call-overload]

    # provenance: every surface is exactly its offsets in body (or the title), the article's own text
    bad = cli.sql_json(
        "select count(*) as n from mentions m join articles a using (article_id) "
        "where substr(case m.part when 'title' then a.title else a.body end, m.start + 1, m.\"end\" - m.start) <> m.surface "
        "or m.surface_search is null"
    )
    assert bad == [{"n": 0}]
    people = {r["canonical"] for r in cli.sql_json("select distinct canonical from mentions where kind = 'person'")}
    assert {"مايلز كاغينز", "مظلوم عبدي", "إيريك هيل", "جويل هاربر"} <= people
    runs = cli.sql_json("select mentions, figures from runs")
    assert int(runs[0]["figures"]) == int(cli.sql_json("select count(*) as n from figures")[0]["n"])  # type: ignore[call-overload]

    rows = cli.sql_json(documented_query("arrests_per_governorate"))
    dated = [(r["governorate"], r["year"], r["month"], r["reports"], r["arrested_at_least"]) for r in rows if r["year"] != 0]
    assert dated == [
        ("Deir ez-Zor", 2020, 6, 1, 50),  # seed 004, dated 2020-06-07 from its text: "نحو 50" arrested
        ("Al-Hasakah", 2024, 3, 1, 5),
        ("Deir ez-Zor", 2024, 3, 1, 12),
        ("Ar-Raqqah", 2024, 4, 1, 20),
        ("Deir ez-Zor", 2024, 4, 1, 3),
    ]
    undated = {r["governorate"]: r["arrested_at_least"] for r in rows if r["year"] == 0}
    # seeds have no publication date: البصيرة (7), دير الزور ... ; nothing is lost
    total = cli.sql_json(
        "select sum(f.count_low) as n from figures f join articles a using (article_id) where f.kind = 'arrested' and a.pub_year = 0"
    )[0]["n"]
    assert sum(int(v) for v in undated.values()) == int(total)  # type: ignore[call-overload]
    assert "Deir ez-Zor" in undated
