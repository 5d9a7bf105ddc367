"""`news-etl report`: a self-contained HTML report with real numbers from a real lake, rendered
by headless Chromium (Debian's package) when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.report_lake import build_report_lake
from warehouse.lock import writer_lock
from warehouse.paths import LakePaths
from warehouse.writer import LakeWriter


@pytest.fixture
def report_cli(cli_offline: Cli, tmp_path: Path) -> Cli:
    build_report_lake(cli_offline.data_dir, tmp_path)
    return cli_offline


def test_report_shows_the_warehouse_numbers(report_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    res = report_cli("report", "--out", str(out))
    assert res.code == 0, res.stderr
    assert res.stdout.strip() == f"report: {out}"
    page = out.read_text(encoding="utf-8")
    # totals: 5 samples + 6 dated jsonl articles; the bad jsonl line is the one reject
    assert '<b id="total-articles">11</b>' in page
    assert '<b id="total-rejects">1</b>' in page
    # sources: the jsonl's north-press and enab-baladi; the seeds resolve to enab-baladi, sy24 and eocr
    # through the registry, and two name no outlet (local)
    assert '<b id="total-sources">5</b>' in page
    # per source per day: 3 north-press + 2 enab-baladi on 03-01, 1 enab-baladi on 03-02
    assert "<title>north-press 2026-03-01: 3</title>" in page
    assert "<title>enab-baladi 2026-03-01: 2</title>" in page
    assert "<title>enab-baladi 2026-03-02: 1</title>" in page
    # actors and places by number of articles
    assert "<title>قوات سوريا الديمقراطية: 5</title>" in page
    assert "<title>دير الزور (Deir ez-Zor): 3</title>" in page
    # killed/arrested per governorate: Raqqa 2 articles x 12 arrested; Hasakah 7 detained = arrested
    assert "<title>Raqqa arrested: 24</title>" in page
    assert "<title>Deir ez-Zor killed: 15</title>" in page
    assert "<title>Hasakah arrested: 7</title>" in page
    # self-contained: no scripts, no remote resources
    assert "<script" not in page
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)


def test_report_default_path_and_days(report_cli: Cli) -> None:
    res = report_cli("report", "--days", "1")
    assert res.code == 0, res.stderr
    page = (report_cli.data_dir / "reports" / "report.html").read_text(encoding="utf-8")
    assert "enab-baladi 2026-03-02: 1" in page and "2026-03-01:" not in page


def test_report_without_warehouse_is_a_clear_error(cli_offline: Cli) -> None:
    res = cli_offline("report")
    assert res.code == 1
    assert res.stderr.startswith("news-etl: error: no warehouse at"), res.stderr
    assert "Traceback" not in res.stderr


def test_report_on_an_empty_warehouse(cli_offline: Cli, tmp_path: Path) -> None:
    paths = LakePaths(cli_offline.data_dir)
    with writer_lock(paths), LakeWriter(paths) as writer:
        writer.publish()
    res = cli_offline("report")
    assert res.code == 0, res.stderr
    page = (paths.reports_dir / "report.html").read_text(encoding="utf-8")
    assert '<b id="total-articles">0</b>' in page and "no dated articles yet" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(report_cli: Cli, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    out = tmp_path / "report.html"
    assert report_cli("report", "--out", str(out)).code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chrome'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the browser parsed the page: the SVG bars and their numbers are in the rendered DOM
    assert dom.stdout.count("<rect") >= 8
    assert "Raqqa arrested: 24" in dom.stdout and 'id="total-articles">11<' in dom.stdout
    shot = tmp_path / "report.png"
    res = subprocess.run(
        [CHROMIUM, *flags, "--window-size=1000,1600", f"--screenshot={shot}", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank 1000x1600 page compresses to a few kB; charts and text do not
