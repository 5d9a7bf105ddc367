"""Hostile local inputs through the worker's own code path (plan -> read -> transform), without
Prefect: every input ends as articles and rejects with a reason, within the input budget, and the
good inputs beside it are read. Each case runs in a forked child with a cap on the memory it may
add and a time limit (tests/watchdog.py), so an unbounded read fails the test instead of the
machine. The CLI end to end: tests/test_hostile_cli.py."""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from collect.deadline import DocumentDeadline, TooSlow
from collect.extract import process_slice, process_slice_counted
from collect.inputs import discover, plan_units, read_unit
from core.settings import InputBudget
from tests.watchdog import in_child

GOOD = "قال مصدر محلي إن قوات الأمن اعتقلت عددا من الشبان في ريف المدينة خلال حملة مداهمات واسعة شملت قرى عدة."
Outcome = list[tuple[str, str]]  # (file name or ref tail, reason or "article")


def outcomes(paths: list[str], budget: InputBudget | None = None) -> Outcome:
    """(name, reason | 'article') of every result, the worker's code path in this process."""
    budget = budget or InputBudget()
    units = tuple(plan_units(discover(paths, follow_symlinks=budget.follow_symlinks), budget=budget))
    return [
        (Path(r.input_ref).name, r.reject.reason if r.reject else "article")
        for r in process_slice(units, None, budget)
    ]


def watched(paths: list[Path], budget: InputBudget | None = None, *, memory_mb: int = 600, seconds: float = 120) -> Outcome:
    result: Outcome = in_child(outcomes, [str(p) for p in paths], budget, memory_mb=memory_mb, seconds=seconds)
    return result


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    yield folder


# -- what may be read ------------------------------------------------------------------------------


def test_fifo_device_socket_and_links_out_of_the_tree_are_refused_without_blocking(tree: Path, tmp_path: Path) -> None:
    os.mkfifo(tree / "fifo.txt")
    (tree / "zero.txt").symlink_to("/dev/zero")
    secret = tmp_path / "shadow"
    secret.write_text(GOOD + " سر", encoding="utf-8")
    (tree / "shadow.txt").symlink_to(secret)
    (tree / "dangling.txt").symlink_to(tree / "nothing-here")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "more.txt").write_text(GOOD, encoding="utf-8")
    (tree / "linked-folder").symlink_to(outside)
    (tree / "inner").mkdir()
    (tree / "inner" / "ok.txt").write_text(GOOD + " داخل", encoding="utf-8")
    (tree / "inside-link.txt").symlink_to(tree / "inner" / "ok.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "sock.txt"))
    try:
        got = dict(watched([tree], seconds=60))
        followed = dict(watched([tree], InputBudget(follow_symlinks=True), seconds=60))
    finally:
        sock.close()
    assert got == {
        "good.txt": "article", "ok.txt": "article", "inside-link.txt": "article",  # a link inside the tree is read
        "fifo.txt": "not_a_file", "sock.txt": "not_a_file", "dangling.txt": "not_a_file",
        "zero.txt": "outside_input", "shadow.txt": "outside_input", "linked-folder": "outside_input",
    }
    assert followed["zero.txt"] == "not_a_file"  # followed, it is still a device
    assert followed["shadow.txt"] == "article" and followed["more.txt"] == "article"
    assert followed["fifo.txt"] == "not_a_file"


def test_a_fifo_or_a_link_put_in_place_after_planning_is_refused(tree: Path, tmp_path: Path) -> None:
    (tree / "later-fifo.txt").write_text(GOOD, encoding="utf-8")
    (tree / "later-link.txt").write_text(GOOD, encoding="utf-8")
    secret = tmp_path / "secret"
    secret.write_text(GOOD, encoding="utf-8")
    units = list(plan_units(discover([tree])))
    (tree / "later-fifo.txt").unlink()
    os.mkfifo(tree / "later-fifo.txt")
    (tree / "later-link.txt").unlink()
    (tree / "later-link.txt").symlink_to(secret)

    def read() -> list[tuple[str, str]]:
        return [(Path(r.input_ref).name, r.reason) for u in units for r in read_unit(u) if hasattr(r, "reason")]

    assert sorted(in_child(read, seconds=30)) == [("later-fifo.txt", "not_a_file"), ("later-link.txt", "outside_input")]


def test_a_file_deleted_or_growing_between_planning_and_reading(tree: Path) -> None:
    (tree / "deleted.txt").write_text(GOOD, encoding="utf-8")
    (tree / "growing.txt").write_text(GOOD, encoding="utf-8")
    budget = InputBudget(max_document_bytes=64 * 1024)
    units = tuple(plan_units(discover([tree]), budget=budget))
    (tree / "deleted.txt").unlink()
    with open(tree / "growing.txt", "a", encoding="utf-8") as fh:
        fh.write(GOOD * 1000)  # past the cap after it was planned: st_size is never trusted
    got = {Path(r.input_ref).name: (r.reject.reason, r.reject.detail) if r.reject else "article"
           for r in process_slice(units, None, budget)}
    assert got["good.txt"] == "article"
    assert got["deleted.txt"] == ("unreadable", "the file disappeared before it was read")
    assert got["growing.txt"][0] == "too_large"


# -- bytes, lines, nesting -------------------------------------------------------------------------


def test_a_200_mb_single_line_text_is_too_large_and_read_no_further_than_the_cap(tree: Path) -> None:
    with open(tree / "one-line.txt", "wb") as fh:
        fh.write(("كلمة " * 1000).encode())
        fh.truncate(200 * 1024 * 1024)  # the rest is sparse: no disk used, still 200 MB to read
    started = time.monotonic()
    got = dict(watched([tree], InputBudget(max_document_bytes=8 * 1024 * 1024), memory_mb=300))
    assert got == {"good.txt": "article", "one-line.txt": "too_large"}
    assert time.monotonic() - started < 60


def test_nul_bytes_and_a_bad_utf16_bom_are_rejected(tree: Path) -> None:
    (tree / "nul.txt").write_bytes(GOOD.encode() + b"\0" * 100 + GOOD.encode())
    (tree / "bad-bom.txt").write_bytes(b"\xff\xfe" + b"\x00\xd8" * 7 + b"A")  # lone surrogates, odd length
    (tree / "bom-only.html").write_bytes(b"\xef\xbb\xbf")
    got = dict(watched([tree]))
    assert got["good.txt"] == "article"
    assert got["nul.txt"] == "binary"
    assert got["bad-bom.txt"] in {"binary", "undecodable"}
    assert got["bom-only.html"] in {"empty", "no_text"}


def test_hostile_json_lines_are_rejected_one_by_one(tree: Path) -> None:
    lines = [
        json.dumps({"text": GOOD + " أول"}),
        "[" * 5000 + "]" * 5000,  # deeper than Python's recursion limit
        '{"text": "' + GOOD + '", "meta": ' + "[" * 70 + "1" + "]" * 70 + "}",  # deeper than max_json_depth (64)
        '{"text": "' + GOOD + '", "text": "نص آخر"}',  # a duplicate key: which text counts is ambiguous
        '{"text": "' + GOOD + '", "n": ' + "9" * 5000 + "}",  # longer than int() converts
        '{"text": "' + GOOD + ' عدد", "n": 1e999999}',  # a float that overflows: inf, harmless
        json.dumps({"text": GOOD + " أخير"}),
    ]
    (tree / "hostile.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = [reason for name, reason in watched([tree]) if name.startswith("hostile.jsonl")]
    assert got == ["article", "too_deep", "too_deep", "bad_json", "bad_json", "article", "article"]


def test_a_200_mb_jsonl_line_is_too_large_and_the_next_line_is_read(tree: Path) -> None:
    path = tree / "long-line.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"text": "')
        fh.truncate(200 * 1024 * 1024)  # NUL bytes, sparse
        fh.seek(0, io.SEEK_END)
        fh.write(b'"}\n' + json.dumps({"text": GOOD}).encode() + b"\n")
    got = watched([path], InputBudget(max_document_bytes=8 * 1024 * 1024), memory_mb=300)
    assert [reason for _, reason in got] == ["too_large", "article"]


def test_a_million_tiny_jsonl_lines_stop_at_the_line_budget(tree: Path) -> None:
    (tree / "tiny.jsonl").write_bytes(b"{}\n" * 1_000_000)
    started = time.monotonic()
    got = watched([tree / "tiny.jsonl"], InputBudget(max_lines_per_file=1000))
    assert len(got) == 1001
    assert {reason for _, reason in got[:1000]} == {"no_text_field"}
    assert got[-1] == ("tiny.jsonl#L1001", "too_many_lines")
    assert time.monotonic() - started < 30


def test_a_gzip_of_newlines_stops_at_the_line_budget(tree: Path) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    data = b"".join(packer.compress(b"\n" * (1 << 20)) for _ in range(50)) + packer.flush()
    assert len(data) < 100_000  # 50 MB of newlines in a few tens of KB
    (tree / "newlines.jsonl.gz").write_bytes(data)
    got = watched([tree / "newlines.jsonl.gz"], InputBudget(max_lines_per_file=2000))
    assert len(got) == 2001 and got[-1][1] == "too_many_lines"


def test_a_gzip_single_line_bomb_is_too_large(tree: Path) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = packer.compress(b'{"text": "') + b"".join(packer.compress(b"a" * (1 << 20)) for _ in range(300)) + packer.flush()
    (tree / "bomb.jsonl.gz").write_bytes(bomb)
    got = watched([tree / "bomb.jsonl.gz"], InputBudget(max_document_bytes=16 * 1024 * 1024), memory_mb=400)
    assert [reason for _, reason in got] == ["too_large"]


def test_corrupt_deflate_data_keeps_the_lines_before_it_and_rejects_the_rest(tree: Path) -> None:
    data = bytearray(gzip.compress(("\n".join(json.dumps({"text": f"{GOOD} {i}"}) for i in range(400)) + "\n").encode()))
    data[len(data) // 2: len(data) // 2 + 40] = b"\xff" * 40
    (tree / "corrupt.jsonl.gz").write_bytes(bytes(data))
    got = watched([tree])
    reasons = [reason for name, reason in got if name.startswith("corrupt")]
    # what inflates before zlib notices the damage is garbage: bad_json lines, then the file's reject
    assert reasons[0] == "article" and reasons[-1] == "unreadable" and set(reasons[:-1]) <= {"article", "bad_json"}
    assert ("good.txt", "article") in got


# -- WARC --------------------------------------------------------------------------------------------


def _warc(records: list[tuple[str, bytes, dict[str, str]]], *, gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for url, body, extra in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), *extra.items()], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return buf.getvalue()


def _page(text: str) -> bytes:
    return f"<html><body><article><p>{text}</p><p>{GOOD}</p></article></body></html>".encode()


def test_a_warc_record_whose_body_expands_past_the_cap_is_too_large_and_the_next_is_read(tree: Path) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(256)) + packer.flush()  # 256 MiB in ~250 KB
    data = _warc([
        ("https://a.example/bomb", bomb, {"Content-Encoding": "gzip"}),
        ("https://a.example/ok", _page("صفحة سليمة"), {}),
    ], gz=True)
    (tree / "bomb.warc.gz").write_bytes(data)
    got = watched([tree / "bomb.warc.gz"], InputBudget(max_document_bytes=8 * 1024 * 1024), memory_mb=400)
    assert got == [("bomb", "too_large"), ("ok", "article")]


def test_a_warc_record_with_a_damaged_compressed_body_is_its_own_reject(tree: Path) -> None:
    broken = bytearray(gzip.compress(_page("مضغوط") * 50))
    broken[30:60] = b"\x00" * 30
    data = _warc([("https://a.example/broken", bytes(broken), {"Content-Encoding": "gzip"}),
                  ("https://a.example/ok", _page("صفحة سليمة"), {})], gz=False)
    (tree / "broken.warc").write_bytes(data)
    got = watched([tree / "broken.warc"])
    assert got[-1] == ("ok", "article")
    assert got[0][1] in {"unreadable", "binary", "undecodable", "no_text"}


def test_a_warc_record_length_lie_is_bad_warc_and_the_records_before_it_are_kept(tree: Path) -> None:
    data = _warc([("https://a.example/1", _page("أول"), {}), ("https://a.example/2", _page("ثان"), {})], gz=False)
    second = data.index(b"WARC/1.0", 10)
    length_at = data.index(b"Content-Length: ", second) + len(b"Content-Length: ")
    end = data.index(b"\r\n", length_at)
    lied = data[:length_at] + str(int(data[length_at:end]) * 1000).encode() + data[end:]  # claims 1000x its bytes
    (tree / "lie.warc").write_bytes(lied)
    got = watched([tree / "lie.warc"])
    assert got == [("1", "article"), ("lie.warc", "bad_warc")]


def test_a_warc_with_more_records_than_the_budget(tree: Path) -> None:
    data = _warc([(f"https://a.example/{i}", _page(f"صفحة {i}"), {}) for i in range(6)], gz=True)
    (tree / "many.warc.gz").write_bytes(data)
    got = watched([tree / "many.warc.gz"], InputBudget(max_lines_per_file=4))
    # records 1-4 are the warcinfo-less responses; the 5th is refused with the rest
    assert [reason for _, reason in got] == ["article"] * 4 + ["too_many_lines"]
    assert got[-1][0] == "many.warc.gz#record5"


# -- names -------------------------------------------------------------------------------------------


def test_file_names_with_newlines_and_control_characters_are_loaded(tree: Path) -> None:
    (tree / "two\nlines.txt").write_text(GOOD + " سطران", encoding="utf-8")
    (tree / "esc\x1b[2J.txt").write_text(GOOD + " هروب", encoding="utf-8")
    got = dict(watched([tree]))
    assert got == {"good.txt": "article", "two\nlines.txt": "article", "esc\x1b[2J.txt": "article"}


# -- time ------------------------------------------------------------------------------------------


def test_the_soft_deadline_interrupts_python_code_and_leaves_nothing_pending() -> None:
    deadline = DocumentDeadline(0.2)
    started = time.monotonic()
    with pytest.raises(TooSlow), deadline.watch():
        while True:
            pass
    assert time.monotonic() - started < 2
    with deadline.watch():  # a block that ends in time is not interrupted, then or later
        time.sleep(0.05)
    time.sleep(0.4)


def test_a_slow_document_on_the_soft_deadline_is_too_slow_and_the_next_is_read(tree: Path) -> None:
    from bench.scaling import document

    data, _ = document("text", 3.0)
    (tree / "big.txt").write_bytes(data)
    units = tuple(plan_units(discover([tree])))
    results, counts = process_slice_counted(units, None, InputBudget(max_document_seconds=0.5), soft_deadline=True)
    got = {Path(r.input_ref).name: r.reject.reason if r.reject else "article" for r in results}
    assert got == {"big.txt": "too_slow", "good.txt": "article"} and counts == [1, 1]
