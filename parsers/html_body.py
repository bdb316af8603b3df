"""Find the article body in a parsed page: a cascade from precise rules to broad fallbacks.

Order, and why (numbers: WCXB-dev article pages, bag-of-words F1, see the report in
docs/benchmarks.md and ``bench/extraction.py``):
1. a site profile's body selector (``parsers.profiles``), when the outlet has one;
2. trafilatura on the SAME tree, comments excluded (0.938 alone; its default settings,
   which add reader comments, 0.927). Own container rules first were measured and lost:
   ``itemprop=articleBody``/article-body classes/``<article>`` gave 0.903 where trafilatura
   gave 0.943 on the same pages, and trafilatura run inside the chosen container 0.940;
3. own container rules only when trafilatura returns nothing;
4. JSON-LD ``articleBody`` as a rescue when the page body came out under half its length;
   the article HTML in a client-rendered page's script data (``parsers.embedded``) when
   the markup gave almost nothing;
5. pages over ``ELEMENT_BUDGET`` elements take a linear path (container or whole body):
   trafilatura's comparison steps grow faster than linearly on generated monsters.
The clean-up (``parsers.html_clean``) then drops promo/navigation lines and bylines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from parsers import boilerplate, embedded, html_clean

#: class/id of elements that hold an article's text on many CMSs.
_BODY_CLASS_RE = re.compile(
    r"(?:^|\s)(?:"
    r"(?:article|story|post|entry|news|blog|content|main|single|body|page|td-post|c-entry|rich)"
    r"[-_]?(?:body|content|text|copy|inner|entry|article)(?:[-_](?:text|content|body|inner))?"
    r"|articlebody|article__body|article__content|story__body|entry|post|"
    r"field--name-body|field-name-body|body-copy|paywall|itembody|newsbody|newstext"
    r")(?:$|\s)",
    re.I,
)
_NEG_CLASS_RE = re.compile(
    r"comment|sidebar|related|teaser|card|excerpt|summary|preview|promo|widget|footer|"
    r"header|nav|menu|list|grid|feed|share|meta|author|caption|tags|breadcrumb",
    re.I,
)


#: Below this many characters of body the page's script data is searched for the article.
EMBEDDED_BELOW = 200


@dataclass
class Body:
    paragraphs: list[str]
    method: str  # "profile:trend", "container:itemprop", "trafilatura", "json-ld", ""
    author: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: paragraphs the clean-up removed (a paywall notice among them marks a teaser)
    dropped: list[str] = field(default_factory=list)
    #: (index, names) of a bare name set above the text: the byline, if nothing better says who
    lead_byline: tuple[int, str] | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _candidates(tree: HtmlElement) -> list[tuple[str, HtmlElement]]:
    out: list[tuple[str, HtmlElement]] = []
    ab = tree.xpath('//*[@itemprop="articleBody" or @itemprop="articlebody"]')
    if ab:
        out.extend(("container:itemprop", el) for el in ab[:3])
    for el in tree.xpath("//*[@class or @id]"):
        words = html_clean.attr_words(el)
        if el.tag in ("div", "section", "article", "main", "td") and _BODY_CLASS_RE.search(words):
            out.append(("container:class", el))
        if len(out) > 40:
            break
    arts = tree.xpath("//article")
    if 1 <= len(arts) <= 2:
        out.extend(("container:article", el) for el in arts)
    return out


def container_body(tree: HtmlElement, *, min_chars: int = 400) -> tuple[str, HtmlElement] | None:
    """The best precise container, or None when no rule gives a confident body."""
    best: tuple[float, str, HtmlElement] | None = None
    seen: set[int] = set()
    for rule, el in _candidates(tree):
        if id(el) in seen:
            continue
        seen.add(id(el))
        n = html_clean.text_len(el)
        if n < min_chars:
            continue
        ld = html_clean.link_len(el) / n
        if ld > 0.35:
            continue
        # Paragraph-like text: characters inside <p> count most.
        ptext = sum(html_clean.text_len(p) for p in el.iter("p"))
        score = ptext + 0.3 * n
        if rule == "container:itemprop":
            score *= 1.5
        if best is None or score > best[0]:
            best = (score, rule, el)
    if best is None:
        return None
    return best[1], best[2]


# --------------------------------------------------------------------------- generic cascade


def _trafilatura(tree: HtmlElement, url: str | None) -> tuple[list[str], str | None]:
    """Trafilatura's body on our tree (it copies the tree, so ours stays intact)."""
    import trafilatura

    try:
        out = trafilatura.extract(
            tree, url=url, include_comments=False, with_metadata=False, deduplicate=False
        )
    except RecursionError:
        return [], "trafilatura: markup too deep"
    except Exception as exc:  # noqa: BLE001 - a fallback follows
        return [], f"trafilatura: {type(exc).__name__}"
    if not out:
        return [], None
    return [line for line in out.split("\n") if line.strip()], None


def _ld_article_body(pm: Any) -> str | None:
    art = getattr(pm, "article", None) or {}
    body = art.get("articleBody") if isinstance(art, dict) else None
    if isinstance(body, list):
        body = "\n".join(x for x in body if isinstance(x, str))
    if not isinstance(body, str) or len(body.strip()) < 200:
        return None
    if "<" in body and ">" in body:
        import lxml.html

        try:
            frag = lxml.html.fromstring(f"<div>{body}</div>")
            return "\n".join(html_clean.render(frag))
        except Exception:  # noqa: BLE001 - keep the raw text
            return body
    return body


#: Above this many elements a page is a generated monster: trafilatura's comparison steps
#: grow faster than linearly (a 5 MB page of divs takes ~25 s), so a linear path is used.
ELEMENT_BUDGET = 30_000
_COUNT = etree.XPath("count(//*)")


def _linear_body(tree: HtmlElement) -> tuple[list[str], str]:
    """Precise container, else the whole ``<body>`` without furniture: linear in page size."""
    found = container_body(tree, min_chars=200)
    if found:
        rule, el = found
        return html_clean.render(html_clean.prune(el, link_lists=False)), rule
    body = tree.find(".//body")
    root = body if body is not None else tree
    return html_clean.render(html_clean.prune(root, by_attr=False, link_lists=False)), "page"


#: A table of a row or two whose cells hold the headline or the paragraphs lays out a page
#: (menu | article | sidebar); a data table has more rows, or header cells.
_LAYOUT_TABLES = etree.XPath("//table[not(.//th)][.//td[.//h1 or count(.//p) >= 3]]")
_TABLE_PARTS = frozenset(("table", "tbody", "thead", "tfoot", "tr", "td", "th"))


def _owned(table: HtmlElement, tag: str) -> list[HtmlElement]:
    return [el for el in table.iter(tag) if next(el.iterancestors("table"), None) is table]


def _is_layout(table: HtmlElement) -> bool:
    rows = _owned(table, "tr")
    return 1 <= len(rows) <= 3 and all(len([c for c in row if c.tag == "td"]) <= 4 for row in rows)


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Turn layout tables into plain blocks, in place; returns how many.

    An old-style page lays out its menu, article and sidebar as cells of one table row;
    read as a table, the whole row becomes one line with the menu and the sidebar in it.
    As blocks, each cell is read on its own like any other container.
    """
    tables = [t for t in _LAYOUT_TABLES(tree) if _is_layout(t)]
    for table in tables:
        for el in table.iter(*_TABLE_PARTS):
            owner = el if el.tag == "table" else next(el.iterancestors("table"), None)
            if owner is table:
                el.tag = "div"
    return len(tables)


def element_count(tree: HtmlElement) -> int:
    return int(_COUNT(tree))


def generic_body(
    tree: HtmlElement,
    pm: Any,
    url: str | None,
    *,
    title: str | None,
    n_elements: int | None = None,
) -> Body:
    """Body text of a page without a site profile."""
    warnings: list[str] = []
    n = element_count(tree) if n_elements is None else n_elements
    if n > ELEMENT_BUDGET:
        warnings.append(
            f"html: page has {n:,} elements; used the linear extraction path, not trafilatura"
        )
        paras, method = _linear_body(tree)
    else:
        unwrap_layout_tables(tree)
        paras, warn = _trafilatura(tree, url)
        method = "trafilatura" if paras else ""
        if warn:
            warnings.append(warn)
        if not paras:
            found = container_body(tree, min_chars=200)
            if found:
                rule, el = found
                paras = html_clean.render(html_clean.prune(el))
                method = rule
    ld_body = _ld_article_body(pm)
    if ld_body:
        n = sum(len(p) for p in paras)
        if n < 0.5 * len(ld_body):
            paras = [p for p in re.split(r"\s*\n+\s*", ld_body) if p.strip()]
            method = "json-ld:articleBody"
    n = sum(len(p) for p in paras)
    if n < EMBEDDED_BELOW:
        # An empty shell filled by the page's scripts: the article is in their data.
        shipped = embedded.embedded_body(tree)
        if sum(len(p) for p in shipped) > max(2 * n, EMBEDDED_BELOW):
            paras, method = shipped, "embedded:next.js"
    cleaned = html_clean.clean_paragraphs(paras, title=title, trim_edges_only=True)
    kept = html_clean.dedupe_adjacent(cleaned.paragraphs)
    return Body(kept, method, cleaned.author, warnings, cleaned.dropped, _lead_byline(tree, kept))


_WORD_RE = re.compile(r"[^\W\d_]+")
_X_HEADINGS = etree.XPath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6")


def _heading_says(h: HtmlElement, line: str) -> bool:
    """Whether a heading reads ``line``, reading no more of it than ``line`` is long."""
    return html_clean.norm_ws(html_clean.head_text(h, 2 * len(line) + 40)) == line


def _lead_byline(tree: HtmlElement, paras: list[str]) -> tuple[int, str] | None:
    """A line of one to three bare names among the first lines, above a real paragraph
    ("Mohloai Mpesi" in bold, then the text): how many outlets sign an article.

    A heading has the same shape ("Key Takeaways", "Brute Force"); the text tells them
    apart: it writes a heading's words in lower case somewhere, never a person's name."""
    lower: set[str] | None = None  # words the text writes in lower case, read once
    for i, p in enumerate(paras[:3]):
        # An all-capitals line is as often a subheading ("IZMIR: FIRE SPREADS") as a name.
        names = None if p.isupper() else boilerplate.person_names(p)
        if names and i + 1 < len(paras) and len(paras[i + 1]) >= 80:
            if lower is None:
                lower = {w for q in paras for w in _WORD_RE.findall(q) if w.islower()}
            # The names' words only: a joiner ("and", "und") is lower case anywhere.
            if any(w.lower() in lower for w in _WORD_RE.findall(" ".join(names))):
                continue
            if any(_heading_says(h, p) for h in _X_HEADINGS(tree)[:200]):
                continue  # set as a heading (<h2>Key Takeaways</h2>)
            return i, ", ".join(names)
    return None
