"""Topic tags in the store: which article belongs to which topic, and why.

``article_topics`` holds one row per (article, topic) with the terms that matched and a
snippet, so an analyst sees in Datasette why an article was tagged. ``topics`` keeps each
topic's definition next to its tags: a tag can always be traced to the rule that made it.
``articles_by_topic`` is a view for faceting and filtering articles by topic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

import sqlite_utils

from parsers.topics import Topic, match_all

#: Articles read and tagged per transaction: bounded memory, short write locks.
CHUNK = 500

ARTICLES_BY_TOPIC_SQL = """
SELECT
  t.topic AS topic,
  a.id AS article_id,
  a.published_at AS published_at,
  a.source AS source,
  a.language AS language,
  a.section AS section,
  a.title AS title,
  t.snippet AS snippet,
  t.matched_terms AS matched_terms,
  a.url AS url,
  a.first_seen_at AS first_seen_at
FROM article_topics t JOIN articles a ON a.id = t.article_id
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def migrate(db: sqlite_utils.Database) -> None:
    """Create the topic tables, indexes and view if missing (idempotent)."""
    fks = [("article_id", "articles", "id")] if db["articles"].exists() else None
    db["article_topics"].create(
        {
            "article_id": int,
            "topic": str,
            "matched_terms": str,
            "snippet": str,
            "tagged_at": str,
        },
        pk=("article_id", "topic"),
        foreign_keys=fks,
        if_not_exists=True,
    )
    db["article_topics"].create_index(["topic", "article_id"], if_not_exists=True)
    db["topics"].create(
        {"name": str, "title": str, "definition": str, "updated_at": str},
        pk="name",
        if_not_exists=True,
    )
    if db["articles"].exists() and "articles_by_topic" not in db.view_names():
        db.create_view("articles_by_topic", ARTICLES_BY_TOPIC_SQL)


def save_topics(db: sqlite_utils.Database, topics: Sequence[Topic]) -> None:
    """Record the current definitions (so Datasette can list them and their rules)."""
    now = _now()
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
    if not db["article_topics"].exists():
        migrate(db)
    ids = _all_ids(db) if article_ids is None else list(article_ids)
    written = 0
    with db.atomic():
        save_topics(db, topics)
    for chunk in _chunks(ids, CHUNK):
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(f"SELECT id, title, text FROM articles WHERE id IN ({marks})", chunk)
        now = _now()
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
    migrate(db)
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
