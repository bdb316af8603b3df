"""Pages of a profiled outlet for the extraction benchmark, built from real news texts.

No saved Trend page exists offline, so the benchmark renders Trend's three layouts, as
../shared/TREND.md describes them (editions en, az, ru; localised date lines; promo and
byline paragraphs inside the body; banner, breadcrumbs, "Follow Trend on", tags, related
and most-read boxes around it), around texts that were really published: 1,000 report.az
items (parsAZ, Azerbaijani, on the az edition) and the article texts of WCXB-dev (English,
on the en edition and, for want of Russian news texts in the corpus, on the ru
edition's pages with its Russian chrome and date lines). The ground truth is the text that
went in, with its dateline, and the title, author and time given to it.

What this measures: that the profile keeps every real paragraph (no real sentence looks
like a promo line to it) and drops what TREND.md says is not the article, on thousands of
real paragraphs, and how the generic extractors fare on the same layout. What it cannot
measure: whether trend.az still looks like TREND.md says. The pages are written to a
temporary folder at run time; nothing from ../shared is stored in the repository.
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo.replica import AZ_MONTHS, EN_MONTHS  # noqa: E402

BAKU = timezone(timedelta(hours=4))
RU_MONTHS = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
).split()
LAYOUTS = ("current", "2016", "2018")
AUTHORS = ("Leyla Rustamova", "Elnur Bagirov", "Nigar Hasanova", "Anar Karimov", "Aysel Mammadova")

#: Per edition: the dateline opening the first paragraph, promo paragraphs placed inside the
#: body, and the chrome's words (the English ones are TREND.md's; the others are ours).
EDITIONS = {
    "en": {
        "dateline": "BAKU, Azerbaijan, {month_abbr} {day}. ",
        "promo": [
            "Stay up-to-date with more news on Trend News Agency's WhatsApp channel",
            "Follow Trend on Google News channel for the latest updates",
        ],
        "follow": "Follow Trend on",
        "more": "Read more",
        "tags": "Tags:",
        "latest": "Latest",
        "home": "Home",
        "kind": "Materials",
    },
    "az": {
        "dateline": "Bakı. Trend: ",
        "promo": [
            "Trend-in WhatsApp kanalına abunə olun",
            "Trend-in Telegram kanalına abunə olun",
        ],
        "follow": "Trend-i izləyin",
        "more": "Daha çox",
        "tags": "Teqlər:",
        "latest": "Son xəbərlər",
        "home": "Ana səhifə",
        "kind": "Materiallar",
    },
    "ru": {
        "dateline": "Баку. Trend: ",
        "promo": [
            "Подписывайтесь на Telegram-канал Trend, чтобы быть в курсе новостей",
            "Следите за новостями Trend в WhatsApp-канале",
        ],
        "follow": "Подписывайтесь на Trend",
        "more": "Подробнее",
        "tags": "Теги:",
        "latest": "Последние новости",
        "home": "Главная",
        "kind": "Материалы",
    },
}


@dataclass
class ProfilePage:
    name: str
    url: str
    path: str
    title: str
    author: str
    published: str
    text: str
    #: strings the page carries that must not reach the body
    junk: tuple[str, ...]


def _months(edition: str) -> list[str]:
    return {"az": AZ_MONTHS, "ru": RU_MONTHS}.get(edition, EN_MONTHS)


def _date_line(dt: datetime, edition: str, space: str = " ") -> str:
    return f"{dt.day} {_months(edition)[dt.month - 1]} {dt.year} {dt:%H:%M} (UTC{space}+04:00)"


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _ps(paras: list[str]) -> str:
    return "".join(f"<p>{_e(p)}</p>" for p in paras)


def _chrome(ed: dict[str, object], body: str, title: str, head: str, lang: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{_e(title)} - Trend.Az</title>{head}</head><body>"
        '<header><img src="/banner.png" alt="Vətən müharibəsinin Anım Gününün rəmzi olan '
        'Xarı bülbül"><nav><a href="/azerbaijan">Azerbaijan</a> <a href="/business">'
        f'Business</a></nav><ol class="breadcrumbs"><li><a href="/">{ed["home"]}</a></li>'
        '<li><a href="/azerbaijan">Azerbaijan</a></li><li><a href="/azerbaijan/politics">'
        f"Politics</a></li></ol></header>{body}"
        f'<div class="tags">{ed["tags"]} <a href="/tags/china">China</a> '
        '<a href="/tags/azerbaijan">Azerbaijan</a></div>'
        f'<div class="related-news"><h3>{ed["latest"]}</h3><ul>'
        '<li><a href="/a/1.html">Baku hosts a logistics forum</a></li>'
        '<li><a href="/a/2.html">Oil prices edge up</a></li></ul></div>'
        '<div class="most-read"><h3>Most read</h3><ul><li><a href="/a/3.html">Weather in '
        "Baku</a></li></ul></div><footer><p>© Trend News Agency</p></footer></body></html>"
    )


def render(
    layout: str, edition: str, url: str, title: str, paras: list[str], dt: datetime, author: str
) -> tuple[str, list[str]]:
    """(page, the body paragraphs a reader should get)."""
    ed = EDITIONS[edition]
    lang = edition
    promo = list(ed["promo"])  # type: ignore[call-overload]
    month_abbr = EN_MONTHS[dt.month - 1][:3] + "."
    if layout == "current":
        first = str(ed["dateline"]).format(month_abbr=month_abbr, day=dt.day) + paras[0]
        want = [first, *paras[1:]]
        body = want[:2] + [promo[0]] + want[2:] + [promo[1]]
        iso = dt.isoformat()
        head = (
            f'<meta property="og:title" content="{_e(title)}"><meta property="og:type" '
            f'content="article"><meta property="article:published_time" content="{iso}">'
            f'<meta itemprop="datePublished" content="{iso}"><link rel="canonical" href="{url}">'
        )
        main = (
            '<div class="article"><div class="print-branding-header">Trend</div>'
            f'<div class="top-part"><h1>{_e(title)}</h1><div class="meta">'
            f'<span class="categories">Politics</span><span>{ed["kind"]}</span>'
            f'<span class="date-time">{_date_line(dt, edition)}</span></div></div>'
            f'<div class="left-part"><div class="sticky-content">{ed["follow"]} '
            '<a href="#">Telegram</a> <a href="#">X</a></div></div><div class="right-part">'
            f'<div class="image-wrapper"><img src="/p.jpg" alt="{_e(title)}"></div>'
            f'<div class="article-paddings"><img src="/a.jpg" alt="{_e(author)}">'
            f'<a href="/author/1"><span class="author">{_e(author)}</span></a> '
            f'<a href="/author/1" class="more">{ed["more"]}</a></div>'
            f'<div class="article-content article-paddings">{_ps(body)}</div></div>'
            f'<div class="print-branding-footer"><p>Source: {url}</p></div></div>'
        )
        return _chrome(ed, main, title, head, lang), want
    if layout == "2016":
        dateline = f"Baku, Azerbaijan, {month_abbr} {dt.day}"
        want = [dateline, f"By {author} - Trend:", *paras]
        body = [*want, "Follow us on Twitter @www_Trend_Az"]
        body.append("Send your comments and suggestions to agency@trend.az")
        main = (
            '<div class="content" itemscope itemtype="http://schema.org/NewsArticle">'
            f'<h1 itemprop="headline">{_e(title)}</h1><div class="article-info">'
            '<span itemprop="articleSection">Politics</span>'
            f'<time itemprop="datePublished" datetime="{dt.isoformat()}">'
            f"{_date_line(dt, edition)}</time>"
            '<span itemprop="author" itemscope itemtype="http://schema.org/Person">'
            f'<span itemprop="name">{_e(author)}</span></span></div>'
            '<div class="share"><a href="#">Share</a> <a href="#">Tweet</a></div>'
            f'<div itemprop="articleBody">{_ps(body)}</div></div>'
        )
        return _chrome(ed, main, title, "", lang), want
    # 2018: the author is named only by the byline closing the body (seeds/003), then a promo.
    want = [f"BAKU, Azerbaijan, {month_abbr} {dt.day}", "Trend:", *paras]
    body = [*want, author, "Editor-in-Chief, Trend News Agency"]
    body.append("Follow Trend on Facebook and Twitter for the latest news from Azerbaijan")
    head = ""
    if dt.minute % 2:  # half the pages carry the time only as text
        head = f'<meta property="article:published_time" content="{dt.isoformat()}">'
    main = (
        f'<div class="news-page"><div class="title-news"><h1>{_e(title)}</h1></div>'
        f'<div class="date-news">{_date_line(dt, edition, "")}</div>'
        f'<div class="main-news">{_ps(body)}</div>'
        '<div class="tags-news"><a href="/t/1">China</a></div></div>'
    )
    return _chrome(ed, main, title, head, lang), want


#: Chrome and promo lines of every layout (besides each edition's own promo lines).
COMMON_JUNK = (
    "Xarı bülbül",
    "Source: https://",
    "@www_Trend_Az",
    "agency@trend.az",
    "Editor-in-Chief",
    "Follow Trend on Facebook",
    "Most read",
    "Baku hosts a logistics forum",
)

_MARKUP_RE = re.compile(r"^(?:#|\||[-*•] |\d+[.)] |!\[|\[)")


def _wcxb_texts(wcxb: Path, n: int) -> list[tuple[str, list[str]]]:
    """(title, prose paragraphs) of WCXB-dev article pages: headings, lists and tables out."""
    out = []
    for gt in sorted((wcxb / "ground-truth").glob("*.json")):
        d = json.loads(gt.read_text(encoding="utf-8"))
        if d.get("_internal", {}).get("page_type", {}).get("primary") != "article":
            continue
        g = d.get("ground_truth", {})
        paras = [
            " ".join(p.split())
            for p in (g.get("main_content") or "").split("\n")
            if len(p.strip()) >= 60 and not _MARKUP_RE.match(p.strip())
        ][:12]
        if g.get("title") and len(paras) >= 3:
            out.append((" ".join(g["title"].split()), paras))
        if len(out) >= n:
            break
    return out


def _parsaz_texts(csv_path: Path, n: int) -> list[tuple[str, list[str], datetime | None]]:
    out = []
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            paras = [" ".join(p.split()) for p in (row.get("content") or "").split("\n")]
            paras = [p for p in paras if p]
            if not row.get("title") or len(paras) < 2:
                continue
            try:
                dt = datetime.fromisoformat(row["pub_date"][:19]).replace(tzinfo=BAKU)
            except (KeyError, ValueError):
                dt = None
            out.append((" ".join(row["title"].split()), paras, dt))
            if len(out) >= n:
                break
    return out


def build(corpus: Path, out_dir: Path, per_language: int = 300) -> list[ProfilePage]:
    """Render the pages into ``out_dir``; same pages on every run (fixed seed)."""
    rng = random.Random(20261123)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts: list[tuple[str, str, list[str], datetime | None]] = []
    parsaz = corpus / "encodings" / "azerbaijani" / "parsAZ_report_az_sample.csv"
    if parsaz.exists():
        texts += [("az", t, p, dt) for t, p, dt in _parsaz_texts(parsaz, per_language)]
    wcxb = corpus / "extraction" / "wcxb-dev"
    if wcxb.exists():
        for i, (t, p) in enumerate(_wcxb_texts(wcxb, per_language)):
            texts.append(("ru" if (i // 3) % 3 == 2 else "en", t, p, None))
    pages = []
    for i, (edition, title, paras, dt) in enumerate(texts):
        layout = LAYOUTS[i % 3]
        era = {"current": 2024, "2016": 2016, "2018": 2018}[layout]
        if dt is None or layout != "current":
            dt = datetime(era, 1, 1, tzinfo=BAKU) + timedelta(minutes=rng.randrange(1, 2 * 525600))
            dt = dt.replace(second=0)
        url = f"https://{edition}.trend.az/azerbaijan/politics/{4000000 + i}.html"
        author = AUTHORS[i % len(AUTHORS)]
        page, want = render(layout, edition, url, title, paras, dt, author)
        name = f"{edition}-{layout}-{i:04d}"
        path = out_dir / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        ed = EDITIONS[edition]
        junk = (*ed["promo"], str(ed["follow"]), *COMMON_JUNK)  # type: ignore[misc]
        text = "\n".join(want)
        junk = tuple(j for j in junk if j not in text)  # a real text may say it too
        pages.append(ProfilePage(name, url, str(path), title, author, dt.isoformat(), text, junk))
    return pages
