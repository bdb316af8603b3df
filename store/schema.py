"""Schema of the newsmon store, as an ordered list of migrations.

``PRAGMA user_version`` records how far a database has been migrated; opening a
database runs every later migration in one transaction each, so an old store
is upgraded in place and a half-applied upgrade is never left behind.
Migrations are append-only: never edit one that has shipped, add a new one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]

FTS_TOKENIZE = "unicode61 remove_diacritics 2"


def _v1_core(db: sqlite_utils.Database) -> None:
    """The first released schema: articles, sightings, runs, run errors."""
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "canonical_url": str,
            "source": str,
            "title": str,
            "author": str,
            "published_at": str,
            "section": str,
            "language": str,
            "text": str,
            "tags": str,
            "provenance": str,
            "content_hash": str,
            "first_seen_at": str,
            "run_id": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["articles"].create_index(["canonical_url"], if_not_exists=True)
    db["articles"].create_index(["content_hash"], if_not_exists=True)
    db["articles"].create_index(["published_at"], if_not_exists=True)
    db["articles"].create_index(["source", "published_at"], if_not_exists=True)
    db["sightings"].create(
        {
            "id": int,
            "article_id": int,
            "url": str,
            "canonical_url": str,
            "source": str,
            "title": str,
            "seen_at": str,
            "run_id": str,
            "method": str,
            "similarity": float,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db["sightings"].create_index(["article_id"], if_not_exists=True)
    db["runs"].create(
        {
            "id": str,
            "flow": str,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "items": int,
            "new": int,
            "duplicates": int,
            "errors": int,
            "summary": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["run_errors"].create(
        {
            "id": int,
            "run_id": str,
            "source": str,
            "item": str,
            "stage": str,
            "message": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
        if_not_exists=True,
    )
    db["run_errors"].create_index(["run_id"], if_not_exists=True)
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize=FTS_TOKENIZE)


def _v2_extraction_fields(db: sqlite_utils.Database) -> None:
    """Fields the HTML extractor adds: page type, truncation, modification date, size."""
    articles = db["articles"]
    cols = articles.columns_dict
    for name, kind in (
        ("modified_at", str),
        ("page_type", str),
        ("truncated", int),
        ("word_count", int),
    ):
        if name not in cols:
            articles.add_column(name, kind)
    db.execute(
        "UPDATE articles SET page_type = coalesce(page_type, 'article'), "
        "truncated = coalesce(truncated, 0)"
    )
    db.execute(
        "UPDATE articles SET word_count = "
        "length(text) - length(replace(text, ' ', '')) + 1 WHERE word_count IS NULL"
    )
    if "details" not in db["sightings"].columns_dict:
        db["sightings"].add_column("details", str)
    db["articles"].create_index(["first_seen_at"], if_not_exists=True)


def _v7_warnings(db: sqlite_utils.Database) -> None:
    """What the parser noticed about a record (charset fixed, mojibake repaired, page cut)."""
    if "warnings" not in db["articles"].columns_dict:
        db["articles"].add_column("warnings", str)


def _owned_by(module: str) -> Migration:
    """A migration whose tables belong to another store module (imported when run)."""

    def run(db: sqlite_utils.Database) -> None:
        importlib.import_module(module).migrate(db)

    run.__qualname__ = run.__name__ = f"migrate[{module}]"
    run.target = (module, "migrate")  # type: ignore[attr-defined]
    return run


MIGRATIONS: list[Migration] = [
    _v1_core,
    _v2_extraction_fields,
    _owned_by("store.dedup"),  # v3: signatures, bands, revisions, story_outlets
    _owned_by("store.fetchstate"),  # v4: fetch state per URL and source, raw archive
    _owned_by("store.topics"),  # v5: topics, article_topics
    _owned_by("store.health"),  # v6: source health, alerts
    _v7_warnings,
]


def _key(migration: Migration) -> tuple[str, str]:
    return getattr(migration, "target", (migration.__module__, migration.__name__))


def register(migration: Migration) -> None:
    """Append a migration of another module, unless it is already in the list."""
    if all(_key(m) != _key(migration) for m in MIGRATIONS):
        MIGRATIONS.append(migration)


def current_version() -> int:
    return len(MIGRATIONS)
