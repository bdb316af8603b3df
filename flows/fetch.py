"""Polite HTTP fetching: one :class:`Fetcher` per run, shared by every source.

What it guarantees, whatever the caller asks:

- robots.txt (RFC 9309, read with protego) is obeyed for every URL and every redirect
  hop, including ``Crawl-delay`` and ``Request-rate``; it is cached for 24 hours.
- per host: at most ``per_host_concurrency`` requests at once, and request starts at
  least ``per_host_interval`` seconds apart (longer if robots.txt asks);
- 429 and 503 ``Retry-After`` (seconds or HTTP-date) pause the whole host; waits longer
  than ``retry_after_max`` are not retried in this run; other transient failures are
  retried with exponential backoff and jitter; a DNS failure is never retried and
  fails the host's later URLs at once, so an offline machine finishes in seconds;
- conditional GET (ETag, Last-Modified) with a body-hash check; a host whose
  validators prove wrong is switched to plain GETs (see :attr:`Fetcher.conditional_off`);
- responses larger than ``max_response_bytes`` are cut off while streaming, counted in
  decoded bytes: the body is read raw and decoded here (:mod:`parsers.compression`), piece
  by piece, so a compression bomb (``Content-Encoding: gzip, gzip``, ``br``, ``zstd``)
  stops at the limit instead of filling memory; only the codings we decode are asked for
  (``Accept-Encoding``), more than two codings or an unknown one is a ``decoding`` error,
  and the raw bytes on the wire are capped too;
- connect, read and total timeouts;
- no connection to loopback, private, link-local or cloud metadata addresses unless
  the configuration allows them: every resolved address is checked when the
  connection is opened (:class:`GuardedBackend`), so neither a redirect nor a DNS
  answer that changes between check and use can reach them; an IPv6 address that embeds
  an IPv4 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is judged by it too;
- a run deadline (:attr:`Fetcher.deadline`, a ``time.monotonic()`` value): once it has
  passed, ``fetch()`` returns at once with ``error="deadline"``; a request in flight is
  cut at it, and no retry, backoff, Retry-After or per-host spacing wait goes past it, so
  hosts that answer slowly cannot keep a run beyond its time limit.

No Prefect and no database here: the caller passes validators in and persists what
comes out, so this module can be tested and benchmarked alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import ipaddress
import random
import socket
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from parsers.compression import (
    ACCEPT_ENCODING,
    BoundedDecoder,
    DecodedTooLarge,
    DecodeError,
    parse_content_encoding,
)

__all__ = [
    "AddressGuard",
    "CachedRobots",
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "Validators",
    "host_of",
    "parse_retry_after",
]

#: Error kinds that mean "this machine cannot reach the host" rather than "the host failed".
NETWORK_ERRORS = frozenset({"dns", "connect", "connect_timeout", "unreachable"})
#: Cloud metadata endpoints: never fetched, even when private addresses are allowed.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 500, 502, 503, 504})
#: RFC 9309: a crawler should parse at least 500 KiB of robots.txt; we read no more.
ROBOTS_MAX_BYTES = 512 * 1024
#: RFC 9309: robots.txt should not be cached for more than 24 hours.
ROBOTS_TTL = 24 * 3600.0
#: IPv6 ranges that carry an IPv4 address (judged by that address; see AddressGuard).
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
TEREDO = ipaddress.ip_network("2001::/32")
DEADLINE_MESSAGE = "run time limit reached: not fetched"


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    per_host_concurrency: int = 2
    per_host_interval: float = 1.0
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_response_bytes: int = 5_000_000
    allow_private_addresses: bool = False
    allow_addresses: tuple[str, ...] = ()
    retries: int = 2
    retry_backoff: float = 1.0
    retry_backoff_max: float = 30.0
    retry_after_max: float = 120.0
    max_redirects: int = 5
    max_crawl_delay: float = 60.0
    robots_ttl: float = ROBOTS_TTL

    @classmethod
    def from_settings(cls, settings: Any) -> FetchPolicy:
        """Build from ``flows.config.Settings`` (duck-typed to keep this module standalone)."""
        t = settings.timeouts
        return cls(
            user_agent=settings.user_agent,
            per_host_concurrency=settings.per_host_concurrency,
            per_host_interval=settings.per_host_interval,
            connect_timeout=t.connect,
            read_timeout=t.read,
            total_timeout=t.total,
            max_response_bytes=settings.max_response_bytes,
            allow_private_addresses=settings.allow_private_addresses,
            allow_addresses=tuple(settings.allow_addresses),
            retries=settings.retries,
            retry_backoff=settings.retry_backoff,
            retry_after_max=settings.retry_after_max,
            max_redirects=settings.max_redirects,
            max_crawl_delay=settings.max_crawl_delay,
        )

    @property
    def robots_agent(self) -> str:
        """The product token robots.txt groups are matched against ("newsmon")."""
        return self.user_agent.split("/", 1)[0].split()[0] if self.user_agent.strip() else "*"


@dataclass
class Validators:
    """What we know about the last good response of a URL."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: None on success; else "robots", "too_large", "timeout", "http_500", "address_refused",
    #: "not_modified", "dns", "connect", "retry_after", "too_many_redirects", "bad_url",
    #: "decoding" (unsupported or corrupt content-coding), "deadline" (the run's time
    #: limit, :attr:`Fetcher.deadline`, came first: not fetched, or cut off), ...
    error: str | None = None
    message: str = ""
    attempts: int = 0
    redirects: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    body_hash: str | None = None
    #: a 200 whose body is the one we already had (same hash)
    unchanged: bool = False
    #: conditional headers were sent with the (first) request
    conditional: bool = False
    #: this response proved the host's validators wrong (conditional GET now off for it)
    validators_wrong: bool = False
    fetched_at: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.error == "not_modified" or (self.ok and self.unchanged)

    @property
    def network_error(self) -> bool:
        return self.error in NETWORK_ERRORS

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass
class CachedRobots:
    """A host's robots.txt as last fetched: ``status`` 200 (body), 4xx (allow all),
    or 5xx/0 (unreachable: disallow all until it can be read)."""

    status: int
    body: str = ""
    fetched_at: float = 0.0
    etag: str | None = None
    last_modified: str | None = None


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, lower-cased: the unit of politeness."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{host_of(url)}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


# --------------------------------------------------------------------------- address guard
class AddressRefused(Exception):
    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        super().__init__(f"refused to connect to {host} ({address}: {reason} address)")


class DNSFailure(Exception):
    def __init__(self, host: str, detail: str) -> None:
        self.host = host
        super().__init__(f"DNS lookup failed for {host}: {detail}")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is of a form that carries one:
    IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d`` (not ``::`` or ``::1``),
    NAT64 ``64:ff9b::a.b.c.d`` (RFC 6052) and local-use ``64:ff9b:1::/48`` (RFC 8215; the
    /96 form: last 32 bits), 6to4 ``2002:AABB:CCDD::/48`` and Teredo ``2001::/32`` (its
    client address)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip)) if int(ip) > 1 else None
    if ip in NAT64_WELL_KNOWN or ip in NAT64_LOCAL_USE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


class AddressGuard:
    """Decides which IP addresses may be connected to.

    An IPv6 address that embeds an IPv4 one (:func:`embedded_ipv4`) reaches that IPv4
    host through a translator or tunnel, so it is judged by it: ``64:ff9b::a9fe:a9fe`` is
    the metadata address, ``64:ff9b::7f00:1`` loopback, and ``64:ff9b::808:808`` (8.8.8.8)
    global. Local-use NAT64 (``64:ff9b:1::/48``) is a private prefix: refused as private
    unless private addresses are allowed. Teredo must pass both checks: its client, and
    the address itself (not global for :mod:`ipaddress`). An allow-list entry matching the
    IPv6 address or its IPv4 address allows it; the metadata addresses never are.
    """

    def __init__(self, allow_private: bool = False, allow: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allow = [ipaddress.ip_network(n, strict=False) for n in allow]

    def refusal(self, address: str) -> str | None:
        """Why an address is refused ("loopback", "private", ...), or None when allowed."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        v4 = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
        if v4 is None:
            return self._judge(ip)
        if ip in METADATA_ADDRESSES or v4 in METADATA_ADDRESSES:
            return "cloud metadata"
        if self._listed(ip):
            return None
        if ip in NAT64_LOCAL_USE:
            if self._listed(v4):
                return None
            return None if self.allow_private else "private"
        verdict = self._judge(v4)
        if verdict is None and ip in TEREDO:
            return self._judge(ip)
        return verdict

    def _listed(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip in net for net in self.allow)

    def _judge(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        """The rules for one address, without looking into it for an embedded one."""
        if ip in METADATA_ADDRESSES:
            return "cloud metadata"
        if ip.is_global and not ip.is_multicast:
            return None
        if self._listed(ip):
            return None
        if ip.is_loopback:
            kind = "loopback"
        elif ip.is_link_local:
            kind = "link-local"
        elif ip.is_unspecified or ip.is_multicast or ip.is_reserved:
            return "non-routable"
        else:
            kind = "private"
        return None if self.allow_private else kind


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves host names itself, checks every address, then connects to a checked one."""

    def __init__(self, guard: AddressGuard, dns_timeout: float) -> None:
        self.guard = guard
        self.dns_timeout = dns_timeout
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                timeout=min(timeout or self.dns_timeout, self.dns_timeout),
            )
        except TimeoutError as exc:
            raise DNSFailure(host, "timed out") from exc
        except (socket.gaierror, UnicodeError) as exc:
            raise DNSFailure(host, getattr(exc, "strerror", None) or str(exc)) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise DNSFailure(host, "no address")
        for address in addresses:
            reason = self.guard.refusal(address)
            if reason:
                raise AddressRefused(host, address, reason)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix socket", "-", "local")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, whose connection pool opens connections through the guard.

    httpx offers no public hook for the network backend, so the pool it built is replaced
    by one built the same way with :class:`GuardedBackend` (httpcore's public API). If an
    httpx upgrade changed that attribute, tests/test_fetch.py's loopback-refusal test fails.
    Proxies from the environment are not used (``trust_env=False``): the guard must see
    the real destination.
    """

    def __init__(self, guard: AddressGuard, policy: FetchPolicy) -> None:
        super().__init__(retries=0, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=None,
            max_keepalive_connections=64,
            keepalive_expiry=15.0,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(guard, dns_timeout=policy.connect_timeout),
        )


# --------------------------------------------------------------------------- host gate
class HostGate:
    """Per-host concurrency and minimum spacing between request starts."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.semaphore = asyncio.Semaphore(max(1, concurrency))
        self.interval = interval
        self._lock = asyncio.Lock()
        self._next = 0.0

    def block_until(self, when: float) -> None:
        """No request starts before ``when`` (monotonic): a Retry-After applies to the host."""
        self._next = max(self._next, when)

    def sent(self) -> None:
        """The request really left now (after connecting): space the next one from here,
        so that the server sees the interval even when connection setup was slow."""
        self._next = max(self._next, time.monotonic() + self.interval)

    @contextlib.asynccontextmanager
    async def slot(self, deadline: float | None = None) -> AsyncIterator[None]:
        """Wait for a free slot and the host's spacing; :class:`DeadlineReached` instead
        of waiting past ``deadline`` (monotonic)."""
        if deadline is None:
            await self.semaphore.acquire()
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineReached(DEADLINE_MESSAGE)
            try:
                async with asyncio.timeout(left):
                    await self.semaphore.acquire()
            except TimeoutError:
                raise DeadlineReached(
                    f"{DEADLINE_MESSAGE} (waited for a free slot on the host)"
                ) from None
        try:
            async with self._lock:
                while (wait := self._next - time.monotonic()) > 0:
                    if deadline is not None and self._next > deadline:
                        raise DeadlineReached(
                            f"{DEADLINE_MESSAGE} (the host's spacing or Retry-After "
                            f"wait of {wait:.1f} s ends after it)"
                        )
                    await asyncio.sleep(wait)
                self._next = time.monotonic() + self.interval
            yield
        finally:
            self.semaphore.release()


class DeadlineReached(Exception):
    """Internal: the run's deadline came before the next step (caught in the fetcher)."""


@dataclass
class _Down:
    """A host that cannot be reached in this run: later URLs fail at once with the same error."""

    error: str
    message: str


@dataclass
class RequestRecord:
    at: float
    url: str
    status: int | None
    conditional: bool
    error: str | None


# --------------------------------------------------------------------------- fetcher
class Fetcher:
    """Shared by all sources of a run, so that two sources on one host share its limits."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        robots_cache: dict[str, CachedRobots] | None = None,
        conditional_off: Iterable[str] = (),
        deadline: float | None = None,
    ) -> None:
        self.policy = policy
        #: ``time.monotonic()`` by which every fetch ends (None: no limit); may be set later
        self.deadline = deadline
        self.guard = AddressGuard(policy.allow_private_addresses, policy.allow_addresses)
        #: origin -> robots.txt; the caller may load it from, and save it to, the store
        self.robots_cache: dict[str, CachedRobots] = (
            robots_cache if robots_cache is not None else {}
        )
        #: origins whose robots.txt was (re)fetched in this run
        self.robots_updated: set[str] = set()
        #: hosts that get no conditional headers (their validators proved wrong)
        self.conditional_off: set[str] = set(conditional_off)
        #: host -> reason, for hosts switched off in this run (to persist)
        self.newly_conditional_off: dict[str, str] = {}
        #: every request sent, for the run summary and the benchmark
        self.log: list[RequestRecord] = []
        self._gates: dict[str, HostGate] = {}
        self._robots_parsed: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._down: dict[str, _Down] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(self.guard, p),
            timeout=httpx.Timeout(
                connect=p.connect_timeout,
                read=p.read_timeout,
                write=p.read_timeout,
                pool=p.total_timeout,
            ),
            headers={
                "User-Agent": p.user_agent,
                "Accept-Language": "*",
                # exactly what parsers.compression decodes, within the size limit
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            follow_redirects=False,
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ public
    async def fetch(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        changed_hint: bool = False,
        robots: bool = True,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET a URL politely; never raises for network or HTTP trouble (see ``error``).

        After :attr:`deadline` it returns at once with ``error="deadline"``.
        ``changed_hint``: the caller has reason to believe the content changed (a sitemap
        index says so); a 304 is then verified with one plain GET, and a host that
        answered 304 for changed content gets no more conditional requests.
        """
        started = time.monotonic()
        result = await self._fetch(url, validators, robots, max_bytes)
        if (
            changed_hint
            and result.error == "not_modified"
            and validators is not None
            and validators.body_hash
        ):
            check = await self._fetch(url, None, robots, max_bytes)
            if check.ok and check.body_hash != validators.body_hash:
                self._switch_off(host_of(url), "answered 304 for content that had changed")
                check.validators_wrong = True
                check.attempts += result.attempts
                result = check
        result.elapsed = time.monotonic() - started
        return result

    async def robots_for(self, url: str) -> CachedRobots | FetchResult:
        """The robots.txt governing ``url`` (fetched at most once a day), or the failure
        that prevented reading it when the host cannot be reached at all."""
        origin = _origin(url)
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self.robots_cache.get(origin)
            now = time.time()
            fresh = cached is not None and now - cached.fetched_at < self.policy.robots_ttl
            if cached is not None and (fresh or origin in self.robots_updated):
                self._apply_robots(origin, cached)
                return cached
            v = None
            if cached is not None and cached.status == 200:
                v = Validators(cached.etag, cached.last_modified)
            res = await self._fetch(
                origin + "/robots.txt",
                v,
                robots=False,
                max_bytes=ROBOTS_MAX_BYTES,
                truncate_ok=True,
            )
            if res.error == "deadline":
                return res  # not an answer of the host: nothing to cache
            if res.error == "not_modified" and cached is not None:
                entry = CachedRobots(200, cached.body, now, cached.etag, cached.last_modified)
            elif res.error in ("address_refused", "bad_url") or res.network_error:
                return res
            elif res.status == 200 and res.error in (None, "too_large"):
                entry = CachedRobots(
                    200,
                    res.body.decode("utf-8", errors="replace"),
                    now,
                    res.etag,
                    res.last_modified,
                )
            elif res.status is not None and 400 <= res.status < 500 and res.status != 429:
                entry = CachedRobots(res.status, "", now)
            else:
                # 5xx, 429, timeouts: "unreachable" (RFC 9309 2.3.1.4): assume complete
                # disallow, and ask again on the next run rather than tomorrow.
                entry = CachedRobots(res.status or 0, "", now - self.policy.robots_ttl)
            self.robots_cache[origin] = entry
            self.robots_updated.add(origin)
            self._robots_parsed.pop(origin, None)
            self._apply_robots(origin, entry)
            return entry

    def allowed(self, url: str) -> bool | None:
        """True/False once the host's robots.txt is known; None before."""
        origin = _origin(url)
        entry = self.robots_cache.get(origin)
        if entry is None:
            return None
        if entry.status == 200:
            parsed = self._parsed(origin, entry)
            return parsed is None or parsed.can_fetch(url, self.policy.robots_agent)
        return 400 <= entry.status < 500

    def robots_sitemaps(self, url: str) -> list[str]:
        """``Sitemap:`` lines of the (already fetched) robots.txt of the URL's host."""
        from parsers.feeds import sitemaps_from_robots

        entry = self.robots_cache.get(_origin(url))
        if entry is None or entry.status != 200:
            return []
        return sitemaps_from_robots(entry.body, _origin(url) + "/robots.txt")

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = HostGate(self.policy.per_host_concurrency, self.policy.per_host_interval)
            self._gates[host] = gate
        return gate

    def host_down(self, url: str) -> tuple[str, str] | None:
        """(error kind, message) when the URL's host was found unreachable in this run."""
        down = self._down.get(host_of(url))
        return (down.error, down.message) if down else None

    # ------------------------------------------------------------------ internals
    def _parsed(self, origin: str, entry: CachedRobots) -> Protego | None:
        if origin not in self._robots_parsed:
            try:
                self._robots_parsed[origin] = Protego.parse(entry.body)
            except Exception:  # noqa: BLE001 - an unparseable robots.txt allows everything
                self._robots_parsed[origin] = None
        return self._robots_parsed[origin]

    def _apply_robots(self, origin: str, entry: CachedRobots) -> None:
        """Crawl-delay / Request-rate lengthen the host's interval (up to max_crawl_delay)."""
        if entry.status != 200:
            return
        parsed = self._parsed(origin, entry)
        if parsed is None:
            return
        agent = self.policy.robots_agent
        delay = parsed.crawl_delay(agent) or 0.0
        rate = parsed.request_rate(agent)
        if rate and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        gate = self.gate(origin.split("://", 1)[1])
        gate.interval = max(self.policy.per_host_interval, min(delay, self.policy.max_crawl_delay))

    def _switch_off(self, host: str, reason: str) -> None:
        if host not in self.conditional_off:
            self.conditional_off.add(host)
            self.newly_conditional_off[host] = reason

    async def _fetch(
        self,
        url: str,
        validators: Validators | None,
        robots: bool,
        max_bytes: int | None,
        truncate_ok: bool = False,
    ) -> FetchResult:
        now_iso = datetime.now(UTC).isoformat(timespec="seconds")
        result = FetchResult(url=url, final_url=url, fetched_at=now_iso)
        current = url
        seen = {url}
        for hop in range(self.policy.max_redirects + 1):
            if self._past_deadline():
                return _fail(result, "deadline", DEADLINE_MESSAGE)
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return _fail(result, "bad_url", f"not an http(s) URL: {current}")
            down = self.host_down(current)
            if down:
                return _fail(result, *down)
            if robots:
                verdict = await self.robots_for(current)
                if isinstance(verdict, FetchResult):
                    result.attempts += verdict.attempts
                    return _fail(result, verdict.error or "robots", verdict.message)
                if not self.allowed(current):
                    if verdict.status == 200:
                        return _fail(result, "robots", f"disallowed by robots.txt: {current}")
                    return _fail(
                        result,
                        "robots_unavailable",
                        f"robots.txt of {host_of(current)} unavailable "
                        f"(status {verdict.status or 'none'}): not fetching",
                    )
            headers: dict[str, str] = {}
            send_conditional = (
                hop == 0 and validators is not None and host_of(current) not in self.conditional_off
            )
            if send_conditional:
                if validators.etag:
                    headers["If-None-Match"] = validators.etag
                if validators.last_modified:
                    headers["If-Modified-Since"] = validators.last_modified
                result.conditional = bool(headers)
            try:
                await self._attempts(current, headers, result, max_bytes, truncate_ok)
            except DeadlineReached as exc:
                # No wait (host slot, spacing, backoff, Retry-After) goes past the deadline.
                return _fail(result, "deadline", str(exc))
            if result.status in REDIRECT_CODES and result.error is None:
                location = result.headers.get("location")
                if not location:
                    return _fail(result, f"http_{result.status}", "redirect without Location")
                try:
                    nxt = urljoin(current, location.strip())
                except ValueError:
                    return _fail(result, "bad_redirect", f"bad Location: {location!r}")
                if urlsplit(nxt).scheme not in ("http", "https"):
                    return _fail(result, "bad_redirect", f"redirect to a non-http URL: {nxt}")
                if nxt in seen:
                    return _fail(result, "redirect_loop", f"redirect loop at {nxt}")
                seen.add(nxt)
                result.redirects.append(nxt)
                result.final_url = current = nxt
                result.body = b""
                continue
            return self._finish(result, validators)
        return _fail(
            result, "too_many_redirects", f"more than {self.policy.max_redirects} redirects"
        )

    def _finish(self, result: FetchResult, validators: Validators | None) -> FetchResult:
        if result.error is not None:
            return result
        if result.status == 304:
            result.error = "not_modified"
            result.message = "304 Not Modified"
            return result
        if result.status != 200:
            result.error = f"http_{result.status}"
            result.message = f"HTTP {result.status}"
            return result
        result.body_hash = hashlib.sha256(result.body).hexdigest()
        if validators is not None and validators.body_hash == result.body_hash:
            result.unchanged = True
            if result.conditional and not result.redirects:
                # We sent the validators of this very body and got it again: they do not work.
                self._switch_off(
                    host_of(result.url), "answered 200 with an unchanged body to a conditional GET"
                )
                result.validators_wrong = True
        return result

    async def _attempts(
        self,
        url: str,
        headers: dict[str, str],
        result: FetchResult,
        max_bytes: int | None,
        truncate_ok: bool,
    ) -> None:
        """Send one request with retries; fills ``result`` (status, headers, body, error).

        Raises :class:`DeadlineReached` rather than wait (host slot, spacing, backoff,
        Retry-After) past :attr:`deadline`."""
        p = self.policy
        host = host_of(url)
        gate = self.gate(host)
        limit = max_bytes or p.max_response_bytes
        for attempt in range(1, p.retries + 2):
            result.error, result.message = None, ""
            retry_after: float | None = None
            async with gate.slot(self.deadline):
                result.attempts += 1
                await self._one(url, headers, result, limit, truncate_ok, gate)
                if result.status in (429, 503):
                    retry_after = parse_retry_after(result.headers.get("retry-after"))
                    if retry_after is not None:
                        # The host asked everybody to wait, not only this URL.
                        gate.block_until(time.monotonic() + min(retry_after, p.retry_after_max))
            if result.error == "deadline":
                return
            last = attempt > p.retries
            if result.error in ("dns", "address_refused"):
                self._down[host] = _Down(result.error, result.message)
                return
            if result.error in ("connect", "connect_timeout", "unreachable"):
                if last:
                    self._down[host] = _Down(result.error, result.message)
                    return
                await self._sleep(self._backoff(attempt))
                continue
            if result.error in ("timeout", "protocol"):
                if last:
                    return
                await self._sleep(self._backoff(attempt))
                continue
            if result.error is not None or result.status not in RETRY_CODES:
                return
            # 429/500/502/503/504
            if retry_after is not None and retry_after > p.retry_after_max:
                result.error = "retry_after"
                result.message = (
                    f"HTTP {result.status}: the host asks to wait {retry_after:.0f} s "
                    f"(more than retry_after_max = {p.retry_after_max:g} s); not retried now"
                )
                self._down[host] = _Down("retry_after", result.message)
                return
            if last:
                result.error = f"http_{result.status}"
                result.message = f"HTTP {result.status} after {result.attempts} attempts"
                return
            if retry_after is None:
                await self._sleep(self._backoff(attempt))
            # else: the gate makes the retry (and every other request to the host) wait.

    def _time_left(self) -> float | None:
        """Seconds until :attr:`deadline` (negative once passed), or None without one."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _past_deadline(self) -> bool:
        left = self._time_left()
        return left is not None and left <= 0

    async def _sleep(self, seconds: float) -> None:
        """A backoff wait, refused (:class:`DeadlineReached`) if it would end after the deadline."""
        left = self._time_left()
        if left is not None and seconds >= left:
            raise DeadlineReached(
                f"{DEADLINE_MESSAGE} (a retry wait of {seconds:.1f} s would end after it)"
            )
        await asyncio.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        p = self.policy
        base = min(p.retry_backoff_max, p.retry_backoff * (2 ** (attempt - 1)))
        return base * random.uniform(0.5, 1.0)

    async def _one(
        self,
        url: str,
        headers: dict[str, str],
        result: FetchResult,
        limit: int,
        truncate_ok: bool,
        gate: HostGate,
    ) -> None:
        assert self._client is not None, "use `async with Fetcher(...)`"
        p = self.policy
        left = self._time_left()
        if left is not None and left <= 0:
            result.error, result.message = "deadline", DEADLINE_MESSAGE
            return
        # The run's deadline cuts the request when it comes before the total timeout.
        by_deadline = left is not None and left < p.total_timeout
        budget = p.total_timeout if left is None else min(left, p.total_timeout)
        record = RequestRecord(time.time(), url, None, bool(headers), None)
        self.log.append(record)
        result.status, result.headers, result.body = None, {}, b""

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("send_request_headers.started"):
                gate.sent()

        try:
            async with asyncio.timeout(budget):
                async with self._client.stream(
                    "GET", url, headers=headers, extensions={"trace": trace}
                ) as resp:
                    result.status = resp.status_code
                    result.headers = {k.lower(): v for k, v in resp.headers.items()}
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit and not truncate_ok:
                        result.error = "too_large"
                        result.message = (
                            f"response of {int(declared):,} bytes declared, "
                            f"limit {limit:,}: not downloaded"
                        )
                    elif resp.status_code not in REDIRECT_CODES and resp.status_code != 304:
                        await _read_body(resp, result, limit, truncate_ok)
        except AddressRefused as exc:
            result.error, result.message = "address_refused", str(exc)
        except DNSFailure as exc:
            result.error, result.message = "dns", str(exc)
        except TimeoutError:
            if by_deadline:
                result.error = "deadline"
                result.message = "run time limit reached while fetching: cut off"
                result.body = b""
            else:
                result.error = "timeout"
                result.message = f"no complete response within {p.total_timeout:g} s"
        except httpx.ConnectTimeout:
            result.error = "connect_timeout"
            result.message = f"timed out connecting to {host_of(url)} after {p.connect_timeout:g} s"
        except httpx.ConnectError as exc:
            text = str(exc) or type(exc).__name__
            low = text.lower()
            result.error = "unreachable" if "unreachable" in low else "connect"
            result.message = (
                f"network unreachable ({host_of(url)}: {text})"
                if result.error == "unreachable"
                else f"cannot connect to {host_of(url)} ({text})"
            )
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            result.error = "timeout"
            result.message = f"read timed out after {p.read_timeout:g} s"
        except httpx.DecodingError as exc:
            result.error, result.message = "decoding", f"cannot decode the response body ({exc})"
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            result.error, result.message = "protocol", f"{type(exc).__name__}: {exc}"
        except httpx.HTTPError as exc:
            result.error, result.message = "http_error", f"{type(exc).__name__}: {exc}"
        record.status, record.error = result.status, result.error


def _wire_limit(limit: int) -> int:
    """Most raw (still encoded) bytes read for a body of at most ``limit`` decoded bytes:
    compression never makes honest data much larger, so more means input that decodes
    to little (padding, empty blocks) and only costs time."""
    return limit + limit // 8 + 64 * 1024


async def _read_body(
    resp: httpx.Response, result: FetchResult, limit: int, truncate_ok: bool
) -> None:
    """Read the raw body and decode it here, so that the limit holds on decoded bytes.

    httpx would decode each network chunk whole before we could count it (a 33 KB
    ``gzip, gzip`` body decodes to 20 GB); :class:`BoundedDecoder` stops at ``limit``.
    Over the limit: ``too_large`` with the first ``limit`` bytes, or, with
    ``truncate_ok`` (robots.txt), those bytes and no error. A coding we do not decode,
    or corrupt data: ``decoding``, no body.
    """
    try:
        decoder = BoundedDecoder(
            parse_content_encoding(resp.headers.get("content-encoding")), limit
        )
    except DecodeError as exc:
        result.error, result.message = "decoding", f"cannot decode the response body ({exc})"
        return
    coded = ", ".join(decoder.codings)
    max_wire = _wire_limit(limit)
    body = bytearray()
    wire = 0
    try:
        async for raw in resp.aiter_raw():
            wire += len(raw)
            body += decoder.feed(raw)
            if wire > max_wire:
                if not truncate_ok:
                    result.error = "too_large"
                    result.message = (
                        f"response of more than {max_wire:,} bytes on the wire ({coded}) "
                        f"for at most {limit:,} decoded bytes: cut off"
                    )
                break
        else:
            body += decoder.finish()
    except DecodedTooLarge as exc:
        body += exc.partial
        if not truncate_ok:
            result.error = "too_large"
            if exc.intermediate:
                result.message = f"response too large after decoding ({coded}): {exc}; cut off"
            elif coded:
                result.message = (
                    f"response larger than {limit:,} bytes after decoding ({coded}): cut off"
                )
            else:
                result.message = f"response larger than {limit:,} bytes: cut off"
    except DecodeError as exc:
        result.error, result.message = "decoding", f"cannot decode the response body ({exc})"
        return
    result.body = bytes(body)


def _fail(result: FetchResult, error: str, message: str) -> FetchResult:
    result.error, result.message = error, message
    result.body = b""
    return result
