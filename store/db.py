"""Opening the store: one SQLite file, WAL mode, migrated to the current schema."""

from __future__ import annotations

import contextlib
import os
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
    try:
        if path.exists() and path.is_dir():
            raise StoreError(f"{path} is a directory, not a database file")
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    except (sqlite3.Error, OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise StoreError(_problem(path, exc)) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 64 MB of page cache (SQLite's default is 2 MB): an append to a store of a million
        # articles descends a dozen indexes; their inner pages stay in memory for the run
        # instead of being read again for every record. Only what is read is allocated.
        conn.execute("PRAGMA cache_size = -65536")
    except (sqlite3.Error, OSError) as exc:
        conn.close()
        raise StoreError(_problem(path, exc)) from exc
    return sqlite_utils.Database(conn)


def _problem(path: str | Path, exc: BaseException) -> str:
    """One sentence a user can act on, for an error met while opening the store."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return read_only_message(path)
    if "not a database" in low:
        return f"{path} is not a newsmon store (not an SQLite database file); check --db"
    if "locked" in low or "busy" in low:
        return (
            f"the store {path} is locked by another program (another newsmon run?) and "
            f"stayed locked for {BUSY_TIMEOUT_MS // 1000} s; try again later"
        )
    if "unable to open" in low:
        return (
            f"cannot open the store at {path}: unable to open the file (check that its "
            "folder exists and that newsmon may write there, or use --db)"
        )
    if "disk i/o" in low or "disk is full" in low:
        return f"cannot use the store at {path}: {text} (is the disk full or failing?)"
    return f"cannot open the store at {path}: {text}"


def read_only_message(path: str | Path) -> str:
    """``the store X is read-only (why): ...``; the reason is found with os.access/statvfs."""
    p = Path(path)
    reason = "SQLite could only open it for reading"
    try:
        if os.statvfs(p if p.exists() else p.parent).f_flag & os.ST_RDONLY:
            reason = "read-only file system"
        elif p.exists() and not os.access(p, os.W_OK):
            reason = "file permissions"
        elif not os.access(p.parent, os.W_OK | os.X_OK):
            reason = "its folder is not writable"
        else:
            for suffix in ("-wal", "-shm"):
                side = Path(f"{p}{suffix}")
                if side.exists() and not os.access(side, os.W_OK):
                    reason = f"{side.name} is not writable"
                    break
    except (OSError, ValueError):
        pass
    return (
        f"the store {path} is read-only ({reason}): newsmon needs to write to it; "
        "check its permissions or use --db"
    )


def version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database, target: int | None = None) -> int:
    """Bring the schema up to date (or up to version ``target``: a store as an older
    newsmon left it, for upgrade tests and benchmarks), one migration at a time."""
    current = version(db)
    latest = schema.current_version()
    target = latest if target is None else min(target, latest)
    if current > latest:
        raise StoreError(
            f"the store has schema version {current}, newer than this newsmon ({latest}): "
            "upgrade newsmon"
        )
    for number in range(current + 1, target + 1):
        # One transaction per migration, version bump included: an interrupted upgrade
        # leaves the store at the previous version, never half-way.
        with writing(db):
            schema.MIGRATIONS[number - 1](db)
            db.execute(f"PRAGMA user_version = {number}")
    return target


def open_db(path: str | Path, *, writable: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store; raises StoreError with a clear message.

    With ``writable`` (the default: every command that opens the store writes to it)
    a store SQLite can only read (file permissions, a read-only file system) is refused
    here, with one sentence, rather than at the first write, with a traceback. Every
    SQLite error met while opening or migrating becomes a StoreError.
    """
    db = connect(path)
    try:
        if writable:
            _check_writable(db)
        migrate(db)
    except (sqlite3.Error, OSError) as exc:
        db.close()
        raise StoreError(_problem(path, exc)) from exc
    except StoreError:
        db.close()
        raise
    return db


def _check_writable(db: sqlite_utils.Database) -> None:
    """Raise SQLite's own "readonly database" error now if the store cannot be written.

    SQLite opens a file it may not write read-only without saying so; the only honest
    test is a write. Rewriting user_version with its own value inside a transaction
    that is rolled back changes nothing in the file. The write lock is only tried, not
    waited for: while another connection is writing (another run, or this process
    between two statements) the store is certainly writable by someone, and this
    connection's own writes will wait for the lock like any other.
    """
    conn = db.conn
    current = version(db)
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute(f"PRAGMA user_version = {int(current)}")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


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
