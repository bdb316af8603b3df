"""``newsmon reparse``: records rebuilt from the raw archive with the current parsers.

No network and no Prefect: ``flows/reparse.py`` makes this a Prefect flow run, and
``newsmon reparse`` with no Prefect server configured calls :func:`reparse_store` itself.
Each archived page goes through the same step as in the monitor
(:func:`flows.stages.build_record`), so a reparsed record is the one the monitor would
store today. Holds the store's run lock like a monitor run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import sqlite_utils

import store
import store.runs
from flows.config import Config, Settings, Source, load_config
from flows.stages import append_and_tag, build_record, not_kept
from parsers.record import Article
from store import boilerplate, fetchstate
from store.db import writing
from store.lock import LOCKED_FLOWS, RunLock


async def reparse_store(
    db: str = "data/newsmon.db",
    source: str | None = None,
    batch_size: int = 100,
    config: str | None = None,
    *,
    flow_run: str | None = None,
) -> dict[str, Any]:
    """Rebuild records from archived responses with the current parsers (no network).

    ``config`` supplies each source's profile and language and the topics that new
    records are tagged with; without it, pages are read with the generic extractor.
    ``flow_run`` is the Prefect flow run this is, if any (the id of its ``runs`` row).
    """
    cfg = load_config(config) if config else None
    wait = cfg.settings.run_lock_wait if cfg else Settings().run_lock_wait
    async with RunLock(db, flow="reparse-archive", wait=wait) as lock:
        return await _reparse(db, source, batch_size, cfg, lock, flow_run)


async def _reparse(
    db: str,
    source: str | None,
    batch_size: int,
    cfg: Config | None,
    lock: RunLock,
    flow_run: str | None,
) -> dict[str, Any]:
    topics = cfg.compiled_topics if cfg else []
    sources = {s.name: s for s in cfg.sources} if cfg else {}
    database = store.open_db(db)
    store.runs.mark_interrupted_runs(database, LOCKED_FLOWS)
    run_id = store.start_run(database, "reparse-archive", flow_run)
    lock.note(run_id=run_id)
    counts = {"pages": 0, "new": 0, "duplicates": 0, "revisions": 0, "errors": 0, "skipped": 0}
    status = "failed"
    try:

        def work() -> None:
            conn = store.open_db(db)
            try:
                relearn = _relearn(conn, source, sources)
                batch: list[Article] = []
                for pages in _chunks(fetchstate.iter_raw_pages(conn, source=source), batch_size):
                    items = fetchstate.frontier_items(conn, [p.url for p in pages])
                    for page in pages:
                        counts["pages"] += 1
                        name = page.source or "unknown"
                        src = sources.get(name) or Source(name=name)
                        item = items.get(page.url)
                        art = build_record(page.body, page.final_url, page.headers, src, item)
                        if not art.ok:
                            counts["errors"] += 1
                            store.record_error(
                                conn,
                                run_id,
                                source=name,
                                item=page.final_url,
                                stage="parse",
                                message=art.error or "parse failed",
                            )
                        elif not_kept(art, item.via if item else None):
                            counts["skipped"] += 1
                        else:
                            batch.append(art)
                    if len(batch) >= batch_size:
                        _append(conn, batch, relearn)
                        batch = []
                if batch:
                    _append(conn, batch, relearn)
            finally:
                conn.close()

        def _append(conn: sqlite_utils.Database, batch: list[Article], relearn: set[str]) -> None:
            result = append_and_tag(
                conn,
                batch,
                run_id,
                topics,
                articles_only=False,
                sources=sources.values(),
                relearn=relearn,
            )
            counts["new"] += result.new
            counts["duplicates"] += result.duplicates
            counts["revisions"] += len(result.revisions)

        await asyncio.to_thread(work)
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=counts["pages"],
            new=counts["new"],
            duplicates=counts["duplicates"],
            errors=counts["errors"],
            summary=counts,
        )
        database.close()
    return {"run_id": run_id, **counts}


def _relearn(conn: sqlite_utils.Database, only: str | None, sources: dict[str, Source]) -> set[str]:
    """Sources that learn their boilerplate again from the archive: those whose model has
    seen fewer pages than the archive holds (a store from before learning, or learning
    switched on later). Every other source's current model is applied as it is."""
    rows = conn.execute(
        "SELECT source, count(*) FROM raw_pages"
        + (" WHERE source = ?" if only else "")
        + " GROUP BY source",
        [only] if only else [],
    ).fetchall()
    again = set()
    for name, archived in rows:
        src = sources.get(name)
        if not name or (src is not None and not src.learn_boilerplate):
            continue
        if boilerplate.load(conn, name).observed < archived:
            with writing(conn):
                boilerplate.reset(conn, name)
            again.add(name)
    return again


def _chunks(pages: Iterator[fetchstate.RawPage], size: int) -> Iterator[list[fetchstate.RawPage]]:
    chunk: list[fetchstate.RawPage] = []
    for page in pages:
        chunk.append(page)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
