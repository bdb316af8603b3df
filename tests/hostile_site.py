"""A small outlet on 127.0.0.1 whose feed and pages each test writes: good articles next to
whatever input nobody foresaw (malformed links, listing-like pages, slow pages).

The server records every request so that tests can check what a run really fetched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WORDS = (
    "Baku Beijing delegation signed memorandum logistics corridor Caspian port rail cargo "
    "ministers discussed investment energy cooperation green hydrogen transit routes "
    "container volumes customs digital platform growth agreement summit officials"
).split()


def article_html(i: int, *, title: str | None = None, paragraphs: int = 5) -> str:
    """A plain article page whose text is unique to ``i``."""
    title = title or f"Caspian corridor report number {i}"
    body = "".join(
        "<p>"
        + " ".join(WORDS[(i * 7 + p * 3 + k) % len(WORDS)] for k in range(40))
        + f" (report {i}, paragraph {p}, figure {i * 1000 + p}).</p>"
        for p in range(paragraphs)
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | Hostile Times</title>"
        "<meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='2026-11-2{i % 9}T10:{i % 60:02d}:00+04:00'>"
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def listing_html(n: int = 20) -> str:
    """A page the classifier takes for a listing (teasers linking to stories)."""
    teasers = "".join(
        f"<article class='teaser'><h3><a href='/news/story-{i}'>Story number {i} about the port"
        f"</a></h3><time datetime='2026-11-0{i % 9 + 1}'>Nov</time><p>Short teaser.</p></article>"
        for i in range(n)
    )
    return (
        "<html lang='en'><head><title>News | Hostile Times</title>"
        "<meta property='og:type' content='website'></head><body><main>"
        f"<h1>Latest news</h1>{teasers}</main></body></html>"
    )


def rss(base: str, links: list[str], *, titles: list[str] | None = None) -> str:
    items = "".join(
        f"<item><title>{escape((titles or [])[k] if titles else f'Item {k}')}</title>"
        f"<link>{escape(base + link if link.startswith('/') else link)}</link>"
        f"<pubDate>Mon, 2{k % 9} Nov 2026 10:00:00 +0400</pubDate></item>"
        for k, link in enumerate(links)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Hostile Times</title><link>{base}/</link>{items}</channel></rss>"
    )


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Hit:
    path: str
    at: float


@dataclass
class Site:
    """``site.pages[path] = (status, content_type, body)`` or a callable handler."""

    pages: dict[str, Any] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def requests(self, path: str | None = None) -> list[Hit]:
        return [h for h in self.hits if path is None or h.path == path]

    def start(self) -> Site:
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.hits.append(Hit(self.path, time.time()))
                page = site.pages.get(self.path)
                if page is None and self.path == "/robots.txt":
                    page = (200, "text/plain", "User-agent: *\nAllow: /\n")
                if callable(page):
                    page(self)
                    return
                status, ctype, body = page or (404, "text/plain", "not found")
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def config(
    path: Path, site: Site, *, db: Path, settings: dict[str, Any] | None = None, extra: str = ""
) -> Path:
    """A newsmon.toml with one source reading ``/feed.xml`` of the site."""
    values = {
        "db": str(db),
        "per_host_interval": 0.05,
        "retries": 0,
        "retry_backoff": 0.05,
        "batch_size": 5,
        "max_age_days": 0,
        "allow_addresses": ["127.0.0.0/8"],
        **(settings or {}),
    }
    lines = ["[settings]"]
    for key, value in values.items():
        if isinstance(value, str):
            lines.append(f"{key} = {value!r}".replace("'", '"'))
        elif isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f"{key} = {value}")
    lines += [
        "[settings.timeouts]",
        "connect = 2.0",
        "read = 2.0",
        "total = 5.0",
        "",
        "[[sources]]",
        'name = "Hostile"',
        f'feeds = ["{site.base}/feed.xml"]',
        extra,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
