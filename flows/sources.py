"""The sources file (YAML): which outlets to collect from, and how politely.

    defaults:                        # optional, applies to every source (each key may be overridden)
      user_agent: "news-etl/0.1 (+mailto:ops@example.org)"
      delay: 1.0                     # seconds between two requests to the same host
    sources:
      - id: enab                     # [a-z0-9_-], becomes articles.source_id
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
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

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
    extraction: dict[str, Any] = field(default_factory=dict)

    def allows_host(self, host: str | None) -> bool:
        """Is this host one of the allowed domains (or a subdomain of one)?"""
        if not host:
            return False
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _limits(raw: Any, base: Limits, where: str, problems: list[str]) -> Limits:
    if raw is None:
        return base
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping of settings")
        return base
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in Limits.names():
            problems.append(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(Limits.names()))})")
            continue
        current = getattr(base, key)
        if isinstance(current, str):
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}.{key}: must be a non-empty string")
                continue
        elif isinstance(current, int) and not isinstance(current, bool):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"{where}.{key}: must be a whole number >= 0")
                continue
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.append(f"{where}.{key}: must be a number >= 0")
            continue
        changes[key] = float(value) if isinstance(current, float) else value
    for key in ("per_host", "concurrency"):
        if changes.get(key) == 0:
            problems.append(f"{where}.{key}: must be at least 1")
            changes.pop(key)
    return replace(base, **changes)


def _urls(raw: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append(f"{where}: must be a list of URLs")
        return ()
    out = []
    for value in raw:
        parts = urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"{where}: {value!r} is not an http(s) URL")
            continue
        out.append(str(value))
    return tuple(out)


def _source(raw: Any, index: int, defaults: Limits, problems: list[str]) -> Source | None:
    where = f"sources[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a mapping")
        return None
    sid = raw.get("id")
    if not isinstance(sid, str) or not SOURCE_ID.match(sid):
        problems.append(f"{where}.id: {sid!r} must be lower-case letters, digits, '_' or '-'")
        return None
    where = f"source {sid!r}"
    known = {f.name for f in fields(Source)}
    for key in raw:
        if key not in known:
            problems.append(f"{where}: unknown key {key!r}")
    homepage = raw.get("homepage") or ""
    feeds = _urls(raw.get("feeds"), f"{where}.feeds", problems)
    sitemaps = _urls(raw.get("sitemaps"), f"{where}.sitemaps", problems)
    if not feeds and not sitemaps:
        problems.append(f"{where}: lists neither feeds nor sitemaps")
    domains_raw = raw.get("allowed_domains")
    if domains_raw is None:  # default: the hosts of the homepage, feeds and sitemaps
        domains_raw = sorted({urlsplit(u).hostname or "" for u in (homepage, *feeds, *sitemaps) if u} - {""})
    if not isinstance(domains_raw, list) or not all(isinstance(d, str) and d for d in domains_raw):
        problems.append(f"{where}.allowed_domains: must be a list of host names")
        domains_raw = []
    domains = tuple(d.lower().strip().rstrip(".").removeprefix("www.") for d in domains_raw)
    private = raw.get("allow_private_addresses", False)
    if not isinstance(private, bool):
        problems.append(f"{where}.allow_private_addresses: must be true or false")
        private = False
    extraction = raw.get("extraction") or {}
    if not isinstance(extraction, dict):
        problems.append(f"{where}.extraction: must be a mapping")
        extraction = {}
    elif extraction:  # a setting that silently does nothing would be worse than an error
        problems.append(
            f"{where}.extraction: per-source extraction rules are read from transforms/rules/sources/{sid}.yaml "
            "(docs/extraction.md), not from the sources file; leave this key empty or remove it"
        )
        extraction = {}
    source = Source(
        id=sid,
        name=str(raw.get("name") or sid),
        language=str(raw.get("language") or "ar"),
        homepage=str(homepage),
        feeds=feeds,
        sitemaps=sitemaps,
        allowed_domains=domains,
        allow_private_addresses=private,
        limits=_limits(raw.get("limits"), defaults, f"{where}.limits", problems),
        extraction=dict(extraction),
    )
    for url in (*feeds, *sitemaps):
        if not source.allows_host(urlsplit(url).hostname):
            problems.append(f"{where}: {url} is outside allowed_domains {list(domains)}")
    return source


def parse_sources(data: Any, origin: str = "sources file") -> list[Source]:
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError(f"{origin}: must be a mapping with a 'sources:' list")
    problems: list[str] = []
    defaults = _limits(data.get("defaults"), Limits(), "defaults", problems)
    sources = []
    seen: set[str] = set()
    for i, raw in enumerate(data["sources"]):
        src = _source(raw, i, defaults, problems)
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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"sources file not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SourcesError(f"cannot read sources file {path}: {err}") from err
    sources = parse_sources(data, str(path))
    if only is not None:
        sources = [s for s in sources if s.id == only]
        if not sources:
            raise SourcesError(f"no source with id {only!r} in {path}")
    return sources
