"""The monitor with its parsing on a Dask cluster (prefect-dask), its writing kept at home.

Why this split: extraction is the CPU-bound stage and is pure (page bytes in, record out),
so it can run on any machine; fetching stays in the flow process because politeness (per-host
limits, robots.txt, Retry-After) is shared state of one Fetcher, and every write (fetch
state, frontier, articles) stays there because SQLite has one writer and lives on one disk.
The tasks are the monitor's own (discover, fetch, parse, store): only ``parse`` is
*submitted*, so only it goes through the task runner to the cluster.

    flow = dask_monitor("tcp://scheduler:8786")            # an existing cluster
    flow = dask_monitor(n_workers=2, processes=False)      # a throw-away local one
    asyncio.run(flow(config="newsmon.toml"))

Runs are recorded as ``monitor-news`` runs, so source health and alerts see them.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import asdict
from typing import Any

from prefect import Flow, flow, get_run_logger
from prefect.context import get_run_context

import store
from flows import monitor as m
from flows.config import load_config
from store import fetchstate
from store.db import writing


async def _parse_remote(src: m.Source, pages: list[m.Fetched]) -> list[tuple[m.Fetched, Any]]:
    """Submit one batch to the task runner (the Dask cluster) and wait without blocking."""
    future = m.parse_task.submit(src, pages)
    return await asyncio.to_thread(future.result)


async def _source(ctx: m.RunContext, src: m.Source, honor_backoff: bool) -> m.SourceReport:
    report = m.SourceReport(name=src.name)
    db = ctx.open()
    try:
        state = fetchstate.source_state(db, src.name)
    finally:
        db.close()
    if not src.enabled:
        report.status, report.message = "disabled", "enabled = false in the configuration"
        return report
    if honor_backoff and not state.due(ctx.now):
        report.status = "backing_off"
        report.message = f"backing off until {state.next_due_at}"
        return report
    web = bool(src.urls())
    try:
        if web:
            await m.discover_task(ctx, src, report)
            if report.status != "unreachable":
                allowance = min(src.max_new_per_run, max(0, ctx.budget))
                db = ctx.open()
                try:
                    items = fetchstate.pending(db, src.name, allowance)
                finally:
                    db.close()
                ctx.budget -= len(items)
                size = ctx.settings.batch_size
                # Fetch batch n+1 while the cluster parses batch n.
                parsing: asyncio.Task | None = None
                for start in range(0, len(items), size):
                    pages = await m.fetch_task(ctx, src, report, items[start : start + size])
                    if parsing is not None:
                        await m.store_task(ctx, src, report, await parsing)
                        parsing = None
                    if pages:
                        parsing = asyncio.create_task(_parse_remote(src, pages))
                if parsing is not None:
                    await m.store_task(ctx, src, report, await parsing)
        if src.files:
            await m.files_task(ctx, src, report)
    except Exception as exc:  # noqa: BLE001 - one source never stops the others
        report.status = "failed"
        report.message = f"{type(exc).__name__}: {exc}"
        db = ctx.open()
        try:
            ctx.problem(db, report, src.name, "store", report.message)
        finally:
            db.close()
    db = ctx.open()
    try:
        report.pending = fetchstate.pending_count(db, src.name)
        if web:
            fetchstate.record_source_run(
                db,
                src.name,
                ok=report.status in ("ok", "partial"),
                error=report.message or None,
                now=ctx.now,
            )
    finally:
        db.close()
    return report


@flow(name="monitor-news-dask", log_prints=False)
async def monitor_news_dask(
    config: str = "newsmon.toml",
    sources: list[str] | None = None,
    db: str | None = None,
    honor_backoff: bool = True,
    alert: bool = True,
) -> dict[str, Any]:
    """Like monitor-news, with extraction submitted to the flow's task runner (Dask)."""
    logger = get_run_logger()
    runner_name = type(get_run_context().task_runner).__name__
    cfg = load_config(config)
    selected = [s for s in cfg.sources if not sources or s.name in sources]
    db_path = db or os.environ.get("NEWSMON_DB") or cfg.settings.db
    database = store.open_db(db_path)
    with writing(database):
        fetchstate.migrate(database)
    run_id = store.start_run(database, "monitor-news", m._flow_run_id())
    started = time.monotonic()
    reports: list[m.SourceReport] = []
    status = "failed"
    fetcher = m.Fetcher(
        m.FetchPolicy.from_settings(cfg.settings),
        robots_cache=m._load_robots(database),
        conditional_off=fetchstate.conditional_off_hosts(database),
    )
    try:
        async with fetcher:
            ctx = m.RunContext(cfg, db_path, run_id, fetcher)
            reports = list(
                await asyncio.gather(*(_source(ctx, s, honor_backoff) for s in selected))
            )
        m._save_robots(database, fetcher)
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=sum(r.fetched + r.files for r in reports),
            new=sum(r.new for r in reports),
            duplicates=sum(r.duplicates for r in reports),
            errors=sum(r.errors for r in reports),
            summary={
                "sources": {r.name: r.counts() for r in reports},
                "requests": len(fetcher.log),
                "seconds": round(time.monotonic() - started, 3),
                "task_runner": runner_name,
            },
        )
        database.close()
    raised = []
    if alert:
        from flows.alerts import check_and_alert

        raised = await asyncio.to_thread(check_and_alert, db_path, cfg)
    for r in reports:
        logger.info("%s: %s, %d new, %d errors", r.name, r.status, r.new, r.errors)
    return {
        "run_id": run_id,
        "status": status,
        "new": sum(r.new for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "errors": sum(r.errors for r in reports),
        "alerts": [(a.source, a.condition) for a in raised],
        "sources": [asdict(r) for r in reports],
    }


def dask_monitor(
    address: str | None = None,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 2,
    processes: bool = True,
) -> Flow:
    """The Dask flavour of the monitor, on the cluster at ``address`` or a local one."""
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": n_workers,
                "threads_per_worker": threads_per_worker,
                "processes": processes,
                "dashboard_address": None,
            }
        )
    return monitor_news_dask.with_options(task_runner=runner)
