"""The articles-table row of a record: the one place a record becomes column values.

Both the writer (``store.append``) and the explainer (``store.explain``) build rows
here, so a record is judged the same way when it is stored and when it is explained.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from parsers.record import Article
from store.similarity import content_hash

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
        # What the articles_day triggers would set; given here, the row is written once
        # (the trigger would rewrite it, text and all, right after the insert).
        "day": (article.published_at or now)[:10],
        "run_id": run_id,
        "warnings": json.dumps(article.warnings, ensure_ascii=False) if article.warnings else None,
    }
