"""Run history: every run leaves a row, and every error a row a user can query."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlite_utils

from store.clock import utcnow
from store.db import writing


def start_run(db: sqlite_utils.Database, flow: str, run_id: str | None = None) -> str:
    """Open a run row (status 'running') so that a crashed run is visible as such."""
    run_id = run_id or str(uuid.uuid4())
    with writing(db):
        db.execute(
            "INSERT OR REPLACE INTO runs (id, flow, started_at, status, items, new, duplicates, "
            "errors) VALUES (?, ?, ?, 'running', 0, 0, 0, 0)",
            [run_id, flow, utcnow()],
        )
    return run_id


def record_error(
    db: sqlite_utils.Database,
    run_id: str | None,
    *,
    source: str | None,
    item: str | None,
    stage: str,
    message: str,
) -> None:
    """Keep one failure where a user sees it (Datasette, `newsmon status`)."""
    with writing(db):
        db.execute(
            "INSERT INTO run_errors (run_id, source, item, stage, message, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, source, item, stage, message[:2000], utcnow()],
        )


def finish_run(
    db: sqlite_utils.Database,
    run_id: str,
    *,
    status: str,
    items: int,
    new: int,
    duplicates: int,
    errors: int,
    summary: Any = None,
) -> None:
    with writing(db):
        db.execute(
            "UPDATE runs SET ended_at = ?, status = ?, items = ?, new = ?, duplicates = ?, "
            "errors = ?, summary = ? WHERE id = ?",
            [
                utcnow(),
                status,
                items,
                new,
                duplicates,
                errors,
                json.dumps(summary, ensure_ascii=False) if summary is not None else None,
                run_id,
            ],
        )


def mark_stale_runs(db: sqlite_utils.Database, older_than_iso: str) -> int:
    """Runs still 'running' that started before the given time crashed: say so."""
    with writing(db):
        cur = db.execute(
            "UPDATE runs SET status = 'crashed' WHERE status = 'running' AND started_at < ?",
            [older_than_iso],
        )
    return cur.rowcount


def mark_interrupted_runs(db: sqlite_utils.Database, flows: list[str]) -> int:
    """Runs of these flows still 'running' died without finishing: say so.

    Call it only while holding the store's run lock (:mod:`store.lock`): then no other
    run of these flows can be alive, however recently it started.
    """
    if not flows:
        return 0
    marks = ", ".join("?" for _ in flows)
    with writing(db):
        cur = db.execute(
            "UPDATE runs SET status = 'crashed', ended_at = coalesce(ended_at, ?) "
            f"WHERE status = 'running' AND flow IN ({marks})",
            [utcnow(), *flows],
        )
    return cur.rowcount
