"""The schema history is frozen: a store ends up with the same schema whatever version it
starts from, and a migration that has shipped is never edited (a change is a new one)."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import re
import textwrap
from pathlib import Path

import pytest
import sqlite_utils

import store
from store import db as store_db
from store import dedup, fetchstate, health, migrations, schema, topics
from store.db import connect, version, writing

#: Every shipped migration, in order: (function in store.migrations, checksum of its code).
#: When a migration ships, add its line here (the failure message prints the checksum).
SHIPPED = [
    ("v1_core", "561f74a042dab192edc35b85e078aeb73061f0e5e8228de14a5b0789d9365289"),
    ("v2_extraction_fields", "9e84ff95785806353ec35f52db0b274f46f3c3ab2cb1b713d687179aed1f188e"),
    ("v3_dedup", "8909aa960ed7820b952c223a20cb4ed2fac20108706af2be8a3c3db304aa8e6a"),
    ("v4_fetch_state", "8f251f8c63e3f4817808787804bcccf9773e78c19aec91adb811094f52d5c9a4"),
    ("v5_topics", "9060606e8bd91a292c8e015a691cec341e769cf4fde17d7d7682c1cd59143235"),
    ("v6_health", "5d0ab878cb6a6cb389cda9d1370b8e125844f6c4841b3df2b7389d22bd151176"),
    ("v7_warnings", "f614bb797e1128f452c086c7e67d3caefb49714fe4192c7364203c115b9c495f"),
    ("v8_boilerplate", "a27c4c3680f946b38f1494c47311dafa51545e94129db662a928b6a5787052a4"),
    ("v9_desk", "8d4570f1bfa91f951f30d0f91b917bfa4cd2091d442e1590e2d62f82ffd1ab93"),
    ("v10_desk_stories", "b64c035eaafa753e3508d01a9c282a1e117bb5b6dedc1e9441e6c0502b199d6f"),
    ("v11_cjk_pairs", "1202d84b8de43b3c3e276c479197b77b935ce3d3b9b93a4dde4a80cb415ac267"),
    ("v12_dedup_bands_by_day", "07737782eccf5d21d07219fd579bdbaef47ced819682357e4f0776e53ec8f405"),
    (
        "v13_dedup_bands_by_period",
        "8bbbc970fa7c6a483f5b93fb4b4f90a4405b1df32b214a67a3c01c988240edac",
    ),
]

#: Checksum of the schema the shipped migrations build (sqlite_master, normalised, without
#: the FTS5 shadow tables SQLite itself defines): the schema of newsmon's v13 stores.
SHIPPED_SCHEMA = "228900b918a038b389feb8b8358204f90d0ef636424fad0ce4d97c9d92844229"


def _canonical(node: object) -> object:
    """An AST as nested lists, without positions, docstrings or empty fields, so that
    reformatting or commenting a step keeps its checksum and changing its code does not."""
    if isinstance(node, ast.AST):
        body = getattr(node, "body", None)
        out: list[object] = [type(node).__name__]
        for name in node._fields:
            value = getattr(node, name, None)
            if (
                name == "body"
                and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                value = body[1:]
            if value is None or value == []:
                continue
            out.append([name, _canonical(value)])
        return out
    if isinstance(node, list):
        return [_canonical(item) for item in node]
    return repr(node)


def checksum(function: object) -> str:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    text = json.dumps(_canonical(tree), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def master(db: sqlite_utils.Database, *, shadow: bool = True) -> list[tuple[str, ...]]:
    """(type, name, table, SQL with whitespace collapsed) of every schema object."""
    rows = db.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    out = [(t, n, tb, re.sub(r"\s+", " ", sql).strip()) for t, n, tb, sql in rows]
    if not shadow:
        out = [r for r in out if not re.fullmatch(r"articles_fts_(config|data|docsize|idx)", r[1])]
    return out


def build_old(path: Path, n: int) -> sqlite_utils.Database:
    """A store at schema version ``n``: only the first ``n`` migrations, as open_db runs them."""
    db = connect(path)
    store_db.migrate(db, target=n)
    return db


BODY = " ".join(f"Baku port cargo word{i} container corridor" for i in range(60))


def _add_rows(db: sqlite_utils.Database) -> None:
    """Rows an old store holds: whatever its schema has columns for."""
    if not db["articles"].exists():
        return
    cols = db["articles"].columns_dict
    row = {
        "url": "https://x.example/a/1",
        "canonical_url": "https://x.example/a/1",
        "source": "X",
        "title": "Port cargo",
        "text": BODY,
        "content_hash": "h1",
        "published_at": "2025-04-22",
        "first_seen_at": "2025-04-22T10:00:00+00:00",
    }
    with writing(db):
        db["articles"].insert({k: v for k, v in row.items() if k in cols})
        db["sightings"].insert({"article_id": 1, "url": "https://y.example/1", "method": "x"})
        db["runs"].insert({"id": "r1", "flow": "ingest", "status": "completed"}, pk="id")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> list[tuple[str, ...]]:
    db = store.open_db(tmp_path_factory.mktemp("fresh") / "fresh.db")
    try:
        assert version(db) == schema.current_version()
        return master(db)
    finally:
        db.close()


@pytest.mark.parametrize("n", range(schema.current_version()))
def test_an_old_store_is_upgraded_to_the_schema_of_a_fresh_one(tmp_path, fresh, n):
    old = build_old(tmp_path / f"v{n}.db", n)
    _add_rows(old)
    old.close()
    db = store.open_db(tmp_path / f"v{n}.db")
    try:
        assert version(db) == schema.current_version()
        assert master(db) == fresh
        if n >= 1:
            # Rows survive, the full-text index has them, and an article stored before
            # the dedup index existed (v3) was indexed when it was created.
            row = db.execute("SELECT title, page_type, truncated, word_count FROM articles")
            filled = ("article", 0, 360) if n == 1 else (None, None, None)  # v2 fills them in
            assert row.fetchall() == [("Port cargo", *filled)]
            hits = db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'Baku'")
            assert hits.fetchall() == [(1,)]
            indexed = db.execute("SELECT count(*) FROM dedup_signatures").fetchone()[0]
            assert indexed == (1 if n < 3 else 0)
    finally:
        db.close()


def test_open_db_alone_leaves_nothing_for_the_module_migrations(tmp_path, fresh):
    # Re-running a module's migrate() after open_db (flows used to) changes nothing.
    db = store.open_db(tmp_path / "s.db")
    try:
        for migrate in (dedup.migrate, fetchstate.migrate, topics.migrate, health.migrate):
            with writing(db):
                migrate(db)
        assert master(db) == fresh
    finally:
        db.close()


def test_registering_a_module_migration_adds_no_version():
    before = list(schema.MIGRATIONS)
    for migrate in (dedup.migrate, fetchstate.migrate, topics.migrate, health.migrate):
        schema.register(migrate)
    assert schema.MIGRATIONS == before


def test_an_older_health_table_gets_every_column_a_fresh_one_has(tmp_path):
    db = store.open_db(tmp_path / "fresh.db")
    want = {t: db[t].columns_dict for t in ("source_runs", "source_health", "alerts")}
    db.close()
    old = build_old(tmp_path / "old.db", 5)
    old["source_runs"].create({"run_id": str, "source": str, "new": int}, pk=("run_id", "source"))
    old["alerts"].create({"id": int, "source": str}, pk="id")
    old.conn.commit()
    old.close()
    db = store.open_db(tmp_path / "old.db")
    try:
        assert {t: db[t].columns_dict for t in want} == want
    finally:
        db.close()


def test_the_shipped_migrations_build_the_shipped_schema(tmp_path):
    db = build_old(tmp_path / "shipped.db", len(SHIPPED))
    try:
        text = json.dumps(master(db, shadow=False))
        assert hashlib.sha256(text.encode()).hexdigest() == SHIPPED_SCHEMA
    finally:
        db.close()


def test_shipped_migrations_are_never_edited():
    steps = [schema.step(m) for m in schema.MIGRATIONS]
    for number, (name, digest) in enumerate(SHIPPED, 1):
        assert number <= len(steps), f"migration v{number} ({name}) was removed from MIGRATIONS"
        fn = steps[number - 1]
        assert fn is getattr(migrations, name, None), (
            f"schema.MIGRATIONS[{number - 1}] must stay store.migrations.{name}: "
            "shipped migrations are never replaced or reordered, only appended to"
        )
        assert checksum(fn) == digest, (
            f"store.migrations.{name} (schema v{number}) changed: a shipped migration is "
            "never edited. Restore it and append a new migration for the change."
        )
    extra = [f"({fn.__name__!r}, {checksum(fn)!r})" for fn in steps[len(SHIPPED) :]]
    assert not extra, (
        "new migrations: once they ship, freeze them by adding to SHIPPED: " + ", ".join(extra)
    )


def test_dedup_bands_keep_their_rows_when_keyed_by_period(tmp_path):
    """v13 re-keys the bands of a v12 store by (period, key, day, article): every band
    stays, in the period of its day, and the deduper finds it there."""
    old = build_old(tmp_path / "v12.db", 12)
    rows = [(-5, 739_000, 1), (7, 739_063, 2), (7, 739_064, 3), (2**62, 0, 4)]
    with writing(old):
        old.conn.executemany(
            "INSERT INTO dedup_bands (key, day, article_id) VALUES (?, ?, ?)", rows
        )
    old.close()
    db = store.open_db(tmp_path / "v12.db")
    try:
        got = db.execute("SELECT period, key, day, article_id FROM dedup_bands").fetchall()
        assert sorted(got) == sorted((d // dedup.BAND_PERIOD_DAYS, k, d, a) for k, d, a in rows)
    finally:
        db.close()
