"""`news-etl report`: a self-contained HTML report with real numbers from a real lake, rendered
by headless Chromium (Debian's package) when it is installed."""

from __future__ import annotations

import html
import json
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
    # totals: 5 samples + 6 dated jsonl articles + 7 events articles; the bad jsonl line is the one reject
    assert '<b id="total-articles">18</b>' in page
    assert '<b id="total-rejects">1</b>' in page
    assert '<b id="total-sources">9</b>' in page
    assert '<b id="total-events">11</b>' in page
    # articles per source on a dated axis: 2020 (samples) to 2026, so per month, ticks with years
    assert "<title>north-press month of 2026-03-01: 3</title>" in page
    assert "<title>enab-baladi month of 2026-03-01: 3</title>" in page
    assert ">2021</text>" in page and ">2026</text>" in page
    assert "Not on this axis: 3 articles without a publication date" in page
    # the map: events per governorate (the golden Idlib strikes, the Deir ez-Zor arrests and deaths)
    assert "<title>Idlib (إدلب): 4 events</title>" in page and "<title>Deir ez-Zor (دير الزور): 4 events</title>" in page
    assert "<title>Saraqib: 30 killed</title>" in page
    # people side by side, each incident once; detained and arrested apart
    for kind, n in (("killed", 52), ("injured", 81), ("arrested", 44), ("detained", 7)):
        assert f'<b id="people-{kind}">{n}</b>' in page
    assert 'title="Idlib killed: 37 in 3 events"' in page
    # the largest event first, with its range and links to its three reports
    largest = page[page.index('<table class="events">'):]
    start = largest.index("<tbody><tr>")
    first_row = largest[start:largest.index("</tr>", start)]
    assert "2026-03-03" in first_row and "Saraqib" in first_row and '30 <span class="range">(12–30)</span>' in first_row
    for url in ("https://alpha.example/2026/03/03/saraqib", "https://beta.example/saraqib-toll", "https://delta.example/idlib-raids"):
        assert f'href="{url}"' in first_row
    # what is not an event is said
    assert "1 figure of people held in prisons or camps" in page
    assert "Not on this axis: 1 event without a date" in page
    # actors and places by number of articles, Arabic marked right to left
    assert '<span lang="ar" dir="rtl" class="ar">قوات سوريا الديمقراطية</span>' in page
    assert "25 of 25 data tests passed" in page
    # self-contained: no scripts, no remote resources (the report links to the articles, it loads nothing)
    assert "<script" not in page
    assert not re.search(r'src\s*=\s*"(https?:)?//', page)


def test_report_default_path_and_days(report_cli: Cli) -> None:
    res = report_cli("report", "--days", "1")
    assert res.code == 0, res.stderr
    page = (report_cli.data_dir / "reports" / "report.html").read_text(encoding="utf-8")
    articles = page.split("<h2>Articles</h2>")[1]
    assert "<title>alpha 2026-03-08: 1</title>" in articles and "2026-03-01:" not in articles


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

# Measures, in the rendered page, where the first and the last letter of every Arabic label are: a
# label laid out right to left has its first letter to the right of its last. Added to a copy of
# the report for the test only (the report itself has no script).
RTL_PROBE = """<script>
const out = {svg: [], html: []};
for (const t of document.querySelectorAll("text.glabel-ar")) {
  const n = t.getNumberOfChars();
  if (n < 2) continue;
  out.svg.push({text: t.textContent, first: t.getStartPositionOfChar(0).x, last: t.getStartPositionOfChar(n - 1).x,
                direction: getComputedStyle(t).direction});
}
for (const span of document.querySelectorAll("span.ar")) {
  const node = span.firstChild;
  if (!node || node.length < 2) continue;
  const r = document.createRange();
  r.setStart(node, 0); r.setEnd(node, 1);
  const first = r.getBoundingClientRect();
  r.setStart(node, node.length - 1); r.setEnd(node, node.length);
  const last = r.getBoundingClientRect();
  out.html.push({text: node.data, first: first.left, last: last.left, width: span.getBoundingClientRect().width,
                 direction: getComputedStyle(span).direction});
}
const pre = document.createElement("pre");
pre.id = "rtl-probe";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(report_cli: Cli, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    out = tmp_path / "report.html"
    assert report_cli("report", "--out", str(out)).code == 0
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chrome'}"]
    probe = tmp_path / "probe.html"
    probe.write_text(out.read_text(encoding="utf-8").replace("</body>", RTL_PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the browser parsed the page: the map's 14 governorates, the event dots, the bars and their numbers
    assert dom.stdout.count('class="gov"') >= 14 and dom.stdout.count("<circle") >= 3
    assert 'id="people-killed">52<' in dom.stdout and 'id="total-articles">18<' in dom.stdout
    # Arabic is laid out right to left: in every Arabic label the first letter is right of the last
    found = re.search(r'<pre id="rtl-probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, "the probe did not run"
    probe_out = json.loads(html.unescape(found.group(1)))
    assert len(probe_out["svg"]) == 13  # the map's Arabic names (Damascus is named in the legend)
    assert len(probe_out["html"]) >= 10
    for item in probe_out["svg"] + probe_out["html"]:
        assert item["direction"] == "rtl", item
        assert item["first"] > item["last"], item
    shot = tmp_path / "report.png"
    res = subprocess.run(
        [CHROMIUM, *flags, "--window-size=1200,2600", f"--screenshot={shot}", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 60_000  # a blank page compresses to a few kB; the map, charts and text do not
