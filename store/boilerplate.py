"""The learned boilerplate of each source (owner of ``boilerplate_blocks`` and
``boilerplate_sources``).

The model itself is pure (parsers/learned.py); this module loads it for a source and
writes back what a batch changed, in the caller's transaction. ``learned`` says whether
a block is removed from records today; ``share`` and ``pages_observed`` are as of the
last time the block was seen (the model recomputes them with recency).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from parsers.learned import LearnedBlock, SourceModel
from store.clock import utcnow


def load(db: sqlite_utils.Database, source: str) -> SourceModel:
    """The model of ``source`` as stored (an empty one for a source never learned)."""
    model = SourceModel(source=source)
    row = db.execute(
        "SELECT pages_observed FROM boilerplate_sources WHERE source = ?", [source]
    ).fetchone()
    if row is None:
        return model
    model.observed = int(row[0])
    for key, path, template, example, pages, weight, seen_at, first, last in db.execute(
        "SELECT key, path, template, example, pages_seen, weight, seen_at_page, first_seen, "
        "last_seen FROM boilerplate_blocks WHERE source = ?",
        [source],
    ):
        model.blocks[key] = LearnedBlock(
            key,
            path or "",
            template or "",
            example or "",
            int(pages),
            float(weight),
            int(seen_at),
            first or "",
            last or "",
        )
    return model


def save(db: sqlite_utils.Database, model: SourceModel) -> None:
    """Write what changed since the model was loaded (call inside a write transaction)."""
    now = utcnow()
    db.execute(
        "INSERT INTO boilerplate_sources (source, pages_observed, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(source) DO UPDATE SET pages_observed = excluded.pages_observed, "
        "updated_at = excluded.updated_at",
        [model.source, model.observed, now],
    )
    if model.forgotten:
        gone = list(model.forgotten)
        for i in range(0, len(gone), 400):
            part = gone[i : i + 400]
            db.execute(
                f"DELETE FROM boilerplate_blocks WHERE source = ? AND key IN "
                f"({', '.join('?' for _ in part)})",
                [model.source, *part],
            )
    rows = []
    for key in model.changed:
        b = model.blocks.get(key)
        if b is None:
            continue
        rows.append(
            [
                model.source,
                b.key,
                int(model.is_boilerplate(b)),
                b.example,
                b.template,
                b.path,
                b.pages,
                model.observed,
                round(model.share(b), 4),
                b.weight,
                b.seen_at,
                b.first_seen,
                b.last_seen,
            ]
        )
    db.conn.executemany(
        "INSERT OR REPLACE INTO boilerplate_blocks (source, key, learned, example, template, "
        "path, pages_seen, pages_observed, share, weight, seen_at_page, first_seen, "
        "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    model.changed.clear()
    model.forgotten.clear()


def reset(db: sqlite_utils.Database, source: str) -> None:
    """Forget everything learned of ``source`` (before learning it again from the archive)."""
    db.execute("DELETE FROM boilerplate_blocks WHERE source = ?", [source])
    db.execute("DELETE FROM boilerplate_sources WHERE source = ?", [source])


@dataclass(frozen=True)
class Listed:
    """One row of ``newsmon boilerplate``."""

    source: str
    #: an example of the block as a page had it
    text: str
    #: what pages are compared by (⟨⟩: a link or a date; ⟨…⟩: any words; "@": a place)
    template: str
    pages_seen: int
    pages_observed: int
    share: float
    first_seen: str
    last_seen: str
    learned: bool


def listing(
    db: sqlite_utils.Database, source: str | None = None, *, candidates: bool = False
) -> list[Listed]:
    """What each source's model removes today (with ``candidates``, also the blocks seen
    on two pages or more that are not removed yet), most common first."""
    names = [
        r[0]
        for r in db.execute(
            "SELECT source FROM boilerplate_sources"
            + (" WHERE source = ?" if source else "")
            + " ORDER BY source",
            [source] if source else [],
        )
    ]
    out: list[Listed] = []
    for name in names:
        model = load(db, name)
        # A block counts under several keys (its text, its opening words, its place...):
        # one row per example, under the key that removes it most surely, the exact text
        # first.
        best: dict[str, LearnedBlock] = {}
        for b in model.blocks.values():
            rank = (model.is_boilerplate(b), model.share(b), b.pages, "⟨…⟩" not in b.template)
            have = best.get(b.example)
            if have is None or rank > (
                model.is_boilerplate(have),
                model.share(have),
                have.pages,
                "⟨…⟩" not in have.template,
            ):
                best[b.example] = b
        for b in sorted(best.values(), key=lambda b: (-model.share(b), -b.pages, b.first_seen)):
            learned = model.is_boilerplate(b)
            if learned or (candidates and b.pages >= 2):
                out.append(
                    Listed(
                        name,
                        b.example,
                        b.template,
                        b.pages,
                        model.observed,
                        model.share(b),
                        b.first_seen,
                        b.last_seen,
                        learned,
                    )
                )
    return out
