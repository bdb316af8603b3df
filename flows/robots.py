"""robots.txt (RFC 9309): what a host's robots.txt says, and what its fetch means for the cache.

:class:`CachedRobots` is a host's robots.txt as last fetched (the monitor keeps it in the
store between runs); :func:`entry_from_response` turns the fetch of a robots.txt into one,
following RFC 9309 (a 4xx allows everything, an unreachable robots.txt disallows everything
until it can be read); :func:`parse_robots` and :func:`crawl_delay` read its rules with
protego. The fetching itself, and applying the rules to each URL, is flows.fetch's.

No Prefect, no database, no network here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from protego import Protego

from flows.outcomes import FetchError

__all__ = [
    "ROBOTS_MAX_BYTES",
    "ROBOTS_TTL",
    "CachedRobots",
    "crawl_delay",
    "entry_from_response",
    "parse_robots",
]

#: RFC 9309: a crawler should parse at least 500 KiB of robots.txt; we read no more.
ROBOTS_MAX_BYTES = 512 * 1024
#: RFC 9309: robots.txt should not be cached for more than 24 hours.
ROBOTS_TTL = 24 * 3600.0


@dataclass
class CachedRobots:
    """A host's robots.txt as last fetched: ``status`` 200 (body), 4xx (allow all),
    or 5xx/0 (unreachable: disallow all until it can be read)."""

    status: int
    body: str = ""
    fetched_at: float = 0.0
    etag: str | None = None
    last_modified: str | None = None


class RobotsResponse(Protocol):
    """What :func:`entry_from_response` reads of a fetch (a ``flows.fetch.FetchResult``)."""

    status: int | None
    error: str | None
    body: bytes

    @property
    def network_error(self) -> bool: ...

    @property
    def etag(self) -> str | None: ...

    @property
    def last_modified(self) -> str | None: ...


def entry_from_response(
    res: RobotsResponse, cached: CachedRobots | None, now: float, ttl: float
) -> CachedRobots | None:
    """The cache entry that the fetch ``res`` of a robots.txt makes, at ``now`` (epoch
    seconds); ``cached`` is the previous entry (its validators were sent), ``ttl`` how long
    an entry stays fresh. None when the host gave no answer to cache: the run's deadline
    came first, its address is refused, the URL is bad or the network failed."""
    if res.error == FetchError.DEADLINE:
        return None
    if res.error == FetchError.NOT_MODIFIED and cached is not None:
        return CachedRobots(200, cached.body, now, cached.etag, cached.last_modified)
    if res.error in (FetchError.ADDRESS_REFUSED, FetchError.BAD_URL) or res.network_error:
        return None
    if res.status == 200 and res.error in (None, FetchError.TOO_LARGE):
        body = res.body.decode("utf-8", errors="replace")
        return CachedRobots(200, body, now, res.etag, res.last_modified)
    if res.status is not None and 400 <= res.status < 500 and res.status != 429:
        return CachedRobots(res.status, "", now)
    # 5xx, 429, timeouts: "unreachable" (RFC 9309 2.3.1.4): assume complete disallow, and
    # ask again on the next run rather than tomorrow.
    return CachedRobots(res.status or 0, "", now - ttl)


def parse_robots(body: str) -> Protego | None:
    """The rules of a robots.txt; None when it cannot be parsed (it then allows everything)."""
    try:
        return Protego.parse(body)
    except Exception:  # noqa: BLE001 - an unparseable robots.txt allows everything
        return None


def crawl_delay(parsed: Protego, agent: str) -> float:
    """Seconds between requests that the rules ask of ``agent``: the longer of
    ``Crawl-delay`` and ``Request-rate`` (0 when they ask neither)."""
    delay = parsed.crawl_delay(agent) or 0.0
    rate = parsed.request_rate(agent)
    if rate and rate.requests:
        delay = max(delay, rate.seconds / rate.requests)
    return delay
