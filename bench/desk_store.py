"""Stores at a year's scale for bench/desk.py, built deterministically at run time.

Rows are made of real sentences read by path from ``../shared/corpus`` (never copied):
Azerbaijani from the report.az sample, English from the WCXB labels and newspaper4k texts,
Russian and Chinese from the chardet pages in their own encodings. 50 sources in four
languages publish over 400 days; about a fifth of the articles carry a topic tag and 5 %
were seen again at another outlet.

Two files hold the same article rows:
- the newsmon store, written at schema version 8 (before the desk's indexes and counts),
  kept in ``bench/.cache``; each benchmark run upgrades a copy of it with
  ``store.open_db``, as a user's first command after an update would, and reports the time;
- the reference: the rows in a plain sqlite-utils table with full-text search enabled the
  sqlite-utils way, and nothing else (served by Datasette with no metadata).
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import random
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store import dedup  # noqa: E402
from store.append import ARTICLE_COLUMNS  # noqa: E402
from store.db import connect, migrate, open_db  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
#: The article columns of schema version 8, which the stores are written at (``day``
#: came with version 9, filled by its migration).
V8_COLUMNS = tuple(c for c in ARTICLE_COLUMNS if c != "day")
DAYS = 400
LAST_DAY = date(2026, 11, 30)
TOPICS = (("az-china", 0.08), ("energy", 0.10), ("transport", 0.05))
#: (language, sources, UTC offset, sections)
OUTLETS = (
    ("az", 15, "+04:00", ("siyasət", "iqtisadiyyat", "cəmiyyət", "dünya", "idman", "mədəniyyət")),
    ("en", 20, "+00:00", ("politics", "business", "world", "energy", "sport", "culture")),
    ("ru", 10, "+03:00", ("политика", "экономика", "общество", "в мире", "спорт", "культура")),
    ("zh", 5, "+08:00", ("时政", "财经", "国际", "社会", "体育", "文化")),
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_CLAUSE_END = re.compile(r"[，。！？；、\s]+")
_HAN_CLAUSE = re.compile(r"^[一-鿿]{6,40}$")
_SCRIPT = {
    "az": re.compile(r"[əğıöüşçƏĞİÖÜŞÇ]"),
    "en": re.compile(r"^(?=.*\b(?:the|and|of)\b)[\x20-\x7e’“”—–]+$"),
    "ru": re.compile(r"[а-яА-ЯёЁ]{4}"),
    "zh": re.compile(r"^(?!.*[ぁ-ヿ{};=]).*[一-鿿]{6}"),
}


def _split(text: str, language: str) -> Iterator[str]:
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if 30 <= len(sentence) <= 320 and _SCRIPT[language].search(sentence):
            yield sentence


def _page_text(raw: bytes, encoding: str) -> str:
    try:
        tree = lxml_html.fromstring(raw.decode(encoding, errors="replace"))
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    return " ".join(tree.itertext())


@functools.cache
def sentences() -> dict[str, list[str]]:
    """Real sentences per language, in a fixed order (deterministic stores)."""
    if not CORPUS.is_dir():
        raise SystemExit(f"bench/desk.py needs the corpus at {CORPUS} (../shared beside the repo)")
    pool: dict[str, list[str]] = {lang: [] for lang in _SCRIPT}
    with open(CORPUS / "encodings/azerbaijani/parsAZ_report_az_sample.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pool["az"].extend(_split(row["content"], "az"))
    for path in sorted((CORPUS / "extraction/wcxb-dev/ground-truth").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8")).get("ground_truth", {})
        for lang in ("en", "ru"):  # WCXB pages are in many languages
            pool[lang].extend(_split(truth.get("main_content") or "", lang))
    for path in sorted((CORPUS / "articles/newspaper4k/txt").glob("*.txt")):
        pool["en"].extend(_split(path.read_text(encoding="utf-8", errors="replace"), "en"))
    for path in sorted((CORPUS / "articles/fundus").glob("*/*.html.gz")):
        pool["ru"].extend(_split(_page_text(gzip.decompress(path.read_bytes()), "utf-8"), "ru"))
    chardet = CORPUS / "encodings/chardet"
    for folder, encoding in (
        ("windows-1251-russian", "windows-1251"),
        ("KOI8-R", "koi8-r"),
        ("IBM866", "cp866"),
        ("MacCyrillic", "mac-cyrillic"),
        ("iso-8859-5-russian", "iso-8859-5"),
    ):
        for path in sorted((chardet / folder).iterdir()):
            pool["ru"].extend(_split(_page_text(path.read_bytes(), encoding), "ru"))
    # Chinese sentences are few in the corpus; its clauses are many: real clauses are
    # joined into sentences (two to four each).
    clauses: set[str] = set()
    pages = [
        (p, e)
        for f, e in (("GB2312", "gb18030"), ("Big5", "big5"), ("utf-8", "utf-8"))
        for p in sorted((chardet / f).iterdir())
    ]
    pages += [(p, "utf-8") for p in sorted((CORPUS / "articles").glob("**/*.html"))]
    for path, encoding in pages:
        for clause in _CLAUSE_END.split(_page_text(path.read_bytes(), encoding)):
            if _HAN_CLAUSE.match(clause):
                clauses.add(clause)
    ordered = sorted(clauses)
    rng = random.Random(7)
    pool["zh"] = ["，".join(rng.sample(ordered, rng.randint(2, 4))) + "。" for _ in range(5000)]
    return {lang: sorted(set(found)) for lang, found in pool.items()}


def index_dedup(path: Path) -> None:
    """Index a built store's articles for dedup (what the monitor did as it stored them),
    so that an append measured on it checks a year of articles. Today's deduper writes
    its bands in today's layout: the upgrade re-keys them like those of a real old store."""
    db = connect(path)
    dedup.index_existing(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _outlets() -> list[tuple[str, str, str, tuple[str, ...]]]:
    out = []
    for language, count, offset, sections in OUTLETS:
        for n in range(count):
            out.append((f"{language}-outlet-{n + 1:02d}", language, offset, sections))
    return out


def rows(n: int, seed: int = 15) -> Iterator[tuple[dict[str, object], list[str], str | None]]:
    """``n`` article rows in publication order, each with its topics and, for 5 %, the
    other outlet that carried it too."""
    rng = random.Random(seed)
    pool = sentences()
    outlets = _outlets()
    weights = [1.0 + (i % 7) / 3 for i in range(len(outlets))]
    per_day, extra = divmod(n, DAYS)
    first = LAST_DAY - timedelta(days=DAYS - 1)
    for d in range(DAYS):
        day = first + timedelta(days=d)
        count = per_day + (1 if d < extra else 0)
        seconds = sorted(rng.randrange(86_400) for _ in range(count))
        for second in seconds:
            name, language, offset, sections = rng.choices(outlets, weights)[0]
            sents = pool[language]
            paragraphs = [
                " ".join(rng.choice(sents) for _ in range(rng.randint(1, 3)))
                for _ in range(rng.randint(4, 8))
            ]
            text = "\n\n".join(paragraphs)
            title = rng.choice(sents)[:110]
            hh, mm, ss = second // 3600, second // 60 % 60, second % 60
            published = f"{day.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}{offset}"
            seen = f"{day.isoformat()}T{hh:02d}:{mm:02d}:{ss:02d}Z"
            slug = hashlib.blake2b(f"{name}{published}{title}".encode(), digest_size=8).hexdigest()
            url = f"https://{name}.example/{sections[0]}/{day.isoformat()}/{slug}"
            row: dict[str, object] = {c: None for c in ARTICLE_COLUMNS}
            row.update(
                url=url,
                canonical_url=url,
                source=name,
                title=title,
                author=None if rng.random() < 0.4 else f"Author {rng.randint(1, 300)}",
                published_at=published,
                section=rng.choice(sections),
                language=language,
                text=text,
                tags="[]",
                provenance='{"title": "json-ld", "published_at": "json-ld"}',
                page_type="article",
                truncated=0,
                content_hash=hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
                word_count=len(text.split()),
                first_seen_at=seen,
                run_id=f"bench-{day.isoformat()}",
            )
            topics = [t for t, share in TOPICS if rng.random() < share]
            other = rng.choice(outlets)[0] if rng.random() < 0.05 else None
            yield row, topics, other


def _previous_schema(path: Path) -> sqlite_utils.Database:
    """A store at schema version 8 (what the last release wrote)."""
    db = connect(path)
    migrate(db, target=8)
    return db


def build(newsmon_path: Path, reference_path: Path, n: int, log=print) -> float:
    """Write both stores (``n`` articles each; the newsmon one at schema version 8);
    returns the time it took (s)."""
    for path in (newsmon_path, reference_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    newsmon_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    db = _previous_schema(newsmon_path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    ref = sqlite3.connect(reference_path)
    ref.execute("PRAGMA journal_mode = WAL")
    ref.execute("PRAGMA synchronous = OFF")
    # The columns sqlite-utils would infer from the first row; the same for every row.
    ref_db = sqlite_utils.Database(ref)
    ref_db["articles"].create(
        {c: (int if c in ("truncated", "word_count") else str) for c in V8_COLUMNS},
        pk="id",
    )
    columns = list(V8_COLUMNS)
    insert = f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    batch: list[tuple[object, ...]] = []
    topics: list[tuple[int, str, str, str, str]] = []
    seen: list[tuple[int, str, str, str, str, float]] = []
    article_id = 0

    def flush() -> None:
        with conn:
            conn.executemany(insert, batch)
            conn.executemany(
                "INSERT INTO article_topics (article_id, topic, matched_terms, snippet, tagged_at)"
                " VALUES (?, ?, ?, ?, ?)",
                topics,
            )
            conn.executemany(
                "INSERT INTO sightings (article_id, url, source, seen_at, method, similarity) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                seen,
            )
        with ref:
            ref.executemany(insert, batch)
        batch.clear()
        topics.clear()
        seen.clear()

    for row, tags, other in rows(n):
        article_id += 1
        batch.append(tuple(row[c] for c in columns))
        for topic in tags:
            topics.append(
                (article_id, topic, json.dumps([topic]), str(row["title"]), row["first_seen_at"])
            )
        if other:
            seen.append(
                (
                    article_id,
                    f"https://{other}.example/{article_id}",
                    other,
                    row["first_seen_at"],
                    "near-text",
                    0.93,
                )
            )
        if len(batch) >= 5000:
            flush()
            if article_id % 100_000 == 0:
                log(f"  {article_id:,} articles written ({time.perf_counter() - started:.0f} s)")
    if batch:
        flush()
    ref_db["articles"].enable_fts(["title", "text"], create_triggers=True)
    ref.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ref.close()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    log("  indexing the articles for dedup, as the monitor would have")
    index_dedup(newsmon_path)
    return time.perf_counter() - started


def upgrade(path: Path) -> float:
    """Open a store with today's newsmon, as a user's first command after an update
    would: every later migration runs. Returns its time in seconds."""
    started = time.perf_counter()
    open_db(path).close()
    return time.perf_counter() - started
