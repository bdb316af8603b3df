"""Fixtures for the web-watching tests: the offline replica on 127.0.0.1, and configs for it.

A fresh replica per test: its request log and its stateful pages (a 429 once, then 200)
start clean, and starting six threaded servers costs milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.replica import Replica

__all__ = ["replica", "replica_config"]


@pytest.fixture
def replica() -> Iterator[Replica]:
    r = Replica(latency=0.0).start()
    r.sites["flaky"].slow_seconds = 2.0  # above the tests' read timeout, kept short
    try:
        yield r
    finally:
        r.stop()


#: The replica timestamps a request when its handler thread has parsed it; under load that
#: thread can be scheduled late by a few milliseconds, which shortens the gap it sees.
JITTER = 0.02

#: Test settings: fast intervals and timeouts, loopback allowed, 10.0.0.0/8 still refused.
FAST_SETTINGS: dict[str, Any] = {
    "per_host_interval": 0.2,
    "retries": 1,
    "retry_backoff": 0.05,
    "retry_after_max": 5,
    "batch_size": 5,
    "max_response_bytes": 500_000,
}
FAST_TIMEOUTS = {"connect": 1.0, "read": 0.6, "total": 5.0}


@pytest.fixture
def replica_config(replica: Replica, tmp_path: Path) -> Callable[..., Path]:
    """Write a configuration for this replica: ``replica_config(settings={...}, sources=[...])``."""

    def make(
        *,
        settings: dict[str, Any] | None = None,
        timeouts: dict[str, float] | None = None,
        sources: list[str] | None = None,
        name: str = "newsmon.toml",
    ) -> Path:
        db = str(tmp_path / "news.db")
        text = replica.config(
            settings={**FAST_SETTINGS, "db": db, **(settings or {})},
            timeouts={**FAST_TIMEOUTS, **(timeouts or {})},
            sources=sources,
        )
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def run_monitor(config: Path | str, **kwargs: Any) -> dict[str, Any]:
    """Run the real Prefect flow (needs the session's Prefect server)."""
    from flows.monitor import monitor_news

    return asyncio.run(monitor_news(config=str(config), **kwargs))
