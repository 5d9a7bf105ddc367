"""Run states that mean something, for real: a source whose host does not resolve fails its part
of the night (with why, in the exit code, the Prefect flow run, `runs` and `fetch_log`) while
the local test site's pages land; a source that never answers is stopped at the step's deadline;
the subflows of a night have their own task runs and log lines in Prefect."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SEEDS, Cli
from tests.fixtures.site.server import SiteServer, sources_yaml
from tests.prefect_server import PrefectServer

pytestmark = pytest.mark.slow

GHOST = """\
  - id: ghost
    name: Ghost
    feeds: [http://nonexistent.invalid/feed.xml]
    sitemaps: [http://nonexistent.invalid/sitemap.xml]
"""
NO_THREAD_TIMEOUTS = "Timeouts in worker threads cannot interrupt"


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as srv:
        yield srv


class HangingServer:
    """Accepts connections on 127.0.0.1 and never answers (a hung outlet)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def api(server: PrefectServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def flow_runs(server: PrefectServer, flow_name: str) -> list[dict[str, Any]]:
    """The command line's runs of a flow, newest first (not the deployments' scheduled runs that
    other tests' deployments leave on the session's server)."""
    query = {
        "flows": {"name": {"any_": [flow_name]}},
        "flow_runs": {"deployment_id": {"is_null_": True}, "state": {"type": {"not_any_": ["SCHEDULED", "PENDING"]}}},
        "sort": "START_TIME_DESC",
    }
    with api(server) as client:
        res = client.post("/flow_runs/filter", json=query)
        res.raise_for_status()
        return list(res.json())


def logs_of(server: PrefectServer, flow_run_id: str) -> list[dict[str, Any]]:
    with api(server) as client:
        res = client.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}})
        res.raise_for_status()
        return list(res.json())


def test_fetch_with_an_unresolvable_source_fails_it_and_lands_the_others(
    cli: Cli, site: SiteServer, tmp_path: Path, prefect_server: PrefectServer
) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(sources_yaml(site.site.base, extra_sources=GHOST), encoding="utf-8")
    res = cli("fetch", "--sources", str(sources))
    assert res.code == 1, res.stderr + res.stdout
    assert "news-etl: error: source ghost failed: no feed or sitemap answered" in res.stderr
    assert "nonexistent.invalid" in res.stderr and "testsite failed" not in res.stderr
    assert "source errors          1" in res.stdout and "failed: ghost:" in res.stdout
    # one warning for the DNS failure, not one per listing
    assert res.stderr.count("source ghost: cannot resolve nonexistent.invalid") == 1, res.stderr

    # the good source landed
    stored = cli.sql_json("select source_id, count(*) n from articles group by 1")
    assert stored and {r["source_id"] for r in stored} == {"testsite"}

    # runs and fetch_log say why
    [fetch_run] = cli.sql_json("select status, message from runs where flow = 'fetch'")
    assert fetch_run["status"] == "failed"
    assert "ghost (no feed or sitemap answered" in str(fetch_run["message"]) and "testsite" not in str(fetch_run["message"])
    log = cli.sql_json("select kind, outcome, reason, error from fetch_log where source_id = 'ghost' order by kind")
    assert [r["kind"] for r in log] == ["feed", "sitemap"]
    assert all(r["outcome"] != "ok" and "cannot resolve nonexistent.invalid" in str(r["error"]) for r in log), log
    [load_run] = cli.sql_json("select status, articles_new from runs where flow = 'load'")
    assert load_run["status"] == "completed" and int(str(load_run["articles_new"])) > 0

    # the Prefect flow run is Failed, with the reason; the good source's task run Completed
    [run, *_] = flow_runs(prefect_server, "news-etl-fetch")
    assert run["state"]["type"] == "FAILED", run["state"]
    assert "ghost" in run["state"]["message"] and "testsite" not in run["state"]["message"]
    with api(prefect_server) as client:
        tasks = client.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run["id"]]}}}).json()
    assert sorted(t["state"]["type"] for t in tasks) == ["COMPLETED", "FAILED"]


def test_run_fails_the_night_and_its_subflows_have_their_own_runs_and_logs(
    cli: Cli, site: SiteServer, tmp_path: Path, prefect_server: PrefectServer
) -> None:
    (tmp_path / "sources.yaml").write_text(sources_yaml(site.site.base, extra_sources=GHOST), encoding="utf-8")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / SEEDS[0].name).write_bytes(SEEDS[0].read_bytes())
    config = tmp_path / "news-etl.yaml"
    config.write_text("inputs: [inputs]\nsources: sources.yaml\n", encoding="utf-8")
    res = cli("run", "--config", str(config))
    assert res.code == 1, res.stderr + res.stdout
    assert "news-etl: error: source ghost failed" in res.stderr
    assert NO_THREAD_TIMEOUTS not in res.stderr
    # the night went on: the site's pages and the local input landed
    sources = {r["source_id"] for r in cli.sql_json("select distinct source_id from articles")}
    assert "testsite" in sources and len(sources) == 2, sources

    [night, *_] = flow_runs(prefect_server, "news-etl-nightly")
    assert night["state"]["type"] == "FAILED" and "ghost" in night["state"]["message"], night["state"]
    with api(prefect_server) as client:
        steps = client.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [night["id"]]}}}).json()
        by_name = {t["name"].rsplit("-", 1)[0]: t for t in steps}
        assert by_name["fetch-sources"]["state"]["type"] == "FAILED"
        assert by_name["load-inputs"]["state"]["type"] == "COMPLETED"
        # every subflow hangs under its step's task run, with task runs and log lines of its own
        subflows = client.post("/flow_runs/filter", json={
            "flow_runs": {"parent_task_run_id": {"any_": [t["id"] for t in steps]}}
        }).json()
        names = sorted(f["name"] for f in client.post("/flows/filter", json={}).json() if f["id"] in {s["flow_id"] for s in subflows})
        assert names == ["news-etl-fetch", "news-etl-load"], names
        assert len(subflows) == 3  # fetch, load of its WARC, load of the inputs
        for sub in subflows:
            tasks = client.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [sub["id"]]}}}).json()
            assert tasks, f"subflow {sub['name']} has no task runs"
            lines = logs_of(prefect_server, sub["id"])
            assert any(line["task_run_id"] is None for line in lines), f"subflow {sub['name']} has no log lines of its own"
            assert not any(line["task_run_id"] in {t["id"] for t in steps} for line in lines)
        for line in logs_of(prefect_server, night["id"]):
            assert NO_THREAD_TIMEOUTS not in line["message"]


def test_a_hung_source_is_stopped_at_the_deadline_and_the_lake_stays_whole(
    cli: Cli, tmp_path: Path, prefect_server: PrefectServer
) -> None:
    res = cli("load", str(SEEDS[0]))
    assert res.code == 0, res.stderr
    before = cli.sql_json("select count(*) n from articles")
    with HangingServer() as hung:
        (tmp_path / "sources.yaml").write_text(f"""\
sources:
  - id: hung
    name: Hung
    feeds: [http://127.0.0.1:{hung.port}/feed.xml]
    allowed_domains: [127.0.0.1]
    allow_private_addresses: true
    limits: {{read_timeout: 600, connect_timeout: 600, retries: 0}}
""", encoding="utf-8")
        config = tmp_path / "news-etl.yaml"
        config.write_text("sources: sources.yaml\ntimeouts: {fetch: 30, grace: 10}\n", encoding="utf-8")
        started = time.monotonic()
        res = cli("run", "--config", str(config), timeout=240)
        elapsed = time.monotonic() - started
        assert hung.accepted, "the fetch never reached the hung source"
    assert res.code == 1, res.stderr + res.stdout
    assert "fetch timed out: timed out after 30 s" in res.stderr
    assert elapsed < 30 + 10 + 60, elapsed  # deadline + grace + process start-up on a loaded machine
    assert NO_THREAD_TIMEOUTS not in res.stderr

    # the night and its fetch subflow ended Failed with the reason; nothing is left running
    [night, *_] = flow_runs(prefect_server, "news-etl-nightly")
    assert night["state"]["type"] == "FAILED" and "timed out after 30 s" in night["state"]["message"]
    [fetch, *_] = flow_runs(prefect_server, "news-etl-fetch")
    assert fetch["state"]["type"] == "FAILED" and "timed out after 30 s" in fetch["state"]["message"], fetch["state"]
    for line in logs_of(prefect_server, night["id"]) + logs_of(prefect_server, fetch["id"]):
        assert NO_THREAD_TIMEOUTS not in line["message"]

    # the lake: the fetch run is recorded failed with why, the earlier articles are all there
    runs = cli.sql_json("select flow, status, message from runs order by started_at")
    assert [(r["flow"], r["status"]) for r in runs] == [("load", "completed"), ("fetch", "failed")]
    assert "timed out after 30 s" in str(runs[1]["message"])
    assert cli.sql_json("select count(*) n from articles") == before
    # the writer lock was released: a load without --wait goes ahead at once
    res = cli("load", str(SEEDS[1]))
    assert res.code == 0, res.stderr


def test_run_stops_at_once_when_another_run_is_writing(cli: Cli, tmp_path: Path) -> None:
    from warehouse.lock import writer_lock
    from warehouse.paths import LakePaths

    config = tmp_path / "news-etl.yaml"
    config.write_text(f"inputs: [{SEEDS[0]}]\n", encoding="utf-8")
    with writer_lock(LakePaths(cli.data_dir)):
        res = cli("run", "--config", str(config))
    assert res.code == 3, res.stderr + res.stdout
    assert "another news-etl run is writing" in res.stderr


def test_a_source_whose_pages_are_all_rejected_fails_its_part(cli: Cli, site: SiteServer, tmp_path: Path) -> None:
    """A redesigned site: the feed answers, the pages answer, and no page has an article left."""
    base = site.site.base
    pages = ["/blank/1.html", "/blank/2.html"]
    feed = "".join(f"<item><title>t</title><link>{base}{p}</link></item>" for p in pages)
    html = b"<html><head><title>x</title></head><body><nav><a href='/'>home</a></nav></body></html>"
    site.site.extra["/blank-feed.xml"] = lambda: (200, {"Content-Type": "application/rss+xml"},
                                                  f"<rss version='2.0'><channel><title>b</title>{feed}</channel></rss>".encode())
    for page in pages:
        site.site.extra[page] = lambda: (200, {"Content-Type": "text/html; charset=utf-8"}, html)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"""\
sources:
  - id: blank
    name: Blank
    feeds: [{base}/blank-feed.xml]
    allowed_domains: [127.0.0.1]
    allow_private_addresses: true
    limits: {{delay: 0, retries: 0}}
""", encoding="utf-8")
    res = cli("fetch", "--sources", str(sources))
    assert res.code == 1, res.stderr + res.stdout
    assert "news-etl: error: source blank failed: every fetched page was rejected by the load (2:" in res.stderr
    fetch_run = cli.sql_json("select status, message from runs where flow = 'fetch'")[0]
    assert fetch_run["status"] == "failed" and "blank (every fetched page was rejected" in str(fetch_run["message"])
    assert cli.sql_json("select count(*) n from articles") == [{"n": 0}]
