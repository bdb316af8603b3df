"""Page metadata from one parsed tree: JSON-LD, OpenGraph and other ``<meta>``, ``<time>``.

Collected once (``collect``) and then read by small pickers, each returning a value and
where it came from, so every field of an ``Article`` can carry its provenance. This is
the pickers' one address: the canonical URL, section and tags are picked here; the
title, byline and dates, each a concept of its own, in ``titles``, ``authors`` and
``page_dates``; the collecting in ``page_meta``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from parsers.authors import clean_author, lead_byline_author, pick_author
from parsers.html_clean import norm_ws
from parsers.page_dates import pick_dates
from parsers.page_meta import ARTICLE_TYPES, PageMeta, collect, language_hint, ld_str
from parsers.titles import meta_title, names_page, pick_title

__all__ = [
    "ARTICLE_TYPES",
    "PageMeta",
    "canonical_url",
    "clean_author",
    "collect",
    "language_hint",
    "meta_title",
    "names_page",
    "pick_author",
    "lead_byline_author",
    "pick_dates",
    "pick_section",
    "pick_tags",
    "pick_title",
]


# --------------------------------------------------------------------------- canonical URL


def canonical_url(pm: PageMeta, url: str | None) -> tuple[str | None, str | None]:
    if pm.canonical and pm.canonical.startswith(("http://", "https://")):
        return pm.canonical, "link:canonical"
    og, _ = pm.first("og:url")
    if og and og.startswith(("http://", "https://")):
        return og, "meta:og:url"
    if og and url:
        return urljoin(url, og), "meta:og:url"
    return None, None


# --------------------------------------------------------------------------- section, tags


def pick_section(pm: PageMeta) -> tuple[str | None, str | None]:
    if pm.article:
        s = ld_str(pm.article.get("articleSection"))
        if s:
            return s, "json-ld"
    v, k = pm.first(
        "article:section",
        "parsely-section",
        "sailthru.section",
        "section",
        "og:article:section",
        "category",
    )
    return (v, f"meta:{k}") if v else (None, None)


def _split_tags(v: str) -> list[str]:
    return [norm_ws(x) for x in re.split(r"[,;|]", v) if norm_ws(x)]


def pick_tags(pm: PageMeta) -> tuple[list[str], str | None]:
    tags = [norm_ws(v) for v in pm.meta.get("article:tag", []) if norm_ws(v)]
    if len(tags) == 1 and tags[0].count(",") >= 2:
        tags = _split_tags(tags[0])  # one meta holding the whole comma-separated list
    if tags:
        return list(dict.fromkeys(tags))[:50], "meta:article:tag"
    if pm.article and pm.article.get("keywords"):
        kw = pm.article["keywords"]
        items = kw if isinstance(kw, list) else _split_tags(kw) if isinstance(kw, str) else []
        tags = [norm_ws(html.unescape(x)) for x in items if isinstance(x, str) and norm_ws(x)]
        if tags:
            return list(dict.fromkeys(tags))[:50], "json-ld"
    v, k = pm.first("news_keywords", "parsely-tags", "sailthru.tags")
    if v:
        return list(dict.fromkeys(_split_tags(v)))[:50], f"meta:{k}"
    return [], None
