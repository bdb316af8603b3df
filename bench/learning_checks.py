"""Extra checks of the per-source boilerplate learner (parsers/learned.py), run by
bench/outlets.py after its outlet tables; each returns a markdown block for the same section.

- learning_off_on: the designed outlets run again with ``learn_boilerplate = false``;
- real_sites: real pages (WCXB-dev, Fundus) grouped by site, a model learned per site and
  each page cleaned with it: what the learner removes from pages nobody designed;
- extraction_time: CPU time of extraction with and without the learner's keying, and of
  cleaning a record.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from extraction import WCXB, _read, _sample
from fundus import fundus_cases
from outlets import Score, f1, monitor_run, tokens

IN_LABEL = 0.9  # share of a paragraph's tokens found in the label: the paragraph is content
MIN_SITE_PAGES = 3
SHOW_WRONG = 20

Page = tuple[str, str | None, str]  # path of the page, its URL, its expected body


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# --------------------------------------------------------------------------- off vs on
def learning_off_on(server, sites, specs, n: int, tmp: Path, on: dict) -> str:
    """Each outlet's feed of ``n`` pages once more, learning off; the table beside ``on``."""
    off_dir = tmp / "learning-off"
    off_dir.mkdir(exist_ok=True)
    off: dict[str, Score] = {}
    for site in sites:
        run = monitor_run(server, site, n, off_dir, False)
        s = Score()
        for page in site.pages[:n]:
            s.add(page, run.texts.get(page.index))
        off[site.spec.key] = s
        print(f"  {site.spec.key:10s} N={n:<3d} learning off: F1 {s.f1 / n:.3f}", flush=True)

    def cells(s: Score) -> tuple[str, str, str]:
        return (
            f"{s.f1 / s.pages:.3f}" if s.pages else "–",
            _pct(s.clean / s.stored) if s.stored else "–",
            _pct(s.lost / s.paragraphs) if s.paragraphs else "–",
        )

    def row(label: str, lang: str, a: Score, b: Score) -> str:
        (fa, ca, la), (fb, cb, lb) = cells(a), cells(b)
        return f"| {label} | {lang} | {fa} | {fb} | {ca} | {cb} | {la} | {lb} |"

    lines = [
        f"**Learning off vs on** (N = {n}): the same feeds run again on fresh stores with "
        "`learn_boilerplate = false`, scored as above (F1, clean, lost), beside the run with "
        "learning on.",
        "",
        "| outlet | lang | F1 off | F1 on | clean off | clean on | lost off | lost on |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    means = {h: (Score(), Score()) for h in (False, True)}
    for spec in specs:
        label = f"{spec.key} (held out)" if spec.held_out else spec.key
        lines.append(row(label, spec.language, off[spec.key], on[spec.key]))
        means[spec.held_out][0].merge(off[spec.key])
        means[spec.held_out][1].merge(on[spec.key])
    for held, name in ((False, "**mean, dev**"), (True, "**mean, held out**")):
        if means[held][0].pages:
            lines.append(row(name, "", *means[held]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- real sites
def wcxb_groups() -> dict[str, list[Page]]:
    """WCXB-dev pages by URL host (pages without a URL left out)."""
    groups: dict[str, list[Page]] = {}
    for gt in sorted((WCXB / "ground-truth").glob("*.json")):
        html = WCXB / "html" / f"{gt.stem}.html.gz"
        if not html.exists():
            continue
        d = json.loads(gt.read_text(encoding="utf-8"))
        url = d.get("url")
        host = urlsplit(url or "").hostname
        if host:
            label = (d.get("ground_truth") or {}).get("main_content") or ""
            groups.setdefault(host, []).append((str(html), url, label))
    return groups


def fundus_groups() -> dict[str, list[Page]]:
    """Fundus pages by publisher, the expected body as bench/fundus.py builds it."""
    groups: dict[str, list[Page]] = {}
    for c in fundus_cases(None):
        groups.setdefault(c.truth["publisher"], []).append((c.path, c.url, c.truth["text"]))
    return groups


def in_label(paragraph: str, label: Counter) -> bool:
    """At least ``IN_LABEL`` of the paragraph's tokens (as a multiset) are in the label."""
    mine = Counter(tokens(paragraph))
    n = sum(mine.values())
    return n > 0 and sum((mine & label).values()) >= IN_LABEL * n


def _in_label_order(paragraph: str, label_text: str) -> bool:
    """Stricter: the paragraph's tokens in order (90% of its 3-grams) are in the label."""
    toks, have = tokens(paragraph), tokens(label_text)
    if len(toks) < 3:
        return " " + " ".join(toks) + " " in " " + " ".join(have) + " "
    grams = {tuple(toks[i : i + 3]) for i in range(len(toks) - 2)}
    theirs = {tuple(have[i : i + 3]) for i in range(len(have) - 2)}
    return len(grams & theirs) >= IN_LABEL * len(grams)


def learn_site(group: str, pages: list[Page]) -> dict:
    """Extract the site's pages, learn a model from all of them, clean each; the counts."""
    from parsers.extract import extract
    from parsers.learned import SourceModel

    arts = [extract(_read(path), url=url, source=group) for path, url, _ in pages]
    model = SourceModel(group)
    model.learn([a.blocks for a in arts], "bench")
    out = {"pages": len(pages), "paragraphs": 0, "before": 0.0, "after": 0.0}
    out.update(removed=0, wrong=0, wrong_ordered=0, wrong_list=[])
    for art, (_, url, label) in zip(arts, pages, strict=True):
        before = art.text or ""
        model.clean(art)
        after = art.text or ""
        paras = [p for p in before.split("\n\n") if p.strip()]
        out["paragraphs"] += len(paras)
        out["before"] += f1(before, label)
        out["after"] += f1(after, label)
        gone = Counter(paras) - Counter(p for p in after.split("\n\n") if p.strip())
        template = {b.text: b.template for b in art.blocks}
        bag = Counter(tokens(label))
        for p, k in gone.items():
            out["removed"] += k
            if in_label(p, bag):
                out["wrong"] += k
                out["wrong_list"].append((group, url, p, template.get(p, "?")))
            if _in_label_order(p, label):
                out["wrong_ordered"] += k
    return out


def real_sites(limit_groups: int | None = None) -> str:
    """Per corpus: sites with ≥ 3 pages, learned and cleaned per site; the table."""
    rows, wrong, notes = [], [], []
    for corpus, load in (
        ("WCXB-dev (by host)", wcxb_groups),
        ("Fundus (by publisher)", fundus_groups),
    ):
        groups = {g: p for g, p in sorted(load().items()) if len(p) >= MIN_SITE_PAGES}
        if limit_groups:
            groups = dict(list(groups.items())[:limit_groups])
        if not groups:
            print(f"  {corpus}: no site with {MIN_SITE_PAGES}+ pages (corpus missing?)")
            continue
        t0 = time.monotonic()
        tot = Counter()
        for group, pages in groups.items():
            r = learn_site(group, pages)
            wrong += r.pop("wrong_list")
            tot.update(r)
            if r["removed"]:
                print(
                    f"  {group}: {r['pages']} pages, removed {r['removed']} of "
                    f"{r['paragraphs']} paragraphs ({r['wrong']} in the label), "
                    f"F1 {r['before'] / r['pages']:.3f} -> {r['after'] / r['pages']:.3f}",
                    flush=True,
                )
        n, paras = tot["pages"], tot["paragraphs"] or 1
        print(f"  {corpus}: {len(groups)} sites, {n} pages, {time.monotonic() - t0:.0f} s")
        rows.append(
            f"| {corpus} | {len(groups)} | {n} | {tot['paragraphs']} "
            f"| {tot['before'] / n:.3f} | {tot['after'] / n:.3f} "
            f"| {tot['removed']} ({tot['removed'] / paras:.1%}) "
            f"| {tot['wrong']} ({tot['wrong'] / paras:.1%}) |"
        )
        notes.append(f"{corpus.split()[0]} {tot['wrong_ordered']}")
    shown, per_site = [], Counter()
    for w in wrong:  # the first ones, at most 3 per site
        if per_site[w[0]] < 3 and len(shown) < SHOW_WRONG:
            shown.append(w)
            per_site[w[0]] += 1
    print(f"\nwrongly removed paragraphs ({len(shown)} of {len(wrong)}, at most 3 per site):")
    for group, url, p, template in shown:
        print(f"- [{group}] {url}\n    {p[:200]!r}  (template {template[:60]!r})")
    if not wrong:
        print("(none)")
    return "\n".join(
        [
            "**Real sites, pages nobody designed**: WCXB-dev pages grouped by URL host and "
            "Fundus pages by publisher, sites with 3 or more pages. Per site every page is "
            "extracted, one model learns from all of them, then each page is cleaned with it. "
            "F1: bag-of-words F1 of the body against the label, before and after cleaning "
            "(mean over pages). Removed: paragraphs of the extracted body that cleaning took "
            "out (share of all paragraphs); in the label: of those, the ones with 90% of "
            "their tokens in the labelled body (content wrongly removed, or a short line "
            "whose words the label happens to hold).",
            "",
            "| corpus | sites | pages | paragraphs | F1 before | F1 after "
            "| paragraphs removed | of them in the label (wrong) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "Removed paragraphs whose tokens are in the label in order too (90% of their "
            "3-grams): " + (", ".join(notes) or "–") + ".",
        ]
    )


# --------------------------------------------------------------------------- time
def _cpu(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def extraction_time(limit: int = 300) -> str:
    """CPU ms per page: extraction without keying (as before the learner), with it, and
    the clean of the record by a model learned from the same pages grouped by host."""
    import parsers.learned as learned_mod
    from parsers.extract import extract
    from parsers.learned import SourceModel

    pages = [(html, url) for g in wcxb_groups().values() for html, url, _ in g]
    pages.sort(key=lambda p: p[0])
    pages = _sample(pages, limit)
    if not pages:
        return "Extraction time: skipped (WCXB-dev not found)."
    data = [(_read(path), url) for path, url in pages]
    real = learned_mod.body_blocks

    def none(tree, paragraphs: Sequence[str]) -> list:
        return []

    times: dict[str, list[float]] = {"before": [], "now": []}
    arts = []
    gc.collect()
    try:
        for variant in ("before", "now"):  # warm-up, untimed
            learned_mod.body_blocks = none if variant == "before" else real
            extract(data[0][0], url=data[0][1])
        for i, (html, url) in enumerate(data):
            order = ("before", "now") if i % 2 == 0 else ("now", "before")
            for variant in order:
                learned_mod.body_blocks = none if variant == "before" else real
                secs, art = _cpu(lambda html=html, url=url: extract(html, url=url))
                times[variant].append(secs)
                if variant == "now":
                    arts.append(art)
    finally:
        learned_mod.body_blocks = real
    by_host: dict[str, list] = {}
    for art, (_, url) in zip(arts, data, strict=True):
        by_host.setdefault(urlsplit(url).hostname or "", []).append(art)
    clean: list[float] = []
    for host, group in by_host.items():
        model = SourceModel(host)
        model.learn([a.blocks for a in group], "bench")
        for art in group:
            clean.append(_cpu(lambda art=art, model=model: model.clean(art))[0])
    ms = {k: 1000 * statistics.mean(v) for k, v in times.items()}
    ms["clean"] = 1000 * statistics.mean(clean)
    ratio = (ms["now"] + ms["clean"]) / ms["before"]
    print(
        f"  extraction time, {len(data)} pages: before {ms['before']:.2f} ms, now "
        f"{ms['now']:.2f} ms, clean {ms['clean']:.3f} ms, ratio {ratio:.3f}"
    )
    return "\n".join(
        [
            f"**Extraction time** ({len(data)} WCXB-dev pages, every k-th of the corpus): "
            "CPU time (`time.process_time`) of `extract(html, url=url)` per page, as it is "
            "(*now*: the body's paragraphs keyed for the learner) and with the keying "
            "replaced by a no-op (*before*: extraction before the learner), both on every "
            "page in the same loop, alternating which goes first, after one untimed "
            "warm-up; *clean*: `SourceModel.clean` of each record by a model learned from "
            f"the same pages grouped by host ({len(by_host)} hosts).",
            "",
            "| before, ms/page | now, ms/page | clean, ms/page | now + clean, ms/page "
            "| (now + clean) / before |",
            "|---:|---:|---:|---:|---:|",
            f"| {ms['before']:.2f} | {ms['now']:.2f} | {ms['clean']:.3f} "
            f"| {ms['now'] + ms['clean']:.2f} | {ratio:.3f} |",
        ]
    )
