"""What the analyst's desk reads quickly at a million articles: the kept counts.

Two tables (schema step v9), owned here, hold how many articles each key has, and how
many of them each topic tags (one row per key and topic; topic ``''`` = every article; a
missing value is stored as ``''``):
- ``article_counts``: per day x source x language x section (charts, the day facet, any
  filter by day);
- ``article_totals``: per source x language x section (facets on those, a few hundred rows).
Two more (schema step v10) keep what the topic and story pages read:
- ``carried_articles``: one row per article also seen at another outlet (a sighting from
  a source other than its own), with how many outlets carried it, its source, day and time
  (the stories page and the dashboard's carried charts; a few per cent of the articles);
- the tags in ``article_topics`` carry their article's day, source, language and section
  as well as its time, so ``articles_by_topic`` filters and counts from the tags alone.
Triggers keep them in the writer's own transaction, so a count is never ahead of or behind
the articles it counts: an append, a revision, a reparse, a retag and a deletion all go
through them. Their size depends on outlets, sections and days, not on articles, so a facet
or a chart that sums them costs the same at ten thousand articles and at ten million.

This module says which questions the counts answer (and which must read the articles),
builds the SQL that asks them, and checks the counts against the articles.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

#: Columns the counts are kept by; a filter or facet on any other needs the articles.
COUNTED = ("day", "source", "language", "section", "topic")

#: The kept tables and the columns of their keys (besides topic).
KEPT = {
    "article_counts": ("source", "day", "language", "section"),
    "article_totals": ("source", "language", "section"),
}

#: Tables and views whose rows the counts count: articles (topic '') and
#: articles_by_topic (one row per article and topic).
COUNTED_TABLES = ("articles", "articles_by_topic")

#: Query-string keys that change how rows are shown, never which rows there are.
_PRESENTATION = frozenset(
    {
        "_sort",
        "_sort_desc",
        "_next",
        "_size",
        "_labels",
        "_nolabels",
        "_nocount",
        "_nofacet",
        "_nosuggest",
        "_col",
        "_nocol",
        "_shape",
        "_json",
        "_trace",
        "_timelimit",
        "_extra",
        "_facet_size",
        "_context",
        "_ttl",
    }
)


def topic_of_through(value: str) -> str | None:
    """The topic a ``_through`` filter of the articles table selects (the home page's
    topic links), or None when it is another kind of ``_through``."""
    try:
        through = json.loads(value)
    except ValueError:
        return None
    if (
        isinstance(through, dict)
        and through.get("table") == "article_topics"
        and through.get("column") == "topic"
        and isinstance(through.get("value"), str)
    ):
        return through["value"]
    return None


def counted_filters(table: str, pairs: Iterable[tuple[str, str]]) -> dict[str, str] | None:
    """The equality filters of a table page's query string when the counts can answer
    its facets (every filter an ``=`` on a counted column, at most one value each; on the
    articles table a topic comes as ``_through``); None when they cannot (a search, a
    range, another column: the articles are read)."""
    if table not in COUNTED_TABLES:
        return None
    filters: dict[str, str] = {}
    for key, value in pairs:
        if key.startswith("_facet") or key in _PRESENTATION:
            continue
        if key == "_through" and table == "articles":
            column, value = "topic", topic_of_through(value)
            if value is None:
                return None
        else:
            column = key.removesuffix("__exact")
            if column not in COUNTED or (column == "topic" and table == "articles"):
                return None
        if filters.get(column, value) != value:
            return None
        filters[column] = value
    return filters


def facet_query(
    table: str, column: str, filters: dict[str, str], limit: int
) -> tuple[str, dict[str, Any]]:
    """SQL and parameters counting ``table``'s rows per value of ``column`` under
    ``filters`` (from :func:`counted_filters`), most frequent first, like a column facet.

    A topic facet of the articles table counts the articles each topic tags."""
    if column not in COUNTED:
        raise ValueError(f"{column!r} is not counted")
    kept = "article_totals" if "day" not in filters and column != "day" else "article_counts"
    if "topic" in filters:
        where = ['"topic" = :topic']
        params: dict[str, Any] = {"topic": filters["topic"]}
    elif table == "articles" and column != "topic":
        where, params = ["\"topic\" = ''"], {}
    else:
        where, params = ["\"topic\" != ''"], {}
    for i, (name, value) in enumerate(sorted(filters.items())):
        if name != "topic":
            where.append(f'"{name}" = :f{i}')
            params[f"f{i}"] = value
    sql = (
        f'SELECT "{column}" AS value, sum("articles") AS count FROM {kept} '
        f"WHERE {' AND '.join(where)} AND \"{column}\" != '' "
        f'GROUP BY "{column}" HAVING count > 0 ORDER BY count DESC, value LIMIT {int(limit)}'
    )
    return sql, params


def drift(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
    """Rows of the kept counts that a count of the articles does not give, and the
    other way round (empty when right): (table, 'kept' or 'actual', topic, key..., count)."""
    found: list[tuple[Any, ...]] = []
    values = {
        "day": "coalesce(substr(coalesce(a.published_at, a.first_seen_at), 1, 10), '')",
        "source": "coalesce(a.source, '')",
        "language": "coalesce(a.language, '')",
        "section": "coalesce(a.section, '')",
    }
    for table, columns in KEPT.items():
        key = ", ".join(f"{values[c]} AS {c}" for c in columns)
        names = ", ".join(columns)
        groups = ", ".join(str(i) for i in range(2, len(columns) + 2))
        actual = (
            f"SELECT '' AS topic, {key}, count(*) AS n FROM articles a GROUP BY {groups} "
            f"UNION ALL SELECT t.topic, {key}, count(*) FROM article_topics t "
            f"JOIN articles a ON a.id = t.article_id WHERE t.topic IS NOT NULL "
            f"GROUP BY 1, {groups}"
        )
        kept = f"SELECT topic, {names}, articles AS n FROM {table} WHERE articles != 0"
        # Set differences (sorted, n log n) rather than joins of two unindexed results.
        actual = f"SELECT * FROM ({actual})"
        sql = (
            f"SELECT 'kept', * FROM ({kept} EXCEPT {actual}) "
            f"UNION ALL SELECT 'actual', * FROM ({actual} EXCEPT {kept})"
        )
        found += [(table, *row) for row in db.execute(sql).fetchall()]
    other = (
        "FROM sightings s WHERE s.article_id = a.id AND s.source IS NOT NULL "
        "AND s.source != coalesce(a.source, '')"
    )
    actual = (
        "SELECT a.id, (a.source IS NOT NULL) + (SELECT count(DISTINCT s.source) "
        f"{other}), a.source, a.day, a.published_at FROM articles a "
        f"WHERE EXISTS (SELECT 1 {other})"
    )
    kept = "SELECT article_id, outlets, source, day, published_at FROM carried_articles"
    sql = (
        f"SELECT 'kept', * FROM ({kept} EXCEPT {actual}) "
        f"UNION ALL SELECT 'actual', * FROM ({actual} EXCEPT {kept})"
    )
    found += [("carried_articles", *row) for row in db.execute(sql).fetchall()]
    copied = ("published_at", "day", "source", "language", "section")
    differs = " OR ".join(f"t.{c} IS NOT a.{c}" for c in copied)
    sql = (
        f"SELECT 'kept', t.article_id, t.topic, {', '.join('t.' + c for c in copied)} "
        f"FROM article_topics t JOIN articles a ON a.id = t.article_id WHERE {differs}"
    )
    found += [("article_topics", *row) for row in db.execute(sql).fetchall()]
    return found
