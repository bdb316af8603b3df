"""An analyst's visit in a real browser: headless Chromium driven over the DevTools protocol.

Home page -> full-text search typed into the search box -> first result opened (the
article reads as paragraphs, with a link to the original) -> a topic's Atom feed ->
the coverage dashboard with its charts drawn. Screenshots are taken at each step; they
go to docs/img/ when NEWSMON_UPDATE_SCREENSHOTS=1 (so a normal test run leaves the
repository untouched), else to the test's temporary folder.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_datasette import ARTICLES, build_sample_store, make_topics, running_datasette

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet on a machine without internet (no background or component traffic).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
ATOM_NS = "http://www.w3.org/2005/Atom"

pytestmark = pytest.mark.slow

websockets_sync = pytest.importorskip("websockets.sync.client")


class Page:
    """The smallest DevTools client that can navigate, run JS and take screenshots."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websockets_sync.connect(ws_url, max_size=None, open_timeout=15)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message_id = self.next_id
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == name:
                    del self.events[: i + 1]
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name} within {timeout} s")
            self.events.append(json.loads(self.ws.recv(timeout=remaining)))

    def js(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _loads(self, action: str) -> None:
        """Run JS that navigates (click, submit) and wait until the new page has loaded."""
        self.events.clear()
        self.js(action)
        self.wait_event("Page.loadEventFired")

    def goto(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def click(self, selector: str) -> None:
        self._loads(f"document.querySelector({json.dumps(selector)}).click()")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.ws.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("browser-site")
    db_path = build_sample_store(workdir / "newsmon.db")
    with running_datasette(db_path, make_topics(), workdir) as base:
        yield base


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    profile = tmp_path_factory.mktemp("chromium-profile")
    argv = [
        str(CHROMIUM),
        *CHROMIUM_FLAGS,
        "--hide-scrollbars",
        "--mute-audio",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    # Own session: the browser's helper processes go down with it.
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = httpx.get(
            f"http://127.0.0.1:{port}/json/list", timeout=10, trust_env=False
        ).json()
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        browser_page = Page(ws_url)
        browser_page.send("Page.enable")
        browser_page.send(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=960,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield browser_page
        browser_page.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("NEWSMON_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        return DOCS_IMG
    return tmp_path_factory.mktemp("screenshots")


def test_an_analysts_visit(site: str, page: Page, shots: Path):
    # 1. Home: the topics and their feeds are listed.
    page.goto(site + "/")
    assert page.js("document.querySelector('h1').textContent") == "newsmon"
    assert page.js("[...document.links].some(a => a.textContent === 'Azerbaijan–China relations')")
    page.screenshot(shots / "home.png")

    # 2. Full-text search typed into the articles search box, in three scripts at once.
    page.click("a[href$='/articles']")
    assert page.js("location.pathname") == "/newsmon/articles"
    query = "Azerbaijan OR Azərbaycan* OR Азербайджан*"
    page._loads(
        f"document.querySelector('#_search').value = {json.dumps(query)};"
        "document.querySelector('form.filters').submit()"
    )
    found = page.js(
        "[...document.querySelectorAll('table.rows-and-columns tbody tr')]"
        ".map(tr => tr.querySelector('td.col-title').textContent.trim())"
    )
    expected = [ARTICLES[i][5] for i in (2, 1, 0)]  # newest first
    assert found == expected
    page.screenshot(shots / "search.png")

    # 3. Open the first result: an article to read, paragraph by paragraph, with its source.
    page.click("table.rows-and-columns tbody tr td.col-id a")
    assert page.js("document.querySelector('article h1').textContent") == ARTICLES[2][5]
    paragraphs = page.js(
        "[...document.querySelectorAll('article .body p')].map(p => p.textContent)"
    )
    assert paragraphs == ARTICLES[2][6].split("\n\n")
    original = page.js("document.querySelector('article .original a').href")
    assert original == ARTICLES[2][4]
    assert page.js("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling
    page.screenshot(shots / "article.png")

    # 4. A topic feed, as a feed reader would get it: an Atom document with the articles.
    page.goto(site + "/")
    page.click("a[href$='/feed-azerbaijan-china.atom']")
    entries = page.js(
        f"[...document.getElementsByTagNameNS('{ATOM_NS}', 'entry')]"
        f".map(e => e.getElementsByTagNameNS('{ATOM_NS}', 'title')[0].textContent)"
    )
    assert entries == [ARTICLES[i][5] for i in (3, 2, 1, 0)]

    # 5. The dashboard: three numbers and every chart drawn.
    page.goto(site + "/")
    page.click("a[href$='/-/dashboards/coverage']")
    page.wait_for(
        "document.querySelectorAll('.dashboard-card-chart canvas, "
        ".dashboard-card-chart svg').length >= 3"
    )
    page.wait_for("document.querySelectorAll('#chart-articles p').length > 0")
    numbers = page.js(
        "['articles', 'sources', 'multi-share'].map("
        "s => document.querySelector('#chart-' + s + ' p').textContent)"
    )
    assert numbers == ["8", "4", "25.0 %"]
    time.sleep(0.5)  # let the charts finish their first paint
    page.screenshot(shots / "dashboard.png")

    for name in ("home", "search", "article", "dashboard"):
        width, height = png_size(shots / f"{name}.png")
        assert (width, height) == (1280, 960)
        assert (shots / f"{name}.png").stat().st_size > 20_000, f"{name}.png looks blank"


def test_dump_dom_of_an_article_page(site: str, tmp_path: Path):
    """The one-shot CLI (no DevTools) sees the reading view too: what a cron job would use."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    out = tmp_path / "dom.html"
    argv = [
        str(CHROMIUM),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'p'}",
        "--dump-dom",
        f"{site}/newsmon/articles/1",
    ]
    with out.open("w") as sink:
        subprocess.run(argv, stdout=sink, stderr=subprocess.DEVNULL, timeout=60, check=True)
    dom = out.read_text()
    assert 'class="newsmon-article"' in dom and ARTICLES[0][5] in dom
