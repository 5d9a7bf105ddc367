"""Reliability of the transform and load path under bad input (no Prefect: fast).

Every input file ends as exactly one article/duplicate or reject per document, with a reason;
nothing raises, nothing is dropped silently, and the counts of a real lake commit add up.
Inputs are hypothesis-generated (random bytes, random JSON, random text) and hand-written
(truncated gzip/WARC, HTML without body, a 50 MB single line, mixed encodings, odd file names).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from collect.extract import process_slice
from collect.inputs import Rejected as InputRejected
from collect.inputs import discover, group_slices, jsonl_record, plan_units
from core.settings import InputBudget
from transforms.identity import safe_source_id
from transforms.pipeline import TransformOptions, transform_document
from transforms.records import DocumentResult, RawDocument
from warehouse.attach import WarehouseError
from warehouse.paths import LakePaths
from warehouse.reader import run_query
from warehouse.writer import LakeWriter

REASONS = {
    "empty", "binary", "undecodable", "no_text", "unsupported_type", "unreadable", "bad_json", "bad_field",
    "no_text_field", "bad_warc", "transform_error", "too_large", "too_deep", "too_many_lines",
}
SUFFIXES = [".txt", ".html", ".htm", ".jsonl", ".jsonl.gz", ".warc", ".warc.gz", ".png", ""]
ARABIC_TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإةى ًٌٍَُِّْـ0123456789٠١٢٣.,،؟!\n\t «»\"'<>&;/")),
    max_size=600,
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def process_paths(paths: Iterable[Path], source: str | None = None) -> list[DocumentResult]:
    """The worker's code path (plan -> slices -> read -> transform), in this process."""
    units = plan_units(discover([str(p) for p in paths]))
    return [r for sl in group_slices(units, 25) for r in process_slice(sl, TransformOptions(source_id=source))]


def assert_well_formed(results: list[DocumentResult]) -> None:
    for r in results:
        assert (r.article is None) != (r.reject is None), r
        if r.reject is not None:
            assert r.reject.reason in REASONS, r.reject
            assert r.reject.detail.strip(), r.reject
            assert r.input_ref == r.reject.input_ref
        else:
            assert r.article is not None
            assert r.article.body.strip() and r.article.content_hash
            assert re.fullmatch(r"[a-z0-9_-]{1,64}", r.article.source_id), r.article.source_id


def commit_and_count(tmp: Path, results: list[DocumentResult], run_id: str = "run-1") -> dict[str, int]:
    """Commit to a real DuckLake on disk and read back what the lake says."""
    paths = LakePaths(tmp / "data")
    with LakeWriter(paths) as writer:
        writer.start_run(run_id, "test", {})
        counts = writer.commit_batch(run_id, results)
        writer.finish_run(run_id, "completed", {"inputs": counts.inputs})
    stored = run_query(paths, f"select count(*) from rejects where run_id = '{run_id}'").rows[0][0]
    assert stored == counts.rejects
    return {
        "inputs": counts.inputs, "new": counts.articles_new, "updated": counts.articles_updated,
        "duplicates": counts.duplicates, "rejects": counts.rejects,
    }


# -- hypothesis: nothing raises, everything is one well-formed result ------------------------


@FAST
@given(data=st.binary(max_size=4096), media=st.sampled_from(["text", "html"]))
def test_random_bytes_become_one_result(data: bytes, media: str) -> None:
    raw = RawDocument(input_ref="mem://x", content=data, media_type=media)  # type: ignore[arg-type]
    result = transform_document(raw)
    assert_well_formed([result])


@FAST
@given(text=ARABIC_TEXT, media=st.sampled_from(["text", "html"]), encoding=st.sampled_from(["utf-8", "cp1256", "utf-16"]))
def test_random_arabic_text_in_any_encoding(text: str, media: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    result = transform_document(RawDocument(input_ref="mem://x", content=data, media_type=media))  # type: ignore[arg-type]
    assert_well_formed([result])
    if result.article is not None:
        assert result.article.body_search == result.article.body_search.strip()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["url", "title", "text", "html", "content", "published_at", "date", "source_id", "source", "outlet"]


@FAST
@given(record=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | ARABIC_TEXT, max_size=6) | JSON_VALUES)
def test_json_with_wrong_types_is_a_document_or_a_reject(record: object) -> None:
    item = jsonl_record(record, "f.jsonl#L1")
    if isinstance(item, InputRejected):
        assert item.reason in {"bad_json", "bad_field", "no_text_field"} and item.detail
        return
    assert_well_formed(process_slice_doc(item))


def process_slice_doc(raw: RawDocument) -> list[DocumentResult]:
    try:
        return [transform_document(raw)]
    except Exception as err:  # the worker turns this into transform_error; check it says why
        return [DocumentResult.rejected(raw.input_ref, "transform_error", f"{type(err).__name__}: {err}")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=2048)), min_size=1, max_size=6))
def test_random_files_of_every_kind_are_accounted_for(tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]) -> None:
    folder = tmp_path_factory.mktemp("rnd")
    for i, (suffix, data) in enumerate(files):
        (folder / f"f{i}{suffix}").write_bytes(data)
    results = process_paths([folder])
    assert_well_formed(results)
    refs = {r.input_ref.split("#", 1)[0] for r in results}
    for i, (suffix, data) in enumerate(files):
        path = str(folder / f"f{i}{suffix}")
        if suffix in {".txt", ".html", ".htm", ".png", ""}:
            assert sum(1 for r in results if r.input_ref == path) == 1, path
        elif suffix == ".jsonl":  # one result per line (an empty file has no line)
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
            assert sum(1 for r in results if r.input_ref.startswith(path + "#")) == lines, path
        else:  # gzip and WARC containers: random bytes are at least one reject for the file
            assert path in refs, path


@FAST
@given(value=st.text(max_size=80))
def test_source_ids_are_safe_partition_values(value: str) -> None:
    sid = safe_source_id(value, "local")
    assert re.fullmatch(r"[a-z0-9_-]{1,64}", sid), sid
    assert sid not in {".", ".."} and "/" not in sid and "=" not in sid


# -- hand-written bad inputs ------------------------------------------------------------------

GOOD = "قال مصدر محلي إن قوات الأمن اعتقلت عددا من الشبان في ريف المدينة خلال حملة مداهمات واسعة شملت قرى عدة."


def _warc_bytes(n: int, *, gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for i in range(n):
        html = (
            f"<html><head><title>خبر {i}</title></head><body><article><h1>خبر رقم {i}</h1>"
            f"<p>{GOOD} {i}</p><p>{GOOD}</p></article></body></html>"
        )
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            f"https://example.org/news/{i}", "response", payload=io.BytesIO(html.encode()), http_headers=headers
        )
        writer.write_record(record)
    return buf.getvalue()


def test_truncated_gzip_jsonl_keeps_the_lines_before_the_cut_and_rejects_the_file(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"url": f"https://e.org/{i}", "text": f"{GOOD} {i}"}, ensure_ascii=False) + "\n" for i in range(400))
    gz = gzip.compress(lines.encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    results = process_paths([tmp_path])
    assert_well_formed(results)
    articles = [r for r in results if r.article]
    rejects = [(r.input_ref, r.reject.reason) for r in results if r.reject]
    assert rejects == [(str(tmp_path / "cut.jsonl.gz"), "unreadable")]
    assert 0 < len(articles) < 400
    assert [r.input_ref for r in articles] == [f"https://e.org/{i}" for i in range(len(articles))]


def test_intact_warc_yields_every_record(tmp_path: Path) -> None:
    (tmp_path / "whole.warc.gz").write_bytes(_warc_bytes(6, gz=True))
    (tmp_path / "whole.warc").write_bytes(_warc_bytes(6, gz=False))
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert sorted(r.input_ref for r in results if r.article) == sorted([f"https://example.org/news/{i}" for i in range(6)] * 2)


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_warc_is_rejected_not_silently_shortened(tmp_path: Path, gz: bool) -> None:
    warc = _warc_bytes(6, gz=gz)
    name = "cut.warc.gz" if gz else "cut.warc"
    (tmp_path / name).write_bytes(warc[: len(warc) * 2 // 3 + 200])  # cut inside the fifth record
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert (str(tmp_path / name), "bad_warc") in [(r.input_ref, r.reject.reason) for r in results if r.reject]


def test_html_without_body_and_other_empty_pages(tmp_path: Path) -> None:
    pages = {
        "head-only.html": "<html><head><title>عنوان فقط</title></head></html>",
        "no-body-tag.html": "<html><head><meta charset='utf-8'><title>x</title></head>",
        "empty-body.html": "<!doctype html><html><body></body></html>",
        "comment-only.htm": "<!-- nothing here -->",
        "script-only.html": "<html><body><script>var a = '" + "x" * 5000 + "';</script></body></html>",
        "unclosed.html": "<html><body><div><p>" + GOOD + "<div><p>" * 200,
    }
    for name, html in pages.items():
        (tmp_path / name).write_text(html, encoding="utf-8")
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert len(results) == len(pages)
    rejected = {Path(r.input_ref).name: r.reject.reason for r in results if r.reject}
    for name in ("head-only.html", "no-body-tag.html", "empty-body.html", "comment-only.htm", "script-only.html"):
        assert rejected.get(name) in {"no_text", "empty"}, (name, rejected)


def test_50_mb_single_line_text(tmp_path: Path) -> None:
    big = tmp_path / "one-line.txt"
    word = "كلمة "
    with open(big, "w", encoding="utf-8") as fh:
        fh.write(word * (50 * 1024 * 1024 // len(word.encode())))
    assert big.stat().st_size >= 50 * 1024 * 1024 - 16
    start = time.perf_counter()
    results = process_paths([big])
    seconds = time.perf_counter() - start
    assert_well_formed(results)
    assert len(results) == 1
    assert seconds < 120, f"a 50 MB line took {seconds:.0f} s"


def test_file_over_the_size_limit_is_too_large_not_loaded(tmp_path: Path) -> None:
    big = tmp_path / "huge.html"
    with open(big, "wb") as fh:
        fh.truncate(InputBudget().max_document_bytes + 1)  # sparse: no disk used
    results = process_paths([big])
    assert [(r.reject.reason if r.reject else None) for r in results] == ["too_large"]


def test_mixed_encodings_in_one_file_and_across_files(tmp_path: Path) -> None:
    (tmp_path / "utf8-then-1256.txt").write_bytes(GOOD.encode("utf-8") + b"\n" + GOOD.encode("cp1256"))
    (tmp_path / "1256.txt").write_bytes(GOOD.encode("cp1256"))
    (tmp_path / "utf16.txt").write_bytes(GOOD.encode("utf-16"))
    (tmp_path / "latin1-declared.html").write_bytes(
        b"<html><head><meta charset='iso-8859-1'></head><body><p>" + ("caf\u00e9 " * 30).encode("latin-1") + b"</p></body></html>"
    )
    (tmp_path / "lone-surrogate.jsonl").write_text('{"text": "\\ud800 ' + GOOD + '"}\n', encoding="utf-8")
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert len(results) == 5
    bodies = {Path(r.input_ref.split("#")[0]).name: r.article.body for r in results if r.article}
    assert GOOD in bodies["1256.txt"] and GOOD in bodies["utf16.txt"]
    surrogate = [r for r in results if r.input_ref.endswith("lone-surrogate.jsonl#L1")]
    assert surrogate[0].reject is not None and surrogate[0].reject.reason == "bad_field"


def test_json_lines_with_wrong_types(tmp_path: Path) -> None:
    rows = [
        {"text": GOOD, "title": 5},
        {"text": GOOD, "published_at": ["2024-01-01"]},
        {"text": GOOD, "source_id": {"a": 1}},
        {"text": None, "html": None},
        {"text": GOOD, "published_at": "not a date"},
        {"text": GOOD, "published_at": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
        {"text": GOOD, "published_at": "9999-12-31T23:59:59-05:00"},  # after year 9999 in UTC
        {"html": 3.5},
        {"text": GOOD + " ✓", "url": "javascript:alert(1)"},
        {"text": GOOD * 2, "url": "https://e.org/" + "a" * 5000},
    ]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["1", "null", "\"text\"", "[]", "{", "\x00\x01"]
    (tmp_path / "types.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert len(results) == len(lines)
    reasons = [r.reject.reason if r.reject else "article" for r in results]
    assert reasons[:4] == ["bad_field", "bad_field", "bad_field", "no_text_field"]
    assert reasons[7] == "bad_field"
    assert reasons[-6:] == ["bad_json"] * 5 + ["bad_json"]


ODD_NAMES = [
    "with space.txt",
    "خبر عاجل.txt",
    "quote'single.txt",
    'quote"double.txt',
    "new\nline.txt",
    "tab\there.txt",
    "back\\slash.txt",
    "-leading-dash.txt",
    "percent%2e%2e.txt",
    "star*?.txt",
    "semi;colon $(echo x).txt",
    "emoji-🙂.txt",
    "long-" + "ا" * 120 + ".txt",  # 245 bytes: near the 255-byte name limit
]


def test_paths_with_odd_characters_are_loaded_and_recorded_verbatim(tmp_path: Path) -> None:
    folder = tmp_path / "in put'\"ملفات"
    folder.mkdir()
    for i, name in enumerate(ODD_NAMES):
        (folder / name).write_text(f"{GOOD} رقم {i}", encoding="utf-8")
    (folder / os.fsdecode(b"latin1-caf\xe9.txt")).write_text(f"{GOOD} بايت", encoding="utf-8")  # not UTF-8
    results = process_paths([folder], source="../../etc/odd source")
    assert_well_formed(results)
    names = [*ODD_NAMES, "latin1-caf\\xe9.txt"]
    assert sorted(r.input_ref for r in results) == sorted(str(folder / n) for n in names)
    assert all(r.article for r in results), [r.reject for r in results if r.reject]
    counts = commit_and_count(tmp_path, results)
    assert counts == {"inputs": len(names), "new": len(names), "updated": 0, "duplicates": 0, "rejects": 0}
    stored = {row[0] for row in run_query(LakePaths(tmp_path / "data"), "select input_ref from article_inputs").rows}
    assert stored == {str(folder / n) for n in names}


def test_every_bad_input_is_accounted_for_in_a_real_lake(tmp_path: Path) -> None:
    """A folder of every kind of bad input plus good ones: one commit, the counts add up and
    every input (file, or jsonl line) is either an article input or a reject row."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.txt").write_text(GOOD, encoding="utf-8")
    (src / "ok-again.txt").write_text(GOOD, encoding="utf-8")  # exact duplicate
    (src / "empty.txt").write_bytes(b"")
    (src / "random.html").write_bytes(os.urandom(3000))
    (src / "random.txt").write_bytes(bytes(range(256)) * 4)
    (src / "picture.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(100))
    (src / "short.txt").write_text("قصير", encoding="utf-8")
    (src / "lines.jsonl").write_text(
        json.dumps({"text": GOOD + " أ"}, ensure_ascii=False) + "\n{bad\n" + json.dumps({"text": 1}) + "\n\n", encoding="utf-8"
    )
    cut = gzip.compress(b'{"text": "x"}\n' * 200)
    (src / "cut.jsonl.gz").write_bytes(cut[: len(cut) // 2])
    results = process_paths([src])
    assert_well_formed(results)
    counts = commit_and_count(tmp_path, results)
    assert counts["inputs"] == len(results)
    assert counts["inputs"] == counts["new"] + counts["updated"] + counts["duplicates"] + counts["rejects"]
    assert counts["new"] == 2 and counts["duplicates"] == 1
    paths = LakePaths(tmp_path / "data")
    refs = {r[0] for r in run_query(paths, "select input_ref from rejects").rows}
    refs |= {r[0] for r in run_query(paths, "select input_ref from article_inputs").rows}
    for f in src.iterdir():
        assert any(ref == str(f) or ref.startswith(f"{f}#") for ref in refs), f.name
    assert {f"{src / 'lines.jsonl'}#L{i}" for i in (2, 3, 4)} <= refs


def test_warc_and_jsonl_files_without_any_document_are_accounted_for(tmp_path: Path) -> None:
    """A container that yields no document at all (empty, or not a WARC) must still leave a
    trace: one reject for the file, never silence."""
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "not-a-warc.warc").write_text("plain text, not WARC\n")
    (tmp_path / "empty.jsonl.gz").write_bytes(gzip.compress(b""))
    results = process_paths([tmp_path])
    assert_well_formed(results)
    assert sorted(Path(r.input_ref).name for r in results) == ["empty.jsonl.gz", "empty.warc", "not-a-warc.warc"]


# -- security: partition paths and the read-only SQL ------------------------------------------

HOSTILE_SOURCES = [
    "../../../../tmp/escape", "..", ".", "/etc", "a/b/../../c", "source_id=x/pub_year=1", "%2e%2e%2f", "سانا", "\x00nul", "C:\\win",
]


def test_source_ids_and_file_names_cannot_escape_the_data_directory(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = [json.dumps({"text": f"{GOOD} {i}", "source_id": s}, ensure_ascii=False) for i, s in enumerate(HOSTILE_SOURCES)]
    (src / "hostile.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (src / "x..%2f..%2fname.txt").write_text(GOOD + " ب", encoding="utf-8")
    results = process_paths([src], source="../../default")
    assert_well_formed(results)
    counts = commit_and_count(tmp_path, results)
    assert counts["new"] == len(HOSTILE_SOURCES) + 1
    data = (tmp_path / "data").resolve()
    files_root = (data / "lake" / "files" / "main").resolve()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    outside = [p for p in written if not p.resolve().is_relative_to(data) and not p.resolve().is_relative_to(src.resolve())]
    assert outside == []
    for parquet in data.rglob("*.parquet"):
        rel = parquet.resolve().relative_to(files_root)
        assert re.fullmatch(r"[a-z_]+", rel.parts[0]), rel
        for part in rel.parts[1:-1]:
            key, _, value = part.partition("=")
            assert key in {"source_id", "pub_year", "pub_month"} and re.fullmatch(r"[a-z0-9_-]+", value), part
    sources = {r[0] for r in run_query(LakePaths(data), "select distinct source_id from articles").rows}
    assert all(re.fullmatch(r"[a-z0-9_-]{1,64}", s) for s in sources), sources


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory: pytest.TempPathFactory) -> LakePaths:
    base = tmp_path_factory.mktemp("lake")
    (base / "a.txt").write_text(GOOD, encoding="utf-8")
    results = process_paths([base / "a.txt"])
    paths = LakePaths(base / "data")
    with LakeWriter(paths) as writer:
        writer.commit_batch("r1", results)
    return paths


def _outside(paths: LakePaths) -> Path:
    return paths.data_dir.parent


WRITES = [
    "DELETE FROM articles",
    "UPDATE articles SET title = 'x'",
    "INSERT INTO rejects (input_ref, reason, detail, run_id, rejected_at) VALUES ('a', 'b', 'c', 'd', now())",
    "DROP TABLE articles",
    "CREATE TABLE t AS SELECT 1",
    "CREATE TEMP TABLE t AS SELECT 1",
    "COPY (SELECT * FROM articles) TO '{out}/leak.csv'",
    "COPY (SELECT * FROM articles) TO '{lake}/files/leak.parquet'",
    "EXPORT DATABASE '{out}/export'",
    "ATTACH '{out}/other.duckdb' AS other",
    "ATTACH 'ducklake:{lake}/catalog.ducklake' AS w (DATA_PATH '{lake}/files/')",
    "DETACH lake",
    "INSTALL httpfs",
    "LOAD '{out}/evil.duckdb_extension'",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "RESET lock_configuration",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/hostname')",
    "SELECT * FROM read_parquet('{out}/*.parquet')",
    "SELECT 1; DELETE FROM articles",
    "CALL ducklake_expire_snapshots('lake', older_than => now())",
    "CALL ducklake_merge_adjacent_files('lake')",
    "CHECKPOINT",
]


@pytest.mark.parametrize("template", WRITES)
def test_sql_cannot_write_attach_or_read_outside(small_lake: LakePaths, template: str) -> None:
    out = _outside(small_lake)
    sql = template.format(out=out, lake=small_lake.lake_dir)
    before = sorted(p for p in out.rglob("*") if ".wal" not in p.name)
    with pytest.raises((duckdb.Error, WarehouseError)):
        run_query(small_lake, sql)
    after = sorted(p for p in out.rglob("*") if ".wal" not in p.name)
    assert after == before
    assert run_query(small_lake, "select count(*) from articles").rows == [(1,)]


def test_sql_reads_still_work_after_refused_writes(small_lake: LakePaths) -> None:
    rows = run_query(small_lake, "select source_id, pub_year, count(*) from articles group by all").rows
    assert rows == [("local", 0, 1)]
