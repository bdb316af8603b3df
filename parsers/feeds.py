"""Discovery: which article URLs does a feed, a sitemap, a listing page or robots.txt offer?

Pure functions: bytes or text in, :class:`Candidate` lists out; no network.
Real feeds and sitemaps are sloppy (wrong namespaces, padded ``<loc>``, a BOM
before a text sitemap, a news namespace bound to any prefix), so the sitemap
reader matches elements by local name and never trusts the declared namespace.
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import time

    from bs4 import BeautifulSoup
    from lxml import etree

__all__ = [
    "Candidate",
    "FeedParse",
    "SitemapParse",
    "SitemapRef",
    "feed_links",
    "gunzip_limited",
    "listing_links",
    "normalize_url",
    "parse_feed",
    "parse_sitemap",
    "recent",
    "sitemaps_from_robots",
    "to_datetime",
]

#: A sitemap may not exceed 50 MB uncompressed (sitemaps.org); refuse bigger ones.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


@dataclass
class Candidate:
    """An article URL offered by a feed, sitemap or listing, with what it says about it."""

    url: str
    title: str | None = None
    #: ISO 8601 (UTC for feeds; as written for sitemaps), or None when undated
    date: str | None = None
    source: str | None = None
    #: "feed", "sitemap" or "listing"
    via: str = "feed"


@dataclass
class FeedParse:
    candidates: list[Candidate] = field(default_factory=list)
    #: "rss20", "atom10", "rdf", "json", ... ("" when not a feed)
    kind: str = ""
    title: str | None = None
    #: set when the document yields no entries because it is not a readable feed
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SitemapRef:
    url: str
    lastmod: str | None = None


@dataclass
class SitemapParse:
    #: "urlset", "index", "text", "feed" or "" (unreadable)
    kind: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    sitemaps: list[SitemapRef] = field(default_factory=list)
    #: True when the sitemap carries Google News entries (publication dates, titles)
    news: bool = False
    error: str | None = None


# --------------------------------------------------------------------------- URLs
_TRACKING = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|yclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi"
    r"|igshid|ref_src|cmpid|ocid|at_medium|at_campaign|at_source|rss|ito|xtor|__twitter_impression"
    r"|ncid|sr_share|spm)$",
    re.IGNORECASE,
)


def normalize_url(url: str) -> str:
    """The key under which a URL counts as "seen": tracking parameters and fragment dropped,
    host lower-cased, default port removed, query sorted. Still a fetchable URL."""
    from w3lib.url import canonicalize_url

    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if ":" not in host else f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc += f":{port}"
    query = "&".join(
        p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])
    )
    rebuilt = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except (ValueError, UnicodeError):
        return rebuilt


def _absolute(href: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, or None for javascript:, mailto:, empty or unparseable links."""
    if not href:
        return None
    href = "".join(href.split())  # whitespace (even inside) never belongs to a URL
    try:
        url = urljoin(base, href) if base else href
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


# --------------------------------------------------------------------------- dates
def to_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 / W3C datetime; a bare day counts as its end."""
    if not value:
        return None
    v = value.strip()
    try:
        if len(v) == 10:
            day = datetime.fromisoformat(v)
            return day.replace(tzinfo=UTC) + timedelta(days=1) - timedelta(seconds=1)
        dt = datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _w3c_date(value: str | None) -> str | None:
    """A sitemap date kept as written when it parses, else None."""
    if not value:
        return None
    v = value.strip()
    return v if to_datetime(v) else None


def _struct_to_iso(t: time.struct_time | None) -> str | None:
    if not t:
        return None
    try:
        return datetime(*t[:6], tzinfo=UTC).isoformat()
    except (TypeError, ValueError):
        return None


def recent(candidates: Iterable[Candidate], since: datetime) -> list[Candidate]:
    """Candidates dated at or after ``since``; undated ones are kept (their date is unknown)."""
    out = []
    for c in candidates:
        dt = to_datetime(c.date)
        if dt is None or dt >= since:
            out.append(c)
    return out


# --------------------------------------------------------------------------- feeds
def _clean_title(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(value.split()) or None


def _parse_json_feed(text: str, url: str | None, source: str | None) -> FeedParse | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    result = FeedParse(kind="json", title=_clean_title(doc.get("title")))
    base = doc.get("home_page_url") or url
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        link = _absolute(item.get("url") or item.get("external_url"), url or base)
        if not link:
            continue
        date = item.get("date_published") or item.get("date_modified")
        result.candidates.append(
            Candidate(
                url=link,
                title=_clean_title(item.get("title")),
                date=_w3c_date(date) if isinstance(date, str) else None,
                source=source,
                via="feed",
            )
        )
    if not result.candidates and not doc.get("items"):
        result.warnings.append("JSON Feed without items")
    return result


def parse_feed(
    data: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    source: str | None = None,
) -> FeedParse:
    """Entries of an RSS, Atom, RDF or JSON Feed document (never raises)."""
    import feedparser

    if not data or not data.strip():
        return FeedParse(error="empty document")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip_limited(data)
        except ValueError as exc:
            return FeedParse(error=str(exc))
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        parsed = _parse_json_feed(data.decode("utf-8", errors="replace"), url, source)
        if parsed is not None:
            return parsed
        return FeedParse(error="JSON document that is not a JSON Feed")
    # Without a declared type feedparser flags every document; XML is what we asked for.
    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url
    try:
        # A stream, never a string: feedparser would fetch a str that looks like a URL.
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as exc:  # noqa: BLE001 - feedparser may raise on pathological input
        return FeedParse(error=f"feed parser failed: {type(exc).__name__}: {exc}")
    result = FeedParse(
        kind=parsed.get("version") or "", title=_clean_title(parsed.feed.get("title"))
    )
    for entry in parsed.entries:
        # The rel="alternate" link is the article; entry.link may be an enclosure.
        link = next(
            (
                c["href"]
                for c in entry.get("links") or []
                if c.get("rel", "alternate") == "alternate" and c.get("href")
            ),
            None,
        ) or entry.get("link")
        if not link and entry.get("guidislink"):
            link = entry.get("id")
        link = _absolute(link, url)
        if not link:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # published->updated fallback
            date = _struct_to_iso(entry.get("published_parsed") or entry.get("updated_parsed"))
        result.candidates.append(
            Candidate(
                url=link,
                title=_clean_title(entry.get("title")),
                date=date,
                source=source,
                via="feed",
            )
        )
    if parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        message = f"{type(reason).__name__}: {reason}" if reason else "ill-formed"
        if result.candidates:
            result.warnings.append(f"ill-formed feed read leniently ({message})")
        elif not result.kind:
            result.error = f"not a feed ({message})"
    elif not result.kind and not result.candidates:
        result.error = "not a feed (no RSS, Atom or RDF root element)"
    return result


# --------------------------------------------------------------------------- sitemaps
def gunzip_limited(data: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress gzip data, refusing truncated archives and more than ``limit`` bytes."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"corrupt gzip data ({exc})") from exc
    if len(out) > limit:
        raise ValueError(f"decompressed data larger than {limit // (1024 * 1024)} MB")
    if not d.eof:
        raise ValueError("truncated gzip data")
    return out


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(el.itertext()).strip()
    return value or None


def _text_sitemap(text: str, url: str | None, source: str | None) -> SitemapParse:
    result = SitemapParse(kind="text")
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        if line.startswith(("http://", "https://")):
            link = _absolute(line, url)
            if link:
                result.candidates.append(Candidate(url=link, source=source, via="sitemap"))
    if not result.candidates:
        result.kind = ""
        result.error = "not a sitemap (no XML root and no URL lines)"
    return result


def parse_sitemap(
    data: bytes, url: str | None = None, *, source: str | None = None
) -> SitemapParse:
    """URLs of a sitemap (urlset, index, text, or an RSS/Atom feed used as one; gzip accepted)."""
    from lxml import etree

    if not data or not data.strip():
        return SitemapParse(error="empty document")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip_limited(data)
        except ValueError as exc:
            return SitemapParse(error=str(exc))
    if len(data) > MAX_SITEMAP_BYTES:
        return SitemapParse(error="sitemap larger than 50 MB")
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return _text_sitemap(data.decode("utf-8-sig", errors="replace"), url, source)
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(stripped, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        return SitemapParse(error=f"not valid XML ({exc})")
    if root is None:
        return SitemapParse(error="not valid XML")
    kind = _local(root.tag)
    if kind in ("rss", "feed", "rdf"):
        feed = parse_feed(data, url, source=source)
        for c in feed.candidates:
            c.via = "sitemap"
        return SitemapParse(kind="feed", candidates=feed.candidates, error=feed.error)
    if kind == "sitemapindex":
        result = SitemapParse(kind="index")
        for el in root:
            if _local(el.tag) != "sitemap":
                continue
            loc = _text(_child(el, "loc")) or (el.text or "").strip()
            link = _absolute(loc, url)
            if link:
                result.sitemaps.append(SitemapRef(link, _w3c_date(_text(_child(el, "lastmod")))))
        return result
    if kind != "urlset":
        return SitemapParse(error=f"not a sitemap (root element <{kind}>)")
    result = SitemapParse(kind="urlset")
    for el in root:
        if _local(el.tag) != "url":
            continue
        loc = _text(_child(el, "loc"))
        link = _absolute(loc, url)
        if not link:
            continue
        date = _w3c_date(_text(_child(el, "lastmod")))
        title = None
        news = _child(el, "news")
        if news is not None:
            result.news = True
            date = _w3c_date(_text(_child(news, "publication_date"))) or date
            title = _clean_title(_text(_child(news, "title")))
        result.candidates.append(
            Candidate(url=link, title=title, date=date, source=source, via="sitemap")
        )
    return result


_SITEMAP_LINE = re.compile(r"^\s*site-?map\s*:\s*(\S+)", re.IGNORECASE)


def sitemaps_from_robots(text: str, base_url: str | None = None) -> list[str]:
    """``Sitemap:`` URLs of a robots.txt (any case, ``site-map`` too; relative ones resolved)."""
    out: list[str] = []
    for line in text.splitlines():
        m = _SITEMAP_LINE.match(line.split("#", 1)[0])
        if not m:
            continue
        link = _absolute(m.group(1), base_url)
        if link and link not in out:
            out.append(link)
    return out


# --------------------------------------------------------------------------- HTML pages
FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "text/xml",
    "application/xml",
}


def _soup(html: bytes | str) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


def _base(soup: BeautifulSoup, url: str | None) -> str | None:
    tag = soup.find("base", href=True)
    if tag is not None:
        return _absolute(tag["href"], url) or url
    return url


def feed_links(html: bytes | str, url: str | None = None) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    soup = _soup(html)
    base = _base(soup, url)
    out: list[str] = []
    for tag in soup.find_all("link", href=True):
        rel = tag.get("rel") or []
        rels = {r.lower() for r in (rel if isinstance(rel, list) else rel.split())}
        kind = (tag.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in FEED_TYPES:
            if kind in ("application/json", "text/xml", "application/xml") and not re.search(
                r"rss|atom|feed", tag["href"], re.IGNORECASE
            ):
                continue
            link = _absolute(tag["href"], base)
            if link and link not in out:
                out.append(link)
    return out


def _same_site(a: str, b: str) -> bool:
    ha = (urlsplit(a).hostname or "").removeprefix("www.")
    hb = (urlsplit(b).hostname or "").removeprefix("www.")
    return ha == hb


def listing_links(
    html: bytes | str,
    url: str | None = None,
    *,
    selector: str | None = None,
    link_pattern: str | None = None,
    source: str | None = None,
) -> list[Candidate]:
    """Article links of a listing page: elements matched by ``selector`` (the link itself or
    a container holding it), else every same-site link; kept when ``link_pattern`` matches."""
    soup = _soup(html)
    base = _base(soup, url)
    pattern = re.compile(link_pattern) if link_pattern else None
    if selector:
        elements = soup.select(selector)
    else:
        elements = soup.find_all("a", href=True)
    out: list[Candidate] = []
    seen: set[str] = set()
    for el in elements:
        a = el if el.name == "a" and el.get("href") else el.find("a", href=True)
        if a is None:
            continue
        link = _absolute(a.get("href"), base)
        if not link:
            continue
        if not selector and base and not _same_site(link, base):
            continue
        key = normalize_url(link)
        if pattern and not pattern.search(key):  # tracking parameters do not count
            continue
        if key in seen:
            continue
        seen.add(key)
        heading = el.find(["h1", "h2", "h3", "h4", "h5", "h6"]) if el.name != "a" else None
        heading = heading or a.find(["h1", "h2", "h3", "h4", "h5", "h6"])
        title = _clean_title((heading or a).get_text(" ", strip=True)) or _clean_title(
            a.get("title")
        )
        out.append(Candidate(url=link, title=title, source=source, via="listing"))
    return out
