"""Opening the store: one SQLite file, WAL mode, migrated to the current schema."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from store import schema

#: How long a writer waits for another writer (a run, a migration) before failing.
BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """The store cannot be opened or upgraded (bad path, not a database, newer schema)."""


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open without migrating (for readers and tests of old schemas)."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc
    return sqlite_utils.Database(conn)


def version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the schema up to date, one migration at a time."""
    current = version(db)
    target = schema.current_version()
    if current > target:
        raise StoreError(
            f"the store has schema version {current}, newer than this newsmon ({target}): "
            "upgrade newsmon"
        )
    for number in range(current + 1, target + 1):
        # One transaction per migration, version bump included: an interrupted upgrade
        # leaves the store at the previous version, never half-way.
        with writing(db):
            schema.MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
    return target


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store; raises StoreError with a clear message."""
    db = connect(path)
    try:
        migrate(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc
    return db


@contextlib.contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads first and writes later cannot wait for
    another writer (SQLite returns "database is locked" at once to avoid a
    deadlock); taking the lock first lets the busy timeout do its job. Nested
    use falls back to a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
