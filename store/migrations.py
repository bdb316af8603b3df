"""The shipped schema steps of the store, frozen: version N is what ``vN_*`` does.

Each step is written out as the SQL it runs, so that it does exactly what it did when
it shipped, whatever the store modules (or sqlite-utils) look like today: a store
created now and a store upgraded from any older version end up with the same tables,
columns, indexes, views, triggers and full-text index. ``store.schema.MIGRATIONS``
lists them in order.

Never edit a step here once it has shipped (tests/test_schema_frozen.py checks): a
change to the schema is a new step appended to ``store.schema.MIGRATIONS``.

This module imports nothing from the rest of the store; the one piece of today's code
a step needs (v3 indexes the articles already stored with today's deduper, which is
derived data, not schema) is passed in by ``store.schema``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

# Versions 9 to 13 (the desk at scale) live in their own module; they are steps of this
# one history, named here like the rest.
from store.migrations_desk import (
    v9_desk,
    v10_desk_stories,
    v11_cjk_pairs,
    v12_dedup_bands_by_day,
    v13_dedup_bands_by_period,
)

__all__ = [
    "v1_core",
    "v2_extraction_fields",
    "v3_dedup",
    "v4_fetch_state",
    "v5_topics",
    "v6_health",
    "v7_warnings",
    "v8_boilerplate",
    "v9_desk",
    "v10_desk_stories",
    "v11_cjk_pairs",
    "v12_dedup_bands_by_day",
    "v13_dedup_bands_by_period",
]


def v1_core(db: sqlite_utils.Database) -> None:
    """The first released schema: articles (with full-text search), sightings, runs, errors."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS "articles" (
   "id" INTEGER PRIMARY KEY,
   "url" TEXT,
   "canonical_url" TEXT,
   "source" TEXT,
   "title" TEXT,
   "author" TEXT,
   "published_at" TEXT,
   "section" TEXT,
   "language" TEXT,
   "text" TEXT,
   "tags" TEXT,
   "provenance" TEXT,
   "content_hash" TEXT,
   "first_seen_at" TEXT,
   "run_id" TEXT
)"""
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_articles_canonical_url"\n'
        '    ON "articles" ("canonical_url")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_articles_content_hash"\n    ON "articles" ("content_hash")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_articles_published_at"\n    ON "articles" ("published_at")'
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_articles_source_published_at"\n'
        '    ON "articles" ("source", "published_at")'
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "sightings" (
   "id" INTEGER PRIMARY KEY,
   "article_id" INTEGER REFERENCES "articles"("id"),
   "url" TEXT,
   "canonical_url" TEXT,
   "source" TEXT,
   "title" TEXT,
   "seen_at" TEXT,
   "run_id" TEXT,
   "method" TEXT,
   "similarity" REAL
)"""
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_sightings_article_id"\n    ON "sightings" ("article_id")'
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "runs" (
   "id" TEXT PRIMARY KEY,
   "flow" TEXT,
   "started_at" TEXT,
   "ended_at" TEXT,
   "status" TEXT,
   "items" INTEGER,
   "new" INTEGER,
   "duplicates" INTEGER,
   "errors" INTEGER,
   "summary" TEXT
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "run_errors" (
   "id" INTEGER PRIMARY KEY,
   "run_id" TEXT REFERENCES "runs"("id"),
   "source" TEXT,
   "item" TEXT,
   "stage" TEXT,
   "message" TEXT,
   "at" TEXT
)"""
    )
    db.execute('CREATE INDEX IF NOT EXISTS "idx_run_errors_run_id"\n    ON "run_errors" ("run_id")')
    if not db["articles_fts"].exists():
        db.execute(
            """CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (
    "title", "text",
    tokenize='unicode61 remove_diacritics 2',
    content="articles"
)"""
        )
        db.execute(
            'INSERT INTO "articles_fts" (rowid, "title", "text")\n'
            '    SELECT rowid, "title", "text" FROM "articles"'
        )
        db.execute(
            """CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END"""
        )
        db.execute(
            """CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
END"""
        )
        db.execute(
            """CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END"""
        )


def v2_extraction_fields(db: sqlite_utils.Database) -> None:
    """Fields the HTML extractor adds: page type, truncation, modification date, size."""
    have = db["articles"].columns_dict
    for name, kind in (
        ("modified_at", "TEXT"),
        ("page_type", "TEXT"),
        ("truncated", "INTEGER"),
        ("word_count", "INTEGER"),
    ):
        if name not in have:
            db.execute(f'ALTER TABLE "articles" ADD COLUMN "{name}" {kind}')
    db.execute(
        "UPDATE articles SET page_type = coalesce(page_type, 'article'), "
        "truncated = coalesce(truncated, 0)"
    )
    db.execute(
        "UPDATE articles SET word_count = "
        "length(text) - length(replace(text, ' ', '')) + 1 WHERE word_count IS NULL"
    )
    if "details" not in db["sightings"].columns_dict:
        db.execute('ALTER TABLE "sightings" ADD COLUMN "details" TEXT')
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_articles_first_seen_at"\n    ON "articles" ("first_seen_at")'
    )


def v3_dedup(
    db: sqlite_utils.Database, *, index_articles: Callable[[sqlite_utils.Database], object]
) -> None:
    """The dedup index (signatures, LSH bands, address keys), revisions, ``story_outlets``
    and ``articles_latest``; ``index_articles(db)`` indexes the articles already stored
    when the index is created on a store that has some."""
    fresh = not db["dedup_signatures"].exists()
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_signatures ("
        "article_id INTEGER PRIMARY KEY REFERENCES articles(id), source TEXT, title_key TEXT, "
        "day INTEGER, shingles INTEGER, minhash BLOB)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS dedup_signatures_title "
        "ON dedup_signatures (title_key, source, day)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_bands (key INTEGER NOT NULL, article_id INTEGER NOT "
        "NULL, day INTEGER, PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_keys (key TEXT NOT NULL, article_id INTEGER NOT NULL, "
        "kind TEXT NOT NULL, origin TEXT NOT NULL, "
        "PRIMARY KEY (key, article_id, kind, origin)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS article_revisions ("
        "id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id), "
        "revision INTEGER NOT NULL, seen_at TEXT, run_id TEXT, url TEXT, title TEXT, text TEXT, "
        "content_hash TEXT, title_changed INTEGER, words_added INTEGER, words_removed INTEGER, "
        "similarity REAL, details TEXT, UNIQUE (article_id, revision))"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS article_revisions_hash ON article_revisions (content_hash)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS sightings_url ON sightings (url)")
    db.execute(
        "CREATE VIEW IF NOT EXISTS story_outlets AS "
        "SELECT a.id AS article_id, a.title AS title, a.source AS first_source, "
        "count(DISTINCT coalesce(o.source, '')) AS outlets, "
        "json_group_array(DISTINCT o.source) AS sources, count(*) - 1 AS sightings, "
        "min(o.seen_at) AS first_seen_at, max(o.seen_at) AS last_seen_at "
        "FROM articles a JOIN ("
        "  SELECT id AS article_id, source, first_seen_at AS seen_at FROM articles "
        "  WHERE id IN (SELECT article_id FROM sightings) "
        "  UNION ALL SELECT article_id, source, seen_at FROM sightings"
        ") o ON o.article_id = a.id GROUP BY a.id"
    )
    db.execute(
        "CREATE VIEW IF NOT EXISTS articles_latest AS "
        "SELECT a.id AS id, a.url AS url, a.canonical_url AS canonical_url, a.source AS source, "
        "coalesce(r.title, a.title) AS title, coalesce(r.text, a.text) AS text, "
        "a.published_at AS published_at, coalesce(r.revision, 0) AS revision, "
        "coalesce(r.seen_at, a.first_seen_at) AS updated_at "
        "FROM articles a LEFT JOIN article_revisions r ON r.article_id = a.id AND r.revision = "
        "(SELECT max(revision) FROM article_revisions WHERE article_id = a.id)"
    )
    if fresh and db.execute("SELECT 1 FROM articles LIMIT 1").fetchone():
        index_articles(db)


def v4_fetch_state(db: sqlite_utils.Database) -> None:
    """Fetch state per URL and per source, hosts with bad validators, the raw archive."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS "fetch_state" (
   "url" TEXT PRIMARY KEY,
   "kind" TEXT,
   "source" TEXT,
   "etag" TEXT,
   "last_modified" TEXT,
   "body_hash" TEXT,
   "last_status" INTEGER,
   "last_error" TEXT,
   "last_fetched_at" TEXT,
   "last_changed_at" TEXT,
   "fetches" INTEGER,
   "cached_body" BLOB
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "frontier" (
   "key" TEXT PRIMARY KEY,
   "url" TEXT,
   "source" TEXT,
   "title" TEXT,
   "published_at" TEXT,
   "via" TEXT,
   "discovered_at" TEXT,
   "status" TEXT,
   "attempts" INTEGER,
   "last_error" TEXT,
   "updated_at" TEXT,
   "run_id" TEXT
)"""
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_frontier_source_status"\n'
        '    ON "frontier" ("source", "status")'
    )
    db.execute('CREATE INDEX IF NOT EXISTS "idx_frontier_url"\n    ON "frontier" ("url")')
    db.execute(
        """CREATE TABLE IF NOT EXISTS "source_state" (
   "name" TEXT PRIMARY KEY,
   "consecutive_failures" INTEGER,
   "last_success_at" TEXT,
   "last_attempt_at" TEXT,
   "last_error" TEXT,
   "next_due_at" TEXT
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "host_state" (
   "host" TEXT PRIMARY KEY,
   "conditional_get" INTEGER,
   "reason" TEXT,
   "updated_at" TEXT
)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "raw_pages" (
   "id" INTEGER PRIMARY KEY,
   "url" TEXT,
   "final_url" TEXT,
   "source" TEXT,
   "status" INTEGER,
   "headers" TEXT,
   "body" BLOB,
   "codec" TEXT,
   "body_hash" TEXT,
   "size" INTEGER,
   "fetched_at" TEXT,
   "run_id" TEXT
)"""
    )
    db.execute('CREATE INDEX IF NOT EXISTS "idx_raw_pages_source"\n    ON "raw_pages" ("source")')
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_raw_pages_final_url"\n    ON "raw_pages" ("final_url")'
    )
    # Discovery asks "is this URL already stored?" for every candidate of every run.
    for table, column in (
        ("articles", "url"),
        ("sightings", "url"),
        ("sightings", "canonical_url"),
    ):
        if db[table].exists() and column in db[table].columns_dict:
            db.execute(
                f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}"\n    ON "{table}" ("{column}")'
            )


def v5_topics(db: sqlite_utils.Database) -> None:
    """Topic tags (``article_topics``), topic definitions, the ``articles_by_topic`` view."""
    articles = db["articles"].exists()
    reference = ' REFERENCES "articles"("id")' if articles else ""
    db.execute(
        f"""CREATE TABLE IF NOT EXISTS "article_topics" (
   "article_id" INTEGER{reference},
   "topic" TEXT,
   "matched_terms" TEXT,
   "snippet" TEXT,
   "tagged_at" TEXT,
   PRIMARY KEY ("article_id", "topic")
)"""
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_article_topics_topic_article_id"\n'
        '    ON "article_topics" ("topic", "article_id")'
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS "topics" (
   "name" TEXT PRIMARY KEY,
   "title" TEXT,
   "definition" TEXT,
   "updated_at" TEXT
)"""
    )
    if articles and "articles_by_topic" not in db.view_names():
        db.execute(
            # "AS " and a newline, as sqlite-utils wrote it when this step shipped.
            'CREATE VIEW "articles_by_topic" AS \n'
            "SELECT\n"
            "  t.topic AS topic,\n"
            "  a.id AS article_id,\n"
            "  a.published_at AS published_at,\n"
            "  a.source AS source,\n"
            "  a.language AS language,\n"
            "  a.section AS section,\n"
            "  a.title AS title,\n"
            "  t.snippet AS snippet,\n"
            "  t.matched_terms AS matched_terms,\n"
            "  a.url AS url,\n"
            "  a.first_seen_at AS first_seen_at\n"
            "FROM article_topics t JOIN articles a ON a.id = t.article_id\n"
        )


def v6_health(db: sqlite_utils.Database) -> None:
    """Per-run counts per source, source health and alerts; a table that exists already
    (written by an older newsmon) gets the columns it lacks."""

    def ensure(table: str, create: str, columns: tuple[tuple[str, str], ...]) -> None:
        if not db[table].exists():
            db.execute(create)
            return
        have = db[table].columns_dict
        for name, kind in columns:
            if name not in have:
                db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')

    ensure(
        "source_runs",
        """CREATE TABLE "source_runs" (
   "run_id" TEXT,
   "source" TEXT,
   "at" TEXT,
   "run_status" TEXT,
   "failed" INTEGER,
   "items" INTEGER,
   "new" INTEGER,
   "duplicates" INTEGER,
   "errors" INTEGER,
   "stored" INTEGER,
   "empty_bodies" INTEGER,
   "short_bodies" INTEGER,
   "profile_bodies" INTEGER,
   "profile_titles" INTEGER,
   "first_error" TEXT,
   PRIMARY KEY ("run_id", "source")
)""",
        (
            ("run_id", "TEXT"),
            ("source", "TEXT"),
            ("at", "TEXT"),
            ("run_status", "TEXT"),
            ("failed", "INTEGER"),
            ("items", "INTEGER"),
            ("new", "INTEGER"),
            ("duplicates", "INTEGER"),
            ("errors", "INTEGER"),
            ("stored", "INTEGER"),
            ("empty_bodies", "INTEGER"),
            ("short_bodies", "INTEGER"),
            ("profile_bodies", "INTEGER"),
            ("profile_titles", "INTEGER"),
            ("first_error", "TEXT"),
        ),
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_source_runs_source_at"\n'
        '    ON "source_runs" ("source", "at")'
    )
    ensure(
        "source_health",
        """CREATE TABLE "source_health" (
   "source" TEXT PRIMARY KEY,
   "status" TEXT,
   "problems" TEXT,
   "conditions" TEXT,
   "runs" INTEGER,
   "last_run_at" TEXT,
   "last_success_at" TEXT,
   "consecutive_failures" INTEGER,
   "last_error" TEXT,
   "new_last_run" INTEGER,
   "new_in_window" INTEGER,
   "median_new" REAL,
   "mean_new" REAL,
   "usual_runs" INTEGER,
   "zero_new_runs" INTEGER,
   "last_new_at" TEXT,
   "recent_articles" INTEGER,
   "short_share" REAL,
   "usual_short_share" REAL,
   "profile_share" REAL,
   "usual_profile_share" REAL,
   "title_profile_share" REAL,
   "usual_title_profile_share" REAL,
   "next_due" TEXT,
   "updated_at" TEXT
)""",
        (
            ("source", "TEXT"),
            ("status", "TEXT"),
            ("problems", "TEXT"),
            ("conditions", "TEXT"),
            ("runs", "INTEGER"),
            ("last_run_at", "TEXT"),
            ("last_success_at", "TEXT"),
            ("consecutive_failures", "INTEGER"),
            ("last_error", "TEXT"),
            ("new_last_run", "INTEGER"),
            ("new_in_window", "INTEGER"),
            ("median_new", "REAL"),
            ("mean_new", "REAL"),
            ("usual_runs", "INTEGER"),
            ("zero_new_runs", "INTEGER"),
            ("last_new_at", "TEXT"),
            ("recent_articles", "INTEGER"),
            ("short_share", "REAL"),
            ("usual_short_share", "REAL"),
            ("profile_share", "REAL"),
            ("usual_profile_share", "REAL"),
            ("title_profile_share", "REAL"),
            ("usual_title_profile_share", "REAL"),
            ("next_due", "TEXT"),
            ("updated_at", "TEXT"),
        ),
    )
    ensure(
        "alerts",
        """CREATE TABLE "alerts" (
   "id" INTEGER PRIMARY KEY,
   "source" TEXT,
   "condition" TEXT,
   "state" TEXT,
   "title" TEXT,
   "message" TEXT,
   "details" TEXT,
   "opened_at" TEXT,
   "cleared_at" TEXT,
   "run_id" TEXT,
   "sent_to" INTEGER,
   "failed_to" INTEGER,
   "delivery" TEXT
)""",
        (
            ("id", "INTEGER"),
            ("source", "TEXT"),
            ("condition", "TEXT"),
            ("state", "TEXT"),  # 'open' until the condition clears, then 'cleared'
            ("title", "TEXT"),
            ("message", "TEXT"),
            ("details", "TEXT"),
            ("opened_at", "TEXT"),
            ("cleared_at", "TEXT"),
            ("run_id", "TEXT"),
            ("sent_to", "INTEGER"),  # URLs that accepted the notification
            ("failed_to", "INTEGER"),  # URLs that did not
            ("delivery", "TEXT"),  # JSON: per URL (secrets hidden) ok / error
        ),
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_alerts_source_condition_state"\n'
        '    ON "alerts" ("source", "condition", "state")'
    )


def v7_warnings(db: sqlite_utils.Database) -> None:
    """What the parser noticed about a record (charset fixed, mojibake repaired, page cut)."""
    if "warnings" not in db["articles"].columns_dict:
        db.execute('ALTER TABLE "articles" ADD COLUMN "warnings" TEXT')


def v8_boilerplate(db: sqlite_utils.Database) -> None:
    """Per-source learned boilerplate (store/boilerplate.py): the blocks each source's pages
    repeat, and how many pages of each source were observed."""
    db.execute(
        'CREATE TABLE IF NOT EXISTS "boilerplate_sources" (\n'
        '    "source" TEXT PRIMARY KEY,\n'
        '    "pages_observed" INTEGER NOT NULL DEFAULT 0,\n'
        '    "updated_at" TEXT\n'
        ")"
    )
    db.execute(
        'CREATE TABLE IF NOT EXISTS "boilerplate_blocks" (\n'
        '    "source" TEXT NOT NULL,\n'
        '    "key" TEXT NOT NULL,\n'
        '    "learned" INTEGER NOT NULL DEFAULT 0,\n'
        '    "example" TEXT,\n'
        '    "template" TEXT,\n'
        '    "path" TEXT,\n'
        '    "pages_seen" INTEGER NOT NULL DEFAULT 0,\n'
        '    "pages_observed" INTEGER NOT NULL DEFAULT 0,\n'
        '    "share" REAL,\n'
        '    "weight" REAL NOT NULL DEFAULT 0,\n'
        '    "seen_at_page" INTEGER NOT NULL DEFAULT 0,\n'
        '    "first_seen" TEXT,\n'
        '    "last_seen" TEXT,\n'
        '    PRIMARY KEY ("source", "key")\n'
        ")"
    )
    db.execute(
        'CREATE INDEX IF NOT EXISTS "idx_boilerplate_blocks_learned"\n'
        '    ON "boilerplate_blocks" ("source", "learned", "pages_seen")'
    )
