"""Which addresses newsmon may connect to, checked when each connection is opened.

:class:`AddressGuard` decides: no loopback, private, link-local or non-routable address
unless the configuration allows it, and never a cloud metadata address; an IPv6 address
that embeds an IPv4 one (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is judged by that
address too. :class:`GuardedBackend` resolves host names itself and checks every address
before connecting, so neither a redirect nor a DNS answer that changes between check and use
gets past it; :class:`GuardedTransport` is the httpx transport that connects through it.
:class:`AddressRefused` and :class:`DNSFailure` are what a refused or unresolvable host
raises through httpx.

No Prefect, no database, no fetching policy (robots.txt, retries, limits: flows.fetch):
only the addresses, so the guard can be tested on its own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = [
    "METADATA_ADDRESSES",
    "AddressGuard",
    "AddressRefused",
    "DNSFailure",
    "GuardedBackend",
    "GuardedTransport",
    "embedded_ipv4",
]

#: Cloud metadata endpoints: never fetched, even when private addresses are allowed.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
#: IPv6 ranges that carry an IPv4 address (judged by that address; see AddressGuard).
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
TEREDO = ipaddress.ip_network("2001::/32")


class AddressRefused(Exception):
    """A connection the guard refused: ``reason`` says what kind of address it was."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        super().__init__(f"refused to connect to {host} ({address}: {reason} address)")


class DNSFailure(Exception):
    """The host name did not resolve (or not in time)."""

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


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, whose connection pool opens connections through the guard.

    httpx offers no public hook for the network backend, so the pool it built is replaced
    by one built the same way with :class:`GuardedBackend` (httpcore's public API). If an
    httpx upgrade changed that attribute, tests/test_fetch.py's loopback-refusal test fails.
    Proxies from the environment are not used (``trust_env=False``): the guard must see
    the real destination. ``dns_timeout``: seconds a name lookup may take (the fetcher
    passes its connect timeout).
    """

    def __init__(self, guard: AddressGuard, dns_timeout: float) -> None:
        super().__init__(retries=0, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=None,
            max_keepalive_connections=64,
            keepalive_expiry=15.0,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(guard, dns_timeout=dns_timeout),
        )
