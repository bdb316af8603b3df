"""Designed news outlets nobody wrote rules for, around real texts, on 127.0.0.1.

Why: a per-source boilerplate learner must be measured on outlets whose own in-body
clutter ("READ ALSO: <headline>", newsletter boxes, copyright lines, captions, ad
labels, tag lines, related boxes...) no hand-written phrase list was tuned for. Each
:class:`OutletSpec` has its own chrome, class names, feed and in-body boilerplate (some
on every page, some on part of the pages, in varying places); the HELD-OUT outlets were
designed apart, with other wordings and markup, and are reported separately.

The article texts are real, read at run time from ../shared/corpus (never copied here):
English from WCXB-dev article ground truth, Azerbaijani from the report.az sample, Russian
from Fundus's Kommersant body plus the item descriptions of the Russian feeds in the
chardet encoding samples (the corpus holds no other Russian news text). Every page keeps
its ground truth: the real paragraphs put in and the boilerplate inserted, as visible text.

Use: ``sites = [build_site(s, 30) for s in OUTLETS]``; ``with OutletServer(sites) as srv:
srv.feed_url("bayline", 10)`` (one port per outlet, so each outlet is its own host).
"""

from __future__ import annotations

import csv
import functools
import html
import http.server
import json
import random
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "az": "Yanvar Fevral Mart Aprel May İyun İyul Avqust Sentyabr Oktyabr Noyabr Dekabr".split(),
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября "
    "декабря".split(),
}
SECTIONS = {
    "en": ("World", "Politics", "Business", "Tech", "Sport", "Culture", "Opinion", "Weather"),
    "az": ("Siyasət", "İqtisadiyyat", "Cəmiyyət", "İdman", "Dünya", "Mədəniyyət", "Hadisə"),
    "ru": ("Политика", "Экономика", "Общество", "Спорт", "В мире", "Культура", "Происшествия"),
}
PEOPLE = {
    "en": ("Maya Thornbury", "Colin Ashdown", "Priya Venkat", "Tom Haldane", "Ruth Okafor"),
    "az": ("Leyla Məmmədova", "Rauf Quliyev", "Nərmin Həsənli", "Elvin Əliyev", "Səbinə Kərimli"),
    "ru": ("Ирина Соколова", "Павел Демидов", "Анна Белова", "Олег Крылов", "Вера Лаптева"),
}
TAGS = {
    "en": "economy energy transport climate elections health schools tech".split(),
    "az": "iqtisadiyyat enerji nəqliyyat iqlim seçki səhiyyə təhsil texnologiya".split(),
    "ru": "экономика энергетика транспорт климат выборы медицина школы наука".split(),
}


class CorpusMissing(RuntimeError):
    """../shared/corpus is not beside the repository: the outlets have no texts."""


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class Block:
    """One kind of in-body boilerplate of an outlet.

    ``tpl`` is its HTML, ``words`` the wording variants (``|`` separates the parts of a
    box: w0, w1...), ``checks`` the strings that, found in a stored text, mean the block
    was left in. Placeholders: {w} {w0}.. {h} {h1} {h2} {h3} {href} {credit} {name} {year}
    {author} {tags} {mins}. ``where``: start, p1, p2, p3, mid, end or any."""

    kind: str
    share: float
    where: str
    tpl: str
    words: tuple[str, ...]
    checks: tuple[str, ...] = ("{w}",)


@dataclass(frozen=True)
class OutletSpec:
    key: str
    name: str
    language: str
    layout: str  # article | soup | itemprop | table | main
    cls: tuple[str, str, str, str]  # wrapper, body container, sidebar, navigation
    path: str  # article URL pattern: {id} {slug} {y} {m} {d}
    feed_path: str
    feed_format: str  # rss | atom
    side_title: str
    blocks: tuple[Block, ...]
    credits: tuple[str, ...] = ()
    held_out: bool = False
    inline: bool = False  # some paragraphs carry an inline <a> or <strong>
    tz: int = 0


READ_P = '<p><strong>{w}</strong> <a href="{href}">{h}</a></p>'
BOX = (
    '<div class="{c}"><h4>{w0}</h4><p>{w1}</p><form action="/subscribe" method="post">'
    '<input type="email" name="e" placeholder="{w2}"><button type="submit">{w3}</button>'
    "</form></div>"
)
RELATED = (
    '<div class="{c}"><h3>{w}</h3><ul><li><a href="{href1}">{h1}</a></li>'
    '<li><a href="{href2}">{h2}</a></li><li><a href="{href3}">{h3}</a></li></ul></div>'
)
REL_CHECKS = ("{w}", "{h1}", "{h2}", "{h3}")
FIG = '<figure class="{c}"><img src="/media/{n}.jpg" alt=""><figcaption>{w0} {w1}{credit}</figcaption></figure>'


def _b(kind: str, share: float, where: str, tpl: str, words: Sequence[str], checks=None, c="x"):
    checks = checks or {
        "read": ("{w}", "{w} {h}"),
        "box": ("{w0}", "{w1}"),
        "related": REL_CHECKS,
        "caption": ("{w1}{credit}", "{w0} {w1}{credit}"),
    }.get(kind, ("{w}",))
    return Block(kind, share, where, tpl.replace("{c}", c), tuple(words), tuple(checks))


# The outlets' designs: a table, kept one block a line so that it reads as one.
# fmt: off
OUTLETS: list[OutletSpec] = [
    OutletSpec(
        "bayline", "The Bayline Courier", "en", "article", ("post", "entry-content", "widget-area", "menu"),
        "/{y}/{m}/{slug}/", "/feed/", "rss", "Most popular",
        (
            _b("read", 0.6, "p2", READ_P, ("READ ALSO:", "Read more:")),
            _b("box", 1.0, "mid", BOX, ("Get the Morning Brief|Our editors' pick of the day's stories, in your inbox before 7am.|Your email|Sign up",), c="nl-box"),
            _b("caption", 0.5, "start", FIG, ("File photo.|Photo: ", "Scene from the day.|Photo: "), c="wp-caption"),
            _b("ad", 1.0, "p3", '<div class="adslot"><span>Advertisement</span></div>', ("Advertisement",)),
            _b("tags", 0.4, "end", '<p class="filed">{w} {tags}</p>', ("Filed under:",), ("{w}", "{w} {tags}")),
            _b("copyright", 1.0, "end", "<p><em>{w}</em></p>", ("© {year} The Bayline Courier. All rights reserved. This material may not be republished without permission.",)),
        ),
        credits=("Reuters", "AP Photo/Staff", "Bayline archive", "Courier photo desk"), inline=True,
    ),
    OutletSpec(
        "northgate", "Northgate Ledger", "en", "soup", ("nw-inner", "c7", "rr2", "tn"),
        "/n/{id}", "/atom.xml", "atom", "Readers are looking at",
        (
            _b("author", 1.0, "start", '<div class="bx1">{w}</div>', ("Reporting by {author}; editing by {author2}",)),
            _b("read", 1.0, "any", '<p class="xr"><span>{w}</span> <a href="{href}">{h}</a></p>', ("ALSO ON NORTHGATE »", "Don't miss »")),
            _b("box", 0.35, "p2", BOX, ("Northgate in your pocket|Breaking alerts and the daily crossword, free on iOS and Android.|Phone number|Text me the link",), c="q-app"),
            _b("ad", 0.6, "mid", '<div class="s-x"><small>{w}</small><ins data-u="{n}"></ins></div>', ("SPONSORED CONTENT",)),
            _b("related", 0.5, "end", RELATED, ("More from the Ledger",), c="rl-3"),
            _b("custom", 1.0, "end", '<div class="bx9">{w}</div>', ("Spotted an error in this story? Write to corrections@northgate-ledger.example and we will put it right.",)),
        ),
    ),
    OutletSpec(
        "harbour", "Harbour Weekly", "en", "soup", ("pg-x1", "q-body", "zz-rail", "hb-nav"),
        "/stories/{id}-{slug}", "/rss.xml", "rss", "Trending this week",
        (
            _b("custom", 1.0, "start", '<p class="au-w">{w}</p>', ("Listen to this story · {mins} min",)),
            _b("caption", 0.6, "p1", FIG, ("Pictured above.|Image credit: ", "Harbour at dusk.|Image credit: "), c="pic-w"),
            _b("read", 0.4, "mid", READ_P, ("Catch up:", "From the archive:")),
            _b("ad", 0.5, "p3", '<p class="pp-lbl">{w}</p>', ("Paid promotion",)),
            _b("custom", 0.5, "end", '<p class="sp-ask"><b>{w}</b></p>', ("This article is part of our free coverage. Support independent local news from £3 a month.",)),
            _b("tags", 1.0, "end", '<p class="tp-l">{w} {tags}</p>', ("Topics:",), ("{w}", "{w} {tags}")),
            _b("copyright", 1.0, "end", "<p>{w}</p>", ("Harbour Weekly © {year}. Do not reproduce without a link back to this page.",)),
        ),
        credits=("Harbour Weekly", "Getty Images", "reader submission"), inline=True,
    ),
    OutletSpec(
        "xezer", "Xəzər Xəbər", "az", "itemprop", ("xb-wrap", "xb-mtn", "xb-yan", "xb-men"),
        "/az/xeber/{id}.html", "/rss", "rss", "Ən çox oxunanlar",
        (
            _b("caption", 0.4, "start", FIG, ("Arxiv şəkli.|Foto: ", "Tədbirdən görüntü.|Foto: "), c="xb-img"),
            _b("read", 0.55, "p2", '<p><b>{w}</b> <a href="{href}">{h}</a></p>', ("Oxu:", "Həmçinin oxuyun:")),
            _b("ad", 1.0, "mid", '<div class="xb-r"><span>{w}</span></div>', ("Reklam",)),
            _b("custom", 0.5, "end", "<p><i>{w}</i></p>", ("Xəbərləri ilk olaraq Telegram kanalımızda izləyin",)),
            _b("tags", 1.0, "end", '<div class="xb-t">{w} {tags}</div>', ("Teqlər:",), ("{w}", "{w} {tags}")),
            _b("copyright", 1.0, "end", '<p class="xb-c">{w}</p>', ("© {year} Xəzər Xəbər. Materiallardan istifadə zamanı hiperlinklə istinad mütləqdir.",)),
        ),
        credits=("Xəzər Foto", "APA", "sosial şəbəkə"), tz=4,
    ),
    OutletSpec(
        "sahil", "Sahil Press", "az", "table", ("mc", "tx", "rc", "lc"),
        "/xeberler/{id}", "/atom", "atom", "Günün ən çox baxılanları",
        (
            _b("author", 1.0, "start", '<p class="mf">{w}</p>', ("Müəllif: {author}",)),
            _b("custom", 0.6, "p2", "<p>{w}</p>", ("Sahil Press-i Google Xəbərlərdə izləyin",)),
            _b("read", 1.0, "any", '<div class="el"><span>{w}</span> <a href="{href}">{h}</a></div>', ("ƏLAQƏLİ:", "Bu da maraqlı ola bilər:")),
            _b("caption", 0.5, "p1", FIG, ("Mövzuya aid şəkil.|Şəkil: ",), c="sk"),
            _b("box", 0.45, "end", BOX, ("Gündəlik bülleten|Günün əsas xəbərləri hər səhər e-poçtunuzda.|E-poçt ünvanınız|Abunə ol",), c="bl-w"),
            _b("copyright", 1.0, "end", '<p class="hq">{w}</p>', ("Sahil Press materiallarının istənilən formada yayılması yalnız redaksiyanın yazılı icazəsi ilə mümkündür.",)),
        ),
        credits=("Sahil Press", "AZƏRTAC", "müəllifin arxivi"), tz=4,
    ),
    OutletSpec(
        "vestnik", "Вестник Прибрежья", "ru", "main", ("vp-main", "blk-x", "blk-side", "blk-nav"),
        "/news/{y}/{m}/{d}/{id}/", "/rss/all.xml", "rss", "Самое читаемое",
        (
            _b("caption", 0.3, "start", FIG, ("Иллюстративное фото.|Фото: ",), c="blk-f"),
            _b("read", 0.6, "p2", READ_P, ("Читайте также:", "По теме:")),
            _b("ad", 1.0, "mid", '<div class="blk-a">{w}</div>', ("Реклама · 16+",)),
            _b("related", 0.5, "end", RELATED, ("Другие материалы рубрики",), c="blk-rel"),
            _b("box", 0.4, "end", BOX, ("Подпишитесь на рассылку|Главные новости недели — по пятницам, без спама.|Ваш e-mail|Подписаться",), c="blk-sub"),
            _b("custom", 1.0, "end", '<p class="blk-o">{w}</p>', ("Нашли опечатку? Выделите её и нажмите Ctrl+Enter.",)),
            _b("copyright", 1.0, "end", "<p>{w}</p>", ("© {year} «Вестник Прибрежья». При перепечатке ссылка на источник обязательна.",)),
        ),
        credits=("ТАСС", "пресс-служба", "Вестник Прибрежья"), tz=3,
    ),
    # ----- held out: designed separately, other wordings, markup and class names
    OutletSpec(
        "meridian", "Meridian Dispatch", "en", "article", ("md-shell", "mx-prose", "md-rail", "md-top"),
        "/dispatch/{y}{m}{d}/{slug}.html", "/feeds/latest.atom", "atom", "What people are reading",
        (
            _b("caption", 0.5, "p1", FIG, ("Handout image.|Credit: ", "Taken on location.|Credit: "), c="md-fig"),
            _b("read", 0.5, "any", '<blockquote class="sa"><small>{w}</small> <a href="{href}">{h}</a></blockquote>', ("SEE ALSO ▸", "Previously in the Dispatch:")),
            _b("box", 1.0, "p3", BOX, ("The Dispatch Digest|Five stories worth your time, every Sunday.|you@example.com|Count me in",), c="md-dg"),
            _b("ad", 0.6, "mid", '<aside class="md-x">{w}</aside>', ("— Story continues below this message —",)),
            _b("author", 0.5, "end", '<p class="md-bio">{w}</p>', ("{author} is a staff writer at Meridian Dispatch.",)),
            _b("custom", 1.0, "end", '<p class="md-std">{w}</p>', ("Corrections and clarifications: our standards desk reviews every reader report within 48 hours.",)),
            _b("copyright", 1.0, "end", '<p class="md-cr">{w}</p>', ("Copyright {year} Meridian Dispatch Ltd. Republishing requires a visible credit and a link to the original article.",)),
        ),
        credits=("Meridian pool", "AFP", "Dispatch staff"), held_out=True, inline=True,
    ),
    OutletSpec(
        "gundem", "Gündəm Ekspres", "az", "soup", ("gx-7", "q9", "gx-s", "gx-m"),
        "/gundem/{id}-{slug}", "/xeber.rss", "rss", "Oxucuların seçimi",
        (
            _b("read", 1.0, "p2", '<h5 class="dc">{w} <a href="{href}">{h}</a></h5>', ("Diqqət çəkən:", "Mövzu ilə bağlı:")),
            _b("ad", 0.5, "mid", '<div class="gx-sp">{w}</div>', ("Sponsor məzmunu",)),
            _b("related", 0.5, "end", RELATED, ("Oxşar xəbərlər",), c="gx-ox"),
            _b("tags", 0.6, "end", '<div class="gx-k">{w} {tags}</div>', ("Açar sözlər:",), ("{w}", "{w} {tags}")),
            _b("custom", 1.0, "end", "<p><strong>{w}</strong></p>", ("Gündəm Ekspres-in WhatsApp kanalına abunə olun — ən vacib xəbərlər birbaşa telefonunuza.",)),
            _b("copyright", 1.0, "end", '<div class="gx-c">{w}</div>', ("Saytdakı materiallardan istifadə edərkən «Gündəm Ekspres»ə aktiv keçid verilməlidir. © {year}",)),
        ),
        held_out=True, tz=4,
    ),
    OutletSpec(
        "zarya", "Заря Онлайн", "ru", "itemprop", ("zr-a", "zr-t", "zr-r", "zr-h"),
        "/materials/{id}", "/export/atom.xml", "atom", "Обсуждают сегодня",
        (
            _b("custom", 1.0, "start", '<div class="zr-rt">{w}</div>', ("Время чтения: {mins} мин.",)),
            _b("read", 0.5, "p2", '<p class="zr-l">{w} <a href="{href}">{h}</a></p>', ("Смотрите также →", "Ещё по теме:")),
            _b("caption", 0.4, "p1", FIG, ("Кадр с места событий.|Снимок: ",), c="zr-im"),
            _b("box", 0.5, "p3", BOX, ("Заря в мессенджере|Короткие новости и видео с мест событий — каждый час.|Ваш номер|Перейти в канал",), c="zr-tg"),
            _b("ad", 1.0, "mid", '<div class="zr-ad"><span>{w}</span></div>', ("На правах рекламы",)),
            _b("author", 1.0, "end", '<p class="zr-au">{w}</p>', ("Текст: {author}",)),
            _b("copyright", 1.0, "end", '<p class="zr-cp">{w}</p>', ("Все права защищены. Использование материалов «Зари Онлайн» допускается только с активной гиперссылкой. {year}",)),
        ),
        credits=("Заря Онлайн", "соцсети очевидцев"), held_out=True, tz=3,
    ),
]
# fmt: on
OUTLET_BY_KEY = {s.key: s for s in OUTLETS}


# --------------------------------------------------------------------------- texts
@dataclass(frozen=True)
class Text:
    title: str
    paragraphs: tuple[str, ...]
    origin: str


def _clean(s: str) -> str:
    return " ".join(html.unescape(s).split())


def corpus_root() -> Path:
    """../shared/corpus, or :class:`CorpusMissing` with a message saying where it looked."""
    root = SHARED / "corpus"
    if not root.is_dir():
        raise CorpusMissing(f"{root} is absent: the outlets' article texts are read from it")
    return root


_GT_CLUTTER = re.compile(
    r"(?:author|by|written by|posted by|photo|image|source|share|tags?|related|read (?:more|also))\b",
    re.I,
)


def _english(root: Path) -> list[Text]:
    out = []
    common = {"the", "and", "of", "to", "in", "is", "that", "for"}
    for f in sorted((root / "extraction" / "wcxb-dev" / "ground-truth").glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        gt = d.get("ground_truth", {})
        body, title = gt.get("main_content") or "", _clean(gt.get("title") or "")
        if d.get("_internal", {}).get("page_type", {}).get("primary") != "article" or not title:
            continue
        paras = [_clean(p) for p in body.split("\n") if p.strip()]
        if paras and paras[0].lower() == title.lower():
            paras = paras[1:]  # the title repeated as the body's first line
        words = re.findall(r"[^\W\d_]+", body.lower())
        english = sum(w in common for w in words) > 0.1 * len(words) > 0
        latin = sum(w.isascii() for w in words) > 0.97 * len(words)
        # a few ground truths keep a byline, credit or "Read more:" line: not article text
        clutter = any(len(p) < 100 and _GT_CLUTTER.match(p) for p in paras)
        if english and latin and 4 <= len(paras) <= 40 and 600 <= len(body) <= 12000:
            if sum(len(p) >= 60 for p in paras) >= 3 and not clutter:
                out.append(Text(title, tuple(paras), f"wcxb-dev/{f.stem}"))
    return out


def _azerbaijani(root: Path) -> list[Text]:
    out = []
    path = root / "encodings" / "azerbaijani" / "parsAZ_report_az_sample.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            paras = [_clean(p) for p in row["content"].split("\n\n") if p.strip()]
            # live blogs and score tables (timestamps, "1/4 final" lines) are not articles
            if 4 <= len(paras) <= 20 and all(len(p) >= 25 for p in paras) and row["title"]:
                out.append(Text(_clean(row["title"]), tuple(paras), f"parsAZ/{row['id']}"))
    return sorted(out, key=lambda t: t.origin)


#: chardet sample folders of Russian feeds, and their true encodings
_CYRILLIC_FEEDS = dict(
    pair.split(":")
    for pair in "windows-1251-russian:cp1251 KOI8-R:koi8-r IBM866:cp866 "
    "iso-8859-5-russian:iso-8859-5 MacCyrillic:mac-cyrillic".split()
)


def _russian(root: Path) -> list[Text]:
    """Kommersant's body (Fundus), then feed items grouped 3-4 per text, feed by feed."""
    out = []
    fundus = json.loads((root / "articles/fundus/ru/Kommersant.json").read_text(encoding="utf-8"))
    v = fundus[sorted(fundus)[-1]]
    paras = [*v["body"]["summary"]]
    for sec in v["body"]["sections"]:
        paras += sec["paragraphs"]
    out.append(Text(_clean(v["title"]), tuple(_clean(p) for p in paras), "fundus/ru/Kommersant"))
    seen: set[str] = set()
    by_feed: dict[str, list[tuple[str, str]]] = {}
    for folder, codec in _CYRILLIC_FEEDS.items():
        for f in sorted((root / "encodings" / "chardet" / folder).glob("*.xml")):
            raw = f.read_bytes().decode(codec, "replace")
            for item in re.findall(r"<item\b.*?</item>", raw, re.S):
                t = re.search(r"<title>(.*?)</title>", item, re.S)
                d = re.search(r"<description>(.*?)</description>", item, re.S)
                if not (t and d):
                    continue
                title = _clean(re.sub(r"<!\[CDATA\[|\]\]>|^\s*Re:\s*", "", t.group(1)))
                desc = html.unescape(re.sub(r"<!\[CDATA\[|\]\]>", "", d.group(1)))
                for part in re.split(
                    r"<br\s*/?>\s*<br\s*/?>|</?p\b[^>]*>|\n\s*\n", desc, flags=re.I
                ):
                    p = _clean(re.sub(r"<[^>]+>", " ", part))
                    if len(p) >= 80 and len(re.findall("[а-яё]", p, re.I)) > 0.5 * len(p):
                        if p not in seen:
                            seen.add(p)
                            by_feed.setdefault(f.name, []).append((title, p))
    rng = random.Random("ru-groups")
    for name in sorted(by_feed):
        items = by_feed[name]
        i = 0
        while len(items) - i >= 3:
            k = rng.choice((3, 4)) if len(items) - i >= 6 else len(items) - i
            group = items[i : i + k]
            out.append(Text(group[0][0], tuple(p for _, p in group), f"chardet/{name}#{i}"))
            i += k
    return out


@functools.cache
def load_texts(language: str) -> tuple[Text, ...]:
    """Every usable real text of a language, in a fixed seeded order."""
    root = corpus_root()
    texts = {"en": _english, "az": _azerbaijani, "ru": _russian}[language](root)
    random.Random(f"outlets-{language}").shuffle(texts)
    return tuple(texts)


#: Outlets designed apart from OUTLETS, one group per brief, in the order they were added
#: (demo/outlets_heldout.py, demo/outlets_blind.py call :func:`add_group`).
GROUPS: list[tuple[OutletSpec, ...]] = []
#: A later group's pages avoid the texts earlier groups serve on this many first pages.
GROUP_PAGES = 30


def add_group(specs: Iterable[OutletSpec]) -> None:
    """Register outlets designed apart: their texts are the ones earlier outlets serve last."""
    group = tuple(specs)
    if group not in GROUPS:
        GROUPS.append(group)
        _texts_of.cache_clear()


def texts_for(spec: OutletSpec) -> list[Text]:
    """The outlet's own texts: outlets of one group and language share its pool without
    overlap; a later group takes first the texts no earlier outlet serves on its first
    ``GROUP_PAGES`` pages, then those they reach last (the corpus has few Russian texts)."""
    return list(_texts_of(spec))


@functools.cache
def _texts_of(spec: OutletSpec) -> tuple[Text, ...]:
    groups = [tuple(OUTLETS), *GROUPS]
    g = next((i for i, grp in enumerate(groups) if spec in grp), 0)
    pool = list(load_texts(spec.language))
    if g:
        taken: dict[str, int] = {}  # origin -> earliest page an earlier outlet puts it on
        for other in (o for grp in groups[:g] for o in grp if o.language == spec.language):
            for i, text in enumerate(_texts_of(other)[:GROUP_PAGES]):
                taken[text.origin] = min(i, taken.get(text.origin, i))
        free = [t for t in pool if t.origin not in taken]
        late = sorted((t for t in pool if t.origin in taken), key=lambda t: -taken[t.origin])
        pool = free + late
    same = [s.key for s in groups[g] if s.language == spec.language]
    j = same.index(spec.key) if spec.key in same else 0
    out: list[Text] = []
    seen: set[str] = set()
    for text in pool[j :: max(1, len(same))]:
        # no real paragraph on two pages of an outlet (sub-headings of one original site
        # recur): a learner would rightly take it for the outlet's boilerplate
        if not seen & set(text.paragraphs):
            out.append(text)
            seen.update(text.paragraphs)
    return tuple(out)


# --------------------------------------------------------------------------- pages
@dataclass
class Boiler:
    kind: str
    text: str  # the block's visible text
    checks: tuple[str, ...]  # any of these in a stored text means the block was left in


@dataclass
class Page:
    index: int
    path: str
    title: str
    author: str
    published: datetime
    paragraphs: list[str]  # ground truth: the real paragraphs, in order
    boilerplate: list[Boiler]
    html: bytes = b""


@dataclass
class Site:
    spec: OutletSpec
    pages: list[Page]
    base: str = ""  # http://127.0.0.1:PORT once served
    by_path: dict[str, Page] = field(default_factory=dict)

    def url(self, page: Page) -> str:
        return self.base + page.path

    def page_for(self, url: str) -> Page | None:
        """The page a (stored, possibly normalised) URL stands for."""
        path = urlsplit(url).path
        return self.by_path.get(path) or self.by_path.get(path.rstrip("/") + "/")

    def feed(self, n: int | None = None) -> bytes:
        """The outlet's feed listing its ``n`` newest pages (all by default)."""
        pages = self.pages[: len(self.pages) if n is None else n]
        s, esc = self.spec, html.escape
        if s.feed_format == "atom":
            updated = pages[0].published.isoformat() if pages else "2025-01-01T00:00:00Z"
            entries = "".join(
                f'<entry><title>{esc(p.title)}</title><link href="{self.url(p)}"/>'
                f"<id>{self.url(p)}</id><published>{p.published.isoformat()}</published>"
                f"<updated>{p.published.isoformat()}</updated>"
                f"<author><name>{esc(p.author)}</name></author></entry>"
                for p in pages
            )
            return (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f'<title>{esc(s.name)}</title><id>{self.base}/</id><link href="{self.base}/"/>'
                f"<updated>{updated}</updated>{entries}</feed>"
            ).encode()
        items = "".join(
            f"<item><title>{esc(p.title)}</title><link>{self.url(p)}</link>"
            f'<guid isPermaLink="true">{self.url(p)}</guid>'
            f"<pubDate>{format_datetime(p.published)}</pubDate>"
            f"<description>{esc(' '.join(p.paragraphs[0].split()[:25]))}…</description></item>"
            for p in pages
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{esc(s.name)}</title><link>{self.base}/</link>"
            f"<description>{esc(s.name)}</description><language>{s.language}</language>"
            f"{items}</channel></rss>"
        ).encode()


def _slug(title: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())[:8]) or "story"


def _fill(tpl: str, values: dict[str, str], escape: bool) -> str:
    return tpl.format_map({k: html.escape(v) if escape else v for k, v in values.items()})


def _visible(fragment: str) -> str:
    return _clean(re.sub(r"<[^>]+>", " ", fragment))


def _para(text: str, rng: random.Random, inline: bool, id_: int) -> str:
    words = text.split(" ")
    if not inline or len(words) < 10 or rng.random() > 0.35:
        return f"<p>{html.escape(text)}</p>"
    i = rng.randrange(0, len(words) - 4)
    j = i + rng.randint(1, 3)
    inner = html.escape(" ".join(words[i:j]))
    wrap = (
        f'<a href="/topic/{id_}-{i}">{inner}</a>'
        if rng.random() < 0.5
        else f"<strong>{inner}</strong>"
    )
    left, right = html.escape(" ".join(words[:i])), html.escape(" ".join(words[j:]))
    return f"<p>{(left + ' ' if left else '')}{wrap}{(' ' + right if right else '')}</p>"


def _gap(where: str, n: int, rng: random.Random) -> int:
    """After how many real paragraphs a block goes."""
    fixed = {"start": 0, "p1": 1, "p2": 2, "p3": 3, "mid": n // 2, "end": n}
    return min(n, fixed[where]) if where in fixed else rng.randint(1, max(1, n - 1))


def _date(dt: datetime, lang: str) -> str:
    return f"{dt.day} {MONTHS[lang][dt.month - 1]} {dt.year}, {dt:%H:%M}"


def build_site(spec: OutletSpec, n_pages: int, seed: int = 0, now: datetime | None = None) -> Site:
    """The outlet's ``n_pages`` newest pages (page 0 newest), deterministic for a seed.

    The first k pages of a site of n >= k pages are the same k pages, so one site serves
    feeds of every size. Raises :class:`CorpusMissing` without ../shared/corpus."""
    texts = texts_for(spec)
    if len(texts) < max(n_pages, 9):
        raise ValueError(f"{spec.key}: {len(texts)} texts, too few for {n_pages} pages")
    now = (now or datetime.now(UTC)).astimezone(timezone(timedelta(hours=spec.tz)))
    now = now.replace(minute=0, second=0, microsecond=0)
    titles = [t.title for t in texts]
    site = Site(spec, [])
    for i in range(n_pages):
        rng = random.Random(f"{spec.key}-{seed}-{i}")
        text = texts[i]
        published = now - timedelta(hours=1 + 1.5 * i, minutes=rng.randrange(60))
        slug = _slug(title=text.title)
        id_ = 48210 + 37 * i + seed
        path = spec.path.format(
            id=id_, slug=slug, y=published.year, m=f"{published.month:02}", d=f"{published.day:02}"
        )
        if "{id}" not in spec.path:
            path = path.replace(slug, f"{slug}-{id_}")
        others = [k for k in range(len(texts)) if k != i]
        picks = rng.sample(others, 8)
        people = PEOPLE[spec.language]
        values = {
            "name": spec.name,
            "year": str(published.year),
            "author": people[i % len(people)],
            "author2": people[(i + 2) % len(people)],
            "tags": ", ".join(rng.sample(TAGS[spec.language], 3)),
            "mins": str(max(1, sum(len(p.split()) for p in text.paragraphs) // 220)),
            "n": str(rng.randrange(10**6)),
            "credit": rng.choice(spec.credits or ("staff",)),
            "h": titles[picks[0]],
            "href": f"/r/{picks[0]}",
        }
        for k in (1, 2, 3):
            values[f"h{k}"], values[f"href{k}"] = titles[picks[k]], f"/r/{picks[k]}"
        slots: dict[int, list[str]] = {}
        boiler = []
        for b in spec.blocks:
            if rng.random() >= b.share:
                continue
            # wordings carry placeholders of their own ({year}, {author}): filled first
            w = _fill(rng.choice(b.words), values, escape=False)
            vals = {**values, "w": w, **{f"w{k}": part for k, part in enumerate(w.split("|"))}}
            frag = _fill(b.tpl, vals, escape=True)
            slots.setdefault(_gap(b.where, len(text.paragraphs), rng), []).append(frag)
            checks = tuple(_fill(c, vals, escape=False) for c in b.checks)
            boiler.append(Boiler(b.kind, _visible(frag), checks))
        body = []
        for k, p in enumerate(text.paragraphs):
            body += slots.get(k, [])
            body.append(_para(p, rng, spec.inline, id_))
        body += slots.get(len(text.paragraphs), [])
        page = Page(i, path, text.title, values["author"], published, list(text.paragraphs), boiler)
        side = [titles[k] for k in picks[4:8]]
        page.html = _render(spec, page, "\n".join(body), side).encode("utf-8")
        site.pages.append(page)
        site.by_path[path] = page
    return site


# The page around the body, per layout: (extra <head>, <body>). Filled with str.format.
# fmt: off
LAYOUTS = {
    "article": (
        '<meta property="article:published_time" content="{iso}"><meta name="author" content="{author}">',
        '<header>{top}</header><div><article class="{wrap}"><header><h1>{title}</h1><p class="{wrap}-by"><a rel="author" href="/staff">{author}</a> · <time datetime="{iso}">{shown}</time></p></header><div class="{bcls}">{body}</div></article>{rail}</div><footer>{foot}</footer>',
    ),
    "itemprop": (
        "",
        '{top}<div><div class="{wrap}" itemscope itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">{title}</h1><div class="{wrap}-m"><span itemprop="author">{author}</span> <time itemprop="datePublished" datetime="{iso}">{shown}</time></div><div class="{bcls}" itemprop="articleBody">{body}</div></div>{rail}</div>{foot}',
    ),
    "table": (  # a legacy table layout, the date in a <meta name="date"> only
        '<meta name="date" content="{iso}">',
        '{top}<table width="100%" cellpadding="4"><tr><td class="{ncls}" valign="top">{links}</td><td class="{wrap}" valign="top"><h1>{title}</h1>{meta}<div class="{bcls}">{body}</div></td><td class="{scls}" valign="top">{rail}</td></tr></table>{foot}',
    ),
    "main": (
        '<script type="application/ld+json">{ld}</script>',
        '<header>{top}</header><main class="{wrap}"><h1>{title}</h1>{meta}<section class="{bcls}">{body}</section></main><aside>{rail}</aside><footer>{foot}</footer>',
    ),
    "soup": (  # nothing semantic at all, the date only as visible text
        "",
        '{top}<div class="{wrap}-o"><div class="{wrap}"><div class="{wrap}-h"><h1>{title}</h1>{meta}</div><div class="{bcls}">{body}</div></div>{rail}</div>{foot}',
    ),
}
# fmt: on


def _render(spec: OutletSpec, page: Page, body: str, side: list[str]) -> str:
    """The whole page: the outlet's chrome around the title, meta line and body."""
    wrap, bcls, scls, ncls = spec.cls
    esc, lang = html.escape, spec.language
    v = {"wrap": wrap, "bcls": bcls, "scls": scls, "ncls": ncls, "body": body}
    v.update(title=esc(page.title), author=esc(page.author), iso=page.published.isoformat())
    v["shown"] = _date(page.published, lang)
    menu = "".join(f'<li><a href="/s/{k}">{esc(s)}</a></li>' for k, s in enumerate(SECTIONS[lang]))
    v["links"] = "<br>".join(f'<a href="/s/{k}">{esc(s)}</a>' for k, s in enumerate(SECTIONS[lang]))
    v["top"] = (
        f'<div class="{ncls}"><a class="{ncls}-logo" href="/">{esc(spec.name)}</a>'
        f'<ul>{menu}</ul><form action="/search"><input name="q"></form></div>'
    )
    most = "".join(f'<li><a href="/m/{k}">{esc(t)}</a></li>' for k, t in enumerate(side))
    v["rail"] = f'<div class="{scls}"><h3>{esc(spec.side_title)}</h3><ol>{most}</ol></div>'
    v["foot"] = (
        f'<div class="{wrap}-ft"><a href="/about">About</a> <a href="/contact">Contact</a> '
        f'<a href="/ads">Ads</a> <span>© {page.published.year} {esc(spec.name)}</span></div>'
    )
    v["meta"] = f'<div class="{wrap}-m"><span>{v["author"]}</span> <span>{v["shown"]}</span></div>'
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": page.title}
    ld.update(datePublished=v["iso"], author={"@type": "Person", "name": page.author})
    v["ld"] = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    head, main = (t.format_map(v) for t in LAYOUTS[spec.layout])
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{v['title']} | {esc(spec.name)}</title>"
        f'<meta name="viewport" content="width=device-width">{head}</head>'
        f"<body>{main}</body></html>"
    )


# --------------------------------------------------------------------------- server
class _Quiet(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up are normal here


class OutletServer:
    """Serves each site on its own port of 127.0.0.1 (its own host to the monitor).

    ``/robots.txt`` allows everything; the feed path lists every page, or the ``n``
    newest with ``?n=N``; every page path answers its HTML. Requests are counted."""

    def __init__(self, sites: Sequence[Site], host: str = "127.0.0.1") -> None:
        self.sites = {s.spec.key: s for s in sites}
        self.host = host
        self.hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[http.server.ThreadingHTTPServer] = []

    def start(self) -> OutletServer:
        for site in self.sites.values():
            server = _Quiet((self.host, 0), self._handler(site))
            site.base = f"http://{self.host}:{server.server_address[1]}"
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> OutletServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def feed_url(self, key: str, n: int | None = None) -> str:
        site = self.sites[key]
        return site.base + site.spec.feed_path + (f"?n={n}" if n is not None else "")

    def _handler(self, site: Site) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                parts = urlsplit(self.path)
                with owner._lock:
                    owner.hits.append((site.spec.key, self.path))
                status, ctype, body = 200, "text/html; charset=utf-8", b""
                page = site.by_path.get(parts.path)
                if parts.path == "/robots.txt":
                    ctype, body = "text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n"
                elif parts.path == site.spec.feed_path:
                    n = parse_qs(parts.query).get("n", [""])[0]
                    kind = "atom" if site.spec.feed_format == "atom" else "rss"
                    ctype = f"application/{kind}+xml; charset=utf-8"
                    body = site.feed(int(n) if n.isdigit() else None)
                elif page is not None:
                    body = page.html
                else:
                    status, ctype, body = 404, "text/plain; charset=utf-8", b"not found"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
