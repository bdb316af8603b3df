"""One monitor run: every source of the configuration, discovered, fetched, parsed and stored.

Shape of a run (one stage call per stage per source and batch, never per article):

    for every source, concurrently (one failing source never stops the others):
        discover  feeds, sitemaps (+ robots.txt Sitemap: lines), listings, home-page feeds
                  -> new candidate URLs queued in the ``frontier`` table
        for each batch of queued URLs (newest first, up to max_new_per_run):
            fetch   polite GETs through the run's shared Fetcher; raw responses archived
            parse   parsers.extract.extract in a worker thread
            store   store.append_batch + frontier bookkeeping, in ONE transaction
        files     local files of the source, through flows.ingestion (unchanged ones skipped)

A run killed at any point loses at most the batch in flight: stored articles are
marked done in the same transaction that stored them, and discovery never queues a
URL that is queued, done, or already in the store (articles or sightings).

No Prefect here: ``newsmon run`` without a Prefect server calls :func:`run_monitor`
directly (it starts in about a second); the ``monitor-news`` flow (flows/monitor.py)
calls it with its stages wrapped in Prefect tasks.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlite_utils

import store
import store.runs
from flows.alerts import check_and_alert
from flows.config import Config, Source, load_config
from flows.context import RunContext, SourceReport
from flows.discovery import discover, queue_new
from flows.fetch import CachedRobots, Fetcher, FetchPolicy
from flows.ingestion import ingest_paths
from flows.stages import Fetched, fetch_batch, parse_pages, store_batch
from parsers.record import Article
from store import fetchstate
from store.db import writing
from store.health import SourceStatus
from store.health import record_run as record_source_runs
from store.lock import LOCKED_FLOWS, RunLock

#: The flow's time limit in deployments (deployments/entrypoints.py); runs older than twice
#: this and still marked running are recorded as crashed.
STALE_RUN_SECONDS = int(os.environ.get("NEWSMON_RUN_TIMEOUT", "3600"))

#: Called by the CLI to draw progress: (source name, stage, report as a dict).
ProgressHook = Callable[[str, str, dict[str, Any]], None]
progress_hook: ProgressHook | None = None


def _progress(report: SourceReport, stage: str) -> None:
    if stage in ("discover", "fetch", "parse", "store"):
        report.stage = stage
    elif stage == "files":
        report.stage = "store"
    if progress_hook is not None:
        try:
            progress_hook(report.name, stage, report.counts())
        except Exception:  # noqa: BLE001 - a display problem never stops a run
            pass


# --------------------------------------------------------------------------- stages
async def discover_stage(ctx: RunContext, src: Source, report: SourceReport) -> int:
    """Discovery, then the new URLs queued together with the documents' fetch state."""
    found = await discover(ctx, src, report)
    db = ctx.open()
    try:
        with writing(db):  # queued and "seen" together, or neither
            added = queue_new(ctx, db, src, report, found.candidates)
            fetchstate.save_url_states(db, found.state_rows)
        return added
    finally:
        db.close()


#: Worker processes for extraction, started on first use and kept for the process's life.
_POOL: concurrent.futures.ProcessPoolExecutor | None = None
_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _worker_context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # Imported, and the extractor run once, in the fork server rather than in each worker
    # (about a second of CPU to import, and another for the models loaded on first use).
    ctx.set_forkserver_preload(["flows.stages", "flows.warm_worker"])
    return ctx


def _exit_with(parent: int) -> None:
    """In a worker: end when the run's process ends, however it ends. A killed run
    (SIGKILL, out of memory) runs no clean-up, and its workers would wait for work forever."""
    import select
    import threading

    def watch() -> None:
        try:
            fd = os.pidfd_open(parent)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])  # readable once the process has ended
        else:
            while os.getppid() != 1:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    break
                time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-run", daemon=True).start()


def extraction_pool() -> concurrent.futures.ProcessPoolExecutor:
    """Extraction is CPU work: in a thread it shares the interpreter lock with the HTTP
    event loop and slows fetching; in worker processes it runs beside it, on every core.
    Workers are forked from a fork server that has imported the extractor once (never a
    fork of this process, which has threads), and reused across runs."""
    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ProcessPoolExecutor(
            max_workers=_WORKERS,
            mp_context=_worker_context(),
            initializer=_exit_with,
            initargs=(os.getpid(),),
        )
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


#: Set while the workers are being started in the background (start_extraction_workers).
_STARTING: concurrent.futures.Future[None] | None = None


def start_extraction_workers() -> None:
    """Start the workers now, in the background, for pages that will come.

    Starting them waits for the fork server to import and warm up the extractor (about
    two seconds of one core). Started on the first page, that wait held up the event
    loop (no fetching) and left the cores without extraction work; started with the run,
    it passes while the run reads robots.txt, the feeds and the first pages.
    """
    global _STARTING
    if _STARTING is not None:
        return
    started: concurrent.futures.Future[None] = concurrent.futures.Future()

    def spawn() -> None:
        try:
            pool = extraction_pool()
            for _ in range(_WORKERS):
                pool.submit(int)  # a worker process is started for each task
        except Exception:  # noqa: BLE001 - the first page's parse_stage reports a broken pool
            logging.getLogger("newsmon.monitor").debug("extraction workers", exc_info=True)
        finally:
            started.set_result(None)

    _STARTING = started
    threading.Thread(target=spawn, name="start-extraction-workers", daemon=True).start()


async def parse_stage(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    """Extract a batch in the worker processes, a share of the batch each."""
    if not pages:
        return []
    if _STARTING is not None and not _STARTING.done():
        await asyncio.wrap_future(_STARTING)  # submitting meanwhile would block the loop
    pool = extraction_pool()
    loop = asyncio.get_running_loop()
    step = max(1, -(-len(pages) // _WORKERS))
    parts = [pages[i : i + step] for i in range(0, len(pages), step)]
    try:
        done = await asyncio.gather(
            *(loop.run_in_executor(pool, parse_pages, src, part) for part in parts)
        )
    except concurrent.futures.process.BrokenProcessPool:
        # A worker died (killed, out of memory): start afresh, and parse here this time.
        _reset_pool()
        return await asyncio.to_thread(parse_pages, src, pages)
    return [pair for part in done for pair in part]


def _reset_pool() -> None:
    global _POOL, _STARTING
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL = None
    _STARTING = None


async def store_stage(
    ctx: RunContext, src: Source, report: SourceReport, parsed: list[tuple[Fetched, Article]]
) -> None:
    async with ctx.write_lock:
        result, failures, skipped = await asyncio.to_thread(
            store_batch, ctx.db_path, ctx.run_id, src, parsed, ctx.topics
        )
    report.new += result.new
    report.duplicates += result.duplicates
    report.revisions += len(result.revisions)
    report.not_articles += len(skipped)
    # Drops are not errors: each one is its frontier row (status 'skipped', with the
    # reason), and the count is in the source's summary line.
    if failures:
        db = ctx.open()
        try:
            for url, message in failures:
                stage = "store" if message.startswith("store failed") else "parse"
                ctx.problem(db, report, url, stage, message)
        finally:
            db.close()


async def files_stage(ctx: RunContext, src: Source, report: SourceReport) -> None:
    await asyncio.to_thread(ingest_source_files, ctx, src, report)


def ingest_source_files(ctx: RunContext, src: Source, report: SourceReport) -> None:
    """A ``files =`` source: its files through the one ingestion path (flows/ingestion.py);
    a file unchanged since the last run (same size and modification time) is not read."""
    counts = ingest_paths(
        ctx.db_path,
        src.files,
        run_id=ctx.run_id,
        source=src.name,
        owner=True,
        topics=ctx.topics,
        skip_unchanged=True,
        sources=[src],
        on_problem=lambda p: report.note_problem(p.item, p.stage, p.message),
    )
    report.files += counts.files
    report.not_modified += counts.unchanged
    report.new += counts.new
    report.duplicates += counts.duplicates
    report.revisions += counts.revisions


#: Pages parsed as soon as they are in: small enough that little is left to parse when
#: the last page arrives, large enough that a chunk is worth a round trip to the workers.
PARSE_CHUNK = 10


@dataclass(frozen=True)
class Stages:
    """The stages a run calls: plain functions, or Prefect tasks wrapping the same ones
    (flows/monitor.py), so that a run without a Prefect server needs no Prefect at all."""

    discover: Callable[[RunContext, Source, SourceReport], Awaitable[int]] = discover_stage
    fetch: Callable[..., Awaitable[list[Fetched]]] = fetch_batch
    parse: Callable[[Source, list[Fetched]], Awaitable[list[tuple[Fetched, Article]]]] = parse_stage
    store: Callable[..., Awaitable[None]] = store_stage
    files: Callable[[RunContext, Source, SourceReport], Awaitable[None]] = files_stage
    #: URLs fetched and parsed together inside a batch (None: the whole batch at once)
    parse_chunk: int | None = PARSE_CHUNK
    #: parse uses this process's extraction workers: start them with the run
    start_workers: bool = True


# --------------------------------------------------------------------------- one source
async def run_source(
    ctx: RunContext, src: Source, honor_backoff: bool, stages: Stages
) -> SourceReport:
    report = SourceReport(name=src.name)
    db = ctx.open()
    try:
        state = fetchstate.source_state(db, src.name)
    finally:
        db.close()
    if not src.enabled:
        report.status = SourceStatus.DISABLED
        report.message = "enabled = false in the configuration"
        return report
    if honor_backoff and not state.due(ctx.now):
        report.status = SourceStatus.BACKING_OFF
        report.message = (
            f"backing off after {state.consecutive_failures} failed run(s) until "
            f"{state.next_due_at} (last error: {state.last_error})"
        )
        return report
    web = bool(src.urls())
    try:
        if web:
            _progress(report, "discover")
            await stages.discover(ctx, src, report)
            if report.status != SourceStatus.UNREACHABLE:
                await _fetch_pending(ctx, src, report, stages)
        if src.files:
            _progress(report, "files")
            await stages.files(ctx, src, report)
    except Exception as exc:  # noqa: BLE001 - one source never stops the others
        stage = exc.stage if isinstance(exc, StageFailed) else report.stage
        cause = exc.cause if isinstance(exc, StageFailed) else exc
        report.status = SourceStatus.FAILED
        report.message = f"{stage}: {type(cause).__name__}: {cause}"
        db = ctx.open()
        try:
            ctx.problem(db, report, src.name, stage, report.message)
        finally:
            db.close()
    if report.cut_short:
        note = (
            f"cut short by the run's time limit (run_time_limit): {report.cut_short} "
            "URL(s) left for the next run"
        )
        report.message = f"{report.message}; {note}" if report.message else note
        if report.status == SourceStatus.OK:
            report.status = SourceStatus.PARTIAL
    db = ctx.open()
    try:
        report.pending = fetchstate.pending_count(db, src.name)
        if web:
            ok = report.status in (SourceStatus.OK, SourceStatus.PARTIAL)
            fetchstate.record_source_run(
                db, src.name, ok=ok, error=report.message or None, now=ctx.now
            )
    finally:
        db.close()
    _progress(report, "done")
    return report


async def _fetch_pending(
    ctx: RunContext, src: Source, report: SourceReport, stages: Stages
) -> None:
    allowance = min(src.max_new_per_run, max(0, ctx.budget))
    if allowance <= 0:
        return
    db = ctx.open()
    try:
        items = fetchstate.pending(db, src.name, allowance)
    finally:
        db.close()
    ctx.budget -= len(items)
    size = ctx.settings.batch_size
    chunk = stages.parse_chunk or size
    # Pipelined twice over. A batch's URLs are fetched in chunks, all at once (the fetcher
    # keeps the per-host limits), and each chunk is parsed as soon as it is in, so
    # extraction keeps pace with fetching and the run does not end with a whole batch
    # still to parse. Batch k is stored while batch k+1 is fetched, each batch in its own
    # transaction, so a crash loses at most the batches in flight.
    storing: asyncio.Task | None = None
    parsing: list[asyncio.Task] = []
    try:
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            _progress(report, "fetch")
            # The Prefect flow parses whole batches (a chunk costs it two task runs).
            parts = _parts(batch, chunk, ramp=start == 0 and stages.parse_chunk is not None)
            parsing = [
                t
                for t in await asyncio.gather(
                    *(_fetch_then_parse(ctx, src, report, part, stages) for part in parts)
                )
                if t is not None
            ]
            if storing is not None:
                await storing
                storing = None
            if parsing:
                storing = asyncio.create_task(_store_parsed(ctx, src, report, parsing, stages))
                parsing = []
        if storing is not None:
            await storing
            storing = None
    finally:
        for task in [*parsing, *([storing] if storing is not None else [])]:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


T = TypeVar("T")


def _parts(batch: list[T], chunk: int, *, ramp: bool) -> list[list[T]]:
    """``batch`` in chunks of ``chunk``; with ``ramp`` (a run's first batch of a source)
    the first chunks are smaller (2, 4, 8), so that the workers get their first pages
    after two fetches rather than ``chunk``, instead of idling while the run starts."""
    parts: list[list[T]] = []
    size = min(2, chunk) if ramp else chunk
    i = 0
    while i < len(batch):
        parts.append(batch[i : i + size])
        i += size
        size = min(chunk, size * 2)
    return parts


async def _fetch_then_parse(
    ctx: RunContext,
    src: Source,
    report: SourceReport,
    part: list[fetchstate.FrontierItem],
    stages: Stages,
) -> asyncio.Task | None:
    """Fetch a chunk, then start parsing it (the task returned) without waiting."""
    pages = await stages.fetch(ctx, src, report, part)
    if not pages:
        return None
    return asyncio.create_task(_parse(src, report, pages, stages))


async def _parse(
    src: Source, report: SourceReport, pages: list[Fetched], stages: Stages
) -> list[tuple[Fetched, Article]]:
    try:
        _progress(report, "parse")
        return await stages.parse(src, pages)
    except Exception as exc:
        raise StageFailed("parse", exc) from exc


async def _store_parsed(
    ctx: RunContext,
    src: Source,
    report: SourceReport,
    parsing: list[asyncio.Task],
    stages: Stages,
) -> None:
    """Store a batch once its chunks are parsed, in one transaction."""
    try:
        parsed = [pair for part in await asyncio.gather(*parsing) for pair in part]
    finally:
        for task in parsing:
            task.cancel()  # one chunk failed: the others are not wanted
    try:
        _progress(report, "store")
        await stages.store(ctx, src, report, parsed)
    except Exception as exc:
        raise StageFailed("store", exc) from exc


class StageFailed(Exception):
    """A stage that runs beside another (pipelined) says which one failed."""

    def __init__(self, stage: str, cause: Exception) -> None:
        self.stage, self.cause = stage, cause
        super().__init__(f"{type(cause).__name__}: {cause}")


# --------------------------------------------------------------------------- the flow
def _load_robots(db: sqlite_utils.Database) -> dict[str, CachedRobots]:
    return {origin: CachedRobots(*e) for origin, e in fetchstate.load_robots(db).items()}


def _save_robots(db: sqlite_utils.Database, fetcher: Fetcher) -> None:
    entries = ((o, fetcher.robots_cache[o]) for o in fetcher.robots_updated)
    fetchstate.save_robots(
        db, [(o, e.status, e.body, e.fetched_at, e.etag, e.last_modified) for o, e in entries]
    )


def summary_markdown(reports: list[SourceReport], run_id: str, requests: int) -> str:
    lines = [
        "# newsmon monitor",
        "",
        f"Run `{run_id}`: {requests} HTTP requests.",
        "",
        "| source | status | discovered | new | duplicates | not modified | skipped by robots "
        "| errors | pending |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        lines.append(
            f"| {r.name} | {r.status} | {r.discovered} | {r.new} | {r.duplicates} | "
            f"{r.not_modified} | {r.robots} | {r.errors} | {r.pending} |"
        )
    notes = [r for r in reports if r.message]
    if notes:
        lines += ["", "## Sources that need attention", ""]
        lines += [f"- **{r.name}**: {r.status}: {_md(r.message)}" for r in notes]
    problems = [(r.name, p) for r in reports for p in r.problems]
    if problems:
        lines += ["", "## Errors", "", "| source | stage | item | message |", "|---|---|---|---|"]
        for name, p in problems[:100]:
            lines.append(f"| {name} | {p['stage']} | {_md(p['item'])} | {_md(p['message'])} |")
        if len(problems) > 100:
            lines.append(f"| … | | | {len(problems) - 100} more in the run_errors table |")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


async def run_monitor(
    config: str = "newsmon.toml",
    sources: list[str] | None = None,
    db: str | None = None,
    honor_backoff: bool = True,
    *,
    stages: Stages = Stages(),
    run_id: str | None = None,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
    on_summary: Callable[[str], Awaitable[Any]] | None = None,
) -> dict[str, Any]:
    """Discover, fetch, extract, deduplicate and store new articles of every source.

    One run at a time per store: a second one waits ``settings.run_lock_wait`` seconds
    for the first, then fails with a message naming it (nothing is fetched twice)."""
    cfg = load_config(config)
    selected = cfg.sources
    if sources:
        names = {s.name for s in cfg.sources}
        unknown = [n for n in sources if n not in names]
        if unknown:
            raise ValueError(
                f"unknown source(s) {', '.join(map(repr, unknown))}; "
                f"the configuration has: {', '.join(sorted(names))}"
            )
        selected = [s for s in cfg.sources if s.name in sources]
    db_path = db or os.environ.get("NEWSMON_DB") or cfg.settings.db
    async with RunLock(db_path, flow="monitor-news", wait=cfg.settings.run_lock_wait) as lock:
        return await _monitor(
            cfg, selected, db_path, honor_backoff, lock, stages, run_id, logger, on_summary
        )


async def _monitor(
    cfg: Config,
    selected: list[Source],
    db_path: str,
    honor_backoff: bool,
    lock: RunLock,
    stages: Stages,
    flow_run: str | None,
    logger: logging.Logger | logging.LoggerAdapter | None,
    on_summary: Callable[[str], Awaitable[Any]] | None,
) -> dict[str, Any]:
    """The run itself, with the store's run lock held."""
    logger = logger or logging.getLogger("newsmon.monitor")
    database = store.open_db(db_path)
    # We hold the run lock: any monitor or reparse run still marked 'running' died.
    store.runs.mark_interrupted_runs(database, LOCKED_FLOWS)
    stale = datetime.now(UTC) - timedelta(seconds=2 * STALE_RUN_SECONDS)
    store.runs.mark_stale_runs(database, stale.isoformat(timespec="seconds"))
    run_id = store.start_run(database, "monitor-news", flow_run)
    lock.note(run_id=run_id)
    started = time.monotonic()
    reports: list[SourceReport] = []
    status = "failed"
    time_limit = cfg.settings.run_time_limit
    fetcher = Fetcher(
        FetchPolicy.from_settings(cfg.settings),
        robots_cache=_load_robots(database),
        conditional_off=fetchstate.conditional_off_hosts(database),
    )
    # Every fetch ends by this time, whatever the hosts do: the run ends within its limit.
    fetcher.deadline = started + time_limit
    if stages.start_workers and any(s.enabled and s.urls() for s in selected):
        start_extraction_workers()
    try:
        async with fetcher:
            ctx = RunContext(cfg, db_path, run_id, fetcher)
            outcomes = await asyncio.gather(
                *(run_source(ctx, s, honor_backoff, stages) for s in selected),
                return_exceptions=True,
            )
        for s, out in zip(selected, outcomes, strict=True):
            if isinstance(out, BaseException):
                r = SourceReport(
                    name=s.name, status=SourceStatus.FAILED, message=repr(out), errors=1
                )
                store.record_error(
                    database, run_id, source=s.name, item=s.name, stage="store", message=repr(out)
                )
                reports.append(r)
            else:
                reports.append(out)
        _save_robots(database, fetcher)
        status = "completed"
    finally:
        totals = {
            "sources": {r.name: r.counts() for r in reports},
            "requests": len(fetcher.log),
            "seconds": round(time.monotonic() - started, 3),
        }
        store.finish_run(
            database,
            run_id,
            status=status,
            items=sum(r.fetched + r.files for r in reports),
            new=sum(r.new for r in reports),
            duplicates=sum(r.duplicates for r in reports),
            errors=sum(r.errors for r in reports),
            summary=totals,
        )
        try:
            record_source_runs(
                database,
                run_id,
                [r.figures() for r in reports],
                short_chars=cfg.alerts.thresholds.short_chars,
            )
        finally:
            database.close()
    try:
        # Source health and alerts: a failure here must not fail a run that stored news.
        await asyncio.to_thread(check_and_alert, db_path, cfg, run_id=run_id)
    except Exception as exc:  # noqa: BLE001
        logger.warning("source health not updated: %s", exc)
    if on_summary is not None:
        await on_summary(summary_markdown(reports, run_id, len(fetcher.log)))
    for r in reports:
        logger.info(
            "%s: %s, %d discovered, %d new, %d duplicates, %d not modified, %d robots, %d errors%s",
            r.name,
            r.status,
            r.discovered,
            r.new,
            r.duplicates,
            r.not_modified,
            r.robots,
            r.errors,
            f" ({r.message})" if r.message else "",
        )
    return {
        "run_id": run_id,
        "status": status,
        "requests": len(fetcher.log),
        "seconds": totals["seconds"],
        "new": sum(r.new for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "errors": sum(r.errors for r in reports),
        "sources": [asdict(r) for r in reports],
    }
