"""Why a URL was stored, merged or kept apart: ``newsmon dedup --explain``.

:func:`explain` gathers the evidence from the dedup index (:mod:`store.dedup`), the
sightings, the revisions and the nearest candidates; :func:`format_explanation` prints
it for a terminal. With a record that is not stored yet it is a dry run of the decision
the next append would take. Read only: nothing here writes to the store.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import sqlite_utils

from store.canonical import canonicalize_url, identity_key
from store.clock import utcnow
from store.dedup import Deduper, Prepared, outlets_for
from store.revisions import revisions_for
from store.rows import to_row
from store.similarity import DEFAULT_PARAMS, Params, compare, near_verdict, stored_sig

__all__ = ["explain", "format_explanation"]

_ARTICLE_FIELDS = (
    "id, url, canonical_url, source, title, published_at, first_seen_at, text, "
    "content_hash, truncated"
)


def _article(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    row = db.execute(
        f"SELECT {_ARTICLE_FIELDS} FROM articles WHERE id = ?", [article_id]
    ).fetchone()
    return dict(zip(_ARTICLE_FIELDS.split(", "), row, strict=True)) if row else None


def _nearest(deduper: Deduper, p: Prepared, exclude: int | None, limit: int) -> list[dict]:
    out = []
    cands = deduper.candidates(p, exclude=exclude, limit=limit)
    versions = deduper._versions([c["article_id"] for c in cands])
    for c in cands:
        vs = versions.get(c["article_id"], [])
        if not vs:
            continue
        cmps = [compare(p.sig, stored_sig(v["text"], deduper.params)) for v in vs]
        cmp = max(cmps, key=lambda x: x.core_jaccard)
        ok, why = near_verdict(cmp, deduper.params)
        info = _article(deduper.db, c["article_id"]) or {}
        out.append(
            {
                "article_id": c["article_id"],
                "title": info.get("title"),
                "source": info.get("source"),
                "url": info.get("url"),
                "published_at": info.get("published_at"),
                "band_hits": c["band_hits"],
                "estimate": c["estimate"],
                **cmp.as_dict(),
                "duplicate": ok,
                "reason": why,
            }
        )
    out.sort(key=lambda x: -x["core_jaccard"])
    return out


def explain(
    db: sqlite_utils.Database,
    url: str,
    *,
    article: Any = None,
    params: Params = DEFAULT_PARAMS,
    nearest: int = 5,
) -> dict[str, Any]:
    """Why a URL was (or, with ``article``, would be) stored, merged or kept apart.

    ``article`` (a :class:`parsers.record.Article`) makes this a dry run for a
    record that is not in the store: the decision the next append would take.
    """
    deduper = Deduper(db, params, check_params=False)
    canonical = canonicalize_url(url)
    ident = identity_key(canonical, deduper._rule_map)
    keys = [k for k in (canonical, ident, url) if k]
    qs = ", ".join("?" for _ in keys)
    hits = db.execute(
        f"SELECT key, article_id, kind, origin FROM dedup_keys WHERE key IN ({qs}) "
        "ORDER BY origin, article_id",
        keys,
    ).fetchall()
    out: dict[str, Any] = {
        "url": url,
        "canonical_url": canonical,
        "identity_key": ident,
        "params": params.fingerprint(),
        "window_days": params.window_days,
        "keys": [{"key": k, "article_id": a, "kind": kd, "origin": o} for k, a, kd, o in hits],
    }
    own = next((a for _, a, _, o in hits if o == "article"), None)
    seen = [a for _, a, _, o in hits if o == "sighting"]
    if own is not None:
        art = _article(db, own)
        out["status"] = "stored"
        out["article_id"] = own
    elif seen:
        art = _article(db, seen[0])
        out["status"] = "duplicate"
        out["article_id"] = seen[0]
    else:
        art = None
        out["status"] = "unknown"
    if art is not None:
        out["article"] = {k: v for k, v in art.items() if k != "text"}
        out["sightings"] = _sightings(db, art["id"])
        out["this_url"] = [
            s
            for s in out["sightings"]
            if s["url"] in (url, canonical) or s["canonical_url"] == canonical
        ]
        out["outlets"] = outlets_for(db, art["id"])
        out["revisions"] = revisions_for(db, art["id"])
        p = deduper.prepare(dict(art))
        out["nearest"] = _nearest(deduper, p, art["id"], nearest)
    if article is not None and art is None:
        row = to_row(article, run_id=None, now=utcnow())
        p = deduper.prepare(row)
        m = deduper.find(p)
        out["status"] = "would be new" if m is None else f"would be a {m.kind}"
        out["decision"] = None if m is None else asdict(m)
        out["nearest"] = _nearest(deduper, p, None, nearest)
        out["text_shingles"] = p.sig.size
    return out


def _sightings(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT id, url, canonical_url, source, title, seen_at, run_id, method, similarity, "
        "details FROM sightings WHERE article_id = ? ORDER BY id",
        [article_id],
    ).fetchall()
    keys = "id url canonical_url source title seen_at run_id method similarity details".split()
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["details"] = json.loads(d["details"]) if d["details"] else {}
        out.append(d)
    return out


def _short(text: str | None, n: int = 70) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def format_explanation(d: dict[str, Any]) -> str:
    """The output of :func:`explain` as text for a terminal."""
    lines = [f"URL        {d['url']}", f"canonical  {d['canonical_url']}"]
    if d.get("identity_key"):
        lines.append(f"identity   {d['identity_key']}")
    art = d.get("article")
    status = d.get("status")
    if status == "stored" and art:
        lines.append(
            f"verdict    stored as article #{art['id']} ({art.get('source') or '?'}, "
            f"{art.get('published_at') or 'no date'}): {_short(art.get('title'))}"
        )
    elif status == "duplicate" and art:
        lines.append(f"verdict    a duplicate of article #{art['id']}: {_short(art.get('title'))}")
        for s in d.get("this_url", []):
            lines.append(
                f"           matched by {s['method']} (similarity {s['similarity']:.2f}) "
                f"on {s['seen_at']}"
            )
            det = s.get("details") or {}
            if det.get("verified"):
                lines.append(f"           evidence: {det['verified']}")
            for key in ("core_jaccard", "core_containment", "core_shared", "band_hits", "key"):
                if key in det:
                    lines.append(f"             {key}: {det[key]}")
    elif status and status.startswith("would"):
        m = d.get("decision")
        if m:
            lines.append(
                f"verdict    {status} of article #{m['article_id']} by {m['method']} "
                f"(similarity {m['similarity']:.2f})"
            )
            if m["details"].get("verified"):
                lines.append(f"           evidence: {m['details']['verified']}")
        else:
            lines.append(f"verdict    would be new ({d.get('text_shingles', 0)} shingles)")
    else:
        lines.append("verdict    not in the store")
    outlets = d.get("outlets") or []
    if len(outlets) > 1:
        lines.append(
            f"outlets    {len({o['source'] for o in outlets})} source(s), "
            f"{len(outlets)} address(es):"
        )
        for o in outlets:
            lines.append(
                f"  {o['seen_at'] or '':<25} {o['source'] or '?':<16} {o['method']:<13} "
                f"{(o['similarity'] or 0):.2f}  {o['url']}"
            )
    for r in d.get("revisions") or []:
        lines.append(
            f"revision   #{r['revision']} {r['seen_at']}: "
            f"{'title changed, ' if r['title_changed'] else ''}"
            f"+{r['words_added']}/-{r['words_removed']} words, similarity {r['similarity']:.2f}"
        )
    near = d.get("nearest")
    if near is not None:
        lines.append(f"nearest    candidates within ±{d['window_days']} days (LSH bands):")
        if not near:
            lines.append("  none")
        for c in near:
            mark = "DUP" if c["duplicate"] else "   "
            lines.append(
                f"  {mark} #{c['article_id']:<7} J={c['core_jaccard']:.2f} "
                f"C={c['core_containment']:.2f} shared={c['core_shared']:<5} "
                f"bands={c['band_hits']:<3} "
                f"{_short(c.get('title'), 50)}"
            )
            lines.append(f"        {c['reason']}")
    return "\n".join(lines)
