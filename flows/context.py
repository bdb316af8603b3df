"""What every stage of one monitor run shares: the run's context and each source's report.

No Prefect here: discovery (flows/discovery.py) and the fetch -> parse -> store stages
(flows/stages.py) are plain functions of a :class:`RunContext`; flows/monitor.py
wraps them in Prefect tasks.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

import store
from flows.config import Config
from flows.fetch import Fetcher
from store.health import SourceFigures, SourceStatus


@dataclass
class SourceReport:
    name: str
    status: SourceStatus = SourceStatus.OK
    message: str = ""
    discovered: int = 0
    queued: int = 0
    known: int = 0
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    revisions: int = 0
    not_modified: int = 0
    robots: int = 0
    errors: int = 0
    files: int = 0
    pending: int = 0
    #: links found on a listing page whose page is not an article (not stored)
    not_articles: int = 0
    #: URLs left for the next run because the run's time limit was reached
    cut_short: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    #: the stage in progress (discover, fetch, parse, store): where a crash is recorded
    stage: str = "discover"

    def note_problem(self, item: str, stage: str, message: str) -> None:
        """Count a problem and keep the first 200 for the run summary."""
        self.errors += 1
        if len(self.problems) < 200:
            self.problems.append({"item": item, "stage": stage, "message": message})

    def figures(self) -> SourceFigures:
        """The run's figures for this source, as the health check reads them."""
        return SourceFigures(
            source=self.name,
            status=self.status,
            items=self.fetched + self.files,
            new=self.new,
            duplicates=self.duplicates,
            errors=self.errors,
            message=self.message,
        )

    def counts(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("problems")
        d.pop("stage")
        return d


class RunContext:
    """What every stage of one run shares (not a dataclass: Prefect must not walk into it)."""

    def __init__(self, config: Config, db_path: str, run_id: str, fetcher: Fetcher) -> None:
        self.config = config
        self.settings = config.settings
        self.db_path = db_path
        self.run_id = run_id
        self.fetcher = fetcher
        self.budget = config.settings.max_articles_per_run
        self.write_lock = asyncio.Lock()
        self.now = datetime.now(UTC)
        self.topics = config.compiled_topics

    def open(self) -> sqlite_utils.Database:
        return store.open_db(self.db_path)

    def problem(
        self, db: sqlite_utils.Database, report: SourceReport, item: str, stage: str, message: str
    ) -> None:
        """An error is a row (run_errors) and a line in the summary, never a crash."""
        report.note_problem(item, stage, message)
        store.record_error(
            db, self.run_id, source=report.name, item=item, stage=stage, message=message
        )
