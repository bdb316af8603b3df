"""The coverage dashboard: its charts' queries, each under Datasette's row cap.

A chart whose query returned more rows than Datasette shows would be cut silently, so
every chart counts per day, week, month or year, whichever keeps it whole, and reads
the kept counts (store/desk.py), whose size does not grow with the number of articles.
:mod:`store.datasette` puts the result in the metadata it writes.
"""

from __future__ import annotations

from typing import Any

#: Rows a chart may return: under Datasette's row cap (1,000), which would cut it silently.
CHART_ROWS = 900


def _periods(rows: str, series: str | None, counts: str) -> str:
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
        f"WITH f AS MATERIALIZED ({rows}), unit AS (SELECT CASE "
        f"WHEN ({span} + 1) * {n} <= {CHART_ROWS} THEN 'day' "
        f"WHEN ({span} / 7 + 2) * {n} <= {CHART_ROWS} THEN 'week' "
        f"WHEN ({span} / 28 + 2) * {n} <= {CHART_ROWS} THEN 'month' "
        f"ELSE 'year' END AS per FROM f) "
        f"SELECT {period} AS period, per{by}, {counts} FROM f, unit "
        f"GROUP BY period{by} ORDER BY period"
    )


def dashboard(db: str, with_topics: bool) -> dict[str, Any]:
    """The coverage dashboard of database ``db`` (datasette-dashboards' configuration)."""
    # Volumes are sums of the kept counts (store/desk.py): their size is outlets x
    # sections x days, whatever the number of articles. The topic filter picks the
    # topic's rows instead of the all-articles ones ('').
    topic_rows = "[[ || :topic ]]" if with_topics else ""
    counted = (
        f"WHERE c.topic = ''{topic_rows} AND c.articles != 0 [[ AND c.day >= :since ]] "
        "[[ AND c.day <= :until ]] [[ AND c.source = :source ]]"
    )
    topic = (
        "[[ AND k.article_id IN (SELECT article_id FROM article_topics WHERE topic = :topic) ]]"
        if with_topics
        else ""
    )
    # Stories also seen at another outlet: kept rows (a few per cent of the articles).
    carried = (
        "SELECT k.article_id AS id, k.day FROM carried_articles k WHERE 1 = 1 "
        f"[[ AND k.day >= :since ]] [[ AND k.day <= :until ]] [[ AND k.source = :source ]] {topic}"
    )
    filters: dict[str, Any] = {
        "since": {"name": "From (day)", "type": "date"},
        "until": {"name": "To (day)", "type": "date"},
        "source": {
            "name": "Source",
            "type": "select",
            "db": db,
            "query": "SELECT DISTINCT source FROM article_counts WHERE topic = '' "
            "AND source != '' AND articles > 0 ORDER BY 1",
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
            "query": f"SELECT coalesce(sum(c.articles), 0) AS n FROM article_counts c {counted}",
            "library": "metric",
            "display": {"field": "n"},
        },
        "sources": {
            "title": "Sources",
            "db": db,
            "query": "SELECT count(*) AS n FROM (SELECT c.source FROM article_counts c "
            f"{counted} GROUP BY c.source HAVING sum(c.articles) > 0)",
            "library": "metric",
            "display": {"field": "n"},
        },
        "multi-share": {
            "title": "Stories carried by several outlets",
            "db": db,
            "query": "SELECT printf('%.1f', 100.0 * (SELECT count(*) FROM "
            f"({carried})) / max((SELECT sum(c.articles) FROM article_counts c {counted}), 1)) "
            "AS share",
            "library": "metric",
            "display": {"field": "share", "suffix": " %"},
        },
        "per-source": {
            "title": "Articles per day per source (per week, month or year over long ranges)",
            "db": db,
            "query": _periods(
                f"SELECT c.day AS day, c.source AS source, sum(c.articles) AS n "
                f"FROM article_counts c {counted} GROUP BY c.day, c.source",
                "source",
                "sum(n) AS articles",
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
                f"SELECT c.day AS day, sum(c.articles) AS n, 0 AS carried FROM article_counts c "
                f"{counted} GROUP BY c.day UNION ALL SELECT day, 0, 1 FROM ({carried})",
                None,
                "round(100.0 * sum(carried) / max(sum(n), 1), 1) AS share, sum(n) AS articles",
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
                "SELECT c.day AS day, c.topic AS topic, sum(c.articles) AS n "
                "FROM article_counts c WHERE c.topic > '' AND c.articles != 0 "
                "[[ AND c.topic = :topic ]] [[ AND c.day >= :since ]] [[ AND c.day <= :until ]] "
                "[[ AND c.source = :source ]] GROUP BY c.topic, c.day",
                "topic",
                "sum(n) AS articles",
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
