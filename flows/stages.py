"""The fetch -> parse -> store stages of a monitor run, for one batch of queued URLs.

:func:`build_record` is the one way a fetched page becomes a record, for the monitor
and for ``newsmon reparse`` alike (the source's profile and language, what discovery
said of the URL, and which page types are kept). Every failure costs only its URL: it
becomes a ``run_errors`` row and a settled ``frontier`` row. No Prefect here
(flows/monitor.py wraps the stages in tasks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

import store
from flows.config import Source
from flows.context import RunContext, SourceReport
from flows.fetch import FetchResult, host_of
from flows.outcomes import HOST_ERRORS, PERMANENT_ERRORS, FetchError
from parsers import learned
from parsers.record import Article
from parsers.topics import Topic
from store import boilerplate, fetchstate
from store.clock import utcnow
from store.db import writing
from store.topics import tag_articles

#: Content types accepted as article pages.
HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass
class Fetched:
    item: fetchstate.FrontierItem
    result: FetchResult


async def fetch_batch(
    ctx: RunContext, src: Source, report: SourceReport, items: list[fetchstate.FrontierItem]
) -> list[Fetched]:
    """Fetch queued article URLs; failures are settled here, pages go on to parsing."""
    db = ctx.open()
    try:
        stored = fetchstate.stored_urls(db, [*(i.key for i in items), *(i.url for i in items)])
        todo = [i for i in items if i.key not in stored and i.url not in stored]
        settled: list[tuple[str, str, str | None]] = [
            (i.key, "done", "already in the store") for i in items if i not in todo
        ]
        report.known += len(items) - len(todo)
        results = [
            _as_result(item, res)
            for item, res in zip(
                todo,
                await asyncio.gather(
                    *(ctx.fetcher.fetch(i.url) for i in todo), return_exceptions=True
                ),
                strict=True,
            )
        ]
        pages: list[Fetched] = []
        archive: list[dict[str, Any]] = []
        states = []
        host_failures: dict[tuple[str, str], list[FetchResult]] = {}
        for item, res in zip(todo, results, strict=True):
            states.append(
                {
                    "url": item.url,
                    "kind": "article",
                    "source": src.name,
                    "status": res.status,
                    "error": res.error,
                    "etag": res.etag,
                    "last_modified": res.last_modified,
                    "body_hash": res.body_hash,
                }
            )
            if res.ok and res.content_type in HTML_TYPES:
                report.fetched += 1
                pages.append(Fetched(item, res))
                if ctx.settings.archive:
                    archive.append(
                        {
                            "url": item.url,
                            "final_url": res.final_url,
                            "source": src.name,
                            "status": res.status,
                            "headers": res.headers,
                            "body": res.body,
                            "wire_body": res.wire_body,
                            "wire_coding": res.wire_coding,
                            "body_hash": res.body_hash,
                            "fetched_at": res.fetched_at,
                            "run_id": ctx.run_id,
                        }
                    )
                # Only the archive wants the bytes as sent: the page goes to the extraction
                # workers (and back) without them.
                res.wire_body = None
                continue
            if res.ok:
                settled.append((item.key, "skipped", f"not HTML ({res.content_type})"))
                continue
            if res.error == FetchError.ROBOTS:
                report.robots += 1
                settled.append((item.key, "skipped", res.message))
                continue
            if res.error == FetchError.DEADLINE:
                # The run's time is up, not the article's: it stays queued for the next run.
                settled.append((item.key, "wait", f"{res.error}: {res.message}"))
                report.cut_short += 1
                continue
            if res.error in HOST_ERRORS:
                # The host, not the article, failed: keep it queued without using up an
                # attempt, and report the host once rather than once per article.
                settled.append((item.key, "wait", f"{res.error}: {res.message}"))
                host_failures.setdefault((host_of(item.url), res.error), []).append(res)
                continue
            ctx.problem(db, report, item.url, "fetch", f"{res.error}: {res.message}")
            status = "failed" if res.error in PERMANENT_ERRORS else "retry"
            settled.append((item.key, status, f"{res.error}: {res.message}"))
        for (host, _), failed in host_failures.items():
            first = failed[0]
            ctx.problem(
                db,
                report,
                host,
                "fetch",
                f"{first.error}: {first.message} ({len(failed)} article(s) left queued)",
            )
            if first.error == FetchError.ROBOTS_UNAVAILABLE:
                report.robots += len(failed)
        fetchstate.save_url_states(db, states)
        if archive:
            fetchstate.archive_pages(db, archive)
        with writing(db):
            fetchstate.settle(db, settled)
        return pages
    finally:
        db.close()


def _as_result(item: fetchstate.FrontierItem, res: FetchResult | BaseException) -> FetchResult:
    """A fetch that raised is that URL's failure, never the batch's."""
    if isinstance(res, FetchResult):
        return res
    if isinstance(res, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
        raise res
    return FetchResult(
        url=item.url,
        final_url=item.url,
        error=FetchError.INTERNAL,
        message=f"{type(res).__name__}: {res}"[:500],
    )


def build_record(
    body: bytes,
    final_url: str,
    headers: dict[str, str],
    src: Source,
    item: fetchstate.FrontierItem | None = None,
) -> Article:
    """The record of a fetched page: extracted with the source's profile, then what the
    feed or sitemap said fills what the page did not (with its provenance), then the
    source's configured language. Never raises: a page that breaks the extractor is a
    failed record."""
    from parsers.extract import extract
    from parsers.time_zones import zone_offset

    try:
        art = extract(
            body,
            url=final_url,
            headers=headers,
            source=src.name,
            profile=src.profile,
            default_offset=zone_offset(src.timezone),
        )
    except Exception as exc:  # noqa: BLE001 - one page costs only itself (RecursionError too)
        art = Article.failed(f"extraction failed: {type(exc).__name__}: {exc}"[:500])
    art.source = src.name
    if not art.ok:
        return art
    art.url = final_url
    if item is not None:
        if not art.title and item.title:
            art.set("title", item.title, f"discovery:{item.via}")
        if not art.published_at and item.published_at:
            art.set("published_at", item.published_at, f"discovery:{item.via}")
    if not art.language and src.language:
        art.set("language", src.language, "config")
    return art


def not_kept(art: Article, via: str | None) -> str | None:
    """Why a good record is not stored, or None to store it.

    A page that a feed, a sitemap or the user named is an article whatever the page-type
    guess says (the guess is kept in ``page_type``): a wrong guess must not lose an
    article. Only links found by crawling a listing page are dropped when their page is
    not an article, where a wrong guess costs nothing.
    """
    if via == "listing" and art.page_type not in (None, "", "article"):
        return f"not an article ({art.page_type}), found on a listing page"
    return None


def parse_pages(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    """Extract every page (CPU work: run it in a worker thread)."""
    return [
        (p, build_record(p.result.body, p.result.final_url, p.result.headers, src, p.item))
        for p in pages
    ]


def store_batch(
    db_path: str,
    run_id: str,
    src: Source,
    parsed: list[tuple[Fetched, Article]],
    topics: list[Topic] | None = None,
) -> tuple[store.BatchResult, list[tuple[str, str]], list[tuple[str, str]]]:
    """Append the batch and settle its frontier rows in ONE transaction (thread-safe: own
    connection). Returns the store's result, the (url, message) failures and the
    (url, reason) pages not stored (:func:`not_kept`).

    If the batch cannot be stored as a whole, each record is tried alone, so one record
    the store refuses costs only itself.
    """
    db = store.open_db(db_path)
    try:
        failures: list[tuple[str, str]] = []
        skipped: list[tuple[str, str]] = []
        settled: list[tuple[str, str, str | None]] = []
        keep: list[tuple[Fetched, Article]] = []
        for page, art in parsed:
            if not art.ok:
                failures.append((page.item.url, art.error or "parse failed"))
                settled.append((page.item.key, "failed", art.error or "parse failed"))
            elif reason := not_kept(art, page.item.via):
                skipped.append((page.item.url, reason))
                settled.append((page.item.key, "skipped", reason))
            else:
                keep.append((page, art))
        try:
            with writing(db):
                result = _store_pages(db, run_id, keep, topics, src)
                fetchstate.settle(db, settled + [(p.item.key, "done", None) for p, _ in keep])
            return result, failures, skipped
        except Exception as exc:  # noqa: BLE001 - is it one record, or the store?
            batch_error = exc
        result = store.BatchResult()
        refused: list[tuple[Fetched, str]] = []
        for page, art in keep:
            try:
                with writing(db):
                    one = _store_pages(db, run_id, [(page, art)], topics, src)
                    fetchstate.settle(db, [(page.item.key, "done", None)])
            except Exception as exc:  # noqa: BLE001 - this record only, if others go in
                refused.append((page, f"store failed: {type(exc).__name__}: {exc}"[:500]))
                continue
            result.new_ids += one.new_ids
            result.sightings += one.sightings
            result.revisions += one.revisions
            result.rejected += one.rejected
        if keep and len(refused) == len(keep):
            # Not one record could be stored: the store failed, not the records. Nothing
            # is settled, so the next run fetches the batch again; the source fails now.
            raise batch_error
        with writing(db):
            # A record the store refused while its neighbours went in: retried by later
            # runs, given up after fetchstate.MAX_ATTEMPTS, never stalling the source.
            fetchstate.settle(db, settled + [(p.item.key, "retry", m) for p, m in refused])
        failures += [(p.item.url, m) for p, m in refused]
        return result, failures, skipped
    finally:
        db.close()


def _store_pages(
    db: sqlite_utils.Database,
    run_id: str,
    pages: list[tuple[Fetched, Article]],
    topics: list[Topic] | None,
    src: Source,
) -> store.BatchResult:
    return append_and_tag(
        db, [a for _, a in pages], run_id, topics or [], articles_only=False, sources=[src]
    )


def learn_and_clean(
    db: sqlite_utils.Database,
    articles: list[Article],
    sources: Iterable[Source] = (),
    *,
    relearn: Iterable[str] = (),
) -> None:
    """Each source learns its boilerplate from the batch's new pages, then every record of
    the batch is cleaned with what its source has learned, so that a new source's first
    batch is already clean (call inside the batch's write transaction).

    A page whose URL is already stored is not counted again, except for the sources in
    ``relearn`` (``newsmon reparse``, learning again from the archive). A source with
    ``learn_boilerplate = false`` is neither learned nor cleaned.
    """
    by_name = {s.name: s for s in sources}
    groups: dict[str, list[Article]] = {}
    for art in articles:
        if art.ok and art.source and art.text:
            groups.setdefault(art.source, []).append(art)
    if not groups:
        return
    again = set(relearn)
    stored = fetchstate.stored_urls(db, [a.url for a in articles if a.url])
    for name, arts in groups.items():
        src = by_name.get(name)
        if src is not None and not src.learn_boilerplate:
            continue
        model = boilerplate.load(db, name)
        model.keep = learned.keep_texts(src.keep_blocks if src else ())
        new = [
            a.blocks or learned.text_blocks(a.text)
            for a in arts
            if name in again or a.url not in stored
        ]
        if new and model.learn(new, utcnow()):
            boilerplate.save(db, model)
        for art in arts:
            model.clean(art)


def append_and_tag(
    db: sqlite_utils.Database,
    articles: list[Article],
    run_id: str,
    topics: list[Topic],
    *,
    articles_only: bool = True,
    sources: Iterable[Source] = (),
    relearn: Iterable[str] = (),
) -> store.BatchResult:
    """Clean a batch with its sources' learned boilerplate (learning from it first),
    append it, and tag its new articles with the topics, in one transaction."""
    with writing(db):
        learn_and_clean(db, articles, sources, relearn=relearn)
        result = store.append_batch(db, articles, run_id=run_id, articles_only=articles_only)
        if topics and result.new_ids:
            tag_articles(db, topics, result.new_ids)
    return result
