"""The polite fetcher against the replica on 127.0.0.1: real HTTP, nothing mocked.

Every politeness rule is checked from the server's side: what it was asked, and when.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from flows.fetch import (
    AddressGuard,
    CachedRobots,
    Fetcher,
    FetchPolicy,
    Validators,
    host_of,
    parse_retry_after,
)
from tests.conftest_replica import *  # noqa: F403 - fixtures (until conftest.py loads them)
from tests.conftest_replica import JITTER

UA = "newsmon-test/0.1 (+https://github.com/newsmon/newsmon)"


def policy(**kw) -> FetchPolicy:
    base = dict(
        user_agent=UA,
        per_host_interval=0.05,
        allow_addresses=("127.0.0.1/32",),
        retries=1,
        retry_backoff=0.05,
        connect_timeout=1.0,
        read_timeout=0.6,
        total_timeout=5.0,
        retry_after_max=5.0,
    )
    base.update(kw)
    return FetchPolicy(**base)


def fetch_all(pol: FetchPolicy, urls: list[str], **kw):
    async def go():
        async with Fetcher(pol) as f:
            return await asyncio.gather(*(f.fetch(u, **kw) for u in urls)), f

    return asyncio.run(go())


def test_robots_disallowed_path_is_never_requested(replica):
    (res,), _ = fetch_all(policy(), [replica.url("trend-en", "/private/4100099.html")])
    assert res.error == "robots"
    assert replica.requests("trend-en", "/private/4100099.html") == []
    assert [h.path for h in replica.requests("trend-en")] == ["/robots.txt"]
    ua = replica.requests("trend-en")[0].headers["user-agent"]
    assert ua == UA


def test_per_host_interval_holds_under_concurrency(replica):
    urls = [
        replica.url("trend-en", f"/azerbaijan/politics/{i}.html")
        for i in (4100001, 4100003, 4100008)
    ]
    urls += [
        replica.url("trend-en", "/feeds/index.rss"),
        replica.url("trend-en", "/sitemaps/news.xml"),
    ]
    results, _ = fetch_all(policy(per_host_interval=0.2, per_host_concurrency=4), urls)
    assert all(r.ok for r in results), [r.message for r in results]
    times = sorted(h.at for h in replica.requests("trend-en"))
    assert len(times) == 6  # robots.txt + 5
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.2 - JITTER, gaps


def test_crawl_delay_of_robots_txt_lengthens_the_interval(replica):
    origin = replica.url("trend-en", "").rstrip("/")
    robots = {origin: CachedRobots(200, "User-agent: *\nCrawl-delay: 0.3\n", time.time())}

    async def go():
        async with Fetcher(policy(per_host_interval=0.01), robots_cache=robots) as f:
            return await asyncio.gather(
                *(
                    f.fetch(replica.url("trend-en", p))
                    for p in ("/feeds/index.rss", "/sitemaps/news.xml", "/azerbaijan/politics")
                )
            )

    results = asyncio.run(go())
    assert all(r.ok for r in results)
    times = sorted(h.at for h in replica.requests("trend-en"))
    assert len(times) == 3  # robots.txt came from the cache
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.3 - JITTER


def test_retry_after_on_429_delays_the_retry_as_asked(replica):
    (res,), _ = fetch_all(policy(), [replica.url("flaky", "/news/rate-limited.html")])
    assert res.ok and res.attempts == 2
    hits = replica.requests("flaky", "/news/rate-limited.html")
    assert [h.status for h in hits] == [429, 200]
    assert hits[1].at - hits[0].at >= 1.0  # the replica sends Retry-After: 1


def test_retry_after_longer_than_the_cap_is_not_waited_for(replica):
    replica.sites["flaky"].retry_after = 3600
    (res,), f = fetch_all(
        policy(retry_after_max=5), [replica.url("flaky", "/news/rate-limited.html")]
    )
    assert res.error == "retry_after" and "3600" in res.message
    assert len(replica.requests("flaky", "/news/rate-limited.html")) == 1


def test_500_is_retried_with_backoff_then_reported(replica):
    (res,), _ = fetch_all(policy(retries=2), [replica.url("flaky", "/news/error-500.html")])
    assert res.error == "http_500" and res.attempts == 3 and res.status == 500
    assert len(replica.requests("flaky", "/news/error-500.html")) == 3


def test_oversized_response_is_cut_off_while_streaming(replica):
    (res,), _ = fetch_all(
        policy(max_response_bytes=200_000), [replica.url("flaky", "/news/huge.html")]
    )
    assert res.error == "too_large"
    assert len(res.body) == 200_000
    assert "cut off" in res.message


def test_declared_length_over_the_limit_is_not_downloaded(replica):
    (res,), _ = fetch_all(
        policy(max_response_bytes=500),
        [replica.url("caspian", "/news/ferry-line-turkmenbashi-501")],
    )
    assert res.error == "too_large" and res.body == b""
    assert "declared" in res.message


def test_slow_page_times_out(replica):
    replica.sites["flaky"].slow_seconds = 2.0
    started = time.monotonic()
    (res,), _ = fetch_all(
        policy(retries=0, read_timeout=0.3), [replica.url("flaky", "/news/slow.html")]
    )
    assert res.error == "timeout"
    assert time.monotonic() - started < 1.5


def test_redirect_to_a_private_address_is_refused_before_connecting(replica):
    # 10.0.0.1 is not routable from here: a connection attempt would hang until the
    # connect timeout (5 s). The guard refuses at once.
    started = time.monotonic()
    (res,), _ = fetch_all(policy(connect_timeout=5.0), [replica.url("flaky", "/news/moved.html")])
    assert res.error == "address_refused"
    assert "10.0.0.1" in res.message and "private" in res.message
    assert res.redirects == ["http://10.0.0.1/internal/secret.html"]
    assert time.monotonic() - started < 2.0


def test_default_mode_refuses_loopback_without_any_request(replica):
    pol = policy(allow_addresses=(), allow_private_addresses=False)
    (res,), _ = fetch_all(pol, [replica.url("trend-en", "/feeds/index.rss")])
    assert res.error == "address_refused" and "loopback" in res.message
    assert replica.requests() == []


def test_address_guard_rules():
    strict = AddressGuard()
    assert strict.refusal("93.184.216.34") is None
    assert strict.refusal("127.0.0.1") == "loopback"
    assert strict.refusal("10.1.2.3") == "private"
    assert strict.refusal("192.168.0.1") == "private"
    assert strict.refusal("169.254.10.1") == "link-local"
    assert strict.refusal("::1") == "loopback"
    assert strict.refusal("::ffff:127.0.0.1") == "loopback"
    assert strict.refusal("169.254.169.254") == "cloud metadata"
    loose = AddressGuard(allow_private=True)
    assert loose.refusal("10.1.2.3") is None
    assert loose.refusal("169.254.169.254") == "cloud metadata"  # never, whatever the config
    listed = AddressGuard(allow=["127.0.0.1/32"])
    assert listed.refusal("127.0.0.1") is None and listed.refusal("127.0.0.2") == "loopback"


def test_conditional_get_then_304(replica):
    feed = replica.url("trend-en", "/feeds/index.rss")

    async def go():
        async with Fetcher(policy()) as f:
            first = await f.fetch(feed)
            v = Validators(first.etag, first.last_modified, first.body_hash)
            second = await f.fetch(feed, validators=v)
            return first, second

    first, second = asyncio.run(go())
    assert first.ok and first.etag and first.last_modified
    assert second.error == "not_modified" and second.not_modified and second.status == 304
    hits = replica.requests("trend-en", "/feeds/index.rss")
    assert [h.conditional for h in hits] == [False, True]
    assert hits[1].headers["if-none-match"] == first.etag


def test_compressed_bodies_are_decoded(replica):
    urls = [
        replica.url("trend-en", "/feeds/index.rss"),  # br
        replica.url("trend-en", "/sitemaps/news.xml"),  # zstd
        replica.url("trend-en", "/azerbaijan/politics/4100001.html"),
    ]  # gzip
    results, _ = fetch_all(policy(), urls)
    assert [r.headers.get("content-encoding") for r in results] == ["br", "zstd", "gzip"]
    assert results[0].body.startswith(b"<?xml") and results[1].body.startswith(b"<?xml")
    assert results[2].body.startswith(b"<!DOCTYPE html>")
    assert "gzip" in replica.requests("trend-en")[1].headers["accept-encoding"]


def test_validators_that_lie_switch_conditional_get_off_for_the_host(replica):
    url = replica.url("liar", "/etag-changes.xml")

    async def go():
        async with Fetcher(policy()) as f:
            first = await f.fetch(url)
            v = Validators(first.etag, first.last_modified, first.body_hash)
            second = await f.fetch(url, validators=v)
            third = await f.fetch(url, validators=v)
            return second, third, f

    second, third, f = asyncio.run(go())
    assert second.ok and second.unchanged and second.validators_wrong
    assert host_of(url) in f.conditional_off and host_of(url) in f.newly_conditional_off
    assert third.ok and not third.conditional
    assert [h.conditional for h in replica.requests("liar", "/etag-changes.xml")] == [
        False,
        True,
        False,
    ]


def test_304_for_changed_content_is_caught_when_a_change_is_expected(replica):
    url = replica.url("liar", "/always-304.xml")

    async def go():
        async with Fetcher(policy()) as f:
            first = await f.fetch(url)
            v = Validators(first.etag, first.last_modified, first.body_hash)
            blind = await f.fetch(url, validators=v)
            checked = await f.fetch(url, validators=v, changed_hint=True)
            return blind, checked, f

    blind, checked, f = asyncio.run(go())
    assert blind.error == "not_modified"
    assert checked.ok and checked.validators_wrong and not checked.unchanged
    assert host_of(url) in f.conditional_off


def test_dns_failure_is_fast_and_not_retried():
    async def go():
        async with Fetcher(policy(retries=3, retry_backoff=1.0)) as f:
            a = await f.fetch("https://en.trend.invalid/feeds/index.rss")
            b = await f.fetch("https://en.trend.invalid/azerbaijan/politics")
            return a, b

    started = time.monotonic()
    a, b = asyncio.run(go())
    assert time.monotonic() - started < 3.0
    assert a.error == "dns" and a.network_error
    assert a.message.startswith("DNS lookup failed for en.trend.invalid")
    assert b.error == "dns" and b.attempts == 0  # the host is known to be down in this run


def test_refused_connection_is_reported():
    (res,), _ = fetch_all(policy(retries=1), ["http://127.0.0.1:9/feed.xml"])
    assert res.error == "connect" and res.network_error
    assert "127.0.0.1:9" in res.message


def test_robots_404_allows_everything_and_5xx_blocks(replica):
    (res,), f = fetch_all(policy(), [replica.url("broken", "/feed.xml")])
    assert res.ok and res.content_type == "text/html"
    assert [h.path for h in replica.requests("broken")] == ["/robots.txt", "/feed.xml"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    now = datetime(2025, 4, 22, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(90.0)
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp()) == 0.0


def test_compressed_bodies_keep_the_bytes_sent_for_the_archive(replica):
    """The archive keeps a compressed response as the server sent it: the bytes decode,
    with the fetcher's own decoder, to exactly the body the run parsed."""
    from parsers.compression import decode_bounded

    urls = [
        replica.url("trend-en", "/feeds/index.rss"),  # br
        replica.url("trend-en", "/sitemaps/news.xml"),  # zstd
        replica.url("trend-en", "/azerbaijan/politics/4100001.html"),  # gzip
        replica.url("trend-en", "/robots.txt"),  # sent as is
    ]
    results, _ = fetch_all(policy(), urls)
    assert [r.wire_coding for r in results] == ["br", "zstd", "gzip", ""]
    for r in results[:3]:
        assert r.wire_body and len(r.wire_body) < len(r.body)
        assert decode_bounded(r.wire_body, r.wire_coding, len(r.body)) == r.body
    assert gzip.decompress(results[2].wire_body) == results[2].body
    assert results[3].wire_body is None and results[3].body
