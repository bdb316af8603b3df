"""One-process mode: `newsmon serve` runs the schedules without a work pool or a worker.

``prefect.serve`` registers the same deployments as ``deployments/prefect.yaml`` (same
names, same cron and time zone from newsmon.toml, same one-run-at-a-time rule) and runs
their flow runs as subprocesses of this process. It still needs a Prefect server: the
server keeps the schedules and creates the runs; this process only executes them. Start one
with ``make server`` (or ``prefect server start``) and point ``PREFECT_API_URL`` at it.

Use either this or a worker (``make deploy`` + ``make worker``), not both: they register
deployments of the same names, and the last one to register wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from deployments.render import REPO

#: Relative to the checkout (serve works from there).
ENTRYPOINTS = "deployments/entrypoints.py"

SERVE_HELP = """\
Run newsmon's schedules in this process: monitor-news on the cron schedule and time zone
of newsmon.toml ([settings] schedule, timezone), never two runs at once, plus the manual
deployments ingest-files and reparse. Stop with Ctrl-C; the schedules stay active on the
server (pause_on_shutdown is off) and resume when serve starts again.

This needs a running Prefect server, which keeps the schedules and creates the runs:
  make server                                   # or: prefect server start --host 127.0.0.1
  export PREFECT_API_URL=http://127.0.0.1:4200/api
  newsmon serve --config newsmon.toml
Trigger a run by hand from another shell:
  prefect deployment run 'monitor-news/monitor-news'
For several machines, use a work pool and workers instead (make deploy, make worker;
see docs/operations.md).
"""


class ServerUnavailable(RuntimeError):
    """No Prefect server to register the schedules with."""


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def check_server(url: str | None = None, *, timeout: float = 5.0) -> str:
    """The server's API URL, or ServerUnavailable saying how to start one.

    Without PREFECT_API_URL, Prefect would start a throw-away server inside this process:
    schedules would vanish with it and nothing else could see or trigger the runs.
    """
    url = url or api_url()
    how = (
        "start one with `make server` (or `prefect server start --host 127.0.0.1`) and set "
        "PREFECT_API_URL=http://127.0.0.1:4200/api"
    )
    if not url:
        raise ServerUnavailable(f"newsmon serve needs a Prefect server and PREFECT_API_URL: {how}")
    import httpx  # here, not at the top: the CLI imports this module for its help text

    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ServerUnavailable(f"no Prefect server answers at {url} ({exc}): {how}") from exc
    return url


def build_deployments(config: str | os.PathLike = "newsmon.toml") -> list[Any]:
    """The served deployments, with the schedule and paths taken from the configuration.

    Call it from the checkout (entrypoints are relative paths).
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    from deployments import entrypoints
    from flows.config import load_config

    path = Path(config).resolve()
    cfg = load_config(path)
    db = Path(cfg.settings.db)
    # Runs work in the checkout, where a relative path from the config points.
    db = db if db.is_absolute() else (REPO / db).resolve()
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    # From the entrypoints module, not the flow objects: a served run loads its flow again in
    # a subprocess, and must get the deployed options (retries, time limit) with it.
    deployments = [
        RunnerDeployment.from_entrypoint(
            f"{ENTRYPOINTS}:monitor_news",
            name="monitor-news",
            schedules=[Cron(cfg.settings.schedule, timezone=cfg.settings.timezone)],
            parameters={"config": str(path)},
            concurrency_limit=one_at_a_time,
            tags=["newsmon"],
            description="Discover, fetch, extract and store new articles from every source.",
        ),
        RunnerDeployment.from_entrypoint(
            "flows/ingest.py:ingest_files",
            name="ingest-files",
            parameters={"db": str(db)},
            tags=["newsmon"],
            description="Ingest local files (text exports, HTML, JSON Lines); pass `paths`.",
        ),
    ]
    deployments.append(
        RunnerDeployment.from_entrypoint(
            f"{ENTRYPOINTS}:reparse",
            name="reparse",
            parameters=entrypoints.reparse_parameters(str(path), str(db)),
            tags=["newsmon"],
            concurrency_limit=one_at_a_time,
            description="Re-extract archived pages with the current parsers.",
        )
    )
    return deployments


def serve(config: str | os.PathLike = "newsmon.toml", *, limit: int | None = None) -> None:
    """Register the deployments and run their flow runs until interrupted."""
    from prefect import serve as prefect_serve

    check_server()
    config = Path(config).resolve()
    # Entrypoints are recorded relative to the working directory, and runs start there:
    # the checkout, whatever directory serve was started from.
    os.chdir(REPO)
    deployments = build_deployments(config)
    prefect_serve(*deployments, pause_on_shutdown=False, limit=limit)
