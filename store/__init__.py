"""newsmon store: SQLite through sqlite-utils. Schema, migrations, dedup, run history.

Everything that reads or writes the database lives here, and nothing else does: no network,
no Prefect, nothing imported from ``flows`` or ``deployments`` (callers pass a path or an
open database, and records made by ``parsers``). One run at a time per store (``store.lock``).
"""

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
