"""The runbook of docs/operations.md, for real: a Prefect server on 127.0.0.1, a process work
pool, `prefect deploy --all` from prefect.yaml, a worker, triggered runs that finish Completed,
with artifacts that carry the run's real numbers. Bounded: every wait has a deadline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import ROOT, SAMPLES
from tests.prefect_server import PrefectServer
from warehouse.paths import LakePaths
from warehouse.reader import run_query

pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "news-etl"  # the pool named in prefect.yaml
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def prefect(server: PrefectServer, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.env()}
    return subprocess.run(
        [PREFECT, "--no-prompt", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def deployed(prefect_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Pool created, deployments deployed, one worker running; yields the API and a data dir."""
    tmp = tmp_path_factory.mktemp("deploy")
    data_dir = tmp / "data"
    res = prefect(prefect_server, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    assert res.returncode == 0, res.stdout + res.stderr
    res = prefect(prefect_server, "deploy", "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("news-etl-nightly/nightly", "news-etl-backfill/backfill", "news-etl-maintenance/maintenance"):
        assert name in res.stdout, res.stdout
    env = {
        **os.environ, **prefect_server.env(),
        "NEWS_ETL_DATA_DIR": str(data_dir),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "2",
    }
    log = open(tmp / "worker.log", "wb")  # noqa: SIM115  # lives as long as the worker
    worker = subprocess.Popen(
        [PREFECT, "worker", "start", "--pool", POOL, "--limit", "2"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    api = httpx.Client(base_url=prefect_server.url, timeout=30)
    try:
        yield {"api": api, "data_dir": data_dir, "worker_log": tmp / "worker.log", "server": prefect_server}
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        api.close()


def wait_for(api: httpx.Client, run_id: str, log: Path, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.get(f"/flow_runs/{run_id}").json()
        if run["state"]["type"] in TERMINAL:
            return dict(run)
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} not finished after {timeout}s; worker log:\n{log.read_text()[-3000:]}")


def artifacts(api: httpx.Client, key: str) -> list[dict[str, Any]]:
    res = api.post("/artifacts/filter", json={"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC"})
    res.raise_for_status()
    return list(res.json())


def test_deployments_have_the_schedule_pool_and_limit(deployed: dict[str, Any]) -> None:
    api = deployed["api"]
    nightly = api.get("/deployments/name/news-etl-nightly/nightly").json()
    assert nightly["work_pool_name"] == POOL
    [schedule] = nightly["schedules"]
    assert schedule["schedule"]["cron"] == "30 2 * * *" and schedule["schedule"]["timezone"] == "Asia/Damascus"
    assert nightly["global_concurrency_limit"]["limit"] == 1
    assert nightly["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]
    pool = api.get(f"/work_pools/{POOL}").json()
    assert pool["type"] == "process"
    for name in ("news-etl-backfill/backfill", "news-etl-maintenance/maintenance"):
        dep = api.get(f"/deployments/name/{name}").json()
        assert dep["global_concurrency_limit"]["limit"] == 1


def test_the_schedule_creates_nightly_runs_at_0230_damascus(deployed: dict[str, Any]) -> None:
    """The server's scheduler (a 60 s loop) creates the coming runs from the cron and time zone."""
    api = deployed["api"]
    nightly = api.get("/deployments/name/news-etl-nightly/nightly").json()
    query = {"deployments": {"id": {"any_": [nightly["id"]]}}, "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}
    deadline = time.monotonic() + 150
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not runs:
        runs = [r for r in api.post("/flow_runs/filter", json=query).json() if r.get("auto_scheduled")]
        if not runs:
            time.sleep(2)
    assert runs, "the scheduler created no nightly runs"
    for run in runs:
        local = datetime.fromisoformat(run["expected_start_time"]).astimezone(ZoneInfo("Asia/Damascus"))
        assert (local.hour, local.minute) == (2, 30), run["expected_start_time"]


def test_nightly_deployment_runs_to_completed_with_artifacts(deployed: dict[str, Any]) -> None:
    api, data_dir, server = deployed["api"], deployed["data_dir"], deployed["server"]
    res = prefect(
        server, "deployment", "run", "news-etl-nightly/nightly", "--param", f"data_dir={data_dir}",
        "--watch", "--watch-timeout", "300", timeout=360,
    )
    assert res.returncode == 0, res.stdout + res.stderr + deployed["worker_log"].read_text()[-3000:]
    m = re.search(r"UUID:\s*([0-9a-f-]{36})", res.stdout)
    assert m, res.stdout
    run = wait_for(api, m[1], deployed["worker_log"])
    assert run["state"]["type"] == "COMPLETED", run["state"]

    # the load subflow hangs under its step's task run, with its own task runs and log lines
    steps = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run["id"]]}}}).json()
    assert {t["name"].rsplit("-", 1)[0] for t in steps} == {"load-inputs", "maintain-lake", "check-freshness"}
    subflows = api.post("/flow_runs/filter", json={"flow_runs": {"parent_task_run_id": {"any_": [t["id"] for t in steps]}}}).json()
    assert len(subflows) == 2  # news-etl-load, news-etl-maintain
    for sub in subflows:
        assert api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [sub["id"]]}}}).json() or sub["name"], sub
        lines = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [sub["id"]]}}}).json()
        assert any(line["task_run_id"] is None for line in lines), f"subflow {sub['name']} has no log lines of its own"
    load_sub = next(s for s in subflows if s["parameters"].get("paths"))
    assert api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [load_sub["id"]]}}}).json(), "the load subflow has no task runs"
    every_log = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"], *(s["id"] for s in subflows)]}}}).json()
    assert not any("Timeouts in worker threads cannot interrupt" in line["message"] for line in every_log)

    # the lake really has the samples
    n_samples = sum(1 for p in SAMPLES.rglob("*") if p.is_file())
    result = run_query(LakePaths(data_dir), "select count(*) from articles")
    assert result.rows[0][0] == n_samples

    # the night's step table and the load's per-source table carry the real numbers
    steps = json.loads(artifacts(api, "news-etl-nightly-steps")[0]["data"])
    assert [s["step"] for s in steps] == ["fetch", "load", "maintenance", "freshness"]
    assert next(s for s in steps if s["step"] == "load")["status"] == "completed"
    sources = json.loads(artifacts(api, "news-etl-sources")[0]["data"])
    assert sum(r["articles_new"] for r in sources) == n_samples
    summary = artifacts(api, "news-etl-summary")[0]["data"]
    assert f"**{n_samples} inputs** -> {n_samples} new articles" in summary


def test_two_runs_never_overlap_and_backfill_is_idempotent(deployed: dict[str, Any]) -> None:
    api, data_dir = deployed["api"], deployed["data_dir"]
    dep = api.get("/deployments/name/news-etl-backfill/backfill").json()
    ids = []
    for _ in range(2):
        params = {"paths": [str(SAMPLES)], "data_dir": str(data_dir)}
        res = api.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": params})
        res.raise_for_status()
        ids.append(res.json()["id"])
    runs = [wait_for(api, i, deployed["worker_log"]) for i in ids]
    assert [r["state"]["type"] for r in runs] == ["COMPLETED", "COMPLETED"], [r["state"] for r in runs]
    spans = sorted((datetime.fromisoformat(r["start_time"]), datetime.fromisoformat(r["end_time"])) for r in runs)
    assert spans[0][1] <= spans[1][0], f"the two runs overlapped: {spans}"  # the worker could run 2; the limit is 1
    n_samples = sum(1 for p in SAMPLES.rglob("*") if p.is_file())
    lake = LakePaths(data_dir)
    loads = run_query(lake, "select articles_new, duplicates from runs where flow = 'load' order by started_at").rows
    assert len(loads) >= 2 and loads[-1] == (0, n_samples)  # the second backfill stored nothing new
    assert run_query(lake, "select count(*) from articles").rows[0][0] == n_samples
