"""Discovery: a source's feeds, sitemaps, listings and home page read into queued URLs.

Documents are fetched conditionally through the run's shared Fetcher; what they name
goes to the ``frontier`` table (store/fetchstate.py), each URL under one key. A URL that
cannot be fetched is settled at once with its reason, so it costs only itself. No Prefect
here (flows/monitor.py wraps :func:`discover` in a task).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from flows.config import Source
from flows.context import RunContext, SourceReport
from flows.fetch import FetchResult, Validators
from flows.outcomes import FetchError, http_error
from parsers import feeds
from parsers.urls import url_problem
from store import fetchstate
from store.canonical import canonicalize_url
from store.db import writing
from store.health import SourceStatus

#: Child sitemaps of an index read per run (newest first by lastmod).
MAX_CHILD_SITEMAPS = 5


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
            "error": None if res.ok else (res.error or http_error(res.status)),
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
    if res.error == FetchError.DEADLINE:
        # The run's time limit, not the source, stopped this: no failure, no backoff.
        report.cut_short += 1
        return
    message = res.message or res.error or f"HTTP {res.status}"
    failures.append((res, message))
    if res.error in (FetchError.ROBOTS, FetchError.ROBOTS_UNAVAILABLE):
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
            report.status = SourceStatus.UNREACHABLE
            report.message = f"network unreachable ({network[0]})"
        else:
            report.status = SourceStatus.FAILED
            report.message = failures[0][1]
    elif failures:
        report.status = SourceStatus.PARTIAL
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
