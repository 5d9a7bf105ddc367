"""A small real lake for the report and artifact tests, written without Prefect: the bundled
samples and a jsonl of dated articles go through the real transforms and the real LakeWriter;
facts (mentions, figures) are attached by hand to the dated articles so the report has known
numbers to show; the hand-written events articles (tests/golden_events) keep the facts the
transform finds, and the writer resolves events and runs the data tests as a load does."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from collect.extract import process_slice
from collect.inputs import discover, plan_units
from transforms.records import DocumentResult, Figure, Mention
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = "20260101T000000Z-report01"

# source, day, title: 3 articles for north-press on 2026-03-01, 2 for enab on 2026-03-01, 1 on 03-02
DATED = [
    ("north-press", "2026-03-01", "قصف على ريف دير الزور"),
    ("north-press", "2026-03-01", "اعتقالات في مدينة الرقة"),
    ("north-press", "2026-03-01", "اشتباكات قرب منبج"),
    ("enab-baladi", "2026-03-01", "حملة مداهمات في الحسكة"),
    ("enab-baladi", "2026-03-01", "انفجار عبوة في دير الزور"),
    ("enab-baladi", "2026-03-02", "مقتل مدنيين في ريف الرقة"),
]


def write_jsonl(path: Path) -> Path:
    lines = []
    for i, (source, day, title) in enumerate(DATED):
        body = (
            f"{title}. قالت مصادر محلية إن الحادثة وقعت صباح اليوم في المنطقة، وإن فرق الدفاع المدني "
            f"وصلت إلى المكان بعد ساعات. هذا هو الخبر رقم {i} في هذه المجموعة من الأخبار المحلية."
        )
        lines.append(json.dumps({
            "url": f"https://{source}.example/{day}/{i}", "title": title, "text": body,
            "published_at": f"{day}T10:00:00Z", "source_id": source, "outlet": source,
        }, ensure_ascii=False))
    lines.append("this line is not json")  # one reject: bad_json
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _place(name: str, admin1: str, sentence: str) -> Mention:
    return Mention(kind="place", surface=name, canonical=name, start=0, end=len(name), sentence=sentence, admin1=admin1)


def with_facts(result: DocumentResult) -> DocumentResult:
    """Known facts per dated article (by title)."""
    a = result.article
    result.mentions, result.figures = [], []  # only the known facts below count
    result.reports = None  # the worker's event reports read the facts replaced here: read them back
    if a is None or a.title is None:
        return result
    t = a.title
    s = "قتل خمسة مدنيين في القصف"
    if "دير الزور" in t:
        result.mentions = [_place("دير الزور", "Deir ez-Zor", s), Mention("org", "قسد", "قوات سوريا الديمقراطية", 0, 3, s)]
        result.figures = [Figure("killed", 5, 5, "exact", s)]
    elif "الرقة" in t:
        s2 = "اعتقلت القوات 12 شخصا"
        result.mentions = [_place("الرقة", "Ar-Raqqah", s2), Mention("org", "قسد", "قوات سوريا الديمقراطية", 0, 3, s2)]
        result.figures = [Figure("arrested", 12, 12, "exact", s2)]
    elif "الحسكة" in t:
        s3 = "احتجاز سبعة شبان في الحملة"
        result.mentions = [_place("الحسكة", "Al-Hasakah", s3), Mention("person", "مظلوم عبدي", "مظلوم عبدي", 0, 9, s3)]
        result.figures = [Figure("detained", 7, 7, "exact", s3)]
    return result


EVENTS = ROOT / "tests" / "golden_events"  # air strikes in Idlib, arrests in Deir ez-Zor (March 2026)


def build_report_lake(data_dir: Path, tmp: Path) -> LakePaths:
    paths = LakePaths(data_dir)
    jsonl = write_jsonl(tmp / "dated.jsonl")
    seeds = sorted(str(p) for p in (ROOT / "samples").glob("*.txt"))  # the five seed articles
    units = tuple(plan_units(discover([*seeds, str(jsonl)])))
    results = [with_facts(r) for r in process_slice(units)]
    results += process_slice(tuple(plan_units(discover([str(EVENTS / "articles.jsonl"), str(EVENTS / "bridge.jsonl")]))))
    with writer_lock(paths), LakeWriter(paths) as writer:
        writer.start_run(RUN_ID, "load", {"paths": ["samples", "dated.jsonl", "golden_events"]})
        counts = writer.commit_batch(RUN_ID, results, 0)
        writer.finish_checked(RUN_ID, {**dataclasses.asdict(counts), "batches": 1}, None)
    return paths
