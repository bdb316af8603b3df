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
from store.cjk import CJK_CLASS, CJK_LANGUAGES
from store.cjk import query_sql as cjk_query_sql
from store.dashboard import dashboard

#: Custom templates (the article reading view); a folder at the repository top.
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "datasette" / "templates"
#: The desk's Datasette plugin (facets read from the kept counts), beside the templates.
PLUGINS_DIR = TEMPLATES_DIR.parent / "plugins"

#: Rows a topic or search feed carries: enough for a reader polling every few hours.
FEED_SIZE = 50

# Characters of scripts written without spaces. unicode61 (the articles_fts tokenizer)
# makes a whole run of them one token, so FTS cannot find a word inside a Chinese
# sentence; the search queries also ask store/cjk.py's index of character pairs.
_NO_SPACE_GLOB = f"*[{CJK_CLASS}]*"

#: Notes for the columns whose meaning is not obvious from the name.
ARTICLE_COLUMNS = {
    "source": "The outlet, as named in newsmon.toml.",
    "published_at": "Publication time as published, ISO 8601 with the outlet's UTC offset "
    "(a bare date when the page gives no time).",
    "day": "The outlet's calendar day of publication (YYYY-MM-DD; the day newsmon first "
    "saw it when the page gives no date): filter and facet by it.",
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
    "article_counts": "Articles per day, source, language and section, and per topic (topic "
    "empty = all articles), kept up to date with every write: what the facets and charts "
    "sum instead of counting a million rows.",
    "article_totals": "The same counts without the day (per source, language, section and "
    "topic): what the source, language and section facets sum.",
    "carried_articles": "Articles also seen at another outlet, one row each, kept up to date "
    "with every sighting: how many outlets carried the story (its own included), its source, "
    "day and publication time.",
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
    # The newest stored (read from the index on topic, article id), then by feed time.
    return f"""WITH recent AS (
SELECT article_id FROM article_topics WHERE topic = {topic_expr}
ORDER BY article_id DESC LIMIT {4 * FEED_SIZE}
),
hits AS (
SELECT {_ATOM_COLUMNS}
FROM recent JOIN articles a ON a.id = recent.article_id
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


#: Languages written without spaces: a query in their script is also looked for inside
#: the texts of articles in these languages (newest first, ``SEARCH_WINDOW`` at most).
_NO_SPACE_LANGUAGES = "(" + ", ".join(f"'{lang}'" for lang in CJK_LANGUAGES) + ")"

#: Matches a search ranks: the newest this many (FTS5 reads them in rowid order and stops,
#: so a word found in half a million articles costs what a rare word costs).
SEARCH_WINDOW = 2000

#: Rows on one page of search results.
SEARCH_PAGE = 50


def _matches(limit: int, in_topic: bool = False) -> str:
    """The newest ``limit`` matches of :q (id, rank): FTS5 words, and for a query in a
    script written without spaces, the articles in such languages containing it (found
    through the index of character pairs; a query of single characters reads them); with
    ``in_topic``, among the articles tagged :topic (all when empty)."""
    topic = (
        "AND (:topic = '' OR {id} IN (SELECT article_id FROM article_topics WHERE topic = :topic))"
        if in_topic
        else ""
    )
    return f"""fts AS MATERIALIZED (
  SELECT rowid AS id, rank FROM articles_fts WHERE :q != '' AND articles_fts MATCH :q
  {topic.format(id="rowid")}
  ORDER BY rowid DESC LIMIT {limit}
),
cjk AS (
  SELECT a.id, 0 AS rank FROM articles a
  WHERE :q GLOB '{_NO_SPACE_GLOB}' AND a.language IN {_NO_SPACE_LANGUAGES}
    AND a.id IN (SELECT rowid FROM articles_cjk WHERE articles_cjk MATCH {cjk_query_sql()}
      UNION SELECT article_id FROM cjk_pending)
    AND (instr(a.title, :q) > 0 OR instr(a.text, :q) > 0) {topic.format(id="a.id")}
  ORDER BY a.id DESC LIMIT {limit}
),
cjk_scan AS (
  SELECT id, 0 AS rank FROM articles
  WHERE :q GLOB '{_NO_SPACE_GLOB}' AND {cjk_query_sql()} = 'x'
    AND language IN {_NO_SPACE_LANGUAGES}
    AND (instr(title, :q) > 0 OR instr(text, :q) > 0) {topic.format(id="id")}
  ORDER BY day DESC, published_at DESC LIMIT {limit}
),
matches AS (SELECT id, rank FROM fts UNION ALL
  SELECT id, rank FROM (SELECT id, rank FROM cjk UNION ALL SELECT id, rank FROM cjk_scan)
  WHERE id NOT IN (SELECT id FROM fts))"""


SEARCH_FEED_SQL = f"""WITH {_matches(FEED_SIZE)},
hits AS (
SELECT {_ATOM_COLUMNS}
FROM articles a
WHERE a.id IN (SELECT id FROM matches)
ORDER BY atom_updated DESC, a.id DESC
LIMIT {FEED_SIZE}
)
SELECT * FROM hits
UNION ALL
{_empty_feed_row("'urn:newsmon:empty:search:' || :q", "'Nothing found yet for ' || :q", "search")}"""


# Ranked by relevance (FTS5's bm25) among the newest SEARCH_WINDOW matches, a page at a
# time; the snippet is built for the page's rows only, in one pass over the page's range
# of the index (a snippet per row would expand a prefix query once per row: 50 x 40 ms at
# a million articles). MATERIALIZED: each step runs once, however often it is read.
# Ranking every match instead costs what the match count costs: seconds for a common word
# at a million articles.
def search_sql(in_topic: bool) -> str:
    """The ranked search (with ``in_topic``: a topic parameter, empty for all)."""
    return f"""WITH {_matches(SEARCH_WINDOW, in_topic)},
page AS MATERIALIZED (
  SELECT id, rank FROM matches ORDER BY rank, id DESC
  LIMIT {SEARCH_PAGE} OFFSET {SEARCH_PAGE} * (max(coalesce(nullif(:page, ''), 1), 1) - 1)
),
snips AS MATERIALIZED (
  SELECT rowid AS id, snippet(articles_fts, 1, '[', ']', '…', 20) AS snippet FROM articles_fts
  WHERE articles_fts MATCH :q AND rowid >= (SELECT min(id) FROM page)
    AND rowid <= (SELECT max(id) FROM page) AND +rowid IN (SELECT id FROM page)
)
SELECT a.id AS article_id, a.published_at, a.source, a.language, a.title,
  coalesce(snips.snippet,
    '…' || substr(coalesce(a.text, ''), max(instr(coalesce(a.text, ''), :q) - 40, 1), 120)
    || '…') AS snippet,
  a.url
FROM page JOIN articles a ON a.id = page.id LEFT JOIN snips ON snips.id = page.id
ORDER BY page.rank, page.id DESC"""


# Newest first by (day, published_at): read from that index, stopping at 200 tagged rows
# (CROSS JOIN keeps the articles outside, in that order; sorting every tagged article
# instead reads a whole topic: a second at a million articles).
LATEST_ON_TOPIC_SQL = """SELECT a.id AS article_id, a.published_at, a.source, a.language,
  a.title, t.snippet, t.matched_terms, a.url
FROM articles a CROSS JOIN article_topics t ON t.article_id = a.id AND t.topic = :topic
ORDER BY a.day DESC, a.published_at DESC, a.id DESC
LIMIT 200"""


def multi_outlet_sql(with_topics: bool) -> str:
    topic_filter = (
        "AND (:topic = '' OR c.article_id IN "
        "(SELECT article_id FROM article_topics WHERE topic = :topic))"
        if with_topics
        else ""
    )
    # The carried articles are kept as rows (store/desk.py), read from their index on
    # (outlets, day, time), most widely carried and newest first; names for the 500 shown.
    return f"""WITH top AS (
  SELECT c.article_id, c.outlets FROM carried_articles c
  WHERE c.outlets >= 2 {topic_filter}
  ORDER BY c.outlets DESC, c.day DESC, c.published_at DESC LIMIT 500
)
SELECT a.id AS article_id, a.published_at, a.title, top.outlets,
  coalesce(a.source || ', ', '') || (SELECT group_concat(source, ', ') FROM
    (SELECT DISTINCT source FROM sightings s WHERE s.article_id = a.id
     AND s.source IS NOT NULL AND s.source != coalesce(a.source, '') ORDER BY source))
    AS sources,
  a.source AS first_source, a.url
FROM top JOIN articles a ON a.id = top.article_id
ORDER BY top.outlets DESC, a.day DESC, a.published_at DESC"""


# Article totals from the kept counts; the rest from indexes on (source, time).
_SOURCE_STATS = """WITH sources AS (
  SELECT DISTINCT source FROM article_counts WHERE topic = '' AND source != '' AND articles > 0
  UNION SELECT source FROM run_errors WHERE source IS NOT NULL{extra_sources}
),
week AS (SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') AS since)
SELECT s.source,{health_cols}
  (SELECT coalesce(sum(articles), 0) FROM article_counts c WHERE c.topic = ''
     AND c.source = s.source) AS articles,
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

VOLUME_PER_DAY_SQL = """SELECT day, source, sum(articles) AS articles
FROM article_counts
WHERE topic = '' AND (:since = '' OR day >= :since)
GROUP BY day, source HAVING sum(articles) > 0
ORDER BY day DESC, articles DESC"""

TOPICS_OVERVIEW_SQL = """SELECT p.name AS topic, p.title,
  (SELECT coalesce(sum(articles), 0) FROM article_counts c WHERE c.topic = p.name) AS articles,
  (SELECT coalesce(a.published_at, a.first_seen_at) FROM articles a WHERE a.id =
     (SELECT max(article_id) FROM article_topics t WHERE t.topic = p.name)) AS latest,
  p.definition
FROM topics p ORDER BY p.name"""


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

    facets = ["source", "language", "section", "day"] + (["topic"] if with_topics else [])
    if has_core:
        meta_tables["articles"] = {
            "description": TABLE_DESCRIPTIONS["articles"],
            "columns": ARTICLE_COLUMNS,
            "fts_table": "articles_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "label_column": "title",
            "sort_desc": "published_at",
            "facets": [{"counted": c} for c in facets],
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
            "facets": [{"counted": c} for c in ("topic", "source", "language", "day")],
            "sort_desc": "published_at",
        }
    for name in sorted((tables | views) & set(OTHER_DESCRIPTIONS)):
        meta_tables[name] = {"description": OTHER_DESCRIPTIONS[name]}
    # Indexes kept for newsmon's own lookups (dedup, CJK word pairs): noise on the home page.
    for name in sorted(t for t in tables if t.startswith(("dedup_", "articles_cjk", "cjk_"))):
        meta_tables[name] = {"hidden": True}

    queries: dict[str, Any] = {}
    if has_core:
        queries["search"] = {
            "title": "Search every language",
            "description": "Full-text search over titles and texts (FTS5 syntax: words, "
            '"phrases", prefix*, OR, NOT): the newest '
            f"{SEARCH_WINDOW:,} matches, most relevant first, {SEARCH_PAGE} a page (page: "
            "1, 2, ...). Chinese, Japanese and Korean queries also match inside sentences of "
            "articles in those languages."
            + (" Give a topic to search its articles only." if with_topics else ""),
            "sql": search_sql(with_topics),
            "params": ["q", "page", "topic"] if with_topics else ["q", "page"],
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
        "plugins": {"datasette-dashboards": {"coverage": dashboard(db, with_topics)}},
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
            parts.append(
                f'<li><a href="/{d}/articles_by_topic?topic={name}">{escape(topic.title)}</a> '
                f'(<a href="/{d}/search?topic={name}">search in it</a>, '
                f'<a href="/{d}/latest_on_topic?topic={name}">latest</a>, '
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
    if PLUGINS_DIR.is_dir():
        argv += ["--plugins-dir", str(PLUGINS_DIR)]
    settings = {
        "truncate_cells_html": "300",  # long texts stay readable in table views
        "sql_time_limit_ms": "5000",
        "facet_time_limit_ms": "200",
        # Suggesting facets runs a query per column over every row a page shows: at a
        # million articles that alone is a second. The useful facets are configured.
        "suggest_facets": "off",
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
