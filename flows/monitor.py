"""The monitor flow: every source of the configuration, discovered, fetched, parsed and stored.

Shape of a run (one Prefect task per stage per source and batch, never per article):

    for every source, concurrently (one failing source never stops the others):
        discover  feeds, sitemaps (+ robots.txt Sitemap: lines), listings, home-page feeds
                  -> new candidate URLs queued in the ``frontier`` table
        for each batch of queued URLs (newest first, up to max_new_per_run):
            fetch   polite GETs through the run's shared Fetcher; raw responses archived
            parse   parsers.extract.extract in a worker thread
            store   store.append_batch + frontier bookkeeping, in ONE transaction
        files     local files of the source, through flows.localfiles (unchanged ones skipped)

A run killed at any point loses at most the batch in flight: stored articles are
marked done in the same transaction that stored them, and discovery never queues a
URL that is queued, done, or already in the store (articles or sightings).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

import store
import store.runs
from flows.alerts import check_and_alert
from flows.config import Config, Settings, Source, load_config
from flows.fetch import CachedRobots, Fetcher, FetchPolicy, FetchResult, Validators, host_of
from parsers import feeds
from parsers.record import Article
from parsers.topics import Topic, load_topics
from parsers.urls import url_problem
from store import fetchstate
from store.canonical import canonicalize_url
from store.db import writing
from store.lock import RunLock
from store.topics import tag_articles

#: The flow's time limit in deployments (deployments/entrypoints.py); runs older than twice
#: this and still marked running are recorded as crashed.
STALE_RUN_SECONDS = int(os.environ.get("NEWSMON_RUN_TIMEOUT", "3600"))

#: Flows that take the store's run lock (store.lock): at most one of them runs at a time.
LOCKED_FLOWS = ["monitor-news", "reparse-archive"]

#: Called by the CLI to draw progress: (source name, stage, report as a dict).
ProgressHook = Callable[[str, str, dict[str, Any]], None]
progress_hook: ProgressHook | None = None

#: Child sitemaps of an index read per run (newest first by lastmod).
MAX_CHILD_SITEMAPS = 5
#: Content types accepted as article pages.
HTML_TYPES = ("text/html", "application/xhtml+xml", "")
#: Errors that say the host cannot be fetched now, whatever the article.
HOST_ERRORS = frozenset(
    {"robots_unavailable", "retry_after", "dns", "connect", "connect_timeout", "unreachable"}
)
#: Errors after which an article URL is not tried again.
PERMANENT_ERRORS = frozenset(
    {
        "http_404",
        "http_410",
        "http_451",
        "too_large",
        "address_refused",
        "bad_url",
        "bad_redirect",
        "redirect_loop",
        "too_many_redirects",
        "decoding",
    }
)


def url_key(url: str) -> str:
    """The key a URL is known by in the store (the store's own canonical form).

    Only for URLs that :func:`parsers.urls.url_problem` accepts."""
    return canonicalize_url(url) or feeds.normalize_url(url)


_BAD_KEY = "invalid:"


def candidate_key(url: str) -> str:
    """:func:`url_key` for a fetchable URL, :func:`bad_url_key` for any other string."""
    if url_problem(url) is None:
        try:
            return url_key(url)
        except ValueError:
            pass
    return bad_url_key(str(url))


def bad_url_key(url: str) -> str:
    """The frontier key of a URL that cannot be fetched: stable, short, never a URL."""
    return _BAD_KEY + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --------------------------------------------------------------------------- reports
@dataclass
class SourceReport:
    name: str
    #: ok | partial | failed | unreachable | backing_off | disabled
    status: str = "ok"
    message: str = ""
    discovered: int = 0
    queued: int = 0
    known: int = 0
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    revisions: int = 0
    not_modified: int = 0
    robots: int = 0
    errors: int = 0
    files: int = 0
    pending: int = 0
    #: pages a feed or sitemap named whose page looks like a listing (stored all the same)
    #: or links found on a listing page that are not articles (not stored)
    not_articles: int = 0
    #: article URLs left queued because the run's time limit was reached
    cut_short: int = 0
    #: queued URLs given up in this run after failing too often
    retired: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    #: the stage in progress (discover, fetch, parse, store): where a crash is recorded
    stage: str = "discover"

    def counts(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("problems")
        d.pop("stage")
        return d


class RunContext:
    """What every stage of one run shares (not a dataclass: Prefect must not walk into it)."""

    def __init__(self, config: Config, db_path: str, run_id: str, fetcher: Fetcher) -> None:
        self.config = config
        self.settings = config.settings
        self.db_path = db_path
        self.run_id = run_id
        self.fetcher = fetcher
        self.budget = config.settings.max_articles_per_run
        self.write_lock = asyncio.Lock()
        self.now = datetime.now(UTC)
        self.topics = load_topics(config.topics)
        #: submit extraction to the flow's task runner (a Dask cluster) instead of a thread
        self.parse_on_runner = False

    def open(self) -> sqlite_utils.Database:
        return store.open_db(self.db_path)

    def problem(
        self, db: sqlite_utils.Database, report: SourceReport, item: str, stage: str, message: str
    ) -> None:
        """An error is a row (run_errors) and a line in the summary, never a crash."""
        report.errors += 1
        if len(report.problems) < 200:
            report.problems.append({"item": item, "stage": stage, "message": message})
        store.record_error(
            db, self.run_id, source=report.name, item=item, stage=stage, message=message
        )


def _progress(report: SourceReport, stage: str) -> None:
    if stage in ("discover", "fetch", "parse", "store"):
        report.stage = stage
    elif stage == "files":
        report.stage = "store"
    if progress_hook is not None:
        try:
            progress_hook(report.name, stage, report.counts())
        except Exception:  # noqa: BLE001 - a display problem never stops a run
            pass


# --------------------------------------------------------------------------- discovery
@dataclass
class _Endpoint:
    url: str
    kind: str  # feed | sitemap | listing | home
    auto: bool = False  # found by us (robots.txt, index), not configured
    #: what a sitemap index says of this child sitemap's last change
    lastmod: str | None = None


def _listing_rules(src: Source, url: str) -> tuple[str | None, str | None]:
    """Listing selector and link pattern: the source's, else its site profile's."""
    selector, pattern = src.listing_selector, src.link_pattern
    if selector and pattern:
        return selector, pattern
    try:
        from parsers import profiles

        prof = profiles.get(src.profile) if src.profile else profiles.for_url(url)
    except Exception:  # noqa: BLE001 - profiles are optional here
        prof = None
    if prof is not None:
        selector = selector or getattr(prof, "listing_selector", None)
        art = getattr(prof, "article_url", None)
        if not pattern and art is not None:
            pattern = art.pattern if hasattr(art, "pattern") else str(art)
    return selector, pattern


async def _fetch_endpoints(
    ctx: RunContext,
    db: sqlite_utils.Database,
    src: Source,
    endpoints: list[_Endpoint],
    state_rows: list[dict[str, Any]],
) -> list[tuple[_Endpoint, FetchResult]]:
    """Fetch discovery documents conditionally; their new state goes to ``state_rows``,
    saved only once their candidates are queued (a run killed in between must not
    get a 304 next time for a feed whose items were never queued)."""
    states = fetchstate.url_states(db, [e.url for e in endpoints])
    conditional_ok = {}
    for e in endpoints:
        st = states.get(e.url)
        conditional_ok[e.url] = (
            Validators(st.etag, st.last_modified, st.body_hash) if st is not None else None
        )

    def changed_since_last_fetch(e: _Endpoint) -> bool:
        """A sitemap index says this child changed after we last fetched it."""
        st = states.get(e.url)
        changed, fetched = (
            feeds.to_datetime(e.lastmod),
            feeds.to_datetime(st.last_fetched_at if st else None),
        )
        return bool(changed and fetched and changed > fetched)

    results = await asyncio.gather(
        *(
            ctx.fetcher.fetch(
                e.url, validators=conditional_ok[e.url], changed_hint=changed_since_last_fetch(e)
            )
            for e in endpoints
        )
    )
    for e, res in zip(endpoints, results, strict=True):
        row = {
            "url": e.url,
            "kind": e.kind,
            "source": src.name,
            "status": res.status,
            "error": None if res.ok else (res.error or f"http_{res.status}"),
            "etag": res.etag,
            "last_modified": res.last_modified,
            "body_hash": res.body_hash,
            "changed": not res.unchanged,
        }
        if e.kind == "home" and res.ok:
            row["cached_body"] = json.dumps(feeds.feed_links(res.body, res.final_url)).encode()
        state_rows.append(row)
    for host, reason in list(ctx.fetcher.newly_conditional_off.items()):
        fetchstate.disable_conditional(db, host, reason)
        ctx.fetcher.newly_conditional_off.pop(host, None)
    return list(zip(endpoints, results, strict=True))


def _endpoint_failed(
    ctx: RunContext,
    db: sqlite_utils.Database,
    report: SourceReport,
    e: _Endpoint,
    res: FetchResult,
    failures: list[tuple[FetchResult, str]],
) -> None:
    if res.error == "deadline":
        # The run's time limit, not the source, stopped this: no failure, no backoff.
        report.cut_short += 1
        return
    message = res.message or res.error or f"HTTP {res.status}"
    failures.append((res, message))
    if res.error in ("robots", "robots_unavailable"):
        report.robots += 1
    ctx.problem(db, report, e.url, "discover", f"{e.kind}: {message}")


@dataclass
class Discovery:
    #: recent candidates, one per canonical URL
    candidates: list[feeds.Candidate]
    #: fetch state of the discovery documents, to save with the queued candidates
    state_rows: list[dict[str, Any]]


async def discover(ctx: RunContext, src: Source, report: SourceReport) -> Discovery:
    """Fetch and read the source's feeds, sitemaps and listings."""
    db = ctx.open()
    try:
        return await _discover(ctx, db, src, report)
    finally:
        db.close()


async def _discover(
    ctx: RunContext, db: sqlite_utils.Database, src: Source, report: SourceReport
) -> Discovery:
    max_age = src.max_age_days if src.max_age_days is not None else ctx.settings.max_age_days
    since = ctx.now - timedelta(days=max_age) if max_age else None
    candidates: list[feeds.Candidate] = []
    failures: list[tuple[FetchResult, str]] = []
    successes = 0
    state_rows: list[dict[str, Any]] = []

    endpoints = [_Endpoint(u, "feed") for u in src.feeds]
    endpoints += [_Endpoint(u, "sitemap") for u in src.sitemaps]
    endpoints += [_Endpoint(u, "listing") for u in src.listings]
    if src.homepage:
        endpoints.append(_Endpoint(src.homepage, "home"))
    if src.robots_sitemaps and src.urls():
        first = src.urls()[0]
        verdict = await ctx.fetcher.robots_for(first)
        if isinstance(verdict, FetchResult):
            _endpoint_failed(ctx, db, report, _Endpoint(first, "robots"), verdict, failures)
        else:
            known = set(src.sitemaps)
            endpoints += [
                _Endpoint(u, "sitemap", auto=True)
                for u in ctx.fetcher.robots_sitemaps(first)
                if u not in known
            ]

    depth = 0
    while endpoints and depth < 3:
        depth += 1
        nxt: list[_Endpoint] = []
        for e, res in await _fetch_endpoints(ctx, db, src, endpoints, state_rows):
            if res.not_modified:
                report.not_modified += 1
                successes += 1
                if e.kind == "home":
                    st = fetchstate.url_states(db, [e.url]).get(e.url)
                    links = json.loads(st.cached_body) if st and st.cached_body else []
                    nxt += [_Endpoint(u, "feed", auto=True) for u in links if u not in src.feeds]
                continue
            if not res.ok:
                _endpoint_failed(ctx, db, report, e, res, failures)
                continue
            found, problem, children = _read_endpoint(e, res, src, since)
            if problem:
                ctx.problem(db, report, e.url, "discover", f"{e.kind}: {problem}")
                failures.append((res, f"{e.kind} {e.url}: {problem}"))
                # Keep no validators for a document we could not read: the next run must
                # fetch it in full and fail again, not count a 304 as a success.
                for row in state_rows:
                    if row["url"] == e.url:
                        row.update(
                            etag=None,
                            last_modified=None,
                            body_hash=None,
                            error=f"{e.kind}: {problem}"[:500],
                        )
                continue
            successes += 1
            candidates += found
            nxt += children
        endpoints = nxt

    if since is not None:
        candidates = feeds.recent(candidates, since)
    unique: dict[str, feeds.Candidate] = {}
    for c in candidates:
        unique.setdefault(candidate_key(c.url), c)
    report.discovered = len(unique)

    if failures and not successes:
        network = [m for f, m in failures if f.network_error]
        if network and len(network) == len(failures):
            report.status = "unreachable"
            report.message = f"network unreachable ({network[0]})"
        else:
            report.status = "failed"
            report.message = failures[0][1]
    elif failures:
        report.status = "partial"
    return Discovery(list(unique.values()), state_rows)


def _read_endpoint(
    e: _Endpoint, res: FetchResult, src: Source, since: datetime | None
) -> tuple[list[feeds.Candidate], str | None, list[_Endpoint]]:
    """(candidates, problem, further endpoints) from one fetched discovery document."""
    if e.kind == "home":
        links = feeds.feed_links(res.body, res.final_url)
        if not links:
            return [], "no feed announced by the home page (<link rel=alternate>)", []
        return [], None, [_Endpoint(u, "feed", auto=True) for u in links if u not in src.feeds]
    if e.kind == "feed":
        parsed = feeds.parse_feed(
            res.body, res.final_url, content_type=res.headers.get("content-type"), source=src.name
        )
        if parsed.error:
            return [], parsed.error, []
        return parsed.candidates, None, []
    if e.kind == "listing":
        selector, pattern = _listing_rules(src, e.url)
        return (
            feeds.listing_links(
                res.body, res.final_url, selector=selector, link_pattern=pattern, source=src.name
            ),
            None,
            [],
        )
    parsed = feeds.parse_sitemap(res.body, res.final_url, source=src.name)
    if parsed.error:
        return [], parsed.error, []
    if parsed.kind == "index":
        refs = [
            r
            for r in parsed.sitemaps
            if since is None
            or r.lastmod is None
            or (feeds.to_datetime(r.lastmod) or since) >= since
        ]
        refs.sort(
            key=lambda r: (
                r.lastmod is None,
                -(feeds.to_datetime(r.lastmod).timestamp() if r.lastmod else 0),
            )
        )
        return (
            [],
            None,
            [
                _Endpoint(r.url, "sitemap", auto=True, lastmod=r.lastmod)
                for r in refs[:MAX_CHILD_SITEMAPS]
            ],
        )
    found = parsed.candidates
    if e.auto and not parsed.news:
        # A sitemap found by ourselves may list a whole archive: only dated entries count.
        found = [c for c in found if c.date]
    return found, None, []


def queue_new(
    ctx: RunContext,
    db: sqlite_utils.Database,
    src: Source,
    report: SourceReport,
    candidates: list[feeds.Candidate],
) -> int:
    """Queue candidates that are neither queued already nor in the store.

    A candidate whose URL cannot be fetched (malformed, bad port, absurdly long) is
    settled at once as ``failed`` with its reason, and reported once: it costs only
    itself, and a later run does not meet it again.
    """
    keyed: dict[str, feeds.Candidate] = {}
    bad: dict[str, tuple[feeds.Candidate, str]] = {}
    for c in candidates:
        key = candidate_key(c.url)
        if key.startswith(_BAD_KEY):
            bad.setdefault(key, (c, url_problem(c.url) or "not a valid URL"))
        else:
            keyed.setdefault(key, c)
    if bad:
        _settle_bad_urls(ctx, db, src, report, bad)
    queued = fetchstate.frontier_keys(db, keyed)
    stored = fetchstate.stored_urls(db, [*keyed, *(c.url for c in keyed.values())])
    fresh = [
        # Fetched under its key: no tracking parameters sent back to the publisher.
        {"key": k, "url": k, "title": c.title, "published_at": c.date, "via": c.via}
        for k, c in keyed.items()
        if k not in queued and k not in stored and c.url not in stored
    ]
    report.known += len(keyed) - len(fresh)
    added = fetchstate.enqueue(db, fresh, source=src.name, run_id=ctx.run_id)
    report.queued += added
    return added


def _settle_bad_urls(
    ctx: RunContext,
    db: sqlite_utils.Database,
    src: Source,
    report: SourceReport,
    bad: dict[str, tuple[feeds.Candidate, str]],
) -> None:
    known = fetchstate.frontier_keys(db, bad)
    fresh = {k: v for k, v in bad.items() if k not in known}
    report.known += len(bad) - len(fresh)
    if not fresh:
        return
    fetchstate.enqueue(
        db,
        [
            {"key": k, "url": str(c.url)[:2048], "title": c.title, "via": c.via}
            for k, (c, _) in fresh.items()
        ],
        source=src.name,
        run_id=ctx.run_id,
    )
    with writing(db):
        fetchstate.settle(db, [(k, "failed", f"bad_url: {why}") for k, (_, why) in fresh.items()])
    for c, why in fresh.values():
        ctx.problem(db, report, str(c.url)[:300], "discover", f"bad_url: {why}")


# --------------------------------------------------------------------------- fetch / parse / store
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
                            "body_hash": res.body_hash,
                            "fetched_at": res.fetched_at,
                            "run_id": ctx.run_id,
                        }
                    )
                continue
            if res.ok:
                settled.append((item.key, "skipped", f"not HTML ({res.content_type})"))
                continue
            if res.error == "robots":
                report.robots += 1
                settled.append((item.key, "skipped", res.message))
                continue
            if res.error == "deadline":
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
            if first.error == "robots_unavailable":
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
        error="internal",
        message=f"{type(res).__name__}: {res}"[:500],
    )


def parse_pages(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    """Extract every page (CPU work: run it in a worker thread)."""
    from parsers.extract import extract

    out = []
    for page in pages:
        res = page.result
        try:
            art = extract(
                res.body,
                url=res.final_url,
                headers=res.headers,
                source=src.name,
                profile=src.profile,
            )
        except Exception as exc:  # noqa: BLE001 - one page costs only itself (RecursionError too)
            art = Article.failed(f"extraction failed: {type(exc).__name__}: {exc}"[:500])
        _fill_from_discovery(art, page, src)
        out.append((page, art))
    return out


def _fill_from_discovery(art: Article, page: Fetched, src: Source) -> None:
    """What the feed or sitemap said fills what the page did not (with its provenance)."""
    art.source = src.name
    if not art.ok:
        return
    art.url = page.result.final_url
    item = page.item
    if not art.title and item.title:
        art.set("title", item.title, f"discovery:{item.via}")
    if not art.published_at and item.published_at:
        art.set("published_at", item.published_at, f"discovery:{item.via}")
    if not art.language and src.language:
        art.set("language", src.language, "config")


def store_batch(
    db_path: str,
    run_id: str,
    src: Source,
    parsed: list[tuple[Fetched, Article]],
    topics: list[Topic] | None = None,
) -> tuple[store.BatchResult, list[tuple[str, str]], list[tuple[str, str]]]:
    """Append the batch and settle its frontier rows in ONE transaction (thread-safe: own
    connection). Returns the store's result, the (url, message) failures and the
    (url, reason) pages not stored because they are not articles.

    A page that a feed, a sitemap or the user named is stored whatever its page type
    says (the type is kept as data): a wrong guess must not lose an article. Only links
    found by crawling a listing page are dropped when their page is not an article,
    where a wrong guess costs nothing. If the batch cannot be stored as a whole, each
    record is tried alone, so one record the store refuses costs only itself.
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
            elif art.page_type not in (None, "", "article") and page.item.via == "listing":
                reason = f"not an article ({art.page_type}), found on a listing page"
                skipped.append((page.item.url, reason))
                settled.append((page.item.key, "skipped", reason))
            else:
                keep.append((page, art))
        try:
            with writing(db):
                result = _store_pages(db, run_id, keep, topics)
                fetchstate.settle(db, settled + [(p.item.key, "done", None) for p, _ in keep])
            return result, failures, skipped
        except Exception as exc:  # noqa: BLE001 - is it one record, or the store?
            batch_error = exc
        result = store.BatchResult()
        refused: list[tuple[Fetched, str]] = []
        for page, art in keep:
            try:
                with writing(db):
                    one = _store_pages(db, run_id, [(page, art)], topics)
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
) -> store.BatchResult:
    return append_and_tag(db, [a for _, a in pages], run_id, topics or [], articles_only=False)


def append_and_tag(
    db: sqlite_utils.Database,
    articles: list[Article],
    run_id: str,
    topics: list[Topic],
    *,
    articles_only: bool = True,
) -> store.BatchResult:
    """Append a batch and tag its new articles with the topics, in one transaction."""
    with writing(db):
        result = store.append_batch(db, articles, run_id=run_id, articles_only=articles_only)
        if topics and result.new_ids:
            tag_articles(db, topics, result.new_ids)
    return result


# --------------------------------------------------------------------------- Prefect tasks
@task(name="discover", task_run_name="discover-{src.name}", cache_policy=NO_CACHE)
async def discover_task(ctx: RunContext, src: Source, report: SourceReport) -> int:
    found = await discover(ctx, src, report)
    db = ctx.open()
    try:
        with writing(db):  # queued and "seen" together, or neither
            added = queue_new(ctx, db, src, report, found.candidates)
            fetchstate.save_url_states(db, found.state_rows)
        return added
    finally:
        db.close()


@task(name="fetch", task_run_name="fetch-{src.name}", cache_policy=NO_CACHE)
async def fetch_task(
    ctx: RunContext, src: Source, report: SourceReport, items: list[fetchstate.FrontierItem]
) -> list[Fetched]:
    return await fetch_batch(ctx, src, report, items)


@task(name="parse", task_run_name="parse-{src.name}", cache_policy=NO_CACHE)
async def parse_task(src: Source, pages: list[Fetched]) -> list[tuple[Fetched, Article]]:
    return await asyncio.to_thread(parse_pages, src, pages)


@task(name="store", task_run_name="store-{src.name}", cache_policy=NO_CACHE)
async def store_task(
    ctx: RunContext, src: Source, report: SourceReport, parsed: list[tuple[Fetched, Article]]
) -> None:
    async with ctx.write_lock:
        result, failures, skipped = await asyncio.to_thread(
            store_batch, ctx.db_path, ctx.run_id, src, parsed, ctx.topics
        )
    report.new += result.new
    report.duplicates += result.duplicates
    report.revisions += len(result.revisions)
    report.not_articles += len(skipped)
    # Drops are not errors: each one is its frontier row (status 'skipped', with the
    # reason), and the count is in the source's summary line.
    if failures:
        db = ctx.open()
        try:
            for url, message in failures:
                stage = "store" if message.startswith("store failed") else "parse"
                ctx.problem(db, report, url, stage, message)
        finally:
            db.close()


@task(name="files", task_run_name="files-{src.name}", cache_policy=NO_CACHE)
async def files_task(ctx: RunContext, src: Source, report: SourceReport) -> None:
    await asyncio.to_thread(ingest_source_files, ctx, src, report)


def ingest_source_files(ctx: RunContext, src: Source, report: SourceReport) -> None:
    """Local files of a source through flows.localfiles; a file unchanged since the last
    run (same size and modification time) is not read again."""
    from flows.localfiles import expand, read_records

    db = store.open_db(ctx.db_path)
    try:
        paths, problems = expand(list(src.files))
        for p in problems:
            ctx.problem(db, report, p.item, "discover", p.message)
        uris = {path: path.resolve().as_uri() for path in paths}
        states = fetchstate.url_states(db, uris.values())
        batch: list[Article] = []
        seen_rows = []
        for path, uri in uris.items():
            try:
                st = path.stat()
            except OSError as exc:  # gone or unreadable since it was listed
                ctx.problem(db, report, str(path), "read", str(exc))
                continue
            stamp = f"{st.st_size}-{st.st_mtime_ns}"
            old = states.get(uri)
            if old is not None and old.etag == stamp and old.last_status == 200:
                report.not_modified += 1
                continue
            try:
                records = list(read_records(path, source=src.name))
            except (ValueError, OSError, UnicodeError) as exc:
                ctx.problem(db, report, str(path), "parse", str(exc))
                continue
            report.files += 1
            for record in records:
                # (item, record) pairs; plain records from older flows.localfiles
                item, art = record if isinstance(record, tuple) else (str(path), record)
                if not art.ok:
                    ctx.problem(db, report, item, "parse", art.error or "parse failed")
                    continue
                art.source = src.name
                batch.append(art)
            seen_rows.append(
                {"url": uri, "kind": "file", "source": src.name, "status": 200, "etag": stamp}
            )
        for i in range(0, len(batch), ctx.settings.batch_size):
            result = append_and_tag(
                db,
                batch[i : i + ctx.settings.batch_size],
                ctx.run_id,
                ctx.topics,
                articles_only=False,  # files the user named
            )
            report.new += result.new
            report.duplicates += result.duplicates
        fetchstate.save_url_states(db, seen_rows)
    finally:
        db.close()


# --------------------------------------------------------------------------- one source
async def run_source(ctx: RunContext, src: Source, honor_backoff: bool) -> SourceReport:
    report = SourceReport(name=src.name)
    db = ctx.open()
    try:
        state = fetchstate.source_state(db, src.name)
    finally:
        db.close()
    if not src.enabled:
        report.status, report.message = "disabled", "enabled = false in the configuration"
        return report
    if honor_backoff and not state.due(ctx.now):
        report.status = "backing_off"
        report.message = (
            f"backing off after {state.consecutive_failures} failed run(s) until "
            f"{state.next_due_at} (last error: {state.last_error})"
        )
        return report
    web = bool(src.urls())
    try:
        if web:
            _progress(report, "discover")
            await discover_task(ctx, src, report)
            if report.status != "unreachable":
                await _fetch_pending(ctx, src, report)
        if src.files:
            _progress(report, "files")
            await files_task(ctx, src, report)
    except Exception as exc:  # noqa: BLE001 - one source never stops the others
        stage = exc.stage if isinstance(exc, StageFailed) else report.stage
        cause = exc.cause if isinstance(exc, StageFailed) else exc
        report.status = "failed"
        report.message = f"{stage}: {type(cause).__name__}: {cause}"
        db = ctx.open()
        try:
            ctx.problem(db, report, src.name, stage, report.message)
        finally:
            db.close()
    if report.cut_short:
        note = (
            f"cut short by the run's time limit (run_time_limit): {report.cut_short} "
            "URL(s) left for the next run"
        )
        report.message = f"{report.message}; {note}" if report.message else note
        if report.status == "ok":
            report.status = "partial"
    db = ctx.open()
    try:
        report.pending = fetchstate.pending_count(db, src.name)
        if web:
            ok = report.status in ("ok", "partial")
            fetchstate.record_source_run(
                db, src.name, ok=ok, error=report.message or None, now=ctx.now
            )
    finally:
        db.close()
    _progress(report, "done")
    return report


async def _fetch_pending(ctx: RunContext, src: Source, report: SourceReport) -> None:
    allowance = min(src.max_new_per_run, max(0, ctx.budget))
    if allowance <= 0:
        return
    db = ctx.open()
    try:
        items = fetchstate.pending(db, src.name, allowance)
    finally:
        db.close()
    ctx.budget -= len(items)
    size = ctx.settings.batch_size
    # Pipelined: batch k is parsed and stored while batch k+1 is being fetched, so the
    # host's request slots do not sit idle during extraction. Each batch is still stored
    # in its own transaction, so a crash loses at most the batches in flight.
    storing: asyncio.Task | None = None
    try:
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            _progress(report, "fetch")
            pages = await fetch_task(ctx, src, report, batch)
            if storing is not None:
                await storing
                storing = None
            if pages:
                storing = asyncio.create_task(_parse_and_store(ctx, src, report, pages))
        if storing is not None:
            await storing
            storing = None
    finally:
        if storing is not None and not storing.done():
            storing.cancel()
            with contextlib.suppress(BaseException):
                await storing


async def _parse_and_store(
    ctx: RunContext, src: Source, report: SourceReport, pages: list[Fetched]
) -> None:
    stage = "parse"
    try:
        _progress(report, stage)
        if ctx.parse_on_runner:
            # Through the task runner (e.g. prefect-dask): the batch is parsed on the cluster.
            future = parse_task.submit(src, pages)
            parsed = await asyncio.to_thread(future.result)
        else:
            parsed = await parse_task(src, pages)
        stage = "store"
        _progress(report, stage)
        await store_task(ctx, src, report, parsed)
    except Exception as exc:
        raise StageFailed(stage, exc) from exc


class StageFailed(Exception):
    """A stage that runs beside another (pipelined) says which one failed."""

    def __init__(self, stage: str, cause: Exception) -> None:
        self.stage, self.cause = stage, cause
        super().__init__(f"{type(cause).__name__}: {cause}")


# --------------------------------------------------------------------------- the flow
def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run
        return None


def _load_robots(db: sqlite_utils.Database) -> dict[str, CachedRobots]:
    out = {}
    for row in db.execute(
        "SELECT url, last_status, cached_body, etag, last_modified, last_fetched_at "
        "FROM fetch_state WHERE kind = 'robots'"
    ).fetchall():
        url, status, body, etag, lm, fetched = row
        try:
            ts = datetime.fromisoformat(fetched).timestamp() if fetched else 0.0
        except ValueError:
            ts = 0.0
        origin = url[: -len("/robots.txt")]
        out[origin] = CachedRobots(
            status or 0, (body or b"").decode("utf-8", "replace"), ts, etag, lm
        )
    return out


def _save_robots(db: sqlite_utils.Database, fetcher: Fetcher) -> None:
    rows = []
    for origin in fetcher.robots_updated:
        entry = fetcher.robots_cache[origin]
        rows.append((origin + "/robots.txt", entry))
    with writing(db):
        for url, entry in rows:
            stamp = datetime.fromtimestamp(entry.fetched_at, UTC).isoformat(timespec="seconds")
            db.execute(
                "INSERT INTO fetch_state (url, kind, etag, last_modified, last_status, "
                "last_fetched_at, fetches, cached_body) VALUES (?, 'robots', ?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_status = excluded.last_status, "
                "last_fetched_at = excluded.last_fetched_at, fetches = fetch_state.fetches + 1, "
                "cached_body = excluded.cached_body",
                [
                    url,
                    entry.etag,
                    entry.last_modified,
                    entry.status,
                    stamp,
                    entry.body.encode("utf-8"),
                ],
            )


def summary_markdown(reports: list[SourceReport], run_id: str, requests: int) -> str:
    lines = [
        "# newsmon monitor",
        "",
        f"Run `{run_id}`: {requests} HTTP requests.",
        "",
        "| source | status | discovered | new | duplicates | not modified | skipped by robots "
        "| errors | pending |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        lines.append(
            f"| {r.name} | {r.status} | {r.discovered} | {r.new} | {r.duplicates} | "
            f"{r.not_modified} | {r.robots} | {r.errors} | {r.pending} |"
        )
    notes = [r for r in reports if r.message]
    if notes:
        lines += ["", "## Sources that need attention", ""]
        lines += [f"- **{r.name}**: {r.status}: {_md(r.message)}" for r in notes]
    problems = [(r.name, p) for r in reports for p in r.problems]
    if problems:
        lines += ["", "## Errors", "", "| source | stage | item | message |", "|---|---|---|---|"]
        for name, p in problems[:100]:
            lines.append(f"| {name} | {p['stage']} | {_md(p['item'])} | {_md(p['message'])} |")
        if len(problems) > 100:
            lines.append(f"| … | | | {len(problems) - 100} more in the run_errors table |")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:300]


@flow(name="monitor-news", log_prints=False)
async def monitor_news(
    config: str = "newsmon.toml",
    sources: list[str] | None = None,
    db: str | None = None,
    honor_backoff: bool = True,
) -> dict[str, Any]:
    """Discover, fetch, extract, deduplicate and store new articles of every source.

    One run at a time per store: a second one waits ``settings.run_lock_wait`` seconds
    for the first, then fails with a message naming it (nothing is fetched twice)."""
    cfg = load_config(config)
    selected = cfg.sources
    if sources:
        names = {s.name for s in cfg.sources}
        unknown = [n for n in sources if n not in names]
        if unknown:
            raise ValueError(
                f"unknown source(s) {', '.join(map(repr, unknown))}; "
                f"the configuration has: {', '.join(sorted(names))}"
            )
        selected = [s for s in cfg.sources if s.name in sources]
    db_path = db or os.environ.get("NEWSMON_DB") or cfg.settings.db
    async with RunLock(db_path, flow="monitor-news", wait=cfg.settings.run_lock_wait) as lock:
        return await _monitor(cfg, selected, db_path, honor_backoff, lock)


async def _monitor(
    cfg: Config, selected: list[Source], db_path: str, honor_backoff: bool, lock: RunLock
) -> dict[str, Any]:
    """The run itself, with the store's run lock held."""
    logger = get_run_logger()
    database = store.open_db(db_path)
    with writing(database):
        fetchstate.migrate(database)
    # We hold the run lock: any monitor or reparse run still marked 'running' died.
    store.runs.mark_interrupted_runs(database, LOCKED_FLOWS)
    stale = datetime.now(UTC) - timedelta(seconds=2 * STALE_RUN_SECONDS)
    store.runs.mark_stale_runs(database, stale.isoformat(timespec="seconds"))
    run_id = store.start_run(database, "monitor-news", _flow_run_id())
    lock.note(run_id=run_id)
    started = time.monotonic()
    reports: list[SourceReport] = []
    status = "failed"
    time_limit = cfg.settings.run_time_limit
    fetcher = Fetcher(
        FetchPolicy.from_settings(cfg.settings),
        robots_cache=_load_robots(database),
        conditional_off=fetchstate.conditional_off_hosts(database),
    )
    # Every fetch ends by this time, whatever the hosts do: the run ends within its limit.
    fetcher.deadline = started + time_limit
    try:
        async with fetcher:
            ctx = RunContext(cfg, db_path, run_id, fetcher)
            # A flow given another task runner (flows.scaleout: Dask) parses through it;
            # fetching and every write stay here, where the store is.
            ctx.parse_on_runner = not isinstance(
                get_run_context().task_runner, ThreadPoolTaskRunner
            )
            outcomes = await asyncio.gather(
                *(run_source(ctx, s, honor_backoff) for s in selected), return_exceptions=True
            )
        for s, out in zip(selected, outcomes, strict=True):
            if isinstance(out, BaseException):
                r = SourceReport(name=s.name, status="failed", message=repr(out), errors=1)
                store.record_error(
                    database, run_id, source=s.name, item=s.name, stage="store", message=repr(out)
                )
                reports.append(r)
            else:
                reports.append(out)
        _save_robots(database, fetcher)
        status = "completed"
    finally:
        totals = {
            "sources": {r.name: r.counts() for r in reports},
            "requests": len(fetcher.log),
            "seconds": round(time.monotonic() - started, 3),
        }
        store.finish_run(
            database,
            run_id,
            status=status,
            items=sum(r.fetched + r.files for r in reports),
            new=sum(r.new for r in reports),
            duplicates=sum(r.duplicates for r in reports),
            errors=sum(r.errors for r in reports),
            summary=totals,
        )
        database.close()
    try:
        # Source health and alerts: a failure here must not fail a run that stored news.
        await asyncio.to_thread(check_and_alert, db_path, cfg, run_id=run_id)
    except Exception as exc:  # noqa: BLE001
        logger.warning("source health not updated: %s", exc)
    await acreate_markdown_artifact(
        key="monitor-summary",
        markdown=summary_markdown(reports, run_id, len(fetcher.log)),
        description="newsmon monitor run",
    )
    for r in reports:
        logger.info(
            "%s: %s, %d discovered, %d new, %d duplicates, %d not modified, %d robots, %d errors%s",
            r.name,
            r.status,
            r.discovered,
            r.new,
            r.duplicates,
            r.not_modified,
            r.robots,
            r.errors,
            f" ({r.message})" if r.message else "",
        )
    return {
        "run_id": run_id,
        "status": status,
        "requests": len(fetcher.log),
        "seconds": totals["seconds"],
        "new": sum(r.new for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "errors": sum(r.errors for r in reports),
        "sources": [asdict(r) for r in reports],
    }


# --------------------------------------------------------------------------- reparse
@flow(name="reparse-archive", log_prints=False)
async def reparse_archive(
    db: str = "data/newsmon.db",
    source: str | None = None,
    batch_size: int = 100,
    config: str | None = None,
) -> dict[str, Any]:
    """Rebuild records from archived responses with the current parsers (no network).

    ``config`` supplies the topics that new records are tagged with.
    """
    cfg = load_config(config) if config else None
    topics = load_topics(cfg.topics) if cfg else []
    wait = cfg.settings.run_lock_wait if cfg else Settings().run_lock_wait
    async with RunLock(db, flow="reparse-archive", wait=wait) as lock:
        return await _reparse(db, source, batch_size, topics, lock)


async def _reparse(
    db: str, source: str | None, batch_size: int, topics: list[Topic], lock: RunLock
) -> dict[str, Any]:
    from parsers.extract import extract

    database = store.open_db(db)
    with writing(database):
        fetchstate.migrate(database)
    store.runs.mark_interrupted_runs(database, LOCKED_FLOWS)
    run_id = store.start_run(database, "reparse-archive", _flow_run_id())
    lock.note(run_id=run_id)
    counts = {"pages": 0, "new": 0, "duplicates": 0, "revisions": 0, "errors": 0}
    status = "failed"
    try:

        def work() -> None:
            conn = store.open_db(db)
            try:
                batch: list[Article] = []
                for page in fetchstate.iter_raw_pages(conn, source=source):
                    counts["pages"] += 1
                    try:
                        art = extract(
                            page.body, url=page.final_url, headers=page.headers, source=page.source
                        )
                    except Exception as exc:  # noqa: BLE001 - this page only
                        art = Article.failed(f"extraction failed: {type(exc).__name__}: {exc}")
                    art.source = page.source
                    if not art.ok:
                        counts["errors"] += 1
                        store.record_error(
                            conn,
                            run_id,
                            source=page.source,
                            item=page.final_url,
                            stage="parse",
                            message=art.error or "parse failed",
                        )
                        continue
                    art.url = page.final_url
                    batch.append(art)
                    if len(batch) >= batch_size:
                        _append(conn, batch)
                        batch = []
                if batch:
                    _append(conn, batch)
            finally:
                conn.close()

        def _append(conn: sqlite_utils.Database, batch: list[Article]) -> None:
            result = append_and_tag(conn, batch, run_id, topics)
            counts["new"] += result.new
            counts["duplicates"] += result.duplicates
            counts["revisions"] += len(getattr(result, "revisions", []) or [])

        await asyncio.to_thread(work)
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=counts["pages"],
            new=counts["new"],
            duplicates=counts["duplicates"],
            errors=counts["errors"],
            summary=counts,
        )
        database.close()
    return {"run_id": run_id, **counts}
