"""The ingest flow: local files -> records -> dedup -> store, with a run summary.

The work is flows/ingestion.py's ``ingest_paths``, the same path the monitor's
``files =`` sources take; this module adds the run row and the Prefect artifact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

import store
from flows.config import load_config
from flows.ingestion import ingest_paths
from flows.localfiles import Problem
from flows.prefect_api import flow_run_id
from parsers.topics import Topic
from parsers.topics import load_topics as parse_topics

ProgressHook = Callable[[int, int], None]
#: Set by the CLI to draw a progress bar (flow parameters must stay serialisable).
progress_hook: ProgressHook | None = None


@dataclass
class IngestSummary:
    run_id: str
    files: int = 0
    records: int = 0
    new: int = 0
    duplicates: int = 0
    revisions: int = 0
    skipped: int = 0
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "files": self.files,
            "records": self.records,
            "new": self.new,
            "duplicates": self.duplicates,
            "revisions": self.revisions,
            "skipped": self.skipped,
            "errors": len(self.errors),
        }

    def markdown(self) -> str:
        lines = [
            "# newsmon ingest",
            "",
            "| files | records | new | duplicates | revisions | skipped | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {self.files} | {self.records} | {self.new} | {self.duplicates} "
            f"| {self.revisions} | {self.skipped} | {len(self.errors)} |",
        ]
        if self.errors:
            lines += ["", "## Errors", "", "| item | stage | message |", "|---|---|---|"]
            for p in self.errors[:100]:
                msg = p.message.replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {p.item} | {p.stage} | {msg} |")
            if len(self.errors) > 100:
                lines.append(f"| … | | {len(self.errors) - 100} more in the run_errors table |")
        return "\n".join(lines)


def load_topics(config: str | None) -> list[Topic]:
    """Topics of the config file (none when there is no config): new articles get tagged."""
    if not config or not Path(config).exists():
        return []
    return parse_topics(load_config(config).topics)


@flow(name="ingest-files", log_prints=True)
async def ingest_files(
    paths: list[str],
    db: str = "data/newsmon.db",
    source: str | None = None,
    config: str | None = None,
) -> dict[str, Any]:
    """Ingest plain-text exports, saved HTML and JSON Lines files (folders and .gz accepted).

    ``config`` (a newsmon.toml) supplies the topics new articles are tagged with.
    """
    logger = get_run_logger()
    topics = load_topics(config)
    database = store.open_db(db)
    run_id = store.start_run(database, "ingest-files", flow_run_id())
    summary = IngestSummary(run_id=run_id)
    status = "failed"
    try:
        counts = await asyncio.to_thread(
            ingest_paths,
            db,
            paths,
            run_id=run_id,
            source=source,
            topics=topics,
            on_file=progress_hook,
        )
        summary.files = counts.files
        summary.records = counts.records
        summary.new = counts.new
        summary.duplicates = counts.duplicates
        summary.revisions = counts.revisions
        summary.skipped = counts.skipped
        summary.errors = counts.problems
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=summary.records,
            new=summary.new,
            duplicates=summary.duplicates,
            errors=len(summary.errors),
            summary=summary.as_dict(),
        )
        database.close()
    await acreate_markdown_artifact(
        key="ingest-summary", markdown=summary.markdown(), description="newsmon ingest run"
    )
    logger.info(
        "ingest: %d files, %d new, %d duplicates, %d errors",
        summary.files,
        summary.new,
        summary.duplicates,
        len(summary.errors),
    )
    result = summary.as_dict()
    result["error_list"] = [p.__dict__ for p in summary.errors]
    return result
