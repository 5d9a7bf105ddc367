"""Feed and sitemap parsing (pure): RSS, Atom, RDF, sitemaps, broken real-world feeds, XML bombs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fixtures.site.server import Site
from transforms.feeds import FeedError, parse_date, parse_feed

BASE = "http://127.0.0.1:1"


def test_rss_items_dates_and_skipped_entries() -> None:
    site = Site(base=BASE)
    feed = parse_feed(site.feed(), BASE + "/feed.xml")
    urls = [e.url for e in feed.entries]
    assert feed.kind == "rss"
    assert urls[0] == BASE + "/news/1.html" and "ftp://127.0.0.1/file.html" in urls  # refused later, with a reason
    assert len(urls) == 16 and len(set(urls)) == 16
    first = feed.entries[0]
    assert first.published == datetime(2026, 11, 13, 8, 30, tzinfo=UTC) and first.title == "خبر /news/1.html"
    assert feed.entries[2].published is None  # "not a date"
    assert any("without a link" in n for n in feed.notes) and any("not a date" in n for n in feed.notes)


def test_broken_feed_wrong_declaration_entities_bare_ampersand_truncated() -> None:
    feed = parse_feed(Site(base=BASE).broken_feed(), BASE + "/broken-feed.xml")
    assert [e.url for e in feed.entries] == [BASE + "/news/5.html"]
    entry = feed.entries[0]
    assert entry.title == "خبر… خامس"  # UTF-8 despite the ISO-8859-1 declaration; &hellip; resolved
    assert entry.published is None


def test_windows_1256_feed_declared_as_utf8() -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?><rss><channel><item><title>مقتل ثلاثة</title><link>/a</link></item></channel></rss>'
    feed = parse_feed(xml.encode("cp1256"), "https://example.org/feed")
    assert feed.entries[0].title == "مقتل ثلاثة" and feed.entries[0].url == "https://example.org/a"


def test_atom_prefers_alternate_html_link() -> None:
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>One</title><link rel="self" href="https://x.org/api/1"/>
        <link rel="alternate" type="text/html" href="https://x.org/1"/>
        <published>2026-11-01T10:00:00+03:00</published><updated>2026-11-02T00:00:00Z</updated></entry>
      <entry><title>Two</title><link href="/2"/><updated>garbage</updated></entry>
    </feed>"""
    feed = parse_feed(xml, "https://x.org/feed")
    assert feed.kind == "atom"
    assert [e.url for e in feed.entries] == ["https://x.org/1", "https://x.org/2"]
    assert feed.entries[0].published == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    assert feed.entries[0].changed_at == datetime(2026, 11, 2, tzinfo=UTC)
    assert feed.entries[1].updated is None


def test_rdf_and_guid_permalinks() -> None:
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><item rdf:about="https://r.org/1"><title>a</title>
      <dc:date>2026-11-03</dc:date></item></rdf:RDF>"""
    feed = parse_feed(rdf)
    assert feed.kind == "rdf" and feed.entries[0].url == "https://r.org/1"
    assert feed.entries[0].published == datetime(2026, 11, 3, tzinfo=UTC)
    rss = b"""<rss><channel><item><guid>https://g.org/7</guid></item>
      <item><guid isPermaLink="false">https://g.org/8</guid></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss).entries] == ["https://g.org/7"]


def test_sitemaps_news_and_index() -> None:
    site = Site(base=BASE)
    index = parse_feed(site.sitemap_index())
    assert index.kind == "sitemapindex" and [s.url for s in index.sitemaps] == [BASE + "/sitemap-news.xml"]
    assert index.entries == []
    news = parse_feed(site.sitemap_news())
    assert news.kind == "urlset"
    assert [e.url for e in news.entries] == [BASE + "/news/4.html", BASE + "/news/1.html"]
    assert news.entries[0].title == "خبر ٤" and news.entries[0].published == datetime(2026, 11, 14, 8, 30, tzinfo=UTC)
    assert news.entries[1].updated == datetime(2026, 11, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    "doc",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<rss><channel><item><title>&lol2;</title><link>http://a/</link></item></channel></rss>",
        # external entity (file disclosure)
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&xxe;</title><link>http://a/</link></item></channel></rss>",
        # parameter entity fetched from the network
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]><rss/>',
    ],
)
def test_xml_bombs_and_external_entities_are_refused(doc: bytes) -> None:
    with pytest.raises(FeedError) as err:
        parse_feed(doc)
    assert err.value.reason == "xml_entities"


def test_not_a_feed_and_garbage() -> None:
    with pytest.raises(FeedError) as err:
        parse_feed(b"<html><body><p>hello</p></body></html>")
    assert err.value.reason == "not_a_feed"
    with pytest.raises(FeedError) as err:
        parse_feed(b"")
    assert err.value.reason == "empty"
    with pytest.raises(FeedError) as err:
        parse_feed(b"\x00\x01\x02\x03" * 100)
    assert err.value.reason == "binary"
    with pytest.raises(FeedError):
        parse_feed(b"this is not xml at all")


def test_dtd_without_entities_is_accepted_and_not_loaded() -> None:
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://127.0.0.1:9/rss-0.91.dtd"><rss version="0.91"><channel><item><link>https://n.org/1</link></item></channel></rss>'
    )
    assert [e.url for e in parse_feed(doc).entries] == ["https://n.org/1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sat, 14 Nov 2026 08:30:00 +0000", datetime(2026, 11, 14, 8, 30, tzinfo=UTC)),
        ("Sat, 14 Nov 2026 08:30:00 GMT", datetime(2026, 11, 14, 8, 30, tzinfo=UTC)),
        ("2026-11-14T11:30:00+03:00", datetime(2026, 11, 14, 8, 30, tzinfo=UTC)),
        ("2026-11-14T08:30:00Z", datetime(2026, 11, 14, 8, 30, tzinfo=UTC)),
        ("2026-11-14", datetime(2026, 11, 14, tzinfo=UTC)),
        ("32 Foo 2026", None),
        ("", None),
        ("0001-01-01", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected
