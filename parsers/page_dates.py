"""When a page was published and last modified, and where the page says so.

Metadata is trusted first (JSON-LD, ``<meta>`` keys in order of trust, microdata,
``<time>``), then a dateline by the headline, the day in the URL, a date-ish element
of the page and, last, htmldate's heuristics. Reading one date string is the job of
``parsers.dates``; this module decides which string on the page is the publication date.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from parsers import dates
from parsers.html_clean import norm_ws
from parsers.page_meta import PageMeta, language_hint, ld_str, ld_types

_PUB_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "article:published",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "published",
    "pubdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.created",
    "dc.date.created",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
    "cxenseparse:recs:publishtime",
    "citation_publication_date",
    "citation_date",
    "og:article:published_time",
    "release_date",
    "created",
    "originalpublicationdate",
    "displaydate",
    "date.available",
    "article_date_original",
    "bt:pubdate",
    "pubdate",
    "uploaddate",
)
_MOD_KEYS = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "article:modified",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
    "lastmod",
    "og:article:modified_time",
)


#: How the page writes dates: day or month first, and in which languages' month names.
Reading = Callable[[str], str | None]


def _date(
    value: Any, default_offset: str | None, now: Any = None, read: Reading | None = None
) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    if read is not None:
        iso = read(value)
    else:
        iso = dates.parse_date(value, default_offset=default_offset)
    if iso and dates.plausible(iso, now=now):
        return iso
    return None


def _meta_date(
    pm: PageMeta, keys: tuple[str, ...], default_offset: str | None, now: Any
) -> tuple[str | None, str | None]:
    """The first parsable date among the <meta> keys, in order of trust, and its key."""
    for k in keys:
        for v in pm.meta.get(k, ()):
            found = _date(v, default_offset, now)
            if found:
                return found, f"meta:{k}"
    return None, None


def pick_dates(
    pm: PageMeta,
    tree: HtmlElement,
    url: str | None,
    *,
    default_offset: str | None = None,
    now: Any = None,
    search_text: bool = True,
    lang: str | None = None,
) -> tuple[str | None, str | None, str | None, str | None]:
    """(published, provenance, modified, provenance); metadata first, URL slug last.

    ``search_text``: look for a date written in the page when metadata has none
    (skipped on oversized pages). ``lang``: the language dates are written in, when known
    better than the page declares it (detected from the body).
    """
    pub = prov = None
    # "03/05/2022" on a Brazilian page is 3 May: the page's language says how to read it.
    lang = lang or language_hint(pm)
    read: Reading = partial(
        dates.parse_date,
        default_offset=default_offset,
        dayfirst=dates.dayfirst_for(lang),
        languages=dates.languages_for(lang),
    )
    if pm.article:
        pub = _date(ld_str(pm.article.get("datePublished")) or "", default_offset, now)
        if not pub:
            pub = _date(ld_str(pm.article.get("dateCreated")) or "", default_offset, now)
        prov = "json-ld" if pub else None
    if not pub:
        pub, prov = _meta_date(pm, _PUB_KEYS, default_offset, now)
    if not pub:
        posts = pm.microdata.get("datePublished", []) + pm.microdata.get("dateCreated", [])
        if len(posts) > 1:
            pub = _thread_date(posts, default_offset, now)
        if not pub:
            pub = _date(posts[0], default_offset, now) if posts else None
        prov = "microdata" if pub else None
    if not pub:
        for obj in pm.jsonld:
            if "WebPage" in "".join(ld_types(obj)) or "Posting" in "".join(ld_types(obj)):
                pub = _date(ld_str(obj.get("datePublished")) or "", default_offset, now)
                if pub:
                    prov = "json-ld:webpage"
                    break
    if not pub:
        for t in pm.times:
            v = t.get("datetime") or ""
            if t.get("pubdate") is not None or "publish" in (t.get("class") or "").lower():
                pub = _date(v, default_offset, now)
            if not pub and v:
                pub = _date(v, default_offset, now)
            if not pub and not v:  # <time>March 1, 2024</time>: the text is the value
                pub = _date(_short_text(t, 60) or "", default_offset, now, read)
            if pub:
                prov = "time"
                break
    if pub and pub.endswith("+00:00"):
        pub = _local_time(pub, pm, default_offset, now)
    if pub and _naive_clock(pub):
        pub = _offset_from_twin(pub, pm, now)
    if pub and search_text and pm.h1_el is not None:
        # A dateline under the headline showing an EARLIER day than the metadata: the
        # metadata carries a re-publication or CMS-migration time, the page the original.
        shown = _date_by_heading(pm.h1_el, now, read)
        if shown and shown[:10] < pub[:10] and _earlier_original(shown, pub):
            # The day the outlet printed is the page's day; when the metadata instant is the
            # same moment seen from UTC, the printed clock gives the outlet's offset.
            pub, prov = _with_offset_from(shown, pub), "text:heading"
    if not pub and url:
        u = dates.date_from_url(url)
        if u and dates.plausible(u, now=now):
            pub, prov = u, "url"
    if pub and len(pub) == 10 and search_text and pm.h1_el is not None:
        # A bare day (the URL's, or metadata without a clock) and the same day printed
        # with its time under the headline: the printed minute is the publication's.
        shown = _date_by_heading(pm.h1_el, now, read)
        if shown and len(shown) > 10 and shown[:10] == pub:
            pub, prov = shown, "text:heading"
    unparsed = False
    if not pub and search_text and pm.h1_el is not None:
        pub = _date_by_heading(pm.h1_el, now, read)
        prov = "text:heading" if pub else None
    if not pub and search_text:
        pub, unparsed = _visible_date(tree, now, read)
        prov = "text:date" if pub else None
    if not pub and search_text and (unparsed or _looks_like_article(pm, url)):
        pub = _htmldate(tree, url, now)
        prov = "htmldate" if pub else None
    mod = mprov = None
    if pm.article:
        mod = _date(ld_str(pm.article.get("dateModified")) or "", default_offset, now)
        mprov = "json-ld" if mod else None
    if not mod:
        mod, mprov = _meta_date(pm, _MOD_KEYS, default_offset, now)
    return pub, prov, mod, mprov


def _naive_clock(value: str) -> bool:
    """A date with a clock but no offset ("2023-04-28T18:11:01")."""
    when = dates.to_datetime(value)
    return len(value) > 10 and when is not None and when.tzinfo is None


def _offset_from_twin(pub: str, pm: PageMeta, now: Any) -> str:
    """The offset of another date the page gives for the same wall-clock minute.

    JSON-LD often drops the offset that the page's <meta> or <time> keep
    ("18:11:01" beside "18:11:01+02:00"): the same clock reading, so the same moment.
    """
    clock = dates.to_datetime(pub)
    if clock is None:
        return pub
    values = [v for k in (*_PUB_KEYS, *_MOD_KEYS) for v in pm.meta.get(k, ())]
    values += [t.get("datetime") or "" for t in pm.times]
    for value in values[:60]:
        twin = _date(value, None, now)
        when = dates.to_datetime(twin) if twin else None
        if (
            when is not None
            and when.tzinfo is not None
            and when.replace(tzinfo=None, second=0, microsecond=0)
            == clock.replace(second=0, microsecond=0)
        ):
            return clock.replace(tzinfo=when.tzinfo).isoformat()
    return pub


def _local_time(pub: str, pm: PageMeta, default_offset: str | None, now: Any) -> str:
    """The same instant as the page's ``<time>`` shows it, when metadata gives it in UTC.

    The calendar day is the one the outlet printed: 23:25 UTC is already tomorrow in Baku.
    """
    when = dates.to_datetime(pub)
    for t in pm.times:
        local = _date(t.get("datetime") or "", default_offset, now)
        if local and not local.endswith("+00:00") and dates.to_datetime(local) == when:
            return local
    return pub


def _near_heading(h1: HtmlElement, after: int = 40, before: int = 12) -> list[HtmlElement]:
    """Elements next to the headline, nearest first: the article's header, where the
    dateline sits whatever its markup (no date-ish class on many sites)."""
    out: list[HtmlElement] = []
    node: HtmlElement | None = h1
    for _ in range(3):  # following siblings of the h1 and of its parent and grandparent
        if node is None:
            break
        for sib in node.itersiblings():
            for el in sib.iter():
                out.append(el)
                if len(out) >= after:
                    break
            if len(out) >= after:
                break
        node = node.getparent()
    n = 0
    node = h1
    for _ in range(2):  # and a few just above it (a kicker or date line over the title)
        if node is None:
            break
        for sib in node.itersiblings(preceding=True):
            for el in sib.iter():
                out.append(el)
                n += 1
                if n >= before:
                    break
            if n >= before:
                break
        node = node.getparent()
    return out


#: Dates next to a headline that are not the page's: a poster's sign-up, a copyright line.
_NOT_PUBLISHED_RE = re.compile(
    r"\b(?:joined|member since|registered|since|copyright)\b|©|"
    r"\b(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d\b",
    re.I,
)


def _swapped_day(shown: str, pub: str) -> bool:
    """The shown day is the metadata's with day and month exchanged ("03/05" read the other
    way): the two agree, and the unambiguous metadata is kept."""
    y, m, d = shown[:4], shown[5:7], shown[8:10]
    return m != d and int(d) <= 12 and f"{y}-{d}-{m}" == pub[:10]


def _earlier_original(shown: str, pub: str) -> bool:
    """Whether an earlier day printed by the headline is the original publication rather
    than another date near it (a programme's air date, a ticker's first entry).

    Yes when it is the metadata's own instant in the outlet's zone, when it is days
    earlier (a re-publication, a CMS migration), or when it is a day without a clock. Not
    when it prints a different moment of the day before: the metadata's time is then the
    publication's, the printed one something else's.
    """
    if _swapped_day(shown, pub):
        return False
    if _with_offset_from(shown, pub) != shown:
        return True  # the same instant, written in the outlet's zone
    first, meta = dates.to_datetime(shown[:10]), dates.to_datetime(pub[:10])
    if first is None or meta is None:
        return False
    # Days earlier, or a day printed without a clock (nothing says it is another moment).
    return (meta.date() - first.date()).days >= 2 or len(shown) <= 10


def _with_offset_from(shown: str, pub: str) -> str:
    """The shown local time with the offset that makes it the metadata's instant.

    "3 May 2022 22:41" under a headline whose metadata says 02:41 UTC on 4 May is that
    moment at UTC-04:00: the record keeps the printed day and the exact instant.
    """
    local, when = dates.to_datetime(shown), dates.to_datetime(pub)
    if local is None or when is None or local.tzinfo is not None or when.tzinfo is None:
        return shown
    if len(shown) <= 10:  # a day without a clock: nothing to compare
        return shown
    # A printed clock has no seconds: compare it with the metadata's minute.
    delta = local - when.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
    minutes = round(delta.total_seconds() / 60)
    if -12 * 60 <= minutes <= 14 * 60 and minutes % 15 == 0:
        zone = timezone(timedelta(minutes=minutes))
        return when.astimezone(zone).isoformat()
    return shown


def _date_by_heading(h1: HtmlElement, now: Any, read: Reading = dates.parse_date) -> str | None:
    """A short text holding a date (with its year) right below or above the headline."""
    refused: set[HtmlElement] = set()
    for el in _near_heading(h1):
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "a"):
            continue
        parent = el.getparent()
        if parent in refused:  # "<dt>Joined</dt><dd>Nov 4, 2011</dd>"
            refused.add(el)
            continue
        text = _short_text(el, 80)
        if not text or not _HAS_YEAR_RE.search(text):
            continue
        if _NOT_PUBLISHED_RE.search(text):
            refused.add(el)
            continue
        iso = read(text)
        if iso and dates.plausible(iso, now=now):
            return iso
    return None


_ISO_DAY_RE = re.compile(r"\s*\d{4}-\d\d-\d\d")


def _thread_date(posts: list[str], default_offset: str | None, now: Any) -> str | None:
    """The question's or first post's date on a page where every post, answer or comment
    states its own: the earliest of them, not whichever the markup lists first."""
    # Only machine-readable values: "12-01-2024" in one post's text may mean either month.
    cands = [_date(v, default_offset, now) for v in posts[:50] if _ISO_DAY_RE.match(v)]
    found = [c for c in cands if c]
    return min(found, key=lambda c: c[:10]) if found else None


_X_DATEISH = etree.XPath(
    "//*[contains(@class, 'date') or contains(@class, 'Date') or contains(@class, 'time')"
    " or contains(@class, 'publish') or contains(@class, 'posted') or contains(@class, 'byline')"
    " or contains(@id, 'date') or contains(@itemprop, 'date')]"
)
_DATE_PREFIX_RE = re.compile(
    r"^(?:published|posted|date|on|created|opublikowano|publié le|veröffentlicht|"
    r"опубликовано|dərc olunub)\s*(?:on)?\s*[:：]?\s*",
    re.I,
)
_UPDATED_RE = re.compile(r"\b(?:updated|modified|aktualisiert|обновлено|mis à jour)\b", re.I)


def _short_text(el: HtmlElement, limit: int = 120) -> str | None:
    parts, n = [], 0
    for t in el.itertext():
        n += len(t)
        if n > limit * 2:
            return None
        parts.append(t)
    s = norm_ws(" ".join(parts))
    return s if s and len(s) <= limit else None


_HAS_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _visible_date(
    tree: HtmlElement, now: Any, read: Reading = dates.parse_date
) -> tuple[str | None, bool]:
    """A publication date written in a date/byline element of the page.

    Also says whether some date element held a year we could not parse (a language the
    date parser does not know): then a slower multilingual search is worth it.
    """
    unparsed = False
    for el in _X_DATEISH(tree)[:80]:
        text = _short_text(el)
        if not text or (_UPDATED_RE.search(text) and "publi" not in text.lower()):
            continue
        for cand in (text, _DATE_PREFIX_RE.sub("", text)):
            iso = read(cand)
            if iso and dates.plausible(iso, now=now):
                return iso, False
        unparsed = unparsed or bool(_HAS_YEAR_RE.search(text))
    return None, unparsed


_ARTICLE_PATH_RE = re.compile(
    r"/(?:blogs?|articles?|news|posts?|stories|story|insights?|magazine|journal|opinion|"
    r"\d{4}/\d{2})/",
    re.I,
)


def _looks_like_article(pm: PageMeta, url: str | None) -> bool:
    """Worth a costly text search for a date: declared as an article, or an article URL."""
    og, _ = pm.first("og:type")
    if pm.article or (og or "").lower() == "article":
        return True
    return bool(url and _ARTICLE_PATH_RE.search(urlsplit(url).path))


def _htmldate(tree: HtmlElement, url: str | None, now: Any) -> str | None:
    """A date written in the page (bylines, date classes): htmldate's fast heuristics.

    Only used when no metadata states a date; its extensive mode costs ~15 ms a page.
    """
    try:
        import htmldate

        found = htmldate.find_date(
            tree, url=url, extensive_search=False, original_date=True, outputformat="%Y-%m-%d"
        )
    except Exception:  # noqa: BLE001 - a heuristic that fails just gives no date
        return None
    if found and dates.plausible(found, now=now):
        return found
    return None
