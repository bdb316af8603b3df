"""The ingest flow: local files -> records -> dedup -> store, with a run summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

import store
from flows.localfiles import Problem, expand, read_records
from parsers.record import Article

#: Records appended per transaction.
BATCH_SIZE = 200

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


@task(name="append-batch", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def append_task(db_path: str, records: list[Article], run_id: str) -> store.BatchResult:
    """One transaction per batch; retried because a busy store is a passing condition.

    The user named these files: a page is stored whatever type the extractor guesses."""
    db = store.open_db(db_path)
    try:
        return store.append_batch(db, records, run_id=run_id, articles_only=False)
    finally:
        db.close()


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run (tests of helpers)
        return None


def load_topics(config: str | None) -> list:
    """Topics of the config file (none when there is no config): new articles get tagged."""
    if not config or not Path(config).exists():
        return []
    from flows.config import load_config
    from parsers.topics import load_topics as parse_topics

    return parse_topics(load_config(config).topics)


@task(name="tag-topics", cache_policy=NO_CACHE)
def tag_task(db_path: str, topics: list, article_ids: list[int]) -> int:
    """Tag freshly appended articles with the configured topics."""
    from store.topics import tag_articles

    if not topics or not article_ids:
        return 0
    db = store.open_db(db_path)
    try:
        return tag_articles(db, topics, article_ids)
    finally:
        db.close()


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
    run_id = store.start_run(database, "ingest-files", _flow_run_id())
    summary = IngestSummary(run_id=run_id)
    status = "failed"

    def append(batch: list[Article]) -> None:
        result = append_task(db, batch, run_id)
        _apply(summary, result)
        tag_task(db, topics, result.new_ids)

    try:
        files, problems = expand(paths)
        summary.files = len(files)
        for p in problems:
            _record(database, summary, p, source)
        batch: list[Article] = []
        for done, path in enumerate(files, start=1):
            for item, art in _records_of(path, source):
                if isinstance(art, Problem):
                    _record(database, summary, art, source)
                    continue
                summary.records += 1
                if not art.ok:
                    _record(database, summary, Problem(item, "parse", art.error or ""), source)
                    continue
                batch.append(art)
                if len(batch) >= BATCH_SIZE:
                    append(batch)
                    batch = []
            if progress_hook:
                progress_hook(done, len(files))
        if batch:
            append(batch)
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


def _records_of(path: Path, source: str | None) -> Iterator[tuple[str, Article | Problem]]:
    """The records of one file; whatever reading it raises ends it as one Problem.

    Only the reading is guarded: an error of the store (appending a batch) is not a
    problem of this file and still fails the run.
    """
    records = read_records(path, source=source)
    try:
        while True:
            try:
                item, art = next(records)
            except StopIteration:
                return
            except (ValueError, OSError, UnicodeError) as exc:
                yield str(path), Problem(str(path), "read", str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - one file never stops the others
                yield str(path), Problem(str(path), "read", f"{type(exc).__name__}: {exc}"[:300])
                return
            yield item, art
    finally:
        records.close()


def _apply(summary: IngestSummary, result: store.BatchResult) -> None:
    summary.new += result.new
    summary.duplicates += result.duplicates
    summary.revisions += len(result.revisions)
    summary.skipped += len(result.rejected)


def _record(database, summary: IngestSummary, problem: Problem, source: str | None) -> None:
    summary.errors.append(problem)
    store.record_error(
        database,
        summary.run_id,
        source=source,
        item=problem.item,
        stage=problem.stage,
        message=problem.message,
    )


def default_db() -> str:
    return os.environ.get("NEWSMON_DB", str(Path("data") / "newsmon.db"))
