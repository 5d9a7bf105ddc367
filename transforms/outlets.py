"""Which outlet an article belongs to, from signals inside its text (transforms/rules/outlets.yaml).

Order of trust: a "خاص – OUTLET" byline, an "OUTLET –" lead-in on the first body line, the
outlet's own donation appeal among the removed lines, then a short-link or URL domain. Page
metadata and supplied outlets are used before any of these (in the pipeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from core import datafile
from transforms.embeds import url_domain
from transforms.normalize import search_form

_DOMAIN_LIKE = re.compile(r"^(?:www\.)?[a-z0-9\-]+(?:\.[a-z0-9\-]+)+$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^(?P<name>[^–—\-:.،,]{2,40}?)\s*[–—\-]\s+\S")


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    names: frozenset[str]  # search forms
    domains: tuple[str, ...]
    appeals: tuple[str, ...]  # search forms


@dataclass(frozen=True, slots=True)
class OutletSignal:
    outlet: str
    signal: str  # byline | lead_in | appeal | short_link | url


@dataclass(frozen=True, slots=True)
class OutletSpec:
    outlet: str
    names: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    appeals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutletsFile:
    """transforms/rules/outlets.yaml"""

    outlets: tuple[OutletSpec, ...]


@lru_cache(maxsize=1)
def outlets() -> tuple[Outlet, ...]:
    spec = datafile.load_package("transforms", "rules/outlets.yaml", OutletsFile)
    return tuple(
        Outlet(
            o.outlet,
            frozenset(search_form(n) for n in o.names),
            tuple(d.lower() for d in o.domains),
            tuple(search_form(a) for a in o.appeals),
        )
        for o in spec.outlets
    )


def by_name(name: str) -> Outlet | None:
    key = search_form(name.strip())
    return next((o for o in outlets() if key in o.names), None)


def by_domain(url: str | None) -> Outlet | None:
    domain = url_domain(url) if url else None
    if not domain:
        return None
    return next((o for o in outlets() if any(domain == d or domain.endswith("." + d) for d in o.domains)), None)


def detect_outlet(
    *,
    byline_outlet: str | None,
    first_line: str | None,
    removed_lines: Iterable[str],
    short_links: Sequence[str],
    url: str | None,
) -> OutletSignal | None:
    if byline_outlet:
        known = by_name(byline_outlet)
        return OutletSignal(known.name if known else byline_outlet, "byline")
    if first_line:
        m = _LEAD_IN.match(first_line)
        known = by_name(m["name"]) if m else None
        if known is not None:
            return OutletSignal(known.name, "lead_in")
    keys = [search_form(line) for line in removed_lines]
    for o in outlets():
        if any(a in k for a in o.appeals for k in keys):
            return OutletSignal(o.name, "appeal")
    for link in short_links:
        known = by_domain(link)
        if known is not None:
            return OutletSignal(known.name, "short_link")
    known = by_domain(url)
    if known is not None:
        return OutletSignal(known.name, "url")
    return None


def canonical_outlet(name: str | None) -> str | None:
    """A metadata site name as the outlet's canonical name ("عنب بلدي" -> "Enab Baladi"); a bare
    domain (what trafilatura reports when a page names no site) is looked up by domain."""
    if not name or not name.strip():
        return None
    known = by_domain("//" + name.strip()) if _DOMAIN_LIKE.match(name.strip()) else by_name(name)
    return known.name if known else name.strip()


def is_domain_like(name: str | None) -> bool:
    return bool(name and _DOMAIN_LIKE.match(name.strip()))
