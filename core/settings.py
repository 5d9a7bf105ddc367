"""Typed settings, parsed and checked once, with their defaults in one place.

    LoadSettings    how a load runs: `news-etl load` options, `load:` of the config file, deployments
    FetchSettings   `fetch:` of the config file: how the pages a fetch collected are loaded
    RunConfig       the nightly job's config file (config/news-etl.yaml); its paths are relative to it

The command line, the config file and the deployments all build these through `LoadSettings.parse`
(or `load_config`), so a setting has one name, one type, one default and one check.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core import datafile

ENV_CONFIG = "NEWS_ETL_CONFIG"
DEFAULT_CONFIG = Path("config") / "news-etl.yaml"
Runner = Literal["process", "dask"]


def default_workers() -> int:
    """Extraction processes when nothing says otherwise: two, or one on a one-core machine."""
    return min(2, os.cpu_count() or 1)


def _at_least_one(settings: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(settings, name)
        if value is not None and value < 1:
            raise datafile.Invalid(name, f"must be a whole number >= 1, not {value!r}")


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How a load runs."""

    batch_size: int = 400  # documents per atomic commit
    docs_per_slice: int = 25  # documents per worker call
    workers: int = field(default_factory=default_workers)  # extraction processes (1 = in the flow process)
    source_id: str | None = None  # source for inputs that name none and that the registry does not resolve
    html_fallback: bool = False  # trafilatura's readability/jusText comparison for HTML (slower)
    runner: Runner = "process"  # where extraction runs: a local process pool, or Dask
    full: bool = False  # re-read every input, even files the input ledger says are unchanged

    def __post_init__(self) -> None:
        _at_least_one(self, ("batch_size", "docs_per_slice", "workers"))

    @classmethod
    def parse(cls, data: dict[str, Any] | None, where: str = "load settings") -> LoadSettings:
        """Settings from a mapping of the keys above (None values mean: the default)."""
        return datafile.parse({k: v for k, v in (data or {}).items() if v is not None}, cls, where)

    def but(self, **changes: Any) -> LoadSettings:
        """A copy with some settings changed (checked like the others)."""
        return LoadSettings.parse({**self.as_dict(), **changes}, "load settings")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """`fetch:` of the config file: the load settings of the pages a fetch collected, where they
    differ from `load:`."""

    batch_size: int | None = None
    workers: int | None = None
    html_fallback: bool | None = None

    def __post_init__(self) -> None:
        _at_least_one(self, ("batch_size", "workers"))

    def load_settings(self, base: LoadSettings) -> LoadSettings:
        """`base` with this section's settings; the fetch archive names its sources itself, and
        it is always read in full (it is new)."""
        changes = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        return base.but(**changes, source_id=None, full=False)


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """config/news-etl.yaml as written."""

    inputs: tuple[str, ...] = ()  # files and folders loaded by `news-etl run`
    sources: str | None = None  # the sources file: fetched before loading
    load: LoadSettings = field(default_factory=LoadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The nightly job's settings, paths resolved."""

    path: Path | None
    inputs: tuple[str, ...] = ()
    sources: str | None = None
    load: LoadSettings = field(default_factory=LoadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @property
    def fetch_load(self) -> LoadSettings:
        """How the pages a fetch collected are loaded."""
        return self.fetch.load_settings(self.load)


def find_config(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_config(explicit: str | None = None) -> RunConfig:
    """The config file named, or $NEWS_ETL_CONFIG, or config/news-etl.yaml; without one, load
    ./samples. A bad file is a DataFileError naming the key."""
    path = find_config(explicit)
    if path is None:
        return RunConfig(path=None, inputs=("samples",) if Path("samples").is_dir() else ())
    where = str(path)
    if not path.exists():
        raise datafile.DataFileError(where, ["config file not found"])
    data = datafile.read_yaml(path, where)
    if isinstance(data, dict) and "catalog" in data:  # every command must see the same catalog; only `run` reads this file
        raise datafile.DataFileError(where, [
            "'catalog' is not read from the config file: set the environment variable "
            "NEWS_ETL_CATALOG instead (see docs/operations.md)"
        ])
    spec = datafile.parse(data, ConfigFile, where)
    base = path.resolve().parent

    def rel(value: str) -> str:
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else (base / p).resolve())

    return RunConfig(
        path=path,
        inputs=tuple(rel(i) for i in spec.inputs),
        sources=rel(spec.sources) if spec.sources else None,
        load=spec.load,
        fetch=spec.fetch,
    )
