"""Where a command's fixed cost goes: Prefect's temporary server under settings that could cut it,
the import time of each heavy module, a flow run's own costs against a running server, and a
one-file `news-etl load` with each way of reaching Prefect.

    python -m bench.startup [--runs 3] [--only servers,imports,flow,load]

servers: the temporary server exactly as Prefect starts it (uvicorn, `PREFECT__SERVER_EPHEMERAL`),
    seconds from process start to a healthy /api/health, then to exit after SIGTERM; first in a
    fresh PREFECT_HOME (creates the database), then again in the same home. Variants add settings.
imports: `python -X importtime -c "import M"`, cumulative microseconds of M (median of --runs).
flow: a probe process against a running server: import prefect, a flow with one task, four
    artifacts, the final state, exit.
load: `news-etl load ONE.txt` (a new file each time) wall time, the first command in a new data
    dir (cold), then the median of --runs more (warm): with the temporary server, with
    PREFECT_API_URL naming a running server, and with the default (the data dir's local server).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.common import ROOT, PrefectServer, _free_port, header, last_run, load_avg, run_cli, workdir

PY = sys.executable
BASE_ENV = {  # what flows/prefect_env.py sets for every command
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}
EPHEMERAL_SERVICES = ("TASK_RUN_RECORDER", "EVENT_PERSISTER", "TRIGGERS", "EVENT_LOGGER", "ACTIONS")
ALL_SERVICES = (*EPHEMERAL_SERVICES, "CANCELLATION_CLEANUP", "CLEANUP_RECONCILER", "FOREMAN", "LATE_RUNS",
                "PAUSE_EXPIRATIONS", "REPOSSESSOR", "SCHEDULER", "DB_VACUUM")
VARIANTS: dict[str, tuple[dict[str, str], bool]] = {  # name: (extra env, ephemeral?)
    "temporary server, as news-etl runs it": ({}, True),
    "+ no block registration": ({"PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false"}, True),
    "+ no migration check (database exists)": (
        {"PREFECT_SERVER_REGISTER_BLOCKS_ON_START": "false", "PREFECT_SERVER_DATABASE_MIGRATE_ON_START": "false"}, True),
    "+ no services (task runs and events not recorded)": (
        {f"PREFECT_SERVER_SERVICES_{s}_ENABLED": "false" for s in ALL_SERVICES}, True),
    "in-memory database (runs vanish with the server)": (
        {"PREFECT_SERVER_DATABASE_CONNECTION_URL": "sqlite+aiosqlite:///file:prefect?mode=memory&cache=shared&uri=true"}, True),
    "full server (all services), no UI": ({}, False),
    "full server (all services), UI": ({"PREFECT_UI_ENABLED": "true", "PREFECT_SERVER_UI_ENABLED": "true"}, False),
}


def _server_cmd(port: int) -> list[str]:
    import prefect  # noqa: PLC0415  # the benchmark's own process needs Prefect only here

    return [PY, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


def start_stop(home: Path, extra: dict[str, str], ephemeral: bool) -> tuple[float, float]:
    """(seconds to healthy, seconds from SIGTERM to exit) of one server process."""
    port = _free_port()
    env = {**os.environ, **BASE_ENV, "PREFECT_HOME": str(home), **extra}
    env.pop("PREFECT_API_URL", None)
    if ephemeral:
        env.update({"PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
        env.setdefault("PREFECT_UI_ENABLED", "0")
    log = open(home / "server.log", "ab")  # noqa: SIM115  # closed below
    start = time.perf_counter()
    proc = subprocess.Popen(_server_cmd(port), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = start + 180
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited {proc.returncode}; see {home / 'server.log'}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline:
                raise SystemExit("server did not start in 180 s")
            time.sleep(0.05)
        up = time.perf_counter() - start
        t = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        return up, time.perf_counter() - t
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def servers(runs: int) -> None:
    print(f"\n-- Prefect server start-up (process start -> healthy; stop = SIGTERM -> exit), load avg {load_avg()}")
    print(f"{'variant':52} {'first (new db)':>15} {'again':>12} {'stop':>8}")
    with workdir("startup") as tmp:
        for i, (name, (extra, ephemeral)) in enumerate(VARIANTS.items()):
            home = Path(tmp) / f"v{i}"
            home.mkdir()
            first, _ = start_stop(home, {k: v for k, v in extra.items() if "MIGRATE" not in k}, ephemeral)
            again = [start_stop(home, extra, ephemeral) for _ in range(runs)]
            up = statistics.median(a for a, _ in again)
            stop = statistics.median(s for _, s in again)
            print(f"{name:52} {first:14.2f}s {up:11.2f}s {stop:7.2f}s", flush=True)


IMPORTS = ("prefect", "prefect.flows", "fastapi", "duckdb", "pyarrow", "numpy", "trafilatura", "httpx",
           "dask.distributed", "cli.main", "flows.load_flow", "flows.jobs", "prefect.server.api.server")


def import_time(module: str) -> float:
    """Cumulative seconds of `import module` in a fresh interpreter (python -X importtime)."""
    proc = subprocess.run([PY, "-X", "importtime", "-c", f"import {module}"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    return 0.0


def imports(runs: int) -> None:
    print(f"\n-- import time, cumulative, fresh interpreter (median of {runs}), load avg {load_avg()}")
    base = statistics.median(_wall([PY, "-c", "pass"]) for _ in range(runs))
    print(f"{'python -c pass (interpreter start)':40} {base:6.2f}s")
    for module in IMPORTS:
        secs = statistics.median(import_time(module) for _ in range(runs))
        print(f"{module:40} {secs:6.2f}s", flush=True)


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


PROBE = r"""
import json, os, sys, time
t0 = float(sys.argv[1]); marks = {"interpreter": time.time() - t0}
t = time.perf_counter()
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
marks["import prefect"] = time.perf_counter() - t
@task
def one(x): return x + 1
@flow(name="bench-probe")
def probe():
    marks["flow call -> body"] = time.perf_counter() - t_call
    t = time.perf_counter(); one(1); marks["one task run"] = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(3):
        create_table_artifact(table=[{"a": i}], key=f"bench-{i}")
    create_markdown_artifact(markdown="# probe", key="bench-md")
    marks["four artifacts"] = time.perf_counter() - t
    global t_end; t_end = time.perf_counter()
t_call = time.perf_counter(); probe(); marks["body end -> flow returned"] = time.perf_counter() - t_end
marks["until exit"] = time.time() - t0
print(json.dumps(marks))
"""


def flow_costs(runs: int) -> None:
    print(f"\n-- a flow run's own costs against a running server (median of {runs}), load avg {load_avg()}")
    with workdir("flow") as tmp, PrefectServer(Path(tmp) / "prefect") as server:
        env = {**os.environ, **server.env(), "PREFECT_LOGGING_LEVEL": "WARNING"}
        samples: list[dict[str, float]] = []
        for i in range(runs + 1):
            t0 = time.time()
            proc = subprocess.run([PY, "-c", PROBE, str(t0)], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            marks = json.loads(proc.stdout.strip().splitlines()[-1])
            marks["process exit"] = time.time() - t0 - marks.pop("until exit")
            if i:  # the first one warms the server (first flow of that name)
                samples.append(marks)
    for key in samples[0]:
        print(f"{key:40} {statistics.median(s[key] for s in samples):6.2f}s")


def load_modes(runs: int) -> None:
    seeds = sorted((ROOT / "samples").glob("*.txt"))
    print(f"\n-- one-file `news-etl load` (a new .txt each time), wall time of the whole command: the first"
          f" command in a new data dir (cold), then {runs} more (warm, median); flow time from the runs table")
    with workdir("oneload") as tmp:
        base = Path(tmp)
        with PrefectServer(base / "prefect") as server:
            modes = {
                "temporary server (NEWS_ETL_PREFECT=ephemeral)": {"NEWS_ETL_PREFECT": "ephemeral"},
                "PREFECT_API_URL, a running server": server.env(),
                "default: the data dir's local server": {},
            }
            for i, (name, env) in enumerate(modes.items()):
                data = base / f"data{i}"
                saved = os.environ.pop("PREFECT_API_URL", None)
                try:
                    walls, flows = [], []
                    for n in range(runs + 1):
                        run = run_cli(["load", str(seeds[n % len(seeds)])], data, {"PREFECT_LOGGING_LEVEL": "WARNING", **env})
                        if run.code != 0:
                            raise SystemExit(f"load failed: {run.stderr[-2000:]}")
                        walls.append(run.wall)
                        flows.append(float(last_run(data)["seconds"]))
                finally:
                    if saved is not None:
                        os.environ["PREFECT_API_URL"] = saved
                    if not env:
                        run_cli(["server", "stop"], data)
                print(f"{name:46} cold {walls[0]:5.2f}s; warm {' '.join(f'{w:.2f}' for w in walls[1:])}"
                      f" -> {statistics.median(walls[1:]):.2f}s wall, {statistics.median(flows[1:]):.2f}s flow"
                      f" (load avg {load_avg()})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="servers,imports,flow,load")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    header("Fixed cost of a command: Prefect start-up, imports, flow run, one-file load")
    if "servers" in parts:
        servers(args.runs)
    if "imports" in parts:
        imports(args.runs)
    if "flow" in parts:
        flow_costs(args.runs)
    if "load" in parts:
        load_modes(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
