"""The nightly job's config file (YAML). Paths inside it are relative to the file itself.

    inputs: [../samples]          # local files/folders loaded by `news-etl run`
    sources: sources.yaml         # feeds and sitemaps collected by `news-etl run` (optional)
    load:                          # batch_size, docs_per_slice, workers, source_id, html_fallback
      batch_size: 400
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENV_CONFIG = "NEWS_ETL_CONFIG"
DEFAULT_CONFIG = Path("config") / "news-etl.yaml"


class ConfigError(ValueError):
    pass


# the settings `load:` may hold, with their types (flows.load_flow.LoadSettings; `full` is a flag)
LOAD_KEYS: dict[str, type] = {
    "batch_size": int, "docs_per_slice": int, "workers": int, "source_id": str, "html_fallback": bool,
}


def check_load_settings(load: Any, where: Path) -> dict[str, Any]:
    """`load:` as a dict of known keys with values of the right type, or a ConfigError naming the key."""
    if not isinstance(load, dict):
        raise ConfigError(f"'load' in {where} must be a mapping of settings")
    for key, value in load.items():
        kind = LOAD_KEYS.get(str(key))
        if kind is None:
            raise ConfigError(f"unknown setting 'load.{key}' in {where}; known: {', '.join(sorted(LOAD_KEYS))}")
        if value is None and key == "source_id":
            continue
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if not ok or (kind is int and value < 1):
            want = {int: "a whole number >= 1", bool: "true or false", str: "a string"}[kind]
            raise ConfigError(f"'load.{key}' in {where} must be {want}, not {value!r}")
    return dict(load)


@dataclass
class RunConfig:
    path: Path | None
    inputs: list[str] = field(default_factory=list)
    sources: str | None = None
    load: dict[str, Any] = field(default_factory=dict)
    fetch: dict[str, Any] = field(default_factory=dict)


def find_config(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_config(explicit: str | None = None) -> RunConfig:
    path = find_config(explicit)
    if path is None:
        return RunConfig(path=None, inputs=["samples"] if Path("samples").is_dir() else [])
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read config {path}: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping of settings")
    if "catalog" in data:  # every command must see the same catalog; only `run` reads this file
        raise ConfigError(
            f"'catalog' in {path} is not read from the config file: set the environment variable "
            "NEWS_ETL_CATALOG instead (see docs/operations.md)"
        )
    base = path.resolve().parent

    def rel(value: Any) -> str:
        p = Path(str(value)).expanduser()
        return str(p if p.is_absolute() else (base / p).resolve())

    inputs = data.get("inputs") or []
    if not isinstance(inputs, list):
        raise ConfigError(f"'inputs' in {path} must be a list of paths")
    sources = data.get("sources")
    return RunConfig(
        path=path,
        inputs=[rel(i) for i in inputs],
        sources=rel(sources) if sources else None,
        load=check_load_settings(data.get("load") or {}, path),
        fetch=dict(data.get("fetch") or {}),
    )
