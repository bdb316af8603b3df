"""Canonical URLs and identity keys: the addresses one article is known by."""

from __future__ import annotations

import pytest

from store.canonical import (
    DEFAULT_IDENTITY_RULES,
    canonicalize_url,
    default_identity_rules,
    identity_key,
    is_home_page,
    registrable_domain,
)

TREND = r"trend\.az/.*?/(\d+)\.html$"


@pytest.mark.parametrize(
    ("url", "want"),
    [
        # Trackers go, content parameters stay, the query is sorted.
        (
            "https://report.az/news?utm_source=fb&utm_medium=social&id=42&p=3&fbclid=IwAR0",
            "https://report.az/news?id=42&p=3",
        ),
        ("https://x.az/a?gclid=1&dclid=2&msclkid=3&yclid=4&article=9", "https://x.az/a?article=9"),
        ("https://x.az/a?mc_cid=1&mc_eid=2&igshid=3&ref=tg&ncid=4&ocid=5", "https://x.az/a"),
        ("https://x.az/a?xtor=RSS-1&_ga=2.1&spm=a.b&cmpid=9&pk_campaign=z", "https://x.az/a"),
        ("https://x.az/a?b=2&a=1", "https://x.az/a?a=1&b=2"),
        # Case of scheme and host, default ports, fragments.
        ("HTTPS://EN.Trend.AZ/Azerbaijan/1.html", "https://en.trend.az/Azerbaijan/1.html"),
        ("https://x.az:443/a", "https://x.az/a"),
        ("http://x.az:80/a", "http://x.az/a"),
        ("http://x.az:8080/a", "http://x.az:8080/a"),
        ("https://x.az/a#comments", "https://x.az/a"),
        ("https://x.az/a?id=1#!/top", "https://x.az/a?id=1"),
        # Session ids in the path.
        ("https://x.az/story;jsessionid=AB12?id=7", "https://x.az/story?id=7"),
        # No path at all.
        ("https://x.az", "https://x.az/"),
    ],
)
def test_canonicalize_url(url, want):
    assert canonicalize_url(url) == want


def test_iri_and_percent_encoded_forms_are_one_url():
    iri = "https://report.az/xəbər/ölkə?q=şəhər"
    encoded = "https://report.az/x%C9%99b%C9%99r/%C3%B6lk%C9%99?q=%C5%9F%C9%99h%C9%99r"
    assert canonicalize_url(iri) == canonicalize_url(encoded) == encoded


def test_canonical_hint_is_preferred_and_cleaned():
    got = canonicalize_url(
        "https://en.trend.az/business/4085123.html?utm_source=rss",
        canonical_hint="https://en.trend.az/azerbaijan/politics/4085123.html?utm_campaign=x",
    )
    assert got == "https://en.trend.az/azerbaijan/politics/4085123.html"


def test_relative_hint_is_resolved():
    got = canonicalize_url("https://x.az/amp/story-1", canonical_hint="/news/story-1")
    assert got == "https://x.az/news/story-1"


@pytest.mark.parametrize(
    "hint",
    ["https://x.az/", "https://x.az", "/", "https://x.az/en/", "https://x.az/index.php"],
)
def test_hint_to_the_home_page_is_ignored(hint):
    # Some CMSs print the front page as canonical on every article: trusting it would
    # merge a whole site into one article.
    assert canonicalize_url("https://x.az/news/7", canonical_hint=hint) == "https://x.az/news/7"


def test_hint_on_another_site_is_trusted_when_absolute():
    # A syndicated copy names the original; that is how the copy finds it.
    got = canonicalize_url(
        "https://partner.example/wire/77", canonical_hint="https://en.trend.az/world/4085999.html"
    )
    assert got == "https://en.trend.az/world/4085999.html"


def test_hint_that_is_not_http_is_ignored():
    got = canonicalize_url("https://x.az/n/1", canonical_hint="javascript:void(0)")
    assert got == "https://x.az/n/1"


def test_hint_naming_another_article_of_the_site_is_ignored():
    got = canonicalize_url(
        "https://en.trend.az/business/4085123.html",
        canonical_hint="https://en.trend.az/business/4085124.html",
        identity=TREND,
    )
    assert got == "https://en.trend.az/business/4085123.html"


def test_identity_key_ignores_section_path_and_query():
    a = identity_key("https://en.trend.az/azerbaijan/politics/4085123.html", [TREND])
    b = identity_key("https://en.trend.az/business/economy/4085123.html?utm_source=x", [TREND])
    assert a == b == "trend.az:4085123"


def test_identity_key_of_other_ids_and_sites():
    assert identity_key("https://az.trend.az/azerbaijan/4126001.html", [TREND]) == (
        "trend.az:4126001"
    )
    assert identity_key("https://en.trend.az/azerbaijan/", [TREND]) is None
    assert identity_key("https://report.az/xeber/4085123.html", [TREND]) is None
    assert identity_key(None, [TREND]) is None
    assert identity_key("https://en.trend.az/a/1.html", []) is None


def test_identity_key_with_named_group_and_prefix():
    rules = {"xinhua": r"news\.cn/\d{8}/(?P<id>[0-9a-f]{32})/c\.html$"}
    url = "https://english.news.cn/20250423/0123456789abcdef0123456789abcdef/c.html"
    assert identity_key(url, rules) == "xinhua:0123456789abcdef0123456789abcdef"


def test_site_profiles_are_identity_rules():
    class Profile:  # the two members of parsers.profiles.Profile a rule needs
        hosts = ("azernews.az", "www.azernews.az")

        def article_id(self, url):
            return url.rsplit("/", 1)[-1].removesuffix(".html")

    rules = [Profile()]
    assert identity_key("https://www.azernews.az/region/240001.html", rules) == "azernews.az:240001"
    assert identity_key("https://report.az/region/240001.html", rules) is None
    # The built-in rules come first; the shipped profiles follow.
    assert default_identity_rules()[: len(DEFAULT_IDENTITY_RULES)] == list(DEFAULT_IDENTITY_RULES)


def test_registrable_domain_and_home_page():
    assert registrable_domain("en.trend.az") == "trend.az"
    assert registrable_domain("https://www.bbc.co.uk/news") == "bbc.co.uk"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"
    assert is_home_page("https://x.az/")
    assert is_home_page("https://x.az/ru/")
    assert not is_home_page("https://x.az/news/")
    assert not is_home_page("https://x.az/?p=123")
