"""Reading a response body within a limit of decoded bytes, whatever its content-coding.

httpx would decode each network chunk whole before it could be counted (a 33 KB
``gzip, gzip`` body decodes to 20 GB), so :func:`read_body` reads the raw bytes and
decodes them here with :class:`parsers.compression.BoundedDecoder`, which stops at the
limit; the raw bytes on the wire are capped too (:func:`wire_limit`).

No Prefect, no database; no fetching policy either (flows.fetch decides what to do with
the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from flows.outcomes import FetchError
from parsers.compression import (
    BoundedDecoder,
    DecodedTooLarge,
    DecodeError,
    parse_content_encoding,
)

__all__ = ["Body", "read_body", "wire_limit"]


@dataclass
class Body:
    """What :func:`read_body` read: ``error`` is None, "too_large" (``data`` holds the
    first bytes) or "decoding" (no ``data``), with a ``message`` for the user."""

    data: bytes = b""
    error: str | None = None
    message: str = ""
    #: the bytes as sent, when a content-coding was decoded whole without error and they
    #: are smaller than ``data``: the raw archive keeps them instead of compressing again
    wire: bytes | None = None
    #: the content-coding of ``wire`` ("gzip", "br", "gzip, br"...), "" when sent as is
    coding: str = ""


#: raw bytes may run this far ahead of the decoded ones (a first chunk, a header) and
#: still be kept for the archive
_KEEP_SLACK = 64 * 1024


def wire_limit(limit: int) -> int:
    """Most raw (still encoded) bytes read for a body of at most ``limit`` decoded bytes:
    compression never makes honest data much larger, so more means input that decodes
    to little (padding, empty blocks) and only costs time."""
    return limit + limit // 8 + 64 * 1024


async def read_body(resp: httpx.Response, limit: int, truncate_ok: bool) -> Body:
    """Read the raw body of ``resp`` and decode it here, so that the limit holds on
    decoded bytes.

    Over the limit: ``too_large`` with the first ``limit`` bytes, or, with
    ``truncate_ok`` (robots.txt), those bytes and no error. A coding we do not decode,
    or corrupt data: ``decoding``, no body.
    """
    try:
        decoder = BoundedDecoder(
            parse_content_encoding(resp.headers.get("content-encoding")), limit
        )
    except DecodeError as exc:
        return Body(error=FetchError.DECODING, message=f"cannot decode the response body ({exc})")
    coded = ", ".join(decoder.codings)
    max_wire = wire_limit(limit)
    result = Body()
    body = bytearray()
    wire = 0
    # The raw bytes are kept while they stay smaller than what they decode to (honest
    # compression); padding that decodes to little is not worth keeping twice.
    sent: list[bytes] | None = [] if decoder.codings else None
    whole = False
    try:
        async for raw in resp.aiter_raw():
            wire += len(raw)
            body += decoder.feed(raw)
            if sent is not None:
                sent.append(raw)
                if wire > len(body) + _KEEP_SLACK:
                    sent = None
            if wire > max_wire:
                if not truncate_ok:
                    result.error = FetchError.TOO_LARGE
                    result.message = (
                        f"response of more than {max_wire:,} bytes on the wire ({coded}) "
                        f"for at most {limit:,} decoded bytes: cut off"
                    )
                break
        else:
            body += decoder.finish()
            whole = True
    except DecodedTooLarge as exc:
        body += exc.partial
        if not truncate_ok:
            result.error = FetchError.TOO_LARGE
            if exc.intermediate:
                result.message = f"response too large after decoding ({coded}): {exc}; cut off"
            elif coded:
                result.message = (
                    f"response larger than {limit:,} bytes after decoding ({coded}): cut off"
                )
            else:
                result.message = f"response larger than {limit:,} bytes: cut off"
    except DecodeError as exc:
        return Body(error=FetchError.DECODING, message=f"cannot decode the response body ({exc})")
    result.data = bytes(body)
    if whole and sent is not None and wire < len(body):
        result.wire, result.coding = b"".join(sent), coded
    return result
