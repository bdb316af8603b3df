"""Deciding whether an incoming record is already in the store, and saying why.

Layers, cheapest first; the first that matches decides:

1. ``canonical_url`` / ``identity``: the record's canonical URL, its fetch URL or
   its identity key (``trend.az:4085123``) is known. Same address, changed text
   or title: a *revision* of the stored article, not a second article.
2. ``content_hash``: the same normalised text (a short text must also carry the
   same title on the same day: a recurring wire item is not a copy).
3. ``title``: same source, same normalised title within 7 days, and the texts
   agree (two feeds of one outlet, a teaser and the full story).
4. ``near_text``: MinHash of word 3-grams (character 3-grams for Chinese,
   Japanese, Thai...) with a banded LSH index in SQLite (20 bands x 3 rows),
   searched within ±30 days of the record's date, then verified on the texts
   themselves: Jaccard or containment of the *core* shingles (another outlet's
   short header/footer lines left out), enough shared content, no whole
   paragraphs that only one text has (a digest quoting an article), and no
   number or name replaced by another in the same context (wire templates
   differ only there). bench/dedup.py measured the choices (SimHash, 5-grams,
   other band settings) and docs/benchmarks.md has the numbers.

Every decision is a :class:`Match` with its evidence; the store turns it into a
``sightings`` row (or an ``article_revisions`` row), so the reason a record was
not appended stays visible to the analyst (:func:`store.explain.explain`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlite_utils

from store import migrations
from store.canonical import (
    canonicalize_url,
    default_identity_rules,
    identity_key,
    registrable_domain,
)
from store.similarity import (  # re-exported: store.dedup is where callers look for them
    DEFAULT_PARAMS,
    Comparison,
    Match,
    Params,
    TextSig,
    compare,
    content_hash,
    diff_summary,
    estimate_jaccard,
    near_verdict,
    normalise_text,
    stored_sig,
    title_verdict,
)

__all__ = [
    "DEFAULT_PARAMS",
    "Comparison",
    "DedupParamsChanged",
    "Deduper",
    "Match",
    "Params",
    "TextSig",
    "compare",
    "content_hash",
    "estimate_jaccard",
    "index_existing",
    "migrate",
    "near_verdict",
    "normalise_text",
    "outlets_for",
    "rebuild",
    "title_verdict",
]


#: Days per period of the band index (schema v13 keys bands by ``day / 64``): the bands
#: of a time window are one part of the index, read and written by that window's appends.
BAND_PERIOD_DAYS = 64


class DedupParamsChanged(RuntimeError):
    """Stored signatures were computed with other parameters: run ``newsmon dedup --rebuild``."""


# --------------------------------------------------------------------------- schema
def migrate(db: sqlite_utils.Database) -> None:
    """Create the dedup tables and views if missing; index existing articles once.

    The tables are schema v3 (:func:`store.migrations.v3_dedup`), the bands reshaped by
    v12 and v13; ``open_db`` creates them.
    """
    migrations.v3_dedup(db, index_articles=index_existing)
    _bands_as_today(db)


def index_existing(db: sqlite_utils.Database) -> None:
    """Index the articles a store held before it had dedup tables (schema v3 does), in
    today's layout of the bands (the later steps that reshape them keep their rows)."""
    _bands_as_today(db)
    rebuild(db)


def _periods(lo: int, hi: int) -> list[int]:
    """The band periods (schema v13) that days ``lo`` to ``hi`` fall in."""
    return list(range(max(lo, 0) // BAND_PERIOD_DAYS, max(hi, 0) // BAND_PERIOD_DAYS + 1))


def _bands_as_today(db: sqlite_utils.Database) -> None:
    if "period" not in db["dedup_bands"].columns_dict:
        migrations.v12_dedup_bands_by_day(db)
        migrations.v13_dedup_bands_by_period(db)


# --------------------------------------------------------------------------- the deduper
def _day(value: str | None) -> int | None:
    if not value or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10]).toordinal()
    except ValueError:
        return None


@dataclass
class Prepared:
    """An incoming row with the keys every layer looks up."""

    row: dict[str, Any]
    url_key: str | None
    canonical_key: str | None
    identity: str | None
    title_key: str
    day: int
    seen_day: int
    sig: TextSig

    #: the identity key came from the canonical hint, not from the fetched URL
    identity_from_hint: bool = False

    @property
    def hint_on_same_site(self) -> bool:
        return bool(
            self.url_key
            and self.canonical_key
            and registrable_domain(self.url_key) == registrable_domain(self.canonical_key)
        )

    def keys(self) -> dict[str, str]:
        """key -> kind: ``url``/``identity`` are the page's own, ``canonical``/``hint_identity``
        come from what the page claims (the fetch URL wins when it is also the canonical)."""
        out: dict[str, str] = {}
        if self.identity:
            out[self.identity] = "hint_identity" if self.identity_from_hint else "identity"
        if self.canonical_key:
            out[self.canonical_key] = "canonical"
        if self.url_key:
            out[self.url_key] = "url"
        return out


class Deduper:
    """The layered deduper; reads and writes its index inside the caller's transaction."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        params: Params = DEFAULT_PARAMS,
        identity_rules: Iterable[Any] | Mapping[str, str] | None = None,
        *,
        check_params: bool = True,
    ) -> None:
        self.db = db
        self.params = params
        if identity_rules is None:
            identity_rules = default_identity_rules()
        self.rules = list(
            identity_rules.values() if isinstance(identity_rules, Mapping) else identity_rules
        )
        self._rule_map = identity_rules
        self._meta_missing = False
        if check_params:
            self._check_params()

    # -- bookkeeping
    def _check_params(self) -> None:
        # Read only: the constructor runs outside the caller's transaction.
        row = self.db.execute("SELECT value FROM dedup_meta WHERE key = 'params'").fetchone()
        want = self.params.fingerprint()
        self._meta_missing = row is None
        if row is not None and row[0] != want:
            raise DedupParamsChanged(
                f"dedup signatures were built with '{row[0]}', this newsmon uses '{want}': "
                "run `newsmon dedup --rebuild`"
            )

    def prepare(self, row: dict[str, Any]) -> Prepared:
        """Canonicalise the row's URL (in place: the stored canonical_url is the clean one)."""
        url = row.get("url") or ""
        hint = row.get("canonical_url")
        rule = next((r for r in self.rules if identity_key(url, [r])), None)
        url_key = canonicalize_url(url) if url else None
        canonical = (
            canonicalize_url(url, canonical_hint=hint, identity=rule) if (url or hint) else None
        )
        own_ident = identity_key(url_key, self._rule_map)
        ident = own_ident or identity_key(canonical, self._rule_map)
        seen = _day(row.get("first_seen_at")) or datetime.now(UTC).date().toordinal()
        row["canonical_url"] = canonical or None
        return Prepared(
            row=row,
            url_key=url_key or None,
            canonical_key=canonical if canonical and canonical != url_key else None,
            identity=ident,
            identity_from_hint=bool(ident and not own_ident),
            title_key=normalise_text(row.get("title") or ""),
            day=_day(row.get("published_at")) or seen,
            seen_day=seen,
            sig=TextSig(row.get("text") or "", self.params),
        )

    def find(self, record: dict[str, Any] | Prepared) -> Match | None:
        p = record if isinstance(record, Prepared) else self.prepare(record)
        return self._by_url(p) or self._by_hash(p) or self._by_title(p) or self._by_text(p)

    # -- layer 1: addresses
    def _by_url(self, p: Prepared) -> Match | None:
        mine = p.keys()
        if not mine:
            return None
        qs = ", ".join("?" for _ in mine)
        rows = self.db.execute(
            f"SELECT key, article_id, kind, origin FROM dedup_keys WHERE key IN ({qs}) "
            "ORDER BY article_id",
            list(mine),
        ).fetchall()
        strong, weak = [], []
        own = ("url", "identity")
        for key, aid, kind, origin in rows:
            incoming = mine[key]
            evidence = {"key": key, "incoming": incoming, "stored": kind, "origin": origin}
            # Only the page itself (its URL or id, or a same-site page naming it, like an AMP
            # copy) can bring a new version of an article. A page elsewhere naming it as
            # canonical is a syndicated copy, and a claim only matches a claim: both are
            # checked against the text below.
            is_strong = (
                origin == "article" and kind in own and (incoming in own or p.hint_on_same_site)
            )
            (strong if is_strong else weak).append((aid, evidence))
        for aid, ev in strong:
            method = "identity" if ev["incoming"] == "identity" else "canonical_url"
            return self._same_address(p, aid, method, ev)
        for aid, ev in weak:
            versions = self._versions([aid]).get(aid, [])
            if not versions:
                continue
            if any(v["content_hash"] == p.row["content_hash"] for v in versions):
                return Match(aid, "canonical_url", 1.0, {**ev, "verified": "same text"})
            best = max(
                (compare(p.sig, stored_sig(v["text"], self.params)) for v in versions),
                key=lambda c: c.jaccard,
            )
            ok, why = title_verdict(best, self.params)
            if ok:
                return Match(
                    aid,
                    "canonical_url",
                    round(best.jaccard, 4),
                    {**ev, "verified": why, **best.as_dict()},
                )
        return None

    def _same_address(self, p: Prepared, aid: int, method: str, ev: dict[str, Any]) -> Match:
        versions = self._versions([aid]).get(aid, [])
        if not versions:
            return Match(aid, method, 1.0, ev)
        for v in versions:
            if (
                v["content_hash"] == p.row["content_hash"]
                and normalise_text(v["title"] or "") == p.title_key
            ):
                return Match(aid, method, 1.0, {**ev, "version": v["revision"]})
        latest = versions[-1]
        diff = diff_summary(
            latest["title"], latest["text"], p.row.get("title"), p.sig.text, self.params
        )
        if p.row.get("truncated") and diff["containment"] >= 0.8:
            # A teaser or paywalled copy of the same page is not a new version of it.
            return Match(aid, method, diff["similarity"], {**ev, "truncated_copy": True, **diff})
        return Match(
            aid,
            method,
            diff["similarity"],
            {**ev, "revision_of": latest["revision"], **diff},
            kind="revision",
        )

    # -- layer 2: identical text
    def _by_hash(self, p: Prepared) -> Match | None:
        h = p.row["content_hash"]
        rows = self.db.execute(
            "SELECT id, title, published_at, first_seen_at, 0 FROM articles WHERE content_hash = ? "
            "UNION ALL SELECT r.article_id, r.title, a.published_at, a.first_seen_at, r.revision "
            "FROM article_revisions r JOIN articles a ON a.id = r.article_id "
            "WHERE r.content_hash = ? ORDER BY 1 LIMIT 20",
            [h, h],
        ).fetchall()
        if not rows or not p.sig.tokens:
            return None
        short = p.sig.size < self.params.min_shingles
        for aid, title, published, seen, rev in rows:
            if short:
                same_title = normalise_text(title or "") == p.title_key
                other_day = _day(published) or _day(seen)
                if not same_title or (other_day is not None and other_day != p.day):
                    continue  # a recurring short item (rates, weather), not a copy
            return Match(
                aid, "content_hash", 1.0, {"content_hash": h, "version": rev, "short_text": short}
            )
        return None

    # -- layer 3: same source, same title
    def _by_title(self, p: Prepared) -> Match | None:
        if not p.title_key or not p.sig.tokens:
            return None
        w = self.params.title_window_days
        rows = self.db.execute(
            "SELECT article_id, day FROM dedup_signatures WHERE title_key = ? AND source IS ? "
            "AND day BETWEEN ? AND ? ORDER BY article_id LIMIT 20",
            [p.title_key, p.row.get("source"), p.day - w, p.day + w],
        ).fetchall()
        if not rows:
            return None
        versions = self._versions([r[0] for r in rows])
        for aid, day in rows:
            for v in versions.get(aid, []):
                cmp = compare(p.sig, stored_sig(v["text"], self.params))
                ok, why = title_verdict(cmp, self.params, same_day=day == p.day)
                if ok:
                    return Match(
                        aid,
                        "title",
                        round(cmp.containment, 4),
                        {
                            "title_key": p.title_key,
                            "days_apart": abs(day - p.day),
                            "verified": why,
                            **cmp.as_dict(),
                        },
                    )
        return None

    # -- layer 4: near-duplicate text
    def candidates(
        self, p: Prepared, *, exclude: int | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Articles sharing LSH bands with the record inside the time window, best first."""
        if p.sig.size == 0:
            return []
        keys = p.sig.band_keys()
        w = self.params.window_days
        qs = ", ".join("?" for _ in keys)
        # The window around the publication day and the one around the day it was seen,
        # merged when they overlap: each is a range of the (key, day) index, so a lookup
        # reads the bands of those days only, however long the store's history.
        ranges = sorted([(p.day - w, p.day + w), (p.seen_day - w, p.seen_day + w)])
        if ranges[1][0] <= ranges[0][1] + 1:
            ranges = [(ranges[0][0], max(ranges[0][1], ranges[1][1]))]
        # The bands are kept per period of BAND_PERIOD_DAYS days (schema v13): a range
        # reads the one or two periods it spans, the part of the index recent appends use.
        spans = [(_periods(lo, hi), lo, hi) for lo, hi in ranges]
        parts = " UNION ALL ".join(
            f"SELECT key, article_id FROM dedup_bands WHERE period IN "
            f"({', '.join('?' for _ in periods)}) AND key IN ({qs}) AND day BETWEEN ? AND ?"
            for periods, _lo, _hi in spans
        )
        rows = self.db.execute(
            f"SELECT article_id, count(DISTINCT key) AS hits FROM ({parts}) "
            "GROUP BY article_id ORDER BY hits DESC, article_id LIMIT ?",
            [*(v for periods, lo, hi in spans for v in (*periods, *keys, lo, hi)), limit + 1],
        ).fetchall()
        rows = [r for r in rows if r[0] != exclude][:limit]
        if not rows:
            return []
        ids = [r[0] for r in rows]
        qs = ", ".join("?" for _ in ids)
        sigs = dict(
            self.db.execute(
                f"SELECT article_id, minhash FROM dedup_signatures WHERE article_id IN ({qs})", ids
            ).fetchall()
        )
        # The stored signature is the first version's; a revised article may match through
        # a later version's bands, so it is always verified.
        revised = {
            r[0]
            for r in self.db.execute(
                f"SELECT DISTINCT article_id FROM article_revisions WHERE article_id IN ({qs})",
                ids,
            ).fetchall()
        }
        mine = p.sig.minhash
        out = []
        for aid, hits in rows:
            blob = sigs.get(aid)
            est = estimate_jaccard(mine, np.frombuffer(blob, dtype="<u4")) if blob else 0.0
            if aid in revised:
                est = 1.0
            out.append({"article_id": aid, "band_hits": hits, "estimate": round(est, 4)})
        out.sort(key=lambda c: (-c["estimate"], c["article_id"]))
        return out

    def _by_text(self, p: Prepared) -> Match | None:
        if p.sig.size < self.params.min_shingles:
            return None
        cands = [c for c in self.candidates(p) if c["estimate"] >= self.params.prefilter]
        cands = cands[: self.params.max_verify]
        if not cands:
            return None
        versions = self._versions([c["article_id"] for c in cands])
        best: tuple[Comparison, dict[str, Any], str] | None = None
        for c in cands:
            for v in versions.get(c["article_id"], []):
                cmp = compare(p.sig, stored_sig(v["text"], self.params))
                ok, why = near_verdict(cmp, self.params)
                c.setdefault("checked", []).append(
                    {
                        "jaccard": round(cmp.jaccard, 4),
                        "containment": round(cmp.containment, 4),
                        "decision": why,
                    }
                )
                if ok and (best is None or cmp.core_jaccard > best[0].core_jaccard):
                    best = (cmp, {**c, "version": v["revision"]}, why)
        if best is None:
            return None
        cmp, cand, why = best
        details = {
            "verified": why,
            **cmp.as_dict(),
            "band_hits": cand["band_hits"],
            "estimate": cand["estimate"],
            "version": cand["version"],
            "window_days": self.params.window_days,
            "candidates": [
                {
                    "article_id": c["article_id"],
                    "estimate": c["estimate"],
                    "band_hits": c["band_hits"],
                }
                for c in cands
            ],
        }
        return Match(cand["article_id"], "near_text", round(cmp.core_jaccard, 4), details)

    def _versions(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Every known version (original first) of the given articles."""
        if not ids:
            return {}
        qs = ", ".join("?" for _ in ids)
        out: dict[int, list[dict[str, Any]]] = {}
        for aid, rev, title, text, h in self.db.execute(
            f"SELECT id, 0, title, text, content_hash FROM articles WHERE id IN ({qs}) "
            f"UNION ALL SELECT article_id, revision, title, text, content_hash "
            f"FROM article_revisions WHERE article_id IN ({qs}) ORDER BY 1, 2",
            [*ids, *ids],
        ).fetchall():
            out.setdefault(aid, []).append(
                {"revision": rev, "title": title, "text": text or "", "content_hash": h}
            )
        return out

    # -- indexing
    def index(self, article_id: int, record: dict[str, Any] | Prepared) -> None:
        """Make a newly stored article findable by every layer."""
        p = record if isinstance(record, Prepared) else self.prepare(record)
        if getattr(self, "_meta_missing", False):
            self.db.execute(
                "INSERT OR REPLACE INTO dedup_meta (key, value) VALUES ('params', ?)",
                [self.params.fingerprint()],
            )
            self._meta_missing = False
        self.db.execute(
            "INSERT OR REPLACE INTO dedup_signatures (article_id, source, title_key, day, "
            "shingles, minhash) VALUES (?, ?, ?, ?, ?, ?)",
            [
                article_id,
                p.row.get("source"),
                p.title_key,
                p.day,
                p.sig.size,
                p.sig.minhash.astype("<u4").tobytes(),
            ],
        )
        self._index_bands(article_id, p)
        self._index_keys(article_id, p, "article")

    def index_sighting(self, match: Match, record: dict[str, Any] | Prepared) -> None:
        """Remember a duplicate's addresses, so the next visit is a cheap key lookup."""
        p = record if isinstance(record, Prepared) else self.prepare(record)
        self._index_keys(match.article_id, p, "sighting")

    def index_revision(self, article_id: int, record: dict[str, Any] | Prepared) -> None:
        """Copies of the revised text must find the article too."""
        p = record if isinstance(record, Prepared) else self.prepare(record)
        self._index_bands(article_id, p)

    def _index_bands(self, article_id: int, p: Prepared) -> None:
        if p.sig.size == 0:
            return
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO dedup_bands (period, key, day, article_id) VALUES (?, ?, ?, ?)",
            [(p.day // BAND_PERIOD_DAYS, k, p.day, article_id) for k in p.sig.band_keys()],
        )

    def _index_keys(self, article_id: int, p: Prepared, origin: str) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO dedup_keys (key, article_id, kind, origin) VALUES (?, ?, ?, ?)",
            [(k, article_id, kind, origin) for k, kind in p.keys().items()],
        )


# --------------------------------------------------------------------------- maintenance
def rebuild(db: sqlite_utils.Database, params: Params = DEFAULT_PARAMS) -> int:
    """Recompute every signature and key (after a parameter change); returns articles indexed."""
    with db.atomic():
        for table in ("dedup_signatures", "dedup_bands", "dedup_keys"):
            db.execute(f"DELETE FROM {table}")
        db.execute(
            "INSERT OR REPLACE INTO dedup_meta (key, value) VALUES ('params', ?)",
            [params.fingerprint()],
        )
        deduper = Deduper(db, params)
        n = 0
        cols = (
            "id, url, canonical_url, source, title, published_at, first_seen_at, text, content_hash"
        )
        for row in db.execute(f"SELECT {cols} FROM articles ORDER BY id").fetchall():
            rec = dict(zip(cols.split(", "), row, strict=True))
            deduper.index(rec["id"], deduper.prepare(rec))
            n += 1
        for aid, url, canon, seen, title, text in db.execute(
            "SELECT article_id, url, canonical_url, seen_at, title, '' FROM sightings"
        ).fetchall():
            rec = {
                "url": url,
                "canonical_url": canon,
                "first_seen_at": seen,
                "title": title,
                "text": text,
            }
            deduper.index_sighting(Match(aid, "rebuild"), deduper.prepare(rec))
        for aid, title, text, seen in db.execute(
            "SELECT r.article_id, r.title, r.text, a.published_at FROM article_revisions r "
            "JOIN articles a ON a.id = r.article_id"
        ).fetchall():
            rec = {"title": title, "text": text, "published_at": seen}
            deduper.index_revision(aid, deduper.prepare(rec))
    return n


def outlets_for(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """Where a story was seen: the stored article first, then each other address."""
    rows = db.execute(
        "SELECT source, url, first_seen_at, 'original', 1.0, 1, 0, 0 FROM articles WHERE id = ? "
        "UNION ALL SELECT source, url, min(seen_at), method, max(similarity), count(*), 1, min(id) "
        "FROM sightings WHERE article_id = ? GROUP BY source, url, method "
        "ORDER BY 7, 3, 8",
        [article_id, article_id],
    ).fetchall()
    return [
        {"source": s, "url": u, "seen_at": t, "method": m, "similarity": sim, "times": n}
        for s, u, t, m, sim, n, _, _ in rows
    ]
