"""Telling someone when a source fails, goes quiet, or its site changes layout.

The monitor calls :func:`check_and_alert` at the end of each run: it refreshes the
``source_health`` table, raises each new condition once (recorded in ``alerts`` before it
is sent, so a crash mid-send never sends twice), and closes alerts whose condition cleared,
so a recurrence is sent again. Notifications go through Apprise, so any of its URLs works
(``mailto://``, ``ntfy://``, ``tgram://``, ``slack://``, ``json://`` to your own endpoint...).

Where the URLs come from, in order (all are used):
- the configuration's ``[alerts] urls = [...]``;
- the environment variable ``NEWSMON_ALERT_URLS`` (whitespace- or comma-separated), which
  also keeps tokens out of a configuration file that may be shared.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

import store
from store import health
from store.health import Alert, Thresholds

if TYPE_CHECKING:
    from flows.config import Config

__all__ = ["Alert", "alert_urls", "check_and_alert", "send", "thresholds_of"]

log = logging.getLogger("newsmon.alerts")

ENV_URLS = "NEWSMON_ALERT_URLS"


def alert_urls(config: Config | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """Apprise URLs from the config and ``NEWSMON_ALERT_URLS``, without duplicates."""
    urls: list[str] = list(config.alerts.urls) if config is not None else []
    env = (environ if environ is not None else os.environ).get(ENV_URLS, "")
    urls += [u for u in re.split(r"[\s,]+", env) if u]
    return list(dict.fromkeys(u.strip() for u in urls if u and u.strip()))


def thresholds_of(config: Config | None = None) -> Thresholds:
    return config.alerts.thresholds if config is not None else Thresholds()


def _redacted(url: str) -> str:
    """The URL as Apprise prints it with secrets hidden (tokens must not land in the store)."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if not plugin:
        return url.split("://", 1)[0] + "://(invalid)"
    return plugin.url(privacy=True)


def send(urls: Sequence[str], title: str, body: str) -> list[dict[str, Any]]:
    """Send one notification to each URL separately; one result per URL.

    Separately, so one dead endpoint neither hides the others' success nor their failure.
    """
    import apprise

    results = []
    for url in urls:
        target = _redacted(url)
        notifier = apprise.Apprise()
        if not notifier.add(url):
            results.append({"url": target, "ok": False, "error": "not a valid Apprise URL"})
            continue
        try:
            ok = bool(
                notifier.notify(title=title, body=body, notify_type=apprise.NotifyType.WARNING)
            )
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not stop the run
            results.append({"url": target, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
            continue
        results.append({"url": target, "ok": ok, "error": None if ok else "delivery failed"})
    return results


def _configured(config: Config | None) -> tuple[list[str] | None, dict[str, bool]]:
    """The enabled sources' names (None without configured sources: every source in the
    store counts), and whether each has a site profile."""
    if config is None or not config.sources:
        return None, {}
    enabled = [src for src in config.sources if src.enabled]
    return [src.name for src in enabled], {src.name: bool(src.profile) for src in enabled}


def _load(config: Config | str | Path | None) -> Config | None:
    if isinstance(config, str | Path):
        from flows.config import load_config

        return load_config(config)
    return config


def check_and_alert(
    db: str | Path | sqlite_utils.Database,
    config: Config | str | Path | None = None,
    *,
    run_id: str | None = None,
    urls: Sequence[str] | None = None,
) -> list[Alert]:
    """Refresh source health, send each new condition once, close cleared ones.

    ``db``: a path or an open store; ``config``: a loaded Config or its path (None: no
    configured sources, URLs from the environment only); ``run_id``: the calling run when it
    is still marked 'running'; ``urls``: override the configured Apprise URLs.
    Returns the alerts raised by this call (each with its delivery results). With no URL
    configured, alerts are still recorded, so `newsmon status` and Datasette show them.
    """
    cfg = _load(config)
    own = not isinstance(db, sqlite_utils.Database)
    database = store.open_db(db) if own else db
    try:
        sources, profiles = _configured(cfg)
        healths = health.refresh(
            database,
            thresholds=thresholds_of(cfg),
            sources=sources,
            profiles=profiles,
            run_id=run_id,
        )
        to_raise, cleared = health.plan_alerts(database, healths)
        health.clear_alerts(database, cleared)
        targets = list(urls) if urls is not None else alert_urls(cfg)
        for alert in to_raise:
            health.record_alert(database, alert, run_id=run_id)
            if targets:
                alert.delivery = send(targets, alert.title, alert.message)
                alert.sent_to = sum(1 for d in alert.delivery if d["ok"])
                alert.failed_to = len(alert.delivery) - alert.sent_to
                health.record_delivery(database, alert)
            log.warning("%s (%s)", alert.title, alert.message.splitlines()[0])
        if cleared:
            log.info("%d alert(s) cleared", len(cleared))
        return to_raise
    finally:
        if own:
            database.close()
