"""Search inside Chinese, Japanese and Korean sentences without reading every article.

FTS5's unicode61 tokenizer keeps a run of Chinese characters (a whole sentence) as one
token, so a word inside a sentence is not in the main index. This module owns two tables
(schema step v11) that close the gap:

- ``articles_cjk``: an FTS5 index (contentless, no positions: small) of the overlapping
  character pairs of every run of CJK characters in the title and text of articles in
  ``CJK_LANGUAGES``. A query of two or more such characters asks for all of its pairs; the
  search then checks the words are really there (a pair index can match pairs that are
  apart, and a contentless index keeps a changed article's old pairs).
- ``cjk_pending``: articles written since the index last caught up, queued by triggers
  on ``articles`` whatever writes them. :func:`index_pending` (run by every append, in its
  transaction, and by the step that creates the index) indexes them; the search reads the
  few still queued directly, so a writer that never calls it loses nothing.
"""

from __future__ import annotations

import re

import sqlite_utils

#: Languages written without spaces between words (the ones the pair index covers).
CJK_LANGUAGES = ("zh", "ja", "ko")

#: Characters indexed by pairs: kana, CJK ideographs (extension A and unified), Hangul.
CJK_CLASS = "ぁ-ヿ㐀-䶿一-鿿가-힯"

_RUN = re.compile(f"[{CJK_CLASS}]+")

#: Articles indexed per statement while catching up (memory stays flat on a large store).
_CHUNK = 2000


def pairs(text: str) -> list[str]:
    """The distinct overlapping character pairs of every CJK run of ``text`` (a run of
    one character gives none), in order of first appearance."""
    seen: dict[str, None] = {}
    for run in _RUN.findall(text or ""):
        for i in range(len(run) - 1):
            seen.setdefault(run[i : i + 2], None)
    return list(seen)


def index_pending(db: sqlite_utils.Database) -> int:
    """Index the queued articles (in the caller's transaction); returns how many."""
    done = 0
    while True:
        rows = db.execute(
            "SELECT p.article_id, a.id, a.language, a.title, a.text FROM cjk_pending p "
            "LEFT JOIN articles a ON a.id = p.article_id ORDER BY p.article_id LIMIT ?",
            [_CHUNK],
        ).fetchall()
        if not rows:
            return done
        grams = [
            (article_id, " ".join(pairs(f"{title or ''}\n{text or ''}")))
            for article_id, present, language, title, text in rows
            if present is not None and language in CJK_LANGUAGES
        ]
        db.conn.executemany(
            "INSERT INTO articles_cjk (rowid, pairs) VALUES (?, ?)", [g for g in grams if g[1]]
        )
        db.conn.executemany("DELETE FROM cjk_pending WHERE article_id = ?", [(r[0],) for r in rows])
        done += len(rows)


def query_sql(q: str = ":q") -> str:
    """SQL giving the pair index's query for the text in parameter ``q``: every pair of
    CJK characters in it, each quoted, all required; ``x`` (found nowhere: the index
    holds CJK pairs only) when it has none."""
    pair = f"substr({q}, n, 2)"
    return (
        "coalesce((WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i "
        f"WHERE n < length({q}) - 1) "
        f"SELECT '\"' || group_concat({pair}, '\" \"') || '\"' FROM i "
        f"WHERE length({pair}) = 2 AND {pair} NOT GLOB '*[^{CJK_CLASS}]*'), 'x')"
    )
