"""Exports for analysts' own tools: articles as JSON Lines or CSV, by topic and date.

Datasette already offers CSV/JSON of any table or query; this is the command-line route
(``newsmon export``) for whole collections, streamed so that 100k articles never sit
in memory at once.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from typing import Any, TextIO

import sqlite_utils

from parsers.record import CONTENT_FIELDS

FORMATS = ("jsonl", "csv")

#: Columns exported, in order (the record's fields plus store bookkeeping and topics).
COLUMNS = (
    "id",
    *CONTENT_FIELDS,
    "word_count",
    "truncated",
    "first_seen_at",
    "topics",
)


def _check_since(since: str) -> str:
    """Accept YYYY-MM-DD or a full ISO 8601 time; say clearly what is wrong otherwise."""
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(since)
            return since
        except ValueError:
            continue
    raise ValueError(f"since must be a date (YYYY-MM-DD) or an ISO 8601 time, not {since!r}")


def _known_topics(db: sqlite_utils.Database) -> list[str] | None:
    if not db["topics"].exists():
        return None
    return [row[0] for row in db.execute("SELECT name FROM topics ORDER BY name")]


def export_articles(
    db: sqlite_utils.Database,
    *,
    topic: str | None = None,
    since: str | None = None,
    fmt: str = "jsonl",
    out: TextIO,
) -> int:
    """Write the matching articles to ``out``, oldest first; return how many.

    ``since`` compares with the publication time (the time newsmon first saw the article
    when the page gave none), offsets taken into account.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    has_topics = db["article_topics"].exists()
    if topic is not None:
        known = _known_topics(db)
        if not has_topics or (known is not None and topic not in known):
            raise ValueError(
                f"unknown topic {topic!r}; known topics: {', '.join(known or []) or 'none'} "
                "(run `newsmon retag` after adding topics to newsmon.toml)"
            )
    where, params = [], {}
    if topic is not None:
        where.append("a.id IN (SELECT article_id FROM article_topics WHERE topic = :topic)")
        params["topic"] = topic
    if since is not None:
        where.append("julianday(coalesce(a.published_at, a.first_seen_at)) >= julianday(:since)")
        params["since"] = _check_since(since)
    topics_col = (
        "(SELECT json_group_array(topic) FROM (SELECT topic FROM article_topics t "
        "WHERE t.article_id = a.id ORDER BY topic))"
        if has_topics
        else "'[]'"
    )
    columns = [c for c in COLUMNS if c != "topics"]
    present = db["articles"].columns_dict
    select = ", ".join(f"a.{c}" if c in present else f"NULL AS {c}" for c in columns)
    sql = (
        f"SELECT {select}, {topics_col} AS topics FROM articles a "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY julianday(coalesce(a.published_at, a.first_seen_at)), a.id"
    )
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(names)
    for row in cursor:
        record: dict[str, Any] = dict(zip(names, row, strict=True))
        if writer is not None:
            writer.writerow([record[n] for n in names])  # tags/topics stay JSON text
        else:
            for key in ("tags", "topics"):
                record[key] = _json_list(record[key])
            if record["truncated"] is not None:
                record["truncated"] = bool(record["truncated"])
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _json_list(value: str | None) -> list[Any]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    return parsed if isinstance(parsed, list) else [parsed]
