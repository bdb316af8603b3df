"""Operations subcommands: `newsmon status` (source health, alerts) and `newsmon serve`.

:func:`register` adds them to the parser; ``flows.cli.build_parser`` calls it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flows.cli_common import (
    DEFAULT_CONFIG,
    DEFAULT_DB,
    EXIT_FAILED,
    EXIT_OK,
    _err,
    _offline_prefect_defaults,
)

STATUS_COLUMNS = (
    ("source", "source"),
    ("status", "status"),
    ("runs", "runs"),
    ("last_success_at", "last success"),
    ("consecutive_failures", "fails in a row"),
    ("new_last_run", "new (last run)"),
    ("median_new", "median new/run"),
    ("zero_new_runs", "runs without new"),
    ("short_share", "short bodies"),
    ("profile_share", "via profile"),
    ("next_due", "next due"),
)


def _config(path: str | None) -> Any:
    """The loaded configuration, or None when absent; a broken one is reported, not fatal."""
    if not path or not Path(path).exists():
        return None
    from flows.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        _err(f"configuration not used ({exc.messages[0]})")
        return None


def _fmt(name: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    if name.endswith("_share"):
        return f"{float(value):.0%}"
    if name.endswith("_at") or name == "next_due":
        return str(value).replace("T", " ")[:16]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


STYLE = {"ok": "green", "new": "cyan", "unknown": "dim"}


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    import store
    from flows import alerts
    from store import fetchstate, health

    config = _config(args.config)
    db_path = args.db or (config.settings.db if config else DEFAULT_DB)
    if not Path(db_path).exists():
        _err(f"no store at {db_path}: run `newsmon run` first (or pass --db)")
        return EXIT_FAILED
    try:
        db = store.open_db(db_path)
    except store.StoreError as exc:
        _err(str(exc))
        return EXIT_FAILED
    try:
        if args.refresh:
            sources, profiles = alerts._configured(config)
            health.refresh(
                db, thresholds=alerts.thresholds_of(config), sources=sources, profiles=profiles
            )
        rows = health.read_health(db)
        open_alerts = list(db["alerts"].rows_where("state = 'open'", order_by="opened_at"))
        runs = list(
            db.query(
                "SELECT id, flow, started_at, status, new, duplicates, errors FROM runs "
                "ORDER BY started_at DESC LIMIT ?",
                [args.runs],
            )
        )
        week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
        given_up = fetchstate.given_up(db, since=week_ago)
    finally:
        db.close()
    if args.json:
        print(
            json.dumps(
                {"sources": rows, "alerts": open_alerts, "runs": runs, "given_up": given_up},
                indent=2,
            )
        )
        return EXIT_OK
    _print_status(db_path, rows, open_alerts, runs, given_up)
    return EXIT_OK


def _print_status(
    db_path: str,
    rows: list[dict],
    open_alerts: list[dict],
    runs: list[dict],
    given_up: list[dict] | None = None,
):
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"Source health ({db_path})", title_justify="left")
    for _, header in STATUS_COLUMNS:
        table.add_column(header, overflow="fold")
    for row in rows:
        style = STYLE.get(row["status"], "bold red")
        table.add_row(
            *(_fmt(name, row.get(name)) for name, _ in STATUS_COLUMNS),
            style=style,
        )
    if not rows:
        table.caption = "no monitor runs recorded yet"
    console.print(table)
    problems = [r for r in rows if r.get("problems")]
    for row in problems:
        console.print(f"[bold red]{row['source']}[/]: {row['problems']}")
    if open_alerts:
        at = Table(title="Open alerts", title_justify="left")
        for header in ("opened", "source", "condition", "sent to", "failed"):
            at.add_column(header)
        for a in open_alerts:
            at.add_row(
                _fmt("opened_at", a["opened_at"]),
                a["source"],
                a["condition"],
                str(a["sent_to"]),
                str(a["failed_to"]),
            )
        console.print(at)
    if runs:
        rt = Table(title="Recent runs", title_justify="left")
        for header in ("started", "flow", "status", "new", "duplicates", "errors", "run"):
            rt.add_column(header)
        for r in runs:
            rt.add_row(
                _fmt("started_at", r["started_at"]),
                r["flow"] or "-",
                r["status"] or "-",
                str(r["new"]),
                str(r["duplicates"]),
                str(r["errors"]),
                str(r["id"])[:8],
            )
        console.print(rt)
    if given_up:
        gt = Table(title="Articles given up in the last 7 days", title_justify="left")
        for header in ("when", "source", "url", "attempts", "why"):
            gt.add_column(header, overflow="fold")
        for g in given_up:
            gt.add_row(
                _fmt("updated_at", g["updated_at"]),
                g["source"] or "-",
                (g["url"] or "")[:120],
                str(g["attempts"]),
                (g["last_error"] or "")[:200],
            )
        console.print(gt)


def cmd_serve(args: argparse.Namespace) -> int:
    _offline_prefect_defaults()
    from deployments import serve

    if not Path(args.config).exists():
        _err(f"{args.config}: no such configuration file")
        return EXIT_FAILED
    try:
        serve.check_server()
    except serve.ServerUnavailable as exc:
        _err(str(exc))
        return EXIT_FAILED
    from flows.config import ConfigError

    try:
        serve.serve(args.config, limit=args.limit)
    except ConfigError as exc:
        _err(str(exc))
        return EXIT_FAILED
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="source health (failures, silence, extraction canary) and open alerts",
        description="Refresh and print each source's health, the open alerts and recent runs.",
    )
    p.add_argument("--db", help="SQLite store (default: the config's [settings] db)")
    p.add_argument("--config", default=DEFAULT_CONFIG, help="configuration (optional)")
    p.add_argument(
        "--no-refresh",
        dest="refresh",
        action="store_false",
        help="show the table as the last run left it (do not write to the store)",
    )
    p.add_argument("--runs", type=int, default=5, help="recent runs to list (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=cmd_status)

    from deployments.serve import SERVE_HELP

    p = sub.add_parser(
        "serve",
        help="run the schedules in this process (needs a Prefect server)",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--limit", type=int, default=None, help="most flow runs at once")
    p.set_defaults(func=cmd_serve)
