"""Incremental loads: files unchanged since the ledger recorded them are not read again, yet
every run's counts still add up; a touched or changed file is read again; --full re-reads all."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Cli

pytestmark = pytest.mark.slow


def _last_run(cli: Cli) -> dict[str, object]:
    return cli.sql_json("select * from runs order by started_at desc limit 1")[0]


def _adds_up(run: dict[str, object]) -> bool:
    parts = [int(str(run[k] or 0)) for k in ("articles_new", "articles_updated", "duplicates", "rejects")]
    return int(str(run["inputs"])) == sum(parts)


def test_second_load_reads_nothing_and_counts_add_up(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    lines = [json.dumps({"url": f"https://example.org/{i}", "title": f"t{i}", "text": "نص الخبر " * 20 + str(i)}) for i in range(3)]
    (folder / "more.jsonl").write_text("\n".join([*lines, "not json"]) + "\n", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    n_files = sum(1 for p in folder.rglob("*") if p.is_file())
    n_docs = n_files - 1 + 4  # the jsonl file holds four documents

    assert cli("load", str(folder)).code == 0
    first = _last_run(cli)
    assert first["inputs"] == n_docs and _adds_up(first)
    ledger = cli.sql_json("select input_ref, kind, documents, article_id, reject_reason from input_ledger")
    assert len(ledger) == n_files
    by_kind = {str(r["kind"]): r for r in ledger}
    assert by_kind["jsonl"]["documents"] == 4 and by_kind["jsonl"]["article_id"] is None
    assert by_kind["unsupported"]["reject_reason"] == "unsupported_type"
    stored = cli.sql_json("select article_id, content_hash, version from articles order by 1")

    res = cli("load", str(folder))
    assert res.code == 0, res.stderr
    second = _last_run(cli)
    assert second["inputs"] == n_docs and second["duplicates"] == n_docs and _adds_up(second)
    assert second["batches"] == 0 and second["articles_new"] == 0 and second["rejects"] == 0
    assert "unchanged input file(s) skipped" in str(second["message"])
    assert cli.sql_json("select count(*) as n from input_ledger")[0]["n"] == n_files  # nothing read, nothing recorded
    assert cli.sql_json("select article_id, content_hash, version from articles order by 1") == stored

    # a touched file (same bytes, new mtime) and a changed one are read again; the rest is not
    txt = sorted(folder.glob("*.txt"))
    st = txt[0].stat()
    os.utime(txt[0], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    txt[1].write_text(txt[1].read_text(encoding="utf-8") + "\nسطر جديد أضيف إلى نهاية الخبر للتحديث.\n", encoding="utf-8")
    assert cli("load", str(folder)).code == 0
    third = _last_run(cli)
    assert third["inputs"] == n_docs and _adds_up(third) and third["batches"] == 1
    assert third["articles_updated"] == 1 and third["duplicates"] == n_docs - 1
    read = cli.sql_json(f"select input_ref from input_ledger where run_id = '{third['run_id']}' order by 1")
    assert [r["input_ref"] for r in read] == sorted([str(txt[0]), str(txt[1])])

    # --full reads every file again
    assert cli("load", "--full", str(folder)).code == 0
    full = _last_run(cli)
    assert full["inputs"] == n_docs and _adds_up(full) and full["articles_new"] == 0
    assert full["rejects"] == 2  # the bad jsonl line and the pdf, rejected again
    assert cli.sql_json(f"select count(*) as n from input_ledger where run_id = '{full['run_id']}'")[0]["n"] == n_files
