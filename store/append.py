"""Appending clean records: dedup first, then one transaction per batch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from parsers.record import CONTENT_FIELDS, Article
from store.cjk import index_pending as index_cjk_pending
from store.clock import utcnow
from store.db import writing
from store.dedup import Deduper, Match
from store.revisions import Revision, record_revision
from store.rows import to_row

#: Columns written for each appended record: its content fields, then bookkeeping.
ARTICLE_COLUMNS = (
    *CONTENT_FIELDS,
    "provenance",
    "page_type",
    "truncated",
    "content_hash",
    "word_count",
    "first_seen_at",
    "day",
    "run_id",
    "warnings",
)


@dataclass
class Sighting:
    article_id: int
    url: str | None
    method: str
    similarity: float


@dataclass
class BatchResult:
    new_ids: list[int] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    #: records that were not stored: (url, reason) for failed parses and non-articles
    rejected: list[tuple[str | None, str]] = field(default_factory=list)
    #: records that were a changed version of a stored article (same URL or identity)
    revisions: list[Revision] = field(default_factory=list)

    @property
    def new(self) -> int:
        return len(self.new_ids)

    @property
    def duplicates(self) -> int:
        return len(self.sightings)


def make_deduper(db: sqlite_utils.Database) -> Deduper:
    """The dedup layers in force: addresses, exact text, source+title, near-duplicate text."""
    return Deduper(db)


def append_batch(
    db: sqlite_utils.Database,
    articles: list[Article],
    *,
    run_id: str | None = None,
    now: str | None = None,
    articles_only: bool = True,
) -> BatchResult:
    """Append the records that are new; record the others as sightings.

    ``articles_only=False`` stores records whatever page type the extractor guessed
    (the type is kept in ``page_type``): for pages a feed, a sitemap or the user named.

    The whole batch is one transaction: a crash part-way leaves the store as it
    was before the batch, and the next run appends the batch again exactly once.
    """
    now = now or utcnow()
    result = BatchResult()
    deduper = make_deduper(db)
    insert_sql = (
        f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in ARTICLE_COLUMNS)})"
    )
    with writing(db):
        for article in articles:
            if not article.ok:
                result.rejected.append((article.url, article.error or "failed"))
                continue
            if articles_only and article.page_type not in (None, "", "article"):
                result.rejected.append((article.url, f"not an article ({article.page_type})"))
                continue
            row = to_row(article, run_id=run_id, now=now)
            # prepare() also replaces row["canonical_url"] with the clean canonical URL.
            prepared = deduper.prepare(row)
            match = deduper.find(prepared)
            if match is not None and match.kind == "revision":
                result.revisions.append(record_revision(db, match, row, run_id=run_id, now=now))
                deduper.index_revision(match.article_id, prepared)
                continue
            if match is not None:
                _record_sighting(db, match, row, run_id=run_id, now=now)
                deduper.index_sighting(match, prepared)
                result.sightings.append(
                    Sighting(match.article_id, row["url"], match.method, match.similarity)
                )
                continue
            cur = db.execute(insert_sql, [row[c] for c in ARTICLE_COLUMNS])
            article_id = cur.lastrowid
            deduper.index(article_id, prepared)
            result.new_ids.append(article_id)
        # Chinese, Japanese and Korean articles the triggers queued: their word-pair index.
        index_cjk_pending(db)
    return result


def _record_sighting(
    db: sqlite_utils.Database, match: Match, row: dict[str, Any], *, run_id: str | None, now: str
) -> None:
    db.execute(
        "INSERT INTO sightings (article_id, url, canonical_url, source, title, seen_at, run_id, "
        "method, similarity, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            match.article_id,
            row["url"],
            row["canonical_url"],
            row["source"],
            row["title"],
            now,
            run_id,
            match.method,
            match.similarity,
            json.dumps(match.details, ensure_ascii=False) if match.details else None,
        ],
    )
