"""The learner inside the monitor: a new outlet's first run comes out clean, reparse applies
what was learned, and a user sees and overrides it (``newsmon boilerplate``, Datasette,
``keep_blocks``, ``learn_boilerplate``).

The outlet is served on 127.0.0.1 by a plain HTTP server; its boilerplate is invented
here and appears in no rule of the code (tests/test_learned.py builds its pages).
"""

from __future__ import annotations

import asyncio
import http.server
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from flows.cli import main as cli
from tests.conftest_replica import *  # noqa: F403 - fixtures (until conftest.py loads them)
from tests.test_learned import BOX, COPYRIGHT, READ_ALSO, outlet_pages


class Outlet:
    """An invented outlet: an RSS feed of ``n`` pages and the pages, on a loopback port."""

    def __init__(self, n: int) -> None:
        self.pages = {urlsplit(u).path: (html, paras) for u, html, paras in outlet_pages(n)}
        outlet = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path == "/robots.txt":
                    self._send(b"User-agent: *\nAllow: /\n", "text/plain")
                elif self.path == "/feed.xml":
                    self._send(outlet.feed().encode(), "application/rss+xml")
                elif self.path in outlet.pages:
                    self._send(outlet.pages[self.path][0].encode(), "text/html; charset=utf-8")
                else:
                    self.send_error(404)

            def _send(self, body: bytes, ctype: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> str:
        items = "".join(
            f"<item><title>Story {path}</title><link>{self.base}{path}</link></item>"
            for path in self.pages
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Z</title>{items}</channel></rss>'

    def truth(self, url: str) -> list[str]:
        return self.pages[urlsplit(url).path][1]

    def config(self, tmp: Path, extra: str = "") -> Path:
        cfg = tmp / "newsmon.toml"
        cfg.write_text(
            "[settings]\n"
            f'db = "{tmp / "news.db"}"\n'
            'user_agent = "newsmon-test/0.1 (+https://example.org/contact)"\n'
            "per_host_interval = 0\n"
            'allow_addresses = ["127.0.0.1/32"]\n'
            "[[sources]]\n"
            'name = "Zorblat"\n'
            f'feeds = ["{self.base}/feed.xml"]\n'
            'language = "en"\n' + extra,
            encoding="utf-8",
        )
        return cfg


@pytest.fixture
def outlet() -> Iterator[Outlet]:
    site = Outlet(12)
    try:
        yield site
    finally:
        site.server.shutdown()


def _texts(db: Path, table: str = "articles") -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute(f"SELECT url, text FROM {table}").fetchall())
    finally:
        con.close()


def _monitor(cfg: Path) -> dict:
    from flows.run import run_monitor

    return asyncio.run(run_monitor(config=str(cfg)))


def test_a_new_outlets_first_run_is_stored_clean(outlet, tmp_path, capsys):
    result = _monitor(outlet.config(tmp_path))
    assert result["new"] == 12
    texts = _texts(tmp_path / "news.db")
    assert len(texts) == 12
    for url, text in texts.items():
        assert COPYRIGHT not in text and READ_ALSO not in text
        assert not any(line in text for line in BOX)
        assert text.split("\n\n") == outlet.truth(url)  # every real paragraph, in order

    assert cli(["boilerplate", "--db", str(tmp_path / "news.db")]) == 0
    out = capsys.readouterr().out
    assert "Zorblat: 12 pages observed" in out
    assert COPYRIGHT in out and "zum weiterlesen" in out.lower()

    from store.datasette import build_metadata

    tables = build_metadata(str(tmp_path / "news.db"))["databases"]["news"]["tables"]
    assert "Boilerplate learned per source" in tables["boilerplate_blocks"]["description"]


def test_learning_off_and_a_kept_block_leave_the_text_as_the_page_has_it(outlet, tmp_path):
    cfg = outlet.config(tmp_path, 'keep_blocks = ["Kopieren nur mit Quellenlink"]\n')
    _monitor(cfg)
    texts = _texts(tmp_path / "news.db")
    assert all(COPYRIGHT in t and BOX[0] not in t for t in texts.values())

    off = tmp_path / "off"
    off.mkdir()
    _monitor(outlet.config(off, "learn_boilerplate = false\n"))
    assert all(COPYRIGHT in t and BOX[0] in t for t in _texts(off / "news.db").values())


@pytest.mark.slow
def test_reparse_cleans_archived_pages_stored_before_learning(outlet, tmp_path, prefect_server):
    from flows.reparse import reparse_archive

    _monitor(outlet.config(tmp_path, "learn_boilerplate = false\n"))
    db = tmp_path / "news.db"
    assert all(COPYRIGHT in t for t in _texts(db).values())

    cfg = outlet.config(tmp_path)  # learning on again (the default)
    out = asyncio.run(reparse_archive(db=str(db), source="Zorblat", config=str(cfg)))
    assert (out["pages"], out["errors"]) == (12, 0)
    latest = _texts(db, "articles_latest")
    assert len(latest) == 12
    for url, text in latest.items():
        assert COPYRIGHT not in text and text.split("\n\n") == outlet.truth(url)
    con = sqlite3.connect(db)
    assert con.execute("SELECT pages_observed FROM boilerplate_sources").fetchone() == (12,)


def test_trend_without_its_profile_is_as_clean_as_with_it(replica, replica_config, tmp_path):
    with_profile = replica_config(sources=["Trend"])
    text = with_profile.read_text(encoding="utf-8")
    generic = tmp_path / "generic"
    generic.mkdir()
    cfg = generic / "newsmon.toml"
    cfg.write_text(
        text.replace('profile = "trend"\n', "").replace(
            str(tmp_path / "news.db"), str(generic / "news.db")
        ),
        encoding="utf-8",
    )
    _monitor(with_profile)
    _monitor(cfg)
    a, b = _texts(tmp_path / "news.db"), _texts(generic / "news.db")
    assert a.keys() == b.keys() and len(a) >= 5
    for url in a:
        assert b[url] == a[url], url
