"""The sources file: loading, defaults, per-source limits and validation messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from collect.sources import SourcesError, load_sources, parse_sources
from core.settings import Limits
from tests.conftest import ROOT


def test_shipped_sources_file_is_valid() -> None:
    sources = load_sources(ROOT / "config" / "sources.yaml")
    ids = {s.id for s in sources}
    assert {"enab-baladi", "north-press", "sy24", "independent-arabia", "eocr"} <= ids
    for s in sources:
        assert s.feeds or s.sitemaps
        assert all(u.startswith("https://") for u in (*s.feeds, *s.sitemaps))
        assert not s.allow_private_addresses and s.limits.delay >= 1.0
        assert s.limits.user_agent.startswith("news-etl/")
    ia = next(s for s in sources if s.id == "independent-arabia")
    assert ia.limits.max_pages == 200 and ia.allows_host("www.independentarabia.com") and not ia.allows_host("evil-independentarabia.com")


def test_defaults_and_overrides() -> None:
    data = {
        "defaults": {"delay": 0, "user_agent": "x/1"},
        "sources": [
            {"id": "a", "feeds": ["https://www.a.org/feed"], "limits": {"delay": 3, "max_bytes": 10}},
            {"id": "b", "sitemaps": ["http://b.org/sitemap.xml"], "allow_private_addresses": True, "extraction": {}},
        ],
    }
    a, b = parse_sources(data)
    assert a.limits.delay == 3.0 and a.limits.max_bytes == 10 and a.limits.user_agent == "x/1"
    assert a.allowed_domains == ("a.org",) and a.allows_host("news.a.org")  # default: the feed hosts
    assert b.limits.delay == 0.0 and b.allow_private_addresses
    assert a.name == "a" and a.language == "ar"
    assert Limits().retries == 3


def test_a_registered_source_comes_from_the_registry_with_its_limits_layered() -> None:
    data = {"defaults": {"delay": 0.5, "max_pages": 50}, "sources": [{"id": "enab-baladi", "limits": {"max_pages": 7}}]}
    (enab,) = parse_sources(data)
    assert enab.name == "Enab Baladi" and enab.allowed_domains == ("enabbaladi.net",)
    assert enab.feeds == ("https://www.enabbaladi.net/feed/",) and enab.allows_host("english.enabbaladi.net")
    assert (enab.limits.delay, enab.limits.max_pages) == (0.5, 7)


def test_only_one_source(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"id": "a", "feeds": ["https://a.org/f"]}, {"id": "b", "feeds": ["https://b.org/f"]}]}))
    assert [s.id for s in load_sources(path, "b")] == ["b"]
    with pytest.raises(SourcesError, match="no source with id 'c'"):
        load_sources(path, "c")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"feeds": []}, "missing key 'sources'"),
        ({"sources": [{"id": "Bad Id", "feeds": ["https://a.org/f"]}]}, "must be lower-case"),
        ({"sources": [{"id": "a"}]}, "neither feeds nor sitemaps"),
        ({"sources": [{"id": "syria-tv"}]}, "the registered source 'syria-tv' lists neither feeds nor sitemaps"),
        ({"sources": [{"id": "sy24", "feeds": ["https://sy-24.com/f"]}]}, "only `limits` may be set here, not feeds"),
        ({"sources": [{"id": "sy24", "limits": {"delay": "slow"}}]}, "sources[0].limits.delay: expected a number"),
        ({"sources": [{"id": "a", "feeds": ["ftp://a.org/f"]}]}, "is not an http(s) URL"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "allowed_domains": ["b.org"]}]}, "outside allowed_domains"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "limits": {"delay": -1}}]}, "must be a number >= 0"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "limits": {"per_host": 0}}]}, "must be at least 1"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "limits": {"speed": 1}}]}, "limits.speed: unknown key"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "colour": "red"}]}, "colour: unknown key"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"]}, {"id": "a", "feeds": ["https://a.org/g"]}]}, "used twice"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "allow_private_addresses": "yes"}]}, "true or false"),
        ({"sources": [{"id": "a", "feeds": ["https://a.org/f"], "extraction": {"drop": ["x"]}}]}, "sources/<id>/source.yaml"),
    ],
)
def test_invalid_sources_are_reported(data: object, message: str) -> None:
    with pytest.raises(SourcesError, match=re.escape(message)):
        parse_sources(data)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="not found"):
        load_sources(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed")
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(bad)
