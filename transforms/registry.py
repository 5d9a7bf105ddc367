"""The source registry: one folder per outlet, `sources/<id>/`, loaded once and typed.

    sources/<id>/source.yaml               id, name, names, domains, feeds, sitemaps, appeals,
                                           limits, boilerplate rules, date hints (SourceFile)
    sources/<id>/pages/<name>.html|.txt    frozen pages: real or hand-made pages of the outlet
    sources/<id>/pages/<name>.expected.json  what the pipeline must make of each page

Lookups: by id, by URL or host (a registered domain or any subdomain of it; the longest domain
wins), by the outlet's name as written in a byline or lead-in (compared in search form), and by
the outlet's own donation appeal among removed lines. Every check of the data (an id that is not
its folder's name, a domain or name claimed by two sources, a feed outside the source's domains,
an unknown limit) fails when the registry loads, naming the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core import datafile
from core.settings import Limits
from transforms.clean import RuleFile, RuleSet, load_rules, parse_rules
from transforms.normalize import search_form

PACKAGE = "sources"
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
PAGE_SUFFIXES = (".html", ".txt")


def normalise_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".").removeprefix("www.")


def host_of(url_or_host: str | None) -> str | None:
    """The host of a URL ('https://www.a.org/x' -> 'a.org'), or a bare host name, normalised."""
    if not url_or_host or not url_or_host.strip():
        return None
    text = url_or_host.strip()
    try:
        host = urlsplit(text if "//" in text else "//" + text).hostname
    except ValueError:  # a malformed URL ("http://[x") names no host
        return None
    return normalise_domain(host) if host else None


def check_http_urls(urls: tuple[str, ...], key: str) -> None:
    """For a schema's __post_init__: every URL is http(s) with a host, or `key` is invalid."""
    for value in urls:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise datafile.Invalid(key, f"{value!r} is not an http(s) URL")


@dataclass(frozen=True, slots=True)
class DateHints:
    """How this outlet writes dates (empty when nothing is special)."""

    timezone: str | None = None  # IANA zone: a date-time without an offset from this outlet is read in it

    def __post_init__(self) -> None:
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise datafile.Invalid("timezone", f"{self.timezone!r} is not an IANA time zone name") from None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """sources/<id>/source.yaml"""

    id: str  # lower-case letters, digits, '_' and '-'; the folder's name; becomes articles.source_id
    name: str  # the outlet's name as stored in articles.outlet
    names: tuple[str, ...] = ()  # spellings in bylines ("خاص – SY24") and lead-ins ("نورث برس –"): unambiguous ones only
    language: str = "ar"
    homepage: str | None = None
    domains: tuple[str, ...] = ()  # web domains (subdomains included): URLs, canonical links, short links
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    appeals: tuple[str, ...] = ()  # phrases of the outlet's own donation/subscription appeal
    limits: dict[str, Any] = field(default_factory=dict)  # fetch limits (core.settings.Limits keys)
    boilerplate: RuleFile = field(default_factory=RuleFile)  # rules for this outlet only, before the language's
    dates: DateHints = field(default_factory=DateHints)

    def __post_init__(self) -> None:
        if not SOURCE_ID.match(self.id):
            raise datafile.Invalid("id", f"{self.id!r} must be lower-case letters, digits, '_' or '-'")
        if not self.name.strip():
            raise datafile.Invalid("name", "must not be empty")
        for key in ("feeds", "sitemaps"):
            check_http_urls(getattr(self, key), key)
        if self.homepage is not None:
            check_http_urls((self.homepage,), "homepage")
        domains = tuple(normalise_domain(d) for d in self.domains)
        for url in (*self.feeds, *self.sitemaps, *((self.homepage,) if self.homepage else ())):
            host = host_of(url)
            if host is None or not any(host == d or host.endswith("." + d) for d in domains):
                raise datafile.Invalid("domains", f"{url} is outside the source's domains {list(domains)}")
        try:
            datafile.parse(self.limits, Limits, "limits")
        except datafile.DataFileError as err:
            raise datafile.Invalid("limits", "; ".join(err.problems)) from None

    @property
    def domain_set(self) -> tuple[str, ...]:
        return tuple(normalise_domain(d) for d in self.domains)

    def owns_host(self, host: str | None) -> bool:
        return bool(host) and any(host == d or str(host).endswith("." + d) for d in self.domain_set)


@dataclass(frozen=True, slots=True)
class FrozenPage:
    """A page of a registered source with the record the pipeline must make of it."""

    source_id: str
    name: str
    path: str  # inside the package, for messages: sources/<id>/pages/<name>
    media_type: str  # html | text
    content: bytes
    expected: dict[str, Any]


class Registry:
    """Every registered source, with the lookups the pipeline needs."""

    def __init__(self, sources: Iterable[SourceFile]) -> None:
        self.sources: dict[str, SourceFile] = {}
        self._names: dict[str, str] = {}
        self._appeals: list[tuple[str, str]] = []
        domains: dict[str, str] = {}
        problems: list[str] = []
        for src in sources:
            where = f"{PACKAGE}/{src.id}/source.yaml"
            if src.id in self.sources:
                problems.append(f"{where}: the id is registered twice")
            self.sources[src.id] = src
            for d in src.domain_set:
                if domains.setdefault(d, src.id) != src.id:
                    problems.append(f"{where}: domain {d!r} is also claimed by {domains[d]!r}")
            for n in (src.name, *src.names):
                key = search_form(n.strip())
                if self._names.setdefault(key, src.id) != src.id:
                    problems.append(f"{where}: name {n!r} is also used by {self._names[key]!r}")
            self._appeals.extend((search_form(a), src.id) for a in src.appeals)
        if problems:
            raise datafile.DataFileError(PACKAGE, problems)
        self._domains = sorted(domains.items(), key=lambda kv: -len(kv[0]))

    def get(self, source_id: str | None) -> SourceFile | None:
        return self.sources.get(source_id) if source_id else None

    def by_domain(self, url_or_host: str | None) -> SourceFile | None:
        """The source whose domain (or a parent of it) serves this URL or host."""
        host = host_of(url_or_host)
        if host is None:
            return None
        return next((self.sources[i] for d, i in self._domains if host == d or host.endswith("." + d)), None)

    def by_name(self, name: str | None) -> SourceFile | None:
        """The source an outlet name stands for ("عنب بلدي", "Enab Baladi"), compared in search form."""
        if not name or not name.strip():
            return None
        found = self._names.get(search_form(name.strip()))
        return self.sources[found] if found else None

    def by_appeal(self, lines: Iterable[str]) -> SourceFile | None:
        """The source whose own donation appeal is among these (removed) lines."""
        keys = [search_form(line) for line in lines]
        return next((self.sources[i] for a, i in self._appeals if any(a in k for k in keys)), None)


def _folders() -> list[Traversable]:
    root = resources.files(PACKAGE)
    return sorted((d for d in root.iterdir() if d.is_dir() and d.joinpath("source.yaml").is_file()), key=lambda d: d.name)


def load_source(folder: Traversable) -> SourceFile:
    where = f"{PACKAGE}/{folder.name}/source.yaml"
    spec = datafile.load(folder.joinpath("source.yaml"), SourceFile, where)
    if spec.id != folder.name:
        raise datafile.DataFileError(where, [f"id: {spec.id!r} must be the folder's name, {folder.name!r}"])
    return spec


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry shipped in the `sources` package (read once per process)."""
    return Registry(load_source(folder) for folder in _folders())


def get_source(source_id: str | None) -> SourceFile | None:
    return registry().get(source_id)


@lru_cache(maxsize=64)
def rules_for(language: str, source_id: str | None) -> RuleSet:
    """The boilerplate rules for a document: the registered source's own first (they are the
    more precise), then the language's."""
    rules = load_rules(language)
    source = get_source(source_id)
    if source is not None and (source.boilerplate.line or source.boilerplate.block):
        rules = rules.merged(parse_rules(source.boilerplate))
    return rules


def frozen_pages(source_id: str) -> list[FrozenPage]:
    """The frozen pages of a registered source, each with its expected record."""
    folder = resources.files(PACKAGE).joinpath(source_id).joinpath("pages")
    if not folder.is_dir():
        return []
    pages = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(PAGE_SUFFIXES):
            continue
        stem = entry.name.rsplit(".", 1)[0]
        expected = folder.joinpath(f"{stem}.expected.json")
        where = f"{PACKAGE}/{source_id}/pages/{entry.name}"
        pages.append(FrozenPage(
            source_id=source_id,
            name=stem,
            path=where,
            media_type="html" if entry.name.endswith(".html") else "text",
            content=entry.read_bytes(),
            expected=json.loads(expected.read_text("utf-8")) if expected.is_file() else {},
        ))
    return pages
