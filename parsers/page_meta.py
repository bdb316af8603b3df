"""What one page says about itself, gathered in one pass over its parsed tree.

JSON-LD, OpenGraph and other ``<meta>``, ``<time>``, microdata, ``<title>`` and ``<h1>``
are collected once (``collect``) into a ``PageMeta``; the readers every field picker
shares live here too: JSON-LD values, the publisher's name and host label, and the key
that compares two spellings of a name. The pickers themselves are in ``metadata``,
``titles``, ``authors`` and ``page_dates``.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from parsers.html_clean import norm_ws

#: JSON-LD types of a single article (schema.org Article and its news subtypes).
ARTICLE_TYPES = frozenset(
    "Article NewsArticle ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle "
    "BackgroundNewsArticle ReviewNewsArticle AskPublicNewsArticle SatiricalArticle "
    "BlogPosting LiveBlogPosting SocialMediaPosting Report ScholarlyArticle TechArticle "
    "MedicalScholarlyArticle AdvertiserContentArticle".split()
)

#: Soft hyphens and zero-width characters: hyphenation hints, never part of the words.
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SCRIPT_TYPES = ("application/ld+json", "application/json+ld")
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)


def unescape_left(s: str | None) -> str | None:
    """Undo a second, literal escaping ("SQL &#x26; AI", "Q&amp;A"): pages that escape a
    CMS field twice show the entity as text, and no headline means it."""
    if s and "&" in s and _ENTITY_RE.search(s):
        return html.unescape(s)
    return s


@dataclass
class PageMeta:
    """Everything the pickers need, gathered in one pass over the tree."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    article: dict[str, Any] | None = None
    types: set[str] = field(default_factory=set)
    html_lang: str | None = None
    canonical: str | None = None
    title_tag: str | None = None
    h1: list[str] = field(default_factory=list)
    h1_el: HtmlElement | None = None
    times: list[HtmlElement] = field(default_factory=list)
    microdata: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *keys: str) -> tuple[str | None, str | None]:
        """The first non-empty value among ``keys`` and the key it came from."""
        for k in keys:
            for v in self.meta.get(k, ()):
                v = norm_ws(v)
                if v:
                    return v, k
        return None, None


# --------------------------------------------------------------------------- collect


def _load_json(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    raw = raw.strip().rstrip(";")
    if not raw:
        return None
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    try:  # the commonest hand-written faults: trailing commas and raw control characters
        return json.loads(_TRAILING_COMMA_RE.sub(r"\1", _CTRL_RE.sub(" ", raw)), strict=False)
    except ValueError:
        return None


def ld_types(obj: dict[str, Any]) -> list[str]:
    """The schema.org type names of a JSON-LD object, without a vocabulary prefix."""
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    out = []
    for x in items:
        if isinstance(x, str):
            out.append(x.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    return out


def _flatten(data: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Typed JSON-LD objects from lists, ``@graph`` and one level of ``mainEntity`` nesting."""
    if depth > 4:
        return
    if isinstance(data, list):
        for x in data[:200]:
            _flatten(x, out, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            _flatten(data["@graph"], out, depth + 1)
        if "@type" in data:
            out.append(data)
        for key in ("mainEntity", "mainEntityOfPage", "itemListElement"):
            v = data.get(key)
            if isinstance(v, (dict, list)):
                _flatten(v, out, depth + 1)


def _is_home_link(h1: HtmlElement, url: str | None) -> bool:
    """An ``<h1>`` that links to the home page is the site's logo, not a headline."""
    links = h1.findall(".//a")
    parent = h1.getparent()
    if parent is not None and parent.tag == "a":
        links.append(parent)
    for a in links:
        href = (a.get("href") or "").strip()
        if href in ("/", "./", "#", "index.html", "/index.html"):
            return True
        if url and href.startswith(("http://", "https://")):
            parts = urlsplit(href)
            if parts.path in ("", "/") and parts.hostname == urlsplit(url).hostname:
                return True
    return False


def collect(tree: HtmlElement, url: str | None = None) -> PageMeta:
    pm = PageMeta()
    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    lang = root.get("lang") or root.get("xml:lang")
    pm.html_lang = norm_ws(lang) or None
    for el in root.iter("meta", "link", "script", "title", "h1", "time"):
        tag = el.tag
        if tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
            val = el.get("content")
            if key and val:
                pm.meta.setdefault(key.strip().lower(), []).append(val)
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if "canonical" in rel and el.get("href") and not pm.canonical:
                pm.canonical = el.get("href").strip()
        elif tag == "script":
            if (el.get("type") or "").strip().lower() in _SCRIPT_TYPES and el.text:
                data = _load_json(el.text)
                if data is not None:
                    _flatten(data, pm.jsonld)
        elif tag == "title":
            if pm.title_tag is None:
                pm.title_tag = unescape_left(norm_ws(el.text_content())) or None
        elif tag == "time":
            if len(pm.times) < 40:
                pm.times.append(el)
        elif tag == "h1":
            t = unescape_left(norm_ws(_INVISIBLE_RE.sub("", el.text_content())))
            if t and len(pm.h1) < 5 and not _is_home_link(el, url):
                pm.h1.append(t)
                if pm.h1_el is None:
                    pm.h1_el = el
    for obj in pm.jsonld:
        ts = ld_types(obj)
        pm.types.update(ts)
        if pm.article is None and any(t in ARTICLE_TYPES for t in ts):
            pm.article = obj
    for el in root.xpath("//*[@itemprop][not(self::meta)]")[:200]:
        prop = el.get("itemprop").strip()
        if prop in ("headline", "datePublished", "dateCreated", "dateModified", "author", "name"):
            val = el.get("datetime") or el.get("content") or norm_ws(el.text_content())
            if val:
                pm.microdata.setdefault(prop, []).append(val)
    if url and pm.canonical:
        pm.canonical = urljoin(url, pm.canonical)
    return pm


# --------------------------------------------------------------------------- JSON-LD values


def ld_str(v: Any) -> str | None:
    """A JSON-LD value as one clean string: itself, its name or @value, its first item."""
    if isinstance(v, str):
        return norm_ws(html.unescape(v)) or None
    if isinstance(v, dict):
        return ld_str(v.get("name") or v.get("@value"))
    if isinstance(v, list) and v:
        return ld_str(v[0])
    return None


def ld_names(v: Any) -> list[str]:
    """The distinct names in a JSON-LD person or list of people (not URLs), at most ten."""
    out: list[str] = []
    items = v if isinstance(v, list) else [v]
    for x in items[:10]:
        if isinstance(x, str):
            s = norm_ws(html.unescape(x))
        elif isinstance(x, dict):
            s = norm_ws(html.unescape(x["name"]) if isinstance(x.get("name"), str) else "")
        else:
            s = ""
        if s and not s.startswith(("http://", "https://")) and s not in out:
            out.append(s)
    return out


# --------------------------------------------------------------------------- publisher


def site_name(pm: PageMeta, url: str | None) -> str | None:
    """The publisher's name as the page gives it (og:site_name, JSON-LD WebSite...)."""
    name, _ = pm.first("og:site_name", "application-name", "apple-mobile-web-app-title")
    if name:
        return name
    for obj in pm.jsonld:
        if "WebSite" in ld_types(obj) or "Organization" in ld_types(obj):
            s = ld_str(obj.get("name"))
            if s:
                return s
    return None


_HOST_NOISE = frozenset(
    "www m amp en az ru tr de fr es it mobile news co com org net gov ac edu".split()
)


def host_label(url: str | None) -> str:
    """The name-like label of a host ("en.trend.az" -> "trend", "www.bbc.co.uk" -> "bbc")."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    labels = [x for x in host.split(".")[:-1] if x not in _HOST_NOISE]
    return max(labels, key=len) if labels else ""


def text_key(s: str) -> str:
    """Letters and digits only, case-folded: "Trend.az" and "TREND AZ" are the same name."""
    return re.sub(r"\W+", "", s).casefold()


def language_hint(pm: PageMeta) -> str | None:
    """The language the page declares: ``<html lang>``, else its language metadata."""
    if pm.html_lang:
        return pm.html_lang
    v, _ = pm.first("content-language", "og:locale", "language", "dc.language")
    return v
