"""The decision new / version / duplicate, without DuckDB."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from transforms.pipeline import transform_document
from transforms.records import DocumentResult, RawDocument
from warehouse.batch import StoredArticle, plan_batch

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BODY = "نص خبر طويل بما يكفي ليكون مقالاً حقيقياً عن الأحداث في دير الزور وريفها الشرقي."


def doc(ref: str, body: str = BODY, url: str | None = "https://x.org/1") -> DocumentResult:
    return transform_document(RawDocument(input_ref=ref, content=body.encode(), media_type="text", url=url, title="عنوان"))


def test_new_duplicate_and_reject_add_up() -> None:
    a, dup = doc("a"), doc("b", url="https://other.org/9")
    bad = DocumentResult.rejected("c", "empty", "no content")
    plan = plan_batch([a, dup, bad], run_id="r", now=NOW, stored_by_id={}, stored_by_hash={}, known_inputs=set())
    assert (plan.articles_new, plan.duplicates, plan.rejects) == (1, 1, 1)
    assert [r["relation"] for r in plan.rows["article_inputs"]] == ["stored", "duplicate"]
    assert plan.rows["article_inputs"][1]["article_id"] == a.article.article_id  # type: ignore[union-attr]


def test_changed_content_is_a_new_version() -> None:
    a = doc("a")
    assert a.article is not None
    stored = {a.article.article_id: StoredArticle(a.article.article_id, 1, "oldhash")}
    plan = plan_batch([a], run_id="r", now=NOW, stored_by_id=stored, stored_by_hash={}, known_inputs=set())
    assert plan.articles_updated == 1 and plan.replace_ids == {a.article.article_id}
    assert plan.rows["articles"][0]["version"] == 2


def test_rerun_is_a_duplicate_and_records_nothing_new() -> None:
    a = doc("a")
    assert a.article is not None
    art = a.article
    plan = plan_batch(
        [a], run_id="r", now=NOW,
        stored_by_id={art.article_id: StoredArticle(art.article_id, 1, art.content_hash)},
        stored_by_hash={art.content_hash: art.article_id},
        known_inputs={(art.article_id, "a")},
    )
    assert plan.duplicates == 1 and not plan.rows["articles"] and not plan.rows["article_inputs"]


def test_two_versions_in_one_batch_latest_wins() -> None:
    a1 = doc("a")
    a2 = doc("a2", body=BODY + " تحديث.")
    assert a1.article is not None and a2.article is not None
    assert a1.article.article_id == a2.article.article_id
    plan = plan_batch([a1, a2], run_id="r", now=NOW, stored_by_id={}, stored_by_hash={}, known_inputs=set())
    assert len(plan.rows["articles"]) == 1 and plan.rows["articles"][0]["version"] == 2
    assert len(plan.rows["article_versions"]) == 2


def test_undated_articles_go_to_partition_zero() -> None:
    a = doc("a")
    plan = plan_batch([a], run_id="r", now=NOW, stored_by_id={}, stored_by_hash={}, known_inputs=set())
    assert (plan.rows["articles"][0]["pub_year"], plan.rows["articles"][0]["pub_month"]) == (0, 0)
    assert a.article is not None
    dated = replace(a, article=replace(a.article, published_at=datetime(2020, 6, 7, tzinfo=UTC), published_precision="day"))
    plan = plan_batch([dated], run_id="r", now=NOW, stored_by_id={}, stored_by_hash={}, known_inputs=set())
    assert (plan.rows["articles"][0]["pub_year"], plan.rows["articles"][0]["pub_month"]) == (2020, 6)
