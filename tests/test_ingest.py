"""End to end: the real Prefect ingest flow and the `newsmon ingest` command on a real SQLite file."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess

import sqlite_utils

from flows.ingest import ingest_files
from tests.conftest import newsmon_bin


def _run(paths, db):
    return asyncio.run(ingest_files(paths=[str(p) for p in paths], db=str(db)))


def test_seeds_twice_give_five_articles(prefect_server, seeds_dir, tmp_path):
    db_path = tmp_path / "news.db"
    first = _run([seeds_dir], db_path)
    assert (first["files"], first["new"], first["duplicates"], first["errors"]) == (5, 5, 0, 0)
    second = _run([seeds_dir], db_path)
    assert (second["new"], second["duplicates"]) == (0, 5)

    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 5
    assert db["sightings"].count == 5
    rows = {r["title"]: r for r in db.query("SELECT * FROM articles") if r["title"]}
    trend = rows[
        "Azerbaijan-China interests form wide base for enhancing mutual co-op - political analyst"
    ]
    assert trend["author"] == "Ali Gasimov"
    assert trend["published_at"] == "2025-04-22T20:20:00+04:00"
    assert trend["section"] == "Politics"
    assert trend["url"].startswith("file://") and trend["url"].endswith(".txt")
    runs = list(db.query("SELECT * FROM runs ORDER BY started_at"))
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert [(r["new"], r["duplicates"]) for r in runs] == [(5, 0), (0, 5)]
    # Full-text search finds the Trend article by a word of its body.
    hits = list(
        db.query(
            "SELECT a.author FROM articles_fts f JOIN articles a ON a.id = f.rowid "
            "WHERE articles_fts MATCH 'Garayev'"
        )
    )
    assert hits == [{"author": "Ali Gasimov"}]


def test_flow_leaves_a_markdown_artifact(prefect_server, seeds_dir, tmp_path):
    from prefect.client.orchestration import get_client

    result = _run([seeds_dir], tmp_path / "a.db")

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts()

    arts = [a for a in asyncio.run(artifacts()) if a.key == "ingest-summary"]
    assert arts, "no ingest-summary artifact"
    latest = max(arts, key=lambda a: a.created)
    assert "| files | records | new |" in latest.data
    assert str(result["new"]) in latest.data


def _bad_inputs(tmp_path, seeds_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    cyr = (
        "Баку, 22 апреля. Китай и Азербайджан договорились расширить сотрудничество в сфере "
        "транспорта и логистики, сообщили в министерстве.\n\nСтороны обсудили грузоперевозки."
    )
    (folder / "cp1251.txt").write_bytes(cyr.encode("windows-1251"))
    with open(folder / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: cheap to make
    packed = gzip.compress(next(seeds_dir.glob("000_*.txt")).read_bytes())
    (folder / "truncated.txt.gz").write_bytes(packed[: len(packed) // 2])
    lines = [
        json.dumps(
            {
                "url": "https://example.az/a/1",
                "title": "JSON one",
                "source": "Example",
                "published_at": "2025-04-22T10:00:00+04:00",
                "text": "A first JSON Lines article about Baku and Beijing cooperation.",
            }
        ),
        "{not json",
        json.dumps({"url": "https://example.az/a/2", "title": "No text"}),
    ]
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    good = next(seeds_dir.glob("002_*.txt"))
    (folder / "good.txt.gz").write_bytes(gzip.compress(good.read_bytes()))
    return folder


def test_bad_input_is_reported_and_the_rest_ingested(prefect_server, seeds_dir, tmp_path):
    folder = _bad_inputs(tmp_path, seeds_dir)
    db_path = tmp_path / "bad.db"
    result = _run([folder, tmp_path / "does-not-exist"], db_path)
    messages = {
        (e["item"].rsplit("/", 1)[-1], e["stage"]): e["message"] for e in result["error_list"]
    }
    assert "empty file" in messages[("empty.txt", "read")]
    assert "binary" in messages[("binary.txt", "read")]
    assert "too large" in messages[("huge.txt", "read")]
    assert "gzip" in messages[("truncated.txt.gz", "read")]
    assert "no such file" in messages[("does-not-exist", "read")]
    assert "not valid JSON" in messages[("feed.jsonl:2", "parse")]
    assert "no text" in messages[("feed.jsonl:3", "parse")]

    db = sqlite_utils.Database(db_path)
    titles = {r["title"] for r in db.query("SELECT title FROM articles")}
    assert "JSON one" in titles
    assert any(t and t.startswith("Azerbaijan-China interests") for t in titles)
    texts = [r["text"] for r in db.query("SELECT text FROM articles")]
    assert any(t.startswith("Баку, 22 апреля. Китай") for t in texts)  # windows-1251 decoded
    errors = db["run_errors"].count
    assert errors == result["errors"] >= 7
    run = next(db.query("SELECT * FROM runs"))
    assert run["status"] == "completed" and run["errors"] == errors


def test_cli_ingest_reports_and_exit_codes(cli_env, seeds_dir, tmp_path):
    db_path = tmp_path / "cli.db"
    cmd = [newsmon_bin(), "ingest", str(seeds_dir), "--db", str(db_path)]
    out = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "5 new, 0 duplicates" in out.stdout
    out = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=300)
    assert "0 new, 5 duplicates" in out.stdout

    usage = subprocess.run([newsmon_bin(), "ingest"], env=cli_env, capture_output=True, text=True)
    assert usage.returncode == 2
    bad_store = subprocess.run(
        [newsmon_bin(), "ingest", str(seeds_dir), "--db", str(tmp_path)],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert bad_store.returncode == 1
    assert "directory" in bad_store.stderr


def test_cli_ingest_without_a_prefect_server_starts_nothing_and_is_recorded(seeds_dir, tmp_path):
    """With no Prefect server configured, ``newsmon ingest`` runs without Prefect (it
    started a temporary API server, most of the time of a small ingest): nothing is left
    in PREFECT_HOME, and the run is a row of the store all the same."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    db_path = tmp_path / "cli.db"
    out = subprocess.run(
        [
            newsmon_bin(),
            "ingest",
            str(seeds_dir),
            str(tmp_path / "absent.txt"),
            "--db",
            str(db_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "5 new, 0 duplicates" in out.stdout and "1 errors" in out.stdout
    assert "error [read]" in out.stdout and "absent.txt: no such file" in out.stdout
    db = sqlite_utils.Database(db_path)
    assert db.execute("SELECT flow, status, new, errors FROM runs").fetchall() == [
        ("ingest-files", "completed", 5, 1)
    ]
    home = tmp_path / "prefect-home"
    assert not home.exists() or not any(home.rglob("*.db")), "a Prefect server was started"
