"""Fetch state kept between runs: what each URL answered, what is waiting to be fetched,
how each source is doing, which hosts lie about validators, and the raw responses.

Everything a polite, resumable monitor must remember lives here as rows, so that a
run killed half-way resumes where it stopped and an analyst can see why a source
is being skipped. No network and no Prefect here.

Tables (schema v4, :func:`store.migrations.v4_fetch_state`):

- ``fetch_state``: one row per fetched URL (feeds, sitemaps, listings, robots.txt,
  articles): validators (ETag, Last-Modified), body hash, last status and error.
- ``frontier``: article URLs found by discovery, keyed by their normalised URL:
  ``pending`` until fetched and stored, then ``done``, ``failed`` or ``skipped``.
  A URL already in the frontier is never queued again.
- ``source_state``: consecutive failures, last success, next due time (backoff
  doubling from 10 minutes, capped at 24 hours; a source is never disabled).
- ``host_state``: hosts whose validators proved wrong (conditional GET switched off).
- ``raw_pages``: each fetched article response, compressed, for ``newsmon reparse``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from parsers.compression import decode_bounded
from store import migrations
from store.clock import utcnow
from store.db import writing

#: First backoff after a failed source run; doubles with each further failure.
BACKOFF_BASE = timedelta(minutes=10)
#: A failing source is retried at least once a day, forever.
BACKOFF_MAX = timedelta(hours=24)
#: Transient fetch failures of one article before it is given up.
MAX_ATTEMPTS = 3
#: An article whose host keeps failing (or that a run's time limit keeps leaving behind)
#: is given up once it has waited this long: no news stays queued for ever.
MAX_WAIT = timedelta(days=7)

_CHUNK = 400  # SQLite host parameters per IN (...) query, well under the limit


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- schema
def migrate(db: sqlite_utils.Database) -> None:
    """Create the fetch-state tables and indexes that are missing (idempotent).

    They are schema v4 (:func:`store.migrations.v4_fetch_state`); ``open_db`` creates them.
    """
    migrations.v4_fetch_state(db)


# --------------------------------------------------------------------------- per-URL state
@dataclass
class UrlState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_status: int | None = None
    last_fetched_at: str | None = None
    cached_body: bytes | None = None


def url_states(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[str, UrlState]:
    """Stored validators and hashes for these URLs (missing ones are absent)."""
    urls = list(dict.fromkeys(urls))
    out: dict[str, UrlState] = {}
    for chunk in _chunks(urls):
        marks = ", ".join("?" for _ in chunk)
        for row in db.execute(
            "SELECT url, etag, last_modified, body_hash, last_status, last_fetched_at, "
            f"cached_body FROM fetch_state WHERE url IN ({marks})",
            chunk,
        ).fetchall():
            out[row[0]] = UrlState(*row)
    return out


def save_url_states(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> None:
    """Upsert fetch outcomes: ``url``, ``kind``, ``source``, ``status``, ``error``, ``etag``,
    ``last_modified``, ``body_hash``, ``changed`` (bool), optional ``cached_body``.

    A 304 or an error keeps the validators and hash of the last good response.
    """
    now = utcnow()
    with writing(db):
        for r in rows:
            good = r.get("status") == 200 and not r.get("error")
            db.execute(
                "INSERT INTO fetch_state (url, kind, source, etag, last_modified, body_hash, "
                "last_status, last_error, last_fetched_at, last_changed_at, fetches, cached_body) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(url) DO UPDATE SET kind = excluded.kind, source = excluded.source, "
                "etag = CASE WHEN ? THEN excluded.etag ELSE fetch_state.etag END, "
                "last_modified = CASE WHEN ? THEN excluded.last_modified "
                "ELSE fetch_state.last_modified END, "
                "body_hash = coalesce(excluded.body_hash, fetch_state.body_hash), "
                "last_status = excluded.last_status, last_error = excluded.last_error, "
                "last_fetched_at = excluded.last_fetched_at, "
                "last_changed_at = coalesce(excluded.last_changed_at, fetch_state.last_changed_at), "
                "fetches = fetch_state.fetches + 1, "
                "cached_body = coalesce(excluded.cached_body, fetch_state.cached_body)",
                [
                    r["url"],
                    r.get("kind"),
                    r.get("source"),
                    r.get("etag") if good else None,
                    r.get("last_modified") if good else None,
                    r.get("body_hash") if good else None,
                    r.get("status"),
                    r.get("error"),
                    now,
                    now if good and r.get("changed", True) else None,
                    r.get("cached_body") if good else None,
                    good,
                    good,
                ],
            )


# --------------------------------------------------------------------------- robots.txt
#: A cached robots.txt: (status, body, fetched_at as epoch seconds, etag, last_modified).
RobotsEntry = tuple[int, str, float, str | None, str | None]

_ROBOTS = "/robots.txt"


def load_robots(db: sqlite_utils.Database) -> dict[str, RobotsEntry]:
    """Every robots.txt kept in ``fetch_state``, by origin (``https://host[:port]``).

    A row without a status reads as status 0, without a body as an empty body, and
    without a readable fetch time as fetched at epoch 0 (so it is stale at once).
    """
    out: dict[str, RobotsEntry] = {}
    for url, status, body, etag, last_modified, fetched in db.execute(
        "SELECT url, last_status, cached_body, etag, last_modified, last_fetched_at "
        "FROM fetch_state WHERE kind = 'robots'"
    ).fetchall():
        try:
            ts = datetime.fromisoformat(fetched).timestamp() if fetched else 0.0
        except ValueError:
            ts = 0.0
        origin = url[: -len(_ROBOTS)]
        out[origin] = (
            status or 0,
            (body or b"").decode("utf-8", "replace"),
            ts,
            etag,
            last_modified,
        )
    return out


def save_robots(
    db: sqlite_utils.Database,
    entries: Iterable[tuple[str, int, str, float, str | None, str | None]],
) -> None:
    """Upsert robots.txt responses: (origin, status, body, fetched_at epoch seconds, etag,
    last_modified), one ``fetch_state`` row of kind ``robots`` per origin, in one
    transaction."""
    rows = list(entries)
    with writing(db):
        for origin, status, body, fetched_at, etag, last_modified in rows:
            stamp = datetime.fromtimestamp(fetched_at, UTC).isoformat(timespec="seconds")
            db.execute(
                "INSERT INTO fetch_state (url, kind, etag, last_modified, last_status, "
                "last_fetched_at, fetches, cached_body) VALUES (?, 'robots', ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_status = excluded.last_status, "
                "last_fetched_at = excluded.last_fetched_at, fetches = fetch_state.fetches + 1, "
                "cached_body = excluded.cached_body",
                [origin + _ROBOTS, etag, last_modified, status, stamp, body.encode("utf-8")],
            )


# --------------------------------------------------------------------------- seen URLs
def stored_urls(db: sqlite_utils.Database, urls: Iterable[str]) -> set[str]:
    """Those of ``urls`` that an article or a sighting already carries (url or canonical)."""
    urls = [u for u in dict.fromkeys(urls) if u]
    found: set[str] = set()
    for chunk in _chunks(urls, _CHUNK // 2):
        marks = ", ".join("?" for _ in chunk)
        for table in ("articles", "sightings"):
            for a, b in db.execute(
                f"SELECT url, canonical_url FROM {table} "
                f"WHERE url IN ({marks}) OR canonical_url IN ({marks})",
                chunk + chunk,
            ).fetchall():
                found.update(x for x in (a, b) if x)
    return found & set(urls)


def frontier_keys(db: sqlite_utils.Database, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` already queued (whatever their status)."""
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    for chunk in _chunks(keys):
        marks = ", ".join("?" for _ in chunk)
        found.update(
            r[0] for r in db.execute(f"SELECT key FROM frontier WHERE key IN ({marks})", chunk)
        )
    return found


@dataclass
class FrontierItem:
    key: str
    url: str
    source: str
    title: str | None
    published_at: str | None
    via: str | None
    attempts: int


def enqueue(
    db: sqlite_utils.Database,
    items: Iterable[dict[str, Any]],
    *,
    source: str,
    run_id: str | None,
) -> int:
    """Queue new article URLs (``key``, ``url``, ``title``, ``published_at``, ``via``);
    keys already queued are left alone. Returns how many were added."""
    now = utcnow()
    added = 0
    with writing(db):
        for it in items:
            cur = db.execute(
                "INSERT OR IGNORE INTO frontier (key, url, source, title, published_at, via, "
                "discovered_at, status, attempts, updated_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                [
                    it["key"],
                    it["url"],
                    source,
                    it.get("title"),
                    it.get("published_at"),
                    it.get("via"),
                    now,
                    now,
                    run_id,
                ],
            )
            added += cur.rowcount
    return added


def pending(db: sqlite_utils.Database, source: str, limit: int) -> list[FrontierItem]:
    """The next URLs to fetch for a source: newest first, undated last, oldest queued first."""
    rows = db.execute(
        "SELECT key, url, source, title, published_at, via, attempts FROM frontier "
        "WHERE source = ? AND status = 'pending' "
        "ORDER BY published_at IS NULL, published_at DESC, discovered_at, key LIMIT ?",
        [source, max(0, limit)],
    ).fetchall()
    return [FrontierItem(*r) for r in rows]


def pending_count(db: sqlite_utils.Database, source: str) -> int:
    return db.execute(
        "SELECT count(*) FROM frontier WHERE source = ? AND status = 'pending'", [source]
    ).fetchone()[0]


def settle(db: sqlite_utils.Database, outcomes: Iterable[tuple[str, str, str | None]]) -> None:
    """Record what became of queued URLs: (key, status, error).

    ``status`` is ``done``, ``failed``, ``skipped``, ``retry`` or ``wait``; a ``retry``
    stays pending until it has failed :data:`MAX_ATTEMPTS` times, then it is ``failed``;
    a ``wait`` (the host, not the URL, failed) stays pending without using an attempt,
    until it has been queued for :data:`MAX_WAIT`; then it is ``failed`` too.
    Call it inside the transaction that stored the batch, so both happen or neither.
    """
    now = utcnow()
    too_old = (datetime.now(UTC) - MAX_WAIT).isoformat(timespec="seconds")
    for key, status, error in outcomes:
        if status == "wait":
            db.execute(
                "UPDATE frontier SET updated_at = ?, "
                "status = CASE WHEN discovered_at < ? THEN 'failed' ELSE status END, "
                "last_error = CASE WHEN discovered_at < ? "
                "THEN 'gave up after waiting since ' || discovered_at || ': ' || ? ELSE ? END "
                "WHERE key = ?",
                [now, too_old, too_old, error, error, key],
            )
        elif status == "retry":
            db.execute(
                "UPDATE frontier SET attempts = attempts + 1, last_error = ?, updated_at = ?, "
                "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END "
                "WHERE key = ?",
                [error, now, MAX_ATTEMPTS, key],
            )
        else:
            db.execute(
                "UPDATE frontier SET status = ?, attempts = attempts + 1, last_error = ?, "
                "updated_at = ? WHERE key = ?",
                [status, error, now, key],
            )


def given_up(db: sqlite_utils.Database, *, since: str, limit: int = 20) -> list[dict[str, Any]]:
    """Queued URLs given up since ``since`` (ISO time), newest first: for ``newsmon status``."""
    if not db["frontier"].exists():
        return []
    return [
        dict(r)
        for r in db.query(
            "SELECT source, url, attempts, last_error, updated_at FROM frontier "
            "WHERE status = 'failed' AND updated_at >= ? ORDER BY updated_at DESC, key LIMIT ?",
            [since, limit],
        )
    ]


# --------------------------------------------------------------------------- sources
@dataclass
class SourceState:
    name: str
    consecutive_failures: int = 0
    last_success_at: str | None = None
    last_attempt_at: str | None = None
    last_error: str | None = None
    next_due_at: str | None = None

    def due(self, now: datetime | None = None) -> bool:
        if not self.next_due_at:
            return True
        now = now or datetime.now(UTC)
        return datetime.fromisoformat(self.next_due_at) <= now


def source_state(db: sqlite_utils.Database, name: str) -> SourceState:
    row = db.execute(
        "SELECT name, consecutive_failures, last_success_at, last_attempt_at, last_error, "
        "next_due_at FROM source_state WHERE name = ?",
        [name],
    ).fetchone()
    return SourceState(*row) if row else SourceState(name=name)


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failed runs: 10 min, 20, 40, ... at most 24 h."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_MAX, BACKOFF_BASE * (2 ** min(failures - 1, 20)))


def record_source_run(
    db: sqlite_utils.Database,
    name: str,
    *,
    ok: bool,
    error: str | None = None,
    now: datetime | None = None,
) -> SourceState:
    """Update a source after a run: success resets the backoff, failure doubles it."""
    now = now or datetime.now(UTC)
    state = source_state(db, name)
    stamp = now.isoformat(timespec="seconds")
    state.last_attempt_at = stamp
    if ok:
        state.consecutive_failures = 0
        state.last_success_at = stamp
        state.last_error = None
        state.next_due_at = None
    else:
        state.consecutive_failures += 1
        state.last_error = (error or "failed")[:2000]
        state.next_due_at = (now + backoff(state.consecutive_failures)).isoformat(
            timespec="seconds"
        )
    with writing(db):
        db["source_state"].upsert(state.__dict__, pk="name")
    return state


# --------------------------------------------------------------------------- hosts
def conditional_off_hosts(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT host FROM host_state WHERE conditional_get = 0")}


def disable_conditional(db: sqlite_utils.Database, host: str, reason: str) -> None:
    """Stop sending validators to a host whose validators proved wrong."""
    with writing(db):
        db["host_state"].upsert(
            {"host": host, "conditional_get": 0, "reason": reason[:500], "updated_at": utcnow()},
            pk="host",
        )


# --------------------------------------------------------------------------- raw archive
#: zstd level for the archive: on real article pages level 3 compresses 5x faster than
#: level 10 (0.7 against 4 ms a page) for an archive 11 % larger. Compression runs beside
#: the fetches of a run, so its cost is the run's.
ARCHIVE_LEVEL = 3


def compress(body: bytes) -> tuple[bytes, str]:
    """zstd (smaller and faster than zlib); the codec is stored with the body, so pages
    archived as zlib by older versions still read."""
    import zstandard

    return zstandard.ZstdCompressor(level=ARCHIVE_LEVEL).compress(body), "zstd"


#: The codec of a body archived as the server sent it: this prefix and its content-coding.
WIRE_CODEC = "http:"
#: Most bytes an archived body decodes to (far above any page the fetcher keeps).
_MAX_ARCHIVED = 256 * 1024 * 1024


def decompress(blob: bytes, codec: str) -> bytes:
    if codec.startswith(WIRE_CODEC):
        # The fetcher's own bounded decoder, so the page reads back exactly as it was parsed.
        return decode_bounded(blob, codec[len(WIRE_CODEC) :], _MAX_ARCHIVED)
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompress(blob, max_output_size=_MAX_ARCHIVED)
    if codec == "zlib":
        return zlib.decompress(blob)
    if codec in ("", "identity", None):
        return blob
    raise ValueError(f"unknown codec {codec!r}")


def archive_pages(db: sqlite_utils.Database, pages: Iterable[dict[str, Any]]) -> int:
    """Keep fetched responses: ``url``, ``final_url``, ``source``, ``status``, ``headers``
    (dict), ``body`` (bytes), ``body_hash``, ``fetched_at``, ``run_id``; and, for a body
    the server compressed, ``wire_body`` and ``wire_coding``: those bytes are kept as
    sent (smaller than the body, and no CPU spent compressing it again)."""
    n = 0
    with writing(db):
        for p in pages:
            sent, coding = p.get("wire_body"), p.get("wire_coding")
            if sent is not None and coding and len(sent) < len(p["body"]):
                blob, codec = sent, WIRE_CODEC + coding
            else:
                blob, codec = compress(p["body"])
            db.execute(
                "INSERT INTO raw_pages (url, final_url, source, status, headers, body, codec, "
                "body_hash, size, fetched_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    p["url"],
                    p.get("final_url") or p["url"],
                    p.get("source"),
                    p.get("status"),
                    json.dumps(dict(p.get("headers") or {}), ensure_ascii=False),
                    blob,
                    codec,
                    p.get("body_hash"),
                    len(p["body"]),
                    p.get("fetched_at") or utcnow(),
                    p.get("run_id"),
                ],
            )
            n += 1
    return n


@dataclass
class RawPage:
    id: int
    url: str
    final_url: str
    source: str | None
    status: int | None
    headers: dict[str, str]
    body: bytes
    fetched_at: str


def iter_raw_pages(
    db: sqlite_utils.Database, *, source: str | None = None, batch: int = 100
) -> Iterator[RawPage]:
    """The latest archived response of each page (optionally of one source), oldest first."""
    where = "WHERE source = ?" if source else ""
    params: list[Any] = [source] if source else []
    ids = [
        r[0]
        for r in db.execute(
            f"SELECT max(id) FROM raw_pages {where} GROUP BY final_url ORDER BY max(id)", params
        ).fetchall()
    ]
    for chunk in _chunks(ids, batch):
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(
            "SELECT id, url, final_url, source, status, headers, body, codec, fetched_at "
            f"FROM raw_pages WHERE id IN ({marks}) ORDER BY id",
            chunk,
        ).fetchall()
        for r in rows:
            yield RawPage(
                id=r[0],
                url=r[1],
                final_url=r[2],
                source=r[3],
                status=r[4],
                headers=json.loads(r[5] or "{}"),
                body=decompress(r[6], r[7]),
                fetched_at=r[8],
            )


def frontier_items(db: sqlite_utils.Database, urls: Iterable[str]) -> dict[str, FrontierItem]:
    """What discovery said of these URLs (title, date, how found), by URL or by key."""
    urls = list(dict.fromkeys(urls))
    out: dict[str, FrontierItem] = {}
    for chunk in _chunks(urls):
        marks = ", ".join("?" for _ in chunk)
        for row in db.execute(
            "SELECT key, url, source, title, published_at, via, attempts FROM frontier "
            f"WHERE url IN ({marks}) OR key IN ({marks})",
            [*chunk, *chunk],
        ).fetchall():
            item = FrontierItem(*row)
            out.setdefault(item.url, item)
            out.setdefault(item.key, item)
    return out
