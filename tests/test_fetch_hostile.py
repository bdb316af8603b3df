"""The fetcher against hostile servers on 127.0.0.1: compression bombs, broken or refused
content-codings, addresses that smuggle an IPv4 address inside IPv6, hosts that answer
slowly enough to hold a run past its time limit. Real HTTP, nothing mocked; every bomb
is made at run time, streaming, so that no test holds the decoded bytes either.
"""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.fetch import ROBOTS_MAX_BYTES, AddressGuard, CachedRobots, Fetcher, FetchPolicy
from parsers.compression import (
    ACCEPT_ENCODING,
    BoundedDecoder,
    DecodedTooLarge,
    DecodeError,
    decode_bounded,
)

UA = "newsmon-test/0.1 (+https://github.com/newsmon/newsmon)"
MB = 1024 * 1024
#: Python memory a fetch may use with a 1 MB limit: the body and its copy, httpx, asyncio
#: (about 4 MB is seen; before the fix, these bombs took 630 MB).
PEAK_BUDGET = 16 * MB


# --------------------------------------------------------------------------- the server
@dataclass
class Route:
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    #: send Content-Length (else the body ends when the connection closes)
    length: bool = True
    #: instead of a body: called with the handler, writes what it likes
    writer: Callable[[BaseHTTPRequestHandler], None] | None = None


class Server:
    """A threaded HTTP/1.0 server: ``routes[path] = Route(...)``; 404 elsewhere."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[float, str, dict[str, str]]] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.hits.append((time.monotonic(), self.path, dict(self.headers.items())))
                route = server.routes.get(self.path)
                try:
                    if route is None:
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(route.status)
                    for k, v in route.headers.items():
                        self.send_header(k, v)
                    if route.writer is None and route.length:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if route.writer is not None:
                        route.writer(self)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher stopped reading, as it should

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.hits]


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    try:
        yield s
    finally:
        s.stop.set()
        s.httpd.shutdown()
        s.httpd.server_close()


def policy(**kw: object) -> FetchPolicy:
    base: dict[str, object] = dict(
        user_agent=UA,
        per_host_interval=0.0,
        allow_addresses=("127.0.0.0/8",),
        retries=0,
        retry_backoff=0.05,
        connect_timeout=2.0,
        read_timeout=5.0,
        total_timeout=10.0,
        max_response_bytes=MB,
    )
    base.update(kw)
    return FetchPolicy(**base)  # type: ignore[arg-type]


def fetch(pol: FetchPolicy, urls: list[str], **kw: object) -> tuple[list, int]:
    """Fetch the URLs (robots.txt not asked); returns the results and the peak of Python
    memory allocated while fetching (tracemalloc), beyond what was there before.

    Measured inside the event loop: asyncio.run() may repr() the results when it ends,
    which would count the bodies several times over.
    """

    async def go() -> tuple[list, int]:
        async with Fetcher(pol) as f:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            results = await asyncio.gather(*(f.fetch(u, robots=False, **kw) for u in urls))
            return list(results), tracemalloc.get_traced_memory()[1] - base

    tracemalloc.start()
    try:
        return asyncio.run(go())
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- encoders
ZEROS = bytes(MB)


def gzip_stream(pieces: Iterator[bytes], level: int = 1) -> bytes:
    co = zlib.compressobj(level, zlib.DEFLATED, 31)
    return b"".join([co.compress(p) for p in pieces] + [co.flush()])


def zeros(megabytes: int) -> Iterator[bytes]:
    return (ZEROS for _ in range(megabytes))


def encode(data: bytes, coding: str) -> bytes:
    """One content-coding; "deflate-raw" is raw deflate sent as ``deflate``."""
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data, compresslevel=5)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "deflate-raw":
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        return co.compress(data) + co.flush()
    if coding == "br":
        return brotli.compress(data, quality=4)
    if coding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(data)
    assert coding == "identity"
    return data


def encode_chain(data: bytes, chain: list[str]) -> tuple[bytes, str]:
    """Apply the codings in header order; returns the body and its Content-Encoding."""
    for coding in chain:
        data = encode(data, coding)
    return data, ", ".join("deflate" if c == "deflate-raw" else c for c in chain)


# --------------------------------------------------------------------------- bombs
def test_gzip_gzip_bomb_stops_at_the_limit_after_decoding(server):
    inner = gzip_stream(zeros(300))  # 300 MB of zeros: 1.4 MB
    bomb = gzip_stream(iter([inner]), level=9)  # ... and a few KB
    assert len(bomb) < 20_000
    server.routes["/bomb"] = Route(bomb, {"Content-Encoding": "gzip, gzip"})
    (res,), peak = fetch(policy(), [server.url("/bomb")])
    assert res.error == "too_large", res.message
    assert "after decoding" in res.message and "gzip, gzip" in res.message
    assert res.body == bytes(MB)
    assert peak < PEAK_BUDGET, f"{peak:,} bytes"


def test_brotli_bomb_stops_at_the_limit(server):
    c = brotli.Compressor(quality=5)
    bomb = b"".join([c.process(z) for z in zeros(300)] + [c.finish()])
    server.routes["/bomb.br"] = Route(bomb, {"Content-Encoding": "br"})
    (res,), peak = fetch(policy(), [server.url("/bomb.br")])
    assert res.error == "too_large" and "after decoding (br)" in res.message
    assert len(res.body) == MB
    assert peak < PEAK_BUDGET, f"{peak:,} bytes"


def test_zstd_bomb_stops_at_the_limit(server):
    co = zstandard.ZstdCompressor(level=1).compressobj()
    bomb = b"".join([co.compress(z) for z in zeros(300)] + [co.flush()])
    server.routes["/bomb.zst"] = Route(bomb, {"Content-Encoding": "zstd"})
    (res,), peak = fetch(policy(), [server.url("/bomb.zst")])
    assert res.error == "too_large" and "after decoding (zstd)" in res.message
    assert len(res.body) == MB
    assert peak < PEAK_BUDGET, f"{peak:,} bytes"


def test_robots_txt_bomb_keeps_the_first_bytes_without_error(server):
    head = b"User-agent: *\nDisallow: /private/\n"
    filler = b"# " + b"-" * (MB - 3) + b"\n"
    inner = gzip_stream(iter([head] + [filler] * 100))  # 100 MB of robots.txt
    server.routes["/robots.txt"] = Route(
        gzip_stream(iter([inner])), {"Content-Encoding": "gzip, gzip"}
    )
    expected = (head + filler)[:ROBOTS_MAX_BYTES].decode()

    async def go() -> tuple[CachedRobots | object, bool | None, int]:
        async with Fetcher(policy()) as f:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            entry = await f.robots_for(server.url("/"))
            peak = tracemalloc.get_traced_memory()[1] - base
            return entry, f.allowed(server.url("/private/x.html")), peak

    tracemalloc.start()
    try:
        entry, allowed, peak = asyncio.run(go())
    finally:
        tracemalloc.stop()
    assert isinstance(entry, CachedRobots) and entry.status == 200
    assert entry.body == expected  # exactly the first ROBOTS_MAX_BYTES decoded bytes
    assert allowed is False
    assert peak < PEAK_BUDGET, f"{peak:,} bytes"


def test_raw_bytes_on_the_wire_are_capped_too(server):
    # A gzip member of empty stored blocks: 2 MB on the wire, nothing decoded; sent
    # without Content-Length, so only the raw count can stop it.
    empty_blocks = b"\x00\x00\x00\xff\xff" * 400_000 + b"\x01\x00\x00\xff\xff"
    body = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + empty_blocks + bytes(8)
    assert gzip.decompress(body) == b""
    server.routes["/padding"] = Route(body, {"Content-Encoding": "gzip"}, length=False)
    (res,), _ = fetch(policy(), [server.url("/padding")])
    assert res.error == "too_large" and "on the wire" in res.message


def test_inner_layer_that_decodes_to_nothing_is_stopped(server):
    # "deflate, gzip" whose inner (deflate) layer is 4 MB of empty stored blocks: a few KB
    # on the wire, nothing decoded, but the outer layer's output is capped too.
    inner = b"\x00\x00\x00\xff\xff" * 800_000 + b"\x01\x00\x00\xff\xff"
    server.routes["/empty"] = Route(
        gzip_stream(iter([inner]), 9), {"Content-Encoding": "deflate, gzip"}
    )
    # ... and 30,000 empty gzip members: refused for their number, not read one by one.
    server.routes["/members"] = Route(gzip.compress(b"") * 30_000, {"Content-Encoding": "gzip"})
    (res, members), _ = fetch(policy(), [server.url("/empty"), server.url("/members")])
    assert res.error == "too_large" and "inner stage" in res.message, res.message
    assert members.error == "decoding" and "too many members" in members.message


# --------------------------------------------------------------------------- codings
def test_refused_or_corrupt_codings_are_decoding_errors(server):
    page = b"<html>" + b"news " * 1000 + b"</html>"
    good = gzip.compress(page)
    server.routes["/three"] = Route(
        gzip.compress(gzip.compress(good)), {"Content-Encoding": "gzip, gzip, gzip"}
    )
    server.routes["/unknown"] = Route(page, {"Content-Encoding": "snappy"})
    server.routes["/corrupt.gz"] = Route(
        good[:20] + bytes(reversed(good[20:])), {"Content-Encoding": "gzip"}
    )
    server.routes["/cut.zst"] = Route(
        zstandard.ZstdCompressor().compress(page)[:-6], {"Content-Encoding": "zstd"}
    )
    server.routes["/garbage.br"] = Route(b"\xff" * 100 + page, {"Content-Encoding": "br"})
    paths = ["/three", "/unknown", "/corrupt.gz", "/cut.zst", "/garbage.br"]
    results, _ = fetch(policy(), [server.url(p) for p in paths])
    for path, res in zip(paths, results, strict=True):
        assert res.error == "decoding", (path, res.error, res.message)
        assert res.message.startswith("cannot decode the response body"), res.message
        assert res.body == b"" and res.status == 200
    assert "more than 2" in results[0].message
    assert "snappy" in results[1].message


def test_every_supported_coding_decodes_exactly(server):
    page = ("<!DOCTYPE html><p>Ünïcode news, " + "repeated words " * 2000 + "</p>").encode()
    chains = [
        ["gzip"],
        ["x-gzip"],
        ["deflate"],
        ["deflate-raw"],
        ["br"],
        ["zstd"],
        ["identity"],
        ["gzip", "br"],
        ["deflate-raw", "zstd"],
    ]
    for i, chain in enumerate(chains):
        body, header = encode_chain(page, chain)
        server.routes[f"/{i}"] = Route(body, {"Content-Encoding": header})
    results, _ = fetch(policy(), [server.url(f"/{i}") for i in range(len(chains))])
    for chain, res in zip(chains, results, strict=True):
        assert res.ok, (chain, res.error, res.message)
        assert res.body == page, chain
    asked = {h.get("Accept-Encoding") for _, _, h in server.hits}
    assert asked == {ACCEPT_ENCODING} == {"gzip, deflate, br, zstd"}


# --------------------------------------------------------------------------- the guard
def test_address_guard_judges_ipv4_embedded_in_ipv6():
    strict = AddressGuard()
    loose = AddressGuard(allow_private=True)
    listed = AddressGuard(allow=["127.0.0.0/8"])
    metadata = [
        "64:ff9b::a9fe:a9fe",  # NAT64
        "::a9fe:a9fe",  # IPv4-compatible
        "2002:a9fe:a9fe::1",  # 6to4
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo, client 169.254.169.254
        "::ffff:169.254.169.254",
    ]
    for address in metadata:
        for guard in (strict, loose, listed):
            assert guard.refusal(address) == "cloud metadata", address
    for address in ("64:ff9b::7f00:1", "::7f00:1", "2002:7f00:1::1", "::ffff:127.0.0.1"):
        assert strict.refusal(address) == "loopback", address
        assert loose.refusal(address) is None, address
        assert listed.refusal(address) is None, address
    for address in ("64:ff9b::a00:1", "2002:c0a8:101::1", "::c0a8:101"):
        assert strict.refusal(address) == "private", address
        assert listed.refusal(address) == "private", address
        assert loose.refusal(address) is None, address
    assert strict.refusal("64:ff9b::a9fe:101") == "link-local"
    # Local-use NAT64 is a private prefix, whatever it embeds.
    assert strict.refusal("64:ff9b:1::808:808") == "private"
    assert loose.refusal("64:ff9b:1::808:808") is None
    # A NAT64 / 6to4 / mapped form of a global IPv4 address is global.
    for address in ("64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "::808:808"):
        assert strict.refusal(address) is None, address
    # Teredo must pass as itself too (2001::/32 is not global), as before.
    assert strict.refusal("2001:0:4136:e378:8000:63bf:f7f7:f7f7") is not None
    assert loose.refusal("2001:0:4136:e378:8000:63bf:f7f7:f7f7") is None
    # Plain IPv6 is unchanged.
    assert strict.refusal("::1") == "loopback" and strict.refusal("::") == "non-routable"
    assert strict.refusal("2606:4700::1111") is None


# --------------------------------------------------------------------------- deadline
def _trickle(stop: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    def write(handler: BaseHTTPRequestHandler) -> None:
        while not stop.is_set():
            handler.wfile.write(b"x")
            handler.wfile.flush()
            stop.wait(1.0)

    return write


def test_deadline_cuts_slow_hosts_and_later_fetches(server):
    stop = server.stop
    for i in range(6):
        server.routes[f"/slow/{i}"] = Route(
            headers={"Content-Length": "1000000"}, writer=_trickle(stop)
        )
    pol = policy(total_timeout=60.0, read_timeout=10.0, retries=2, per_host_concurrency=1)
    urls = [server.url(f"/slow/{i}") for i in range(6)]

    async def go():
        async with Fetcher(pol, deadline=time.monotonic() + 2.0) as f:
            started = time.monotonic()
            results = await asyncio.gather(*(f.fetch(u) for u in urls))
            elapsed = time.monotonic() - started
            hits = len(server.hits)
            started = time.monotonic()
            late = await f.fetch(server.url("/slow/0"))
            late_elapsed = time.monotonic() - started
            return results, elapsed, hits, late, late_elapsed

    results, elapsed, hits, late, late_elapsed = asyncio.run(go())
    assert [r.error for r in results] == ["deadline"] * 6, [r.message for r in results]
    assert all("run time limit" in r.message for r in results)
    assert elapsed < 15.0  # ~2 s; without a deadline: 6 x 3 attempts x 60 s
    assert late.error == "deadline" and late.message == "run time limit reached: not fetched"
    assert late.attempts == 0 and late_elapsed < 1.0
    assert len(server.hits) == hits  # the late fetch sent nothing


def test_retry_waits_never_pass_the_deadline(server):
    server.routes["/busy"] = Route(b"busy", {"Retry-After": "30"}, status=503)
    server.routes["/error"] = Route(b"oops", status=500)
    pol = policy(retries=3, retry_backoff=20.0, retry_after_max=120.0)

    async def go(path: str):
        async with Fetcher(pol) as f:
            f.deadline = time.monotonic() + 3.0  # settable, as the flow does
            started = time.monotonic()
            res = await f.fetch(server.url(path))
            return res, time.monotonic() - started

    for path in ("/busy", "/error"):  # a 30 s Retry-After; a 10-20 s backoff
        res, elapsed = asyncio.run(go(path))
        assert res.error == "deadline" and res.attempts == 1, (path, res.error, res.message)
        assert "would end after it" in res.message or "ends after it" in res.message
        assert elapsed < 2.5, path  # returned at once instead of waiting
    assert server.paths() == ["/robots.txt", "/busy", "/robots.txt", "/error"]


# --------------------------------------------------------------------------- properties
CODINGS = ["gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd", "identity"]
payloads = st.one_of(
    st.binary(max_size=5000),
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=40), st.integers(1, 800)),
)
chains = st.lists(st.sampled_from(CODINGS), max_size=2)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads, chain=chains, limit=st.integers(0, 12_000), data=st.data())
def test_decode_bounded_round_trips_or_refuses(payload, chain, limit, data):
    body, header = encode_chain(payload, chain)
    if len(payload) <= limit:
        assert decode_bounded(body, header, limit) == payload
    else:
        with pytest.raises(DecodedTooLarge) as info:
            decode_bounded(body, header, limit)
        assert info.value.partial == payload[:limit] and not info.value.intermediate
    assert decode_bounded(body, header, limit, truncate_ok=True) == payload[:limit]
    # Fed in any pieces, the decoder gives the same bytes.
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=6)))
    dec = BoundedDecoder(header, len(payload))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert b"".join(dec.feed(p) for p in pieces) + dec.finish() == payload


prefixes = st.sampled_from(
    [b"", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", b"\x78\x9c", b"\x28\xb5\x2f\xfd", b"\x0b"]
)


@settings(max_examples=200, deadline=None)
@given(
    prefix=prefixes,
    garbage=st.binary(max_size=3000),
    chain=st.lists(st.sampled_from(CODINGS[:-1]), min_size=1, max_size=2),
    limit=st.integers(0, 100_000),
    truncate_ok=st.booleans(),
)
def test_decode_bounded_on_garbage_raises_only_its_own_errors(
    prefix, garbage, chain, limit, truncate_ok
):
    _, header = encode_chain(b"", chain)
    try:
        out = decode_bounded(prefix + garbage, header, limit, truncate_ok=truncate_ok)
    except DecodeError:
        return
    assert len(out) <= limit


@settings(max_examples=100, deadline=None)
@given(payload=st.binary(min_size=1, max_size=3000), chain=chains, where=st.data())
def test_decode_bounded_on_damaged_data_raises_only_its_own_errors(payload, chain, where):
    body, header = encode_chain(payload, chain)
    if not body:
        return
    i = where.draw(st.integers(0, len(body) - 1))
    damaged = [body[:i], body[:i] + bytes([body[i] ^ 0x5A]) + body[i + 1 :]]
    for candidate in damaged:
        try:
            decode_bounded(candidate, header, 10_000)
        except DecodeError:
            pass


def test_only_honestly_compressed_bytes_are_kept_for_the_archive(server):
    """Bytes on the wire are kept beside the page only while smaller than what they
    decode to: padding (empty deflate blocks) or a cut-off body is not kept twice."""
    page = b"<html>" + b"news " * 20_000 + b"</html>"
    server.routes["/page"] = Route(gzip.compress(page), {"Content-Encoding": "gzip"})
    padding = b"\x00\x00\x00\xff\xff" * 100_000
    deflate = zlib.compressobj(wbits=-15)
    padded = padding + deflate.compress(b"<p>short</p>") + deflate.flush()
    server.routes["/padded"] = Route(padded, {"Content-Encoding": "deflate"})
    (good, bad), _ = fetch(policy(), [server.url("/page"), server.url("/padded")])
    assert good.ok and good.wire_body == gzip.compress(page) and good.wire_coding == "gzip"
    assert bad.ok and bad.body == b"<p>short</p>" and bad.wire_body is None
    (cut,), _ = fetch(policy(max_response_bytes=len(page) // 2), [server.url("/page")])
    assert cut.error == "too_large" and cut.wire_body is None
