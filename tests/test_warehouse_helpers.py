"""Helpers for the warehouse tests: synthetic Arabic articles through the real transform, a real
DuckLake on disk written by the real LakeWriter (no Prefect), and reads through the published copy."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from transforms.pipeline import transform_document
from transforms.records import DocumentResult, RawDocument
from warehouse.batch import BatchCounts, commit_counts_total
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.reader import run_query
from warehouse.writer import LakeWriter

WORDS = (  # noqa: SIM905  # reads better as Arabic text than as a list literal
    "قوات سوريا الديمقراطية التحالف الدولي تنظيم داعش ريف دير الزور الرقة الحسكة القامشلي منبج "
    "عملية أمنية اعتقال مقاتلين مدنيين قصف طائرات مسيرة حملة مداهمة خلايا نائمة قرية بلدة مدينة "
    "مصادر محلية أفادت أعلنت وزارة الدفاع مجلس عسكري عشائر العربية الكردية الحدود التركية العراقية "
    "مخيم الهول عائلات نازحين مساعدات إنسانية منظمة الأمم المتحدة تقرير حقوق الإنسان الشرق الأوسط "
    "اجتماع وفد زيارة الرئيس الحكومة الانتقالية دمشق حلب إدلب اللاذقية درعا السويداء حمص حماة"
).split()


def arabic_body(seed: int, words: int = 150) -> str:
    rng = random.Random(seed)
    out, line = [], []
    for i in range(words):
        line.append(rng.choice(WORDS))
        if (i + 1) % 12 == 0:
            out.append(" ".join(line) + ".")
            line = []
    if line:
        out.append(" ".join(line) + ".")
    return "\n".join(out)


def perturb(text: str, fraction: float, seed: int = 0) -> str:
    """Replace a fraction of the words (near-duplicate of `text`)."""
    rng = random.Random(seed)
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        for i in range(len(words)):
            if rng.random() < fraction:
                words[i] = rng.choice(WORDS) + "ات"
        lines.append(" ".join(words))
    return "\n".join(lines)


def raw(
    input_ref: str,
    text: str,
    *,
    url: str | None = None,
    source_id: str = "src",
    title: str | None = None,
    published_at: str | None = "2024-05-03T10:00:00Z",
) -> RawDocument:
    return RawDocument(
        input_ref=input_ref,
        content=text.encode("utf-8"),
        media_type="text",
        source_id=source_id,
        url=url,
        title=title,
        published_at=published_at,
    )


def doc(input_ref: str, text: str, **kw: Any) -> DocumentResult:
    result = transform_document(raw(input_ref, text, **kw))
    assert result.article is not None, result.reject
    return result


def load(paths: LakePaths, batches: Sequence[Iterable[DocumentResult]], run_id: str = "run-1") -> dict[str, int]:
    """One run of several batches, exactly as the load flow drives the writer."""
    parts: list[BatchCounts] = []
    with writer_lock(paths), LakeWriter(paths) as writer:
        writer.start_run(run_id, "load", {"test": True})
        for no, batch in enumerate(batches):
            parts.append(writer.commit_batch(run_id, list(batch), no))
        totals = commit_counts_total(parts)
        writer.finish_checked(run_id, {**totals, "batches": len(parts)}, None)  # events, data tests, end of run
    return totals


def rows(paths: LakePaths, sql: str) -> list[tuple[Any, ...]]:
    return run_query(paths, sql).rows


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def corpus_records(n: int, *, source_id: str = "src", seed0: int = 0) -> list[dict[str, Any]]:
    """n distinct, valid jsonl articles (each becomes one new article)."""
    return [
        {
            "url": f"https://example.org/{source_id}/{seed0 + i}",
            "title": f"خبر رقم {seed0 + i}",
            "text": arabic_body(seed0 + i),
            "published_at": f"2024-{1 + (i % 12):02d}-{1 + (i % 27):02d}T08:00:00Z",
            "source_id": source_id,
        }
        for i in range(n)
    ]


def test_helpers_make_distinct_valid_articles() -> None:
    a, b = doc("a", arabic_body(1)), doc("b", arabic_body(2))
    assert a.article is not None and b.article is not None
    assert a.article.content_hash != b.article.content_hash
    assert perturb(arabic_body(1), 0.1) != arabic_body(1)
