"""Where a command's flow runs are recorded, and Prefect's settings for an offline run. Must run
before `import prefect`.

In order: the user's PREFECT_API_URL; with NEWS_ETL_PREFECT=ephemeral, Prefect's temporary server
for this one command (today's CI-like behaviour, ~10 s); otherwise (NEWS_ETL_PREFECT=local, the
default) the data directory's local server (flows/local_server.py), started in the background
by the first command and reused by the next ones. A local server that cannot be had costs the
command a temporary server and a warning, never a failure.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from flows import local_server

ENV_MODE = "NEWS_ETL_PREFECT"
MODES = ("local", "ephemeral")


SettingError = local_server.SettingError  # NEWS_ETL_PREFECT or a local server setting we cannot use


def mode() -> str:
    value = os.environ.get(ENV_MODE, "").strip().lower() or "local"
    if value not in MODES:
        raise SettingError(f"{ENV_MODE} must be one of {', '.join(MODES)}, not {value!r}")
    return value


def configure(prefect_home: Path) -> str:
    """State under the data directory unless the user set PREFECT_HOME / PREFECT_API_URL; no
    telemetry, no UI in the command itself. Returns where the runs go: an API URL, or
    "temporary" (Prefect starts its temporary server when the flow starts)."""
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    if mode() == "ephemeral":
        return "temporary"
    local_server.idle_minutes_setting()  # a wrong value is the user's to fix, not a reason to fall back
    try:
        state = local_server.ensure(prefect_home)
    except local_server.ServerUnavailable as err:
        print(f"news-etl: warning: {err}; this command uses a temporary Prefect server", file=sys.stderr)
        return "temporary"
    os.environ["PREFECT_API_URL"] = state.url
    return state.url


def silence_shutdown_noise() -> None:
    """The temporary server logs tracebacks while shutting down ("Error flushing events"):
    they are not about the user's run, so they are hidden once the run is over."""
    noisy = (
        "prefect.events.clients",
        "prefect.events",
        "prefect.server",
        "prefect._internal",
        "prefect.client",
        "uvicorn",
        "uvicorn.error",
    )
    for name in noisy:
        logging.getLogger(name).setLevel(logging.CRITICAL)
