"""The local Prefect server of a data directory: started in the background by the first command
that needs Prefect, reused by the next ones, stopped by itself when idle.

State lives in DATA_DIR/.prefect (Prefect's home for the data directory):

    server.json   pid, port, url, token, versions, started_at, idle_minutes (written under the lock)
    server.lock   held while a command checks, starts or stops the server
    server.log    the server's output
    prefect.db    Prefect's database (flow runs, task runs, logs, artifacts)

The server (`python -m flows.server_main`) listens on 127.0.0.1 on a port the starter bound and
handed over, answers `GET /news-etl/identity` with the token of the state file that started it,
and exits after `idle_minutes` without a request, or as soon as its state file is gone or names
another server (data directory deleted or moved, or replaced by a newer start).

Nothing here imports Prefect: a command decides where Prefect is before Prefect is imported
(flows/prefect_env.py). Every wait is bounded; a server that cannot be had costs the command a
temporary server (today's behaviour), never a hang or a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

ENV_IDLE = "NEWS_ETL_PREFECT_IDLE_MINUTES"
ENV_START_TIMEOUT = "NEWS_ETL_PREFECT_START_TIMEOUT"
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_START_TIMEOUT = 90.0  # a server's first start (creating its database) on a busy machine
HEALTH_TIMEOUT = 2.0  # one identity request to a running server
LOG_KEEP_BYTES = 5_000_000  # server.log is cut back to its tail at a start beyond this
SERVER_MODULE = "flows.server_main"
STATE, LOCK, LOG = "server.json", "server.lock", "server.log"


class ServerUnavailable(Exception):
    """The local server could not be started or reached in time (the message says why)."""


class SettingError(ValueError):
    """A setting of the local server (or NEWS_ETL_PREFECT) has a value we cannot use."""


@dataclass(frozen=True, slots=True)
class ServerState:
    pid: int
    port: int
    token: str
    home: str
    prefect_version: str
    news_etl_version: str
    started_at: str
    idle_minutes: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass(frozen=True, slots=True)
class Status:
    running: bool
    state: ServerState | None
    detail: str  # why not running, or what the server says about itself
    idle_seconds: float | None = None


def versions() -> tuple[str, str]:
    """(Prefect's version, news-etl's version plus a digest of the server's own code): a server
    started by other code is stopped and replaced."""
    try:
        prefect = metadata.version("prefect")
    except metadata.PackageNotFoundError:
        prefect = "unknown"
    try:
        ours = metadata.version("news-etl")
    except metadata.PackageNotFoundError:
        ours = "0"
    here = Path(__file__).resolve().parent
    digest = hashlib.sha1(usedforsecurity=False)
    for name in ("local_server.py", "server_main.py"):
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return prefect, f"{ours}+{digest.hexdigest()[:12]}"


def idle_minutes_setting() -> float:
    raw = os.environ.get(ENV_IDLE)
    if not raw:
        return DEFAULT_IDLE_MINUTES
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{ENV_IDLE} must be a number of minutes, not {raw!r}") from None
    if value <= 0:
        raise SettingError(f"{ENV_IDLE} must be more than 0 minutes, not {raw!r}")
    return value


def start_timeout_setting() -> float:
    raw = os.environ.get(ENV_START_TIMEOUT)
    try:
        return max(1.0, float(raw)) if raw else DEFAULT_START_TIMEOUT
    except ValueError:
        return DEFAULT_START_TIMEOUT


# -- state file ----------------------------------------------------------------------------------


def read_state(home: Path) -> ServerState | None:
    """The state file, or None when it is missing, unreadable or from another layout."""
    try:
        raw = json.loads((home / STATE).read_text("utf-8"))
        return ServerState(**{k: raw[k] for k in ServerState.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(home: Path, state: ServerState) -> None:
    tmp = home / f".{STATE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(asdict(state), indent=1) + "\n", "utf-8")
    tmp.chmod(0o600)  # the token proves a server is ours
    tmp.replace(home / STATE)


def _remove_state(home: Path, token: str) -> None:
    """Remove the state file if it still names the server with `token`."""
    current = read_state(home)
    if current is not None and current.token == token:
        with contextlib.suppress(OSError):
            (home / STATE).unlink()


@contextlib.contextmanager
def locked(home: Path, timeout: float) -> Iterator[None]:
    """The start/stop lock of the data directory's server, waited for at most `timeout` seconds."""
    handle: IO[bytes] = open(home / LOCK, "a+b")  # noqa: SIM115  # held for the whole block
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ServerUnavailable(f"another command held {home / LOCK} for {timeout:.0f} s") from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()


# -- probing -------------------------------------------------------------------------------------


def identity(port: int, timeout: float = HEALTH_TIMEOUT, *, touch: bool = False) -> dict[str, Any] | None:
    """What the server on `port` says about itself, or None (nothing there, not ours, too slow).
    `touch`: a command is about to use the server (its idle clock starts again)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/news-etl/identity" + ("?touch=1" if touch else ""))
        resp = conn.getresponse()
        body = resp.read(65536)
        if resp.status != 200:
            return None
        answer = json.loads(body)
        return answer if isinstance(answer, dict) else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


def _healthy(state: ServerState, timeout: float = HEALTH_TIMEOUT, *, touch: bool = True) -> dict[str, Any] | None:
    """The identity of the server the state names, if it is that server and it is up."""
    answer = identity(state.port, timeout, touch=touch)
    if answer is None or answer.get("token") != state.token or not answer.get("ready"):
        return None
    return answer


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_process(state: ServerState) -> bool:
    """Whether `state.pid` is still the server process the state describes (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return SERVER_MODULE.encode() in cmdline and state.token.encode() in cmdline and state.home.encode() in cmdline


def _terminate(state: ServerState, timeout: float = 10.0) -> None:
    """Stop the server process of `state` if it is ours: SIGTERM, then SIGKILL after `timeout`."""
    if not _is_our_process(state):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(state.pid) or not _is_our_process(state):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(state.pid, signal.SIGKILL)


def status(home: Path) -> Status:
    state = read_state(home)
    if state is None:
        return Status(False, None, "no server (no state file)")
    if state.home != str(home):
        return Status(False, state, f"stale state: written for {state.home} (the data directory moved or was copied)")
    answer = _serves(state, home, touch=False)
    if answer is None:
        if _is_our_process(state):
            return Status(False, state, f"pid {state.pid} is running but does not answer on port {state.port}")
        return Status(False, state, f"stale state: no server answers on port {state.port}")
    if _versions(state) != versions():
        return Status(True, state, f"started by another version (prefect {state.prefect_version}, news-etl "
                                   f"{state.news_etl_version}); the next command replaces it")
    idle = answer.get("idle_seconds")
    return Status(True, state, "running", float(idle) if isinstance(idle, (int, float)) else None)


# -- starting and stopping -----------------------------------------------------------------------


def ensure(home: Path, *, idle_minutes: float | None = None, timeout: float | None = None) -> ServerState:
    """The running local server of this Prefect home, started if needed. Raises ServerUnavailable
    when it cannot be had within `timeout` (never waits longer)."""
    home.mkdir(parents=True, exist_ok=True)
    wanted = versions()
    state = read_state(home)
    if state is not None and _versions(state) == wanted and _serves(state, home):
        return state  # the common case: no lock, one local request
    timeout = start_timeout_setting() if timeout is None else timeout
    idle = idle_minutes_setting() if idle_minutes is None else idle_minutes
    deadline = time.monotonic() + timeout
    with locked(home, timeout):
        state = read_state(home)  # another command may have started one while we waited
        if state is not None:
            if state.home != str(home):
                # the state file came with a data directory moved or copied here: its server, if any,
                # serves the old place; stopped only when that place is gone (it also stops by itself)
                if not Path(state.home).exists():
                    _terminate(state)
            elif _serves(state, home):
                if _versions(state) == wanted:
                    return state
                _terminate(state)  # another Prefect or news-etl: replaced
            elif _is_our_process(state):
                # started by a command that died before it was up: given the rest of its time
                age = _age(state)
                if age is not None and 0 <= age < timeout and _wait_healthy(state, None, deadline):
                    return state
                _terminate(state)
        return _start(home, idle, wanted, deadline)


def _versions(state: ServerState) -> tuple[str, str]:
    return state.prefect_version, state.news_etl_version


def _serves(state: ServerState, home: Path, *, touch: bool = True) -> dict[str, Any] | None:
    """The identity of the server the state names, if it is up and serves this Prefect home."""
    if state.home != str(home):
        return None
    answer = _healthy(state, touch=touch)
    return answer if answer is not None and answer.get("home") == str(home) else None


def _age(state: ServerState) -> float | None:
    try:
        return (datetime.now(UTC) - datetime.fromisoformat(state.started_at)).total_seconds()
    except ValueError:
        return None


def _wait_healthy(state: ServerState, proc: subprocess.Popen[bytes] | None, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if proc is None and not _alive(state.pid):
            return False
        if _healthy(state, timeout=min(HEALTH_TIMEOUT, max(0.1, deadline - time.monotonic()))):
            return True
        time.sleep(0.1)
    return False


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def _trim_log(log: Path) -> None:
    """Keep server.log small: beyond LOG_KEEP_BYTES only its last half is kept."""
    try:
        size = log.stat().st_size
    except OSError:
        return
    if size > LOG_KEEP_BYTES:
        with open(log, "rb") as fh:
            fh.seek(size - LOG_KEEP_BYTES // 2)
            tail = fh.read()
        log.write_bytes(tail)


def _start(home: Path, idle_minutes: float, wanted: tuple[str, str], deadline: float) -> ServerState:
    token = secrets.token_hex(16)
    sock = _listening_socket()  # bound here and handed over: no other process can take the port between
    port = int(sock.getsockname()[1])
    log_path = home / LOG
    _trim_log(log_path)
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    root = str(Path(__file__).resolve().parent.parent)  # the news-etl source tree, importable by the child
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", SERVER_MODULE, "--home", str(home), "--fd", str(sock.fileno()),
           "--token", token, "--idle-minutes", repr(idle_minutes)]
    try:
        with open(log_path, "ab") as log:
            log.write(f"\n== {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} starting on 127.0.0.1:{port} ==\n".encode())
            log.flush()
            proc = subprocess.Popen(  # noqa: S603  # our own module, run by this interpreter
                cmd, cwd=str(home), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(sock.fileno(),), start_new_session=True,  # detached: outlives the command and its Ctrl-C
            )
    except OSError as err:
        sock.close()
        raise ServerUnavailable(f"cannot start the local Prefect server: {err}") from err
    finally:
        if not sock._closed:  # type: ignore[attr-defined]  # socket has no public "closed"
            sock.close()  # the child holds its own copy
    state = ServerState(
        pid=proc.pid, port=port, token=token, home=str(home), prefect_version=wanted[0], news_etl_version=wanted[1],
        started_at=datetime.now(UTC).isoformat(timespec="seconds"), idle_minutes=idle_minutes,
    )
    _write_state(home, state)
    if _wait_healthy(state, proc, deadline):
        return state
    # not up in time, or it died: never leave a half-started server behind
    exited = proc.poll()
    if exited is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _remove_state(home, token)
    why = f"it exited with code {exited}" if exited is not None else "it did not answer in time"
    raise ServerUnavailable(f"the local Prefect server did not start ({why}; see {log_path})")


def stop(home: Path, timeout: float = 15.0) -> Status:
    """Stop the local server of this Prefect home, if one runs; returns what was found."""
    if not home.is_dir():
        return Status(False, None, "no server (no state file)")
    found = status(home)
    with locked(home, timeout):
        state = read_state(home)
        if state is not None:
            _terminate(state, timeout)
            _remove_state(home, state.token)
    return found

