"""The byline of a page: who wrote it, from its metadata or from the page itself.

Metadata names the author most often, but it may name the publisher or a CMS account
("kffnirmitap"); then a person's name shown in the page's byline is preferred. Comment
sections and "About the author" widgets are not bylines.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

from parsers.html_clean import norm_ws
from parsers.page_meta import (
    PageMeta,
    host_label,
    ld_names,
    ld_str,
    ld_types,
    site_name,
    text_key,
)

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
    k = text_key(name)
    site = site_name(pm, url)
    publisher = ld_str(pm.article.get("publisher")) if pm.article else None
    return any(x and text_key(x) == k for x in (site, publisher)) or k == host_label(url)


def _metadata_author(pm: PageMeta) -> tuple[str | None, str | None, bool]:
    """(author, provenance, whether JSON-LD says it is an organisation)."""
    if pm.article:
        raw = pm.article.get("author") or pm.article.get("creator")
        names = [n for n in (clean_author(x) for x in ld_names(raw)) if n]
        if names:
            items = raw if isinstance(raw, list) else [raw]
            org = all(
                isinstance(x, dict) and {"Organization", "NewsMediaOrganization"} & set(ld_types(x))
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
