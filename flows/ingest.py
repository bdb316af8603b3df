"""The ingest flow: local files -> records -> dedup -> store, with a run summary.

The work is flows/ingestion.py's ``ingest_paths``, the same path the monitor's
``files =`` sources take; this module adds the run row and the Prefect artifact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

import store
from flows.config import Source, load_config
from flows.ingestion import IngestCounts, ingest_paths
from flows.prefect_api import flow_run_id
from parsers.topics import Topic

ProgressHook = Callable[[int, int], None]
#: Set by the CLI to draw a progress bar (flow parameters must stay serialisable).
progress_hook: ProgressHook | None = None


def _as_dict(run_id: str, c: IngestCounts) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "files": c.files,
        "records": c.records,
        "new": c.new,
        "duplicates": c.duplicates,
        "revisions": c.revisions,
        "skipped": c.skipped,
        "errors": len(c.problems),
    }


def _markdown(c: IngestCounts) -> str:
    lines = [
        "# newsmon ingest",
        "",
        "| files | records | new | duplicates | revisions | skipped | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {c.files} | {c.records} | {c.new} | {c.duplicates} "
        f"| {c.revisions} | {c.skipped} | {len(c.problems)} |",
    ]
    if c.problems:
        lines += ["", "## Errors", "", "| item | stage | message |", "|---|---|---|"]
        for p in c.problems[:100]:
            msg = p.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {p.item} | {p.stage} | {msg} |")
        if len(c.problems) > 100:
            lines.append(f"| … | | {len(c.problems) - 100} more in the run_errors table |")
    return "\n".join(lines)


def load_topics(config: str | None) -> list[Topic]:
    """Topics of the config file (none when there is no config): new articles get tagged."""
    if not config or not Path(config).exists():
        return []
    return load_config(config).compiled_topics


def load_sources(config: str | None) -> list[Source]:
    """Sources of the config file: how each learns its boilerplate (on by default)."""
    if not config or not Path(config).exists():
        return []
    return load_config(config).sources


@flow(name="ingest-files", log_prints=True)
async def ingest_files(
    paths: list[str],
    db: str = "data/newsmon.db",
    source: str | None = None,
    config: str | None = None,
) -> dict[str, Any]:
    """Ingest plain-text exports, saved HTML and JSON Lines files (folders and .gz accepted).

    ``config`` (a newsmon.toml) supplies the topics new articles are tagged with and
    how each source learns its boilerplate.
    """
    logger = get_run_logger()
    topics = load_topics(config)
    database = store.open_db(db)
    run_id = store.start_run(database, "ingest-files", flow_run_id())
    counts = IngestCounts()
    status = "failed"
    try:
        counts = await asyncio.to_thread(
            ingest_paths,
            db,
            paths,
            run_id=run_id,
            source=source,
            topics=topics,
            sources=load_sources(config),
            on_file=progress_hook,
        )
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=counts.records,
            new=counts.new,
            duplicates=counts.duplicates,
            errors=len(counts.problems),
            summary=_as_dict(run_id, counts),
        )
        database.close()
    await acreate_markdown_artifact(
        key="ingest-summary", markdown=_markdown(counts), description="newsmon ingest run"
    )
    logger.info(
        "ingest: %d files, %d new, %d duplicates, %d errors",
        counts.files,
        counts.new,
        counts.duplicates,
        len(counts.problems),
    )
    result = _as_dict(run_id, counts)
    result["error_list"] = [p.__dict__ for p in counts.problems]
    return result
