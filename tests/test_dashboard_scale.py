"""The coverage dashboard on a store of many sources and many days: every chart's query
returns every row it needs under Datasette's row cap (1,000), so no chart is silently cut.

Issue 15: on a year of 50 outlets the "per source" chart returned the first 1,000 of about
18,000 rows and showed only the first weeks. Charts now count per day, week, month or year,
whichever keeps them under the cap.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

import store
from store.datasette import build_metadata
from store.db import writing

#: Datasette's default ``max_returned_rows``: a query returning more is cut there.
ROW_CAP = 1000


def _store(path: Path, sources: int, days: int, topics: int) -> int:
    db = store.open_db(path)
    start = date(2025, 1, 1)
    rows, tags = [], []
    for d in range(days):
        day = (start + timedelta(days=d)).isoformat()
        for s in range(sources):
            n = len(rows) + 1
            rows.append(
                {
                    "id": n,
                    "url": f"https://s{s}.example/{n}",
                    "source": f"Outlet {s:02d}",
                    "title": f"Story {n}",
                    "published_at": f"{day}T10:00:00+04:00",
                    "first_seen_at": f"{day}T10:05:00+00:00",
                    "text": "Text.",
                }
            )
            tags.append({"article_id": n, "topic": f"topic-{n % topics}"})
    with writing(db):
        db["articles"].insert_all(rows, batch_size=5000)
        db["article_topics"].insert_all(tags, batch_size=5000)
        for t in range(topics):
            db["topics"].insert({"name": f"topic-{t}", "title": f"Topic {t}"}, replace=True)
    db.close()
    return len(rows)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("dash") / "newsmon.db"
    return path, _store(path, sources=50, days=400, topics=6)


def _charts(path: Path) -> dict:
    meta = build_metadata(str(path), topics=[{"name": f"topic-{t}"} for t in range(6)])
    return meta["plugins"]["datasette-dashboards"]["coverage"]["charts"]


def _run(path: Path, sql: str) -> list[sqlite3.Row]:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql.replace("[[", "/*").replace("]]", "*/")).fetchall()
    finally:
        con.close()


def test_every_chart_of_a_year_of_fifty_outlets_stays_under_the_row_cap(big):
    path, total = big
    for slug, chart in _charts(path).items():
        rows = _run(path, chart["query"])
        assert 0 < len(rows) < ROW_CAP, (slug, len(rows))


def test_the_per_source_chart_counts_every_article_of_the_range(big):
    path, total = big
    charts = _charts(path)
    rows = _run(path, charts["per-source"]["query"])
    assert sum(r["articles"] for r in rows) == total  # whole, not the first weeks
    assert {r["source"] for r in rows} == {f"Outlet {s:02d}" for s in range(50)}
    topic_rows = _run(path, charts["per-topic"]["query"])
    assert sum(r["articles"] for r in topic_rows) == total
