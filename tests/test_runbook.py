"""The runbook of docs/operations.md as written: step 1 starts a Prefect server that prints no
traceback or error at start or stop, and the systemd units in deploy/ run the runbook's commands
with the environment they need (checked by systemd-analyze when it is installed)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.prefect_server import free_port

DOC = ROOT / "docs" / "operations.md"
DEPLOY = ROOT / "deploy"


def runbook_block(marker: str) -> str:
    m = re.search(rf"<!-- runbook: {re.escape(marker)} -->\n```sh\n(.*?)\n```", DOC.read_text("utf-8"), re.DOTALL)
    assert m, f"docs/operations.md has no block marked runbook: {marker}"
    return m[1]


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's keys (a key may repeat, e.g. Environment)."""
    keys: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


@pytest.mark.slow
def test_the_server_started_as_the_runbook_says_prints_no_traceback(tmp_path: Path) -> None:
    port = free_port()
    block = runbook_block("server")
    assert "--port 4200" in block and "PREFECT_SERVER_ANALYTICS_ENABLED=false" in block
    # a fresh shell: no Prefect settings but the state folder (~/.prefect in the runbook)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    out = tmp_path / "server.log"
    with out.open("wb") as log:
        shell = subprocess.Popen(
            ["bash", "-c", block.replace("4200", str(port)) + "\nwait\n"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/api"
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            else:
                pytest.fail(f"the server did not start: {out.read_text()[-2000:]}")
            # some work for its services: a flow and a flow run through the API
            with httpx.Client(base_url=url, timeout=30) as api:
                flow = api.post("/flows/", json={"name": "runbook-check"}).json()
                for _ in range(20):  # 503: the server asks to try again (its SQLite busy on a loaded machine)
                    created = api.post("/flow_runs/", json={"flow_id": flow["id"]})
                    if created.status_code != 503:
                        break
                    time.sleep(1)
                assert created.status_code == 201, created.text
            time.sleep(10)  # its services (scheduler, triggers, ...) are running by now
        finally:
            os.killpg(shell.pid, signal.SIGTERM)  # what `kill %1` or systemd's stop sends
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{url}/health", timeout=1)
                except httpx.HTTPError:
                    break
                time.sleep(0.5)
            time.sleep(3)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
    text = out.read_text("utf-8", errors="replace")
    assert "Check out the dashboard" in text, text
    for bad in ("Traceback", "ERROR", "database is locked", "telemetry"):
        assert bad not in text, text


def test_the_systemd_units_run_the_runbooks_commands() -> None:
    runbook = DOC.read_text("utf-8")
    pool = yaml.safe_load((ROOT / "prefect.yaml").read_text("utf-8"))["definitions"]["work_pool"]["name"]
    worker, server = unit("news-etl-worker.service"), unit("prefect-server.service")
    [start] = worker["ExecStart"]
    assert start == f"/srv/news-etl/app/.venv/bin/prefect worker start --pool {pool}"
    assert f".venv/bin/prefect worker start --pool {pool}" in runbook
    assert worker["WorkingDirectory"] == ["/srv/news-etl/app"] and worker["EnvironmentFile"] == ["/etc/news-etl/news-etl.env"]
    [start] = server["ExecStart"]
    assert start.endswith(".venv/bin/prefect server start --host 127.0.0.1 --port 4200")
    assert start.split("/srv/news-etl/app/", 1)[1] in runbook_block("server")
    assert "PREFECT_SERVER_ANALYTICS_ENABLED=false" in server["Environment"]
    env = dict(line.split("=", 1) for line in (DEPLOY / "news-etl.env").read_text("utf-8").splitlines()
               if line and not line.startswith("#"))
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4200/api" and env["NEWS_ETL_DATA_DIR"] == "/srv/news-etl/data"
    assert not any(k.endswith(("_URL_SECRET", "PASSWORD", "TOKEN", "ALERT_URL")) for k in env)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units, pointed at this checkout instead of /srv/news-etl/app."""
    env_file = tmp_path / "news-etl.env"
    shutil.copy(DEPLOY / "news-etl.env", env_file)
    for name in ("prefect-server.service", "news-etl-worker.service"):
        text = (DEPLOY / name).read_text("utf-8")
        text = text.replace("/srv/news-etl/app", str(ROOT)).replace("/etc/news-etl/news-etl.env", str(env_file))
        text = text.replace("User=news-etl", f"User={os.environ.get('USER', 'root')}")
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in ("prefect-server.service", "news-etl-worker.service"))],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Failed to parse" not in proc.stdout + proc.stderr
