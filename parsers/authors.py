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

from parsers.html_clean import head_text, norm_ws
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


#: Links to an author's page ("/autoren/name/max-kolter", "/author/jane-doe/"): the web's
#: own way of marking a byline, whatever the page's classes.
_X_AUTHOR_LINK = etree.XPath(
    "//a[@href][contains(@href, '/author') or contains(@href, '/autor') or "
    "contains(@href, '/journalist') or contains(@href, '/reporter') or "
    "contains(@href, '/writer') or contains(@href, '/yazar') or contains(@href, '/avtor')]"
)
#: A role segment followed by a person's own part ("/author/jane-doe"), not the index
#: of all authors ("/autoren/") or a section ("/reporter").
_ROLES = r"(?:authors?|autor(?:en|in)?|journalists?|reporters?|writers?|yazar|avtor)"
_AUTHOR_PATH_RE = re.compile(
    rf"/{_ROLES}(?:/+[^/?#\s]+|[-_][^/?#\s]+|\?\w+=[^&#\s]+)",
    re.I,
)
#: A link reading only "Reporter" or "Authors": a section or programme, not a person.
_ROLE_ONLY_RE = re.compile(rf"^{_ROLES}$", re.I)


def _byline_text(raw: str) -> str:
    """A byline's text without "By", "Written by", and the punctuation around it."""
    return _BYLINE_NOISE_RE.sub("", norm_ws(raw)).strip(" |,·•-–—*:~")


def _name_like(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 6
        and len(text) <= 60
        and any(w[:1].isupper() for w in words)
        and not _NOT_A_NAME_RE.search(text)
        and not _NOT_A_NAME_START_RE.search(text)
    )


def _linked_author(tree: HtmlElement) -> str | None:
    """The first name linked to an author page, outside comment sections."""
    names: list[str] = []
    for a in _X_AUTHOR_LINK(tree)[:40]:
        if not _AUTHOR_PATH_RE.search(a.get("href") or ""):
            continue
        text = _byline_text(a.text_content())
        if _ROLE_ONLY_RE.match(text):
            continue
        if text and _name_like(text) and not _in_comments(a) and text not in names:
            names.append(text)
    return ", ".join(names[:4]) or None


def _visible_author(tree: HtmlElement) -> str | None:
    """A name in a byline/author element of the page (short, no digits, 1-6 words)."""
    return _classed_author(tree) or _linked_author(tree) or _labelled_author(tree)


def _classed_author(tree: HtmlElement) -> str | None:
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
        text = _byline_text(" ".join(parts))
        if text and _name_like(text):
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


_WEB_ADDRESS_RE = re.compile(r"\bwww\.|\b[\w-]+\.(?:com|org|net|de|co\.\w\w|az|ru|cn)\b", re.I)


def _weak_author(name: str, pm: PageMeta, organisation: bool, url: str | None) -> bool:
    """An author value that names the publisher or an account rather than a person.

    An organisation other than the publisher (a wire agency: "dpa", "AFP") is the
    article's credit, not a weak one."""
    if _HANDLE_RE.match(name) and not (_POSTING_TYPES & pm.types) and not organisation:
        return True
    if _WEB_ADDRESS_RE.search(name):
        return True  # "Deutsche Welle (www.dw.com)": a site, not a person
    k = text_key(name)
    site = site_name(pm, url)
    publisher = ld_str(pm.article.get("publisher")) if pm.article else None
    names = {text_key(x) for x in (site, publisher, host_label(url)) if x}
    # "LTO" on lto.de, "Lesotho Times Reporter": the outlet signing its page.
    return bool(k) and (k in names or any(n in k for n in names if len(n) >= 4))


def lead_byline_author(line: str, pm: PageMeta, url: str | None) -> str | None:
    """The writer named by a bare name line above the text, unless the line only names the
    outlet again ("Par Les Echos")."""
    names = clean_author(line)
    if names and names.endswith(".") and len(names.split()[-1]) > 3:
        names = names[:-1]  # "Izaskun Lesaka." (an initial keeps its point: "Ana R.")
    return names if names and not _weak_author(names, pm, False, url) else None


def _metadata_authors(pm: PageMeta) -> list[tuple[str, str, bool]]:
    """Every (author, provenance, whether JSON-LD says it is an organisation) the
    metadata gives, in order of trust: a page may name its outlet first and its writer
    second (two <meta name="author">)."""
    out: list[tuple[str, str, bool]] = []
    if pm.article:
        raw = pm.article.get("author") or pm.article.get("creator")
        names = [n for n in (clean_author(x) for x in ld_names(raw)) if n]
        if names:
            items = raw if isinstance(raw, list) else [raw]
            org = all(
                isinstance(x, dict) and {"Organization", "NewsMediaOrganization"} & set(ld_types(x))
                for x in items
            )
            out.append((", ".join(names), "json-ld", org))
    for k in _AUTHOR_KEYS:
        for v in pm.meta.get(k, ())[:8]:
            a = clean_author(v)
            if a and k in ("citation_author", "dc.creator", "dcterms.creator"):
                m = _LAST_FIRST_RE.match(a)  # "Roy, Aniruddha": the catalogue order
                a = f"{m.group(2).strip()} {m.group(1)}" if m else a
            if a:
                out.append((a, f"meta:{k}", False))
    md = pm.microdata.get("author")
    if md:
        a = clean_author(md[0])
        if a and len(a) <= 60:
            out.append((a, "microdata", False))
    return out


#: "Author", "Autorin/Autor", "Автор:" as the label of a value beside it.
_AUTHOR_LABEL_RE = re.compile(
    r"^(?:authors?|autor(?:in|en)?(?:\s*/\s*autor(?:in)?)?|auteurs?|autore|autori|"
    r"автор(?:ы)?|müəllif|yazar|作者|记者|記者|기자)\s*[:：]?$",
    re.I,
)
_X_LABELS = etree.XPath("//strong | //b | //dt | //th")


def _labelled_author(tree: HtmlElement) -> str | None:
    """The value beside an "Author" label (``<li><strong>Author</strong> Jane Roe</li>``,
    ``<dt>Autor</dt><dd>...``): a page's fact box, read like its date."""
    for el in _X_LABELS(tree)[:300]:
        # A label is a word or two: its first pieces of text say it (a <b> wrapping half
        # the page is not read whole, three hundred times).
        if not _AUTHOR_LABEL_RE.match(norm_ws(head_text(el, 40))):
            continue
        nxt = el.getnext()
        value = head_text(nxt, 160) if nxt is not None else ""
        if el.tag not in ("dt", "th"):
            value = (el.tail or "") + value
        text = _byline_text(value[:160])
        if text and _name_like(text) and not _in_comments(el):
            return text
    return None


def pick_author(
    pm: PageMeta, tree: HtmlElement | None = None, url: str | None = None
) -> tuple[str | None, str | None, bool]:
    """The byline, its provenance, and whether it is only the outlet or an account
    (a name written in the body may then replace it).

    Metadata first, unless it names the publisher or an account and the page shows a
    person's name in its byline."""
    found = _metadata_authors(pm)
    for a, prov, org in found:
        if not _weak_author(a, pm, org, url):
            return a, prov, False
    shown = _visible_author(tree) if tree is not None else None
    if shown and not _weak_author(shown, pm, False, url):
        return shown, "byline", False
    if found:
        return found[0][0], found[0][1], True
    return (shown, "byline", True) if shown else (None, None, True)
