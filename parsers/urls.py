"""Which strings are fetchable web addresses: one check for every reader of outside input.

Feeds, sitemaps, listings, JSON Lines records and the configuration all hand us URLs
that someone else wrote. A malformed one (``http://xn--/x``, a port of 99999, 70,000
characters, a ``javascript:`` link) must cost only its own item: readers ask
:func:`url_problem` first and record the answer instead of letting a library raise
deep inside a batch. :func:`safe_link` is the gate for URLs we emit as links.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["MAX_URL_LENGTH", "is_http_url", "safe_link", "url_problem"]

#: Longer URLs are refused. Servers commonly reject request lines past 8 KiB, and no
#: news article needs more; a feed item with a 65,536-character link is garbage or hostile.
MAX_URL_LENGTH = 8192
_MAX_HOST_LENGTH = 253
_MAX_LABEL_LENGTH = 63


def url_problem(url: object, *, max_length: int = MAX_URL_LENGTH) -> str | None:
    """Why ``url`` is not a fetchable http(s) URL, in words for a user; None when it is."""
    if not isinstance(url, str):
        return f"not a string ({type(url).__name__})"
    url = url.strip()
    if not url:
        return "empty URL"
    if len(url) > max_length:
        return f"longer than {max_length} characters ({len(url)})"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "contains whitespace or a control character"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) URL (scheme {parts.scheme or 'missing'!r})"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raw = parts.netloc.rpartition(":")[2][:20]
        return f"port {raw!r} is not a number between 1 and 65535"
    host = parts.hostname
    if not host:
        return "URL without a host name"
    return _host_problem(host)


def _host_problem(host: str) -> str | None:
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets)
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return f"not a valid URL (invalid IPv6 address {host!r})"
        return None
    name = host[:-1] if host.endswith(".") else host
    if len(name) > _MAX_HOST_LENGTH:
        return f"host name longer than {_MAX_HOST_LENGTH} characters"
    for label in name.split("."):
        if not label:
            return f"empty label in host name {host!r}"
        try:
            ascii_label = label.encode("idna") if not label.isascii() else label.encode()
        except UnicodeError:
            return f"host name {host!r} cannot be encoded (IDNA)"
        if len(ascii_label) > _MAX_LABEL_LENGTH:
            return f"host name label longer than {_MAX_LABEL_LENGTH} characters"
        if ascii_label.lower().startswith(b"xn--"):
            try:
                ascii_label.decode("idna")
            except UnicodeError:
                return f"invalid internationalised label {label!r} in host name"
    return None


def is_http_url(url: object) -> bool:
    """True for a URL that :func:`url_problem` accepts."""
    return url_problem(url) is None


def safe_link(url: object) -> str | None:
    """``url`` stripped when it may be emitted as a link (http or https), else None.

    Stored records come from outside: a ``javascript:`` or ``data:`` URL must never
    reach an ``href`` in a feed or a page we serve.
    """
    return url.strip() if is_http_url(url) else None  # type: ignore[union-attr]
