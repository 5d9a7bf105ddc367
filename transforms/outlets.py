"""Which outlet an article belongs to, from signals inside its text, looked up in the source
registry (sources/<id>/source.yaml: names, domains, appeals).

Order of trust: a "خاص – OUTLET" byline, an "OUTLET –" lead-in on the first body line, the
outlet's own donation appeal among the removed lines, then a short-link or URL domain. Page
metadata and supplied outlets are used before any of these (in the pipeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transforms.registry import SourceFile, registry

_DOMAIN_LIKE = re.compile(r"^(?:www\.)?[a-z0-9\-]+(?:\.[a-z0-9\-]+)+$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^(?P<name>[^–—\-:.،,]{2,40}?)\s*[–—\-]\s+\S")


@dataclass(frozen=True, slots=True)
class OutletSignal:
    outlet: str
    signal: str  # byline | lead_in | appeal | short_link | url
    source_id: str | None = None  # the registered source this outlet is, if it is one


def by_name(name: str) -> SourceFile | None:
    return registry().by_name(name)


def by_domain(url: str | None) -> SourceFile | None:
    return registry().by_domain(url)


def _signal(source: SourceFile, signal: str) -> OutletSignal:
    return OutletSignal(source.name, signal, source.id)


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
        return _signal(known, "byline") if known else OutletSignal(byline_outlet, "byline")
    if first_line:
        m = _LEAD_IN.match(first_line)
        known = by_name(m["name"]) if m else None
        if known is not None:
            return _signal(known, "lead_in")
    known = registry().by_appeal(removed_lines)
    if known is not None:
        return _signal(known, "appeal")
    for link in short_links:
        known = by_domain(link)
        if known is not None:
            return _signal(known, "short_link")
    known = by_domain(url)
    if known is not None:
        return _signal(known, "url")
    return None


def site_source(name: str | None) -> SourceFile | None:
    """The registered source a page's site name stands for: a name ("عنب بلدي"), or a bare domain
    (what trafilatura reports when a page names no site)."""
    if not name or not name.strip():
        return None
    return by_domain(name.strip()) if _DOMAIN_LIKE.match(name.strip()) else by_name(name)


def canonical_outlet(name: str | None) -> str | None:
    """A metadata site name as the outlet's canonical name ("عنب بلدي" -> "Enab Baladi"); a bare
    domain is looked up by domain."""
    if not name or not name.strip():
        return None
    known = site_source(name)
    return known.name if known else name.strip()


def is_domain_like(name: str | None) -> bool:
    return bool(name and _DOMAIN_LIKE.match(name.strip()))
