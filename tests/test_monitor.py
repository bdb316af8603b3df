"""The monitor flow end to end: real Prefect flow runs against the replica on 127.0.0.1.

What a user checks: the expected articles are stored once; a second run only sends
conditional requests and appends nothing; robots.txt, intervals and Retry-After hold
from the server's point of view; broken sources are errors, not crashes; a run killed
half-way and started again stores every article exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

import store
from demo.replica import Replica
from store import fetchstate
from tests.conftest_replica import *  # noqa: F403 - fixtures (until conftest.py loads them)
from tests.conftest_replica import FAST_SETTINGS, FAST_TIMEOUTS, JITTER, run_monitor

ROOT = Path(__file__).resolve().parents[1]

TREND_EN = [4100001, 4100002, 4100003, 4100004, 4100005, 4100006, 4100007, 4100008]
TREND_AZ = [4100101, 4100102, 4100103, 4100104]
ARTICLE_PATHS = {"/news/ok-1.html", "/news/rate-limited.html"}


def _db(cfg_path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(cfg_path.parent / "news.db")


def _report(result: dict, name: str) -> dict:
    return next(r for r in result["sources"] if r["name"] == name)


def _stored_paths(db: sqlite_utils.Database) -> list[str]:
    from urllib.parse import urlsplit

    return sorted(urlsplit(r["url"]).path for r in db.query("SELECT url FROM articles"))


def test_first_run_stores_the_news_second_run_only_revalidates(
    prefect_server, replica, replica_config
):
    cfg = replica_config()
    first = run_monitor(cfg)
    db = _db(cfg)

    paths = _stored_paths(db)
    expected = sorted(
        [
            *(
                f"/{p}"
                for p in (
                    "azerbaijan/politics/4100001.html",
                    "business/economy/4100002.html",
                    "azerbaijan/politics/4100003.html",
                    "business/energy/4100004.html",
                    "world/asia/4100005.html",
                    "society/4100006.html",
                    "business/economy/4100007.html",
                    "azerbaijan/politics/4100008.html",
                    "azerbaijan/politics/4100101.html",
                    "business/economy/4100102.html",
                    "society/4100103.html",
                    "society/4100104.html",
                    "news/ferry-line-turkmenbashi-501",
                    "news/azerbaijan-china-cultural-forum-502",
                )
            ),
            *ARTICLE_PATHS,
        ]
    )
    # The republished Trend story is stored once: whichever copy came first is the article,
    # the other one a sighting.
    forum = {"/azerbaijan/politics/4100003.html", "/news/azerbaijan-china-cultural-forum-502"}
    assert len(forum & set(paths)) == 1
    assert sorted(set(paths) | forum) == expected
    assert len(paths) == len(expected) - 1
    sightings = list(db.query("SELECT url, method FROM sightings"))
    assert len(sightings) == 1 and any(p in sightings[0]["url"] for p in forum)
    # No tracking parameters are stored (nor sent back to the publisher).
    assert not [p for p in db.query("SELECT url FROM articles WHERE url LIKE '%utm_%'")]
    assert replica.requests("caspian", "/news/ferry-line-turkmenbashi-501")[0].path == (
        "/news/ferry-line-turkmenbashi-501"
    )

    trend = _report(first, "Trend")
    assert (trend["status"], trend["discovered"], trend["robots"]) == ("ok", 9, 1)
    assert replica.requests("trend-en", "/private/4100099.html") == []
    az = _report(first, "Trend (Azerbaijani)")
    assert az["new"] == 4 and az["status"] == "ok"  # feed found on the home page
    titles = {r["title"] for r in db.query("SELECT title FROM articles WHERE language = 'az'")}
    assert "Bakı marafonunda rekord sayda qaçışçı iştirak edib" in titles

    # Errors are rows, and every other source completed.
    errors = {
        (r["source"], r["stage"], r["item"].rsplit("/", 1)[-1], r["message"].split(":")[0])
        for r in db.query("SELECT * FROM run_errors WHERE run_id = ?", [first["run_id"]])
    }
    assert errors == {
        ("Broken feed", "discover", "feed.xml", "feed"),
        ("Flaky", "fetch", "error-500.html", "http_500"),
        ("Flaky", "fetch", "huge.html", "too_large"),
        ("Flaky", "fetch", "moved.html", "address_refused"),
        ("Flaky", "fetch", "slow.html", "timeout"),
    }
    assert _report(first, "Broken feed")["status"] == "failed"
    assert "not a feed" in _report(first, "Broken feed")["message"]
    assert {r["status"] for r in first["sources"] if r["name"] != "Broken feed"} == {"ok"}
    run = db["runs"].get(first["run_id"])
    assert (run["status"], run["new"], run["duplicates"], run["errors"]) == ("completed", 15, 1, 5)

    # The per-host interval held for every host, as the server saw it.
    for site in ("trend-en", "trend-az", "caspian", "flaky"):
        times = sorted(h.at for h in replica.requests(site))
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert not gaps or min(gaps) >= 0.2 - JITTER, (site, gaps)
    hits = replica.requests("flaky", "/news/rate-limited.html")
    assert [h.status for h in hits] == [429, 200] and hits[1].at - hits[0].at >= 1.0

    # Second run: conditional requests, 304s, nothing appended, nothing re-downloaded.
    replica.clear()
    second = run_monitor(cfg)
    assert second["new"] == 0 and second["duplicates"] == 0
    for site, path in (
        ("trend-en", "/feeds/index.rss"),
        ("trend-en", "/sitemaps/news.xml"),
        ("trend-en", "/azerbaijan/politics"),
        ("trend-az", "/"),
        ("trend-az", "/feeds/index.rss"),
        ("caspian", "/rss"),
        ("flaky", "/feed.xml"),
    ):
        (hit,) = replica.requests(site, path)
        assert hit.conditional and hit.status == 304, (site, path)
    assert not replica.requests(None, "/robots.txt")  # cached for a day
    article_hits = [
        h.path for h in replica.requests() if h.path.endswith((".html", "-501", "-502"))
    ]
    # Only the transient failures are tried again; nothing stored is fetched twice.
    assert sorted(set(article_hits)) == ["/news/error-500.html", "/news/slow.html"]
    assert _report(second, "Trend")["not_modified"] == 3
    assert _report(second, "Broken feed")["status"] == "backing_off"
    assert db["articles"].count == 15


def test_summary_artifact_and_reparse(prefect_server, replica, replica_config):
    from prefect.client.orchestration import get_client

    from flows.reparse import reparse_archive

    cfg = replica_config(sources=["Trend", "Caspian Wire"])
    result = run_monitor(cfg)

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts()

    arts = [
        a
        for a in asyncio.run(artifacts())
        if a.key == "monitor-summary" and result["run_id"] in (a.data or "")
    ]
    assert len(arts) == 1
    table = arts[0].data
    assert (
        "| source | status | discovered | new | duplicates | not modified | skipped by robots"
        in table
    )
    assert "| Trend | ok | 9 |" in table

    db = _db(cfg)
    assert db["raw_pages"].count == 10
    page = next(fetchstate.iter_raw_pages(db, source="Trend"))
    assert page.body.startswith(b"<!DOCTYPE html>") and page.headers["content-type"]
    out = asyncio.run(reparse_archive(db=str(cfg.parent / "news.db")))
    assert (out["pages"], out["new"], out["errors"]) == (10, 0, 0)
    assert db["articles"].count == 9


def test_a_failing_store_stage_loses_nothing_and_stores_nothing_twice(
    prefect_server, replica, replica_config, monkeypatch
):
    cfg = replica_config(sources=["Trend"], settings={"batch_size": 3})
    calls = {"n": 0}
    real = store.append_batch

    def flaky_append(db, articles, **kw):
        calls["n"] += 1
        if calls["n"] >= 2:  # from the second batch on, until the disk is replaced
            raise RuntimeError("disk on fire")
        return real(db, articles, **kw)

    monkeypatch.setattr(store, "append_batch", flaky_append)
    first = run_monitor(cfg, honor_backoff=False)
    trend = _report(first, "Trend")
    assert trend["status"] == "failed"
    assert trend["message"] == "store: RuntimeError: disk on fire"
    db = _db(cfg)
    assert [
        (r["stage"], r["item"])
        for r in db.query("SELECT stage, item FROM run_errors WHERE run_id = ?", [first["run_id"]])
    ] == [("store", "Trend")]
    # Newest first: the robots-forbidden page, 4100001 and 4100002 made the first batch.
    assert trend["new"] == 2
    monkeypatch.setattr(store, "append_batch", real)
    second = run_monitor(cfg, honor_backoff=False)
    assert _report(second, "Trend")["new"] == 6
    db = _db(cfg)
    urls = [r["url"] for r in db.query("SELECT url FROM articles")]
    assert len(urls) == len(set(urls)) == 8
    # The first batch, stored before the failure, was never fetched again.
    first_batch = [
        r["url"] for r in db.query("SELECT url FROM articles WHERE run_id = ?", [first["run_id"]])
    ]
    for url in first_batch:
        path = url.split("/", 3)[3]
        assert len(replica.requests("trend-en", "/" + path)) == 1


@pytest.mark.slow  # a subprocess that imports Prefect: ~9 s
def test_a_run_killed_half_way_resumes_without_duplicates(prefect_server, tmp_path):
    slow = Replica(["trend-en"], latency=0.25).start()
    try:
        db_path = tmp_path / "news.db"
        cfg = tmp_path / "newsmon.toml"
        cfg.write_text(
            slow.config(
                settings={**FAST_SETTINGS, "db": str(db_path), "batch_size": 2},
                timeouts=FAST_TIMEOUTS,
                sources=["Trend"],
            ),
            encoding="utf-8",
        )
        env = {**os.environ, "PREFECT_API_URL": prefect_server, "PYTHONPATH": str(ROOT)}
        code = (
            "import asyncio, sys; from flows.monitor import monitor_news; "
            "asyncio.run(monitor_news(config=sys.argv[1]))"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(cfg)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        stored = 0
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with sqlite3.connect(db_path) as conn:
                        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                except sqlite3.Error:
                    stored = 0
                if stored >= 2:
                    os.kill(proc.pid, signal.SIGKILL)  # killed right after its first batch
                    break
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        assert 2 <= stored < 8
        db = sqlite_utils.Database(db_path)
        assert [r["status"] for r in db.query("SELECT status FROM runs")] == ["running"]
        before = {r["url"] for r in db.query("SELECT url FROM articles")}

        result = run_monitor(cfg)
        assert result["new"] == 8 - len(before)
        urls = [r["url"] for r in db.query("SELECT url FROM articles")]
        assert len(urls) == len(set(urls)) == 8
        assert db["sightings"].count == 0
        for url in before:  # stored before the kill: never fetched again
            path = "/" + url.split("/", 3)[3]
            assert len(slow.requests("trend-en", path)) == 1, path
    finally:
        slow.stop()


def test_offline_sources_say_so_and_the_command_exits_0_quickly(prefect_server, tmp_path, capsys):
    import flows.cli_monitor  # noqa: F401 - registers `run`
    from flows.cli import main

    cfg = tmp_path / "offline.toml"
    cfg.write_text(
        f'[settings]\ndb = "{tmp_path / "off.db"}"\n'
        '[[sources]]\nname = "Trend"\nfeeds = ["https://en.trend.invalid/feeds/index.rss"]\n'
        'listings = ["https://en.trend.invalid/azerbaijan/politics"]\n'
        '[[sources]]\nname = "Report.az"\nhomepage = "https://report.invalid/en/"\n'
        "robots_sitemaps = true\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code = main(["run", "--config", str(cfg)])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 0
    assert "Trend: network unreachable (DNS lookup failed for en.trend.invalid" in out
    assert "Report.az: network unreachable (DNS lookup failed for report.invalid" in out
    assert elapsed < 20
    db = sqlite_utils.Database(tmp_path / "off.db")
    state = db["source_state"].get("Trend")
    assert state["consecutive_failures"] == 1
    due = datetime.fromisoformat(state["next_due_at"])
    assert timedelta(minutes=9) < due - datetime.now(UTC) <= timedelta(minutes=10)
    # A scheduled run (honouring backoff) skips it and says why.
    again = run_monitor(cfg)
    assert _report(again, "Trend")["status"] == "backing_off"
    assert "DNS lookup failed" in _report(again, "Trend")["message"]


def test_local_files_of_a_source_are_ingested_once(prefect_server, seeds_dir, tmp_path):
    cfg = tmp_path / "files.toml"
    cfg.write_text(
        f'[settings]\ndb = "{tmp_path / "f.db"}"\n'
        f'[[sources]]\nname = "Seeds"\nfiles = ["{seeds_dir}"]\n',
        encoding="utf-8",
    )
    first = run_monitor(cfg)
    assert (_report(first, "Seeds")["files"], _report(first, "Seeds")["new"]) == (5, 5)
    second = run_monitor(cfg)
    seeds = _report(second, "Seeds")
    assert (seeds["files"], seeds["new"], seeds["not_modified"]) == (0, 0, 5)
    db = sqlite_utils.Database(tmp_path / "f.db")
    assert db["sightings"].count == 0
    assert {r["source"] for r in db.query("SELECT source FROM articles")} == {"Seeds"}


# --------------------------------------------------------------------------- fetch state
def test_fetchstate_migrate_is_idempotent_and_backoff_is_capped(tmp_path):
    db = store.open_db(tmp_path / "x.db")
    fetchstate.migrate(db)
    fetchstate.migrate(db)
    assert {"fetch_state", "frontier", "source_state", "host_state", "raw_pages"} <= set(
        db.table_names()
    )
    assert fetchstate.backoff(1) == timedelta(minutes=10)
    assert fetchstate.backoff(3) == timedelta(minutes=40)
    assert fetchstate.backoff(50) == timedelta(hours=24)
    now = datetime(2025, 4, 22, 12, tzinfo=UTC)
    for _ in range(12):
        state = fetchstate.record_source_run(db, "Trend", ok=False, error="boom", now=now)
    assert state.consecutive_failures == 12
    assert datetime.fromisoformat(state.next_due_at) == now + timedelta(hours=24)
    assert not state.due(now) and state.due(now + timedelta(hours=24))
    state = fetchstate.record_source_run(db, "Trend", ok=True, now=now)
    assert state.consecutive_failures == 0 and state.due(now)


def test_frontier_gives_up_after_repeated_transient_failures(tmp_path):
    from store.db import writing

    db = store.open_db(tmp_path / "x.db")
    fetchstate.migrate(db)
    items = [
        {
            "key": f"https://x.example/{i}",
            "url": f"https://x.example/{i}",
            "published_at": f"2025-04-2{i}",
        }
        for i in range(3)
    ]
    assert fetchstate.enqueue(db, items, source="X", run_id=None) == 3
    assert fetchstate.enqueue(db, items, source="X", run_id=None) == 0
    assert [i.key for i in fetchstate.pending(db, "X", 10)][0] == "https://x.example/2"
    for _ in range(fetchstate.MAX_ATTEMPTS):
        with writing(db):
            fetchstate.settle(db, [("https://x.example/0", "retry", "timeout")])
    with writing(db):
        fetchstate.settle(db, [("https://x.example/1", "done", None)])
        fetchstate.settle(db, [("https://x.example/2", "wait", "dns: host down")] * 5)
    assert [i.key for i in fetchstate.pending(db, "X", 10)] == ["https://x.example/2"]
    rows = {r["key"]: r for r in db.query("SELECT * FROM frontier")}
    assert rows["https://x.example/0"]["status"] == "failed"
    # A host that is down does not use up the article's attempts.
    assert (rows["https://x.example/2"]["status"], rows["https://x.example/2"]["attempts"]) == (
        "pending",
        0,
    )


def test_raw_archive_round_trip(tmp_path):
    db = store.open_db(tmp_path / "x.db")
    fetchstate.migrate(db)
    body = "<html><body><p>Bakı, Azərbaycan</p></body></html>".encode() * 50
    fetchstate.archive_pages(
        db,
        [
            {
                "url": "https://a.example/1",
                "final_url": "https://a.example/1",
                "source": "A",
                "status": 200,
                "headers": {"content-type": "text/html"},
                "body": body,
            }
        ],
    )
    row = next(db.query("SELECT size, length(body) AS stored, codec FROM raw_pages"))
    assert row["size"] == len(body) and row["stored"] < len(body) / 5 and row["codec"] == "zstd"
    (page,) = list(fetchstate.iter_raw_pages(db, source="A"))
    assert page.body == body and page.headers == {"content-type": "text/html"}


def test_raw_archive_keeps_a_compressed_response_as_sent(tmp_path):
    """A page the server sent compressed is archived in those bytes (no second
    compression), and reads back as the decoded page; bytes that are no smaller than
    the page are compressed as before."""
    import gzip

    db = store.open_db(tmp_path / "x.db")
    page = "<html><body><p>Bakı, Azərbaycan</p></body></html>".encode() * 50
    sent = gzip.compress(page)
    base = {"source": "A", "status": 200, "headers": {"content-encoding": "gzip"}, "body": page}
    fetchstate.archive_pages(
        db,
        [
            {**base, "url": "https://a.example/1", "wire_body": sent, "wire_coding": "gzip"},
            {**base, "url": "https://a.example/2", "wire_body": page + b"..", "wire_coding": "br"},
        ],
    )
    rows = list(db.query("SELECT url, size, body, codec FROM raw_pages ORDER BY id"))
    assert (rows[0]["codec"], rows[0]["body"], rows[0]["size"]) == ("http:gzip", sent, len(page))
    assert rows[1]["codec"] == "zstd"
    assert [p.body for p in fetchstate.iter_raw_pages(db, source="A")] == [page, page]


def test_a_run_archives_the_pages_as_the_server_sent_them(replica, replica_config, tmp_path):
    """Every archived article decodes to the very body the run parsed (its hash is the
    one kept for revalidation), and a gzip page is kept in the server's own bytes."""
    import gzip
    import hashlib

    from flows.run import run_monitor as run_without_prefect

    cfg = replica_config(sources=["Trend"])
    result = asyncio.run(run_without_prefect(config=str(cfg)))
    assert result["new"] > 0
    db = _db(cfg)
    hashes = {r["url"]: r["body_hash"] for r in db.query("SELECT url, body_hash FROM fetch_state")}
    rows = {r["url"]: r for r in db.query("SELECT url, body, codec FROM raw_pages")}
    articles = [u for u in rows if u.endswith(".html")]
    assert articles and {rows[u]["codec"] for u in articles} == {"http:gzip"}
    for u in articles:
        assert hashlib.sha256(gzip.decompress(rows[u]["body"])).hexdigest() == hashes[u]
    for page in fetchstate.iter_raw_pages(db, source="Trend"):
        assert hashlib.sha256(page.body).hexdigest() == hashes[page.url]


def test_discovery_through_robots_sitemap_index_skips_old_children(replica, tmp_path):
    """robots.txt -> sitemap index -> the recent news sitemap (the year-old archive is skipped)."""
    from flows.config import parse_config
    from flows.fetch import Fetcher, FetchPolicy
    from flows.monitor import RunContext, SourceReport, discover

    text = replica.config(
        settings={**FAST_SETTINGS, "db": str(tmp_path / "d.db")},
        timeouts=FAST_TIMEOUTS,
        sources=["Trend"],
    )
    text = text.replace("sitemaps = [", "robots_sitemaps = true\nsitemaps_unused = [")
    text = "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(("sitemaps_unused", "listings", "listing_selector", "link_pattern"))
    )
    cfg = parse_config(text)
    src = cfg.source("Trend")
    db = store.open_db(tmp_path / "d.db")
    fetchstate.migrate(db)
    run_id = store.start_run(db, "test")

    async def go():
        async with Fetcher(FetchPolicy.from_settings(cfg.settings)) as f:
            report = SourceReport(name="Trend")
            ctx = RunContext(cfg, str(tmp_path / "d.db"), run_id, f)
            return (await discover(ctx, src, report)).candidates, report

    found, report = asyncio.run(go())
    assert report.status == "ok", report
    names = {c.url.rsplit("/", 1)[-1]: c.via for c in found}
    # The feed offers 4100001-06 and the private page; only the sitemap has 4100007.
    assert sorted(names) == [f"41000{i:02d}.html" for i in (1, 2, 3, 4, 5, 6, 7, 99)]
    assert names["4100007.html"] == "sitemap"
    paths = [h.path for h in replica.requests("trend-en")]
    assert "/sitemaps/index.xml" in paths and "/sitemaps/news.xml" in paths
    assert "/sitemaps/archive-2024.xml" not in paths


def test_extraction_workers_start_with_the_extractor_loaded():
    """A run's extraction workers are forked from a server that has already run the
    extractor once: the language model and the fallback extractor's stop-word lists
    (0.5 s of CPU each to load) are in every worker before its first page, not loaded
    again by each."""
    from flows.run import extraction_pool

    probe = (
        "(__import__('sys').modules.get('parsers.language') is not None "
        "and __import__('sys').modules['parsers.language']._identifier is not None "
        "and bool(__import__('trafilatura.external').external.JT_STOPLIST), "
        "__import__('os').getpid())"
    )
    pool = extraction_pool()
    seen = {}
    for _ in range(20):
        loaded, pid = pool.submit(eval, probe).result(timeout=120)
        seen[pid] = loaded
    assert seen and all(seen.values()), seen


def test_a_first_batch_reaches_the_extraction_workers_after_two_pages():
    """A run's first batch of a source is cut into growing chunks, so parsing starts
    after two pages are in; later batches keep the full chunk, and nothing is lost."""
    from flows.run import _parts

    batch = list(range(50))
    first = _parts(batch, 10, ramp=True)
    assert [len(p) for p in first] == [2, 4, 8, 10, 10, 10, 6]
    assert [len(p) for p in _parts(batch, 10, ramp=False)] == [10] * 5
    assert [x for p in first for x in p] == batch
    assert _parts([], 10, ramp=True) == [] and _parts([7], 10, ramp=True) == [[7]]
