"""The sources file (YAML): which outlets to collect from, and how politely.

    defaults:                        # optional, applies to every source (each key may be overridden)
      user_agent: "news-etl/0.1 (+mailto:ops@example.org)"
      delay: 1.0                     # seconds between two requests to the same host
    sources:
      - id: enab-baladi              # a registered source (sources/enab-baladi/source.yaml):
                                     # its name, domains, feeds and sitemaps come from there
      - id: independent-arabia
        limits: {max_pages: 200}     # ... and its limits may be changed here
      - id: intranet                 # an id the registry does not know: a full definition
        name: Intranet News          # becomes articles.outlet
        language: ar
        homepage: http://news.intranet/
        feeds: [http://news.intranet/feed]
        sitemaps: [http://news.intranet/sitemap.xml]
        allowed_domains: [news.intranet]    # the host or any subdomain of it
        allow_private_addresses: true       # intranet sources and tests on 127.0.0.1
        limits: {max_pages: 200, delay: 2.0}

Limits: the file's `defaults:`, then the registered source's `limits:`, then the entry's. Validation
errors are collected and reported together, one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core import datafile
from core.settings import Limits
from transforms.registry import SOURCE_ID, SourceFile, check_http_urls, normalise_domain, registry


class SourcesError(ValueError):
    """The sources file is missing or invalid (message lists every problem)."""


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


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One entry of `sources:` as written: a registered id (and limits), or a full definition."""

    id: str
    name: str | None = None
    language: str | None = None
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] | None = None  # default: the hosts of the homepage, feeds and sitemaps
    allow_private_addresses: bool = False
    limits: dict[str, Any] = field(default_factory=dict)  # checked as Limits, over `defaults:` and the registry's
    extraction: dict[str, Any] = field(default_factory=dict)  # reserved: must be empty

    def __post_init__(self) -> None:
        if not SOURCE_ID.match(self.id):
            raise datafile.Invalid("id", f"{self.id!r} must be lower-case letters, digits, '_' or '-'")
        check_http_urls(self.feeds, "feeds")
        check_http_urls(self.sitemaps, "sitemaps")
        if self.extraction:  # a setting that silently does nothing would be worse than an error
            raise datafile.Invalid(
                "extraction",
                "per-source rules are the `boilerplate:` of a registered source (sources/<id>/source.yaml, "
                "docs/architecture.md), not part of the sources file; leave this key empty or remove it",
            )

    def defines(self) -> list[str]:
        """The keys that define a source (for a registered id only `limits` may be given here)."""
        keys = ("name", "language", "homepage", "feeds", "sitemaps", "allowed_domains", "allow_private_addresses")
        return [k for k in keys if getattr(self, k) not in (None, (), False)]


@dataclass(frozen=True, slots=True)
class SourcesFile:
    """A sources file as written."""

    sources: tuple[SourceEntry, ...]
    defaults: dict[str, Any] = field(default_factory=dict)  # checked as Limits


def _limits(layers: list[dict[str, Any]], where: str, problems: list[str]) -> Limits | None:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    try:
        return datafile.parse(merged, Limits, where)
    except datafile.DataFileError as err:
        problems.extend(f"{where}.{p}" for p in err.problems)
        return None


def _registered(entry: SourceEntry, known: SourceFile, defaults: dict[str, Any], where: str, problems: list[str]) -> Source | None:
    extra = entry.defines()
    if extra:
        problems.append(
            f"{where}: {entry.id!r} is a registered source (sources/{entry.id}/source.yaml); "
            f"only `limits` may be set here, not {', '.join(extra)}"
        )
        return None
    if not known.feeds and not known.sitemaps:
        problems.append(f"{where}: the registered source {entry.id!r} lists neither feeds nor sitemaps (sources/{entry.id}/source.yaml)")
        return None
    limits = _limits([defaults, known.limits, entry.limits], f"{where}.limits", problems)
    if limits is None:
        return None
    return Source(
        id=known.id,
        name=known.name,
        language=known.language,
        homepage=known.homepage or "",
        feeds=known.feeds,
        sitemaps=known.sitemaps,
        allowed_domains=known.domain_set,
        limits=limits,
    )


def _defined(entry: SourceEntry, defaults: dict[str, Any], where: str, problems: list[str]) -> Source | None:
    if not entry.feeds and not entry.sitemaps:
        problems.append(f"{where}: source {entry.id!r} lists neither feeds nor sitemaps (and is not registered in sources/)")
        return None
    limits = _limits([defaults, entry.limits], f"{where}.limits", problems)
    if limits is None:
        return None
    homepage = entry.homepage or ""
    domains_raw = entry.allowed_domains
    if domains_raw is None:
        domains_raw = tuple(sorted({urlsplit(u).hostname or "" for u in (homepage, *entry.feeds, *entry.sitemaps) if u} - {""}))
    if not all(d.strip() for d in domains_raw):
        problems.append(f"{where}.allowed_domains: must be a list of host names")
        return None
    domains = tuple(normalise_domain(d) for d in domains_raw)
    source = Source(
        id=entry.id,
        name=entry.name or entry.id,
        language=entry.language or "ar",
        homepage=homepage,
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
    registered = registry()
    for i, entry in enumerate(spec.sources):
        known = registered.get(entry.id)
        where = f"sources[{i}]"
        src = _registered(entry, known, spec.defaults, where, problems) if known else _defined(entry, spec.defaults, where, problems)
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
