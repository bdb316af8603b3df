"""The desk's stored day and kept counts (schema v9, store/desk.py): an existing store is
upgraded in place, and the counts follow every write the store can see."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from parsers.record import Article
from parsers.topics import load_topics
from store import schema
from store import topics as store_topics
from store.db import connect, migrate, open_db, version
from store.desk import counted_filters, drift, facet_query

V8 = 8


def _store_at_v8(path: Path) -> sqlite_utils.Database:
    """A store as newsmon wrote it before the desk's step (schema version 8)."""
    db = connect(path)
    migrate(db, target=V8)
    return db


def test_a_v8_store_is_upgraded_in_place(tmp_path: Path):
    path = tmp_path / "old.db"
    db = _store_at_v8(path)
    rows = [
        ("a", "az", "Siyasət", "2025-03-01T23:30:00+04:00", "2025-03-01T19:31:00Z", "Bakı"),
        ("a", "az", None, None, "2025-03-02T08:00:00Z", "Çin"),
        ("b", None, "World", "2025-03-03", "2025-03-04T00:00:00Z", "Beijing"),
        (None, "en", "World", "2025-03-03T10:00:00+00:00", "2025-03-03T10:01:00Z", "Baku"),
    ]
    with db.conn:
        for source, language, section, published, seen, word in rows:
            db.execute(
                "INSERT INTO articles (source, language, section, published_at, first_seen_at, "
                "title, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [source, language, section, published, seen, word, f"{word} freight news"],
            )
        db.execute("INSERT INTO article_topics (article_id, topic) VALUES (1, 'az-china')")
        db.execute("INSERT INTO article_topics (article_id, topic) VALUES (2, 'az-china')")
        # Article 1 seen again at its own outlet and at two others, article 3 at its own.
        for article, source in ((1, "a"), (1, "c"), (1, "d"), (1, "c"), (3, "b")):
            db.execute(
                "INSERT INTO sightings (article_id, url, source, seen_at) VALUES (?, ?, ?, ?)",
                [article, f"https://{source}.example/{article}", source, "2025-03-05T00:00:00Z"],
            )
    db.close()

    db = open_db(path)
    assert version(db) == schema.current_version()
    # The outlet's own day (23:30 in Baku is still 1 March), else the day newsmon saw it.
    days = [r[0] for r in db.execute("SELECT day FROM articles ORDER BY id")]
    assert days == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-03"]
    assert drift(db) == []
    sql, params = facet_query("articles", "source", {}, 10)
    assert dict(db.execute(sql, params).fetchall()) == {"a": 2, "b": 1}
    sql, params = facet_query("articles", "day", {"topic": "az-china"}, 10)
    assert dict(db.execute(sql, params).fetchall()) == {"2025-03-01": 1, "2025-03-02": 1}
    # The full-text index still finds every article, and follows an edited text.
    assert (
        db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'freight'"
        ).fetchone()[0]
        == 4
    )
    db.execute("UPDATE articles SET text = 'Railway news' WHERE id = 1")
    assert db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'railway'"
    ).fetchall() == [(1,)]
    assert [r[0] for r in db.execute("SELECT day FROM articles_by_topic ORDER BY article_id")] == [
        "2025-03-01",
        "2025-03-02",
    ]
    # Stories carried by other outlets, as kept rows: article 1 by a, c and d.
    assert db.execute("SELECT article_id, outlets, day FROM carried_articles").fetchall() == [
        (1, 3, "2025-03-01")
    ]
    assert [
        tuple(r)
        for r in db.execute(
            "SELECT topic, article_id, source, language, section, title, url "
            "FROM articles_by_topic ORDER BY article_id"
        )
    ] == [
        ("az-china", 1, "a", "az", "Siyasət", "Bakı", None),
        ("az-china", 2, "a", "az", None, "Çin", None),
    ]
    db.close()


def test_a_topic_page_counts_and_filters_its_rows_from_the_tags_alone(tmp_path: Path):
    """The count Datasette shows above a topic's page must not read every tagged article
    (at a million articles that join took half a second)."""
    db = open_db(tmp_path / "v.db")
    for sql in (
        "SELECT count(*) FROM articles_by_topic",
        "SELECT count(*) FROM articles_by_topic WHERE topic = 'x' AND source = 'a' "
        "AND language = 'az' AND section = 's' AND day = '2025-01-01'",
    ):
        plan = " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "article_topics" in plan or " t " in f" {plan} "
        assert "articles" not in plan.replace("article_topics", ""), plan
    db.close()


def _article(n: int, source: str, language: str, published: str | None) -> Article:
    return Article(
        url=f"https://{source}.example/{n}",
        source=source,
        title=f"Story {n} about Baku and Beijing",
        language=language,
        published_at=published,
        section="World" if n % 2 else None,
        text=f"Baku and Beijing signed agreement number {n} on rail freight. " * 3
        + " ".join(f"word{n}x{i}" for i in range(40)),
    )


def test_counts_follow_appends_revisions_and_retags(tmp_path: Path):
    db = open_db(tmp_path / "n.db")
    store_topics.migrate(db)
    batch = [
        _article(n, s, lang, f"2025-05-0{1 + n % 3}T12:00:00+04:00" if n % 4 else None)
        for n, (s, lang) in enumerate([("trend", "en"), ("report", "az")] * 6)
    ]
    store.append_batch(db, batch)
    topics = load_topics([{"name": "baku", "groups": [{"mode": "any", "terms": ["Baku"]}]}])
    store_topics.tag_articles(db, topics)
    assert drift(db) == []
    # A revision: the same address with a changed text and a later publication time.
    changed = _article(1, "report", "az", "2025-06-01T09:00:00+04:00")
    changed.text = "Completely rewritten: " + " ".join(f"other{i}" for i in range(60))
    store.append_batch(db, [changed])
    assert drift(db) == []
    # The same story at another outlet: a sighting, and the story counts as carried.
    again = _article(2, "azernews", "en", None)
    again.url = "https://azernews.example/copy-of-2"
    again.title = _article(2, "trend", "en", None).title
    result = store.append_batch(db, [again])
    assert len(result.sightings) == 1
    carried = db.execute("SELECT article_id, outlets, source FROM carried_articles").fetchall()
    assert [(outlets, source) for _, outlets, source in carried] == [(2, "trend")]
    assert drift(db) == []
    store_topics.retag(
        db, load_topics([{"name": "beijing", "groups": [{"mode": "any", "terms": ["Beijing"]}]}])
    )
    assert drift(db) == []
    db.close()


_writes = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert"),
            st.sampled_from(["a", "b", None]),
            st.sampled_from(["az", "en", None]),
            st.sampled_from(["2025-01-01T10:00:00+04:00", "2025-01-02", None]),
        ),
        st.tuples(
            st.just("update"),
            st.integers(1, 8),
            st.sampled_from(["source", "published_at", "section", "language"]),
            st.sampled_from(["c", None, "2025-02-01T00:00:00Z"]),
        ),
        st.tuples(st.just("delete"), st.integers(1, 8)),
        st.tuples(st.just("tag"), st.integers(1, 8), st.sampled_from(["t1", "t2"])),
        st.tuples(st.just("untag"), st.integers(1, 8), st.sampled_from(["t1", "t2"])),
        st.tuples(st.just("sight"), st.integers(1, 8), st.sampled_from(["a", "b", "c", None])),
        st.tuples(st.just("unsight"), st.integers(1, 8), st.sampled_from(["a", "b", "c", None])),
        st.tuples(st.just("move"), st.integers(1, 8), st.sampled_from(["a", "b", "c", None])),
    ),
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=_writes)
def test_counts_equal_a_count_of_the_articles_after_any_writes(tmp_path: Path, writes):
    path = tmp_path / "p.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_db(path)
    db.conn.execute("PRAGMA foreign_keys = OFF")  # deletions in any order, as SQL allows
    for write in writes:
        kind = write[0]
        if kind == "insert":
            db.execute(
                "INSERT INTO articles (source, language, published_at, first_seen_at, title, text)"
                " VALUES (?, ?, ?, '2025-01-05T00:00:00Z', 't', 'x')",
                list(write[1:]),
            )
        elif kind == "update":
            db.execute(f"UPDATE articles SET {write[2]} = ? WHERE id = ?", [write[3], write[1]])
        elif kind == "delete":
            db.execute("DELETE FROM articles WHERE id = ?", [write[1]])
        elif kind == "tag":
            db.execute(
                "INSERT OR IGNORE INTO article_topics (article_id, topic) "
                "SELECT id, ? FROM articles WHERE id = ?",
                [write[2], write[1]],
            )
        elif kind == "untag":
            db.execute(
                "DELETE FROM article_topics WHERE article_id = ? AND topic = ?",
                [write[1], write[2]],
            )
        elif kind == "sight":
            db.execute(
                "INSERT INTO sightings (article_id, url, source, seen_at) "
                "SELECT id, 'https://x.example/' || id, ?, '2025-01-06T00:00:00Z' FROM articles "
                "WHERE id = ?",
                [write[2], write[1]],
            )
        elif kind == "unsight":
            db.execute(
                "DELETE FROM sightings WHERE article_id = ? AND source IS ?", [write[1], write[2]]
            )
        else:  # a sighting moved to another outlet
            db.execute(
                "UPDATE sightings SET source = ? WHERE rowid = "
                "(SELECT min(rowid) FROM sightings WHERE article_id = ?)",
                [write[2], write[1]],
            )
    # Tags and sightings of deleted articles count for nothing (the facets count existing
    # articles).
    db.execute("DELETE FROM article_topics WHERE article_id NOT IN (SELECT id FROM articles)")
    db.execute("DELETE FROM sightings WHERE article_id NOT IN (SELECT id FROM articles)")
    assert drift(db) == []
    db.close()


_pairs = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(
                ["source", "language__exact", "day", "topic", "_through", "_search", "_sort"]
            ),
            st.text(max_size=12),
        ),
        st.text(max_size=40),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(pairs=_pairs, table=st.sampled_from(["articles", "articles_by_topic", "runs"]))
def test_any_query_string_gives_counted_filters_or_none_and_safe_sql(pairs, table):
    # The query string is the visitor's: whatever it holds, the plugin either reads the
    # rows (None) or asks the counts with the values as parameters, never inside the SQL.
    filters = counted_filters(table, pairs)
    if filters is None:
        return
    assert table in ("articles", "articles_by_topic")
    assert set(filters) <= {"day", "source", "language", "section", "topic"}
    for column in ("source", "language", "section", "day", "topic"):
        sql, params = facet_query(table, column, filters, 31)
        assert sorted(params.values()) == sorted(filters.values())
        plain = facet_query(table, column, {k: "x" for k in filters}, 31)[0]
        assert sql == plain  # the values never shape the SQL
