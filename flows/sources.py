"""The sources file (YAML): which outlets to collect from, and how politely.

    defaults:                        # optional, applies to every source (each key may be overridden)
      user_agent: "news-etl/0.1 (+mailto:ops@example.org)"
      delay: 1.0                     # seconds between two requests to the same host
    sources:
      - id: enab-baladi              # [a-z0-9_-], becomes articles.source_id
        name: Enab Baladi            # becomes articles.outlet
        language: ar
        homepage: https://www.enabbaladi.net/
        feeds: [https://www.enabbaladi.net/feed]
        sitemaps: [https://www.enabbaladi.net/sitemap.xml]
        allowed_domains: [enabbaladi.net]   # the host or any subdomain of it
        allow_private_addresses: false      # true: intranet sources and tests on 127.0.0.1
        limits: {max_pages: 200, delay: 2.0}
        extraction: {}               # reserved: must be empty (per-source rules are transforms/rules/sources/<id>.yaml)

Validation errors are collected and reported together, one line per problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core import datafile

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DEFAULT_USER_AGENT = "news-etl/0.1 (+https://github.com/news-etl; polite crawler)"


class SourcesError(ValueError):
    """The sources file is missing or invalid (message lists every problem)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-source politeness and size limits; `defaults:` and each source's `limits:` set them."""

    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0  # seconds between two requests to one host (robots Crawl-delay wins if larger)
    max_crawl_delay: float = 30.0  # a robots Crawl-delay above this is capped (and logged)
    per_host: int = 2  # concurrent requests to one host
    concurrency: int = 8  # concurrent requests in total
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024  # largest body read; larger responses are refused
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

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    name: str
    language: str
    homepage: str
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    allow_private_addresses: bool = False
    limits: Limits = field(default_factory=Limits)

    def allows_host(self, host: str | None) -> bool:
        """Is this host one of the allowed domains (or a subdomain of one)?"""
        if not host:
            return False
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _check_urls(urls: tuple[str, ...], key: str) -> None:
    for value in urls:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise datafile.Invalid(key, f"{value!r} is not an http(s) URL")


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One entry of `sources:` as written."""

    id: str
    name: str | None = None
    language: str = "ar"
    homepage: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] | None = None  # default: the hosts of the homepage, feeds and sitemaps
    allow_private_addresses: bool = False
    limits: dict[str, Any] = field(default_factory=dict)  # checked as Limits, over `defaults:`
    extraction: dict[str, Any] = field(default_factory=dict)  # reserved: must be empty

    def __post_init__(self) -> None:
        if not SOURCE_ID.match(self.id):
            raise datafile.Invalid("id", f"{self.id!r} must be lower-case letters, digits, '_' or '-'")
        _check_urls(self.feeds, "feeds")
        _check_urls(self.sitemaps, "sitemaps")
        if not self.feeds and not self.sitemaps:
            raise ValueError(f"source {self.id!r} lists neither feeds nor sitemaps")
        if self.extraction:  # a setting that silently does nothing would be worse than an error
            raise datafile.Invalid(
                "extraction",
                f"per-source extraction rules are read from transforms/rules/sources/{self.id}.yaml "
                "(docs/extraction.md), not from the sources file; leave this key empty or remove it",
            )


@dataclass(frozen=True, slots=True)
class SourcesFile:
    """A sources file as written."""

    sources: tuple[SourceEntry, ...]
    defaults: dict[str, Any] = field(default_factory=dict)  # checked as Limits


def _source(entry: SourceEntry, index: int, defaults: dict[str, Any], problems: list[str]) -> Source | None:
    where = f"sources[{index}]"
    try:
        limits = datafile.parse({**defaults, **entry.limits}, Limits, f"{where}.limits")
    except datafile.DataFileError as err:
        problems.extend(f"{where}.limits.{p}" for p in err.problems)
        return None
    domains_raw = entry.allowed_domains
    if domains_raw is None:
        domains_raw = tuple(sorted({urlsplit(u).hostname or "" for u in (entry.homepage, *entry.feeds, *entry.sitemaps) if u} - {""}))
    if not all(d.strip() for d in domains_raw):
        problems.append(f"{where}.allowed_domains: must be a list of host names")
        return None
    domains = tuple(d.lower().strip().rstrip(".").removeprefix("www.") for d in domains_raw)
    source = Source(
        id=entry.id,
        name=entry.name or entry.id,
        language=entry.language,
        homepage=entry.homepage,
        feeds=entry.feeds,
        sitemaps=entry.sitemaps,
        allowed_domains=domains,
        allow_private_addresses=entry.allow_private_addresses,
        limits=limits,
    )
    for url in (*entry.feeds, *entry.sitemaps):
        if not source.allows_host(urlsplit(url).hostname):
            problems.append(f"{where}: {url} is outside allowed_domains {list(domains)}")
    return source


def parse_sources(data: Any, origin: str = "sources file") -> list[Source]:
    try:
        spec = datafile.parse(data, SourcesFile, origin)
        datafile.parse(spec.defaults, Limits, f"{origin}: defaults")
    except datafile.DataFileError as err:
        raise SourcesError(str(err)) from None
    problems: list[str] = []
    sources = []
    seen: set[str] = set()
    for i, entry in enumerate(spec.sources):
        src = _source(entry, i, spec.defaults, problems)
        if src is None:
            continue
        if src.id in seen:
            problems.append(f"source {src.id!r}: the id is used twice")
        seen.add(src.id)
        sources.append(src)
    if problems:
        raise SourcesError(f"{origin} is invalid:\n  " + "\n  ".join(problems))
    return sources


def load_sources(path: str | Path, only: str | None = None) -> list[Source]:
    """The sources of a file, optionally only the one with id `only`."""
    path = Path(path)
    if not path.exists():
        raise SourcesError(f"sources file not found: {path}")
    try:
        data = datafile.read_yaml(path)
    except datafile.DataFileError as err:
        raise SourcesError(f"cannot read sources file {err}") from None
    sources = parse_sources(data, str(path))
    if only is not None:
        sources = [s for s in sources if s.id == only]
        if not sources:
            raise SourcesError(f"no source with id {only!r} in {path}")
    return sources
