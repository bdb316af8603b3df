"""The flows as deployed: what an unattended run needs on top of the flows themselves.

Prefect 3.8.8 has no deployment-level retries or time limit (a process work pool's job
variables are command, env, working directory...), so they are flow options, set here with
``with_options`` rather than in flows/, where interactive `newsmon run` keeps failing fast.

- ``retries`` (NEWSMON_RUN_RETRIES, default 1) after ``NEWSMON_RUN_RETRY_DELAY`` seconds
  (default 300): a run that failed as a whole (the store busy with a long reparse, a full
  disk) is tried once more; per-source failures never fail a run, so they are not retried.
- ``timeout_seconds`` (NEWSMON_RUN_TIMEOUT, default 3600): a hung run is stopped and marked
  TimedOut, so it releases the deployment's one concurrency slot.

Flow names are unchanged, so the deployments are still ``monitor-news/monitor-news`` etc.
"""

from __future__ import annotations

import os
from typing import Any

from flows.ingest import ingest_files
from flows.monitor import monitor_news as _monitor_news
from flows.reparse import reparse_archive

RUN_RETRIES = int(os.environ.get("NEWSMON_RUN_RETRIES", "1"))
RUN_RETRY_DELAY = float(os.environ.get("NEWSMON_RUN_RETRY_DELAY", "300"))
RUN_TIMEOUT = float(os.environ.get("NEWSMON_RUN_TIMEOUT", "3600"))

monitor_news = _monitor_news.with_options(
    retries=RUN_RETRIES,
    retry_delay_seconds=RUN_RETRY_DELAY,
    timeout_seconds=RUN_TIMEOUT,
)

reparse = reparse_archive.with_options(timeout_seconds=RUN_TIMEOUT * 4)


def reparse_parameters(config: str, db: str) -> dict[str, Any]:
    """Default parameters for the reparse deployment."""
    return {"config": config, "db": db}


__all__ = ["ingest_files", "monitor_news", "reparse", "reparse_parameters"]
