"""Is this page an article? And if it is, is its body complete or a paywalled teaser?

Labels follow WCXB's ``page_type``: article, listing, collection, product, forum, service,
documentation. Signals are cheap and structural (JSON-LD/OpenGraph types, URL shape,
repeated teaser blocks, price/cart markers, reply structures, code blocks), combined by
ordered rules: a strong declaration ("@type": "Product" with an offer) beats a weak hint.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from parsers.metadata import ARTICLE_TYPES, PageMeta

PAGE_TYPES = ("article", "listing", "collection", "product", "forum", "service", "documentation")

_FORUM_TYPES = {"DiscussionForumPosting", "QAPage", "Question", "Answer", "Comment"}
_PRODUCT_TYPES = {
    "Product",
    "ProductGroup",
    "IndividualProduct",
    "Car",
    "Vehicle",
    "Book",
    "SoftwareApplication",
    "MobileApplication",
    "Offer",
    "AggregateOffer",
}
_LIST_TYPES = {"ItemList", "CollectionPage", "SearchResultsPage", "OfferCatalog"}
_DOC_TYPES = {"TechArticle", "APIReference"}

_FORUM_URL = re.compile(
    r"/(?:threads?|topics?|forums?|boards|community|discuss\w*|questions|viewtopic\.php|"
    r"showthread\.php)/|/t/[\w-]+/\d+|/d/\d+|[?&](?:t|topic|thread)=\d",
    re.I,
)
_FORUM_HOST = re.compile(r"^(?:forums?|community|discuss|discourse|answers|boards)\.", re.I)
_PRODUCT_URL = re.compile(
    r"/(?:products?|p|dp|itm|item|shop/p|sku|buy)/[^/]+|/product/|\.html\?.*variant=", re.I
)
_LIST_URL = re.compile(
    r"/(?:tags?|category|categories|topics?|collections?|c|s|search|archive|archives|page|"
    r"news|blog|latest|shop|store|market|learn|courses|products)/?(?:[^/]*/?)?$",
    re.I,
)
_DOC_URL = re.compile(
    r"^(?:docs?|developers?|devdocs|api|reference|manual|wiki)\.|"
    r"/(?:docs?|documentation|reference|api|manual|handbook|tutorial|learn|guide|book)/",
    re.I,
)
_SERVICE_URL = re.compile(
    r"/(?:services?|solutions?|pricing|plans|features|products?|about|contact|careers|"
    r"company|enterprise|platform|demo|get-started|signup|free-\w+)(?:/|$|-)",
    re.I,
)
_CART_RE = re.compile(
    r"\b(?:add to (?:cart|bag|basket|wish ?list)|buy (?:it )?now|in stock|out of stock|"
    r"sold out|add to trolley|checkout)\b",
    re.I,
)
_PRICE_RE = re.compile(r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|usd|eur|azn|₼|руб))", re.I)
_CTA_RE = re.compile(
    r"\b(?:get started|book a (?:demo|call|consultation)|request a (?:quote|demo)|"
    r"contact (?:us|sales)|free trial|sign up (?:free|for free)|start (?:for )?free|"
    r"schedule a|talk to (?:an? )?(?:expert|sales)|get a (?:quote|demo))\b",
    re.I,
)
_REPLY_ATTR = re.compile(
    r"(?:^|[\s_-])(?:post|message|reply|replies|answer|comment|topic-post|cooked|postbody|"
    r"bbWrapper|post-body|message-body|js-post|crayons-comment)(?:$|[\s_-])",
    re.I,
)
_TEASER_ATTR = re.compile(
    r"(?:^|[\s_-])(?:card|teaser|tile|post-item|list-item|grid-item|story|article-item|"
    r"product-item|product-card|product-tile|item|entry|result)(?:$|[\s_-])",
    re.I,
)
_PAYWALL_ATTR = re.compile(
    r"paywall|subscriber-only|premium-content|meteredContent|piano|tp-modal|regwall|"
    r"article-locked|locked-content|membership-required|subscription-required",
    re.I,
)
_PAYWALL_TEXT = re.compile(
    r"(?:subscribe|sign in|log in|register|become a member|start your (?:free )?trial)"
    r"[^.]{0,60}\b(?:to (?:continue|keep) reading|to read (?:the|this) (?:full|whole|rest)|"
    r"to (?:read|access|unlock) (?:this|the|more))|"
    r"this (?:article|story|content) is (?:for|available to|only available to) "
    r"(?:subscribers|members|premium)|"
    r"(?:you have reached|you've reached) (?:your|the) (?:limit|free article)|"
    r"the rest of this (?:article|story) is|already a subscriber\??",
    re.I,
)


@dataclass
class Signals:
    """What the classifier saw (kept for tests and for explaining a decision)."""

    ld_types: set[str] = field(default_factory=set)
    og_type: str | None = None
    articles: int = 0
    teasers: int = 0
    headline_links: int = 0
    prices: int = 0
    cart: int = 0
    replies: int = 0
    code_blocks: int = 0
    cta: int = 0
    times: int = 0
    date_source: str | None = None
    #: share of the body text in paragraphs of 150+ characters (prose, not teasers)
    prose: float = 0.0
    body_chars: int = 0
    path: str = ""
    host: str = ""


#: Attribute strings only (no Python object per element): a few C-level scans of the tree.
_X_CLASSES = etree.XPath("//@class", smart_strings=False)
_X_ITEMPROPS = etree.XPath("//@itemprop", smart_strings=False)
_X_LABELS = etree.XPath(
    "//button//text() | //a/text() | //input[@type='submit' or @type='button']/@value",
    smart_strings=False,
)
_X_ATTRS = etree.XPath("//@class | //@id", smart_strings=False)


def _count_signals(tree: HtmlElement, pm: PageMeta, url: str | None) -> Signals:
    """Counts from tag iteration and attribute strings: cheap even on large pages."""
    s = Signals(ld_types=set(pm.types))
    og, _ = pm.first("og:type")
    s.og_type = og.lower() if og else None
    parts = urlsplit(url or "")
    s.path, s.host = parts.path or "/", (parts.hostname or "").lower()
    for el in tree.iter("article", "pre", "time", "h2", "h3"):
        tag = el.tag
        if tag == "article":
            s.articles += 1
        elif tag == "pre":
            s.code_blocks += 1
        elif tag == "time":
            s.times += 1
        else:
            parent = el.getparent()
            if (len(el) and el[0].tag == "a") or (parent is not None and parent.tag == "a"):
                s.headline_links += 1
    for label in _X_LABELS(tree):
        label = label.strip()
        if label and len(label) < 40:
            if _CART_RE.search(label):
                s.cart += 1
            elif _CTA_RE.search(label):
                s.cta += 1
    s.prices = sum(1 for p in _X_ITEMPROPS(tree) if p.strip() == "price")
    seen = Counter(_X_CLASSES(tree))
    classes: dict[str, int] = {}
    for cls, n in seen.items():
        if len(cls) > 120 or not cls.strip():
            continue
        if "price" in cls.lower() and len(cls) < 60:
            s.prices += n
        if _REPLY_ATTR.search(cls):
            s.replies += n
        if _TEASER_ATTR.search(cls):
            classes[cls] = n
    s.teasers = max(classes.values(), default=0)
    return s


#: Date sources that do NOT mean "this page states when it was published": a guess from
#: the text or URL, or a WebPage date that CMS plugins stamp on every page.
_WEAK_DATE = frozenset(("htmldate", "url", "json-ld:webpage", "text:heading"))
_ARTICLE_URL = re.compile(
    r"/(?:blogs?|articles?|news|posts?|stories|story|insights?|guides?|resources?|learn|"
    r"magazine|journal|features?|opinion|\d{4}/\d{2})/",
    re.I,
)
_THREAD_URL = re.compile(r"/comments/|/questions/\d+|showthread|viewtopic|/threads?/", re.I)
_SHOP_URL = re.compile(r"/(?:c|collections?|category|shop|browse|s)/", re.I)
_ROOT_RE = re.compile(r"/(?:[a-z]{2}(?:[-_][a-zA-Z]{2})?|index\.\w+)/?")


def prose_share(text: str) -> float:
    paras = [p for p in text.split("\n\n") if p.strip()]
    total = sum(len(p) for p in paras)
    return sum(len(p) for p in paras if len(p) >= 150) / total if total else 0.0


def decide(s: Signals) -> tuple[str, dict[str, float]]:
    """Score each page type from the signals; the best score wins.

    Weights are small round numbers (checked on WCXB-dev, see the benchmark): a declared
    type counts 3-5, a URL shape 1-3, counts of repeated structures 1-1.5 each.
    """
    types, og, path, host, body = s.ld_types, s.og_type or "", s.path or "/", s.host, s.body_chars
    strong = bool(s.date_source) and s.date_source not in _WEAK_DATE
    strong = strong and not (s.date_source == "time" and s.times >= 5)
    prose = s.prose
    any_date = bool(s.date_source)
    ld_art = bool(types & ARTICLE_TYPES) and not (types & _DOC_TYPES)
    is_root = path in ("", "/") or _ROOT_RE.fullmatch(path) is not None
    segs = [x for x in path.split("/") if x]
    slug = (
        len(re.findall(r"[a-z]+", re.sub(r"\.\w+$", "", segs[-1].lower()))) >= 4 if segs else False
    )
    art_url = bool(_ARTICLE_URL.search(path))
    forum_url = bool(
        _FORUM_URL.search(path)
        or _FORUM_HOST.match(host)
        or "forum" in host
        or _THREAD_URL.search(path)
    )
    doc_url = bool(_DOC_URL.search(host + "/" + path.lstrip("/")))
    sc = dict.fromkeys(PAGE_TYPES, 0.0)
    sc["article"] = (
        3 * ld_art
        + 1.5 * (og == "article")
        + 2 * strong
        + 0.5 * any_date
        + (body >= 3000)
        + (body >= 6000)
        + (body >= 12000)
        - 1.5 * (body < 1500)
        - 2 * is_root
        + 0.5 * (prose >= 0.6)
        - (prose < 0.3)
        + slug
        + art_url
    )
    sc["forum"] = (
        5 * bool(types & {"DiscussionForumPosting", "QAPage"})
        + 3 * forum_url
        + (s.replies >= 10)
        + 1.5 * (s.replies >= 30)
    )
    sc["product"] = (
        3 * bool(types & _PRODUCT_TYPES - {"Offer", "AggregateOffer"})
        + 3 * (og in ("product", "og:product") or og.startswith("ebay"))
        + 1.5 * (s.cart >= 1)
        + (s.prices >= 1)
        + 1.5 * (s.cart >= 1 and s.prices >= 1)
        + 1.5 * bool(_PRODUCT_URL.search(path))
        - (s.prices >= 8)
    )
    sc["collection"] = (
        3 * (og == "product.group")
        + 1.5 * (s.prices >= 4)
        + (s.prices >= 10)
        + (s.teasers >= 12)
        + bool(_SHOP_URL.search(path))
        + bool(types & {"ItemList", "CollectionPage", "OfferCatalog"})
        + (prose < 0.3)
    )
    sc["documentation"] = (
        3 * doc_url
        + (s.code_blocks >= 3)
        + 1.5 * (s.code_blocks >= 10)
        + 2 * bool(types & _DOC_TYPES)
        + 0.5 * (og == "")
    )
    sc["listing"] = (
        1.5 * (s.headline_links >= 8)
        + (s.headline_links >= 15)
        + 1.5 * (s.articles >= 5)
        + (s.articles >= 10)
        + bool(types & {"ItemList", "CollectionPage", "SearchResultsPage"})
        + bool(_LIST_URL.search(path))
        + is_root
        + 0.5 * (s.teasers >= 15)
        + 1.5 * (s.times >= 5)
        + (prose < 0.3)
    )
    sc["service"] = (
        1.5 * is_root
        + 0.5 * (s.cta >= 1)
        + (s.cta >= 3)
        + 1.5 * bool(_SERVICE_URL.search(path))
        + (not any_date)
        + 0.5 * (og == "website")
        + 0.5 * (1000 <= body <= 8000)
        - art_url
    )
    best = max(PAGE_TYPES, key=lambda t: sc[t])  # ties go to the earlier type ("article")
    return best, sc


def classify(
    tree: HtmlElement,
    pm: PageMeta,
    url: str | None,
    *,
    body_text: str,
    date_source: str | None,
    profile_article: bool | None = None,
) -> tuple[str, Signals]:
    """The page type and the signals that decided it."""
    s = _count_signals(tree, pm, url)
    s.date_source, s.body_chars = date_source, len(body_text)
    s.prose = prose_share(body_text)
    if profile_article is not None:
        return ("article" if profile_article else "listing"), s
    return decide(s)[0], s


#: A body this short (in words; CJK characters count half a word) is a lead, not an article,
#: when the page also says it is for subscribers.
TEASER_WORDS = 150
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SIMPLE_SELECTOR = re.compile(r"^\s*([a-zA-Z][\w-]*)?(?:([.#])([\w-]+))?\s*$")


def text_size(text: str) -> int:
    """Words, with CJK characters counted as half a word (they are written without spaces)."""
    cjk = len(_CJK.findall(text))
    return len(text.split()) + cjk // 2


def _selector_xpath(selector: str) -> str | None:
    """XPath of a simple CSS selector (``tag``, ``.class``, ``#id``, ``tag.class``, lists of
    them), the forms paywall markup uses; None for anything else."""
    parts = []
    for one in selector.split(","):
        m = _SIMPLE_SELECTOR.match(one)
        if not m or not (m.group(1) or m.group(3)):
            return None
        tag, kind, name = m.group(1) or "*", m.group(2), m.group(3)
        if kind == ".":
            parts.append(
                f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
            )
        elif kind == "#":
            parts.append(f"//{tag}[@id='{name}']")
        else:
            parts.append(f"//{tag}")
    return " | ".join(parts)


def _paywalled_selectors(pm: PageMeta) -> list[str]:
    """``cssSelector`` of the parts JSON-LD marks as not free (schema.org paywall markup)."""
    out = []
    for obj in [pm.article or {}, *pm.jsonld]:
        parts = obj.get("hasPart") if isinstance(obj, dict) else None
        for part in parts if isinstance(parts, list) else [parts]:
            if isinstance(part, dict) and str(part.get("isAccessibleForFree")).lower() == "false":
                sel = part.get("cssSelector")
                if isinstance(sel, str) and sel.strip():
                    out.append(sel.strip())
    return list(dict.fromkeys(out))


def _text_under(tree: HtmlElement, selectors: Sequence[str]) -> int | None:
    """Characters of text inside the elements the selectors name (None: none understood)."""
    total, understood = 0, False
    for sel in selectors:
        xpath = _selector_xpath(sel)
        if xpath is None:
            continue
        understood = True
        try:
            found = tree.xpath(xpath)
        except etree.XPathError:
            continue
        total += sum(len(" ".join(el.itertext()).strip()) for el in found[:50])
    return total if understood else None


def is_truncated(
    tree: HtmlElement,
    pm: PageMeta,
    body_text: str,
    *,
    notices: Sequence[str] = (),
) -> tuple[bool, str | None]:
    """A body cut short (a paywall's teaser, a cut-off page), and why.

    Only evidence that the text itself is cut counts: a "subscribe to continue" notice at
    its end, a declared ``articleBody`` far beyond it (``wordCount`` is too often
    characters or the whole site's to count), the paywalled part
    named by JSON-LD missing from the page, or a lead-length body on a page that says it is
    for subscribers. Metered sites mark every article ``isAccessibleForFree: false`` and
    carry paywall classes while shipping the whole text: those alone prove nothing.
    ``notices`` are lines the clean-up removed from the body: a "subscribe to continue
    reading" line is dropped from the text but still proves the text is a teaser.
    """
    size = text_size(body_text)
    if size < 400:
        tail = body_text[-400:]
        if _PAYWALL_TEXT.search(tail) or any(_PAYWALL_TEXT.search(n) for n in notices[-5:]):
            return True, "paywall notice at the end of the body"
    art = pm.article or {}
    full = art.get("articleBody")
    if isinstance(full, str) and len(full) > 1500 and len(body_text) < 0.5 * len(full):
        return True, "body much shorter than json-ld articleBody"
    free = art.get("isAccessibleForFree")
    if free is None:
        for obj in pm.jsonld:
            if "isAccessibleForFree" in obj:
                free = obj["isAccessibleForFree"]
                break
    if free is False or (isinstance(free, str) and free.strip().lower() == "false"):
        selectors = _paywalled_selectors(pm)
        shipped = _text_under(tree, selectors) if selectors else None
        if shipped is not None and shipped < 200 and size < 400:
            named = ", ".join(selectors)[:80]
            return (
                True,
                f"json-ld isAccessibleForFree=false; its paywalled part ({named}) is not in the page",
            )
        if (shipped is None or shipped < 200) and size < TEASER_WORDS:
            return True, "json-ld isAccessibleForFree=false and a lead-length body"
    if size < TEASER_WORDS:
        for attr in _X_ATTRS(tree):
            m = _PAYWALL_ATTR.search(attr)
            if m:
                return True, f"paywall marker in the page ({m.group(0)})"
    return False, None
