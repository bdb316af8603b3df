"""From an HTML element to clean paragraphs: prune widgets, render blocks, drop promo lines.

Everything works on lxml elements of the one tree parsed by ``parsers.extract`` and walks
them iteratively (``iterwalk``), so a page with 100k nested ``<div>`` cannot exhaust
Python's recursion limit. Line-level rules live in ``parsers.boilerplate`` (shared with
the plain-text parser); the rules here are about markup: class names, hidden nodes,
link density.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from parsers import boilerplate

#: Elements whose content is never article text.
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas button select "
    "input textarea option datalist head link meta audio video source track map dialog".split()
)
#: Elements that start a new paragraph.
BLOCK_TAGS = frozenset(
    "p div section article main header footer aside nav ul ol li dl dt dd h1 h2 h3 h4 h5 h6 "
    "blockquote pre table thead tbody tfoot tr caption figure figcaption address hr form "
    "fieldset details summary center body html".split()
)
#: Structural elements that are page furniture when they sit inside an article container.
FURNITURE_TAGS = frozenset(("nav", "aside", "footer"))

#: class/id words of widgets that sit inside article containers (matched per token part).
_BAD_WORDS = (
    r"share|sharing|sharedaddy|social|socials|addtoany|a2a|ssba|shariff|"
    r"related|relatedposts|recirc|recommend\w*|more-?(?:stories|news|articles|from)|"
    r"read-?(?:more|also|next)|also-?read|see-?also|"
    r"newsletter|subscribe|subscription|signup|sign-?up|promo|cta|"
    r"advert\w*|ads?|adslot|ad-?(?:slot|unit|wrap\w*|container|box|block|zone)|dfp|gpt|"
    r"sponsor\w*|taboola|outbrain|zergnet|"
    r"comments?|disqus|respond|"
    r"breadcrumbs?|crumbs|"
    r"byline|author-?(?:bio|box|info|card|block)|about-?(?:the-?)?author|"
    r"post-?meta|entry-?meta|article-?meta|meta-?data|"
    r"tags?|tag-?list|taglist|post-?tags|keywords|categories|"
    r"popular|most-?(?:read|popular|viewed)|trending|"
    r"sidebar|widget|toolbar|tools|"
    r"pagination|pager|skip-?link|sr-only|screen-?reader-?text|visually-?hidden|"
    r"print-?(?:only|branding\w*)|no-?print|"
    r"cookie\w*|consent|gdpr|modal|popup|overlay|"
    r"rating|reactions|likes|"
    r"follow-?us|sticky-?content|newsletter-?signup"
)
BAD_ATTR_RE = re.compile(rf"(?:^|[\s_-])(?:{_BAD_WORDS})(?:$|[\s_-])", re.I)
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS_RE = re.compile(r"\s+")

#: Generic promo/service lines (complement the shared ``boilerplate`` patterns).
_EXTRA_LINE_PATTERNS = [
    r"(?:click|tap) here to .{0,80}",
    r"sign up (?:for|to) (?:our|the) .{0,60}newsletter.{0,60}",
    r"(?:subscribe|sign up|register|log ?in) (?:now )?to (?:continue )?read(?:ing)?.{0,80}",
    r"(?:all rights reserved|copyright\s*©|©\s*\d{4}).{0,120}",
    r"(?:share|tweet|email|print)(?: this)?(?: article| story| page)?",
    r"(?:advertisement|sponsored content|sponsored|ad)",
    r"(?:photo|image|picture|foto|фото)\s*[:：].{0,80}",
    r"(?:related|recommended|more)(?: stories| articles| news| posts)?\s*[:：]?",
    r"(?:previous|next)(?: article| post| story)?\s*[:：]?.{0,10}",
    r"(?:listen to|watch)(?: this)? (?:article|story)\s*.{0,20}",
    r"\d+\s*(?:min|minute)s? read",
]
_EXTRA_LINE_RE = re.compile("|".join(f"(?:{p})" for p in _EXTRA_LINE_PATTERNS), re.I)


def head_text(el: HtmlElement, limit: int) -> str:
    """The first ``limit`` characters of an element's text, read piece by piece: a short
    label or heading is checked without reading a huge element whole."""
    out, n = [], 0
    for piece in el.itertext():
        out.append(piece)
        n += len(piece)
        if n >= limit:
            break
    return "".join(out)[:limit]


def norm_ws(s: str | None) -> str:
    return _WS_RE.sub(" ", s or "").strip()


def attr_words(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


def is_hidden(el: HtmlElement) -> bool:
    """Hidden by the author (``hidden``, ``aria-hidden``, inline ``display:none``)."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style))


def text_len(el: HtmlElement) -> int:
    """Length of the visible text (white space collapsed is not worth its cost here)."""
    n = 0
    for t in el.itertext():
        n += len(t.strip())
    return n


def link_len(el: HtmlElement) -> int:
    n = 0
    for a in el.iter("a"):
        for t in a.itertext():
            n += len(t.strip())
    return n


def link_density(el: HtmlElement) -> float:
    total = text_len(el)
    return link_len(el) / total if total else 0.0


def prune(
    root: HtmlElement,
    *,
    strip_selectors: Sequence[str] = (),
    furniture: bool = True,
    by_attr: bool = True,
    link_lists: bool = True,
) -> HtmlElement:
    """A copy of ``root`` without widgets; never removes most of the container's text.

    ``strip_selectors`` are XPath expressions (profiles compile their CSS to XPath).

    Why the size guard: article wrappers whose class has a boilerplate word ("paywall",
    "has-comments") exist; a class rule may remove a widget, never the article.
    """
    root = deepcopy(root)
    for xp in strip_selectors:
        try:
            found = root.xpath(xp)
        except etree.XPathError:  # a bad selector in a profile must not kill the page
            continue
        for el in found:
            if isinstance(getattr(el, "tag", None), str) and el is not root:
                if el.getparent() is not None:
                    el.drop_tree()
    total = max(text_len(root), 1)
    doomed: list[HtmlElement] = []
    walker = etree.iterwalk(root, events=("start",))
    for _, el in walker:
        if el is root:
            continue
        tag = el.tag
        if not isinstance(tag, str):
            doomed.append(el)
            walker.skip_subtree()
            continue
        if tag in SKIP_TAGS or is_hidden(el):
            doomed.append(el)
            walker.skip_subtree()
            continue
        if furniture and tag in FURNITURE_TAGS:
            if text_len(el) < 0.5 * total:
                doomed.append(el)
                walker.skip_subtree()
            continue
        if by_attr:
            words = attr_words(el)
            if words and BAD_ATTR_RE.search(words) and text_len(el) < 0.35 * total:
                doomed.append(el)
                walker.skip_subtree()
                continue
        if link_lists and tag in ("ul", "ol", "table", "div", "section") and len(el) >= 2:
            n = text_len(el)
            if n and n < 0.35 * total and link_len(el) / n > 0.6:
                doomed.append(el)
                walker.skip_subtree()
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    return root


def render(root: HtmlElement) -> list[str]:
    """Paragraphs of visible text: one per block element, ``<br>`` breaks a paragraph."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            s = norm_ws("".join(buf))
            buf.clear()
            if s:
                out.append(s)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if not isinstance(tag, str) or tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS or tag == "br":
                flush()
            elif tag in ("td", "th") and buf:
                buf.append(" ")
            if el.text:
                buf.append(el.text)
        else:
            if isinstance(tag, str) and tag in BLOCK_TAGS:
                flush()
            if el is not root and el.tail:
                buf.append(el.tail)
    flush()
    return out


# --------------------------------------------------------------------------- lines


@dataclass
class Cleaned:
    paragraphs: list[str]
    author: str | None = None
    dropped: list[str] = field(default_factory=list)


def is_junk_line(line: str, extra: re.Pattern[str] | None = None) -> bool:
    """A whole paragraph that is navigation, a promo or a service line."""
    s = line.strip()
    if not s:
        return True
    if boilerplate.is_boilerplate_line(s):
        return True
    if len(s) <= 200 and _EXTRA_LINE_RE.fullmatch(s):
        return True
    return bool(extra is not None and len(s) <= 400 and extra.search(s))


def clean_paragraphs(
    paras: Iterable[str],
    *,
    title: str | None = None,
    promo: re.Pattern[str] | None = None,
    trim_edges_only: bool = False,
) -> Cleaned:
    """Drop promo/nav paragraphs, bylines and job-title lines; remember a byline's author.

    ``trim_edges_only``: for text from a broad extractor, lines that merely look like
    navigation are only removed at the start and end of the body (where widgets sit),
    while promo lines (channels, subscriptions) are removed anywhere.
    """
    items = [norm_ws(p) for p in paras]
    items = [p for p in items if p]
    res = Cleaned([])
    tnorm = norm_ws(title).casefold() if title else None
    n = len(items)
    keep: list[str] = []
    for i, p in enumerate(items):
        low = p.casefold()
        if tnorm and low == tnorm and (i < 3 or i == n - 1):
            res.dropped.append(p)
            continue
        name = boilerplate.byline_name(p)
        if name and len(p) <= 80:
            res.author = res.author or name
            res.dropped.append(p)
            continue
        if boilerplate.is_role_line(p) and len(p) <= 80:
            # "Emin Aliyev" / "Editor-in-Chief, Trend News Agency": the name goes too.
            if keep and boilerplate.person_name(keep[-1]):
                res.author = res.author or boilerplate.person_name(keep[-1])
                res.dropped.append(keep.pop())
            res.dropped.append(p)
            continue
        edge = i < 3 or i >= n - 4
        if boilerplate.is_promo_line(p) or (
            promo is not None and len(p) <= 400 and promo.search(p)
        ):
            res.dropped.append(p)
            continue
        if (edge or not trim_edges_only) and is_junk_line(p):
            res.dropped.append(p)
            continue
        keep.append(p)
    res.paragraphs = keep
    return res


def dedupe_adjacent(paras: list[str]) -> list[str]:
    out: list[str] = []
    for p in paras:
        if not out or out[-1] != p:
            out.append(p)
    return out
