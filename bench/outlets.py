"""Outlet benchmark: how clean stored article bodies are on outlets nobody wrote rules for.

demo/outlets.py serves designed outlets (6 dev, 3 held out, designed apart; 3 more held
out in demo/outlets_heldout.py, 3 more in demo/outlets_blind.py) on 127.0.0.1, one port
each, around real English, Azerbaijani and Russian texts from ../shared/corpus, with each
outlet's own in-body boilerplate: read-also lines, newsletter and app boxes, copyright
lines, captions, ad labels, author and tag lines, related boxes. For every outlet
and N in (1, 5, 10, 30), a fresh store and configuration, a feed of the outlet's N newest
pages and ONE real monitor run (flows.run.run_monitor, no Prefect); then the stored texts
are scored against what went into the pages. A per-source learner sees N pages of the
outlet, hence the N column. trafilatura on the same HTML is the reference.

Metrics (per outlet and N; pages the monitor did not store count as F1 0, all lost):
- body F1: bag-of-words F1 (lower-case, runs of word characters, token multisets) between
  the stored text and the real paragraphs joined;
- clean: share of stored pages with none of their inserted boilerplate left. A block is
  left when one of its check strings (its fixed wording, or the whole line; a box's heading
  or line; a related box's heading or any of its headlines) is in the stored text, as a
  token sequence, and not in the page's real text;
- lost: share of real paragraphs not in the stored text (fewer than 90% of the
  paragraph's token 3-grams there);
- stored: pages stored / pages in the feed.

Then, unless --skip-checks, bench/learning_checks.py: the largest N again with learning
off, the learner on real sites' pages (WCXB-dev, Fundus), and extraction time with and
without the learner.

Usage: python bench/outlets.py [--quick] [--no-write] [--learning off] [--skip-checks]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from docs_section import DOCS, write_section

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.outlets import (  # noqa: E402
    OUTLETS,
    Boiler,
    CorpusMissing,
    OutletServer,
    OutletSpec,
    Page,
    Site,
    build_site,
)
from demo.outlets_blind import BLIND  # noqa: E402
from demo.outlets_heldout import MORE_HELD_OUT  # noqa: E402

NS = (1, 5, 10, 30)
QUICK_NS = (1, 5)
QUICK_OUTLETS = ("bayline", "xezer", "zarya")
UA = "newsmon-bench/0.1 (+https://github.com/newsmon/newsmon)"
PRESENT = 0.9  # share of a paragraph's 3-grams that must be in the text


# --------------------------------------------------------------------------- scoring
def tokens(text: str) -> list[str]:
    """Lower-cased runs of word characters (Unicode-aware)."""
    return re.findall(r"\w+", text.lower())


def f1(predicted: str, gold: str) -> float:
    """Bag-of-words F1 of two texts (token multisets)."""
    p, g = Counter(tokens(predicted)), Counter(tokens(gold))
    common = sum((p & g).values())
    if not common:
        return 1.0 if not p and not g else 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def _norm(text: str) -> str:
    return " " + " ".join(tokens(text)) + " "


def left_in(page: Page, text: str) -> list[Boiler]:
    """The page's inserted boilerplate blocks still in ``text``.

    A check string found in the real paragraphs too says nothing and is skipped."""
    got, real = _norm(text), _norm("\n".join(page.paragraphs))
    out = []
    for b in page.boilerplate:
        for c in b.checks:
            needle = _norm(c)
            if needle.strip() and needle in got and needle not in real:
                out.append(b)
                break
    return out


def _grams(toks: list[str]) -> set[tuple[str, ...]]:
    return {tuple(toks[i : i + 3]) for i in range(len(toks) - 2)} if len(toks) >= 3 else set()


def lost_paragraphs(page: Page, text: str) -> list[str]:
    """The real paragraphs of the page that ``text`` does not (approximately) hold."""
    have, norm = _grams(tokens(text)), _norm(text)
    out = []
    for p in page.paragraphs:
        toks = tokens(p)
        if len(toks) < 3:
            if _norm(p).strip() and _norm(p) not in norm:
                out.append(p)
            continue
        mine = _grams(toks)
        if len(mine & have) < PRESENT * len(mine):
            out.append(p)
    return out


@dataclass
class Score:
    pages: int = 0
    stored: int = 0
    f1: float = 0.0  # summed over pages
    clean: int = 0  # stored pages with no boilerplate left
    paragraphs: int = 0
    lost: int = 0
    kinds: Counter = field(default_factory=Counter)  # blocks inserted, by kind
    kinds_left: Counter = field(default_factory=Counter)

    def add(self, page: Page, text: str | None) -> None:
        self.pages += 1
        self.paragraphs += len(page.paragraphs)
        self.kinds.update(b.kind for b in page.boilerplate)
        if text is None:
            self.lost += len(page.paragraphs)
            return
        self.stored += 1
        self.f1 += f1(text, "\n".join(page.paragraphs))
        left = left_in(page, text)
        self.clean += not left
        self.kinds_left.update(b.kind for b in left)
        self.lost += len(lost_paragraphs(page, text))

    def merge(self, other: Score) -> None:
        for name in ("pages", "stored", "f1", "clean", "paragraphs", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.kinds.update(other.kinds)
        self.kinds_left.update(other.kinds_left)


# --------------------------------------------------------------------------- runs
def config_text(db: Path, spec: OutletSpec, feed: str, n: int, learning: bool) -> str:
    lines = [
        "[settings]",
        f'db = "{db}"',
        f'user_agent = "{UA}"',
        "per_host_concurrency = 2",
        "per_host_interval = 0",
        'allow_addresses = ["127.0.0.1/32"]',
        "max_articles_per_run = 10000",
        "batch_size = 50",
        "retries = 0",
        "[settings.timeouts]",
        "connect = 2",
        "read = 10",
        "total = 20",
        "[[sources]]",
        f'name = "{spec.name}"',
        f'feeds = ["{feed}"]',
        f'language = "{spec.language}"',
        f"max_new_per_run = {max(n, 50)}",
    ]
    if not learning:
        lines.append("learn_boilerplate = false")
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    texts: dict[int, str]  # page index -> stored text
    page_types: Counter
    result: dict


def monitor_run(server: OutletServer, site: Site, n: int, tmp: Path, learning: bool) -> Run:
    """One monitor run on a fresh store, the feed listing the outlet's n newest pages."""
    from flows.run import run_monitor

    key = site.spec.key
    db = tmp / f"{key}-{n}.db"
    cfg = tmp / f"{key}-{n}.toml"
    cfg.write_text(
        config_text(db, site.spec, server.feed_url(key, n), n, learning), encoding="utf-8"
    )
    result = asyncio.run(run_monitor(config=str(cfg)))
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT url, text, page_type FROM articles").fetchall()
    finally:
        con.close()
    texts, types = {}, Counter()
    for url, text, page_type in rows:
        page = site.page_for(url)
        if page is not None:
            texts[page.index] = text or ""
        types[page_type or "none"] += 1
    return Run(texts, types, result)


def trafilatura_text(html: bytes, url: str) -> str:
    """trafilatura's body text of a page (2.x returns a Document, 1.x a dict)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html.decode("utf-8"), url=url, with_metadata=True)
    if doc is None:
        return ""
    if isinstance(doc, dict):
        return doc.get("text") or ""
    return getattr(doc, "text", None) or ""


# --------------------------------------------------------------------------- tables
def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _row(label: str, lang: str, nm: Score, tf: Score, kinds: bool = True) -> str:
    def cells(s: Score) -> list[str]:
        return [
            f"{s.f1 / s.pages:.3f}" if s.pages else "–",
            _pct(s.clean / s.stored) if s.stored else "–",
            _pct(s.lost / s.paragraphs) if s.paragraphs else "–",
        ]

    a, b = cells(nm), cells(tf)
    left = ", ".join(f"{k} {c}" for k, c in nm.kinds_left.most_common(3)) if kinds else ""
    return (
        f"| {label} | {lang} | {nm.stored}/{nm.pages} | {a[0]} | {b[0]} | {a[1]} | {b[1]} "
        f"| {a[2]} | {b[2]} | {left} |"
    )


HEAD = (
    "| outlet | lang | stored | F1 newsmon | F1 trafilatura | clean newsmon | clean trafilatura "
    "| lost newsmon | lost trafilatura | most left in, newsmon (blocks) |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
)


def table(n: int, specs: list[OutletSpec], scores: dict) -> str:
    lines = [f"**N = {n}** (feed of {n} page{'s' if n > 1 else ''} per outlet)", "", HEAD]
    means = {False: (Score(), Score()), True: (Score(), Score())}
    for spec in specs:
        nm, tf = scores[spec.key, n]
        label = f"{spec.key} (held out)" if spec.held_out else spec.key
        lines.append(_row(label, spec.language, nm, tf))
        means[spec.held_out][0].merge(nm)
        means[spec.held_out][1].merge(tf)
    for held, name in ((False, "**mean, dev**"), (True, "**mean, held out**")):
        if means[held][0].pages:
            lines.append(_row(name, "", *means[held], kinds=False))
    return "\n".join(lines)


def kinds_table(n: int, specs: list[OutletSpec], scores: dict) -> str:
    nm, tf = Score(), Score()
    for spec in specs:
        nm.merge(scores[spec.key, n][0])
        tf.merge(scores[spec.key, n][1])
    lines = [
        f"Boilerplate blocks left in, by kind (N = {n}, every outlet):",
        "",
        "| kind | blocks inserted | left in, newsmon | left in, trafilatura |",
        "|---|---:|---:|---:|",
    ]
    for kind, count in sorted(nm.kinds.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"| {kind} | {count} | {_pct(nm.kinds_left[kind] / count)} "
            f"| {_pct(tf.kinds_left[kind] / count)} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main
def _learning_off_refused(tmp: Path, spec: OutletSpec) -> str | None:
    """Why this monitor's configuration refuses ``learn_boilerplate = false`` (None: it
    accepts it)."""
    from flows.config import ConfigError, load_config

    probe = tmp / "probe.toml"
    probe.write_text(config_text(tmp / "p.db", spec, "http://127.0.0.1:9/f", 1, False))
    try:
        load_config(str(probe))
    except ConfigError as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"outlets {QUICK_OUTLETS}, N {QUICK_NS}")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument(
        "--learning",
        choices=("on", "off"),
        default="on",
        help="off: learn_boilerplate = false for every source (the monitor's default: on)",
    )
    ap.add_argument(
        "--skip-checks",
        action="store_true",
        help="skip bench/learning_checks.py (learning off vs on, real sites, extraction time)",
    )
    args = ap.parse_args(argv)
    started = time.monotonic()
    ns = QUICK_NS if args.quick else NS
    specs = [
        s for s in (*OUTLETS, *MORE_HELD_OUT, *BLIND) if not args.quick or s.key in QUICK_OUTLETS
    ]
    specs.sort(key=lambda s: s.held_out)
    try:
        sites = [build_site(s, max(ns)) for s in specs]
    except CorpusMissing as exc:
        print(f"bench/outlets.py: {exc} (../shared must be beside the repository)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="newsmon-bench-outlets-"))
    try:
        return _bench(args, sites, specs, ns, tmp, started)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bench(
    args: argparse.Namespace,
    sites: list[Site],
    specs: list[OutletSpec],
    ns: tuple[int, ...],
    tmp: Path,
    started: float,
) -> int:
    """The runs, the scores and the tables (stores and configurations in ``tmp``)."""
    learning = args.learning == "on"
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    logging.basicConfig(level=logging.ERROR)
    off_refused = _learning_off_refused(tmp, specs[0])
    if not learning and off_refused:
        print(f"--learning off: this monitor does not accept learn_boilerplate yet:\n{off_refused}")
        return 2
    scores: dict[tuple[str, int], tuple[Score, Score]] = {}
    surprises: list[str] = []
    trafilatura_cache: dict[tuple[str, int], str] = {}
    with OutletServer(sites) as server:
        for site in sites:
            for n in ns:
                run = monitor_run(server, site, n, tmp, learning)
                nm, tf = Score(), Score()
                for page in site.pages[:n]:
                    nm.add(page, run.texts.get(page.index))
                    key = (site.spec.key, page.index)
                    if key not in trafilatura_cache:
                        trafilatura_cache[key] = trafilatura_text(page.html, site.url(page))
                    tf.add(page, trafilatura_cache[key])
                scores[site.spec.key, n] = (nm, tf)
                odd = {t: c for t, c in run.page_types.items() if t != "article"}
                if odd or nm.stored < n or run.result.get("errors"):
                    surprises.append(
                        f"{site.spec.key}, N={n}: {nm.stored}/{n} stored, page types {dict(run.page_types)}, "
                        f"{run.result.get('errors')} errors, {run.result.get('duplicates')} duplicates"
                    )
                print(
                    f"  {site.spec.key:10s} N={n:<3d} stored {nm.stored}/{n}  "
                    f"F1 {nm.f1 / n:.3f} (trafilatura {tf.f1 / n:.3f})",
                    flush=True,
                )
        elapsed = time.monotonic() - started
        checks: list[str] = []
        if not args.skip_checks:
            import learning_checks

            n = max(ns)
            if not learning:
                print(f"learning off vs on skipped: this run has learning {args.learning}")
            elif off_refused:
                print(f"learning off vs on skipped: learn_boilerplate refused:\n{off_refused}")
            else:
                print(f"learning off, N={n}:", flush=True)
                on = {s.spec.key: scores[s.spec.key, n][0] for s in sites}
                checks.append(learning_checks.learning_off_on(server, sites, specs, n, tmp, on))
    langs = Counter(s.language for s in specs)
    intro = (
        f"{len(specs)} designed outlets ({sum(not s.held_out for s in specs)} dev, "
        f"{sum(s.held_out for s in specs)} held out; "
        + ", ".join(f"{c} {lang}" for lang, c in sorted(langs.items()))
        + f"), learning {args.learning}. Per outlet and N: a fresh store, a feed of N pages, "
        "one monitor run. F1: bag-of-words F1 of the stored body against the real "
        "paragraphs (mean over the feed's pages; a page not stored counts 0). clean: stored "
        "pages with none of their inserted boilerplate left. lost: real paragraphs missing "
        "(< 90% of their 3-grams in the text). trafilatura: `bare_extraction` on the same HTML."
    )
    body = "\n\n".join(
        [intro, *(table(n, specs, scores) for n in ns), kinds_table(max(ns), specs, scores)]
    )
    body += (
        f"\n\nWhole run: {elapsed:.0f} s on {os.cpu_count()} cores. Texts are real (WCXB-dev "
        "article ground truth, report.az, Kommersant and the item descriptions of Russian "
        "feeds), read from ../shared at run time; the pages around them are designed."
    )
    if not args.skip_checks:
        import learning_checks

        print("real sites:", flush=True)
        checks.append(learning_checks.real_sites(limit_groups=4 if args.quick else None))
        print("extraction time:", flush=True)
        checks.append(learning_checks.extraction_time(limit=30 if args.quick else 300))
        checks_secs = time.monotonic() - started - elapsed
        body += "\n\n" + "\n\n".join(checks)
        body += f"\n\nThe checks above took {checks_secs:.0f} s more."
    print(body)
    if surprises:
        print("\nnot as expected:\n" + "\n".join(f"- {s}" for s in surprises))
    print(f"\nbench/outlets.py took {time.monotonic() - started:.1f} s")
    if not args.no_write and not args.quick:
        write_section("outlets", "Outlets nobody wrote rules for", body)
        print(f"written to {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
