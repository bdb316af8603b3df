"""Revisions: the same article (same address) seen again with another text or title.

The store is append-only: the ``articles`` row keeps the text first seen (and the
full-text index keeps matching it); each later version is a row of
``article_revisions`` with a short diff summary, and the ``articles_latest`` view
shows the newest version of every article. An analyst can then see *that* a
story was edited (a headline softened, a paragraph added) instead of the edit
silently replacing what was published first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from store.similarity import Match


@dataclass
class Revision:
    article_id: int
    revision: int
    url: str | None
    similarity: float
    title_changed: bool


def record_revision(
    db: sqlite_utils.Database,
    match: Match,
    row: dict[str, Any],
    *,
    run_id: str | None,
    now: str,
) -> Revision:
    """Append the new version (inside the caller's transaction)."""
    number = db.execute(
        "SELECT coalesce(max(revision), 0) + 1 FROM article_revisions WHERE article_id = ?",
        [match.article_id],
    ).fetchone()[0]
    d = match.details
    db.execute(
        "INSERT INTO article_revisions (article_id, revision, seen_at, run_id, url, title, text, "
        "content_hash, title_changed, words_added, words_removed, similarity, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            match.article_id,
            number,
            now,
            run_id,
            row.get("url"),
            row.get("title"),
            row.get("text"),
            row.get("content_hash"),
            int(bool(d.get("title_changed"))),
            d.get("words_added"),
            d.get("words_removed"),
            match.similarity,
            json.dumps(d, ensure_ascii=False),
        ],
    )
    return Revision(
        match.article_id, number, row.get("url"), match.similarity, bool(d.get("title_changed"))
    )


def revisions_for(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """Every later version of an article, oldest first (without the full texts)."""
    rows = db.execute(
        "SELECT revision, seen_at, run_id, url, title, content_hash, title_changed, words_added, "
        "words_removed, similarity FROM article_revisions WHERE article_id = ? ORDER BY revision",
        [article_id],
    ).fetchall()
    keys = (
        "revision seen_at run_id url title content_hash title_changed words_added "
        "words_removed similarity"
    ).split()
    return [dict(zip(keys, r, strict=True)) for r in rows]
