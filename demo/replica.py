"""An offline replica of the web newsmon watches: small news sites on 127.0.0.1.

One process serves several "hosts", one port each (threads, standard library only):

- ``trend-en`` / ``trend-az``: a Trend-like outlet (English and Azerbaijani editions) in
  Trend's current page layout, with an RSS feed (brotli-compressed), a Google News
  sitemap (``n:`` prefix, padded ``<loc>``, zstd-compressed), a politics listing page,
  articles (gzip), ETag/Last-Modified validators, and a ``/private/`` path that
  robots.txt disallows although the feed links to it;
- ``caspian``: a second outlet that republishes one Trend story under its own URL,
  linked from its feed with tracking parameters;
- ``flaky``: a page answering 500, one answering 429 with Retry-After (then 200),
  a slow page, an oversized page (streamed, no Content-Length), and a redirect to a
  private address (http://10.0.0.1/, which a guarded client never connects to);
- ``broken``: a "feed" that is an HTML error page;
- ``liar``: validators that lie (an ETag that changes on every request for the same
  body; a 304 for content that has changed);
- ``bench0``..``benchN`` (on request): generated outlets of many articles, for bench/fetch.py.

Every request is recorded (time, host, path, headers, status) so that tests can check
what a client did: intervals between requests, conditional headers, paths never asked.
``latency`` adds a delay to every response (for the benchmark).

Run it: ``python -m demo.replica --base-port 8701`` (Ctrl-C to stop), or
``python -m demo.replica --base-port 8701 --then newsmon run --config demo/newsmon.demo.toml``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import html
import http.server
import random
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

SITES_DIR = Path(__file__).resolve().parent / "sites"
BAKU = timezone(timedelta(hours=4))
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
AZ_MONTHS = [
    "Yanvar",
    "Fevral",
    "Mart",
    "Aprel",
    "May",
    "İyun",
    "İyul",
    "Avqust",
    "Sentyabr",
    "Oktyabr",
    "Noyabr",
    "Dekabr",
]
#: The order of the default sites: with --base-port P, site i listens on P + i.
DEFAULT_SITES = ("trend-en", "trend-az", "caspian", "flaky", "broken", "liar")


# --------------------------------------------------------------------------- HTTP plumbing
@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    #: seconds to wait after sending the headers, before the body (a slow page)
    stall: float = 0.0


@dataclass
class Hit:
    at: float
    site: str
    path: str
    headers: dict[str, str]
    status: int | None = None

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


def _http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(ts), UTC), usegmt=True)


def _encode(body: bytes, accept: str, prefer: str | None) -> tuple[bytes, str | None]:
    """Compress with ``prefer`` (gzip, br, zstd) when the client accepts it."""
    if not prefer or prefer not in accept:
        return body, None
    return _compress(body, prefer)


@functools.lru_cache(maxsize=2048)
def _compress(body: bytes, prefer: str) -> tuple[bytes, str | None]:
    """The same page is compressed once (a real server caches too; the benchmark times
    the client, not the server)."""
    if prefer == "gzip":
        return gzip.compress(body, mtime=0), "gzip"
    if prefer == "br":
        import brotli

        return brotli.compress(body), "br"
    if prefer == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(body), "zstd"
    return body, None


def static(
    body: bytes,
    content_type: str,
    req: dict[str, str],
    *,
    modified: float,
    encoding: str | None = None,
    etag: str | None = None,
) -> Response:
    """A cacheable response honouring If-None-Match / If-Modified-Since."""
    etag = etag or '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    last_modified = _http_date(modified)
    headers = {"ETag": etag, "Last-Modified": last_modified, "Content-Type": content_type}
    inm = req.get("if-none-match")
    ims = req.get("if-modified-since")
    if inm is not None:
        if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
            return Response(304, headers)
    elif ims is not None:
        try:
            if parsedate_to_datetime(ims).timestamp() >= int(modified):
                return Response(304, headers)
        except (TypeError, ValueError):
            pass
    data, used = _encode(body, req.get("accept-encoding", ""), encoding)
    if used:
        headers["Content-Encoding"] = used
        headers["Vary"] = "Accept-Encoding"
    return Response(200, headers, data)


def text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, {"Content-Type": content_type}, body.encode("utf-8"))


class Site:
    """One host of the replica. Subclasses answer ``handle``."""

    name = "site"

    def __init__(self, started: float) -> None:
        self.started = started
        self.base = ""  # set when the server binds its port
        self.lock = threading.Lock()

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        raise NotImplementedError

    def robots(self) -> str:
        return "User-agent: *\nDisallow:\n"


# --------------------------------------------------------------------------- articles
@dataclass
class Story:
    id: int
    title: str
    paragraphs: list[str]
    author: str
    published: datetime
    path: str = ""
    category: str = ""
    edition: str = "en"
    where: tuple[str, ...] = ("feed",)
    promo: bool = False
    slug: str = ""


def _published(started: float, hours_ago: float) -> datetime:
    ts = started - hours_ago * 3600
    return datetime.fromtimestamp(ts - ts % 60, BAKU)


def load_trend(started: float) -> list[Story]:
    data = tomllib.loads((SITES_DIR / "trend" / "articles.toml").read_text(encoding="utf-8"))
    out = []
    for a in data["articles"]:
        out.append(
            Story(
                id=a["id"],
                title=a["title"],
                paragraphs=list(a["paragraphs"]),
                author=a["author"],
                published=_published(started, a["hours_ago"]),
                path=a["path"],
                category=a["category"],
                edition=a["edition"],
                where=tuple(a["where"]),
                promo=bool(a.get("promo")),
            )
        )
    return out


def _trend_date(dt: datetime, edition: str) -> str:
    months = AZ_MONTHS if edition == "az" else EN_MONTHS
    return f"{dt.day} {months[dt.month - 1]} {dt.year} {dt:%H:%M} (UTC +04:00)"


def _dateline(dt: datetime) -> str:
    return f"{EN_MONTHS[dt.month - 1]} {dt.day}"


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


class TrendSite(Site):
    """A Trend-like edition: feed, news sitemap, listing, articles in the current layout."""

    def __init__(self, started: float, edition: str, stories: list[Story]) -> None:
        super().__init__(started)
        self.edition = edition
        self.name = f"trend-{edition}"
        self.stories = [s for s in stories if s.edition == edition]

    def robots(self) -> str:
        return (
            "# robots.txt of the replica\n"
            "User-agent: *\n"
            "Disallow: /private/\n"
            "Disallow: /search\n\n"
            f"Sitemap: {self.base}/sitemaps/index.xml\n"
        )

    def url_of(self, s: Story) -> str:
        return f"{self.base}/{s.path}/{s.id}.html"

    def paragraphs(self, s: Story) -> list[str]:
        return [p.replace("{date}", _dateline(s.published)) for p in s.paragraphs]

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        if path == "/feeds/index.rss":
            return static(
                self.feed().encode(),
                "application/rss+xml; charset=utf-8",
                req,
                modified=self.newest(),
                encoding="br",
            )
        if path == "/sitemaps/index.xml":
            return static(
                self.sitemap_index().encode(),
                "application/xml; charset=utf-8",
                req,
                modified=self.newest(),
            )
        if path == "/sitemaps/news.xml":
            return static(
                self.sitemap().encode(),
                "application/xml; charset=utf-8",
                req,
                modified=self.newest(),
                encoding="zstd",
            )
        if path.rstrip("/") == "/azerbaijan/politics":
            return static(
                self.listing().encode(),
                "text/html; charset=utf-8",
                req,
                modified=self.newest(),
                encoding="gzip",
            )
        if path == "/":
            return static(
                self.home().encode(), "text/html; charset=utf-8", req, modified=self.newest()
            )
        for s in self.stories:
            if path == f"/{s.path}/{s.id}.html":
                return static(
                    self.article(s).encode(),
                    "text/html; charset=utf-8",
                    req,
                    modified=s.published.timestamp(),
                    encoding="gzip",
                )
        return text(404, "not found")

    def newest(self) -> float:
        return max(s.published.timestamp() for s in self.stories)

    def feed(self) -> str:
        items = []
        for s in sorted(self.stories, key=lambda s: s.published, reverse=True):
            if "feed" not in s.where:
                continue
            items.append(
                "<item>"
                f"<title>{_esc(s.title)}</title>"
                f"<link>{self.url_of(s)}</link>"
                f'<guid isPermaLink="true">{self.url_of(s)}</guid>'
                f"<pubDate>{format_datetime(s.published)}</pubDate>"
                f"<category>{_esc(s.category)}</category>"
                f"<description>{_esc(self.paragraphs(s)[0][:200])}</description>"
                "</item>"
            )
        lang = "az" if self.edition == "az" else "en"
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Trend News Agency ({lang})</title><link>{self.base}/</link>"
            f"<language>{lang}</language><description>Replica feed</description>"
            + "".join(items)
            + "</channel></rss>\n"
        )

    def sitemap(self) -> str:
        rows = []
        for s in self.stories:
            if "sitemap" not in s.where:
                continue
            rows.append(
                "<url>\n  <loc>\n    " + self.url_of(s) + "\n  </loc>\n"
                "  <n:news><n:publication><n:name>Trend</n:name>"
                f"<n:language>{self.edition}</n:language></n:publication>"
                f"<n:publication_date>{s.published.isoformat()}</n:publication_date>"
                f"<n:title>{_esc(s.title)}</n:title></n:news>\n</url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:n="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )

    def sitemap_index(self) -> str:
        newest = datetime.fromtimestamp(self.newest(), BAKU).isoformat()
        old = datetime.fromtimestamp(self.started - 400 * 86400, BAKU).isoformat()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"<sitemap><loc>{self.base}/sitemaps/news.xml</loc><lastmod>{newest}</lastmod>"
            "</sitemap>\n"
            f"<sitemap><loc>{self.base}/sitemaps/archive-2024.xml</loc><lastmod>{old}</lastmod>"
            "</sitemap>\n</sitemapindex>\n"
        )

    def listing(self) -> str:
        items = []
        for s in sorted(self.stories, key=lambda s: s.published, reverse=True):
            if "listing" not in s.where:
                continue
            when = f"{s.published.day} {EN_MONTHS[s.published.month - 1]} {s.published:%H:%M}"
            items.append(
                f'<li><a href="/{s.path}/{s.id}.html"><h4>{_esc(s.title)}</h4>'
                f'<span class="date-time">{when} (UTC+04)</span></a></li>'
            )
        return self.page(
            "Politics",
            '<div class="listing"><h2>Politics</h2><ul class="news-list">'
            + "".join(items)
            + '</ul><a class="more" href="/azerbaijan/politics?page=2">More</a></div>',
        )

    def home(self) -> str:
        return self.page(
            "Trend News Agency",
            '<div class="home">'
            + "".join(
                f'<a class="article-link" href="/{s.path}/{s.id}.html">{_esc(s.title)}</a>'
                for s in self.stories
                if s.path != "private"
            )
            + "</div>",
        )

    def page(self, title: str, main: str, head: str = "") -> str:
        lang = "az" if self.edition == "az" else "en"
        return (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{_esc(title)}</title>"
            f'<link rel="alternate" type="application/rss+xml" title="Trend" '
            f'href="{self.base}/feeds/index.rss">{head}</head><body>'
            '<header><img src="/banner.png" '
            'alt="Vətən müharibəsinin Anım Gününün rəmzi olan Xarı bülbül">'
            '<nav><a href="/">Home</a> <a href="/azerbaijan/politics">Politics</a> '
            '<a href="/business/economy">Economy</a></nav></header>'
            f"{main}"
            "<footer><p>© Trend News Agency replica. All rights reserved.</p></footer>"
            "</body></html>"
        )

    def article(self, s: Story) -> str:
        url = self.url_of(s)
        body = "".join(f"<p>{_esc(p)}</p>" for p in self.paragraphs(s))
        if s.promo:
            body = (
                body[: body.index("</p>") + 4]
                + "<p><strong>Follow Trend on Telegram: the latest news first</strong></p>"
                + body[body.index("</p>") + 4 :]
                + "<p>Stay up-to-date with more news on Trend News Agency's WhatsApp channel</p>"
            )
        crumbs = "".join(
            f'<li><a href="/{"/".join(s.path.split("/")[: i + 1])}">{_esc(part.title())}</a></li>'
            for i, part in enumerate(s.path.split("/"))
        )
        iso = s.published.isoformat()
        head = (
            f'<meta property="og:title" content="{_esc(s.title)}">'
            f'<meta property="og:url" content="{url}">'
            f'<meta property="article:published_time" content="{iso}">'
            f'<meta itemprop="datePublished" content="{iso}">'
            f'<link rel="canonical" href="{url}">'
        )
        main = (
            f'<ol class="breadcrumbs"><li><a href="/">Home</a></li>{crumbs}</ol>'
            '<div class="article">'
            '<div class="print-branding-header">Trend News Agency</div>'
            f'<div class="top-part"><h1>{_esc(s.title)}</h1>'
            f'<div class="meta"><span class="categories">{_esc(s.category)}</span>'
            "<span>Materials</span>"
            f'<span class="date-time">{_trend_date(s.published, s.edition)}</span></div></div>'
            '<div class="left-part"><div class="sticky-content">Follow Trend on '
            '<a href="#">Telegram</a> <a href="#">WhatsApp</a></div></div>'
            '<div class="right-part">'
            f'<div class="image-wrapper"><img src="/img/{s.id}.jpg" alt="{_esc(s.title)}"></div>'
            f'<div class="article-paddings"><img src="/img/author.jpg" alt="{_esc(s.author)}">'
            f'<span class="author"><a href="/author/{s.id % 7}">{_esc(s.author)}</a></span>'
            ' <a href="/author/all">Read more</a></div>'
            f'<div class="article-content article-paddings">{body}</div>'
            "</div>"
            f'<div class="print-branding-footer"><p>Source: {url}</p></div>'
            "</div>"
            '<div class="tags">Tags: <a href="/tags/china">China</a> '
            '<a href="/tags/azerbaijan">Azerbaijan</a></div>'
            '<div class="related-news"><h3>Latest</h3><ul>'
            + "".join(
                f'<li><a href="/{o.path}/{o.id}.html">{_esc(o.title)}</a></li>'
                for o in self.stories[:4]
                if o.id != s.id and o.path != "private"
            )
            + "</ul></div>"
        )
        return self.page(s.title, main, head)


class CaspianSite(Site):
    """A second outlet: its own story, and a Trend story republished under its own URL."""

    name = "caspian"

    def __init__(self, started: float, trend: list[Story]) -> None:
        super().__init__(started)
        data = tomllib.loads((SITES_DIR / "caspian" / "articles.toml").read_text("utf-8"))
        by_id = {s.id: s for s in trend}
        self.stories: list[Story] = []
        for a in data["articles"]:
            if "republish" in a:
                src = by_id[a["republish"]]
                paragraphs = [p.replace("{date}", _dateline(src.published)) for p in src.paragraphs]
                self.stories.append(
                    Story(
                        id=a["id"],
                        title=src.title,
                        paragraphs=paragraphs,
                        author=src.author,
                        published=_published(started, a["hours_ago"]),
                        slug=a["slug"],
                    )
                )
            else:
                self.stories.append(
                    Story(
                        id=a["id"],
                        title=a["title"],
                        paragraphs=list(a["paragraphs"]),
                        author=a["author"],
                        published=_published(started, a["hours_ago"]),
                        slug=a["slug"],
                    )
                )

    def url_of(self, s: Story) -> str:
        return f"{self.base}/news/{s.slug}-{s.id}"

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        if path == "/rss":
            items = "".join(
                f"<item><title>{_esc(s.title)}</title>"
                f"<link>{_esc(self.url_of(s))}?utm_source=rss&amp;utm_medium=feed"
                f"&amp;utm_campaign=syndication</link>"
                f"<pubDate>{format_datetime(s.published)}</pubDate></item>"
                for s in self.stories
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Caspian Wire</title><link>{self.base}/</link>{items}</channel></rss>"
            )
            return static(body.encode(), "application/rss+xml", req, modified=self.started)
        for s in self.stories:
            if path == f"/news/{s.slug}-{s.id}":
                paras = "".join(f"<p>{_esc(p)}</p>" for p in s.paragraphs)
                page = (
                    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                    f"<title>{_esc(s.title)} | Caspian Wire</title>"
                    f'<meta property="og:title" content="{_esc(s.title)}">'
                    f'<meta property="article:published_time" content="{s.published.isoformat()}">'
                    '</head><body><header><a href="/">Caspian Wire</a></header><main><article>'
                    f'<h1>{_esc(s.title)}</h1><p class="byline">By {_esc(s.author)}</p>'
                    f"{paras}</article></main><footer>Caspian Wire</footer></body></html>"
                )
                return static(
                    page.encode(), "text/html; charset=utf-8", req, modified=s.published.timestamp()
                )
        return text(404, "not found")


# --------------------------------------------------------------------------- misbehaving hosts
_WORDS = (
    "port terminal cargo ferry rail freight corridor ministry official agency report figures "
    "growth trade energy solar wind gas pipeline contract investment company delegation visit "
    "forum exhibition university student museum market price export import harvest hazelnut "
    "cotton customs border schedule winter storm season budget parliament committee agreement "
    "district region village road bridge tunnel station airport flight passenger tourist hotel "
    "bank loan currency inflation wage pension school teacher hospital doctor vaccine water dam "
    "river lake mountain forest fire rescue police court judge law reform census survey"
).split()


def filler(seed: str, paragraphs: int = 4, words: int = 60) -> list[str]:
    """Distinct, deterministic text for generated pages (so that dedup tells them apart)."""
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(max(1, words // 12)):
            ws = rng.choices(_WORDS, k=12)
            sentences.append(" ".join(ws).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def _plain_article(title: str, published: datetime, paragraphs: int = 4) -> bytes:
    paras = "".join(f"<p>{_esc(p)}</p>" for p in filler(title, paragraphs))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title>"
        f'<meta property="og:title" content="{_esc(title)}">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f"</head><body><main><article><h1>{_esc(title)}</h1>{paras}</article></main>"
        "</body></html>"
    ).encode()


class FlakySite(Site):
    """500, 429 with Retry-After, slow, oversized, and a redirect to a private address."""

    name = "flaky"
    retry_after = 1
    slow_seconds = 3.0
    huge_bytes = 3 * 1024 * 1024

    def __init__(self, started: float) -> None:
        super().__init__(started)
        self.counts: dict[str, int] = {}
        self.when = _published(started, 1)

    def pages(self) -> list[tuple[str, str]]:
        return [
            ("/news/ok-1.html", "Port of Baku figures for the month"),
            ("/news/error-500.html", "A page that always fails"),
            ("/news/rate-limited.html", "A page behind a rate limit"),
            ("/news/slow.html", "A page that answers too slowly"),
            ("/news/huge.html", "A page far too large"),
            ("/news/moved.html", "A page moved to a private address"),
        ]

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            count = self.counts[path]
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>{_esc(t)}</title><link>{self.base}{p}</link>"
                f"<pubDate>{format_datetime(self.when)}</pubDate></item>"
                for p, t in self.pages()
            )
            body = (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>Flaky</title>'
                f"{items}</channel></rss>"
            )
            return static(body.encode(), "application/rss+xml", req, modified=self.started)
        if path == "/news/ok-1.html":
            return static(
                _plain_article("Port of Baku figures for the month", self.when),
                "text/html; charset=utf-8",
                req,
                modified=self.started,
            )
        if path == "/news/error-500.html":
            return text(500, "internal server error")
        if path == "/news/rate-limited.html":
            if count == 1:
                r = text(429, "slow down")
                r.headers["Retry-After"] = str(self.retry_after)
                return r
            return static(
                _plain_article("A page behind a rate limit", self.when),
                "text/html; charset=utf-8",
                req,
                modified=self.started,
            )
        if path == "/news/slow.html":
            r = static(
                _plain_article("A page that answers too slowly", self.when),
                "text/html; charset=utf-8",
                {},
                modified=self.started,
            )
            r.stall = self.slow_seconds
            return r
        if path == "/news/huge.html":
            return Response(
                200, {"Content-Type": "text/html; charset=utf-8"}, _huge(self.huge_bytes)
            )
        if path == "/news/moved.html":
            return Response(302, {"Location": "http://10.0.0.1/internal/secret.html"})
        return text(404, "not found")


def _huge(total: int) -> Iterator[bytes]:
    chunk = b"<p>" + b"x" * 65530 + b"</p>"
    yield b"<!DOCTYPE html><html><body>"
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)
    yield b"</body></html>"


class BrokenSite(Site):
    """A feed URL that answers an HTML error page with status 200."""

    name = "broken"

    def robots(self) -> str:
        return ""

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        if path == "/robots.txt":
            return text(404, "no robots here")
        if path == "/feed.xml":
            return text(
                200,
                "<html><body><h1>Database error</h1><p>Try again later</p></body></html>",
                "text/html; charset=utf-8",
            )
        return text(404, "not found")


class LiarSite(Site):
    """Validators that lie: a new ETag for the same body; a 304 for a changed body."""

    name = "liar"

    def __init__(self, started: float) -> None:
        super().__init__(started)
        self.counter = 0

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        with self.lock:
            self.counter += 1
            n = self.counter
        if path == "/etag-changes.xml":
            body = (
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
            )
            r = static(body, "application/rss+xml", {}, modified=self.started, etag=f'"v{n}"')
            return r
        if path == "/always-304.xml":
            if "if-none-match" in req or "if-modified-since" in req:
                return Response(304, {"ETag": '"same"'})
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{n}</title></channel></rss>'
            return static(
                body.encode(), "application/rss+xml", {}, modified=self.started, etag='"same"'
            )
        return text(404, "not found")


class BenchSite(Site):
    """A generated outlet with ``n`` articles listed in one feed (for bench/fetch.py)."""

    def __init__(self, started: float, index: int, n: int, pages: Sequence[Path] = ()) -> None:
        super().__init__(started)
        self.name = f"bench{index}"
        self.n = n
        self.index = index
        #: real article pages (HTML, gzipped or not) this outlet serves instead of
        #: generated ones: its own slice of the list, so no two outlets share a page
        self.pages = list(pages[index * n : (index + 1) * n])
        if pages and len(self.pages) < n:
            raise ValueError(f"{len(pages)} pages are too few for outlet {index} of {n}")
        for i in range(len(self.pages)):  # read and compressed before anyone asks
            _compress(self._page(i), "gzip")

    @functools.cache  # noqa: B019 - one site a process, kept for its life
    def _page(self, i: int) -> bytes:
        if self.pages:
            data = self.pages[i].read_bytes()
            return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        return _plain_article(f"Story {self.index}-{i}", _published(self.started, 1))

    def handle(self, path: str, query: str, req: dict[str, str]) -> Response:
        if path == "/feed.xml":
            when = _published(self.started, 1)
            items = "".join(
                f"<item><title>Story {self.index}-{i}</title>"
                f"<link>{self.base}/a/{i}.html</link>"
                f"<pubDate>{format_datetime(when)}</pubDate></item>"
                for i in range(self.n)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{self.name}</title>{items}</channel></rss>'
            return static(
                body.encode(), "application/rss+xml", req, modified=self.started, encoding="gzip"
            )
        if path.startswith("/a/") and path.endswith(".html"):
            i = path[3:-5]
            if i.isdigit() and int(i) < self.n:
                page = self._page(int(i))
                return static(
                    page, "text/html; charset=utf-8", req, modified=self.started, encoding="gzip"
                )
        return text(404, "not found")


# --------------------------------------------------------------------------- server
class _QuietServer(http.server.ThreadingHTTPServer):
    """Clients that hang up (a cut-off download, a timeout) are normal here: no traceback."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Replica:
    """Serves the sites on ``host``, one port each; records every request in :attr:`hits`."""

    def __init__(
        self,
        names: Iterable[str] = DEFAULT_SITES,
        *,
        host: str = "127.0.0.1",
        base_port: int = 0,
        latency: float = 0.0,
        bench_hosts: int = 0,
        bench_articles: int = 100,
        bench_pages: Sequence[Path] = (),
    ) -> None:
        self.host = host
        self.base_port = base_port
        self.latency = latency
        self.started = time.time()
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        stories = load_trend(self.started)
        factories = {
            "trend-en": lambda: TrendSite(self.started, "en", stories),
            "trend-az": lambda: TrendSite(self.started, "az", stories),
            "caspian": lambda: CaspianSite(self.started, stories),
            "flaky": lambda: FlakySite(self.started),
            "broken": lambda: BrokenSite(self.started),
            "liar": lambda: LiarSite(self.started),
        }
        self.sites: dict[str, Site] = {n: factories[n]() for n in names}
        for i in range(bench_hosts):
            site = BenchSite(self.started, i, bench_articles, bench_pages)
            self.sites[site.name] = site
        self._servers: list[http.server.ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []

    # -- lifecycle
    def start(self) -> Replica:
        for i, site in enumerate(self.sites.values()):
            port = self.base_port + i if self.base_port else 0
            server = _QuietServer((self.host, port), self._handler(site))
            server.daemon_threads = True
            site.base = f"http://{self.host}:{server.server_address[1]}"
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"replica-{site.name}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        # shutdown() waits for the serve loop to notice: ask every server at once.
        stoppers = [threading.Thread(target=s.shutdown) for s in self._servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()
        for server in self._servers:
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- queries for tests
    def url(self, site: str, path: str = "/") -> str:
        return self.sites[site].base + path

    def requests(self, site: str | None = None, path: str | None = None) -> list[Hit]:
        with self._lock:
            hits = list(self.hits)
        return [
            h
            for h in hits
            if (site is None or h.site == site)
            and (path is None or h.path == path or h.path.split("?", 1)[0] == path)
        ]

    def bases(self) -> dict[str, str]:
        return {name: site.base for name, site in self.sites.items()}

    def config(self, **kwargs: object) -> str:
        """The demo configuration pointing at this replica's ports (see :func:`demo_config`)."""
        return demo_config(self.bases(), **kwargs)  # type: ignore[arg-type]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    # -- the handler
    def _handler(self, site: Site) -> type[http.server.BaseHTTPRequestHandler]:
        replica = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "newsmon-replica/1"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's
            # algorithm and delayed ACKs add up to 40 ms to every response.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                req = {k.lower(): v for k, v in self.headers.items()}
                hit = Hit(time.time(), site.name, self.path, req)
                with replica._lock:
                    replica.hits.append(hit)
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt" and site.robots():
                    resp = static(
                        site.robots().encode(),
                        "text/plain; charset=utf-8",
                        req,
                        modified=replica.started,
                    )
                else:
                    try:
                        resp = site.handle(parts.path, parts.query, req)
                    except Exception as exc:  # noqa: BLE001 - a replica bug must still answer
                        resp = text(500, f"replica error: {exc!r}")
                hit.status = resp.status
                if replica.latency:
                    time.sleep(replica.latency)
                try:
                    self._send(resp)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True

            def _send(self, resp: Response) -> None:
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if isinstance(resp.body, bytes | bytearray):
                    if resp.status != 304:
                        self.send_header("Content-Length", str(len(resp.body)))
                    self.end_headers()
                    self.wfile.flush()
                    if resp.stall:
                        time.sleep(resp.stall)
                    if resp.status != 304:
                        self.wfile.write(resp.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in resp.body:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

        return Handler


DEMO_SETTINGS: dict[str, object] = {
    "db": "data/demo.db",
    "user_agent": "newsmon-demo/0.1 (+https://github.com/newsmon/newsmon)",
    "per_host_concurrency": 2,
    "per_host_interval": 0.2,
    "max_response_bytes": 1_000_000,
    "max_articles_per_run": 100,
    "allow_private_addresses": False,
    "allow_addresses": ["127.0.0.1/32"],
    "archive": True,
    "max_age_days": 7,
    "retries": 1,
    "retry_backoff": 0.2,
    "retry_after_max": 10,
    "batch_size": 10,
    "timezone": "Asia/Baku",
}
DEMO_TIMEOUTS = {"connect": 2, "read": 1.5, "total": 10}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_config(
    bases: dict[str, str],
    *,
    settings: dict[str, object] | None = None,
    timeouts: dict[str, float] | None = None,
    sources: Iterable[str] | None = None,
) -> str:
    """The demo configuration for sites served at ``bases`` (site name -> base URL)."""
    s = {**DEMO_SETTINGS, **(settings or {})}
    t = {**DEMO_TIMEOUTS, **(timeouts or {})}
    blocks = {
        "Trend": lambda: (
            f'feeds = ["{bases["trend-en"]}/feeds/index.rss"]\n'
            f'sitemaps = ["{bases["trend-en"]}/sitemaps/news.xml"]\n'
            f'listings = ["{bases["trend-en"]}/azerbaijan/politics"]\n'
            'listing_selector = "ul.news-list > li > a"\n'
            "link_pattern = '/\\d+\\.html$'\n"
            'language = "en"\n'
            'profile = "trend"\n'
        ),
        "Trend (Azerbaijani)": lambda: (
            f'homepage = "{bases["trend-az"]}/"\nlanguage = "az"\nprofile = "trend"\n'
        ),
        "Caspian Wire": lambda: f'feeds = ["{bases["caspian"]}/rss"]\nlanguage = "en"\n',
        "Flaky": lambda: f'feeds = ["{bases["flaky"]}/feed.xml"]\n',
        "Broken feed": lambda: f'feeds = ["{bases["broken"]}/feed.xml"]\n',
    }
    chosen = list(sources) if sources is not None else list(blocks)
    out = ["[settings]"]
    out += [f"{k} = {_toml(v)}" for k, v in s.items()]
    out += ["", "[settings.timeouts]"]
    out += [f"{k} = {_toml(v)}" for k, v in t.items()]
    for name in chosen:
        out += ["", "[[sources]]", f"name = {_toml(name)}", blocks[name]().rstrip("\n")]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve newsmon's offline replica of news sites.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--base-port", type=int, default=8701, help="site i listens on base-port + i (default 8701)"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument("--bench-hosts", type=int, default=0)
    parser.add_argument("--bench-articles", type=int, default=100)
    parser.add_argument(
        "--bench-pages",
        type=Path,
        help="a file listing real HTML pages (one path a line) the bench outlets serve",
    )
    parser.add_argument(
        "--sites",
        default=",".join(DEFAULT_SITES),
        help="comma-separated sites to serve (default: all)",
    )
    parser.add_argument(
        "--then",
        nargs=argparse.REMAINDER,
        help="run this command while serving, then stop (exit with its status)",
    )
    args = parser.parse_args(argv)
    names = [n for n in args.sites.split(",") if n]
    replica = Replica(
        names,
        host=args.host,
        base_port=args.base_port,
        latency=args.latency,
        bench_hosts=args.bench_hosts,
        bench_articles=args.bench_articles,
        bench_pages=[
            Path(line)
            for line in (args.bench_pages.read_text().splitlines() if args.bench_pages else [])
            if line
        ],
    ).start()
    for name, site in replica.sites.items():
        print(f"replica: {name:10s} {site.base}/", file=sys.stderr)
    try:
        if args.then:
            return subprocess.call(args.then)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 130
    finally:
        replica.stop()


if __name__ == "__main__":
    sys.exit(main())
