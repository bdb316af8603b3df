"""Page metadata from one parsed tree: JSON-LD, OpenGraph and other ``<meta>``, ``<time>``.

Collected once (``collect``) and then read by small pickers, each returning a value and
where it came from, so every field of an ``Article`` can carry its provenance.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from parsers import dates
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


def _types(obj: dict[str, Any]) -> list[str]:
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
        ts = _types(obj)
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


# --------------------------------------------------------------------------- helpers


def _ld_str(v: Any) -> str | None:
    if isinstance(v, str):
        return norm_ws(html.unescape(v)) or None
    if isinstance(v, dict):
        return _ld_str(v.get("name") or v.get("@value"))
    if isinstance(v, list) and v:
        return _ld_str(v[0])
    return None


def _ld_names(v: Any) -> list[str]:
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


def canonical_url(pm: PageMeta, url: str | None) -> tuple[str | None, str | None]:
    if pm.canonical and pm.canonical.startswith(("http://", "https://")):
        return pm.canonical, "link:canonical"
    og, _ = pm.first("og:url")
    if og and og.startswith(("http://", "https://")):
        return og, "meta:og:url"
    if og and url:
        return urljoin(url, og), "meta:og:url"
    return None, None


# --------------------------------------------------------------------------- title

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " « ", " » ", " / ")


def site_name(pm: PageMeta, url: str | None) -> str | None:
    name, _ = pm.first("og:site_name", "application-name", "apple-mobile-web-app-title")
    if name:
        return name
    for obj in pm.jsonld:
        if "WebSite" in _types(obj) or "Organization" in _types(obj):
            s = _ld_str(obj.get("name"))
            if s:
                return s
    return None


_HOST_NOISE = frozenset(
    "www m amp en az ru tr de fr es it mobile news co com org net gov ac edu".split()
)


def _host_key(url: str | None) -> str:
    """The name-like label of a host ("en.trend.az" -> "trend", "www.bbc.co.uk" -> "bbc")."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    labels = [x for x in host.split(".")[:-1] if x not in _HOST_NOISE]
    return max(labels, key=len) if labels else ""


def _strip_site(title: str, site: str | None, url: str | None) -> str:
    """Drop "| Site name" style suffixes/prefixes from a ``<title>``."""
    host_key = _host_key(url)
    site_key = re.sub(r"\W", "", (site or "").lower())
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        parts = [p.strip() for p in title.split(sep)]
        keep = []
        for p in parts:
            pk = re.sub(r"\W", "", p.lower())
            if pk and (
                (site_key and (pk == site_key or pk in site_key or site_key in pk))
                or (host_key and len(host_key) > 2 and host_key in pk and len(p) < 40)
            ):
                continue
            keep.append(p)
        if keep and len(keep) < len(parts):
            return sep.join(keep)
        if len(parts) >= 2:
            # Unknown site name: the longest part is the headline when the others are short.
            longest = max(parts, key=len)
            if len(longest) >= 20 and all(len(p) <= 40 for p in parts if p is not longest):
                if parts[-1] is not longest or parts[0] is longest:
                    return longest
    return title


def _key(s: str) -> str:
    return re.sub(r"\W+", "", s).casefold()


def _loose(s: str) -> str:
    return re.sub(r"\s+", "", s).casefold()


def _same(a: str, b: str) -> bool:
    return _key(a) == _key(b)


_GENERIC_H1 = re.compile(
    r"^(?:search|menu|navigation|main menu|provide feedback|skip to .*|log ?in|sign ?in|"
    r"home|welcome|404|page not found|cookies?.*|subscribe|newsletter|share|comments?)$",
    re.I,
)


def _usable_h1(h: str, site: str | None, url: str | None, title_tag: str | None = None) -> bool:
    """A heading that can be the headline: not the logo, not a widget title."""
    if not 4 <= len(h) <= 300 or _GENERIC_H1.match(h):
        return False
    k = _key(h)
    if site and k == _key(site):
        return False
    if title_tag:
        # "Headline | Site": an <h1> equal to a later, shorter part of the title is the site.
        for sep in _TITLE_SEPARATORS:
            parts = [p.strip() for p in title_tag.split(sep)]
            if len(parts) >= 2 and any(_key(p) == k for p in parts[1:]):
                if len(parts[0]) > len(h):
                    return False
    host = (urlsplit(url).hostname or "") if url else ""
    host = re.sub(r"^www\.", "", host.lower())
    return not (host and (k == _key(host) or k == _key(host.split(".")[0])))


def pick_title(pm: PageMeta, url: str | None) -> tuple[str | None, str | None]:
    """The headline as the page shows it.

    The visible ``<h1>`` wins: metadata titles are often rewritten for search and social
    ("... | Site", another wording). When a metadata title says the same words as the
    ``<h1>`` (case and punctuation aside), the metadata spelling is kept, because an
    ``<h1>`` may be styled from lower case or split into spans.
    """
    og, ogk = pm.first(
        "og:title", "twitter:title", "sailthru.title", "parsely-title", "dc.title", "title"
    )
    og = unescape_left(og)
    ld = _ld_str(pm.article.get("headline") or pm.article.get("name")) if pm.article else None
    md = norm_ws(pm.microdata.get("headline", [None])[0]) or None
    site = site_name(pm, url)
    tt = pm.title_tag
    metas: list[tuple[str, str]] = []
    for x, src in ((ld, "json-ld"), (og, f"meta:{ogk}"), (md, "microdata"), (tt, "title")):
        if x:
            metas.append((x, src))
            stripped = _strip_site(x, site, url)
            if stripped != x:
                metas.append((stripped, src))
    h1s = [h for h in pm.h1 if _usable_h1(h, site, url, tt)]
    for h in h1s:
        for x, src in metas:
            if _same(h, x):
                # Same words: keep the h1's punctuation, the metadata's letter case.
                if _loose(h) == _loose(x) and h != x:
                    return x, src
                return h, "h1"
    if len(h1s) > 1 and metas:
        # The first <h1> is nowhere in the metadata title (a section banner, a widget); a
        # later one the metadata title contains is the headline.
        keys = [_key(x) for x, _ in metas]
        if not any(_key(h1s[0]) in k for k in keys):
            for h in h1s[1:]:
                hk = _key(h)
                if len(hk) >= 10 and any(hk in k for k in keys):
                    return h, "h1"
    if h1s:
        return h1s[0], "h1"
    if ld and og and len(ld) >= 60 and _key(og).startswith(_key(ld)) and len(og) > len(ld):
        ld = None  # a headline cut at a search engine's length limit
    if ld:
        return ld, "json-ld"
    if og:
        return _strip_site(og, site, url), f"meta:{ogk}"
    if md:
        return md, "microdata"
    if tt:
        return _strip_site(tt, site, url), "title"
    return None, None


def names_page(pm: PageMeta, heading: str | None) -> bool:
    """The heading is one whole part of the ``<title>`` or og:title ("Building Department |
    Town, IN"): the page names itself by it, so it is the title even on a landing page."""
    k = _key(heading or "")
    if not k:
        return False
    og, _ = pm.first("og:title", "twitter:title")
    for t in (pm.title_tag, og):
        for sep in (*_TITLE_SEPARATORS, ": "):
            if t and sep in t and any(_key(p) == k for p in t.split(sep)):
                return True
    return False


def meta_title(pm: PageMeta, url: str | None) -> tuple[str | None, str | None]:
    """The page's own title from metadata (for pages whose ``<h1>`` is a slogan)."""
    site = site_name(pm, url)
    og, ogk = pm.first("og:title", "twitter:title")
    if og:
        return _strip_site(og, site, url), f"meta:{ogk}"
    if pm.title_tag:
        return _strip_site(pm.title_tag, site, url), "title"
    return None, None


# --------------------------------------------------------------------------- author

_AUTHOR_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "byline",
    "cxenseparse:author",
    "citation_author",
)
_BY_PREFIX_RE = re.compile(r"^(?:by|von|par|por|di|door|автор|müəllif)\s*[:：]?\s+", re.I)


def clean_author(s: str | None) -> str | None:
    s = norm_ws(s)
    if not s or s.startswith(("http://", "https://", "@")) or len(s) > 120:
        return None
    s = _BY_PREFIX_RE.sub("", s).strip(" ,;|·•-–—:")
    return s or None


_X_BYLINE = etree.XPath(
    "//a[@rel='author'] | //*[@itemprop='author'] | //*[contains(@class, 'author')"
    " or contains(@class, 'byline') or contains(@class, 'Author') or contains(@id, 'author')]"
)
_BYLINE_NOISE_RE = re.compile(
    r"^(?:(?:written|posted|published|reviewed|edited|words|text|story|report(?:ed)?)\s+by|"
    r"by|von|par|por|door|di|автор|müəllif|author|authors?|written by)\s*[:：]?\s*",
    re.I,
)
_NOT_A_NAME_RE = re.compile(
    r"\d|@|https?:|\b(?:share|follow|comments?|read more|view all|posts?|articles?|"
    r"about the author|more from|subscribe|min read|updated|published|contact)\b",
    re.I,
)


_AUTHOR_ATTR_RE = re.compile(r"(?<![a-z])(?:author|byline)s?(?![a-z])", re.I)
_NOT_A_NAME_START_RE = re.compile(
    r"^(?:name|sign (?:in|up)|log ?in|guest|anonymous|admin|topic author|the author|staff|editor|"
    r"about|home)\b|\bsays:?$",
    re.I,
)


def _in_comments(el: HtmlElement) -> bool:
    node = el.getparent()
    for _ in range(12):
        if node is None:
            return False
        attrs = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if "comment" in attrs or "reply" in attrs or "review" in attrs:
            return True
        node = node.getparent()
    return False


def _visible_author(tree: HtmlElement) -> str | None:
    """A name in a byline/author element of the page (short, no digits, 1-6 words)."""
    for el in _X_BYLINE(tree)[:40]:
        if el.tag != "a" and el.get("itemprop") != "author":
            if not _AUTHOR_ATTR_RE.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
                continue
        parts, n = [], 0
        for t in el.itertext():
            n += len(t)
            if n > 160:
                break
            parts.append(t)
        if n > 160:
            continue
        text = norm_ws(" ".join(parts))
        text = _BYLINE_NOISE_RE.sub("", text).strip(" |,·•-–—*:~")
        if not text or _NOT_A_NAME_RE.search(text) or _NOT_A_NAME_START_RE.search(text):
            continue
        words = text.split()
        if 1 <= len(words) <= 6 and len(text) <= 60 and any(w[:1].isupper() for w in words):
            if not _in_comments(el):
                return text
    return None


#: "kffnirmitap", "andrew.keaveney", "262588213843476": a CMS account, not a byline.
_HANDLE_RE = re.compile(r"^(?:\d+|[\w.\-]*[._\d][\w.\-]*|[a-z]+)$")
_LAST_FIRST_RE = re.compile(r"^([^\W\d_][\w'’\-]+), ((?:[^\W\d_][\w'’.\-]*\s?){1,3})$")


#: Where a user name is the author: posts in forums, Q&A and social media.
_POSTING_TYPES = frozenset(
    "DiscussionForumPosting SocialMediaPosting QAPage Question Answer Comment".split()
)


def _weak_author(name: str, pm: PageMeta, organisation: bool, url: str | None) -> bool:
    """An author value that names the publisher or an account rather than a person."""
    if organisation:
        return True
    if _HANDLE_RE.match(name) and not (_POSTING_TYPES & pm.types):
        return True
    k = _key(name)
    site = site_name(pm, url)
    publisher = _ld_str(pm.article.get("publisher")) if pm.article else None
    return any(x and _key(x) == k for x in (site, publisher)) or k == _host_key(url)


def _metadata_author(pm: PageMeta) -> tuple[str | None, str | None, bool]:
    """(author, provenance, whether JSON-LD says it is an organisation)."""
    if pm.article:
        raw = pm.article.get("author") or pm.article.get("creator")
        names = [n for n in (clean_author(x) for x in _ld_names(raw)) if n]
        if names:
            items = raw if isinstance(raw, list) else [raw]
            org = all(
                isinstance(x, dict) and {"Organization", "NewsMediaOrganization"} & set(_types(x))
                for x in items
            )
            return ", ".join(names), "json-ld", org
    for k in _AUTHOR_KEYS:
        for v in pm.meta.get(k, ()):
            a = clean_author(v)
            if a and k in ("citation_author", "dc.creator", "dcterms.creator"):
                m = _LAST_FIRST_RE.match(a)  # "Roy, Aniruddha": the catalogue order
                a = f"{m.group(2).strip()} {m.group(1)}" if m else a
            if a:
                return a, f"meta:{k}", False
    md = pm.microdata.get("author")
    if md:
        a = clean_author(md[0])
        if a and len(a) <= 60:
            return a, "microdata", False
    return None, None, False


def pick_author(
    pm: PageMeta, tree: HtmlElement | None = None, url: str | None = None
) -> tuple[str | None, str | None]:
    """The byline: metadata first, unless it names the publisher or an account and the
    page shows a person's name in its byline."""
    a, prov, org = _metadata_author(pm)
    if a and not _weak_author(a, pm, org, url):
        return a, prov
    shown = _visible_author(tree) if tree is not None else None
    if shown and not _weak_author(shown, pm, False, url):
        return shown, "byline"
    if a:
        return a, prov
    return (shown, "byline") if shown else (None, None)


# --------------------------------------------------------------------------- dates

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
        pub = _date(_ld_str(pm.article.get("datePublished")) or "", default_offset, now)
        if not pub:
            pub = _date(_ld_str(pm.article.get("dateCreated")) or "", default_offset, now)
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
            if "WebPage" in "".join(_types(obj)) or "Posting" in "".join(_types(obj)):
                pub = _date(_ld_str(obj.get("datePublished")) or "", default_offset, now)
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
    if pub and search_text and pm.h1_el is not None:
        # A dateline under the headline showing an EARLIER day than the metadata: the
        # metadata carries a re-publication or CMS-migration time, the page the original.
        shown = _date_by_heading(pm.h1_el, now, read)
        if shown and shown[:10] < pub[:10] and not _swapped_day(shown, pub):
            # The day the outlet printed is the page's day; when the metadata instant is the
            # same moment seen from UTC, the printed clock gives the outlet's offset.
            pub, prov = _with_offset_from(shown, pub), "text:heading"
    if not pub and url:
        u = dates.date_from_url(url)
        if u and dates.plausible(u, now=now):
            pub, prov = u, "url"
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
        mod = _date(_ld_str(pm.article.get("dateModified")) or "", default_offset, now)
        mprov = "json-ld" if mod else None
    if not mod:
        mod, mprov = _meta_date(pm, _MOD_KEYS, default_offset, now)
    return pub, prov, mod, mprov


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
    delta = local - when.astimezone(UTC).replace(tzinfo=None)
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


# --------------------------------------------------------------------------- section, tags


def pick_section(pm: PageMeta) -> tuple[str | None, str | None]:
    if pm.article:
        s = _ld_str(pm.article.get("articleSection"))
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


def language_hint(pm: PageMeta) -> str | None:
    if pm.html_lang:
        return pm.html_lang
    v, _ = pm.first("content-language", "og:locale", "language", "dc.language")
    return v
