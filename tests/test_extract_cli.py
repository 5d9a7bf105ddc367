"""`news-etl extract`: a dry run on one file (or one WARC record) that shows what the pipeline makes
of it, with where each field came from, and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from collect.http_client import ResponseRecord
from collect.warc_writer import WarcArchive
from tests.conftest import SAMPLES, Cli

ENAB = SAMPLES / "html" / "enab_campaign_raqqa.html"
PARAGRAPH = "وقال مسؤول محلي إن الأهالي ينتظرون منذ أسابيع وصول المساعدات إلى القرى المتضررة في المنطقة الشرقية."


def test_extract_shows_text_removed_lines_provenance_and_facts(cli_offline: Cli) -> None:
    res = cli_offline("extract", str(ENAB))
    assert res.code == 0, res.stderr
    out = res.stdout
    assert "source_id  enab-baladi   (from domain)" in out
    assert "outlet     Enab Baladi   (from page_metadata)" in out
    assert "published  2020-07-12 (day)   (from page_metadata)" in out
    assert "-- text (5 lines)\nأطلقت “قوات سوريا الديمقراطية” (قسد) حملة أمنية جديدة" in out
    assert "donation_appeal    ادعم عنب بلدي" in out  # a removed line with its rule
    assert "org    Syrian Democratic Forces (SDF)  x6" in out  # five in the body, one in the title
    assert "arrested        14 exact" in out
    assert not cli_offline.data_dir.exists()  # nothing written, no data directory created


def test_extract_json_for_machines(cli_offline: Cli, tmp_path: Path) -> None:
    page = tmp_path / "seed.txt"
    page.write_bytes((SAMPLES / "003_557eac65f9b4e072.txt").read_bytes())
    res = cli_offline("extract", str(page), "--format", "json")
    assert res.code == 0, res.stderr
    (doc,) = json.loads(res.stdout)
    assert doc["article"]["source_id"] == "sy24" and doc["from"]["source_id"] == "byline"
    assert doc["article"]["title"] == "عمليات أمنية جديدة للتحالف الدولي بريف دير الزور" and doc["from"]["title"] == "text"
    assert [r["rule"] for r in doc["removed"]][:4] == ["share_buttons"] * 4
    assert {"kind": "arrested", "count_low": 2, "count_high": 2} in [
        {k: f[k] for k in ("kind", "count_low", "count_high")} for f in doc["figures"]
    ]
    assert any(m["kind"] == "place" for m in doc["mentions"])


def test_extract_source_id_option_and_input_source(cli_offline: Cli, tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text(f"{PARAGRAPH}\n{PARAGRAPH}", encoding="utf-8")
    (doc,) = json.loads(cli_offline("extract", str(text), "--source-id", "my-feed", "--format", "json").stdout)
    assert (doc["article"]["source_id"], doc["from"]["source_id"]) == ("my-feed", "option")
    lines = tmp_path / "a.jsonl"
    lines.write_text(json.dumps({"text": PARAGRAPH, "source_id": "okaz", "url": "https://x.example/1"}, ensure_ascii=False) + "\n")
    (doc,) = json.loads(cli_offline("extract", str(lines), "--source-id", "my-feed", "--format", "json").stdout)
    assert (doc["article"]["source_id"], doc["from"]["source_id"]) == ("okaz", "input")
    assert (doc["article"]["outlet"], doc["from"]["outlet"]) == ("Okaz", "registry")


def _warc(path: Path) -> Path:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with WarcArchive(path) as archive:
        for i, body in enumerate((ENAB.read_bytes(), f"<html><body><p>{PARAGRAPH}</p></body></html>".encode())):
            archive.write(ResponseRecord(
                url=f"https://www.enabbaladi.net/archives/{i}", status=200, reason_phrase="OK", http_version="HTTP/1.1",
                headers=[("Content-Type", "text/html; charset=utf-8")], body=body, fetched_at=now, kind="page",
                source_id="enab-baladi", outlet="Enab Baladi",
            ))
    return path


def test_extract_one_warc_record_by_url(cli_offline: Cli, tmp_path: Path) -> None:
    warc = _warc(tmp_path / "run.warc.gz")
    res = cli_offline("extract", str(warc), "--url", "https://www.enabbaladi.net/archives/1")
    assert res.code == 0, res.stderr
    assert res.stdout.count("== ") == 1 and "== https://www.enabbaladi.net/archives/1" in res.stdout
    assert "source_id  enab-baladi   (from input)" in res.stdout
    both = cli_offline("extract", str(warc), "--format", "json")
    assert [d["input_ref"] for d in json.loads(both.stdout)] == [f"https://www.enabbaladi.net/archives/{i}" for i in (0, 1)]
    missing = cli_offline("extract", str(warc), "--url", "https://www.enabbaladi.net/archives/9")
    assert missing.code == 1
    assert "no document with URL https://www.enabbaladi.net/archives/9" in missing.stderr and "(2 document(s) read)" in missing.stderr


def test_a_missing_file_or_a_folder_is_a_clear_error(cli_offline: Cli, tmp_path: Path) -> None:
    res = cli_offline("extract", str(tmp_path / "nope.html"))
    assert res.code == 1 and "no such file" in res.stderr and "Traceback" not in res.stderr
    res = cli_offline("extract", str(tmp_path))
    assert res.code == 1 and "not a file" in res.stderr


def test_a_reject_prints_its_reason(cli_offline: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = cli_offline("extract", str(empty))
    assert res.code == 0, res.stderr
    assert "rejected: empty" in res.stdout
    short = tmp_path / "short.html"
    short.write_text("<html><body><p>قصير</p></body></html>", encoding="utf-8")
    (doc,) = json.loads(cli_offline("extract", str(short), "--format", "json").stdout)
    assert doc["reject"]["reason"] == "no_text"
