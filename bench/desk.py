#!/usr/bin/env python
"""The analyst's desk at a year's scale: every page and query timed on 100,000 and
1,000,000 articles, against the same rows in a plain sqlite-utils table served by Datasette.

For each size (stores from bench/desk_store.py, cached in bench/.cache, built on the first
run: about an hour for a million on 2 cores, most of it indexing them for dedup; 11 GB):
1. a copy of the store as the previous newsmon wrote it (schema 8) is opened with today's
   newsmon, so the upgrade runs on it as on a user's store (its time is reported);
2. ``newsmon serve-db``'s own Datasette command serves it (metadata, plugin, settings), and
   a plain ``datasette serve`` serves the reference (no metadata, default settings);
3. each page is fetched ``--repeat`` times after one warm-up request (p50 and p95, ms); a
   page is also checked for what an analyst needs (status 200, its facets there and not
   timed out, a chart's rows under the row cap and summing to every article);
4. ``newsmon ingest`` appends 2,000 new articles (JSON Lines, real sentences) to the store:
   articles per second at that size, the real path with dedup and topic tagging; once dated
   the day after the store's last (the dedup window holds a month of the store: ten times
   more articles a day in the million store, which packs ten times the articles into the
   same 400 days), once two months later (no stored article inside the window: what the
   store's size alone costs); and the previous release (``PREVIOUS_RELEASE``, unpacked from
   git history) appends the same records to its own copy of the schema-8 store, the rate
   the issue asked the million store to keep.

Usage: python bench/desk.py [--sizes 100000,1000000] [--repeat 20] [--no-write] [--rebuild]
                            [--cache DIR] [--ingest 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from docs_section import write_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk_store  # noqa: E402
from datasette_dashboards import replace_opts_in_query  # noqa: E402

from store.datasette import database_name, serve_command, write_metadata  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
BIN = Path(sys.executable).parent
#: Datasette's default cap on the rows one query returns.
ROW_CAP = 1000
TARGET_MS = 300

#: Marks Datasette's own generic pages that the issue's list does not name: its table
#: search box (unranked, newest first over every match; the desk's search is the ranked
#: one) and its ``_through`` filter (which nothing in the desk links to any more).
GENERIC = "(Datasette's own)"
#: Terms of the topics the appended articles are tagged with (the stores' own tags are dealt).
TERMS = {
    "az-china": ["China", "Çin", "Китай", "中国"],
    "energy": ["energy", "enerji", "энергетика", "能源"],
    "transport": ["railway", "dəmir yolu", "железная дорога", "铁路"],
}
TOPICS = [
    {
        "name": name,
        "title": name.replace("-", " ").title(),
        "groups": [{"mode": "any", "terms": TERMS[name]}],
    }
    for name, _ in desk_store.TOPICS
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Datasette process on a free loopback port, stopped on exit."""

    def __init__(self, argv: list[str], port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(self.base + "/-/versions.json", timeout=2)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    raise SystemExit(self.proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.3)
        raise SystemExit("Datasette did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _time(client: httpx.Client, url: str, repeat: int) -> tuple[float, float, httpx.Response]:
    response = client.get(url)  # warm-up: the page cache, Datasette's introspection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, response


def _chart_url(db: str, sql: str, params: dict[str, str]) -> str:
    query = replace_opts_in_query(sql, params)
    qs = {"sql": query, "_shape": "objects", **params}
    return f"/{db}.json?" + httpx.QueryParams(qs).__str__()


def _pages(
    db: str, ref: str, meta: dict[str, Any], sample: dict[str, Any]
) -> list[tuple[str, str, str | None, str]]:
    """(page, newsmon URL, reference URL or None, what to check)."""
    facets4 = "_facet=source&_facet=language&_facet=section&_facet_date=published_at"
    day, source, section = sample["day"], sample["source"], sample["section"]
    article = sample["article_id"]
    topic = TOPICS[0]["name"]
    pages = [
        (
            "articles, default facets",
            f"/{db}/articles.json",
            f"/{ref}/articles.json?{facets4}",
            "facets",
        ),
        (
            "articles?language=az",
            f"/{db}/articles.json?language=az",
            f"/{ref}/articles.json?language=az&{facets4}",
            "facets",
        ),
        (
            "articles?source=…",
            f"/{db}/articles.json?source={source}",
            f"/{ref}/articles.json?source={source}&{facets4}",
            "facets",
        ),
        (
            "articles?section=…",
            f"/{db}/articles.json?section={httpx.QueryParams({'s': section})['s']}",
            f"/{ref}/articles.json?{httpx.QueryParams({'section': section})}&{facets4}",
            "facets",
        ),
        (
            "articles?day=…",
            f"/{db}/articles.json?day={day}",
            f"/{ref}/articles.json?published_at__startswith={day}&{facets4}",
            "facets",
        ),
        (
            "topic facet link: articles_by_topic?topic=…&language=az",
            f"/{db}/articles_by_topic.json?topic={topic}&language=az",
            None,
            "facets",
        ),
        (
            "search in a topic: China",
            f"/{db}/search.json?q=China&topic={topic}",
            None,
            "rows",
        ),
        (
            f"articles?_through=topic {GENERIC}",
            f"/{db}/articles.json?{httpx.QueryParams({'_through': json.dumps({'table': 'article_topics', 'column': 'topic', 'value': topic})})}",
            None,
            "facets",
        ),
        ("articles_by_topic (view)", f"/{db}/articles_by_topic.json", None, "facets"),
        (
            "articles_by_topic?topic=…",
            f"/{db}/articles_by_topic.json?topic={topic}",
            None,
            "facets",
        ),
        (
            "article page",
            f"/{db}/articles/{article}.json",
            f"/{ref}/articles/{article}.json",
            "rows",
        ),
        ("article page (HTML)", f"/{db}/articles/{article}", f"/{ref}/articles/{article}", "html"),
        ("articles page (HTML)", f"/{db}/articles", f"/{ref}/articles?{facets4}", "html"),
        (
            "search: China",
            f"/{db}/search.json?q=China",
            f"/{ref}/articles.json?_search=China",
            "rows",
        ),
        (
            "search: China, page 3",
            f"/{db}/search.json?q=China&page=3",
            f"/{ref}/articles.json?_search=China&_size=50",
            "rows",
        ),
        (
            "search: Baku energy",
            f"/{db}/search.json?{httpx.QueryParams({'q': 'Baku energy'})}",
            f"/{ref}/articles.json?{httpx.QueryParams({'_search': 'Baku energy'})}",
            "rows",
        ),
        (
            "search: Azərbaycan*",
            f"/{db}/search.json?{httpx.QueryParams({'q': 'Azərbaycan*'})}",
            f"/{ref}/articles.json?{httpx.QueryParams({'_search': 'Azərbaycan*'})}",
            "rows",
        ),
        (
            "search: azərbaycan (in most az articles)",
            f"/{db}/search.json?{httpx.QueryParams({'q': 'azərbaycan'})}",
            f"/{ref}/articles.json?{httpx.QueryParams({'_search': 'azərbaycan'})}",
            "rows",
        ),
        (
            f"table search box: azərbaycan {GENERIC}",
            f"/{db}/articles.json?{httpx.QueryParams({'_search': 'azərbaycan'})}",
            f"/{ref}/articles.json?{httpx.QueryParams({'_search': 'azərbaycan'})}&{facets4}",
            "facets",
        ),
        (
            "search: 文化 (inside sentences)",
            f"/{db}/search.json?{httpx.QueryParams({'q': '文化'})}",
            None,
            "rows",
        ),
        (
            f"table search box: China {GENERIC}",
            f"/{db}/articles.json?_search=China",
            f"/{ref}/articles.json?_search=China&{facets4}",
            "facets",
        ),
    ]
    queries = meta["databases"][db]["queries"]
    for name, params in (
        ("latest_on_topic", {"topic": topic}),
        ("topics_overview", {}),
        ("multi_outlet_stories", {"topic": ""}),
        ("source_health", {}),
        ("volume_per_day", {"since": ""}),
    ):
        if name in queries:
            pages.append(
                (f"query {name}", f"/{db}/{name}.json?{httpx.QueryParams(params)}", None, "rows")
            )
    pages += [
        ("Atom topic_feed", f"/{db}/topic_feed.atom?topic={topic}", None, "atom"),
        (f"Atom feed-{topic}", f"/{db}/feed-{topic}.atom", None, "atom"),
        ("Atom search_feed", f"/{db}/search_feed.atom?q=China", None, "atom"),
        ("dashboard page", "/-/dashboards/coverage", None, "html"),
    ]
    charts = meta["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    for filters, label in (
        ({}, ""),
        ({"source": source}, ", one source"),
        ({"topic": topic}, ", one topic"),
        ({"since": "2026-06-01", "until": "2026-06-30"}, ", one month"),
    ):
        for slug, chart in charts.items():
            pages.append(
                (
                    f"chart {slug}{label}",
                    _chart_url(db, chart["query"], filters),
                    None,
                    f"chart:{slug}:{json.dumps(filters)}",
                )
            )
    return pages


def _check(kind: str, response: httpx.Response, total: int) -> str:
    """What an analyst would notice: an error, a facet gone, a chart cut or wrong."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if kind == "facets":
        data = response.json()
        facets = data.get("facet_results") or {}
        if isinstance(facets, dict) and "results" in facets:
            gone = facets.get("timed_out") or []
            facets = facets["results"]
        else:
            gone = data.get("facets_timed_out") or []
        if gone:
            return "facets timed out: " + ", ".join(gone)
        if not facets and "_search" not in str(response.url) and "_facet" not in str(response.url):
            return "no facets"
    if kind.startswith("chart:"):
        rows = response.json()
        if isinstance(rows, dict):
            rows = rows.get("rows", [])
        if len(rows) >= ROW_CAP:
            return f"cut at {len(rows)} rows"
        _, slug, filters = kind.split(":", 2)
        if slug == "per-source" and not json.loads(filters):
            counted = sum(r["articles"] for r in rows)
            if counted != total:
                return f"sums to {counted:,}, not {total:,}"
    return "ok"


def _sample(path: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        n = con.execute("SELECT max(id) FROM articles").fetchone()[0]
        row = con.execute(
            "SELECT source, section, substr(published_at, 1, 10) FROM articles WHERE id = ?",
            [n // 2],
        ).fetchone()
        total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()
    return {
        "article_id": n // 2,
        "source": row[0],
        "section": row[1],
        "day": row[2],
        "total": total,
    }


def _sizes(path: Path) -> tuple[int, int]:
    """(file bytes, bytes in indexes): every index's pages, from SQLite's dbstat."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page = con.execute("PRAGMA page_size").fetchone()[0]
        total = con.execute("PRAGMA page_count").fetchone()[0] * page
        try:
            index = con.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_master WHERE type = 'index')"
            ).fetchone()[0]
        except sqlite3.OperationalError:
            index = 0
    finally:
        con.close()
    return total, index or 0


#: The last commit before the desk work (issue 15): the newsmon that wrote schema 8, whose
#: ingest rate at 100,000 articles the appends at a million must keep.
PREVIOUS_RELEASE = "87d0f4d^"


def _release_code(cache: Path) -> Path | None:
    """The previous release's code, unpacked from this repository's history once."""
    target = cache / "release-schema-8"
    if (target / "flows" / "cli.py").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "flows", "parsers", "store"],
        capture_output=True,
    )
    if archive.returncode != 0:
        print(f"no previous release to compare ingest with: {archive.stderr.decode()[:200]}")
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _ingest(path: Path, day: str, n: int = 2000, seed: int = 99, code: Path | None = None) -> float:
    """Articles per second of ``newsmon ingest`` appending ``n`` new JSON Lines records
    published on ``day`` (with the newsmon whose code is at ``code``, if given)."""
    rng = random.Random(seed)
    pool = desk_store.sentences()
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "new.jsonl"
        with feed.open("w", encoding="utf-8") as f:
            for i in range(n):
                lang = rng.choice(["az", "en", "en", "ru", "zh"])
                text = "\n\n".join(
                    " ".join(rng.choice(pool[lang]) for _ in range(rng.randint(1, 3)))
                    for _ in range(rng.randint(4, 8))
                )
                record = {
                    "url": f"https://new.example/{seed}/{i}",
                    "source": f"{lang}-outlet-new",
                    "title": rng.choice(pool[lang])[:110],
                    "language": lang,
                    "published_at": f"{day}T{i % 24:02d}:{i % 60:02d}:00+04:00",
                    "text": text,
                }
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        config = Path(tmp) / "newsmon.toml"
        lines = []
        for topic in TOPICS:
            terms = json.dumps(TERMS[topic["name"]], ensure_ascii=False)
            lines += [
                "[[topics]]",
                f'name = "{topic["name"]}"',
                "[[topics.groups]]",
                'mode = "any"',
                f"terms = {terms}",
                "",
            ]
        config.write_text("\n".join(lines), encoding="utf-8")
        command = [str(BIN / "newsmon")]
        env = None
        if code is not None:
            command = [
                sys.executable,
                "-c",
                "import sys; from flows.cli import main; sys.exit(main())",
            ]
            # It starts Prefect's temporary server, slow to come up on a busy machine.
            env = {
                **os.environ,
                "PYTHONPATH": str(code),
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            }
        started = time.perf_counter()
        subprocess.run(
            [*command, "ingest", "--db", str(path), "--config", str(config), str(feed)],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=code,
            env=env,
        )
        return n / (time.perf_counter() - started)


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def run_size(
    n: int, repeat: int, rebuild: bool, cache: Path = CACHE, ingest: int = 2000
) -> dict[str, Any]:
    v8 = cache / f"desk-{n}-v8.db"
    ref = cache / f"desk-{n}-ref.db"
    if rebuild or not v8.exists() or not ref.exists():
        print(f"building the {n:,}-article stores (once; cached in {cache})", flush=True)
        desk_store.build(v8, ref, n)
    work = cache / f"desk-{n}.db"
    _remove(work)
    # The previous release appending to its own store: the rate the appends must keep.
    release, before = _release_code(cache), None
    if release is not None:
        shutil.copyfile(v8, work)
        before = _ingest(work, "2026-12-01", ingest, code=release)
        _remove(work)
    shutil.copyfile(v8, work)
    upgrade_s = desk_store.upgrade(work)
    size, index = _sizes(work)
    ref_size, ref_index = _sizes(ref)
    sample = _sample(work)
    db = database_name(work)
    meta_path = work.with_suffix(".metadata.json")
    write_metadata(meta_path, work, TOPICS)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    port = _free_port()
    ours = Server(serve_command(work, port=port, metadata_path=meta_path), port)
    port = _free_port()
    theirs = Server(
        [sys.executable, "-m", "datasette", "serve", str(ref), "--port", str(port)], port
    )
    rows = []
    try:
        with (
            httpx.Client(base_url=ours.base, timeout=120) as a,
            httpx.Client(base_url=theirs.base, timeout=120) as b,
        ):
            for page, url, ref_url, kind in _pages(db, ref.stem, meta, sample):
                p50, p95, response = _time(a, url, repeat)
                check = _check(kind, response, sample["total"])
                if ref_url is not None:
                    # The reference is slow: fewer rounds (its time is not the question).
                    r50, r95, ref_response = _time(b, ref_url, min(repeat, 5))
                    ref_check = _check(kind, ref_response, sample["total"])
                else:
                    r50 = r95 = None
                    ref_check = "ok"
                rows.append((page, p50, p95, r50, r95, check, ref_check))
                print(
                    f"  {n:>9,} {page:<40} p50 {p50:8.1f} p95 {p95:8.1f}  ref p95 "
                    f"{'' if r95 is None else f'{r95:8.1f}'}  {check}",
                    flush=True,
                )
    finally:
        ours.stop()
        theirs.stop()
    rate = _ingest(work, "2026-12-01", ingest)  # the day after the store's last (2026-11-30)
    quiet = _ingest(work, "2027-02-01", ingest, seed=98)  # nothing stored within 30 days
    return {
        "n": n,
        "rows": rows,
        "upgrade_s": upgrade_s,
        "size": size,
        "index": index,
        "ref_size": ref_size,
        "ref_index": ref_index,
        "ingest_rate": rate,
        "ingest_quiet": quiet,
        "ingest_before": before,
        "total": sample["total"],
    }


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def report(results: list[dict[str, Any]], repeat: int) -> str:
    sizes = [r["n"] for r in results]
    head = "| page | " + " | ".join(f"{n:,}: p50 | p95 | reference p95" for n in sizes) + " |"
    sep = "|---|" + "---|---|---|" * len(sizes)
    lines = [head, sep]
    slow, generic, cut = [], [], []
    for i, (page, *_rest) in enumerate(results[0]["rows"]):
        cells = []
        for r in results:
            _, p50, p95, _r50, r95, check, ref_check = r["rows"][i]
            flag = "" if check == "ok" else f" ({check})"
            ref_flag = "" if ref_check == "ok" else f" ({ref_check})"
            cells.append(f"{_fmt(p50)} | {_fmt(p95)}{flag} | {_fmt(r95)}{ref_flag}")
            if p95 > TARGET_MS:
                (generic if GENERIC in page else slow).append(
                    f"{page} at {r['n']:,} ({p95:.0f} ms)"
                )
            if check != "ok":
                cut.append(f"{page} at {r['n']:,}: {check}")
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| store | articles | upgrade to today's schema | file | of which indexes | reference file (its indexes) | ingest next to the newest articles, articles/s | ingest with no stored article in its dedup window, articles/s | the previous release's ingest next to the newest articles, articles/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['n']:,} | {r['total']:,} | {r['upgrade_s']:.0f} s | {r['size'] / 1e6:,.0f} MB "
            f"| {r['index'] / 1e6:,.0f} MB | {r['ref_size'] / 1e6:,.0f} MB ({r['ref_index'] / 1e6:,.0f} MB) "
            f"| {r['ingest_rate']:.0f} | {r['ingest_quiet']:.0f} | {_fmt(r['ingest_before'])} |"
        )
    small, large = results[0], results[-1]
    appends = ""
    if small["ingest_before"] and len(results) > 1:
        ratio = large["ingest_rate"] / small["ingest_before"]
        appends = (
            f" Appends: {large['ingest_rate']:.0f} articles/s at {large['n']:,}, "
            f"{ratio:.2f}x the previous release's {small['ingest_before']:.0f}/s at "
            f"{small['n']:,} (target: at least 1x)."
        )
    verdict = [
        "",
        f"Target: every page ≤ {TARGET_MS} ms at p95. "
        + ("Every listed page met it." if not slow else "Over it: " + "; ".join(slow) + ".")
        + (
            ""
            if not generic
            else " Datasette's own pages outside the list, over it: " + "; ".join(generic) + "."
        ),
        "Checks (status 200, no facet timed out, no chart at the row cap, the per-source "
        "chart summing to every article): "
        + ("all passed." if not cut else "; ".join(cut) + ".")
        + appends,
    ]
    return "\n".join(lines + verdict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the stores are kept")
    parser.add_argument("--ingest", type=int, default=2000, help="articles appended per timing")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = [run_size(n, args.repeat, args.rebuild, args.cache, args.ingest) for n in sizes]
    table = report(results, args.repeat)
    print(table)
    if not args.no_write:
        body = (
            f"Stores of {', '.join(f'{n:,}' for n in sizes)} articles (bench/desk_store.py: "
            "real sentences of ../shared/corpus in az, en, ru, zh; 50 sources; 400 days; a "
            "fifth tagged with topics; 5 % seen at a second outlet), each written by the "
            "previous newsmon (schema 8) and upgraded by this one. Each page fetched "
            f"{args.repeat} times after a warm-up, over HTTP from `newsmon serve-db`'s "
            "Datasette; the reference is the same article rows in a plain sqlite-utils table "
            "(full-text search enabled, no other index) under `datasette serve` with no "
            "metadata, asked the nearest equivalent (the same four facets as column and date "
            "facets, its table search). Times in ms on this 2-core machine, same run.\n\n" + table
        )
        write_section("desk", "The analyst's desk at 100,000 and 1,000,000 articles", body)


if __name__ == "__main__":
    main()
