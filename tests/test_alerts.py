"""Alerts through Prefect's automations, for real: `news-etl alerts` saves a webhook notification
block and two automations on the session's Prefect server; a night that fails (a source whose
host does not resolve) and a source gone silent each reach a local HTTP receiver started here.
The webhook URL (a secret) is only ever in the environment of `news-etl alerts`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cli
from tests.prefect_server import PrefectServer

pytestmark = pytest.mark.slow

TOKEN = "hook-secret-7f3a9c"
ENV = "NEWS_ETL_TEST_ALERT_URL"


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                owner.posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/{TOKEN}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 120) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.posts) < n:
            time.sleep(1)
        return [body for _, body in self.posts]


@pytest.fixture
def receiver(prefect_server: PrefectServer) -> Iterator[Receiver]:
    rec = Receiver()
    try:
        yield rec
    finally:
        rec.httpd.shutdown()
        with httpx.Client(base_url=prefect_server.url, timeout=30) as api:  # later tests' failures alert no one
            for automation in api.post("/automations/filter", json={}).json():
                if automation["name"].startswith("news-etl:"):
                    api.delete(f"/automations/{automation['id']}")


def write_config(tmp_path: Path, alerts: str) -> Path:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: ghost\n    name: Ghost\n    feeds: [http://nonexistent.invalid/feed.xml]\n    limits: {retries: 0}\n",
        encoding="utf-8",
    )
    config = tmp_path / "news-etl.yaml"
    config.write_text(f"sources: sources.yaml\nfreshness: {{silent_nights: 1}}\nalerts:\n{alerts}", encoding="utf-8")
    return config


def test_a_failed_night_and_a_silent_source_reach_the_webhook(
    cli: Cli, tmp_path: Path, receiver: Receiver, prefect_server: PrefectServer
) -> None:
    config = write_config(tmp_path, f"  notify: webhook\n  url_env: {ENV}\n")
    setup = cli("alerts", "--config", str(config), "--test", extra_env={ENV: receiver.url})
    assert setup.code == 0, setup.stderr
    assert "automation 'news-etl: night failed' created" in setup.stdout
    assert "automation 'news-etl: source needs attention' created" in setup.stdout
    [test_message] = receiver.wait_for(1)
    assert test_message["subject"] == "news-etl: test notification"

    night = cli("run", "--config", str(config))  # the worker's environment: no webhook URL in it
    assert night.code == 1, night.stderr
    bodies = receiver.wait_for(3)
    subjects = sorted(b["subject"] for b in bodies[1:])
    assert len(subjects) == 2, bodies
    failed = next(b for b in bodies[1:] if "news-etl-nightly" in b["subject"])
    assert failed["subject"].endswith("Failed") and "ghost" in failed["body"] and "no feed or sitemap answered" in failed["body"]
    silent = next(b for b in bodies[1:] if "source ghost" in b["subject"])
    assert silent["subject"] == "news-etl: source ghost is silent"
    assert "no new article in its last 1 night(s)" in silent["body"] and "Last article ingested: never" in silent["body"]
    assert all(path == f"/hooks/{TOKEN}" for path, _ in receiver.posts)

    # the secret is nowhere but in the block, where the API shows it obfuscated
    assert TOKEN not in config.read_text("utf-8")
    for res in (setup, night):
        assert TOKEN not in res.stdout + res.stderr
    assert TOKEN not in json.dumps(cli.sql_json("select parameters, message from runs"))
    with httpx.Client(base_url=prefect_server.url, timeout=30) as api:
        block = api.post("/block_documents/filter", json={"block_documents": {"name": {"any_": ["news-etl-alerts"]}}}).json()
        assert block and TOKEN not in json.dumps(block)
        runs = api.post("/flow_runs/filter", json={
            "flows": {"name": {"any_": ["news-etl-nightly"]}}, "sort": "START_TIME_DESC",
            "flow_runs": {"deployment_id": {"is_null_": True}, "state": {"type": {"not_any_": ["SCHEDULED", "PENDING"]}}},
        }).json()
        logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [runs[0]["id"]]}}}).json()
        assert logs and TOKEN not in json.dumps(logs)


def test_alert_settings_never_hold_the_secret(cli: Cli, tmp_path: Path) -> None:
    config = write_config(tmp_path, "  notify: slack\n  url_env: https://hooks.slack.com/services/T0/B0/xyz\n")
    res = cli("alerts", "--config", str(config))
    assert res.code == 1 and "must be the NAME of an environment variable" in res.stderr
    config = write_config(tmp_path, f"  notify: webhook\n  url_env: {ENV}\n")
    res = cli("alerts", "--config", str(config), extra_env={ENV: ""})
    assert res.code == 1 and f"the environment variable {ENV} (the webhook URL) is not set" in res.stderr
    res = cli("alerts", "--config", str(config), extra_env={"PREFECT_API_URL": ""})
    assert res.code == 2 and "set PREFECT_API_URL" in res.stderr
