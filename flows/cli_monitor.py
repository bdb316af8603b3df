"""``newsmon run`` and ``newsmon reparse``: the monitor flow and the archive re-parser.

:func:`register` adds both to the parser; ``flows.cli.build_parser`` calls it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.cli_common import (
    DEFAULT_CONFIG,
    DEFAULT_DB,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    _check_store,
    _err,
    _offline_prefect_defaults,
)

if TYPE_CHECKING:
    from flows.config import Config


_STAGES = {
    "discover": "discovering",
    "fetch": "fetching",
    "parse": "parsing",
    "store": "storing",
    "files": "reading files",
    "done": "done",
}


def _load(config_path: str) -> Config | None:
    from flows.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        _err(f"{len(exc.messages)} problem(s) in {config_path}; nothing was fetched")
        return None


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def source_line(r: dict[str, Any]) -> str:
    """One line per source: what happened, in words a user acts on."""
    name = r["name"]
    from store.health import SourceStatus

    says_why = (
        SourceStatus.UNREACHABLE,
        SourceStatus.FAILED,
        SourceStatus.BACKING_OFF,
        SourceStatus.DISABLED,
    )
    if r["status"] in says_why and r["message"]:
        head = f"{name}: {r['message']}"
        if r["status"] == SourceStatus.FAILED:
            head = f"{name}: failed: {r['message']}"
        if r["new"] or r["duplicates"]:
            head += f" ({r['new']} new, {r['duplicates']} duplicates from earlier queues)"
        return head
    parts = [
        f"{r['discovered']} discovered",
        f"{r['new']} new",
        _n(r["duplicates"], "duplicate"),
        f"{r['not_modified']} not modified",
    ]
    if r["robots"]:
        parts.append(f"{r['robots']} skipped by robots.txt")
    if r.get("not_articles"):
        parts.append(f"{r['not_articles']} not articles (skipped)")
    if r["files"]:
        parts.append(_n(r["files"], "file") + " read")
    parts.append(_n(r["errors"], "error"))
    if r["pending"]:
        parts.append(f"{r['pending']} still queued")
    line = f"{name}: " + ", ".join(parts)
    if r.get("cut_short"):
        line += f" (cut short by the run's time limit: {r['cut_short']} left for the next run)"
    return line


def cmd_run(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    if cfg is None:
        return EXIT_FAILED
    names = {s.name for s in cfg.sources}
    unknown = [n for n in (args.source or []) if n not in names]
    if unknown:
        _err(
            f"unknown source(s): {', '.join(unknown)}; {args.config} has: "
            f"{', '.join(sorted(names))}"
        )
        return EXIT_USAGE
    db_path = args.db or cfg.settings.db
    if not _check_store(db_path):
        return EXIT_FAILED
    _offline_prefect_defaults()
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from store.lock import RunLock, RunLocked

    selected = args.source or [s.name for s in cfg.sources]
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[counts]}", style="dim"),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    lock = RunLock(db_path, flow="monitor-news", wait=cfg.settings.run_lock_wait)
    try:
        # Taken here too, so that a run that cannot start says why in one line, before
        # Prefect starts; the flow takes it again (the same process may) for other callers.
        lock.acquire()
    except RunLocked as exc:
        _err(str(exc))
        return EXIT_FAILED
    try:
        return _run_locked(args, cfg, db_path, selected, progress)
    finally:
        lock.release()


def _run_locked(
    args: argparse.Namespace, cfg: Config, db_path: str, selected: list[str], progress: Any
) -> int:
    from flows import run
    from store.lock import RunLocked

    bars = {}

    def hook(name: str, stage: str, counts: dict[str, Any]) -> None:
        bar = bars.get(name)
        if bar is None:
            return
        text = (
            f"{counts['discovered']} discovered, {counts['new']} new, "
            f"{counts['duplicates']} dup, {counts['errors']} errors"
        )
        progress.update(bar, description=f"{name}: {_STAGES.get(stage, stage)}", counts=text)

    params = {
        "config": args.config,
        "sources": args.source or None,
        "db": db_path,
        "honor_backoff": args.honor_backoff,
    }
    with progress:
        for name in selected:
            bars[name] = progress.add_task(f"{name}: waiting", total=None, counts="")
        run.progress_hook = hook
        try:
            if os.environ.get("PREFECT_API_URL"):
                # A Prefect server is configured: the run is a flow run there, its stages
                # task runs, its summary an artifact.
                from flows import monitor

                result = asyncio.run(monitor.monitor_news(**params))
            else:
                # No server: the same run without Prefect (recorded in the store's runs
                # table all the same); nothing to start, nothing left behind.
                result = asyncio.run(run.run_monitor(**params))
        except RunLocked as exc:
            _err(str(exc))
            return EXIT_FAILED
        except Exception as exc:  # noqa: BLE001 - report, do not dump a traceback on users
            _err(f"the run failed: {type(exc).__name__}: {exc}")
            return EXIT_FAILED
        finally:
            run.progress_hook = None
    for r in result["sources"]:
        print(source_line(r))
    print(
        f"total: {result['new']} new, {_n(result['duplicates'], 'duplicate')}, "
        f"{_n(result['errors'], 'error')}, {_n(result['requests'], 'request')} "
        f"in {result['seconds']:.1f} s"
    )
    print(f"store: {db_path} (run {result['run_id']})")
    return EXIT_OK


def cmd_reparse(args: argparse.Namespace) -> int:
    cfg = _load(args.config) if Path(args.config).exists() else None
    if cfg is None and Path(args.config).exists():
        return EXIT_FAILED  # its problems are printed
    db_path = args.db or (cfg.settings.db if cfg is not None else DEFAULT_DB)
    if not Path(db_path).exists():
        _err(f"no store at {db_path}")
        return EXIT_FAILED
    if not _check_store(db_path):
        return EXIT_FAILED
    _offline_prefect_defaults()
    from flows.config import Settings
    from store.lock import RunLock, RunLocked

    wait = cfg.settings.run_lock_wait if cfg is not None else Settings().run_lock_wait
    lock = RunLock(db_path, flow="reparse-archive", wait=wait)
    params = {
        "db": db_path,
        "source": args.source,
        "config": args.config if os.path.exists(args.config) else None,
    }
    try:
        lock.acquire()
        if os.environ.get("PREFECT_API_URL"):
            # A Prefect server is configured: the reparse is a flow run there.
            from flows import reparse

            result = asyncio.run(reparse.reparse_archive(**params))
        else:
            # No server: the same reparse without Prefect, recorded in the store.
            from flows.reparsing import reparse_store

            result = asyncio.run(reparse_store(**params))
    except RunLocked as exc:
        _err(str(exc))
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001
        _err(f"reparse failed: {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    finally:
        lock.release()
    print(
        f"{result['pages']} archived pages re-parsed: {result['new']} new, "
        f"{result['duplicates']} duplicates, {result['revisions']} revisions, "
        f"{result['errors']} errors"
    )
    print(f"store: {db_path} (run {result['run_id']})")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``run`` and ``reparse`` to the newsmon command line."""
    p = sub.add_parser("run", help="watch the configured sources once: discover, fetch, store")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"default {DEFAULT_CONFIG}")
    p.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeat for several)"
    )
    p.add_argument("--db", help="SQLite store (default: settings.db of the configuration)")
    p.add_argument(
        "--honor-backoff",
        action="store_true",
        help="skip sources still backing off after failures (as scheduled runs do)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("reparse", help="rebuild records from archived responses (no network)")
    p.add_argument("--source", help="only pages of this source")
    p.add_argument("--db", help="SQLite store (default: settings.db of the configuration)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_reparse)
