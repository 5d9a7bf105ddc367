"""Shared fixtures. One real Prefect server per test session; every CLI call runs the real
`news-etl` entry point in a subprocess against a temporary data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.prefect_server import PrefectServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "samples"
SEEDS = sorted(SAMPLES.glob("*.txt"))  # the five seed articles (samples/ also holds HTML pages)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(tmp_path_factory.mktemp("prefect-home"))
    server.start()
    saved = {k: os.environ.get(k) for k in server.env()}
    os.environ.update(server.env())
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    data_dir: Path
    env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 300, cwd: Path | None = None, extra_env: dict[str, str] | None = None) -> CliResult:
        env = {**os.environ, **self.env, "NEWS_ETL_DATA_DIR": str(self.data_dir), **(extra_env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd or ROOT,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def sql_json(self, query: str) -> list[dict[str, object]]:
        import json

        res = self("sql", query, "--format", "json")
        assert res.code == 0, res.stderr
        return list(json.loads(res.stdout))


@pytest.fixture
def cli(tmp_path: Path, prefect_server: PrefectServer) -> Cli:
    """The real CLI against a fresh data dir, talking to the session's Prefect server."""
    return Cli(data_dir=tmp_path / "data", env=prefect_server.env())


@pytest.fixture
def cli_offline(tmp_path: Path) -> Cli:
    """The real CLI for commands that never start Prefect (sql, errors before a run). Should one
    get as far as a flow, it uses a temporary Prefect server: no local server outlives the test."""
    return Cli(data_dir=tmp_path / "data", env={"NEWS_ETL_PREFECT": "ephemeral"})
