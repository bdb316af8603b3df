"""Appending clean records: dedup first, then one transaction per batch."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from parsers.record import CONTENT_FIELDS, Article
from store.db import writing
from store.dedup import Deduper, Match, content_hash
from store.revisions import Revision, record_revision

#: Columns written for each appended record: its content fields, then bookkeeping.
ARTICLE_COLUMNS = (
    *CONTENT_FIELDS,
    "provenance",
    "page_type",
    "truncated",
    "content_hash",
    "word_count",
    "first_seen_at",
    "run_id",
    "warnings",
)


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}){0,2}$")


def valid_time(value: Any) -> str | None:
    """``value`` when it is an ISO 8601 date or date-time a reader can sort by, else None.

    The store is the last gate: whatever a parser or an input file let through
    ("NaN", "1e308", 10,000-year dates), only real times are stored as times.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 40:
        return None
    if _PARTIAL_DATE.match(text):
        year = int(text[:4])
        parts = [int(p) for p in text.split("-")[1:]]
        if not 1 <= year <= 9999:
            return None
        try:
            datetime(year, parts[0] if parts else 1, parts[1] if len(parts) > 1 else 1)
        except ValueError:
            return None
        return text
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return text


def to_row(article: Article, *, run_id: str | None, now: str) -> dict[str, Any]:
    """The articles-table row for a record (JSON for lists and provenance)."""
    text = article.text or ""
    for name in ("published_at", "modified_at"):
        value = getattr(article, name)
        if value is not None and valid_time(value) is None:
            setattr(article, name, None)
            article.provenance.pop(name, None)
            article.warnings.append(f"{name} {str(value)[:60]!r} is not a date: dropped")
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at,
        "modified_at": article.modified_at,
        "section": article.section,
        "language": article.language,
        "text": text,
        "tags": json.dumps(article.tags, ensure_ascii=False),
        "provenance": json.dumps(article.provenance, ensure_ascii=False),
        "page_type": article.page_type,
        "truncated": int(bool(article.truncated)),
        "content_hash": content_hash(text),
        "word_count": len(text.split()),
        "first_seen_at": now,
        "run_id": run_id,
        "warnings": json.dumps(article.warnings, ensure_ascii=False) if article.warnings else None,
    }


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
