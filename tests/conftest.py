"""Shared test fixtures: the corpus by path, an isolated offline Prefect server per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["tests.conftest_replica"]

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Prefect must run offline and isolated: set before anything imports prefect.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsmon-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_API_KEY", None)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a clear message when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is not beside the repository)")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return shared_path("seeds")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Prefect server exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Prefect server not healthy after {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """One real local Prefect server (SQLite-backed) for the whole test session.

    Flows run in-process against it; subprocesses (CLI, workers) get its URL
    through PREFECT_API_URL.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = tmp_path_factory.mktemp("prefect") / "server.log"
    prefect = Path(sys.executable).with_name("prefect")
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"},
            start_new_session=True,
        )
    try:
        _wait_healthy(url, proc, log)
        os.environ["PREFECT_API_URL"] = url
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def cli_env(prefect_server: str) -> dict[str, str]:
    """Environment for running `newsmon` as a user would, against the session's server."""
    return {**os.environ, "PREFECT_API_URL": prefect_server}


def newsmon_bin() -> str:
    exe = Path(sys.executable).with_name("newsmon")
    return str(exe) if exe.exists() else shutil.which("newsmon") or "newsmon"
