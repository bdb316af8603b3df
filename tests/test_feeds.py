"""Discovery parsing on real feeds and sitemaps (../shared/corpus) and on small pages of our own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parsers.feeds import (
    feed_links,
    listing_links,
    normalize_url,
    parse_feed,
    parse_sitemap,
    recent,
    sitemaps_from_robots,
)
from tests.conftest import shared_path


def corpus(*parts: str) -> Path:
    return shared_path("corpus", *parts)


# --------------------------------------------------------------------------- feeds
_LINK_EXPECT = re.compile(
    r"Expect:.*entries\[0\]\[.link.\] == (?:entries\[1\]\[.link.\] == )?'([^']+)'"
)


def test_feedparser_corpus_entry_links_match_their_expectations():
    root = corpus("feeds", "feedparser", "wellformed")
    checked = 0
    for path in sorted(root.rglob("*.xml")):
        m = _LINK_EXPECT.search(path.read_text("utf-8", errors="replace"))
        if not m:
            continue
        parsed = parse_feed(path.read_bytes(), "http://www.example.com/feed")
        assert parsed.error is None, path
        assert parsed.candidates, path
        assert parsed.candidates[0].url == m.group(1), path
        checked += 1
    assert checked >= 10


def test_feedparser_corpus_never_raises_and_empty_documents_are_errors():
    root = corpus("feeds", "feedparser")
    for path in sorted(root.rglob("*.xml")):
        parsed = parse_feed(path.read_bytes(), "http://example.com/feed")
        assert parsed.error is None or not parsed.candidates
    empty = parse_feed((root / "illformed" / "rss_empty_document.xml").read_bytes())
    assert empty.error and not empty.candidates
    # Expect: entries[0].link == 'http://link/get?a=1&b=2' (ampersands not escaped)
    amp = parse_feed((root / "illformed" / "rss_item_link_corrupted_ampersands.xml").read_bytes())
    assert amp.candidates[0].url == "http://link/get?a=1&b=2"


def test_rss_atom_and_json_feed_candidates_carry_title_and_utc_date():
    rss = parse_feed(corpus("feeds", "crawler_commons", "xmlRss_pubDate.xml").read_bytes())
    assert rss.kind == "rss20" and len(rss.candidates) == 7
    first = rss.candidates[0]
    assert (first.url, first.title) == ("http://www.example.com/article_1", "News number 1")
    assert first.date == "2017-01-05T12:34:51+00:00"
    atom = parse_feed(corpus("feeds", "trafilatura", "feed1.atom").read_bytes())
    assert atom.candidates[0].url == "http://example.org/2003/12/13/atom03"
    js = parse_feed(corpus("feeds", "trafilatura", "feed.json").read_bytes(), source="NPR")
    assert js.kind == "json" and len(js.candidates) == 25
    assert js.candidates[0].date == "2021-10-29T10:26:00-04:00"
    assert js.candidates[0].source == "NPR"
    koi8 = parse_feed(corpus("feeds", "miniflux", "xml", "koi8r.xml").read_bytes())
    assert koi8.candidates[0].title == "Первая новость"


def test_html_page_and_garbage_are_not_feeds():
    html = b"<html><body><h1>Database error</h1></body></html>"
    assert parse_feed(html, content_type="text/html").error.startswith("not a feed")
    assert parse_feed(b"").error == "empty document"
    assert parse_feed(b'{"a": 1}').error == "JSON document that is not a JSON Feed"


# --------------------------------------------------------------------------- sitemaps
def test_google_news_sitemap_with_n_prefix_and_padded_loc():
    parsed = parse_sitemap(corpus("sitemaps", "wapo_politics_news_sitemap_2017.xml").read_bytes())
    assert parsed.kind == "urlset" and parsed.news and len(parsed.candidates) == 4
    first = parsed.candidates[0]
    assert first.url.startswith("https://www.washingtonpost.com/politics/the-latest-roy-moore")
    assert first.url.endswith("_story.html")  # whitespace around <loc> gone
    assert first.title == "The Latest: Roy Moore thanks Trump in new fundraising appeal"
    assert first.date == "2017-11-23T02:05:12Z"


def test_wrong_namespace_prefixed_namespace_and_news_extension():
    bad = parse_sitemap(corpus("sitemaps", "crawler_commons", "sitemap.badns.xml").read_bytes())
    assert [c.url for c in bad.candidates] == [
        "http://www.example.com/1",
        "http://www.example.com/2",
    ]
    ns = parse_sitemap(corpus("sitemaps", "crawler_commons", "sitemap.ns.xml").read_bytes())
    assert [c.url for c in ns.candidates] == [
        "http://www.example.com/1",
        "http://www.example.com/2",
    ]
    news = parse_sitemap(
        corpus("sitemaps", "crawler_commons", "extension", "sitemap-news.xml").read_bytes()
    )
    assert news.news
    assert (news.candidates[0].title, news.candidates[0].date) == (
        "Companies A, B in Merger Talks",
        "2008-12-23",
    )


def test_text_sitemaps_with_bom_and_gzip():
    bom = parse_sitemap(corpus("sitemaps", "crawler_commons", "sitemap-with-bom.txt").read_bytes())
    assert bom.kind == "text"
    assert bom.candidates[0].url == "http://www.domain.com/page1.html"
    gz_text = parse_sitemap(corpus("sitemaps", "crawler_commons", "sitemap.txt.gz").read_bytes())
    assert gz_text.kind == "text" and len(gz_text.candidates) == 5
    gz_xml = parse_sitemap(corpus("sitemaps", "crawler_commons", "xmlSitemap.gz").read_bytes())
    assert gz_xml.kind == "urlset" and len(gz_xml.candidates) == 5
    plain = parse_sitemap(corpus("sitemaps", "trafilatura", "sitemap.xml").read_bytes())
    packed = parse_sitemap(corpus("sitemaps", "trafilatura", "sitemap.xml.gz").read_bytes())
    assert [c.url for c in plain.candidates] == [c.url for c in packed.candidates]
    assert len(plain.candidates) == 84


def test_truncated_gzip_is_an_error_not_an_exception():
    data = corpus("feeds", "scrapy", "compressed", "unexpected-eof.gz").read_bytes()
    parsed = parse_sitemap(data)
    assert parsed.error and "gzip" in parsed.error and not parsed.candidates


def test_sitemap_indexes_with_bare_text_and_cdata():
    index = parse_sitemap(corpus("sitemaps", "crawler_commons", "sitemap.index.xml").read_bytes())
    assert index.kind == "index" and len(index.sitemaps) == 15
    assert index.sitemaps[0].url == "https://example.com/sitemap.jss?portalCode=10260&lang=en"
    two = parse_sitemap(corpus("sitemaps", "trafilatura", "sitemap2.xml").read_bytes())
    assert [(r.url, r.lastmod) for r in two.sitemaps] == [
        ("http://www.example.com/sitemap1.xml.gz", "2004-10-01T18:23:17+00:00"),
        ("http://www.example.com/sitemap2.xml.gz", "2005-01-01"),
    ]


def test_a_feed_given_as_sitemap_is_read_as_one():
    parsed = parse_sitemap(corpus("sitemaps", "usp_format_examples", "rss2.0.xml").read_bytes())
    assert parsed.kind == "feed"
    assert [c.via for c in parsed.candidates] == ["sitemap", "sitemap"]


def test_lastmod_filter_keeps_recent_and_undated():
    parsed = parse_sitemap(corpus("sitemaps", "crawler_commons", "xmlSitemap.gz").read_bytes())
    since = datetime(2005, 1, 1, 12, tzinfo=UTC)
    kept = recent(parsed.candidates, since)
    dated = [c for c in kept if c.date]
    assert [c.date for c in dated] == ["2005-01-01"]  # a bare day counts until its end
    assert all(c.date is None or c.date >= "2005-01-01" for c in kept)
    assert len(kept) < len(parsed.candidates)


def test_sitemap_lines_of_robots_txt():
    robots = corpus("sitemaps", "usp_format_examples", "robots.txt").read_text()
    assert sitemaps_from_robots(robots, "https://example.org/robots.txt") == [
        "https://example.org/sitemap.xml",
        "https://example.org/weirdly-named-sitemap.xml",
        "https://example.org/another-sitemap.xml",
        "https://example.org/and-another-sitemap.xml",
    ]
    relative = corpus("sitemaps", "crawler_commons", "robots", "relative-sitemap-robots.txt")
    assert sitemaps_from_robots(relative.read_text(), "https://example.org/robots.txt") == [
        "https://example.org/sitemap.xml"
    ]
    dedup = corpus("sitemaps", "crawler_commons", "robots", "sitemap-robots-dedup.txt")
    assert sitemaps_from_robots(dedup.read_text(), "http://example.org/robots.txt") == [
        "http://example.org/sitemap.xml"
    ]


# --------------------------------------------------------------------------- HTML pages
LISTING = """<html><head><base href="https://en.news.example/"></head><body>
<nav><a href="/">Home</a><a href="https://elsewhere.example/x/1.html">Partner</a></nav>
<ul class="news-list">
  <li><a href="azerbaijan/politics/4100001.html"><h4>First story</h4>
      <span class="date-time">15 November 10:31 (UTC+04)</span></a></li>
  <li><a href="/business/4100002.html?utm_source=home"><h4> Second
      story </h4></a></li>
  <li><a href="/business/4100002.html"><h4>Second story again</h4></a></li>
  <li><a href="/tags/china">China</a></li>
</ul></body></html>"""


def test_listing_links_by_selector_and_pattern():
    found = listing_links(
        LISTING,
        "https://en.news.example/politics",
        selector="ul.news-list > li > a",
        link_pattern=r"/\d+\.html$",
        source="News",
    )
    assert [(c.url, c.title) for c in found] == [
        ("https://en.news.example/azerbaijan/politics/4100001.html", "First story"),
        ("https://en.news.example/business/4100002.html?utm_source=home", "Second story"),
    ]
    loose = listing_links(
        LISTING, "https://en.news.example/politics", selector="ul.news-list > li > a"
    )
    assert [c.title for c in loose] == ["First story", "Second story", "China"]
    same_site = listing_links(LISTING, "https://en.news.example/politics")
    assert "https://elsewhere.example/x/1.html" not in [c.url for c in same_site]
    assert all(c.via == "listing" for c in same_site)


def test_feed_autodiscovery_from_a_home_page():
    page = """<html><head>
    <link rel="alternate" type="application/rss+xml" title="All" href="/feeds/index.rss">
    <link rel="alternate" type="application/atom+xml" href="https://x.example/atom.xml">
    <link rel="alternate" hreflang="az" href="https://az.x.example/">
    <link rel="stylesheet" type="text/css" href="/s.css">
    </head><body></body></html>"""
    assert feed_links(page, "https://x.example/") == [
        "https://x.example/feeds/index.rss",
        "https://x.example/atom.xml",
    ]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (
            "HTTPS://Example.COM:443/a/b?utm_source=x&b=2&a=1#frag",
            "https://example.com/a/b?a=1&b=2",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x?fbclid=abc", "http://example.com:8080/x"),
        ("  https://az.trend.az/news/1.html  ", "https://az.trend.az/news/1.html"),
    ],
)
def test_normalize_url(url, key):
    assert normalize_url(url) == key
