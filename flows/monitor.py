"""The ``monitor-news`` Prefect flow: flows/run.py's run, with each stage a Prefect task.

Scheduled and deployed runs come through here, and so does ``newsmon run`` when a
Prefect server is configured (``PREFECT_API_URL``): every stage of every source is a
task run in the UI, and the run's summary is an artifact. Given another task runner
(flows/scaleout.py: Dask), the flow parses its batches through it; fetching and every
write stay here, where the store is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

from flows import run
from flows.config import Source
from flows.context import RunContext, SourceReport
from flows.discovery import discover  # noqa: F401 - tests reach it through this module
from flows.prefect_api import flow_run_id
from flows.stages import Fetched
from parsers.record import Article
from store import fetchstate


@task(name="discover", task_run_name="discover-{src.name}", cache_policy=NO_CACHE)
async def discover_task(ctx: RunContext, src: Source, report: SourceReport) -> int:
    return await run.discover_stage(ctx, src, report)


@task(name="fetch", task_run_name="fetch-{src.name}", cache_policy=NO_CACHE)
async def fetch_task(
    ctx: RunContext, src: Source, report: SourceReport, items: list[fetchstate.FrontierItem]
) -> list[Fetched]:
    return await run.fetch_batch(ctx, src, report, items)


@task(name="parse", task_run_name="parse-{src.name}", cache_policy=NO_CACHE)
async def parse_task(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    return await run.parse_stage(src, pages)


@task(name="store", task_run_name="store-{src.name}", cache_policy=NO_CACHE)
async def store_task(
    ctx: RunContext, src: Source, report: SourceReport, parsed: list[tuple[Fetched, Article]]
) -> None:
    await run.store_stage(ctx, src, report, parsed)


@task(name="files", task_run_name="files-{src.name}", cache_policy=NO_CACHE)
async def files_task(ctx: RunContext, src: Source, report: SourceReport) -> None:
    await run.files_stage(ctx, src, report)


async def _parse_on_runner(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    """Through the flow's task runner (e.g. prefect-dask): the batch is parsed there."""
    future = parse_task.submit(src, pages)
    return await asyncio.to_thread(future.result)


async def _artifact(markdown: str) -> None:
    await acreate_markdown_artifact(
        key="monitor-summary", markdown=markdown, description="newsmon monitor run"
    )


@flow(name="monitor-news", log_prints=False)
async def monitor_news(
    config: str = "newsmon.toml",
    sources: list[str] | None = None,
    db: str | None = None,
    honor_backoff: bool = True,
) -> dict[str, Any]:
    """Discover, fetch, extract, deduplicate and store new articles of every source.

    One run at a time per store: a second one waits ``settings.run_lock_wait`` seconds
    for the first, then fails with a message naming it (nothing is fetched twice)."""
    on_runner = not isinstance(get_run_context().task_runner, ThreadPoolTaskRunner)
    stages = run.Stages(
        discover=discover_task,
        fetch=fetch_task,
        parse=_parse_on_runner if on_runner else parse_task,
        store=store_task,
        files=files_task,
        # A chunk would be two more task runs (fetch, parse): in the flow, whole batches.
        parse_chunk=None,
        # On another task runner the pages are parsed there, not in this process's workers.
        start_workers=not on_runner,
    )
    return await run.run_monitor(
        config,
        sources,
        db,
        honor_backoff,
        stages=stages,
        run_id=flow_run_id(),
        logger=get_run_logger(),
        on_summary=_artifact,
    )
