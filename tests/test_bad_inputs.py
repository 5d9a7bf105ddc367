"""Each kind of bad input becomes a reject with a reason; the run goes on and the counts add up."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Cli

pytestmark = pytest.mark.slow


def _write_bad_inputs(folder: Path) -> dict[str, str]:
    """file name (or name#Lline) -> expected reject reason"""
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_bytes(b"   \n\n  ")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "no-text.html").write_text("<html><head><title>x</title></head><body><div></div></body></html>")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / "truncated.jsonl.gz").write_bytes(gzip.compress(b'{"text": "x"}\n' * 50)[:30])
    good = {
        "url": "https://example.org/a/1",
        "title": "عنوان تجريبي",
        "text": "هذا نص خبر تجريبي طويل بما يكفي ليكون مقالا حقيقيا في الاختبار.",
        "source_id": "example",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"url": "https://example.org/a/2", "title": "بلا نص"}),
        json.dumps({"text": 42}),
        json.dumps(["a", "list"]),
        "",
    ]
    (folder / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "empty.txt": "empty",
        "blank.txt": "empty",
        "binary.txt": "binary",
        "no-text.html": "no_text",
        "image.png": "unsupported_type",
        "truncated.jsonl.gz": "unreadable",
        "mixed.jsonl#L2": "bad_json",
        "mixed.jsonl#L3": "no_text_field",
        "mixed.jsonl#L4": "bad_field",
        "mixed.jsonl#L5": "bad_json",
        "mixed.jsonl#L6": "empty",
    }


def test_bad_inputs_are_rejected_with_reasons(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    expected = _write_bad_inputs(bad)
    cp1256 = "هذا خبر مكتوب بترميز ويندوز العربي القديم ويجب أن يفك بشكل صحيح دون أخطاء."
    (bad / "legacy.txt").write_bytes(cp1256.encode("cp1256"))
    res = cli("load", str(bad), str(SAMPLES / "000_946957e105135c63.txt"))
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr

    all_rejects = cli.sql_json("select * from rejects")
    # a truncated gzip yields the lines before the damage (here: too short to be articles), then
    # one 'unreadable' reject for the file itself
    rejects = {Path(str(r["input_ref"])).name: r for r in all_rejects}
    partial = [n for n in rejects if n.startswith("truncated.jsonl.gz#")]
    assert all(rejects[n]["reason"] == "no_text" for n in partial)
    for name in partial:
        del rejects[name]
    for name, reason in expected.items():
        assert name in rejects, (name, sorted(rejects))
        assert rejects[name]["reason"] == reason, (name, rejects[name])
        assert rejects[name]["detail"]
    assert len(rejects) == len(expected)

    bodies = [str(r["body"]) for r in cli.sql_json("select body from articles")]
    assert any(cp1256 in b for b in bodies), "windows-1256 text decoded"
    run = cli.sql_json("select * from runs")[0]
    assert run["rejects"] == len(all_rejects)
    assert run["inputs"] == run["articles_new"] + run["duplicates"] + run["rejects"]  # type: ignore[operator]
    assert run["articles_new"] == 3  # legacy.txt, the good jsonl line, the seed
