"""Topic tags in the store: which article belongs to which topic, and why.

``article_topics`` holds one row per (article, topic) with the terms that matched and a
snippet, so an analyst sees in Datasette why an article was tagged. ``topics`` keeps each
topic's definition next to its tags: a tag can always be traced to the rule that made it.
``articles_by_topic`` is a view for faceting and filtering articles by topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

import sqlite_utils

from parsers.topics import Topic, match_all
from store import migrations
from store.clock import utcnow

#: Articles read and tagged per transaction: bounded memory, short write locks.
CHUNK = 500


def migrate(db: sqlite_utils.Database) -> None:
    """Create the topic tables, indexes and view if missing (idempotent).

    They are schema v5 (:func:`store.migrations.v5_topics`); ``open_db`` creates them.
    """
    migrations.v5_topics(db)


def save_topics(db: sqlite_utils.Database, topics: Sequence[Topic]) -> None:
    """Record the current definitions (so Datasette can list them and their rules)."""
    now = utcnow()
    for topic in topics:
        db.execute(
            "INSERT INTO topics (name, title, definition, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET title = excluded.title, "
            "definition = excluded.definition, "
            "updated_at = CASE WHEN topics.definition = excluded.definition "
            "THEN topics.updated_at ELSE excluded.updated_at END",
            [topic.name, topic.title, json.dumps(topic.definition, ensure_ascii=False), now],
        )


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for article_id in ids:
        chunk.append(int(article_id))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _all_ids(db: sqlite_utils.Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM articles ORDER BY id")]


def tag_articles(
    db: sqlite_utils.Database,
    topics: Sequence[Topic],
    article_ids: Iterable[int] | None = None,
) -> int:
    """Tag the given articles (all when None), replacing their previous tags.

    Returns the number of (article, topic) rows written. Each chunk is one transaction,
    so a reader never sees an article with its old tags deleted and the new ones missing.
    """
    ids = _all_ids(db) if article_ids is None else list(article_ids)
    written = 0
    with db.atomic():
        save_topics(db, topics)
    for chunk in _chunks(ids, CHUNK):
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(f"SELECT id, title, text FROM articles WHERE id IN ({marks})", chunk)
        now = utcnow()
        tags = []
        for article_id, title, text in rows.fetchall():
            for match in match_all(topics, title, text):
                tags.append(
                    (
                        article_id,
                        match.topic,
                        json.dumps(list(match.terms), ensure_ascii=False),
                        match.snippet,
                        now,
                    )
                )
        with db.atomic():
            db.execute(f"DELETE FROM article_topics WHERE article_id IN ({marks})", chunk)
            if tags:
                db.conn.executemany(
                    "INSERT INTO article_topics (article_id, topic, matched_terms, snippet, "
                    "tagged_at) VALUES (?, ?, ?, ?, ?)",
                    tags,
                )
        written += len(tags)
    return written


def retag(db: sqlite_utils.Database, topics: Sequence[Topic]) -> int:
    """Re-apply the configured topics to every article (after editing the topics).

    Tags and definitions of topics removed from the configuration are dropped too.
    """
    names = [t.name for t in topics]
    with db.atomic():
        if names:
            marks = ", ".join("?" for _ in names)
            db.execute(f"DELETE FROM article_topics WHERE topic NOT IN ({marks})", names)
            db.execute(f"DELETE FROM topics WHERE name NOT IN ({marks})", names)
        else:
            db.execute("DELETE FROM article_topics")
            db.execute("DELETE FROM topics")
    return tag_articles(db, topics)
