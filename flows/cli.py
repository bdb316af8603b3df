"""The `newsmon` command line. Each subcommand is a thin shell over a flow or a library call.

Exit codes: 0 the command completed (per-item errors are reported and recorded,
not fatal); 1 the store or the configuration cannot be used; 2 bad usage.

:func:`build_parser` lists every subcommand: those defined here, then ``run`` and
``reparse`` (:mod:`flows.cli_monitor`), then ``status`` and ``serve`` (:mod:`flows.cli_ops`).
What those modules share with this one is in :mod:`flows.cli_common`; they never import
this module.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from flows import cli_monitor, cli_ops
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


# --------------------------------------------------------------------------- ingest
def cmd_ingest(args: argparse.Namespace) -> int:
    if not _check_store(args.db):
        return EXIT_FAILED
    _offline_prefect_defaults()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    config = args.config if Path(args.config).exists() else None
    paths = [str(p) for p in args.paths]
    with progress:
        bar = progress.add_task("files", total=None)

        def hook(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        if os.environ.get("PREFECT_API_URL"):
            # A Prefect server is configured: the ingestion is a flow run there, with its
            # summary as an artifact.
            from flows import ingest

            ingest.progress_hook = hook
            try:
                result = asyncio.run(
                    ingest.ingest_files(paths=paths, db=args.db, source=args.source, config=config)
                )
            finally:
                ingest.progress_hook = None
            problems = result["error_list"]
        else:
            # No server: the same ingestion without Prefect, recorded in the store's runs
            # table all the same; nothing to start, nothing left behind.
            from flows.ingestion import ingest_summary, recorded_ingest

            run_id, counts = recorded_ingest(
                args.db, paths, source=args.source, config=config, on_file=hook
            )
            result = ingest_summary(run_id, counts)
            problems = [p.__dict__ for p in counts.problems]
    print(
        f"{result['files']} files, {result['records']} records: {result['new']} new, "
        f"{result['duplicates']} duplicates, {result['revisions']} revisions, "
        f"{result['skipped']} skipped, "
        f"{result['errors']} errors"
    )
    for problem in problems:
        print(f"  error [{problem['stage']}] {problem['item']}: {problem['message']}")
    print(f"store: {args.db} (run {result['run_id']})")
    return EXIT_OK


# --------------------------------------------------------------------------- extract
def cmd_extract(args: argparse.Namespace) -> int:
    from parsers.extract import extract
    from parsers.files import gunzip

    status = EXIT_OK
    for path in args.files:
        p = Path(path)
        try:
            data = p.read_bytes()
            if p.suffix == ".gz":
                data = gunzip(data, str(p))
        except (OSError, ValueError) as exc:
            _err(f"{path}: {exc}")
            status = EXIT_FAILED
            continue
        art = extract(data, url=args.url)
        if args.format == "text":
            print(f"# {art.title or '(no title)'}")
            for name in ("author", "published_at", "section", "language", "page_type", "status"):
                print(f"{name}: {getattr(art, name)}")
            if art.error:
                print(f"error: {art.error}")
            print()
            print(art.text)
        elif args.format == "jsonl":
            print(art.to_json())
        else:
            print(json.dumps(art.to_dict(), ensure_ascii=False, indent=2))
    return status


# --------------------------------------------------------------------------- serve-db
def cmd_serve_db(args: argparse.Namespace) -> int:
    # Browsing never creates a store: a mistyped --db would serve an empty one.
    if not Path(args.db).exists():
        _err(f"no store at {args.db}; run newsmon ingest or newsmon run first, or check --db")
        return EXIT_FAILED
    # Datasette only reads, so a store on read-only media can be browsed.
    if not _check_store(args.db, writable=False):
        return EXIT_FAILED
    from store.datasette import serve_command, write_metadata

    meta_path = Path(args.db).with_suffix(".metadata.json")
    try:
        write_metadata(meta_path, args.db, _topics(args))
    except OSError as exc:
        _err(f"cannot write {meta_path} (Datasette's metadata, beside the store): {exc}")
        return EXIT_FAILED
    argv = serve_command(args.db, args.host, args.port, meta_path)
    print(f"Datasette on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    os.execvp(argv[0], argv)
    return EXIT_OK  # pragma: no cover - exec does not return


def _topics(args: argparse.Namespace) -> list:
    config_path = getattr(args, "config", None) or DEFAULT_CONFIG
    if not Path(config_path).exists():
        return []
    from flows.config import load_config

    try:
        return load_config(config_path).compiled_topics
    except Exception:  # noqa: BLE001 - a broken config must not stop browsing
        return []


# --------------------------------------------------------------------------- topics, export
def _open_store(db_path: str, *, writable: bool = True):
    import store

    try:
        return store.open_db(db_path, writable=writable)
    except store.StoreError as exc:
        _err(str(exc))
        return None


def _config_topics(config_path: str) -> list | None:
    from flows.config import ConfigError, load_config

    try:
        return load_config(config_path).compiled_topics
    except (ConfigError, ValueError, OSError) as exc:
        _err(f"{config_path}: {exc}")
        return None


def cmd_retag(args: argparse.Namespace) -> int:
    topics = _config_topics(args.config)
    db = _open_store(args.db) if topics is not None else None
    if db is None:
        return EXIT_FAILED
    from store.topics import retag

    count = retag(db, topics)
    print(f"{count} topic tags over {db['articles'].count} articles ({len(topics)} topics)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    db = _open_store(args.db, writable=False)  # a read-only store can be exported
    if db is None:
        return EXIT_FAILED
    from store.export import export_articles

    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = export_articles(
                    db, topic=args.topic, since=args.since, fmt=args.format, out=out
                )
        else:
            n = export_articles(
                db, topic=args.topic, since=args.since, fmt=args.format, out=sys.stdout
            )
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    print(f"{n} articles exported", file=sys.stderr)
    return EXIT_OK


def cmd_dedup(args: argparse.Namespace) -> int:
    db = _open_store(args.db)
    if db is None:
        return EXIT_FAILED
    from store import dedup
    from store.explain import explain, format_explanation

    if args.rebuild:
        n = dedup.rebuild(db)
        print(f"signatures rebuilt for {n} articles")
        return EXIT_OK
    print(format_explanation(explain(db, args.explain)))
    return EXIT_OK


def cmd_boilerplate(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        _err(f"no store at {args.db}")
        return EXIT_FAILED
    db = _open_store(args.db, writable=False)
    if db is None:
        return EXIT_FAILED
    from store.boilerplate import listing

    rows = listing(db, args.source, candidates=args.all)
    if args.format == "jsonl":
        for r in rows:
            print(json.dumps(r.__dict__, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        where = f"source {args.source!r}" if args.source else "any source"
        print(f"nothing learned yet for {where}")
        return EXIT_OK
    current = None
    for r in rows:
        if r.source != current:
            current = r.source
            print(f"{r.source}: {r.pages_observed} pages observed")
        mark = "removed " if r.learned else "watching"
        # A block matched by its template's fixed words shows the template, else its text.
        shown = r.template if "⟨" in r.template else r.text
        text = shown if len(shown) <= 90 else shown[:89] + "…"
        print(
            f"  {mark} {r.pages_seen:>5} pages ({r.share:4.0%} of recent)  "
            f"since {r.first_seen[:10]}  {text}"
        )
    return EXIT_OK


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmon", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="ingest local files (text exports, HTML, JSON Lines)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; .gz accepted")
    p.add_argument("--db", default=DEFAULT_DB, help=f"SQLite store (default {DEFAULT_DB})")
    p.add_argument("--source", help="source name to record for these files")
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help="config whose topics tag new articles (if present)"
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("extract", help="extract one record per HTML file and print it")
    p.add_argument("files", nargs="+", metavar="FILE", help=".html or .html.gz")
    p.add_argument("--url", help="the page's URL (helps profiles and canonical URLs)")
    p.add_argument("--format", choices=["json", "jsonl", "text"], default="json")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("serve-db", help="browse the store in Datasette (read-only)")
    p.add_argument(
        "--db", default=DEFAULT_DB, help=f"an existing SQLite store (default {DEFAULT_DB})"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_serve_db)

    p = sub.add_parser("retag", help="re-apply every configured topic to every article")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=cmd_retag)

    p = sub.add_parser("export", help="export articles (of a topic, since a date)")
    p.add_argument("--topic", help="topic name from the config")
    p.add_argument("--since", help="YYYY-MM-DD or an ISO date-time")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("dedup", help="explain dedup decisions or rebuild signatures")
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--explain", metavar="URL", help="why this URL was (not) matched")
    action.add_argument("--rebuild", action="store_true", help="recompute all signatures")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=cmd_dedup)

    p = sub.add_parser("boilerplate", help="list the boilerplate learned from each source's pages")
    p.add_argument("--source", help="only this source")
    p.add_argument(
        "--all", action="store_true", help="also blocks seen on 2+ pages that are not removed yet"
    )
    p.add_argument("--format", choices=["text", "jsonl"], default="text")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=cmd_boilerplate)

    # The other modules' commands, in the order `newsmon --help` lists them.
    cli_monitor.register(sub)  # run, reparse
    cli_ops.register(sub)  # status, serve
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
