"""newsmon store: SQLite through sqlite-utils. Schema, migrations, dedup, run history."""

from store.append import BatchResult, append_batch
from store.db import StoreError, open_db
from store.runs import finish_run, record_error, start_run

__all__ = [
    "BatchResult",
    "StoreError",
    "append_batch",
    "finish_run",
    "open_db",
    "record_error",
    "start_run",
]
