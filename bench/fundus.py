"""The Fundus suite of the extraction benchmark: real publishers, hand-checked expectations.

Corpus (read by path from ../shared, never copied): ``articles/fundus/<country>/``, per the
corpus README. ``<Publisher>_<YYYY_MM_DD>.html.gz`` is a page, ``meta.info`` (JSON: file name ->
``url``, ``crawl_date``) says where and when it was fetched, ``<Publisher>.json`` holds the
expected output per parser version (``V1``, ``V1_1``, ``V2`` ...). A publisher's pages sorted by
``crawl_date`` pair in order with its versions sorted by name; with fewer pages than versions,
the last versions apply.

newsmon (``parsers.extract.extract``) and trafilatura (``bare_extraction`` with metadata, body
and metadata in one pass) run in the same loop over the pages, in one process of their own, so
their times per page are taken under the same conditions. Scores:

- body: bag-of-words F1 of extraction.py (label: summary, then each section's headline and
  paragraphs, in that order);
- title: mean token F1 after Unicode normalisation (NFKC, quotes, dashes, zero-width
  characters, white space, casefold), and the share equal after it; where the label glues
  a kicker the page prints as an element of its own ("Kicker: Headline"), the headline
  alone scores as well (the issue's rule);
- authors: share of pages where every labelled name is found (all of its normalised tokens)
  in the extracted byline; *exact* = and the byline holds no other word (joiners aside);
- date: same day in the label's own offset; same minute and same UTC offset, and same minute
  as an instant whatever the offset (over labels with a time; a naive midnight is a bare day,
  a label without an offset is compared on its wall-clock minute);
- page type: share classified as article (every Fundus page is one); truncated: share flagged
  (every Fundus page is a full article, so every flag is a false alarm).

Run through ``bench/extraction.py --suites fundus [--fundus-detail]``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
import statistics
import time
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from docs_section import write_section
from extraction import ARTICLES, Case, _f, _mean, _read, _sample, _setup, prf, tokens

FUNDUS = ARTICLES / "fundus"
SUITE = "fundus"
_PAGE_RE = re.compile(r"^(?P<pub>.+)_(?P<day>\d{4}_\d{2}_\d{2})\.html\.gz$")

# --------------------------------------------------------------------------- cases


def _version_key(name: str) -> tuple[int, ...]:
    """V1 < V1_1 < V1_2 < V2 < V10 (numeric parts, not the letters)."""
    return tuple(int(x) for x in re.findall(r"\d+", name))


def label_body(body: dict[str, Any] | None) -> str:
    """Summary paragraphs, then each section's headline and paragraphs, one per line."""
    body = body or {}
    parts: list[str] = list(body.get("summary") or [])
    for sec in body.get("sections") or []:
        parts += list(sec.get("headline") or [])
        parts += list(sec.get("paragraphs") or [])
    return "\n\n".join(p for p in parts if p)


def fundus_cases(limit: int | None) -> list[Case]:
    """One Case per page, its truth the expectation of the version that page belongs to."""
    out: list[Case] = []
    if not FUNDUS.is_dir():
        return out
    for country in sorted(p for p in FUNDUS.iterdir() if p.is_dir()):
        meta_file = country / "meta.info"
        meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
        pages: dict[str, list[Path]] = {}
        for page in country.glob("*.html.gz"):
            m = _PAGE_RE.match(page.name)
            if m:
                pages.setdefault(m.group("pub"), []).append(page)
        for js in sorted(country.glob("*.json")):
            pub = js.stem
            expected = json.loads(js.read_text(encoding="utf-8"))
            versions = sorted(expected, key=_version_key)
            mine = sorted(
                pages.get(pub, []),
                key=lambda p: (meta.get(p.name, {}).get("crawl_date") or "", p.name),
            )
            if not mine or not versions:
                continue
            # Pair in order; with fewer pages than versions, the last versions apply.
            paired = zip(mine[-len(versions) :], versions[-len(mine) :], strict=True)
            for page, ver in paired:
                e = expected[ver]
                truth = {
                    "text": label_body(e.get("body")),
                    "title": e.get("title") or "",
                    "authors": [a for a in (e.get("authors") or []) if a and a.strip()],
                    "date": e.get("publishing_date") or "",
                    "page_type": "article",
                    "publisher": pub,
                    "version": ver,
                }
                truth["headline"] = headline_alone(truth["title"], page)
                cid = f"{country.name}/{page.name.removesuffix('.html.gz')}"
                out.append(Case(SUITE, cid, str(page), meta.get(page.name, {}).get("url"), truth))
    return _sample(out, limit)


# --------------------------------------------------------------------------- scoring

_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015", "-"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
    }
)


def norm_title(s: str | None) -> str:
    """NFKC, one kind of quote and dash, no zero-width characters, single spaces, casefold."""
    s = unicodedata.normalize("NFKC", s or "").translate(_QUOTES)
    return " ".join(s.split()).casefold()


def title_f1(got: str | None, want: str) -> float:
    return prf(norm_title(got), norm_title(want))[2]


_KICKER_SEP_RE = re.compile(r"\s*(?::|\s[-|]\s)\s*")


def headline_alone(title: str, page: Path) -> str | None:
    """The label's headline without its kicker, when the label glues one the page prints
    on its own ("Nationaler Veteranentag: Orden fürs Morden" beside a kicker element
    "Nationaler Veteranentag"): then the headline alone is right too (issue 13)."""
    parts = _KICKER_SEP_RE.split(unicodedata.normalize("NFKC", title).translate(_QUOTES), 1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    import lxml.html

    kicker = norm_title(parts[0])
    parser = lxml.html.HTMLParser(encoding="utf-8")  # every Fundus page here is UTF-8
    body = lxml.html.fromstring(_read(str(page)), parser=parser).find("body")
    if body is None:
        return None
    for el in body.iter():
        if isinstance(el.tag, str) and norm_title(el.text_content()) == kicker:
            return parts[1]
    return None


def title_score(got: str | None, truth: dict[str, Any]) -> tuple[float, bool]:
    """(token F1, equal) against the label, or its headline alone when the page prints
    the label's kicker apart."""
    wants = [truth["title"], *([truth["headline"]] if truth.get("headline") else [])]
    return (
        max(title_f1(got, w) for w in wants),
        any(norm_title(got) == norm_title(w) for w in wants),
    )


def _name_tokens(s: str | None) -> list[str]:
    return tokens(unicodedata.normalize("NFKC", s or "").casefold())


#: Words that join names in a byline ("A and B"), not junk.
_JOINERS = {"and", "und", "et", "y", "e", "i", "og", "och", "en", "ve", "ja", "és", "и", "і", "та"}


def authors_missing(got: str | None, want: list[str]) -> list[str]:
    """Labelled names not all of whose tokens are in the extracted byline."""
    have = set(_name_tokens(got))
    return [w for w in want if not set(_name_tokens(w)) <= have]


def authors_extra(got: str | None, want: list[str]) -> list[str]:
    """Byline tokens that belong to none of the labelled names."""
    allowed = {t for w in want for t in _name_tokens(w)} | _JOINERS
    return [t for t in _name_tokens(got) if t not in allowed]


def _parse(value: str | None) -> datetime | date | None:
    """A datetime when the value has a time, a date when it is a bare day, else None."""
    s = (value or "").strip()
    if not s:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            return date.fromisoformat(s)
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def _has_time(w: datetime | date) -> bool:
    """Whether a label states a time: a naive midnight is how a bare day is stored."""
    if not isinstance(w, datetime):
        return False
    return w.tzinfo is not None or (w.hour, w.minute, w.second, w.microsecond) != (0, 0, 0, 0)


def date_checks(got: str | None, want: str) -> tuple[bool, bool | None, bool | None]:
    """(same day in the label's offset, same minute and same offset, same minute as an
    instant); the last two are None when the label has no time."""
    w, g = _parse(want), _parse(got)
    if w is None:
        return False, None, None
    timed = _has_time(w)
    wd = w.date() if isinstance(w, datetime) else w
    if g is None:
        return False, (False if timed else None), (False if timed else None)
    if not isinstance(g, datetime):
        return g == wd, (False if timed else None), (False if timed else None)
    if isinstance(w, datetime) and w.tzinfo is not None and g.tzinfo is not None:
        same_day = g.astimezone(w.tzinfo).date() == wd
    else:
        same_day = g.date() == wd
    if not timed or not isinstance(w, datetime):
        return same_day, None, None

    def minute(d: datetime) -> datetime:
        return d.replace(second=0, microsecond=0)

    wall = minute(g).replace(tzinfo=None) == minute(w).replace(tzinfo=None)
    same_offset = w.tzinfo is None or g.utcoffset() == w.utcoffset()
    if w.tzinfo is not None and g.tzinfo is not None:
        instant = minute(g.astimezone(UTC)) == minute(w.astimezone(UTC))
    else:
        instant = wall
    return same_day, wall and same_offset, instant


# --------------------------------------------------------------------------- running


def _trafilatura() -> Any:
    import trafilatura

    def run(data: bytes, url: str | None) -> dict[str, Any]:
        doc = trafilatura.bare_extraction(data, url=url, with_metadata=True)
        if doc is None:
            return {"text": "", "title": None, "author": None, "date": None}
        get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
        return {
            "text": get("text") or "",
            "title": get("title"),
            "author": get("author"),
            "date": get("date"),
        }

    return run


def _child(items: list[tuple[str, str, str | None]], names: list[str], q: Any) -> None:
    """Both extractors in one loop: per page, each in turn (alternating who goes first)."""
    runs = {n: (_setup("newsmon") if n == "newsmon" else _trafilatura()) for n in names}
    results: dict[str, dict[str, Any]] = {n: {} for n in names}
    if items:  # warm-up on the first page, untimed (lazy imports and caches)
        data = _read(items[0][1])
        for run in runs.values():
            try:
                run(data, items[0][2])
            except Exception:  # noqa: BLE001, S110 - a crash is scored on the timed pass
                pass
    for i, (key, path, url) in enumerate(items):
        data = _read(path)
        order = names if i % 2 == 0 else names[::-1]
        for n in order:
            t0 = time.process_time()  # CPU time: the machine is shared
            try:
                r = runs[n](data, url)
            except Exception as exc:  # noqa: BLE001 - a crash on a page scores zero
                r = {"text": "", "error": f"{type(exc).__name__}: {exc}"[:200]}
            r["secs"] = time.process_time() - t0
            results[n][key] = r
    q.put(results)


def run_both(cases: list[Case], names: list[str]) -> dict[str, dict[str, Any]]:
    items = [(f"{c.suite}/{c.cid}", c.path, c.url) for c in cases]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(items, names, q))
    p.start()
    out = q.get()
    p.join()
    return out


def score_fundus(cases: list[Case], results: dict[str, Any]) -> dict[str, Any]:
    s: dict[str, list[float]] = {}

    def add(k: str, v: float) -> None:
        s.setdefault(k, []).append(float(v))

    for c in cases:
        got = results.get(f"{c.suite}/{c.cid}", {})
        t = c.truth
        p, r, f = prf(got.get("text"), t["text"])
        add("f1", f)
        add("p", p)
        add("r", r)
        add("f1>=.9", f >= 0.9)
        if t["title"]:
            tf, same = title_score(got.get("title"), t)
            add("title", tf)
            add("title.exact", same)
        if t["authors"]:
            add("authors", not authors_missing(got.get("author"), t["authors"]))
            add(
                "authors.exact",
                not authors_missing(got.get("author"), t["authors"])
                and not authors_extra(got.get("author"), t["authors"]),
            )
        if t["date"]:
            day, minute, instant = date_checks(got.get("date"), t["date"])
            add("date.day", day)
            if minute is not None:
                add("date.minute", minute)
                add("date.instant", bool(instant))
        if "page_type" in got:
            add("article", got.get("page_type") == "article")
        if "truncated" in got:
            add("truncated", bool(got.get("truncated")))
        add("secs", got.get("secs", 0.0))
    out: dict[str, Any] = {k: _mean(v) for k, v in s.items()}
    out["n"] = {k: len(v) for k, v in s.items()}
    secs = s.get("secs", [])
    out["mean_ms"] = 1000 * statistics.mean(secs) if secs else None
    out["median_ms"] = 1000 * statistics.median(secs) if secs else None
    out["errors"] = sum(
        1 for v in results.values() if v.get("error") or v.get("status") == "failed"
    )
    return out


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def render(scores: dict[str, dict[str, Any]], cases: list[Case], secs: float) -> str:
    n = scores[next(iter(scores))]["n"] if scores else {}
    pubs = len({c.truth["publisher"] for c in cases})
    lines = [
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {secs:.0f} s, "
        "`python bench/extraction.py --suites fundus` (add `--fundus-detail` for the "
        "per-page misses).",
        "",
        f"**Fundus** ({len(cases)} pages of {pubs} publishers, `articles/fundus/`): each page "
        "scored against Fundus's own hand-checked expectation for it. Body: bag-of-words F1 "
        "(label = summary, then section headlines and paragraphs); title: mean token F1 after "
        "Unicode normalisation (NFKC, quotes, dashes, zero-width characters, white space, "
        "casefold) and the share equal after it (where the label glues a kicker that the "
        f"page prints as an element of its own, the headline alone scores too: "
        f"{sum(1 for c in cases if c.truth.get('headline'))} labels); authors: every "
        "labelled name found in the "
        f"byline ({n.get('authors', 0)} pages with names), *exact* = and no other word in it; "
        f"date: same day in the label's offset ({n.get('date.day', 0)} pages), same minute "
        f"and same UTC offset, and same minute as an instant whatever the offset "
        f"({n.get('date.minute', 0)} labels with a time; a naive midnight counts as a bare "
        "day, a naive time is compared on the wall clock); article = share "
        "classified as an article (all are); truncated = share flagged as cut off (none is, so "
        "lower is better); ms = CPU time per page, both extractors in the same loop.",
        "",
        "| extractor | F1 | F1≥0.9 | P | R | title F1 | title exact | authors found "
        "| authors exact | date day | date minute+offset | date instant | article "
        "| truncated | mean ms | median ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, sc in scores.items():
        lines.append(
            f"| {name} | {_f(sc.get('f1'))} | {_f(sc.get('f1>=.9'), True)} "
            f"| {_f(sc.get('p'))} | {_f(sc.get('r'))} "
            f"| {_f(sc.get('title'))} | {_f(sc.get('title.exact'), True)} "
            f"| {_f(sc.get('authors'), True)} | {_f(sc.get('authors.exact'), True)} "
            f"| {_f(sc.get('date.day'), True)} | {_f(sc.get('date.minute'), True)} "
            f"| {_f(sc.get('date.instant'), True)} "
            f"| {_f(sc.get('article'), True)} | {_f(sc.get('truncated'), True)} "
            f"| {_ms(sc.get('mean_ms'))} | {_ms(sc.get('median_ms'))} |"
        )
    ours, peer = scores.get("newsmon", {}), scores.get("trafilatura", {})
    if ours.get("mean_ms") and peer.get("mean_ms"):
        lines += [
            "",
            f"Time per page: newsmon {ours['mean_ms']:.1f} ms, trafilatura "
            f"{peer['mean_ms']:.1f} ms (newsmon {peer['mean_ms'] / ours['mean_ms']:.2f}× "
            "trafilatura's speed).",
        ]
    lines += [
        "",
        "trafilatura: `bare_extraction(html, url=url, with_metadata=True)`, body and metadata "
        "in one pass; its date is a day only, so it cannot score on the minute; it reports no "
        "page type and no truncation ('—'). Both warmed up on one page, untimed, then run on "
        "each page in turn (alternating which goes first).",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- detail


def _clip(s: Any, n: int = 90) -> str:
    s = " ".join(str(s or "").split())
    return repr(s if len(s) <= n else s[: n - 1] + "…")


def detail(cases: list[Case], results: dict[str, Any]) -> list[str]:
    """newsmon's misses, one line each: publisher, field, expected vs got."""
    lines: list[str] = []
    for c in cases:
        got = results.get(f"{c.suite}/{c.cid}", {})
        t, pub = c.truth, f"{c.truth['publisher']} ({c.cid}, {c.truth['version']})"
        if got.get("error") or got.get("status") == "failed":
            lines.append(f"{pub} status: {got.get('error') or got.get('status')}")
        if t["title"] and title_score(got.get("title"), t)[0] < 0.9:
            f = title_score(got.get("title"), t)[0]
            lines.append(
                f"{pub} title (F1 {f:.2f}): expected {_clip(t['title'])} got "
                f"{_clip(got.get('title'))} [{got.get('provenance', {}).get('title', '')}]"
            )
        if t["date"]:
            day, minute, instant = date_checks(got.get("date"), t["date"])
            if not day or minute is False:
                what = "day" if not day else "minute/offset"
                g = _parse(got.get("date"))
                if day and instant and isinstance(g, datetime) and g.tzinfo is None:
                    what = "no offset: wall clock right"
                elif day and instant:
                    what = "offset only: same instant"
                lines.append(
                    f"{pub} date ({what}): expected {t['date']!r} got {got.get('date')!r} "
                    f"[{got.get('provenance', {}).get('published_at', '')}]"
                )
        if t["authors"]:
            missing = authors_missing(got.get("author"), t["authors"])
            extra = authors_extra(got.get("author"), t["authors"])
            if missing or extra:
                what = "missing " + ", ".join(missing) if missing else "extra " + " ".join(extra)
                lines.append(
                    f"{pub} authors ({what}): expected {t['authors']!r} got "
                    f"{_clip(got.get('author'))} [{got.get('provenance', {}).get('author', '')}]"
                )
        if got.get("truncated"):
            lines.append(
                f"{pub} truncated: expected False got True "
                f"[{got.get('provenance', {}).get('truncated', '')}]"
            )
        if got.get("page_type") not in (None, "article"):
            lines.append(f"{pub} page_type: expected 'article' got {got.get('page_type')!r}")
        p, r, f = prf(got.get("text"), t["text"])
        if f < 0.8:
            lines.append(f"{pub} body (F1 {f:.2f}, P {p:.2f}, R {r:.2f})")
    return lines


# --------------------------------------------------------------------------- entry


def run_fundus(
    limit: int | None, peers: list[str], *, write: bool, show_detail: bool = False
) -> dict[str, dict[str, Any]] | None:
    """Measure newsmon (and trafilatura when it is among the peers); print the table."""
    if not FUNDUS.is_dir():
        print(f"fundus suite skipped: corpus not found at {FUNDUS}")
        return None
    cases = fundus_cases(limit)
    if not cases:
        print(f"fundus suite skipped: no pages with expectations under {FUNDUS}")
        return None
    names = ["newsmon"] + (["trafilatura"] if "trafilatura" in peers else [])
    t0 = time.time()
    results = run_both(cases, names)
    scores = {n: score_fundus(cases, results[n]) for n in names}
    table = render(scores, cases, time.time() - t0)
    print(table)
    if show_detail:
        lines = detail(cases, results["newsmon"])
        print(f"\nnewsmon misses on Fundus ({len(lines)}):")
        print("\n".join(lines) if lines else "(none)")
    if write:
        write_section("extraction-fundus", "Extraction on Fundus (real publishers)", table)
    return scores
