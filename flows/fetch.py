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
  decoded bytes: the body is read raw and decoded by :mod:`flows.body`, piece
  by piece, so a compression bomb (``Content-Encoding: gzip, gzip``, ``br``, ``zstd``)
  stops at the limit instead of filling memory; only the codings we decode are asked for
  (``Accept-Encoding``), more than two codings or an unknown one is a ``decoding`` error,
  and the raw bytes on the wire are capped too;
- connect, read and total timeouts;
- no connection to loopback, private, link-local or cloud metadata addresses unless
  the configuration allows them: every resolved address is checked when the
  connection is opened (:mod:`flows.netguard`), so neither a redirect nor a DNS
  answer that changes between check and use can reach them; an IPv6 address that embeds
  an IPv4 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is judged by it too;
- a run deadline (:attr:`Fetcher.deadline`, a ``time.monotonic()`` value): once it has
  passed, ``fetch()`` returns at once with ``error="deadline"``; a request in flight is
  cut at it, and no retry, backoff, Retry-After or per-host spacing wait goes past it, so
  hosts that answer slowly cannot keep a run beyond its time limit.

This module ties the parts together (redirects, retries, conditional GET, what each
failure is called); each part lives in its own module: :mod:`flows.netguard` (which
addresses may be connected to), :mod:`flows.pacing` (per-host spacing, Retry-After, the
deadline), :mod:`flows.robots` (robots.txt) and :mod:`flows.body` (bodies within a limit).

No Prefect and no database here: the caller passes validators in and persists what
comes out, so this module can be tested and benchmarked alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from flows.body import read_body
from flows.netguard import AddressGuard, AddressRefused, DNSFailure, GuardedTransport
from flows.outcomes import NETWORK_ERRORS, FetchError, http_error
from flows.pacing import DEADLINE_MESSAGE, DeadlineReached, HostGate, parse_retry_after
from flows.robots import (
    ROBOTS_MAX_BYTES,
    ROBOTS_TTL,
    CachedRobots,
    crawl_delay,
    entry_from_response,
    parse_robots,
)
from parsers.compression import ACCEPT_ENCODING

__all__ = [
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "Validators",
    "host_of",
    # Defined beside this module and used here; callers (the monitor, tests) import them
    # from here too.
    "AddressGuard",
    "CachedRobots",
    "parse_retry_after",
]

#: Error kinds that mean "this machine cannot reach the host" rather than "the host failed".
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 500, 502, 503, 504})


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
    #: None on success; else a :class:`flows.outcomes.FetchError` or ``http_<status>``
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
    #: the body as the server sent it, when that is a content-coding smaller than
    #: ``body`` (flows.body.Body.wire): what the raw archive keeps
    wire_body: bytes | None = None
    wire_coding: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.error == FetchError.NOT_MODIFIED or (self.ok and self.unchanged)

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
            transport=GuardedTransport(self.guard, p.connect_timeout),
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
            and result.error == FetchError.NOT_MODIFIED
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
            entry = entry_from_response(res, cached, now, self.policy.robots_ttl)
            if entry is None:
                return res  # not an answer of the host: nothing to cache
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
            self._robots_parsed[origin] = parse_robots(entry.body)
        return self._robots_parsed[origin]

    def _apply_robots(self, origin: str, entry: CachedRobots) -> None:
        """Crawl-delay / Request-rate lengthen the host's interval (up to max_crawl_delay)."""
        if entry.status != 200:
            return
        parsed = self._parsed(origin, entry)
        if parsed is None:
            return
        delay = crawl_delay(parsed, self.policy.robots_agent)
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
                return _fail(result, FetchError.DEADLINE, DEADLINE_MESSAGE)
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return _fail(result, FetchError.BAD_URL, f"not an http(s) URL: {current}")
            down = self.host_down(current)
            if down:
                return _fail(result, *down)
            if robots:
                verdict = await self.robots_for(current)
                if isinstance(verdict, FetchResult):
                    result.attempts += verdict.attempts
                    return _fail(result, verdict.error or FetchError.ROBOTS, verdict.message)
                if not self.allowed(current):
                    if verdict.status == 200:
                        return _fail(
                            result, FetchError.ROBOTS, f"disallowed by robots.txt: {current}"
                        )
                    return _fail(
                        result,
                        FetchError.ROBOTS_UNAVAILABLE,
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
                return _fail(result, FetchError.DEADLINE, str(exc))
            if result.status in REDIRECT_CODES and result.error is None:
                location = result.headers.get("location")
                if not location:
                    return _fail(result, http_error(result.status), "redirect without Location")
                try:
                    nxt = urljoin(current, location.strip())
                except ValueError:
                    return _fail(result, FetchError.BAD_REDIRECT, f"bad Location: {location!r}")
                if urlsplit(nxt).scheme not in ("http", "https"):
                    return _fail(
                        result, FetchError.BAD_REDIRECT, f"redirect to a non-http URL: {nxt}"
                    )
                if nxt in seen:
                    return _fail(result, FetchError.REDIRECT_LOOP, f"redirect loop at {nxt}")
                seen.add(nxt)
                result.redirects.append(nxt)
                result.final_url = current = nxt
                result.body, result.wire_body = b"", None
                continue
            return self._finish(result, validators)
        return _fail(
            result, "too_many_redirects", f"more than {self.policy.max_redirects} redirects"
        )

    def _finish(self, result: FetchResult, validators: Validators | None) -> FetchResult:
        if result.error is not None:
            return result
        if result.status == 304:
            result.error = FetchError.NOT_MODIFIED
            result.message = "304 Not Modified"
            return result
        if result.status != 200:
            result.error = http_error(result.status)
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
            if result.error == FetchError.DEADLINE:
                return
            last = attempt > p.retries
            if result.error in (FetchError.DNS, FetchError.ADDRESS_REFUSED):
                self._down[host] = _Down(result.error, result.message)
                return
            if result.error in (
                FetchError.CONNECT,
                FetchError.CONNECT_TIMEOUT,
                FetchError.UNREACHABLE,
            ):
                if last:
                    self._down[host] = _Down(result.error, result.message)
                    return
                await self._sleep(self._backoff(attempt))
                continue
            if result.error in (FetchError.TIMEOUT, FetchError.PROTOCOL):
                if last:
                    return
                await self._sleep(self._backoff(attempt))
                continue
            if result.error is not None or result.status not in RETRY_CODES:
                return
            # 429/500/502/503/504
            if retry_after is not None and retry_after > p.retry_after_max:
                result.error = FetchError.RETRY_AFTER
                result.message = (
                    f"HTTP {result.status}: the host asks to wait {retry_after:.0f} s "
                    f"(more than retry_after_max = {p.retry_after_max:g} s); not retried now"
                )
                self._down[host] = _Down(FetchError.RETRY_AFTER, result.message)
                return
            if last:
                result.error = http_error(result.status)
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
            result.error, result.message = FetchError.DEADLINE, DEADLINE_MESSAGE
            return
        # The run's deadline cuts the request when it comes before the total timeout.
        by_deadline = left is not None and left < p.total_timeout
        budget = p.total_timeout if left is None else min(left, p.total_timeout)
        record = RequestRecord(time.time(), url, None, bool(headers), None)
        self.log.append(record)
        result.status, result.headers, result.body = None, {}, b""
        result.wire_body, result.wire_coding = None, ""

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
                        result.error = FetchError.TOO_LARGE
                        result.message = (
                            f"response of {int(declared):,} bytes declared, "
                            f"limit {limit:,}: not downloaded"
                        )
                    elif resp.status_code not in REDIRECT_CODES and resp.status_code != 304:
                        body = await read_body(resp, limit, truncate_ok)
                        result.body = body.data
                        result.wire_body, result.wire_coding = body.wire, body.coding
                        if body.error:
                            result.error, result.message = body.error, body.message
        except AddressRefused as exc:
            result.error, result.message = FetchError.ADDRESS_REFUSED, str(exc)
        except DNSFailure as exc:
            result.error, result.message = FetchError.DNS, str(exc)
        except TimeoutError:
            if by_deadline:
                result.error = FetchError.DEADLINE
                result.message = "run time limit reached while fetching: cut off"
                result.body, result.wire_body = b"", None
            else:
                result.error = FetchError.TIMEOUT
                result.message = f"no complete response within {p.total_timeout:g} s"
        except httpx.ConnectTimeout:
            result.error = FetchError.CONNECT_TIMEOUT
            result.message = f"timed out connecting to {host_of(url)} after {p.connect_timeout:g} s"
        except httpx.ConnectError as exc:
            text = str(exc) or type(exc).__name__
            low = text.lower()
            result.error = FetchError.UNREACHABLE if "unreachable" in low else FetchError.CONNECT
            result.message = (
                f"network unreachable ({host_of(url)}: {text})"
                if result.error == FetchError.UNREACHABLE
                else f"cannot connect to {host_of(url)} ({text})"
            )
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            result.error = FetchError.TIMEOUT
            result.message = f"read timed out after {p.read_timeout:g} s"
        except httpx.DecodingError as exc:
            result.error, result.message = (
                FetchError.DECODING,
                f"cannot decode the response body ({exc})",
            )
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            result.error, result.message = FetchError.PROTOCOL, f"{type(exc).__name__}: {exc}"
        except httpx.HTTPError as exc:
            result.error, result.message = FetchError.HTTP, f"{type(exc).__name__}: {exc}"
        record.status, record.error = result.status, result.error


def _fail(result: FetchResult, error: str, message: str) -> FetchResult:
    result.error, result.message = error, message
    result.body, result.wire_body = b"", None
    return result
