"""Fetch benchmark: how close polite fetching comes to what the per-host limits allow.

The offline replica serves 5 generated outlets of 100 articles each (one RSS feed per
outlet) with an added latency of 100 ms per response. With ``per_host_concurrency = 2``
and ``per_host_interval = 0.05`` both limits allow one request start per 50 ms per host,
so the ideal for one host is

    robots.txt, then the feed, then the articles:  3 * latency + (n - 1) * max(interval,
    latency / concurrency)

and hosts run in parallel. Measured: the fetch layer alone (flows.fetch + parsers.feeds,
what the monitor's discover and fetch stages do), and the whole monitor flow (fetch, parse,
dedup, store: parsing is CPU work on 2 shared cores and is reported, not targeted). A
second run with nothing new must cost only conditional requests (304s).

Usage: python bench/fetch.py [--quick] [--no-flow] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from docs_section import DOCS, write_section

if TYPE_CHECKING:
    from flows.fetch import FetchPolicy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


HOSTS = 5
#: real article pages served per host in the second table
REAL_PER_HOST = 60
LATENCY = 0.1
INTERVAL = 0.05
CONCURRENCY = 2
UA = "newsmon-bench/0.1 (+https://github.com/newsmon/newsmon)"


def ideal_seconds(n: int) -> float:
    return 3 * LATENCY + (n - 1) * max(INTERVAL, LATENCY / CONCURRENCY)


def policy() -> FetchPolicy:
    from flows.fetch import FetchPolicy

    return FetchPolicy(
        user_agent=UA,
        per_host_concurrency=CONCURRENCY,
        per_host_interval=INTERVAL,
        allow_addresses=("127.0.0.1/32",),
        connect_timeout=2,
        read_timeout=5,
        total_timeout=10,
        retries=1,
        retry_backoff=0.1,
    )


async def fetch_layer(replica: ReplicaProcess, n: int) -> list[dict]:
    """First run (everything new) and second run (conditional feeds only) of the fetch layer."""
    from flows.fetch import Fetcher, Validators
    from parsers.feeds import parse_feed

    names = [f"bench{i}" for i in range(HOSTS)]
    validators: dict[str, Validators] = {}
    bodies: list[tuple[bytes, str]] = []

    async def outlet(f: Fetcher, name: str, second: bool) -> int:
        url = replica.url(name, "/feed.xml")
        feed = await f.fetch(url, validators=validators.get(url))
        if feed.not_modified:
            return 0
        validators[url] = Validators(feed.etag, feed.last_modified, feed.body_hash)
        cands = parse_feed(feed.body, feed.final_url).candidates
        pages = await asyncio.gather(*(f.fetch(c.url) for c in cands))
        bodies.extend((p.body, p.final_url) for p in pages if p.ok)
        return sum(1 for p in pages if p.ok)

    rows = []
    robots = None
    for second in (False, True):
        async with Fetcher(policy(), robots_cache=robots) as f:
            t0 = time.monotonic()
            got = await asyncio.gather(*(outlet(f, name, second) for name in names))
            wall = time.monotonic() - t0
            robots = f.robots_cache
        hits = f.log
        conditional = sum(1 for h in hits if h.conditional)
        not_modified = sum(1 for h in hits if h.status == 304)
        rows.append(
            {
                "run": "fetch layer, nothing new" if second else "fetch layer, first run",
                "articles": sum(got),
                "wall": wall,
                "ideal": 0.0 if second else ideal_seconds(n),
                "requests": len(hits),
                "conditional": f"{conditional} ({not_modified} × 304)",
            }
        )
    rows.append(extraction_row(bodies[:100], len(bodies)))
    return rows


def extraction_row(sample: list[tuple[bytes, str]], total: int) -> dict:
    """What parsing alone costs (one thread): the flow's floor on 2 shared cores."""
    from parsers.extract import extract

    t0 = time.monotonic()
    for body, url in sample:
        extract(body, url=url)
    per_page = (time.monotonic() - t0) / max(1, len(sample))
    return {
        "run": f"extraction alone, one thread ({per_page * 1000:.0f} ms/page × {total})",
        "articles": total,
        "wall": per_page * total,
        "ideal": 0.0,
        "requests": 0,
        "conditional": "",
    }


async def _flow_runs(cfg: Path, plain_cfg: Path) -> list[dict]:
    from flows.monitor import monitor_news
    from flows.run import run_monitor

    out = []
    # First the run `newsmon run` makes without a Prefect server (its extraction workers
    # start inside the timed run, as in a fresh command), then the Prefect flow.
    for label in (
        "monitor, no Prefect server, first run",
        "monitor, no Prefect server, nothing new",
    ):
        t0, c0 = time.monotonic(), time.process_time()
        result = await run_monitor(config=str(plain_cfg))
        out.append(
            {
                "run": label,
                "result": result,
                "wall": time.monotonic() - t0,
                "cpu": time.process_time() - c0,  # this process only: not the workers
            }
        )
    for label in ("monitor flow, first run", "monitor flow, nothing new"):
        t0 = time.monotonic()
        result = await monitor_news(config=str(cfg))
        out.append({"run": label, "result": result, "wall": time.monotonic() - t0})
    return out


def bench_config(replica: ReplicaProcess, n: int, db: Path) -> Path:
    """A configuration with one source per replica host, its store at ``db``."""
    lines = [
        "[settings]",
        f'db = "{db}"',
        f'user_agent = "{UA}"',
        f"per_host_concurrency = {CONCURRENCY}",
        f"per_host_interval = {INTERVAL}",
        'allow_addresses = ["127.0.0.1/32"]',
        "max_articles_per_run = 10000",
        "batch_size = 50",
        "[settings.timeouts]",
        "connect = 2",
        "read = 5",
        "total = 10",
    ]
    for i in range(HOSTS):
        lines += [
            "[[sources]]",
            f'name = "bench{i}"',
            f'feeds = ["{replica.url(f"bench{i}", "/feed.xml")}"]',
            f"max_new_per_run = {n}",
        ]
    cfg = db.with_suffix(".toml")
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def flow_runs(replica: ReplicaProcess, n: int, label: str = "") -> list[dict]:
    """The whole monitor flow, twice, against a temporary store and Prefect home."""
    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-fetch-"))
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    from prefect.testing.utilities import prefect_test_harness

    cfg = bench_config(replica, n, tmp / "bench.db")
    plain_cfg = bench_config(replica, n, tmp / "plain.db")
    rows = []
    with prefect_test_harness():
        runs = asyncio.run(_flow_runs(cfg, plain_cfg))
    for i, run in enumerate(runs):
        r = run["result"]
        rows.append(
            {
                "run": label + run["run"],
                "articles": r["new"],
                "wall": run["wall"],
                "ideal": ideal_seconds(n) if i % 2 == 0 else 0.0,
                "requests": r["requests"],
                "conditional": "",
                "cpu": run.get("cpu"),
            }
        )
    return rows


def bracketed_first_runs(
    replica: ReplicaProcess,
    n: int,
    pages: list[Path],
    repeats: int = 3,
    workers: int | None = None,
) -> tuple[dict, list[float]]:
    """The no-server first run, ``repeats`` times on fresh stores, each timed between two
    timings of the pooled extraction: on a shared machine whose speed drifts within a
    minute, a run is compared with the ideal measured beside it, and the median run is
    reported (row) with every run's ratio.

    ``workers``: with fewer extraction workers than cores, the run's own work (HTTP,
    archive, dedup, SQLite) has a core of its own, as on a machine with a core to spare
    beside the workers; the ideal is then the same pool's extraction time."""
    import flows.run as run

    if workers is None:
        return _bracketed(replica, n, pages, repeats, "")
    saved = run._WORKERS
    run._reset_pool()
    run._WORKERS = workers
    try:
        return _bracketed(
            replica, n, pages, repeats, f", {workers} extraction worker(s) and a core to spare"
        )
    finally:
        run._reset_pool()
        run._WORKERS = saved


def _bracketed(
    replica: ReplicaProcess, n: int, pages: list[Path], repeats: int, label: str
) -> tuple[dict, list[float]]:
    from flows.run import run_monitor

    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-first-"))
    pools = [pooled_extraction_row(pages)["wall"]]
    runs = []
    for i in range(repeats):
        cfg = bench_config(replica, n, tmp / f"first{i}.db")
        t0 = time.monotonic()
        result = asyncio.run(run_monitor(config=str(cfg)))
        wall = time.monotonic() - t0
        pools.append(pooled_extraction_row(pages)["wall"])
        ideal = max(ideal_seconds(n), (pools[i] + pools[i + 1]) / 2)
        runs.append((wall / ideal, wall, ideal, result))
    ratio, wall, ideal, result = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    row = {
        "run": f"real pages: monitor, no Prefect server, first run{label}: median of "
        f"{repeats}, each against the pool timed before and after it",
        "articles": result["new"],
        "wall": wall,
        "ideal": ideal,
        "requests": result["requests"],
        "conditional": "",
    }
    return row, [r[0] for r in runs]


def _page_list(pages: list[Path]) -> str:
    fd, name = tempfile.mkstemp(prefix="newsmon-bench-pages-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(str(p) for p in pages) + "\n")
    return name


def real_pages(count: int) -> list[Path] | None:
    """WCXB-dev pages labelled as articles (real outlets' pages, whole), or None when
    ../shared is not beside the repository."""
    import json

    truth = ROOT.parent / "shared" / "corpus" / "extraction" / "wcxb-dev" / "ground-truth"
    if not truth.is_dir():
        return None
    out = []
    for gt in sorted(truth.glob("*.json")):
        page = gt.parent.parent / "html" / f"{gt.stem}.html.gz"
        kind = json.loads(gt.read_text(encoding="utf-8")).get("_internal", {})
        if page.exists() and kind.get("page_type", {}).get("primary") == "article":
            out.append(page)
        if len(out) == count:
            return out
    return None


def _bodies(pages: list[Path]) -> list[bytes]:
    import gzip

    return [gzip.decompress(p.read_bytes()) for p in pages]


def real_extraction_row(pages: list[Path]) -> dict:
    """Extracting every served page once, in one thread: the CPU the monitor must spend."""
    from parsers.extract import extract

    bodies = _bodies(pages)
    t0 = time.monotonic()
    for i, body in enumerate(bodies):
        extract(body, url=f"https://example.org/a/{i}.html")
    wall = time.monotonic() - t0
    return {
        "run": f"extraction alone, one thread ({wall / len(pages) * 1000:.0f} ms/page × "
        f"{len(pages)})",
        "articles": len(pages),
        "wall": wall,
        "ideal": 0.0,
        "requests": 0,
        "conditional": "",
    }


def pooled_extraction_row(pages: list[Path]) -> dict:
    """Every page extracted once by the monitor's worker pool, nothing else running."""
    from flows.run import _WORKERS, extraction_pool
    from parsers.extract import extract

    bodies = _bodies(pages)
    urls = [f"https://example.org/a/{i}.html" for i in range(len(bodies))]
    pool = extraction_pool()
    list(pool.map(extract, bodies[:_WORKERS], urls[:_WORKERS]))  # every worker is up
    t0 = time.monotonic()
    list(pool.map(extract, bodies, urls, chunksize=10))
    return {
        "run": f"extraction alone, the run's {_WORKERS} worker processes",
        "articles": len(pages),
        "wall": time.monotonic() - t0,
        "ideal": 0.0,
        "requests": 0,
        "conditional": "",
    }


class ReplicaProcess:
    """``python -m demo.replica`` with the bench outlets, on free consecutive ports."""

    def __init__(self, n: int, pages: list[Path] | None = None) -> None:
        import socket
        import subprocess

        for base in range(20000 + os.getpid() % 20000, 65000, 17):
            try:
                socks = []
                for i in range(HOSTS):
                    s = socket.socket()
                    socks.append(s)
                    s.bind(("127.0.0.1", base + i))
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
            break
        self.base = base
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "demo.replica",
                "--base-port",
                str(base),
                "--latency",
                str(LATENCY),
                "--bench-hosts",
                str(HOSTS),
                "--bench-articles",
                str(n),
                "--sites",
                "",
                *(["--bench-pages", _page_list(pages)] if pages else []),
            ],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = 0
        while seen < HOSTS:  # one line per site once it listens
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("the replica did not start")
            seen += line.startswith("replica:")

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.base + int(name.removeprefix('bench'))}{path}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def table(rows: list[dict], n: int, pages: str = "generated articles") -> str:
    lines = [
        f"Replica: {HOSTS} hosts × {n} {pages}, {LATENCY * 1000:.0f} ms added per response; "
        f"per_host_concurrency = {CONCURRENCY}, per_host_interval = {INTERVAL} s.",
        "",
        "| run | articles | wall s | ideal s | wall / ideal | requests | requests / article "
        "| conditional |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = f"{r['wall'] / r['ideal']:.2f}" if r["ideal"] else "–"
        per = f"{r['requests'] / r['articles']:.3f}" if r["articles"] and r["requests"] else "–"
        ideal = f"{r['ideal']:.2f}" if r["ideal"] else "–"
        lines.append(
            f"| {r['run']} | {r['articles']} | {r['wall']:.2f} | {ideal} | {ratio} | "
            f"{r['requests'] or '–'} | {per} | {r['conditional']} |"
        )
    return "\n".join(lines)


def shell_startup(repeat: int = 5) -> str:
    """``newsmon run`` with nothing to do, timed from the shell as a user would (no Prefect
    server configured), against a bare Python start-up on the same machine in the same run."""
    import statistics
    import subprocess
    import tempfile

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    newsmon = str(Path(sys.executable).with_name("newsmon"))

    def median(cmd: list[str]) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True, check=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "empty.toml"
        cfg.write_text(f'[settings]\ndb = "{Path(tmp) / "empty.db"}"\n', encoding="utf-8")
        run = median([newsmon, "run", "--config", str(cfg)])
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect-home")
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
        flow = median(
            [
                sys.executable,
                "-c",
                "import asyncio, sys; from flows.monitor import monitor_news; "
                "asyncio.run(monitor_news(config=sys.argv[1]))",
                str(cfg),
            ]
        )
    bare = median([sys.executable, "-c", "pass"])
    return (
        f"| command (median of {repeat}, from the shell) | wall s |\n|---|---:|\n"
        f"| `newsmon run`, a configuration with no sources | {run:.2f} |\n"
        f"| the `monitor-news` Prefect flow, same config, no server configured | {flow:.2f} |\n"
        f"| `python -c pass` (the interpreter alone) | {bare:.2f} |"
    )


def write_docs(text: str) -> None:
    write_section("fetch", "Fetch", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="20 articles per host")
    ap.add_argument("--no-flow", action="store_true", help="fetch layer only (no Prefect)")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    n = 20 if args.quick else 100
    # The replica runs in its own process: sharing this one's GIL would slow both sides.
    replica = ReplicaProcess(n)
    try:
        rows = asyncio.run(fetch_layer(replica, n))
        if not args.no_flow:
            # The monitor's ideal: what the per-host limits allow, or extracting every
            # page on all the machine's cores, whichever is longer.
            cpu = next(r["wall"] for r in rows if r["run"].startswith("extraction alone"))
            for row in flow_runs(replica, n):
                if row["ideal"]:
                    row["ideal"] = max(row["ideal"], cpu / (os.cpu_count() or 1))
                rows.append(row)
    finally:
        replica.stop()
    text = table(rows, n)
    pages = None if args.quick or args.no_flow else real_pages(HOSTS * REAL_PER_HOST)
    if pages is None:
        print("real pages: skipped (../shared/corpus/extraction/wcxb-dev not found, or --quick)")
    else:
        real = [real_extraction_row(pages)]
        bound = real[0]["wall"] / (os.cpu_count() or 1)
        replica = ReplicaProcess(REAL_PER_HOST, pages)
        try:
            runs = flow_runs(replica, REAL_PER_HOST, "real pages: ")
        finally:
            replica.stop()
        # Extracting the same pages on the machine's cores, in the run's own worker pool:
        # what extraction costs here when nothing else runs (measured after the runs, with
        # the workers already started, so the runs pay their start-up and this does not).
        pooled = pooled_extraction_row(pages)
        real.append(pooled)
        for row in runs:
            if row["ideal"]:
                row["bound"] = max(row["ideal"], bound)
                row["ideal"] = max(row["ideal"], pooled["wall"])
            real.append(row)
        replica = ReplicaProcess(REAL_PER_HOST, pages)
        try:
            medians = [bracketed_first_runs(replica, REAL_PER_HOST, pages)]
            cores = os.cpu_count() or 1
            if cores > 1:
                medians.append(
                    bracketed_first_runs(replica, REAL_PER_HOST, pages, workers=cores - 1)
                )
        finally:
            replica.stop()
        real += [row for row, _ in medians]
        text += "\n\n" + table(real, REAL_PER_HOST, "real article pages (WCXB-dev, whole)")
        for row, ratios in medians:
            text += f"\n\n- {row['run']}: the {len(ratios)} runs at " + ", ".join(
                f"{r:.2f}×" for r in ratios
            )
        text += "\n\n" + "\n".join(
            f"- {r['run']}: {r['wall'] / r['bound']:.2f}× the one-thread extraction time "
            f"spread over {cores} cores ({r['bound']:.2f} s)"
            for r in real
            if r.get("bound")
        )
        for r in real:
            if not r.get("bound") or r.get("cpu") is None:
                continue
            floor = r["ideal"] + r["cpu"] / cores
            text += (
                f"\n- {r['run']}: the run's own process (fetching, dedup, learning, SQLite; "
                f"not the extraction workers) used {r['cpu']:.2f} s of CPU. On {cores} cores "
                f"that work and the ideal's extraction cannot both be done in less than "
                f"{floor:.2f} s, {floor / r['ideal']:.2f}× the ideal, before any wait for the "
                f"first pages"
            )
    startup = shell_startup()
    notes = (
        "\n\nThe fetch layer is the target: within 1.3× of what the per-host limits allow. "
        "The monitor rows add extraction, dedup and SQLite appends of every article. A batch's "
        "URLs are fetched in chunks of 10 (a source's first batch starts with chunks of 2, 4 "
        "and 8, so that the workers get pages after two fetches), all at once (the fetcher keeps "
        "the per-host limits), and each chunk is parsed as soon as it is in, so the run does "
        "not end with a whole batch still to parse (the Prefect flow parses whole batches, "
        "where a chunk would cost two task runs); batch k is stored while batch k+1 is "
        "fetched. A page the server sent compressed is archived in those bytes, not "
        "compressed again. "
        "Extraction runs in worker processes (as many as cores, at most 4) forked from a fork "
        "server that imported the extractor and ran it once on two small pages (so no worker "
        "loads the language model again), beside the HTTP event loop rather than sharing its "
        "interpreter lock. A run starts them in the background as it begins, so their "
        "start-up overlaps its first requests; it is inside the first table's first 'no "
        "Prefect server' run, while the real pages' runs find the workers started. The "
        "ideal is the larger of what the per-host limits allow and the CPU time of "
        "extracting every page on the machine's cores. For the generated pages that is their "
        "one-thread extraction time spread over the cores (the limits dominate). For the real "
        "pages it is measured: the same pages extracted by the run's own worker pool with "
        "nothing else running (after the runs, workers started). The table's last but one "
        "row times the no-server first run three more times on fresh stores, each between two "
        "timings of the pool, and reports the median run against the pool timed beside it: "
        "the machine's speed drifts within a minute. The last row does the same with "
        "one extraction worker fewer than cores, against that pool: the run's own work then "
        "has a core of its own, as on a machine with a core to spare beside the workers. "
        "The one-thread time "
        "spread over the cores is a lower bound no run on this machine reaches when "
        "extraction dominates: on 2 shared virtual cores two extraction processes at once take about 1.3× the CPU of one, and the event loop, the "
        "store and (for the flow) Prefect's API server need the same "
        "cores. The replica compresses each page once, before the runs, so its CPU is not "
        "counted against the client. A run with nothing new sends one conditional request per "
        "feed (robots.txt is cached for 24 hours) and fetches no article."
        "\n\nA run with nothing to do, from the shell. Without a Prefect server configured, "
        "`newsmon run` runs without Prefect; before, it ran the Prefect flow, which imports "
        "Prefect and starts a temporary Prefect API server for every command (second row).\n\n"
        + startup
    )
    print(text)
    print(startup)
    if not args.no_write and not args.quick:
        write_docs(text + notes)
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
