"""What every module of the ``newsmon`` command line shares: exit codes, default paths,
error output, the store check, Prefect's offline defaults.

``flows.cli`` and the modules whose subcommands it lists (``flows.cli_monitor``,
``flows.cli_ops``) import this module; it imports none of them, so the command line has no
import circle. Only the standard library at import time (the store is imported when a
check runs), so that ``newsmon --help`` stays fast; no Prefect. The exit codes are
described in ``flows.cli``.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_DB = "data/newsmon.db"
DEFAULT_CONFIG = "newsmon.toml"


def _offline_prefect_defaults() -> None:
    """Prefect must not phone home from an analyst's machine or CI."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _err(message: str) -> None:
    print(f"newsmon: {message}", file=sys.stderr)


def _check_store(db_path: str, *, writable: bool = True) -> bool:
    """Can the command use the store? If not, say why in one line (exit status 1 follows).

    ``writable`` (the default) also refuses a store that SQLite can only read.
    """
    import store

    try:
        store.open_db(db_path, writable=writable).close()
    except store.StoreError as exc:
        _err(str(exc))
        return False
    return True
