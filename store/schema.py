"""Schema of the newsmon store, as an ordered list of migrations.

``PRAGMA user_version`` records how far a database has been migrated; opening a
database runs every later migration in one transaction each, so an old store
is upgraded in place and a half-applied upgrade is never left behind.
Migrations are append-only: never edit one that has shipped, add a new one. The
shipped ones are frozen in :mod:`store.migrations`, written out as the SQL they run;
tests/test_schema_frozen.py holds a checksum of each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sqlite_utils

from store import migrations
from store.cjk import index_pending as index_cjk_pending
from store.dedup import index_existing as index_dedup_existing

Migration = Callable[[sqlite_utils.Database], None]

MIGRATIONS: list[Migration] = [
    migrations.v1_core,
    migrations.v2_extraction_fields,
    # v3 indexes the articles already stored with today's deduper (derived data, not schema).
    functools.partial(migrations.v3_dedup, index_articles=index_dedup_existing),
    migrations.v4_fetch_state,
    migrations.v5_topics,
    migrations.v6_health,
    migrations.v7_warnings,
    migrations.v8_boilerplate,
    migrations.v9_desk,
    migrations.v10_desk_stories,
    # v11 indexes the CJK articles already stored (derived data, like v3).
    functools.partial(migrations.v11_cjk_pairs, index_articles=index_cjk_pending),
    migrations.v12_dedup_bands_by_day,
    migrations.v13_dedup_bands_by_period,
]

#: Module ``migrate()`` functions that re-run a frozen step on their own tables (for
#: callers that build tables without ``open_db``): the list holds their step already.
_MODULE_STEPS = frozenset(
    {
        ("store.dedup", "migrate"),  # v3
        ("store.fetchstate", "migrate"),  # v4
        ("store.topics", "migrate"),  # v5
        ("store.health", "migrate"),  # v6
    }
)


def step(migration: Migration) -> Callable[..., None]:
    """The function a list entry runs (the frozen step behind a partial)."""
    return getattr(migration, "func", migration)


def _key(migration: Migration) -> tuple[str, str]:
    fn = step(migration)
    return fn.__module__, fn.__name__


def register(migration: Migration) -> None:
    """Append a migration of another module, unless it is already in the list (a
    module ``migrate()`` whose frozen step is in the list counts as in it)."""
    key = _key(migration)
    if key in _MODULE_STEPS:
        return
    if all(_key(m) != key for m in MIGRATIONS):
        MIGRATIONS.append(migration)


def current_version() -> int:
    return len(MIGRATIONS)
