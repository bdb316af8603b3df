"""The monitor on input nobody foresaw: each bad item costs only itself, one run at a time,
a killed run leaves nothing behind, every run ends on time, and only web links go out.

Real flow runs against a loopback outlet (tests/hostile_site.py) and a real SQLite file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from parsers.record import Article
from tests.conftest_replica import run_monitor
from tests.hostile_site import Site, article_html, config, listing_html, rss

ROOT = Path(__file__).resolve().parents[1]
NEWSMON = str(Path(sys.executable).with_name("newsmon"))

BAD_LINKS = [
    "http://xn--/x",  # an IDNA label with nothing in it
    "http://127.0.0.1:99999/news/port.html",  # a port that does not exist
    "http://127.0.0.1/" + "x" * 70_000,  # longer than any server accepts
]


@pytest.fixture
def site():
    s = Site().start()
    try:
        yield s
    finally:
        s.stop()


def _good(site: Site, n: int, start: int = 0) -> list[str]:
    paths = []
    for i in range(start, start + n):
        path = f"/news/{i}.html"
        site.pages[path] = (200, "text/html; charset=utf-8", article_html(i))
        paths.append(path)
    return paths


def test_malformed_feed_items_cost_only_themselves(prefect_server, site, tmp_path):
    good = _good(site, 8)
    links = good[:3] + BAD_LINKS + good[3:]
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, links))
    db_path = tmp_path / "news.db"
    cfg = config(tmp_path / "newsmon.toml", site, db=db_path)

    first = run_monitor(cfg)
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 8, "every good item next to the bad ones is stored"
    frontier = {r["status"] for r in db.query("SELECT status FROM frontier")}
    assert "pending" not in frontier, "nothing is left pending: the source cannot stall"
    failed = list(db.query("SELECT url, last_error FROM frontier WHERE status = 'failed'"))
    assert len(failed) == len(BAD_LINKS)
    assert all(r["last_error"].startswith("bad_url:") for r in failed)
    errors = list(db.query("SELECT * FROM run_errors WHERE run_id = ?", [first["run_id"]]))
    assert len(errors) == len(BAD_LINKS) and {e["stage"] for e in errors} == {"discover"}
    assert any("port" in e["message"] for e in errors)
    # No URL was rewritten into another one (port 99999 is not port 80).
    assert not list(db.query("SELECT url FROM articles WHERE url LIKE '%/news/port.html'"))

    # The next runs meet the bad items again in the feed: known, not new errors.
    second = run_monitor(cfg)
    report = second["sources"][0]
    assert (report["new"], report["errors"], report["pending"]) == (0, 0, 0)


def test_fetch_that_raises_fails_only_its_url(prefect_server, site, tmp_path, monkeypatch):
    """Whatever the fetcher raises for one URL, its batch neighbours are stored."""
    from flows.fetch import Fetcher

    good = _good(site, 6)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    real = Fetcher.fetch

    async def flaky(self, url, **kwargs):
        if url.endswith("/news/2.html"):
            raise RuntimeError("boom in the HTTP stack")
        return await real(self, url, **kwargs)

    monkeypatch.setattr(Fetcher, "fetch", flaky)
    db_path = tmp_path / "news.db"
    result = run_monitor(config(tmp_path / "newsmon.toml", site, db=db_path))
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 5
    row = db.execute("SELECT status, attempts, last_error FROM frontier WHERE url LIKE '%/2.html'")
    status, attempts, error = row.fetchone()
    assert (status, attempts) == ("pending", 1) and "boom" in error
    assert result["sources"][0]["errors"] == 1
    for _ in range(2):  # retired after its attempts, never stalling the source
        run_monitor(config(tmp_path / "newsmon.toml", site, db=db_path))
    assert db.execute("SELECT status FROM frontier WHERE url LIKE '%/2.html'").fetchone() == (
        "failed",
    )


def test_store_failure_of_one_record_keeps_the_batch(prefect_server, site, tmp_path, monkeypatch):
    import store.append as append

    good = _good(site, 5)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    real = append.to_row

    def picky(article: Article, **kwargs):
        if article.url and article.url.endswith("/news/3.html"):
            raise ValueError("the store refuses this record")
        return real(article, **kwargs)

    monkeypatch.setattr(append, "to_row", picky)
    db_path = tmp_path / "news.db"
    result = run_monitor(config(tmp_path / "newsmon.toml", site, db=db_path))
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 4
    row = db.execute("SELECT status, attempts, last_error FROM frontier WHERE url LIKE '%/3.html'")
    status, attempts, error = row.fetchone()
    assert (status, attempts) == ("pending", 1) and "refuses this record" in error
    assert result["sources"][0]["errors"] == 1
    assert result["sources"][0]["status"] == "ok"


def test_feed_item_that_looks_like_a_listing_is_stored(prefect_server, site, tmp_path):
    """A page the feed named is an article even when the classifier guesses 'listing';
    the guess is kept as data. A non-article found by crawling a listing is skipped
    and counted."""
    good = _good(site, 3)
    site.pages["/news/roundup.html"] = (200, "text/html", listing_html())
    site.pages["/feed.xml"] = (
        200,
        "application/rss+xml",
        rss(site.base, [*good, "/news/roundup.html"]),
    )
    site.pages["/section/"] = (
        200,
        "text/html",
        "<html><body><ul class='list'>"
        "<li><a href='/news/10.html'>Ten</a></li><li><a href='/news/hub.html'>Hub</a></li>"
        "</ul></body></html>",
    )
    site.pages["/news/hub.html"] = (200, "text/html", listing_html(15))
    _good(site, 1, start=10)
    db_path = tmp_path / "news.db"
    extra = f'listings = ["{site.base}/section/"]\nlisting_selector = "ul.list a"'
    result = run_monitor(config(tmp_path / "newsmon.toml", site, db=db_path, extra=extra))
    db = sqlite_utils.Database(db_path)
    types = dict(db.execute("SELECT url, page_type FROM articles").fetchall())
    roundup = [u for u in types if u.endswith("/news/roundup.html")]
    assert roundup and types[roundup[0]] == "listing"
    assert any(u.endswith("/news/10.html") for u in types)
    assert not any(u.endswith("/news/hub.html") for u in types)
    hub = db.execute("SELECT status, last_error FROM frontier WHERE url LIKE '%/hub.html'")
    status, why = hub.fetchone()
    assert status == "skipped" and "listing page" in why
    report = result["sources"][0]
    assert report["not_articles"] == 1 and report["new"] == 5

    from flows.cli_monitor import source_line

    assert "1 not articles (skipped)" in source_line(report)


def test_dates_that_are_not_dates_are_dropped_with_a_warning(tmp_path):
    import store

    db = store.open_db(tmp_path / "s.db")
    arts = []
    for i, value in enumerate(["NaN", "1e308", "inf", "2026-02-30", "2026-11-30T10:00:00+04:00"]):
        a = Article(url=f"https://example.org/{i}", title=f"t{i}", text=f"text number {i} " * 20)
        a.source = "s"
        a.published_at = value
        arts.append(a)
    store.append_batch(db, arts)
    rows = list(db.query("SELECT published_at, warnings FROM articles ORDER BY id"))
    assert [r["published_at"] for r in rows] == [None] * 4 + ["2026-11-30T10:00:00+04:00"]
    assert all("is not a date" in r["warnings"] for r in rows[:4])


def test_atom_feeds_link_only_to_web_addresses(tmp_path):
    """A record ingested with a javascript: URL never becomes an <a href> in a feed."""
    import store
    from store import datasette

    db = store.open_db(tmp_path / "s.db")
    bad = Article(url="javascript:alert(document.cookie)", title="x", text="Azerbaijan China " * 30)
    bad.source = "s"
    good = Article(url="HTTPS://example.org/a", title="y", text="Baku Beijing corridor " * 30)
    good.source = "s"
    store.append_batch(db, [bad, good])
    columns = datasette._ATOM_COLUMNS
    links = [r[0] for r in db.execute(f"SELECT atom_link FROM (SELECT {columns} FROM articles a)")]
    assert links == ["articles/1", "HTTPS://example.org/a"]


def test_given_up_urls_are_retired_and_shown_by_status(tmp_path, capsys):
    import store
    from flows.cli import main
    from store import fetchstate

    db = store.open_db(tmp_path / "s.db")
    fetchstate.migrate(db)
    fetchstate.enqueue(
        db,
        [{"key": "https://gone.example/a", "url": "https://gone.example/a"}],
        source="s",
        run_id=None,
    )
    db.execute("UPDATE frontier SET discovered_at = '2026-01-01T00:00:00+00:00'")
    db.conn.commit()
    with store.db.writing(db):
        fetchstate.settle(db, [("https://gone.example/a", "wait", "dns: no such host")])
    status, error = db.execute("SELECT status, last_error FROM frontier").fetchone()
    assert status == "failed" and "gave up after waiting" in error and "dns" in error
    db.close()
    assert main(["status", "--db", str(tmp_path / "s.db"), "--config", "none.toml"]) == 0
    out = capsys.readouterr().out
    assert "given up" in out and "gone.example" in out


def _cli_env(prefect_server: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    if prefect_server:
        env["PREFECT_API_URL"] = prefect_server
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.slow
def test_two_runs_at_once_fetch_nothing_twice(prefect_server, site, tmp_path):
    good = _good(site, 12)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    db_path = tmp_path / "news.db"
    # Slow enough that the two runs overlap; the second one gives up after 1 s.
    cfg = config(
        tmp_path / "newsmon.toml",
        site,
        db=db_path,
        settings={"per_host_interval": 0.5, "run_lock_wait": 1.0},
    )
    env = _cli_env(prefect_server)
    cmd = [NEWSMON, "run", "--config", str(cfg)]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not site.requests("/feed.xml") and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 1
    assert "another run is using the store" in second.stderr and "monitor-news" in second.stderr
    assert "Traceback" not in second.stderr
    for path in good:
        assert len(site.requests(path)) == 1, f"{path} fetched {len(site.requests(path))} times"
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 12
    assert db["sightings"].count == 0


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_run_without_a_prefect_server_starts_nothing_and_is_recorded(site, tmp_path):
    """``newsmon run`` and ``newsmon reparse`` with no Prefect server configured run
    without Prefect: no helper process to leave behind, nothing in PREFECT_HOME, and each
    run is a row of the store all the same."""
    good = _good(site, 3)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    db_path = tmp_path / "news.db"
    cfg = config(tmp_path / "newsmon.toml", site, db=db_path)
    env = {**_cli_env(None), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    done = subprocess.run(
        [NEWSMON, "run", "--config", str(cfg)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Hostile: 3 discovered, 3 new" in done.stdout
    again = subprocess.run(
        [NEWSMON, "reparse", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "3 archived pages re-parsed: 0 new, 3 duplicates" in again.stdout
    db = sqlite_utils.Database(db_path)
    assert db.execute("SELECT flow, status, new FROM runs ORDER BY started_at").fetchall() == [
        ("monitor-news", "completed", 3),
        ("reparse-archive", "completed", 0),
    ]
    home = tmp_path / "prefect-home"
    assert not home.exists() or not any(home.rglob("*.db")), "a Prefect server was started"


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find child processes")
def test_a_run_killed_while_extracting_leaves_no_extraction_worker(site, tmp_path):
    """The extraction workers (and whatever starts them) end with a run that is killed
    mid-way, instead of waiting for work forever."""
    good = _good(site, 60)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    cfg = config(
        tmp_path / "newsmon.toml",
        site,
        db=tmp_path / "news.db",
        settings={"per_host_interval": 0.1},
    )
    with open(tmp_path / "run.log", "wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--config", str(cfg)], env=_cli_env(None), stdout=out, stderr=out
        )
    deadline = time.monotonic() + 120
    helpers: list[int] = []
    # Extraction has started once the run has a worker process under it.
    while time.monotonic() < deadline and len(helpers) < 2:
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        helpers = [p for p in _descendants(proc.pid) if "multiprocessing" in _cmdline(p)]
        time.sleep(0.05)
    assert helpers, "the run never started its extraction workers"
    helpers = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gone_by = time.monotonic() + 20
    while any(_cmdline(p) for p in helpers) and time.monotonic() < gone_by:
        time.sleep(0.1)
    left = [_cmdline(p)[:120] for p in helpers if _cmdline(p)]
    assert not left, f"processes outlived the killed run: {left}"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find child processes")
def test_killed_run_is_marked_crashed_and_leaves_no_process(site, tmp_path):
    good = _good(site, 30)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, good))
    db_path = tmp_path / "news.db"
    cfg = config(tmp_path / "newsmon.toml", site, db=db_path, settings={"per_host_interval": 0.5})
    env = _cli_env(None)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--config", str(cfg)], env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 120
    while len(site.requests()) < 4 and time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before it could be killed: {log.read_text()}"
        time.sleep(0.05)
    children = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gone_by = time.monotonic() + 20
    while any(_cmdline(p) for p in children) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert not any(_cmdline(p) for p in children), "a helper process outlived the run"

    db = sqlite_utils.Database(db_path)
    assert db.execute("SELECT status FROM runs").fetchall() == [("running",)]
    # The next run (here: one that fetches the rest) marks the killed one as crashed.
    again = subprocess.run(
        [NEWSMON, "run", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    statuses = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["crashed", "completed"]
    assert db["articles"].count == 30


def _trickle(handler) -> None:
    """Headers at once, then one byte every half second, for ever (a hostile host)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "1000000")
    handler.end_headers()
    try:
        for _ in range(10_000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


@pytest.mark.slow
def test_run_ends_within_its_time_limit_whatever_the_host_does(prefect_server, site, tmp_path):
    good = _good(site, 2)
    slow = [f"/slow/{i}.html" for i in range(12)]
    for path in slow:
        site.pages[path] = _trickle
    # The good items are the newest (27 and 28 Nov), so they are in the first batch.
    links = slow[:7] + good + slow[7:]
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss(site.base, links))
    db_path = tmp_path / "news.db"
    # Without a deadline: 12 pages x 3 attempts x 5 s / 2 at a time = 90 s.
    cfg = config(
        tmp_path / "newsmon.toml",
        site,
        db=db_path,
        settings={"run_time_limit": 10.0, "retries": 2, "per_host_concurrency": 2},
    )
    started = time.monotonic()
    result = run_monitor(cfg)
    elapsed = time.monotonic() - started
    assert elapsed < 45, f"the run took {elapsed:.0f} s with a 10 s limit"
    report = result["sources"][0]
    assert report["new"] == 2
    assert report["cut_short"] > 0 and "time limit" in report["message"]
    assert report["status"] == "partial"
    db = sqlite_utils.Database(db_path)
    # What the limit left behind waits for the next run, without using an attempt,
    # and the source is not put into backoff for it.
    left = db.execute("SELECT count(*) FROM frontier WHERE status = 'pending'").fetchone()[0]
    assert left > 0
    assert db.execute("SELECT consecutive_failures FROM source_state").fetchone() == (0,)
