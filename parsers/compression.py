"""Incremental, bounded decoding of HTTP content-codings (RFC 9110 8.4.1).

Why this exists: a decoder that turns a whole network chunk into bytes before anybody
checks the size lets a few kilobytes on the wire become gigabytes in memory (a
"decompression bomb": ``Content-Encoding: gzip, gzip`` of zeros is ~1,000,000:1). Here
every stage of the chain hands its output on in small pieces (:data:`CHUNK_SIZE`), and
the last stage stops the moment the decoded total passes ``limit``; so, whatever the
input, no stage produces more than ``limit`` + one piece before decoding stops (the
bytes returned are that output, copied once into a ``bytes``).

Supported codings: ``gzip`` (and its alias ``x-gzip``; concatenated members are read,
bytes after the last member that do not start a new one are ignored, as httpx did),
``deflate`` (zlib-wrapped, as the RFC says, or raw deflate, as many servers send and
browsers accept: told apart by the zlib header), ``br`` (needs ``brotli`` >= 1.2, whose
``process`` takes an output limit), ``zstd`` (window limited to 8 MiB, as RFC 9659 lets a
decoder do, so a hostile frame cannot make the decoder allocate up to 128 MiB) and
``identity``. At most :data:`MAX_CODINGS` codings other than ``identity`` are decoded:
a server has no honest reason for more, and each layer multiplies the expansion.

A compressed stream that ends before its end marker is :class:`CorruptData`: on the
web a cut body is almost always a broken transfer, and a half page must not be stored
as if whole. An empty body is not an error (servers send ``Content-Encoding: gzip``
with empty 204/304-like bodies).

Worst case of output held at once, per coding, beyond ``limit`` (``CHUNK_SIZE`` = 64 KiB):

- gzip/deflate: zlib's ``max_length`` is exact: one piece of at most 64 KiB;
- br: ``output_buffer_limit`` is honoured at the granularity of brotli's growing output
  blocks (32 KiB, then 64 KiB, 128 KiB ...: the buffer stops growing once it reaches
  the limit), so one piece is below 2 x 64 KiB + 32 KiB = 160 KiB (98,272 bytes seen
  with brotli 1.2.1);
- zstd: ``stream_writer(write_size=64 KiB)`` hands each 64 KiB to us as it is decoded:
  one piece of at most 64 KiB.

Besides, the C libraries keep their windows: 32 KiB (zlib), up to 16 MiB (brotli), up to
8 MiB (zstd, bounded here). Input that decodes to nothing is bounded as well, since it
costs time (decoding runs in the caller's event loop): a chain stage's total output is
capped at :func:`intermediate_limit` (a compressed stream is never much larger than what
it decodes to), and gzip members or zstd frames and blocks, which cost Python work each,
may number at most 1024 + one per 64 decoded bytes (:class:`CorruptData` beyond).

Pure library: no network, no database, no Prefect.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import brotli
import zstandard

__all__ = [
    "ACCEPT_ENCODING",
    "CHUNK_SIZE",
    "MAX_CODINGS",
    "SUPPORTED_CODINGS",
    "BoundedDecoder",
    "CorruptData",
    "DecodeError",
    "DecodedTooLarge",
    "UnsupportedCoding",
    "decode_bounded",
    "intermediate_limit",
    "parse_content_encoding",
]

#: Output handed from one stage to the next (and to the caller) in pieces of at most this.
CHUNK_SIZE = 64 * 1024
#: Codings other than ``identity`` decoded in one chain; more is refused.
MAX_CODINGS = 2
#: RFC 9659: a zstd content-coding decoder may refuse windows above 8 MiB (browsers do).
ZSTD_MAX_WINDOW = 8 * 1024 * 1024


def _brotli_has_output_limit() -> bool:
    """brotli < 1.2 has no ``output_buffer_limit``: then one call can return gigabytes."""
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except TypeError:
        return False
    return True


_BROTLI_BOUNDED = _brotli_has_output_limit()

#: Codings this module decodes (``x-gzip`` is an alias of ``gzip``, RFC 9110 8.4.1.3).
SUPPORTED_CODINGS: frozenset[str] = frozenset(
    {"identity", "gzip", "x-gzip", "deflate", "zstd"} | ({"br"} if _BROTLI_BOUNDED else set())
)
#: The ``Accept-Encoding`` request header: exactly the codings decoded here.
ACCEPT_ENCODING = "gzip, deflate, br, zstd" if _BROTLI_BOUNDED else "gzip, deflate, zstd"


class DecodeError(Exception):
    """Base class of every error this module raises for bad input or a refused chain."""


class UnsupportedCoding(DecodeError):
    """A coding we do not decode, or a chain of more than :data:`MAX_CODINGS` codings."""


class CorruptData(DecodeError):
    """The data is not valid for its coding, or ends before its end marker."""


class DecodedTooLarge(DecodeError):
    """Decoding passed the limit; decoding stopped there.

    ``partial`` holds the output of the failing :meth:`BoundedDecoder.feed` call up to
    the limit (never returned otherwise), so output returned before + ``partial`` is the
    first ``limit`` decoded bytes when ``intermediate`` is False. ``intermediate`` is True
    when an inner stage of a chain produced more than :func:`intermediate_limit` (the
    decoded total may then be below ``limit``).
    """

    def __init__(self, limit: int, partial: bytes = b"", *, intermediate: bool = False) -> None:
        self.limit = limit
        self.partial = partial
        self.intermediate = intermediate
        if intermediate:
            super().__init__(
                f"an inner stage of the coding chain produced more than "
                f"{intermediate_limit(limit):,} bytes (decoded limit {limit:,})"
            )
        else:
            super().__init__(f"decoded data larger than the limit of {limit:,} bytes")


def parse_content_encoding(header: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` header, in header (= application) order,
    lower-cased, empty items dropped. Validation is :class:`BoundedDecoder`'s job."""
    if not header:
        return []
    return [c.strip().lower() for c in header.split(",") if c.strip()]


def intermediate_limit(limit: int) -> int:
    """Most output an inner stage of a chain may produce: a compressed stream is never much
    larger than its decoded form (deflate stored blocks add 5 bytes per 64 KiB, zstd raw
    blocks 3 per 128 KiB), so twice the limit plus slack stops only hostile input."""
    return 2 * limit + 4 * CHUNK_SIZE


def _structure_budget(produced: int) -> int:
    """How many gzip members, or zstd frames and blocks, a stage may read for the output it
    produced: honest streams carry far more than 64 bytes per member or block, while
    thousands of empty ones cost Python time per item and decode to nothing."""
    return 1024 + produced // 64


def _normalise(codings: str | Sequence[str]) -> list[str]:
    items = parse_content_encoding(codings) if isinstance(codings, str) else list(codings)
    out: list[str] = []
    for raw in items:
        c = raw.strip().lower()
        if c not in SUPPORTED_CODINGS:
            if c == "br":
                raise UnsupportedCoding("coding 'br' needs brotli >= 1.2 (bounded output)")
            raise UnsupportedCoding(f"unsupported content-coding {raw!r}")
        if c == "identity":
            continue
        out.append("gzip" if c == "x-gzip" else c)
    if len(out) > MAX_CODINGS:
        raise UnsupportedCoding(
            f"{len(out)} content-codings ({', '.join(out)}): more than {MAX_CODINGS} refused"
        )
    return out


Emit = Callable[[bytes], None]


class _Stage:
    """One coding: takes its input in any pieces, emits output in pieces <= the chunk size."""

    name = ""

    def feed(self, data: bytes, emit: Emit) -> None:
        raise NotImplementedError

    def finish(self, emit: Emit) -> None:
        raise NotImplementedError


class _ZlibStage(_Stage):
    """gzip (wbits 31) or deflate (zlib, wbits 15, or raw, wbits -15: decided on 2 bytes)."""

    def __init__(self, name: str, chunk: int) -> None:
        self.name = name
        self._chunk = chunk
        self._d: zlib._Decompress | None = None
        self._head = b""  # bytes waiting for a decision (deflate header, next gzip member)
        self._seen = False
        self._members = 0  # complete gzip members / deflate streams
        self._produced = 0
        self._ignoring = False  # after the end: the rest is ignored

    @staticmethod
    def _is_zlib_header(b0: int, b1: int) -> bool:
        # RFC 1950: CM = 8, CINFO <= 7, FCHECK makes the pair a multiple of 31, no FDICT.
        return b0 & 0x0F == 8 and b0 >> 4 <= 7 and ((b0 << 8) | b1) % 31 == 0 and not b1 & 0x20

    def feed(self, data: bytes, emit: Emit) -> None:
        if not data:
            return
        self._seen = True
        while data and not self._ignoring:
            if self._d is None:
                data = self._head + data
                if len(data) < 2:
                    self._head = data
                    return
                self._head = b""
                if self.name == "gzip":
                    if self._members and data[:2] != b"\x1f\x8b":
                        self._ignoring = True  # trailing bytes that start no new member
                        return
                    wbits = 31
                else:
                    if self._members:
                        self._ignoring = True
                        return
                    wbits = 15 if self._is_zlib_header(data[0], data[1]) else -15
                self._d = zlib.decompressobj(wbits)
            data = self._run(data, emit)

    def _run(self, data: bytes, emit: Emit) -> bytes:
        """Decode until ``data`` is used up or a stream ends; returns bytes after the end."""
        d = self._d
        assert d is not None
        while True:
            try:
                out = d.decompress(data, self._chunk)
            except zlib.error as exc:
                raise CorruptData(f"{self.name}: {exc}") from None
            if out:
                self._produced += len(out)
                emit(out)
            if d.eof:
                self._members += 1
                if self._members > _structure_budget(self._produced):
                    raise CorruptData(f"{self.name}: too many members for the data they hold")
                self._d = None
                return d.unused_data
            data = d.unconsumed_tail
            if not data and len(out) < self._chunk:
                return b""

    def finish(self, emit: Emit) -> None:
        if not self._seen or self._ignoring:
            return
        if self._d is not None:
            # feed() drained all the output it could: an open stream here is a cut one.
            raise CorruptData(f"{self.name}: data ends before the end of the compressed stream")
        if not self._members:
            raise CorruptData(f"{self.name}: data too short")
        # else: between gzip members with < 2 trailing bytes: ignored like other trailing bytes


class _BrotliStage(_Stage):
    name = "br"

    def __init__(self, chunk: int) -> None:
        self._chunk = chunk
        self._d = brotli.Decompressor()
        self._seen = False

    def _process(self, data: bytes) -> bytes:
        try:
            return self._d.process(data, output_buffer_limit=self._chunk)
        except brotli.error as exc:
            raise CorruptData(f"br: {exc}") from None

    def _drain(self, emit: Emit) -> None:
        """Take the output brotli holds back (it stops at the output limit and keeps the
        rest in its window, or its input when ``can_accept_more_data()`` is False)."""
        while True:
            out = self._process(b"")
            if not out:
                if not self._d.can_accept_more_data():
                    raise CorruptData("br: decoder made no progress")
                return
            emit(out)

    def feed(self, data: bytes, emit: Emit) -> None:
        if not data:
            return
        self._seen = True
        if self._d.is_finished():
            raise CorruptData("br: data after the end of the stream")
        out = self._process(data)
        if out:
            emit(out)
        self._drain(emit)

    def finish(self, emit: Emit) -> None:
        if not self._seen:
            return
        self._drain(emit)
        if not self._d.is_finished():
            raise CorruptData("br: data ends before the end of the compressed stream")


class _ZstdFrames:
    """Follows zstd frame and block boundaries (RFC 8878 3.1) without decoding, so that a
    stream cut inside a frame is told from a complete one: zstandard's stream_writer (the
    one zstd API with bounded output pieces) does not say where frames end."""

    MAGIC = 0xFD2FB528

    def __init__(self) -> None:
        #: frames and blocks seen, and the decoded bytes they made (set by the stage)
        self.items = 0
        self.produced = 0
        self._state = "magic"
        self._need = 4
        self._buf = bytearray()
        self._skip = 0
        self._checksum = False

    @property
    def at_boundary(self) -> bool:
        return self._state == "magic" and not self._buf and not self._skip

    def _goto(self, state: str, skip: int = 0) -> None:
        self._state = state
        self._need = {"magic": 4, "fhd": 1, "block": 3, "skipsize": 4}[state]
        self._skip = skip

    def feed(self, data: bytes) -> None:
        pos, n = 0, len(data)
        while pos < n:
            if self._skip:
                step = min(self._skip, n - pos)
                self._skip -= step
                pos += step
                continue
            take = min(self._need - len(self._buf), n - pos)
            self._buf += data[pos : pos + take]
            pos += take
            if len(self._buf) == self._need:
                field = int.from_bytes(self._buf, "little")
                self._buf.clear()
                self._parse(field)

    def _parse(self, field: int) -> None:
        self.items += 1
        if self.items > _structure_budget(self.produced):
            raise CorruptData("zstd: too many frames or blocks for the data they hold")
        if self._state == "magic":
            if field == self.MAGIC:
                self._goto("fhd")
            elif field & 0xFFFFFFF0 == 0x184D2A50:
                self._goto("skipsize")
            else:
                raise CorruptData("zstd: not a zstd frame")
        elif self._state == "skipsize":
            self._goto("magic", skip=field)
        elif self._state == "fhd":
            fcs_flag, single = field >> 6, (field >> 5) & 1
            self._checksum = bool(field & 0x04)
            size = (0 if single else 1) + (0, 1, 2, 4)[field & 0x03]
            size += (1 if single else 0, 2, 4, 8)[fcs_flag]
            self._goto("block", skip=size)
        else:  # block header
            last, kind, size = field & 1, (field >> 1) & 3, field >> 3
            if kind == 3:
                raise CorruptData("zstd: reserved block type")
            content = 1 if kind == 1 else size
            if last:
                self._goto("magic", skip=content + (4 if self._checksum else 0))
            else:
                self._goto("block", skip=content)


class _Relay:
    """The file-like sink zstandard's stream_writer writes decoded pieces to."""

    def __init__(self) -> None:
        self.emit: Emit | None = None
        self.produced = 0

    def write(self, data: bytes) -> int:
        assert self.emit is not None
        self.produced += len(data)
        self.emit(bytes(data))
        return len(data)


class _ZstdStage(_Stage):
    name = "zstd"

    def __init__(self, chunk: int) -> None:
        self._relay = _Relay()
        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self._writer = dctx.stream_writer(self._relay, write_size=chunk)
        self._frames = _ZstdFrames()
        self._seen = False

    def feed(self, data: bytes, emit: Emit) -> None:
        if not data:
            return
        self._seen = True
        self._relay.emit = emit
        try:
            self._writer.write(data)
        except zstandard.ZstdError as exc:
            raise CorruptData(f"zstd: {exc}") from None
        # After decoding (which judged the data), so the output of this piece counts.
        self._frames.produced = self._relay.produced
        self._frames.feed(data)

    def finish(self, emit: Emit) -> None:
        if self._seen and not self._frames.at_boundary:
            raise CorruptData("zstd: data ends before the end of the compressed stream")


class _Full(Exception):
    """Internal: a stage passed its cap (unwinds through the stages)."""

    def __init__(self, intermediate: bool) -> None:
        self.intermediate = intermediate


def _make_stage(coding: str, chunk: int) -> _Stage:
    if coding in ("gzip", "deflate"):
        return _ZlibStage(coding, chunk)
    if coding == "br":
        return _BrotliStage(chunk)
    return _ZstdStage(chunk)


class BoundedDecoder:
    """Decodes a body whose ``Content-Encoding`` is ``codings``, keeping at most ``limit``
    decoded bytes: feed it the raw body in pieces as they arrive.

    ``codings`` is the header value or its list of codings, in header order (the order
    they were applied); they are decoded in reverse. Raises :class:`UnsupportedCoding` at
    once for a chain it will not decode. :meth:`feed` and :meth:`finish` return the next
    decoded bytes, or raise :class:`CorruptData` or :class:`DecodedTooLarge`; after an
    error the decoder is closed (another call raises RuntimeError).
    """

    def __init__(
        self, codings: str | Sequence[str], limit: int, *, chunk_size: int = CHUNK_SIZE
    ) -> None:
        if limit < 0 or chunk_size <= 0:
            raise ValueError("limit must be >= 0 and chunk_size > 0")
        #: the codings decoded, in header order (``identity`` dropped, ``x-gzip`` -> gzip)
        self.codings: tuple[str, ...] = tuple(_normalise(codings))
        self.limit = limit
        self._chunk = chunk_size
        #: decoded bytes returned so far
        self.decoded = 0
        self._out = bytearray()
        self._closed = False
        self._stages = [_make_stage(c, chunk_size) for c in reversed(self.codings)]
        self._emits: list[Emit] = []
        for i in range(len(self._stages)):
            self._emits.append(self._link(i))

    def _link(self, i: int) -> Emit:
        """The emit function of stage ``i``: into stage i + 1, or into the output."""
        if i == len(self._stages) - 1:
            return self._sink
        nxt = self._stages[i + 1]
        cap = intermediate_limit(self.limit)
        produced = 0

        def emit(data: bytes) -> None:
            nonlocal produced
            produced += len(data)
            if produced > cap:
                raise _Full(intermediate=True)
            nxt.feed(data, self._emits[i + 1])

        return emit

    def _sink(self, data: bytes) -> None:
        room = self.limit - self.decoded - len(self._out)
        if len(data) > room:
            self._out += data[:room]
            raise _Full(intermediate=False)
        self._out += data

    def _run(self, step: Callable[[], None]) -> bytes:
        if self._closed:
            raise RuntimeError("BoundedDecoder used after finish() or an error")
        try:
            step()
        except _Full as full:
            self._closed = True
            partial = bytes(self._out)
            self._out.clear()
            self.decoded += len(partial)
            raise DecodedTooLarge(self.limit, partial, intermediate=full.intermediate) from None
        except DecodeError:
            self._closed = True
            self._out.clear()
            raise
        out = bytes(self._out)
        self._out.clear()
        self.decoded += len(out)
        return out

    def feed(self, data: bytes) -> bytes:
        """Decode the next piece of the raw body; returns what it decodes to (maybe b"")."""

        raw = data if isinstance(data, bytes) else bytes(data)

        def step() -> None:
            if not self._stages:
                self._sink(raw)
                return
            # In pieces: zlib copies the unconsumed input on every call, so a big input
            # given at once would be copied once per output piece.
            for start in range(0, len(raw), self._chunk):
                self._stages[0].feed(raw[start : start + self._chunk], self._emits[0])

        return self._run(step)

    def finish(self) -> bytes:
        """The body ended: flush every stage; :class:`CorruptData` if a stream is cut."""

        def step() -> None:
            for stage, emit in zip(self._stages, self._emits, strict=True):
                stage.finish(emit)

        out = self._run(step)
        self._closed = True
        return out


def decode_bounded(
    data: bytes,
    codings: str | Sequence[str],
    limit: int,
    *,
    truncate_ok: bool = False,
) -> bytes:
    """Decode a whole body at once, never holding more than ``limit`` (+ one piece).

    Over the limit: :class:`DecodedTooLarge`, or with ``truncate_ok`` the first ``limit``
    decoded bytes (fewer if an inner stage of a chain passed its own cap). Raises only
    :class:`DecodeError` subclasses for bad input.
    """
    dec = BoundedDecoder(codings, limit)
    out = b""
    try:
        out = dec.feed(data)
        return out + dec.finish()
    except DecodedTooLarge as exc:
        if truncate_ok:
            return out + exc.partial
        raise
