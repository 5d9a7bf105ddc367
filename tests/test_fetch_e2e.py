"""`news-etl fetch` for real: a local site with faults -> Prefect -> WARC -> lake; then a second
run that fetches nothing new, and an offline replay of the WARC that gives the same articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.fixtures.site.server import SiteServer, sources_yaml

pytestmark = pytest.mark.slow

EXPECTED_PAGES = {
    "/news/1.html", "/news/2.html", "/news/3.html", "/news/4.html", "/news/5.html",
    "/news/cp1256.html", "/news/wrong-header.html", "/flaky.html", "/busy.html",
}
EXPECTED_REFUSALS = {
    "/private/secret.html": ("refused", "robots_disallowed", 0),
    "/loop-a.html": ("refused", "redirect_loop", 2),
    "/away.html": ("refused", "offsite", 1),
    "/huge.html": ("refused", "too_large", 1),
    "/huge-stream.html": ("refused", "too_large", 1),
    "/doc.pdf": ("refused", "unsupported_content_type", 1),
    "/gone.html": ("failed", "http_404", 1),
    "/slow.html": ("failed", "timeout", 3),
}


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        yield srv


def _write_sources(tmp_path: Path, srv: SiteServer) -> Path:
    base = srv.site.base
    extra = f"""\
  - id: intranet
    name: Intranet without permission
    feeds: [{base}/feed.xml]
    allowed_domains: [127.0.0.1]
  - id: bomb
    name: Bomb
    feeds: [{base}/bomb.xml]
    allowed_domains: [127.0.0.1]
    allow_private_addresses: true
"""
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(base, extra_sources=extra), encoding="utf-8")
    return path


def _articles(cli: Cli) -> list[dict[str, object]]:
    return cli.sql_json(
        "select article_id, content_hash, url, input_ref, source_id, outlet, title, body from articles order by article_id"
    )


def test_fetch_stores_refuses_retries_then_nothing_new_and_warc_replays(cli: Cli, site: SiteServer, tmp_path: Path) -> None:
    sources = _write_sources(tmp_path, site)
    res = cli("fetch", "--sources", str(sources))
    # the two sources built to fail (a private address, an XML bomb) fail their part; the site lands
    assert res.code == 1, res.stderr + res.stdout
    assert "source intranet failed: no feed or sitemap answered (1 of 1: private_address x1" in res.stderr
    assert "source bomb failed: no feed or sitemap answered (1 of 1: xml_entities x1" in res.stderr
    assert "testsite failed" not in res.stderr
    assert "Traceback" not in res.stderr
    assert "pages fetched" in res.stdout and "articles new" in res.stdout

    # what is stored: one article per good page, under the URL, with the source's id and name
    arts = _articles(cli)
    base = site.site.base
    assert {str(a["url"]).removeprefix(base) for a in arts} == EXPECTED_PAGES
    assert all(a["input_ref"] == a["url"] and a["source_id"] == "testsite" for a in arts)
    assert {a["outlet"] for a in arts} == {"Test Site"}
    by_path = {str(a["url"]).removeprefix(base): a for a in arts}
    assert "صفحة بترميز ويندوز العربي" in str(by_path["/news/cp1256.html"]["title"])
    assert "الحسكة" in str(by_path["/news/cp1256.html"]["body"]) or "سوريا" in str(by_path["/news/cp1256.html"]["body"])
    assert "صفحة UTF-8 بترويسة خاطئة" in str(by_path["/news/wrong-header.html"]["title"])
    assert "Ø" not in str(by_path["/news/wrong-header.html"]["body"])  # no mojibake

    # what is retried and what is refused: the fetch log
    log = {
        str(r["url"]).removeprefix(base): r
        for r in cli.sql_json("select url, kind, status, outcome, reason, attempts from fetch_log where source_id = 'testsite'")
    }
    assert log["/flaky.html"]["outcome"] == "ok" and log["/flaky.html"]["attempts"] == 2
    assert log["/busy.html"]["outcome"] == "ok" and log["/busy.html"]["attempts"] == 2
    for path, (outcome, reason, attempts) in EXPECTED_REFUSALS.items():
        assert (log[path]["outcome"], log[path]["reason"], log[path]["attempts"]) == (outcome, reason, attempts), path
    assert log["ftp://127.0.0.1/file.html"]["reason"] == "bad_scheme"
    assert log["/feed.xml"]["kind"] == "feed" and log["/sitemap-news.xml"]["kind"] == "sitemap"
    assert log["/broken-feed.xml"]["outcome"] == "ok"
    other = cli.sql_json("select source_id, url, outcome, reason from fetch_log where source_id <> 'testsite' order by 1")
    assert [(r["source_id"], r["outcome"], r["reason"]) for r in other] == [
        ("bomb", "failed", "xml_entities"), ("intranet", "refused", "private_address"),
    ]
    # failures are rejects of the fetch run; the counts add up for both runs
    rejects = {str(r["input_ref"]).removeprefix(base): r["reason"] for r in cli.sql_json("select input_ref, reason from rejects")}
    for path, (_, reason, _) in EXPECTED_REFUSALS.items():
        assert rejects[path] == reason
    runs = cli.sql_json("select * from runs order by started_at")
    assert [(r["flow"], r["status"]) for r in runs] == [("fetch", "failed"), ("load", "completed")]
    assert str(runs[0]["message"]).startswith("sources failed: intranet (no feed or sitemap answered")
    for r in runs:
        assert r["inputs"] == r["articles_new"] + r["articles_updated"] + r["duplicates"] + r["rejects"]  # type: ignore[operator]
    assert runs[1]["articles_new"] == len(EXPECTED_PAGES)

    warcs = sorted((cli.data_dir / "raw").glob("*.warc.gz"))
    assert len(warcs) == 1

    # a second run fetches nothing new: robots.txt and conditional GETs answered 304 only, and
    # the one page that failed for a passing reason (no answer) is tried again (retry_runs)
    site.site.reset()
    res2 = cli("fetch", "--sources", str(sources))
    assert res2.code == 1 and "testsite failed" not in res2.stderr, res2.stderr
    asked = site.site.paths()
    listings = ("/robots.txt", "/feed.xml", "/broken-feed.xml", "/sitemap.xml", "/bomb.xml")
    assert [p for p in asked if p not in listings] == ["/slow.html"] * 3, asked  # 1 + retries, then given up again
    statuses = cli.sql_json(
        "select url, outcome, status from fetch_log where run_id = (select max(run_id) from fetch_log) "
        "and kind in ('feed', 'sitemap') and source_id = 'testsite'"
    )
    assert {str(r["url"]).removeprefix(base): r["outcome"] for r in statuses} == {
        "/feed.xml": "not_modified", "/broken-feed.xml": "not_modified", "/sitemap.xml": "not_modified",
    }
    assert _articles(cli) == arts

    # the WARC replays offline (another data dir, the site is down) to the same articles
    site.__exit__()
    replay = Cli(data_dir=tmp_path / "replay", env=cli.env)
    res3 = replay("load", str(warcs[0]))
    assert res3.code == 0, res3.stderr
    assert _articles(replay) == arts


def test_run_fetches_from_config_sources_and_limits_to_one_source(cli: Cli, site: SiteServer, tmp_path: Path) -> None:
    sources = _write_sources(tmp_path, site)
    config = tmp_path / "news-etl.yaml"
    config.write_text(f"inputs: []\nsources: {sources.name}\n", encoding="utf-8")
    res = cli("run", "--config", str(config), "--source", "bomb")
    assert res.code == 1 and "source bomb failed" in res.stderr, res.stderr
    assert cli.sql_json("select distinct source_id from fetch_log") == [{"source_id": "bomb"}]
    assert "/feed.xml" not in site.site.paths()

    bad = cli("fetch", "--sources", str(sources), "--source", "nope")
    assert bad.code == 1 and "no source with id 'nope'" in bad.stderr
