"""Prefect settings for an offline, self-contained run. Must run before `import prefect`."""

from __future__ import annotations

import logging
import os
from pathlib import Path


def configure(prefect_home: Path) -> None:
    """State under the data directory unless the user set PREFECT_HOME / PREFECT_API_URL;
    no telemetry, no UI, quiet shutdown of the temporary server."""
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


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
