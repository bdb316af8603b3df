"""The robots.txt cache kept in fetch_state: store.fetchstate.save_robots / load_robots."""

from __future__ import annotations

import store
from store import fetchstate

T = 1767225600.0  # 2026-01-01T00:00:00+00:00


def test_robots_round_trip_and_upsert(tmp_path):
    db = store.open_db(tmp_path / "r.db")
    try:
        fetchstate.save_robots(
            db,
            [
                ("https://x.example", 200, "User-agent: *\nDisallow: /é", T + 0.7, '"e1"', "lm"),
                ("http://y.example:8080", 503, "", T, None, None),
            ],
        )
        fetchstate.save_robots(db, iter([("https://x.example", 404, "", T + 60, None, None)]))
        assert fetchstate.load_robots(db) == {
            "https://x.example": (404, "", T + 60, None, None),
            "http://y.example:8080": (503, "", T, None, None),
        }
        row = db.execute(
            "SELECT kind, fetches, last_fetched_at FROM fetch_state WHERE url = ?",
            ["https://x.example/robots.txt"],
        ).fetchone()
        assert row == ("robots", 2, "2026-01-01T00:01:00+00:00")
        # Bodies are kept as UTF-8 bytes; fetch times to the second.
        fetchstate.save_robots(db, [("https://x.example", 200, "Disallow: /é", T + 0.7, "e", None)])
        assert fetchstate.load_robots(db)["https://x.example"] == (
            200,
            "Disallow: /é",
            T,
            "e",
            None,
        )
        body = db.execute(
            "SELECT cached_body FROM fetch_state WHERE kind = 'robots' AND etag = 'e'"
        )
        assert body.fetchone()[0] == "Disallow: /é".encode()
    finally:
        db.close()


def test_incomplete_robots_rows_load_as_stale(tmp_path):
    db = store.open_db(tmp_path / "r.db")
    try:
        db.execute(
            "INSERT INTO fetch_state (url, kind, last_fetched_at) "
            "VALUES ('https://z.example/robots.txt', 'robots', 'not a time')"
        )
        db.execute("INSERT INTO fetch_state (url, kind) VALUES ('https://z.example/feed', 'feed')")
        assert fetchstate.load_robots(db) == {"https://z.example": (0, "", 0.0, None, None)}
    finally:
        db.close()
