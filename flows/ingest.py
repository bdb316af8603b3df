"""The ingest flow: local files -> records -> dedup -> store, with a run summary.

The work and its run row are flows/ingestion.py's ``recorded_ingest`` (the same path the
monitor's ``files =`` sources take); this module makes it a Prefect flow run with a
summary artifact. ``newsmon ingest`` with no Prefect server configured calls
``recorded_ingest`` itself: nothing to start for a few files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from flows.ingestion import IngestCounts, ingest_summary, recorded_ingest
from flows.prefect_api import flow_run_id

ProgressHook = Callable[[int, int], None]
#: Set by the CLI to draw a progress bar (flow parameters must stay serialisable).
progress_hook: ProgressHook | None = None


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
    run_id, counts = await asyncio.to_thread(
        recorded_ingest,
        db,
        paths,
        source=source,
        config=config,
        flow_run=flow_run_id(),
        on_file=progress_hook,
    )
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
    result: dict[str, Any] = ingest_summary(run_id, counts)
    result["error_list"] = [p.__dict__ for p in counts.problems]
    return result
