"""The analyst's desk: Datasette metadata, canned queries, feeds and the coverage dashboard.

Everything Datasette shows beyond raw tables is generated here from the store's actual
schema and the configured topics, so the metadata never names a table the database does
not have. ``newsmon serve-db`` writes it next to the database and runs
:func:`serve_command`. Visitors can only read: the database is opened read-only by
Datasette, no canned query writes, and no write plugin is installed.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parsers.topics import Topic, load_topics

#: Custom templates (the article reading view); a folder at the repository top.
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "datasette" / "templates"

#: Rows a topic or search feed carries: enough for a reader polling every few hours.
FEED_SIZE = 50

# Characters of scripts written without spaces. unicode61 (the articles_fts tokenizer)
# makes a whole run of them one token, so FTS cannot find a word inside a Chinese
# sentence; the search queries fall back to a substring scan for such queries.
_NO_SPACE_GLOB = "*[ぁ-ヿ㐀-䶿一-鿿가-힯]*"

#: Notes for the columns whose meaning is not obvious from the name.
ARTICLE_COLUMNS = {
    "source": "The outlet, as named in newsmon.toml.",
    "published_at": "Publication time as published, ISO 8601 with the outlet's UTC offset "
    "(a bare date when the page gives no time).",
    "language": "ISO 639-1 code of the text (en, az, ru, zh...).",
    "text": "Clean body text; paragraphs separated by a blank line. Open a row to read it.",
    "provenance": "Where each field came from (JSON: field -> json-ld, meta:og:title...).",
    "truncated": "1 when the body looks cut off (teaser, paywall).",
    "warnings": "What the parser noticed (JSON list): a wrong declared charset, repaired mojibake, a page cut at the size limit.",
    "content_hash": "Hash of the normalised text (exact-duplicate key).",
    "first_seen_at": "When newsmon first stored it (UTC).",
}

TABLE_DESCRIPTIONS = {
    "articles": "One row per distinct article, newest first. The search box takes FTS5 syntax "
    "over title and text: words (all must match), OR, NOT, prefix* for inflected forms "
    '(Азербайджан*, Azərbaycan*), "quoted phrases" (quote anything with a hyphen).',
    "sightings": "Each time an article was seen again: the same story at another URL or "
    "outlet (method: how the duplicate was recognised, similarity: how close).",
    "runs": "One row per pipeline run: counts and a per-source summary.",
    "run_errors": "Every failure, one row each: which run, source, item, stage and why.",
    "article_topics": "Which article belongs to which topic: matched terms and a snippet.",
    "topics": "The topics as configured in newsmon.toml (definition as JSON).",
    "articles_by_topic": "Articles joined with their topics: facet or filter by topic.",
}

#: Tables and views other store modules may add; described only when present.
OTHER_DESCRIPTIONS = {
    "source_health": "Per-source fetch state and health.",
    "article_revisions": "Later versions of an article (changed text or title at the same "
    "address), with a summary of what changed.",
    "articles_latest": "Every article in its latest revision.",
    "story_outlets": "Per story: how many outlets carried it and which.",
    "boilerplate_blocks": "Boilerplate learned per source: blocks its pages repeat (learned = 1: "
    "removed from new records; example text, pages seen out of pages observed, since when). "
    "Keep a block with keep_blocks in newsmon.toml.",
    "boilerplate_sources": "How many pages of each source the boilerplate learner has seen.",
}


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (its stem), used in every URL."""
    return Path(db_path).stem


def _schema(db_path: str | Path) -> tuple[set[str], set[str]]:
    """Tables and views present (empty when the file does not exist yet)."""
    path = Path(db_path)
    if not path.exists():
        return set(), set()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')")
        found = rows.fetchall()
    finally:
        conn.close()
    return {n for n, t in found if t == "table"}, {n for n, t in found if t == "view"}


def _esc(expr: str) -> str:
    """SQL expression that HTML-escapes ``expr`` (for atom_content_html)."""
    return (
        f"replace(replace(replace(coalesce({expr}, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    )


def _is_web(expr: str) -> str:
    """SQL test that ``expr`` is an http(s) URL: stored records come from outside, and a
    ``javascript:`` or ``data:`` URL must never become a link in a feed."""
    return f"(lower(substr({expr}, 1, 7)) = 'http://' OR lower(substr({expr}, 1, 8)) = 'https://')"


# Feed time: the publication time when the page gave one, else when newsmon saw it.
_ATOM_UPDATED = (
    "coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', CASE WHEN length(a.published_at) > 10 "
    "THEN a.published_at END), strftime('%Y-%m-%dT%H:%M:%SZ', a.first_seen_at), "
    "strftime('%Y-%m-%dT%H:%M:%SZ', a.published_at), '2000-01-01T00:00:00Z')"
)

_ATOM_COLUMNS = f"""
  'urn:newsmon:article:' || a.id AS atom_id,
  coalesce(a.title, '(untitled)') AS atom_title,
  {_ATOM_UPDATED} AS atom_updated,
  CASE WHEN {_is_web("a.url")} THEN a.url WHEN {_is_web("a.canonical_url")} THEN a.canonical_url
    ELSE 'articles/' || a.id END AS atom_link,
  coalesce(a.author, a.source) AS atom_author_name,
  '<p><b>' || {_esc("a.source")} || '</b> · ' || {_esc("a.published_at")}
    || ' · ' || {_esc("a.language")} || '</p><p>'
    || replace({_esc("a.text")}, char(10) || char(10), '</p><p>') || '</p>'
    AS atom_content_html"""


def _empty_feed_row(atom_id: str, title: str, link: str) -> str:
    """A placeholder entry: datasette-atom cannot render a feed with no rows at all.

    Every entry needs a link (a NULL one is a server error); a relative one resolves
    against the feed's own address.
    """
    return (
        f"SELECT {atom_id} AS atom_id, {title} AS atom_title, "
        f"'2000-01-01T00:00:00Z' AS atom_updated, '{link}' AS atom_link, "
        "'newsmon' AS atom_author_name, "
        "'<p>Nothing matches yet. New articles appear here as newsmon stores them.</p>' "
        "AS atom_content_html WHERE NOT EXISTS (SELECT 1 FROM hits)"
    )


def topic_feed_sql(topic_expr: str = ":topic") -> str:
    return f"""WITH hits AS (
SELECT {_ATOM_COLUMNS}
FROM article_topics t JOIN articles a ON a.id = t.article_id
WHERE t.topic = {topic_expr}
ORDER BY atom_updated DESC, a.id DESC
LIMIT {FEED_SIZE}
)
SELECT * FROM hits
UNION ALL
{
        _empty_feed_row(
            "'urn:newsmon:empty:topic:' || " + topic_expr,
            "'No articles yet on ' || " + topic_expr,
            "latest_on_topic",
        )
    }"""


_SEARCH_IDS = f"""
SELECT rowid AS id FROM articles_fts WHERE :q != '' AND articles_fts MATCH :q
UNION
SELECT id FROM articles
WHERE :q GLOB '{_NO_SPACE_GLOB}' AND (instr(title, :q) > 0 OR instr(text, :q) > 0)"""

SEARCH_FEED_SQL = f"""WITH hits AS (
SELECT {_ATOM_COLUMNS}
FROM articles a
WHERE a.id IN ({_SEARCH_IDS})
ORDER BY atom_updated DESC, a.id DESC
LIMIT {FEED_SIZE}
)
SELECT * FROM hits
UNION ALL
{_empty_feed_row("'urn:newsmon:empty:search:' || :q", "'Nothing found yet for ' || :q", "search")}"""

# Newest stored first, and in rowid order so that FTS5 stops after the first 500 hits
# instead of building a snippet for every match (2.3 s -> 0.1 s for a common word on
# 95k articles).
SEARCH_SQL = f"""WITH fts AS (
  SELECT rowid AS id, snippet(articles_fts, 1, '[', ']', '…', 20) AS snippet
  FROM articles_fts WHERE :q != '' AND articles_fts MATCH :q
  ORDER BY rowid DESC LIMIT 500
),
cjk AS (
  SELECT id, '…' || substr(coalesce(text, ''), max(instr(coalesce(text, ''), :q) - 40, 1), 120)
    || '…' AS snippet
  FROM articles
  WHERE :q GLOB '{_NO_SPACE_GLOB}' AND (instr(title, :q) > 0 OR instr(text, :q) > 0)
    AND id NOT IN (SELECT id FROM fts)
  ORDER BY id DESC LIMIT 500
),
hits AS (SELECT * FROM fts UNION ALL SELECT * FROM cjk)
SELECT a.id AS article_id, a.published_at, a.source, a.language, a.title, hits.snippet, a.url
FROM hits JOIN articles a ON a.id = hits.id
ORDER BY a.id DESC
LIMIT 500"""

LATEST_ON_TOPIC_SQL = """SELECT a.id AS article_id, a.published_at, a.source, a.language,
  a.title, t.snippet, t.matched_terms, a.url
FROM article_topics t JOIN articles a ON a.id = t.article_id
WHERE t.topic = :topic
ORDER BY coalesce(a.published_at, a.first_seen_at) DESC, a.id DESC
LIMIT 200"""


def multi_outlet_sql(with_topics: bool) -> str:
    topic_filter = (
        "WHERE (:topic = '' OR a.id IN "
        "(SELECT article_id FROM article_topics WHERE topic = :topic))"
        if with_topics
        else ""
    )
    return f"""WITH outlets AS (
  SELECT id AS article_id, source FROM articles WHERE source IS NOT NULL
  UNION
  SELECT article_id, source FROM sightings WHERE source IS NOT NULL
),
carried AS (
  SELECT article_id, count(*) AS outlets, group_concat(source, ', ') AS sources
  FROM outlets GROUP BY article_id HAVING count(*) >= 2
)
SELECT a.id AS article_id, a.published_at, a.title, carried.outlets, carried.sources,
  a.source AS first_source, a.url
FROM carried JOIN articles a ON a.id = carried.article_id
{topic_filter}
ORDER BY carried.outlets DESC, coalesce(a.published_at, a.first_seen_at) DESC
LIMIT 500"""


_SOURCE_STATS = """WITH sources AS (
  SELECT source FROM articles WHERE source IS NOT NULL
  UNION SELECT source FROM run_errors WHERE source IS NOT NULL{extra_sources}
),
week AS (SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') AS since)
SELECT s.source,{health_cols}
  (SELECT count(*) FROM articles a WHERE a.source = s.source) AS articles,
  (SELECT count(*) FROM articles a, week WHERE a.source = s.source
     AND a.first_seen_at >= week.since) AS new_last_7_days,
  (SELECT max(first_seen_at) FROM articles a WHERE a.source = s.source) AS last_new_article_at,
  (SELECT count(*) FROM run_errors e, week WHERE e.source = s.source
     AND e.at >= week.since) AS errors_last_7_days,
  (SELECT e.at || ' [' || e.stage || '] ' || e.message FROM run_errors e
     WHERE e.source = s.source ORDER BY e.at DESC LIMIT 1) AS last_error
FROM sources s{health_join}
ORDER BY errors_last_7_days DESC, new_last_7_days ASC, s.source"""

#: Health from the run history alone (stores without a source_health table).
SOURCE_HEALTH_FROM_RUNS_SQL = _SOURCE_STATS.format(extra_sources="", health_cols="", health_join="")
#: The same, with the monitor's health verdicts (status, failures in a row, silence) beside it.
SOURCE_HEALTH_SQL = _SOURCE_STATS.format(
    extra_sources="\n  UNION SELECT source FROM source_health",
    health_cols="\n  h.status, h.problems, h.last_success_at, h.consecutive_failures, "
    "h.zero_new_runs, h.median_new,",
    health_join="\nLEFT JOIN source_health h ON h.source = s.source",
)

VOLUME_PER_DAY_SQL = """SELECT substr(coalesce(published_at, first_seen_at), 1, 10) AS day,
  source, count(*) AS articles
FROM articles
WHERE (:since = '' OR substr(coalesce(published_at, first_seen_at), 1, 10) >= :since)
GROUP BY day, source
ORDER BY day DESC, articles DESC"""

TOPICS_OVERVIEW_SQL = """SELECT p.name AS topic, p.title,
  (SELECT count(*) FROM article_topics t WHERE t.topic = p.name) AS articles,
  (SELECT max(coalesce(a.published_at, a.first_seen_at)) FROM article_topics t
     JOIN articles a ON a.id = t.article_id WHERE t.topic = p.name) AS latest,
  p.definition
FROM topics p ORDER BY p.name"""

# The day an article belongs to: the outlet's own calendar day when published_at has one.
_DAY = "substr(coalesce(a.published_at, a.first_seen_at), 1, 10)"


#: Rows a chart may return: under Datasette's row cap (1,000), which would cut it silently.
CHART_ROWS = 900


def _periods(rows: str, series: str | None, counts: str = "count(*) AS articles") -> str:
    """A chart's query counting per day, week, month or year: the finest that keeps
    (periods in the range) x (distinct ``series``) under ``CHART_ROWS``. ``rows`` selects
    ``day`` (and ``series``); the result has ``period`` (its first day), ``per`` (the
    unit), the series and ``counts``, one row per period and series."""
    span = "(julianday(max(day)) - julianday(min(day)))"
    n = f"max(count(DISTINCT {series}), 1)" if series else "1"
    period = (
        "CASE per WHEN 'day' THEN day WHEN 'week' THEN date(day, '-6 days', 'weekday 1') "
        "WHEN 'month' THEN substr(day, 1, 7) || '-01' ELSE substr(day, 1, 4) || '-01-01' END"
    )
    by = f", {series}" if series else ""
    return (
        f"WITH f AS ({rows}), unit AS (SELECT CASE "
        f"WHEN ({span} + 1) * {n} <= {CHART_ROWS} THEN 'day' "
        f"WHEN ({span} / 7 + 2) * {n} <= {CHART_ROWS} THEN 'week' "
        f"WHEN ({span} / 28 + 2) * {n} <= {CHART_ROWS} THEN 'month' "
        f"ELSE 'year' END AS per FROM f) "
        f"SELECT {period} AS period, per{by}, {counts} FROM f, unit "
        f"GROUP BY period{by} ORDER BY period"
    )


def _dashboard(db: str, with_topics: bool) -> dict[str, Any]:
    since = f"[[ AND {_DAY} >= :since ]]"
    until = f"[[ AND {_DAY} <= :until ]]"
    source = "[[ AND a.source = :source ]]"
    topic = (
        "[[ AND a.id IN (SELECT article_id FROM article_topics WHERE topic = :topic) ]]"
        if with_topics
        else ""
    )
    where = f"WHERE 1 = 1 {since} {until} {source} {topic}"
    carried = (
        "(SELECT count(DISTINCT s.source) FROM sightings s WHERE s.article_id = a.id "
        "AND s.source IS NOT NULL AND s.source != coalesce(a.source, ''))"
    )
    filters: dict[str, Any] = {
        "since": {"name": "From (day)", "type": "date"},
        "until": {"name": "To (day)", "type": "date"},
        "source": {
            "name": "Source",
            "type": "select",
            "db": db,
            "query": "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY 1",
        },
    }
    if with_topics:
        filters["topic"] = {
            "name": "Topic",
            "type": "select",
            "db": db,
            "query": "SELECT name FROM topics ORDER BY name",
        }
    charts: dict[str, Any] = {
        "articles": {
            "title": "Articles",
            "db": db,
            "query": f"SELECT count(*) AS n FROM articles a {where}",
            "library": "metric",
            "display": {"field": "n"},
        },
        "sources": {
            "title": "Sources",
            "db": db,
            "query": f"SELECT count(DISTINCT a.source) AS n FROM articles a {where}",
            "library": "metric",
            "display": {"field": "n"},
        },
        "multi-share": {
            "title": "Stories carried by several outlets",
            "db": db,
            "query": "SELECT printf('%.1f', 100.0 * coalesce(sum(c > 0), 0) / max(count(*), 1)) "
            f"AS share FROM (SELECT {carried} AS c FROM articles a {where})",
            "library": "metric",
            "display": {"field": "share", "suffix": " %"},
        },
        "per-source": {
            "title": "Articles per day per source (per week, month or year over long ranges)",
            "db": db,
            "query": _periods(
                f"SELECT {_DAY} AS day, a.source AS source FROM articles a {where}", "source"
            ),
            "library": "vega-lite",
            "display": {
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "title": "period"},
                    "y": {"field": "articles", "type": "quantitative", "stack": True},
                    "color": {"field": "source", "type": "nominal"},
                },
            },
        },
        "multi-daily": {
            "title": "Share of stories carried by several outlets, per day (%) (per week, "
            "month or year over long ranges)",
            "db": db,
            "query": _periods(
                f"SELECT {_DAY} AS day, {carried} AS c FROM articles a {where}",
                None,
                "round(100.0 * sum(c > 0) / count(*), 1) AS share, count(*) AS articles",
            ),
            "library": "vega-lite",
            "display": {
                "mark": {"type": "line", "point": True, "tooltip": True},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "title": "period"},
                    "y": {"field": "share", "type": "quantitative", "title": "% of stories"},
                },
            },
        },
    }
    layout = [
        ["articles", "sources", "multi-share"],
        ["per-source", "per-source", "per-source"],
        ["multi-daily", "multi-daily", "multi-daily"],
    ]
    if with_topics:
        charts["per-topic"] = {
            "title": "Articles per day per topic (per week, month or year over long ranges)",
            "db": db,
            "query": _periods(
                f"SELECT {_DAY} AS day, t.topic AS topic "
                f"FROM article_topics t JOIN articles a ON a.id = t.article_id {where}",
                "topic",
            ),
            "library": "vega-lite",
            "display": {
                "mark": {"type": "line", "point": True, "tooltip": True},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "title": "period"},
                    "y": {"field": "articles", "type": "quantitative"},
                    "color": {"field": "topic", "type": "nominal"},
                },
            },
        }
        layout = [
            ["articles", "sources", "multi-share"],
            ["per-source", "per-source", "per-source"],
            ["per-topic", "per-topic", "multi-daily"],
        ]
    return {
        "title": "Coverage",
        "description": "What the outlets published, day by day: volume per source and per "
        "topic, and how often a story is carried by more than one outlet.",
        "settings": {"allow_fullscreen": True},
        "layout": layout,
        "filters": filters,
        "charts": charts,
    }


def _as_topics(topics: Sequence[Topic | dict[str, Any]]) -> list[Topic]:
    """Topics from ``newsmon.toml`` as parsed (dicts) or already loaded.

    A broken topic must not stop anyone from browsing: invalid definitions are skipped
    here (``newsmon run`` and ``retag`` report them).
    """
    loaded: list[Topic] = []
    for item in topics:
        if isinstance(item, Topic):
            loaded.append(item)
            continue
        try:
            loaded.extend(load_topics([item]))
        except ValueError:
            continue
    return loaded


def build_metadata(
    db_path: str | Path, topics: Sequence[Topic | dict[str, Any]] = ()
) -> dict[str, Any]:
    """Datasette metadata for the store at ``db_path`` (its tables as they are now)."""
    db = database_name(db_path)
    topics = _as_topics(topics)
    tables, views = _schema(db_path)
    has_core = not tables or "articles" in tables  # a missing file will be created by open_db
    with_topics = "article_topics" in tables or not tables
    meta_tables: dict[str, Any] = {}

    if has_core:
        meta_tables["articles"] = {
            "description": TABLE_DESCRIPTIONS["articles"],
            "columns": ARTICLE_COLUMNS,
            "fts_table": "articles_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "label_column": "title",
            "sort_desc": "published_at",
            "facets": ["source", "language", "section", {"date": "published_at"}],
            "size": 50,
        }
        meta_tables["sightings"] = {
            "description": TABLE_DESCRIPTIONS["sightings"],
            "sort_desc": "seen_at",
            "facets": ["source", "method"],
        }
        meta_tables["runs"] = {
            "description": TABLE_DESCRIPTIONS["runs"],
            "sort_desc": "started_at",
            "facets": ["status", "flow"],
        }
        meta_tables["run_errors"] = {
            "description": TABLE_DESCRIPTIONS["run_errors"],
            "sort_desc": "at",
            "facets": ["source", "stage"],
        }
    if with_topics:
        meta_tables["article_topics"] = {
            "description": TABLE_DESCRIPTIONS["article_topics"],
            "facets": ["topic"],
            "sort_desc": "tagged_at",
            "columns": {
                "matched_terms": "The configured terms found in the article (JSON array).",
                "snippet": "The passage where the topic's terms meet.",
            },
        }
        meta_tables["topics"] = {"description": TABLE_DESCRIPTIONS["topics"]}
        meta_tables["articles_by_topic"] = {
            "description": TABLE_DESCRIPTIONS["articles_by_topic"],
            "facets": ["topic", "source", "language", {"date": "published_at"}],
            "sort_desc": "published_at",
        }
    for name in sorted((tables | views) & set(OTHER_DESCRIPTIONS)):
        meta_tables[name] = {"description": OTHER_DESCRIPTIONS[name]}
    for name in sorted(t for t in tables if t.startswith("dedup_")):
        meta_tables[name] = {"hidden": True}  # dedup's own index: noise on the home page

    queries: dict[str, Any] = {}
    if has_core:
        queries["search"] = {
            "title": "Search every language",
            "description": "Full-text search over titles and texts (FTS5 syntax: words, "
            '"phrases", prefix*, OR, NOT), newest stored first, 500 at most. Chinese, '
            "Japanese and Korean queries also match inside sentences.",
            "sql": SEARCH_SQL,
            "params": ["q"],
        }
        queries["search_feed"] = {
            "title": "newsmon: search",
            "description": "Atom feed of a search: subscribe to search_feed.atom?q=...",
            "sql": SEARCH_FEED_SQL,
            "params": ["q"],
            "hide_sql": True,
        }
    if with_topics:
        queries["latest_on_topic"] = {
            "title": "Latest on a topic",
            "description": "Newest articles tagged with a topic, with the passage that matched.",
            "sql": LATEST_ON_TOPIC_SQL,
            "params": ["topic"],
        }
        queries["topic_feed"] = {
            "title": "newsmon: topic",
            "description": "Atom feed of a topic: subscribe to topic_feed.atom?topic=NAME",
            "sql": topic_feed_sql(),
            "params": ["topic"],
            "hide_sql": True,
        }
        for topic in topics:
            queries[f"feed-{topic.name}"] = {
                "title": f"newsmon: {topic.title}",
                "description": f"Atom feed of the topic {topic.title!r}.",
                "sql": topic_feed_sql(_sql_string(topic.name)),
                "hide_sql": True,
            }
        queries["topics_overview"] = {
            "title": "Topics",
            "description": "Each configured topic, how many articles it tags and the latest.",
            "sql": TOPICS_OVERVIEW_SQL,
        }
    if has_core:
        queries["multi_outlet_stories"] = {
            "title": "Stories carried by several outlets",
            "description": "Articles also seen at other outlets (from sightings), most "
            "widely carried first." + (" Leave topic empty for all topics." if with_topics else ""),
            "sql": multi_outlet_sql(with_topics),
            **({"params": ["topic"]} if with_topics else {}),
        }
        if "source_health" in tables or "source_health" in views:
            health_sql = SOURCE_HEALTH_SQL
        else:
            health_sql = SOURCE_HEALTH_FROM_RUNS_SQL
        queries["source_health"] = {
            "title": "Source health",
            "description": "Per source: articles stored, new in the last 7 days, errors in "
            "the last 7 days and the last error. A source with errors and no new articles "
            "needs a look.",
            "sql": health_sql,
        }
        queries["volume_per_day"] = {
            "title": "Volume per day per source",
            "description": "Articles per publication day and source (since: YYYY-MM-DD, "
            "empty for all).",
            "sql": VOLUME_PER_DAY_SQL,
            "params": ["since"],
        }

    return {
        "title": "newsmon",
        "description_html": _home_html(db, topics, with_topics),
        "databases": {
            db: {
                "description": "Articles from the monitored outlets, their duplicates across "
                "outlets, topic tags and run history.",
                "tables": meta_tables,
                "queries": queries,
            }
        },
        "plugins": {"datasette-dashboards": {"coverage": _dashboard(db, with_topics)}},
    }


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _home_html(db: str, topics: Sequence[Topic], with_topics: bool) -> str:
    from html import escape
    from urllib.parse import quote

    d = quote(db)
    parts = [
        "<p>News monitoring: articles from the configured outlets, deduplicated across "
        "outlets and tagged by topic. Read-only.</p>",
        "<ul>",
        f'<li><a href="/{d}/articles">Articles</a> (full-text search, facets by source, '
        "language, section and day)</li>",
        f'<li><a href="/{d}/search">Search every language</a></li>',
        '<li><a href="/-/dashboards/coverage">Coverage dashboard</a></li>',
        f'<li><a href="/{d}/multi_outlet_stories">Stories carried by several outlets</a>, '
        f'<a href="/{d}/source_health">source health</a>, '
        f'<a href="/{d}/volume_per_day">volume per day</a></li>',
        "</ul>",
    ]
    if with_topics and topics:
        parts.append("<p>Topics (articles, feed to subscribe to):</p><ul>")
        for topic in topics:
            name = quote(topic.name)
            through = quote(
                json.dumps({"table": "article_topics", "column": "topic", "value": topic.name})
            )
            parts.append(
                f'<li><a href="/{d}/articles?_through={through}">{escape(topic.title)}</a> '
                f'(<a href="/{d}/latest_on_topic?topic={name}">latest</a>, '
                f'<a href="/{d}/feed-{name}.atom">Atom feed</a>)</li>'
            )
        parts.append("</ul>")
    return "\n".join(parts)


def write_metadata(
    path: str | Path, db_path: str | Path, topics: Sequence[Topic | dict[str, Any]] = ()
) -> Path:
    """Write :func:`build_metadata` as JSON (Datasette reads it with --metadata).

    ``topics`` may be the raw ``[[topics]]`` tables from newsmon.toml or loaded topics.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = build_metadata(db_path, topics)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def metadata_path_for(db_path: str | Path) -> Path:
    """Where serve-db keeps the generated metadata: next to the database."""
    return Path(db_path).with_suffix(".metadata.json")


def serve_command(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    metadata_path: str | Path | None = None,
    *,
    immutable: bool = False,
) -> list[str]:
    """The ``datasette serve`` argv for the store.

    The database is opened read-only (Datasette reads mutable files with ``mode=ro``), so
    a running pipeline can keep appending while analysts browse. ``immutable=True`` is
    for a frozen copy only (faster counts, but wrong if the file changes underneath).
    """
    argv = [sys.executable, "-m", "datasette", "serve"]
    argv += ["--immutable", str(db_path)] if immutable else [str(db_path)]
    argv += ["--host", host, "--port", str(port)]
    if metadata_path is not None:
        argv += ["--metadata", str(metadata_path)]
    if TEMPLATES_DIR.is_dir():
        argv += ["--template-dir", str(TEMPLATES_DIR)]
    settings = {
        "truncate_cells_html": "300",  # long texts stay readable in table views
        "sql_time_limit_ms": "5000",
        "facet_time_limit_ms": "1000",
        "default_page_size": "50",
        "allow_download": "off",
    }
    for name, value in settings.items():
        argv += ["--setting", name, value]
    return argv


def prepare_serve(
    db_path: str | Path,
    topics: Sequence[Topic | dict[str, Any]] = (),
    host: str = "127.0.0.1",
    port: int = 8001,
) -> list[str]:
    """Write the metadata next to the database and return the argv to run (for serve-db)."""
    metadata = write_metadata(metadata_path_for(db_path), db_path, topics)
    return serve_command(db_path, host, port, metadata)
