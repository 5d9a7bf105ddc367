"""The data directory's local Prefect server (flows/local_server.py, flows/server_main.py), with
real processes: started by the first command, reused, stopped when idle or asked, and never a
hang or a failure when it is stale (killed, data directory gone or moved, another version, its
port taken by something else, half-started, two commands starting it at once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from flows import local_server
from flows.local_server import ServerState, ensure, read_state, status, stop
from tests.conftest import ROOT, SEEDS, Cli
from tests.prefect_server import free_port

pytestmark = pytest.mark.slow

START = 240.0  # seconds a start may take on a busy shared machine (a few on a quiet one)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def _env(**extra: str) -> dict[str, str]:
    """The environment of a user's command: no PREFECT_API_URL, no PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env.update({"NEWS_ETL_PREFECT_START_TIMEOUT": str(START), "PREFECT_LOGGING_LEVEL": "WARNING", **extra})
    return env


def _cli(data: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "--data-dir", str(data), *args], cwd=ROOT, env=_env(**extra),
        capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.fixture
def homes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Prefect homes whose servers are stopped after the test, whatever happened."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv(local_server.ENV_START_TIMEOUT, str(START))
    made: list[Path] = []
    yield made
    for home in made:
        state = read_state(home)
        if state is not None and home.is_dir():
            stop(home)
        if state is not None and _alive(state.pid) and local_server._is_our_process(state):
            os.kill(state.pid, signal.SIGKILL)


def _home(tmp_path: Path, homes: list[Path], name: str = "data") -> Path:
    home = tmp_path / name / ".prefect"
    homes.append(home)
    return home


def test_commands_start_reuse_and_stop_the_local_server(tmp_path: Path, homes: list[Path]) -> None:
    data = tmp_path / "data"
    homes.append(data / ".prefect")
    first = _cli(data, "load", str(SEEDS[0]))
    assert first.returncode == 0, first.stderr
    state = read_state(data / ".prefect")
    assert state is not None and _alive(state.pid)
    raw = json.loads((data / ".prefect" / "server.json").read_text())
    assert set(raw) >= {"pid", "port", "prefect_version", "news_etl_version", "started_at", "idle_minutes"}
    assert (data / ".prefect" / "server.log").stat().st_size > 0
    assert (data / ".prefect" / "prefect.db").exists()

    second = _cli(data, "load", str(SEEDS[1]))  # reused: the same process answers
    assert second.returncode == 0, second.stderr
    assert read_state(data / ".prefect") == state

    # both runs are recorded in that server, as the UI shows them
    runs = httpx.post(f"{state.url}/flow_runs/filter", json={"sort": "START_TIME_DESC"}, timeout=30).json()
    loads = [r for r in runs if r["state_type"] == "COMPLETED"]
    assert len(loads) == 2, runs
    artifacts = httpx.post(f"{state.url}/artifacts/filter", json={}, timeout=30).json()
    assert {a["key"] for a in artifacts} >= {"news-etl-sources", "news-etl-summary"}

    shown = _cli(data, "server", "status")
    assert shown.returncode == 0 and f"pid {state.pid}" in shown.stdout, shown.stdout
    ui = _cli(data, "ui")
    assert ui.returncode == 0 and ui.stdout.strip() == state.ui_url
    page = httpx.get(state.ui_url, timeout=30, follow_redirects=True)
    assert page.status_code == 200 and "<html" in page.text.lower()

    stopped = _cli(data, "server", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _wait_gone(state.pid, 20)
    assert read_state(data / ".prefect") is None
    after = _cli(data, "server", "status")
    assert after.returncode == 1 and "not running" in after.stdout


def test_prefect_api_url_wins_over_the_local_server(cli: Cli) -> None:
    res = cli("load", str(SEEDS[0]))
    assert res.code == 0, res.stderr
    assert not (cli.data_dir / ".prefect" / "server.json").exists()


def test_a_killed_server_is_replaced(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    old = ensure(home)
    os.kill(old.pid, signal.SIGKILL)
    assert _wait_gone(old.pid, 10)
    new = ensure(home)
    assert new.pid != old.pid and new.token != old.token
    assert status(home).running


def test_a_server_whose_data_directory_is_deleted_stops_by_itself(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    state = ensure(home)
    subprocess.run(["rm", "-rf", str(home.parent)], check=True)
    assert _wait_gone(state.pid, 30), "the server outlived its data directory"


def test_a_moved_data_directory_gets_its_own_server(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    old = ensure(home)
    moved = tmp_path / "moved"
    home.parent.rename(moved)
    homes.append(moved / ".prefect")
    started = time.monotonic()
    new = ensure(moved / ".prefect")
    assert new.home == str(moved / ".prefect") and new.pid != old.pid
    assert _wait_gone(old.pid, 30)
    assert time.monotonic() - started < START
    assert status(moved / ".prefect").running


def test_a_server_of_another_version_is_replaced(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    old = ensure(home)
    (home / "server.json").write_text(json.dumps({**json.loads((home / "server.json").read_text()), "prefect_version": "2.0.0"}))
    assert "another version" in status(home).detail
    new = ensure(home)
    assert new.pid != old.pid and new.prefect_version == local_server.versions()[0]
    assert _wait_gone(old.pid, 20)


def _fake_state(home: Path, pid: int, port: int, **changes: object) -> ServerState:
    """A state file as a command would write it, naming `pid` and `port`."""
    prefect, ours = local_server.versions()
    fields = {"pid": pid, "port": port, "token": "f" * 32, "home": str(home), "prefect_version": prefect,
              "news_etl_version": ours, "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "idle_minutes": 30.0, **changes}
    home.mkdir(parents=True, exist_ok=True)
    (home / "server.json").write_text(json.dumps(fields))
    state = read_state(home)
    assert state is not None
    return state


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_port_taken_by_something_else_is_left_alone(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    port = free_port()
    other = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert local_server.identity(port) is None  # it answers, but not as our server
        _fake_state(home, other.pid, port)
        assert not status(home).running
        new = ensure(home)
        assert new.port != port and new.pid != other.pid
        assert other.poll() is None, "another program's process was stopped"
    finally:
        other.kill()
        other.wait()


def test_a_port_that_never_answers_costs_a_bounded_wait(tmp_path: Path) -> None:
    import socket

    home = tmp_path / "data" / ".prefect"
    with socket.socket() as silent:  # accepts connections into its backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        _fake_state(home, _dead_pid(), silent.getsockname()[1])
        started = time.monotonic()
        found = status(home)
        assert not found.running
        assert time.monotonic() - started < local_server.HEALTH_TIMEOUT + 3


def test_a_half_started_server_is_stopped_and_replaced(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    token = "a" * 32
    # a process that looks like our server (its command line) but never answers
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", local_server.SERVER_MODULE,
                              "--home", str(home), "--token", token])
    try:
        long_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
        _fake_state(home, stuck.pid, free_port(), token=token, started_at=long_ago)
        new = ensure(home)
        assert new.pid != stuck.pid
        assert stuck.wait(10) is not None  # terminated
    finally:
        if stuck.poll() is None:
            stuck.kill()
            stuck.wait()


def test_a_failed_start_leaves_nothing_behind(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    started = time.monotonic()
    with pytest.raises(local_server.ServerUnavailable, match="did not start"):
        ensure(home, timeout=0.5)
    assert time.monotonic() - started < 15
    assert read_state(home) is None
    assert "starting on 127.0.0.1" in (home / "server.log").read_text()


def test_two_commands_starting_at_once_share_one_server(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    code = (f"import json, sys; from pathlib import Path; from flows.local_server import ensure; "
            f"s = ensure(Path({str(home)!r})); print(json.dumps([s.pid, s.port]))")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    answers = [json.loads(p.communicate(timeout=START + 60)[0]) for p in procs]
    assert answers[0] == answers[1]
    servers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, str(home))]
    assert len(servers) == 1, servers


def _cmdline_has(proc: Path, text: str) -> bool:
    try:
        cmd = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return local_server.SERVER_MODULE.encode() in cmd and text.encode() in cmd


def test_an_idle_server_stops_by_itself(tmp_path: Path, homes: list[Path]) -> None:
    home = _home(tmp_path, homes)
    state = ensure(home, idle_minutes=0.05)  # 3 s
    assert state.idle_minutes == 0.05
    assert _wait_gone(state.pid, 60)
    assert read_state(home) is None
    assert "idle for" in (home / "server.log").read_text()


def test_a_command_falls_back_to_a_temporary_server_when_the_local_one_cannot_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = _cli(data, "load", str(SEEDS[0]), NEWS_ETL_PREFECT_START_TIMEOUT="1")
    assert res.returncode == 0, res.stderr
    assert "uses a temporary Prefect server" in res.stderr
    assert read_state(data / ".prefect") is None


def test_ephemeral_mode_keeps_no_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = _cli(data, "load", str(SEEDS[0]), NEWS_ETL_PREFECT="ephemeral")
    assert res.returncode == 0, res.stderr
    assert read_state(data / ".prefect") is None
    ui = _cli(data, "ui", NEWS_ETL_PREFECT="ephemeral")
    assert ui.returncode == 2 and "ephemeral" in ui.stderr


def test_wrong_settings_are_usage_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = _cli(data, "load", str(SEEDS[0]), NEWS_ETL_PREFECT="cloud")
    assert res.returncode == 2 and "NEWS_ETL_PREFECT must be one of" in res.stderr
    res = _cli(data, "load", str(SEEDS[0]), NEWS_ETL_PREFECT_IDLE_MINUTES="soon")
    assert res.returncode == 2 and "NEWS_ETL_PREFECT_IDLE_MINUTES" in res.stderr
    assert read_state(data / ".prefect") is None


def test_server_status_and_ui_never_import_prefect(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom cli.main import main\n"
        f"codes = [main(['--data-dir', {str(tmp_path / 'data')!r}, 'server', 'status']), main(['ui'])]\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT', codes, file=sys.stderr)"
    )
    env = {**_env(), "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
    assert proc.stderr.strip().splitlines()[-1] == "NO-PREFECT [1, 0]", proc.stderr
    assert proc.stdout.strip().splitlines() == ["not running: no server (no state file)", "http://127.0.0.1:9/"]
