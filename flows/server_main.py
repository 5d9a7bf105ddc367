"""The local Prefect server process of a data directory (started by flows/local_server.py):

    python -m flows.server_main --home DATA_DIR/.prefect --fd N --token T --idle-minutes M

Serves Prefect's API and UI on the socket it was handed (127.0.0.1), with the services the
temporary server runs (task runs, events, logs recorded) and none that only deployments need
(scheduler, late runs, work pools). `GET /news-etl/identity` answers with the token of the state
file that started it. It exits by itself after M minutes without a request (an open request,
such as a running command's event stream, keeps it up), or within a few seconds when its state
file is gone or names another server. SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from flows import local_server

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IDENTITY_PATH = "/news-etl/identity"
CHECK_SECONDS = 2.0  # how often the state file and idleness are looked at
# services that only deployments, work pools and schedules need: off unless the user turns them on
OFF_SERVICES = ("SCHEDULER", "LATE_RUNS", "FOREMAN", "REPOSSESSOR", "PAUSE_EXPIRATIONS", "CANCELLATION_CLEANUP",
                "CLEANUP_RECONCILER")


class Watched:
    """The API app behind an identity route and a clock of the last request."""

    def __init__(self, app: ASGIApp, token: str, home: str) -> None:
        self.app, self.token, self.home = app, token, home
        self.last = time.monotonic()
        self.active = 0

    def idle_seconds(self) -> float:
        return 0.0 if self.active else time.monotonic() - self.last

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == IDENTITY_PATH:
            if scope.get("query_string") == b"touch=1":  # a command about to use the server
                self.last = time.monotonic()
            body = json.dumps({"token": self.token, "home": self.home, "pid": os.getpid(), "ready": True,
                               "idle_seconds": round(self.idle_seconds(), 1)}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.active += 1
        self.last = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self.last = time.monotonic()


def _still_ours(state_file: Path, token: str) -> bool:
    try:
        return bool(json.loads(state_file.read_text("utf-8")).get("token") == token)
    except (OSError, ValueError, AttributeError):
        return False


def _forget(home: Path, token: str) -> None:
    """A stopped server leaves no state behind (unless a command holds the lock: it handles the rest)."""
    with contextlib.suppress(local_server.ServerUnavailable, OSError), local_server.locked(home, timeout=2.0):
        if _still_ours(home / local_server.STATE, token):
            (home / local_server.STATE).unlink()


def _environment(home: str, port: int) -> None:
    """Prefect's settings for this server; whatever the user set in the environment stays."""
    os.environ["PREFECT_HOME"] = home
    os.environ.pop("PREFECT_API_URL", None)
    defaults = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in OFF_SERVICES},
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # the UI is what this server is for (`news-etl ui`); a command's own "no UI" setting, inherited
    # from the process that started the server, does not apply to it
    os.environ["PREFECT_UI_ENABLED"] = os.environ["PREFECT_SERVER_UI_ENABLED"] = "true"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.server_main")
    parser.add_argument("--home", required=True)
    parser.add_argument("--fd", type=int, required=True, help="a listening socket on 127.0.0.1, inherited")
    parser.add_argument("--token", required=True)
    parser.add_argument("--idle-minutes", type=float, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    port = int(sock.getsockname()[1])
    _environment(args.home, port)
    state_file = Path(args.home) / local_server.STATE

    import uvicorn  # noqa: PLC0415  # after the environment: Prefect reads its settings on import
    from prefect.server.api.server import create_app  # noqa: PLC0415  # the same

    app = Watched(create_app(final=True), args.token, args.home)
    server = uvicorn.Server(uvicorn.Config(
        app, lifespan="on", log_level="warning", timeout_graceful_shutdown=5, access_log=False,
    ))
    idle_limit = args.idle_minutes * 60
    reason: list[str] = []

    def watch() -> None:
        while not server.should_exit:
            time.sleep(CHECK_SECONDS)
            if not _still_ours(state_file, args.token):
                reason.append(f"its state file {state_file} is gone or names another server")
            elif server.started and app.idle_seconds() > idle_limit:
                reason.append(f"idle for {args.idle_minutes:g} minutes")
            if reason:
                server.should_exit = True

    threading.Thread(target=watch, name="news-etl-watch", daemon=True).start()
    print(f"news-etl: Prefect server for {args.home} on http://127.0.0.1:{port} (pid {os.getpid()}, "
          f"stops after {args.idle_minutes:g} idle minutes)", flush=True)
    asyncio.run(server.serve(sockets=[sock]))
    _forget(Path(args.home), args.token)
    print(f"news-etl: Prefect server stopped: {reason[0] if reason else 'signal'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
