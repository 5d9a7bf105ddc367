"""The supervised worker pool (collect/pool.py) with real worker processes that segfault, exit,
hang in Python or in C: the culprit document is rejected (worker_crashed, too_slow), every other
document of the slice is processed once and in order, and the counts per input match."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collect.inputs import discover, plan_batches
from collect.pool import SupervisedPool, run_inline
from core.settings import InputBudget
from tests.pool_helpers import misbehaving_transform
from tests.test_hostile_reading import GOOD

pytestmark = pytest.mark.slow
BUDGET = InputBudget(max_document_seconds=6)  # generous: the first document of a fresh worker loads the rules


@pytest.fixture(scope="module")
def pool() -> Iterator[SupervisedPool]:
    workers = SupervisedPool(2, transform=misbehaving_transform)
    yield workers
    workers.shutdown()


def _folder(tmp_path: Path, markers: dict[str, str]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, marker in markers.items():
        (folder / name).write_text(f"{GOOD} {marker} {name}", encoding="utf-8")
    return folder


def _run(pool: SupervisedPool, folder: Path, docs_per_slice: int = 25) -> list[tuple[list[tuple[str, str]], list[int]]]:
    [batch] = plan_batches(discover([folder]), 400, docs_per_slice, BUDGET)
    out = []
    for future in [pool.submit(sl, None, BUDGET) for sl in batch]:
        results, counts = future.result(timeout=120)
        out.append(([(r.input_ref.rsplit("/", 1)[-1], r.reject.reason if r.reject else "article") for r in results], counts))
    return out


def test_crashes_and_hangs_cost_one_document_each(pool: SupervisedPool, tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "a.txt": "", "b.txt": "@@SEGFAULT@@", "c.txt": "", "d.txt": "@@EXIT@@", "e.txt": "@@HANG@@",
        "f.txt": "", "g.txt": "@@HANG_IN_C@@", "h.txt": "",
    })
    started = time.monotonic()
    [(results, counts)] = _run(pool, folder)
    assert results == [
        ("a.txt", "article"), ("b.txt", "worker_crashed"), ("c.txt", "article"), ("d.txt", "worker_crashed"),
        ("e.txt", "too_slow"), ("f.txt", "article"), ("g.txt", "too_slow"), ("h.txt", "article"),
    ]
    assert counts == [1] * 8
    assert time.monotonic() - started < 60
    assert pool.replaced >= 4


def test_a_crash_inside_a_jsonl_part_resumes_at_the_next_line(pool: SupervisedPool, tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    lines = [{"text": f"{GOOD} {i}"} for i in range(6)]
    lines[2]["text"] += " @@SEGFAULT@@"
    lines[4]["text"] += " @@HANG@@"
    (folder / "x.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    (folder / "y.txt").write_text(GOOD, encoding="utf-8")
    answers = _run(pool, folder)
    flat = [r for results, _ in answers for r in results]
    assert flat == [
        ("x.jsonl#L1", "article"), ("x.jsonl#L2", "article"), ("x.jsonl#L3", "worker_crashed"), ("x.jsonl#L4", "article"),
        ("x.jsonl#L5", "too_slow"), ("x.jsonl#L6", "article"), ("y.txt", "article"),
    ]


def test_slices_in_flight_on_other_workers_are_not_disturbed(pool: SupervisedPool, tmp_path: Path) -> None:
    markers = {f"{i:02d}.txt": "@@SEGFAULT@@" if i % 5 == 3 else "" for i in range(20)}
    folder = _folder(tmp_path, markers)
    answers = _run(pool, folder, docs_per_slice=4)
    flat = [r for results, _ in answers for r in results]
    assert [name for name, _ in flat] == sorted(markers)
    assert {name for name, reason in flat if reason == "worker_crashed"} == {n for n, m in markers.items() if m}
    assert all(reason == "article" for name, reason in flat if not markers[name])


def test_the_pool_and_the_inline_path_agree(pool: SupervisedPool, tmp_path: Path) -> None:
    folder = _folder(tmp_path, {f"{i}.txt": "" for i in range(5)})
    (folder / "z.jsonl").write_text(json.dumps({"text": GOOD}) + "\nnot json\n", encoding="utf-8")
    [batch] = plan_batches(discover([folder]), 400, 25, BUDGET)
    plain = SupervisedPool(1)
    try:
        for sl in batch:
            pooled, counts = plain.submit(sl, None, BUDGET).result(timeout=120)
            inline, inline_counts = run_inline(sl, None, BUDGET)
            assert counts == inline_counts
            assert [(r.input_ref, r.reject, r.article.article_id if r.article else None) for r in pooled] == [
                (r.input_ref, r.reject, r.article.article_id if r.article else None) for r in inline
            ]
    finally:
        plain.shutdown()
