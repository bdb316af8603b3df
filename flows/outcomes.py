"""Why a fetch did not give a page: the one list the fetcher writes and the stages read.

Values are the strings stored in ``fetch_state.error``/``frontier.last_error`` and shown in
run errors, so they never change once shipped. An HTTP error status is ``http_<code>``
(:func:`http_error`), one value per status rather than a member each.
"""

from __future__ import annotations

from enum import StrEnum


class FetchError(StrEnum):
    #: 304, or a 200 whose body hashes as the one stored
    NOT_MODIFIED = "not_modified"
    #: the run's time limit came first: not fetched, or cut off
    DEADLINE = "deadline"
    BAD_URL = "bad_url"
    #: the host resolves to an address newsmon never fetches (loopback, private, ...)
    ADDRESS_REFUSED = "address_refused"
    ROBOTS = "robots"
    #: robots.txt could not be read (5xx, network): the host is not fetched for now
    ROBOTS_UNAVAILABLE = "robots_unavailable"
    BAD_REDIRECT = "bad_redirect"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    #: unsupported or corrupt content-coding
    DECODING = "decoding"
    TIMEOUT = "timeout"
    CONNECT_TIMEOUT = "connect_timeout"
    CONNECT = "connect"
    UNREACHABLE = "unreachable"
    DNS = "dns"
    PROTOCOL = "protocol"
    #: the host asked us to wait (429/503 with Retry-After beyond what a run waits)
    RETRY_AFTER = "retry_after"
    HTTP = "http_error"
    #: newsmon itself failed on this URL
    INTERNAL = "internal"


def http_error(status: int | None) -> str:
    """The outcome of an HTTP error status (``http_404``)."""
    return f"http_{status}"


#: The machine cannot reach the host at all.
NETWORK_ERRORS = frozenset(
    {FetchError.DNS, FetchError.CONNECT, FetchError.CONNECT_TIMEOUT, FetchError.UNREACHABLE}
)
#: The host, not the article, failed: its URLs wait without using up an attempt.
HOST_ERRORS = NETWORK_ERRORS | {FetchError.ROBOTS_UNAVAILABLE, FetchError.RETRY_AFTER}
#: After these an article URL is not tried again.
PERMANENT_ERRORS = frozenset(
    {
        http_error(404),
        http_error(410),
        http_error(451),
        FetchError.TOO_LARGE,
        FetchError.ADDRESS_REFUSED,
        FetchError.BAD_URL,
        FetchError.BAD_REDIRECT,
        FetchError.REDIRECT_LOOP,
        FetchError.TOO_MANY_REDIRECTS,
        FetchError.DECODING,
    }
)
