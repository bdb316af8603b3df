"""The SQLite store: schema, migrations, exact dedup, full-text search, run history."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
import sqlite_utils

import store
from parsers.record import Article
from store import schema
from store.db import connect, version


def _article(n: int, **kw) -> Article:
    base = dict(
        url=f"https://en.example.az/politics/{n}.html",
        canonical_url=f"https://en.example.az/politics/{n}.html",
        source="Example",
        title=f"Story number {n}",
        published_at="2025-04-22T20:20:00+04:00",
        language="en",
        text=f"Paragraph one of story {n} about Baku and Beijing.\n\nParagraph two, {n}.",
        provenance={"title": "test"},
        tags=["china", "azerbaijan"],
    )
    base.update(kw)
    return Article(**base)


def test_open_creates_current_schema_in_wal_mode(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    assert version(db) == schema.current_version()
    assert {"articles", "sightings", "runs", "run_errors", "articles_fts"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    # Opening again is a no-op.
    store.open_db(tmp_path / "s.db")


def test_migration_from_first_version_keeps_rows(tmp_path):
    path = tmp_path / "old.db"
    old = connect(path)
    schema.MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["articles"].insert(
        {"url": "u", "title": "Old", "text": "old body text", "content_hash": "h"}
    )
    old.conn.commit()
    old.close()

    db = store.open_db(path)
    assert version(db) == schema.current_version()
    row = db.execute("SELECT title, page_type, truncated, word_count FROM articles").fetchone()
    assert row == ("Old", "article", 0, 3)
    assert "details" in db["sightings"].columns_dict


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    db = store.open_db(path)
    db.execute(f"PRAGMA user_version = {schema.current_version() + 5}")
    db.close()
    with pytest.raises(store.StoreError, match="newer than this newsmon"):
        store.open_db(path)


def test_not_a_database(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(store.StoreError):
        store.open_db(bad)
    with pytest.raises(store.StoreError, match="directory"):
        store.open_db(tmp_path)


def test_append_and_exact_dedup(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    first = store.append_batch(db, [_article(1), _article(2)], run_id="r1")
    assert first.new == 2 and first.duplicates == 0

    # Same URL again; same text under another URL; one genuinely new.
    again = _article(1)
    copy = _article(
        2,
        url="https://other.example.com/x",
        canonical_url="https://other.example.com/x",
        source="Other",
    )
    copy.text = copy.text.upper().replace("\n\n", "\n\n  ")  # case and spacing do not matter
    result = store.append_batch(db, [again, copy, _article(3)], run_id="r2")
    assert result.new == 1
    assert sorted(s.method for s in result.sightings) == ["canonical_url", "content_hash"]
    assert db["articles"].count == 3
    rows = list(db.query("SELECT article_id, source, method, run_id FROM sightings ORDER BY id"))
    assert rows[1] == {"article_id": 2, "source": "Other", "method": "content_hash", "run_id": "r2"}


def test_duplicates_inside_one_batch(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    result = store.append_batch(db, [_article(1), _article(1)], run_id="r")
    assert result.new == 1 and result.duplicates == 1


def test_failed_and_non_article_records_are_not_stored(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    result = store.append_batch(
        db, [Article.failed("binary"), _article(5, page_type="listing"), _article(6)], run_id="r"
    )
    assert result.new == 1
    assert [r[1] for r in result.rejected] == ["binary", "not an article (listing)"]


def test_record_round_trip(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    store.append_batch(db, [_article(7)], run_id="r")
    row = next(db.query("SELECT * FROM articles"))
    assert json.loads(row["tags"]) == ["china", "azerbaijan"]
    assert json.loads(row["provenance"]) == {"title": "test"}
    assert row["published_at"] == "2025-04-22T20:20:00+04:00"
    assert row["run_id"] == "r" and row["first_seen_at"].endswith("+00:00")


def test_full_text_search_follows_inserts(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    store.append_batch(
        db,
        [
            _article(1),
            _article(
                2, title="Azərbaycan və Çin", text="Bakı. Trend: Azərbaycan ilə Çin arasında saziş."
            ),
            _article(
                3, title="Китай и Азербайджан", text="Баку. Китай и Азербайджан договорились."
            ),
        ],
        run_id="r",
    )

    def search(q: str) -> list[int]:
        return [
            r[0]
            for r in db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", [q]
            )
        ]

    assert search("beijing") == [1]
    assert search("azərbaycan") == [2]
    assert search("Китай") == [3]
    assert search("saziş") == [2]


def test_batch_is_atomic(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    store.append_batch(db, [_article(1)], run_id="r")

    class Boom(Article):
        @property
        def ok(self):  # noqa: D401 - fails half-way through the batch
            raise RuntimeError("crash mid-batch")

    with pytest.raises(RuntimeError):
        store.append_batch(db, [_article(2), Boom(text="x")], run_id="r2")
    assert db["articles"].count == 1  # article 2 was rolled back with the batch
    assert store.append_batch(db, [_article(2)], run_id="r3").new == 1


def test_reader_sees_store_while_writer_writes(tmp_path):
    path = tmp_path / "s.db"
    db = store.open_db(path)
    store.append_batch(db, [_article(1)], run_id="r")
    reader = sqlite3.connect(path)
    with db.atomic():
        db.execute("INSERT INTO articles (title, text) VALUES ('w', 'writing')")
        # WAL: the reader is not blocked and sees the last committed state.
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    path = tmp_path / "s.db"
    store.open_db(path).close()
    errors: list[Exception] = []

    def writer(start: int) -> None:
        try:
            db = store.open_db(path)
            for i in range(start, start + 20):
                store.append_batch(db, [_article(i)], run_id=f"w{start}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sqlite_utils.Database(path)["articles"].count == 60


def test_run_history(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    run_id = store.start_run(db, "ingest-files")
    store.record_error(db, run_id, source="s", item="a.txt", stage="read", message="empty file")
    store.finish_run(
        db, run_id, status="completed", items=3, new=2, duplicates=1, errors=1, summary={"files": 3}
    )
    run = next(db.query("SELECT * FROM runs"))
    assert run["status"] == "completed" and run["new"] == 2 and run["ended_at"]
    assert json.loads(run["summary"]) == {"files": 3}
    err = next(db.query("SELECT * FROM run_errors"))
    assert (err["run_id"], err["stage"], err["message"]) == (run_id, "read", "empty file")
