"""Typed settings, parsed and checked once, with their defaults in one place.

    LoadSettings    how a load runs: `news-etl load` options, `load:` of the config file, deployments
    InputBudget     what one input may cost: bytes, nesting, lines, seconds (part of LoadSettings)
    FetchSettings   `fetch:` of the config file: how the pages a fetch collected are loaded
    Limits          how politely a source is fetched: sources/<id>/source.yaml, the sources file
    Timeouts        `timeouts:` of the config file: each step of the nightly job stops at its deadline
    FreshnessRules  `freshness:` of the config file: when a source counts as silent or low
    AlertSettings   `alerts:` of the config file: where `news-etl alerts` sends notifications
    RunConfig       the nightly job's config file (config/news-etl.yaml); its paths are relative to it

The command line, the config file and the deployments all build these through `LoadSettings.parse`
(or `load_config`), so a setting has one name, one type, one default and one check. Every count,
size and duration a user can set has its accepted range here too (`RANGES`): a value outside it
is a usage error naming the range, whether it comes from the command line or a file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from core import datafile

ENV_CONFIG = "NEWS_ETL_CONFIG"
DEFAULT_USER_AGENT = "news-etl/0.1 (+https://github.com/news-etl; polite crawler)"
DEFAULT_CONFIG = Path("config") / "news-etl.yaml"
Runner = Literal["process", "dask"]


def default_workers() -> int:
    """Extraction processes when nothing says otherwise: two, or one on a one-core machine."""
    return min(2, os.cpu_count() or 1)


KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# The accepted range of every count, size and duration a user can set (command line, config file,
# deployment parameters): (lowest, highest). One place, so the checks and the messages agree.
RANGES: dict[str, tuple[float, float]] = {
    "batch_size": (1, 100_000),  # documents per commit
    "docs_per_slice": (1, 10_000),  # documents per worker call
    "workers": (1, 64),  # extraction processes
    "max_document_bytes": (1 * KiB, 1 * GiB),  # one document after decompression
    "max_json_depth": (1, 500),  # deeper than about 900 cannot be parsed at all
    "max_lines_per_file": (1, 100_000_000),  # lines of a jsonl file, records of a WARC file
    "max_document_seconds": (0.1, 24 * 3600.0),  # reading and transforming one document
    "sql_timeout": (0.1, 24 * 3600.0),  # seconds one `sql`/`search` statement may run
    "sql_memory_limit": (64 * MiB, 1024 * GiB),  # memory one `sql`/`search` statement may use
    "sql_limit": (0, 1_000_000_000),  # rows `sql` prints (0: every row)
    "search_limit": (1, 100_000),  # matches `search` prints
    "report_days": (1, 100_000),
    "report_top": (1, 1_000),
    "expire_days": (0, 100_000.0),
    "grace_hours": (0, 1_000_000.0),
}


def out_of_range(name: str, value: float) -> str | None:
    """Why `value` is not acceptable for the setting `name` (RANGES), or None when it is."""
    low, high = RANGES[name]
    if name.endswith(("_bytes", "memory_limit")):
        if not low <= value <= high:
            return f"must be a size between {size_text(low)} and {size_text(high)}, not {size_text(value)}"
        return None
    kind = "a whole number" if isinstance(low, int) and isinstance(high, int) else "a number"
    if value < low:
        return f"must be {kind} >= {_num(low)}, not {value!r}"
    if value > high:
        return f"must be {kind} <= {_num(high)}, not {value!r}"
    return None


def size_text(n: float) -> str:
    """A size for messages: 64 MiB, 1.5 GiB, 12 bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if abs(n) >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(n)} bytes"


_SIZE_UNITS = {
    "": 1, "b": 1, "k": KiB, "kb": KiB, "kib": KiB, "m": MiB, "mb": MiB, "mib": MiB,
    "g": GiB, "gb": GiB, "gib": GiB, "t": 1024 * GiB, "tb": 1024 * GiB, "tib": 1024 * GiB,
}


def parse_size(text: str) -> int:
    """A size in bytes from '67108864', '64MiB', '64M', '2 GB' (units of 1024); ValueError if not."""
    raw = text.strip().lower().replace(" ", "")
    digits = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(digits):]
    if unit not in _SIZE_UNITS or not digits:
        raise ValueError(f"not a size: {text!r} (a number of bytes, or with KiB, MiB or GiB)")
    try:
        number = float(digits)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (a number of bytes, or with KiB, MiB or GiB)") from None
    return int(number * _SIZE_UNITS[unit])


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_range(name: str, value: float) -> float:
    """`value` if it is inside the range of `name`, else datafile.Invalid naming the range."""
    problem = out_of_range(name, value)
    if problem:
        raise datafile.Invalid(name, problem)
    return value


def _check_ranges(settings: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(settings, name)
        if value is not None:
            check_range(name, value)


# the input budget's defaults
MAX_DOCUMENT_BYTES = 64 * MiB  # one document after decompression: a .txt/.html file, a jsonl line, a WARC record
MAX_JSON_DEPTH = 64  # nesting of arrays and objects in one jsonl line
MAX_LINES_PER_FILE = 1_000_000  # lines of one jsonl file, records of one WARC file
MAX_DOCUMENT_SECONDS = 120.0  # reading and transforming one document; a worker that overruns is replaced


@dataclass(frozen=True, slots=True)
class InputBudget:
    """What one input may cost. Enforced where its bytes are read, decompressed or decoded
    (collect/reading.py) and, for time, by the worker pool; an overrun is a reject with its reason
    (too_large, too_deep, too_many_lines, too_slow), never a failed run."""

    max_document_bytes: int = MAX_DOCUMENT_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    max_lines_per_file: int = MAX_LINES_PER_FILE
    max_document_seconds: float = MAX_DOCUMENT_SECONDS
    follow_symlinks: bool = False  # read symbolic links that lead outside the input folder

    def __post_init__(self) -> None:
        _check_ranges(self, BUDGET_KEYS)


BUDGET_KEYS = ("max_document_bytes", "max_json_depth", "max_lines_per_file", "max_document_seconds")


ENV_SQL_TIMEOUT = "NEWS_ETL_SQL_TIMEOUT"
ENV_SQL_MEMORY = "NEWS_ETL_SQL_MEMORY"
SQL_TIMEOUT = 60.0  # seconds
SQL_TABLE_ROWS = 1000  # rows `sql` prints as a table unless --limit says otherwise (csv and json: every row)


def default_query_memory() -> int:
    """Memory one `sql`/`search` statement may use: 2 GiB, or a quarter of the RAM if less."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2 * GiB
    return int(max(RANGES["sql_memory_limit"][0], min(2 * GiB, ram // 4)))


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """What one read-only statement (`news-etl sql`, `search`) may use: seconds and memory."""

    timeout: float = SQL_TIMEOUT
    memory_limit: int = field(default_factory=default_query_memory)

    def __post_init__(self) -> None:
        check_range("sql_timeout", self.timeout)
        check_range("sql_memory_limit", self.memory_limit)

    @classmethod
    def resolve(cls, timeout: float | None = None, memory_limit: int | None = None) -> QueryLimits:
        """From the command line's values, else $NEWS_ETL_SQL_TIMEOUT / $NEWS_ETL_SQL_MEMORY, else the
        defaults; a value out of range (or an unreadable variable) is datafile.Invalid, keyed by the
        setting (sql_timeout, sql_memory_limit) or by the variable it came from."""
        defaults = cls()
        values: dict[str, tuple[float, str | None]] = {
            "sql_timeout": (defaults.timeout, None), "sql_memory_limit": (defaults.memory_limit, None),
        }
        for name, given, env, parse in (
            ("sql_timeout", timeout, ENV_SQL_TIMEOUT, float), ("sql_memory_limit", memory_limit, ENV_SQL_MEMORY, parse_size),
        ):
            if given is not None:
                values[name] = (given, None)
            elif os.environ.get(env, "").strip():
                raw = os.environ[env]
                try:
                    values[name] = (parse(raw), env)
                except ValueError:
                    what = "a number of seconds" if parse is float else "a size (bytes, or with KiB, MiB or GiB)"
                    raise datafile.Invalid(env, f"must be {what}, not {raw!r}") from None
        for name, (value, source) in values.items():
            problem = out_of_range(name, value)
            if problem:
                raise datafile.Invalid(source or name, problem)
        return cls(values["sql_timeout"][0], int(values["sql_memory_limit"][0]))


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """How a load runs."""

    batch_size: int = 400  # documents per atomic commit
    docs_per_slice: int = 25  # documents per worker call
    workers: int = field(default_factory=default_workers)  # extraction processes (1 = in the flow process)
    source_id: str | None = None  # --source-id: the source of inputs that name none (asked before the registry)
    html_fallback: bool = False  # trafilatura's readability/jusText comparison for HTML (slower)
    runner: Runner = "process"  # where extraction runs: a local process pool, or Dask
    full: bool = False  # re-read every input, even files the input ledger says are unchanged
    # the input budget (InputBudget; its defaults are the ones above)
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    max_lines_per_file: int = MAX_LINES_PER_FILE
    max_document_seconds: float = MAX_DOCUMENT_SECONDS
    follow_symlinks: bool = False  # --follow-symlinks: read symbolic links that lead outside the input folder

    def __post_init__(self) -> None:
        _check_ranges(self, ("batch_size", "docs_per_slice", "workers", *BUDGET_KEYS))

    @property
    def budget(self) -> InputBudget:
        return InputBudget(
            self.max_document_bytes, self.max_json_depth, self.max_lines_per_file, self.max_document_seconds,
            self.follow_symlinks,
        )

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
        _check_ranges(self, ("batch_size", "workers"))

    def load_settings(self, base: LoadSettings) -> LoadSettings:
        """`base` with this section's settings; the fetch archive names its sources itself, and
        it is always read in full (it is new)."""
        changes = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        return base.but(**changes, source_id=None, full=False)


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-source politeness and size limits: the sources file's `defaults:`, then the registered
    source's `limits:`, then the sources file entry's `limits:` set them."""

    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0  # seconds between two requests to one host (robots Crawl-delay wins if larger)
    max_crawl_delay: float = 30.0  # a robots Crawl-delay above this is capped (and logged)
    per_host: int = 2  # concurrent requests to one host
    concurrency: int = 8  # concurrent requests in total
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # seconds between two reads of one response
    response_timeout: float = 60.0  # seconds for one response, headers to last byte (a server that drips is cut)
    host_timeout: float = 3600.0  # seconds one host may take in a run (from its first request); later requests fail
    run_timeout: float = 4 * 3600.0  # seconds a fetch run may take (the smallest value of its sources applies)
    max_bytes: int = 5 * 1024 * 1024  # largest body read, after every Content-Encoding is undone; larger ones are refused
    retries: int = 3  # extra attempts after the first one (connection errors, 429, 5xx)
    backoff: float = 1.0  # first backoff in seconds; doubles each attempt, plus jitter
    max_retry_after: float = 120.0  # a Retry-After longer than this gives up instead of waiting
    max_redirects: int = 5
    max_pages: int = 500  # article pages fetched per source per run
    max_sitemaps: int = 20  # nested sitemaps followed from a sitemap index
    retry_runs: int = 3  # later runs that try again a page which failed for a passing reason, feed unchanged or not

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise datafile.Invalid("user_agent", "must be a non-empty string")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and value < 0:
                kind = "a whole number" if isinstance(value, int) else "a number"
                raise datafile.Invalid(f.name, f"must be {kind} >= 0, not {value!r}")
        for name in ("per_host", "concurrency"):
            if getattr(self, name) < 1:
                raise datafile.Invalid(name, "must be at least 1")
        for name in ("connect_timeout", "read_timeout", "response_timeout", "host_timeout", "run_timeout"):
            if getattr(self, name) <= 0:
                raise datafile.Invalid(name, f"must be a number of seconds > 0, not {getattr(self, name)!r}")

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """`timeouts:` of the config file, in seconds: each step of the nightly job (and of the
    backfill and maintenance deployments) runs in a child process that is stopped at its deadline
    (SIGTERM, then SIGKILL after `grace`); the step ends 'timed out after N s'."""

    fetch: float = 3 * 3600  # feeds, sitemaps and pages of every source, and the load of what was fetched
    load: float = 3 * 3600  # the config's local inputs
    maintenance: float = 3600
    backfill: float = 6 * 3600
    grace: float = 30  # seconds between SIGTERM (the step records its failure) and SIGKILL

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value <= 0:
                raise datafile.Invalid(f.name, f"must be a number of seconds > 0, not {value!r}")

    def of(self, step: str) -> float:
        return float(getattr(self, step))


@dataclass(frozen=True, slots=True)
class FreshnessRules:
    """`freshness:` of the config file: when a source needs attention. A source's nights are the
    nights on which a fetch tried it or a load stored or repeated one of its articles; its
    articles of a night are the new ones stored that night. The nightly job writes these rules
    into the lake (table `freshness_rules`), so `news-etl status`, the report and BI tools (view
    `source_freshness`) all apply the same ones."""

    silent_nights: int = 2  # 'silent': no new article in each of its last N nights
    low_ratio: float = 0.25  # 'low': fewer new articles than this share of its median...
    low_nights: int = 3  # ...in each of its last N nights
    window_nights: int = 14  # the median is taken over up to this many nights before those (at least low_nights of them)
    night_starts_at: int = 12  # hour (UTC) at which a night begins: 12 puts a run at 23:30 UTC and one at 01:00 UTC in one night

    def __post_init__(self) -> None:
        for name in ("silent_nights", "low_nights", "window_nights"):
            if getattr(self, name) < 1:
                raise datafile.Invalid(name, f"must be a whole number >= 1, not {getattr(self, name)!r}")
        if not 0 < self.low_ratio < 1:
            raise datafile.Invalid("low_ratio", f"must be a number between 0 and 1, not {self.low_ratio!r}")
        if not 0 <= self.night_starts_at <= 23:  # hours of a day
            raise datafile.Invalid("night_starts_at", f"must be an hour from 0 to 23, not {self.night_starts_at!r}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


AlertEvent = Literal["night_failed", "source_silent", "source_low"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """`alerts:` of the config file (read by `news-etl alerts`, which sets them up on the Prefect
    server): the kind of notification and the NAMES of the environment variables that hold its
    secrets. A URL or a key is never written here."""

    notify: Literal["webhook", "slack", "teams", "sendgrid"] = "webhook"
    url_env: str = "NEWS_ETL_ALERT_URL"  # webhook, slack, teams: the variable holding the URL
    api_key_env: str = "NEWS_ETL_ALERT_API_KEY"  # sendgrid: the variable holding the API key
    to: tuple[str, ...] = ()  # sendgrid: recipients
    sender: str | None = None  # sendgrid: the sender address
    on: tuple[AlertEvent, ...] = ("night_failed", "source_silent", "source_low")

    def __post_init__(self) -> None:
        for name in ("url_env", "api_key_env"):
            if not _ENV_NAME.match(getattr(self, name)):
                raise datafile.Invalid(name, "must be the NAME of an environment variable (like NEWS_ETL_ALERT_URL): "
                                             "the URL or key itself belongs in the environment, never in this file")


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """config/news-etl.yaml as written."""

    inputs: tuple[str, ...] = ()  # files and folders loaded by `news-etl run`
    sources: str | None = None  # the sources file: fetched before loading
    load: LoadSettings = field(default_factory=LoadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    timeouts: Timeouts = field(default_factory=Timeouts)
    freshness: FreshnessRules = field(default_factory=FreshnessRules)
    alerts: AlertSettings | None = None


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The nightly job's settings, paths resolved."""

    path: Path | None
    inputs: tuple[str, ...] = ()
    sources: str | None = None
    load: LoadSettings = field(default_factory=LoadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    timeouts: Timeouts = field(default_factory=Timeouts)
    freshness: FreshnessRules = field(default_factory=FreshnessRules)
    alerts: AlertSettings | None = None

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
        timeouts=spec.timeouts,
        freshness=spec.freshness,
        alerts=spec.alerts,
    )
