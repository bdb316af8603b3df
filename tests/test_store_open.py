"""Opening the store: a store SQLite can only read is refused up front with one sentence,
every command that writes says so in one line and exits 1 (no traceback), and
`serve-db` never creates a store it was asked to browse.

Read-only is made real in two ways, since the tests run as root (for whom permission
bits do not stop writes): SQLite's own read-only mode (``mode=ro``), which refuses writes
whoever runs it, and a 0444 file opened by an unprivileged user (``setpriv``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

import store
from flows import cli
from flows.cli import main
from store import db as store_db

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534


def _make_store(path: Path) -> Path:
    store.open_db(path).close()
    return path


@pytest.fixture
def read_only(monkeypatch):
    """Make SQLite open the given store files read-only (``mode=ro``), as it does by
    itself with a file the user may not write."""
    targets: set[str] = set()
    real_connect = sqlite3.connect

    def connect(database, *args, **kwargs):
        if str(database) in targets:
            uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"
            return real_connect(uri, *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(store_db.sqlite3, "connect", connect)
    return targets.add


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_a_read_only_store_is_refused_when_opened(tmp_path, read_only):
    path = _make_store(tmp_path / "x.db")
    read_only(str(path))
    with pytest.raises(store.StoreError) as info:
        store.open_db(path)
    assert str(info.value) == (
        f"the store {path} is read-only (SQLite could only open it for reading): newsmon "
        "needs to write to it; check its permissions or use --db"
    )
    # a reader may still open it
    db = store.open_db(path, writable=False)
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    db.close()


def _commands(tmp_path: Path, db: Path) -> dict[str, list[str]]:
    folder = tmp_path / "files"
    folder.mkdir(exist_ok=True)
    (folder / "a.txt").write_text("Title\n\nSome text about Baku.\n", encoding="utf-8")
    config = tmp_path / "newsmon.toml"
    config.write_text(f'[[sources]]\nname = "Local"\nfiles = ["{folder}"]\n', encoding="utf-8")
    absent = str(tmp_path / "absent.toml")
    return {
        "ingest": ["ingest", str(folder), "--db", str(db), "--config", absent],
        "status": ["status", "--db", str(db), "--config", absent],
        "run": ["run", "--config", str(config), "--db", str(db)],
        "reparse": ["reparse", "--db", str(db), "--config", absent],
    }


@pytest.mark.parametrize("command", ["ingest", "status", "run", "reparse"])
def test_commands_that_write_exit_1_with_one_line(tmp_path, read_only, capsys, command):
    path = _make_store(tmp_path / "data" / "x.db")
    before = path.read_bytes()
    read_only(str(path))
    assert main(_commands(tmp_path, path)[command]) == 1
    line = _one_line_error(capsys)
    assert line.startswith(f"newsmon: the store {path} is read-only ("), line
    assert line.endswith("newsmon needs to write to it; check its permissions or use --db")
    assert path.read_bytes() == before


def _can_switch_user() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv") is not None


@pytest.mark.skipif(not _can_switch_user(), reason="needs root and setpriv to act as 'nobody'")
@pytest.mark.parametrize("command", ["ingest", "status", "run", "reparse"])
def test_a_file_the_user_may_not_write_is_refused_for_real(command):
    # tmp_path lies in folders only root may enter: use a folder 'nobody' can write in
    work = Path(tempfile.mkdtemp(prefix="newsmon-ro-"))
    try:
        work.chmod(0o777)
        path = _make_store(work / "x.db")
        path.chmod(0o444)
        home = work / "home"
        home.mkdir()
        home.chmod(0o777)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "PREFECT_HOME": str(home / "prefect"),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        argv = _commands(work, path)[command]
        (work / "files").chmod(0o777)
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
        probe = subprocess.run(
            [*as_nobody, sys.executable, "-c", "import flows.cli; open(flows.cli.__file__)"],
            **run,
        )
        if probe.returncode != 0:
            pytest.skip(f"'nobody' cannot run this checkout's Python: {probe.stderr[-300:]}")
        code = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run([*as_nobody, sys.executable, "-c", code, *argv], **run)
        lines = done.stderr.splitlines()
        assert done.returncode == 1, done.stderr
        assert lines == [
            f"newsmon: the store {path} is read-only (file permissions): newsmon needs to "
            "write to it; check its permissions or use --db"
        ], done.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_any_sqlite_error_while_opening_is_a_store_error(tmp_path):
    with pytest.raises(store.StoreError, match="cannot open the store"):
        store.open_db(tmp_path / "a\x00b.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all " * 200)
    with pytest.raises(store.StoreError) as info:
        store.open_db(garbage)
    assert str(info.value) == (
        f"{garbage} is not a newsmon store (not an SQLite database file); check --db"
    )


# --------------------------------------------------------------------------- serve-db
@pytest.fixture
def no_exec(monkeypatch):
    """serve-db ends by replacing the process with Datasette: record it instead."""
    calls: list[list[str]] = []

    def execvp(file, argv):
        calls.append(list(argv))
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execvp", execvp)
    return calls


def test_serve_db_serves_only_a_store_that_exists(tmp_path, capsys, no_exec, read_only):
    typo = tmp_path / "sub" / "typo.db"
    no_config = str(tmp_path / "none.toml")
    assert main(["serve-db", "--db", str(typo), "--config", no_config]) == 1
    assert _one_line_error(capsys) == (
        f"newsmon: no store at {typo}; run newsmon ingest or newsmon run first, or check --db"
    )
    assert no_exec == []
    assert not typo.parent.exists()
    assert list(tmp_path.iterdir()) == []

    # an existing store is served, even one newsmon may not write (Datasette only reads)
    path = _make_store(tmp_path / "x.db")
    read_only(str(path))
    with pytest.raises(SystemExit):
        main(["serve-db", "--db", str(path), "--config", no_config])
    assert len(no_exec) == 1 and str(path) in no_exec[0]
    assert "is read-only" not in capsys.readouterr().err
