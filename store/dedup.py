"""Deciding whether an incoming record is already in the store.

This is the exact layer: same canonical URL, or same normalised text. Each
decision is a :class:`Match` that the store turns into a ``sightings`` row, so
the reason a record was not appended stays visible to the analyst.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Text reduced to what identifies it: NFKC, case-folded, words separated by one space."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _NON_WORD.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """Stable hash of the normalised text (quotes, spacing and case do not matter)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


@dataclass
class Match:
    """An incoming record matched a stored article."""

    article_id: int
    method: str
    similarity: float = 1.0
    details: dict[str, Any] = field(default_factory=dict)


class ExactDeduper:
    """Canonical URL and exact text hash, checked against the store and the current batch."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def find(self, record: dict[str, Any]) -> Match | None:
        url = record.get("canonical_url")
        if url:
            row = self.db.execute(
                "SELECT id FROM articles WHERE canonical_url = ? ORDER BY id LIMIT 1", [url]
            ).fetchone()
            if row:
                return Match(row[0], "canonical_url")
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
            [record["content_hash"]],
        ).fetchone()
        if row:
            return Match(row[0], "content_hash")
        return None

    def index(self, article_id: int, record: dict[str, Any]) -> None:
        """Exact layers read the articles table itself: nothing more to index."""
