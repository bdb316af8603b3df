"""One HTML page in, one ``Article`` out: site profile when the outlet has one, else generic.

The page is decoded and parsed ONCE (lxml); metadata, the body cascade, page type and
truncation checks all read the same tree (a second parse would cost as much as a whole
trafilatura extraction). ``extract`` never raises: a page that cannot be read becomes
``Article.failed(reason)`` and anything doubtful lands in ``warnings``.

Cascade (see ``parsers.html_body`` and the extraction benchmark for the measurements):
profile selectors -> trafilatura on the shared tree (comments excluded) -> own
container rules when trafilatura finds nothing -> JSON-LD ``articleBody`` rescue;
then one clean-up pass for promo/navigation lines shared with the plain-text parser.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from functools import partial

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from parsers import (
    dates,
    encoding,
    html_body,
    html_clean,
    html_pagetype,
    language,
    learned,
    metadata,
)
from parsers import profiles as profiles_mod
from parsers.record import Article

__all__ = ["MAX_INPUT_BYTES", "extract", "parse_tree"]

log = logging.getLogger(__name__)

#: Work cap: only this much of a page is decoded and parsed (articles fit in far less).
MAX_INPUT_BYTES = 5 * 1024 * 1024

_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)
_CLOSE_RE = re.compile(rb"</(?:html|body)\s*>", re.I)


def parse_tree(text: str) -> tuple[HtmlElement | None, list[str]]:
    """The lxml tree of a page and parser warnings; None when nothing could be parsed."""
    warnings: list[str] = []
    text = text.lstrip("\ufeff")
    # lxml refuses str input that declares an encoding in an XML prolog.
    if text.startswith("<?xml"):
        text = re.sub(r"^<\?xml[^>]*\?>", "", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError, TypeError) as exc:
        try:
            tree = lxml.html.fromstring(f"<html><body>{text}</body></html>", parser=_PARSER)
        except Exception:  # noqa: BLE001 - reported below as unparseable
            return None, [f"html: cannot parse ({exc})"]
    for err in _PARSER.error_log:
        if "Excessive depth" in err.message:
            warnings.append(
                "html: markup nested deeper than 256 levels; the parser stopped there, "
                "the rest of the page is missing"
            )
            break
    return tree, warnings


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def _to_text(html: bytes | str, headers: Mapping[str, str] | None) -> tuple[str, list[str], bool]:
    """Decoded and capped page text, warnings, and whether the markup looks cut off."""
    warnings: list[str] = []
    if isinstance(html, str):
        if len(html) > MAX_INPUT_BYTES:
            warnings.append(
                f"size: page has {len(html):,} characters; only the first "
                f"{MAX_INPUT_BYTES:,} were parsed"
            )
            html = html[:MAX_INPUT_BYTES]
        cut = not re.search(r"</(?:html|body)\s*>", html[-65536:], re.I)
        return html, warnings, cut
    data = bytes(html)
    if len(data) > MAX_INPUT_BYTES:
        warnings.append(
            f"size: page has {len(data):,} bytes; only the first {MAX_INPUT_BYTES:,} were parsed"
        )
        data = data[:MAX_INPUT_BYTES]
    cut = _CLOSE_RE.search(data[-65536:]) is None
    dec = encoding.decode_html(data, _header(headers, "content-type"))
    warnings.extend(dec.warnings)
    return dec.text, warnings, cut


# --------------------------------------------------------------------------- profile


def _first_value(sels: tuple[profiles_mod.Selector, ...], tree: HtmlElement) -> str | None:
    for sel in sels:
        vals = sel.values(tree)
        if vals:
            return vals[0]
    return None


def _profile_date(
    sels: tuple[profiles_mod.Selector, ...],
    tree: HtmlElement,
    prof: profiles_mod.Profile,
    now: datetime | None,
) -> str | None:
    for sel in sels:
        for v in sel.values(tree):
            iso = dates.parse_date(
                v,
                default_offset=prof.default_offset,
                languages=prof.date_languages,
                formats=prof.date_formats,
            )
            if iso and dates.plausible(iso, now=now):
                return iso
    return None


def _apply_profile(
    art: Article,
    tree: HtmlElement,
    prof: profiles_mod.Profile,
    layout: profiles_mod.Layout,
    body_el: HtmlElement,
    now: datetime | None,
    dropped: list[str],
) -> list[str]:
    origin = f"profile:{prof.name}"
    art.set("title", _first_value(layout.title, tree), origin)
    art.set("author", metadata.clean_author(_first_value(layout.author, tree)), origin)
    art.set("published_at", _profile_date(layout.date, tree, prof, now), origin)
    art.set("modified_at", _profile_date(layout.modified, tree, prof, now), origin)
    art.set("section", _first_value(layout.section, tree), origin)
    for sel in layout.tags:
        tags = list(dict.fromkeys(sel.values(tree)))
        if tags:
            art.set("tags", tags, origin)
            break
    pruned = html_clean.prune(
        body_el,
        strip_selectors=[s.xpath.path for s in prof.strip + layout.strip],
        by_attr=False,
        link_lists=False,
    )
    cleaned = html_clean.clean_paragraphs(
        html_clean.render(pruned), title=art.title, promo=prof.promo
    )
    dropped.extend(cleaned.dropped)
    paras = cleaned.paragraphs
    if (
        layout.last_paragraph_promo is not None
        and len(paras) > 1
        and len(paras[-1]) <= 400
        and layout.last_paragraph_promo.search(paras[-1])
    ):
        paras = paras[:-1]
    if cleaned.author and not art.author:
        art.set("author", cleaned.author, "text:byline")
    return paras


def _profile_says_article(
    prof: profiles_mod.Profile | None, url: str | None, matched: bool
) -> bool | None:
    """A profile's URL rule decides the page type; None leaves it to the classifier."""
    if prof is None:
        return None
    is_article = prof.is_article_url(url)
    if is_article is False:
        return False
    if is_article and matched:
        return True
    return None


def _choose_profile(
    name: str | None, url: str | None, warns: list[str]
) -> profiles_mod.Profile | None:
    if name:
        try:
            return profiles_mod.get(name)
        except KeyError:
            warns.append(f"profile {name!r} does not exist: chosen by host instead")
    return profiles_mod.for_url(url)


# --------------------------------------------------------------------------- main


def extract(
    html: bytes | str,
    url: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    source: str | None = None,
    now: datetime | None = None,
    profile: str | None = None,
    default_offset: str | None = None,
    boilerplate: learned.SourceModel | None = None,
) -> Article:
    """Turn one fetched page into an article record; never raises.

    ``now`` (for tests) is the reference time that rejects dates more than a day ahead.
    ``default_offset`` ("+04:00"): the outlet's offset, for times its page writes without
    one (a site profile's own offset comes first).
    ``profile`` names the site profile to use whatever the host (a mirror, an archive copy,
    the offline replica); without it the profile is chosen by the URL's host.
    ``boilerplate``: what the source's pages were seen to repeat (parsers/learned.py),
    removed from the body; the record keeps its paragraphs as extracted in ``blocks``.
    """
    try:
        art = _extract(
            html, url, headers, source=source, now=now, profile=profile, offset=default_offset
        )
        if boilerplate is not None and art.ok:
            boilerplate.clean(art)
        return art
    except RecursionError:
        return Article.failed(
            "extract: markup too deeply nested to process", url=url, source=source
        )
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
        log.debug("extract failed for %s", url, exc_info=True)
        return Article.failed(f"extract: {type(exc).__name__}: {exc}"[:300], url=url, source=source)


_WARM_UP_PAGE = (
    "<html lang='en'><head><title>Port news | Example</title>"
    "<meta property='article:published_time' content='2025-01-02T10:00:00+04:00'>"
    "</head><body><nav><a href='/'>Home</a></nav><article><h1>Port news</h1>"
    "<p class='byline'>By A. Writer</p>"
    + "<p>The port handled more cargo this year than last, officials said on Monday.</p>" * 8
    + "</article><footer>Follow us</footer></body></html>"
)


def warm_up() -> None:
    """Extract two small built-in pages, an article and a near-empty one (it takes the
    fallback extractor's path): what the extractor loads on first use (the language
    model, stop-word lists, compiled patterns, the outlet profiles) is loaded now, once,
    in a process that forks workers, rather than in each worker on its first page."""
    extract(_WARM_UP_PAGE, url="https://example.org/news/port.html")
    extract("<html><body><div><p>Port news.</p></div></body></html>", url="https://example.org/")


def _extract(
    html: bytes | str,
    url: str | None,
    headers: Mapping[str, str] | None,
    *,
    source: str | None,
    now: datetime | None,
    profile: str | None = None,
    offset: str | None = None,
) -> Article:
    if html is None or (isinstance(html, (bytes, bytearray, str)) and not html.strip()):
        return Article.failed("empty document", url=url, source=source)
    if not isinstance(html, (bytes, bytearray, str)):
        return Article.failed(
            f"unsupported input type {type(html).__name__}", url=url, source=source
        )
    if isinstance(html, (bytes, bytearray)) and encoding.looks_binary(bytes(html[:8192])):
        return Article.failed("binary content, not HTML", url=url, source=source)
    text, warns, cut = _to_text(html, headers)
    if not text.strip():
        return Article.failed(
            "empty document after decoding", url=url, source=source, warnings=warns
        )
    tree, parse_warns = parse_tree(text)
    warns += parse_warns
    if tree is None:
        return Article.failed("unparseable HTML", url=url, source=source, warnings=warns)

    prof = _choose_profile(profile, url, warns)
    art = Article(url=url, source=source or (prof.name if prof else None), warnings=warns)
    pm = metadata.collect(tree, url)
    art.set("canonical_url", *metadata.canonical_url(pm, url))

    body: html_body.Body | None = None
    match = prof.match_layout(tree) if prof else None
    if prof and match:
        layout, body_el = match
        dropped: list[str] = []
        paras = _apply_profile(art, tree, prof, layout, body_el, now, dropped)
        body = html_body.Body(paras, f"profile:{prof.name}", dropped=dropped)
        art.provenance["layout"] = f"{prof.name}:{layout.name}"
    elif prof and prof.is_article_url(url) is not False:
        art.warnings.append(f"profile {prof.name}: no layout matched; generic extraction used")

    # Generic metadata fills whatever the profile did not.
    if not art.title:
        art.set("title", *metadata.pick_title(pm, url))
    weak_author = False
    if not art.author:
        name, prov, weak_author = metadata.pick_author(pm, tree, url)
        art.set("author", name, prov)
    default_offset = (prof.default_offset if prof else None) or offset
    n_elements = html_body.element_count(tree)
    dates_of = partial(
        metadata.pick_dates,
        pm,
        tree,
        url,
        default_offset=default_offset,
        now=now,
        search_text=n_elements <= html_body.ELEMENT_BUDGET,
    )
    pub, pprov, mod, mprov = dates_of()
    if not art.published_at:
        art.set("published_at", pub, pprov)
    if not art.modified_at:
        art.set("modified_at", mod, mprov)
    if not art.section:
        art.set("section", *metadata.pick_section(pm))
    if not art.tags:
        tags, tprov = metadata.pick_tags(pm)
        art.set("tags", tags, tprov)

    if body is None:
        body = html_body.generic_body(tree, pm, url, title=art.title, n_elements=n_elements)
        art.warnings.extend(body.warnings)
        if body.author and (weak_author or not art.author):
            art.set("author", body.author, "text:byline")
        elif body.lead_byline and weak_author and art.author:
            # The metadata signs with the outlet, the text with its writer's name (a page
            # without any author metadata is as often a service page whose first line is
            # a heading: "Key Details").
            i, line = body.lead_byline
            names = metadata.lead_byline_author(line, pm, url)
            if names:
                art.set("author", names, "text:lead-byline")
                body.dropped.append(body.paragraphs.pop(i))
    art.set("text", body.text, body.method or "text")
    if body.paragraphs:
        art.blocks = (
            learned.body_blocks(tree, body.paragraphs)
            if n_elements <= html_body.ELEMENT_BUDGET
            else learned.text_blocks(art.text)
        )

    edition = prof.language_for(url) if prof else None
    if prof and edition:
        art.set("language", edition, f"profile:{prof.name}")
    else:
        # The first ~1,200 characters decide as well as the whole text, at a fraction of the cost.
        sample = (art.text or art.title or "")[:1200]
        lang = language.detect_language(sample, hint=metadata.language_hint(pm))
        art.set("language", lang, "text" if art.text else "html-lang")
        if (
            not art.published_at
            and lang
            and not metadata.language_hint(pm)
            and dates.languages_for(lang) != dates.DEFAULT_LANGUAGES
        ):
            # Undated, and the page never said its language: read its dates again with the
            # month names of the language its text is in ("Mise en ligne 23 mai 2019").
            pub, pprov, _, _ = dates_of(lang=lang)
            art.set("published_at", pub, pprov)

    decided = _profile_says_article(prof, url, bool(match))
    page_type, _signals = html_pagetype.classify(
        tree,
        pm,
        url,
        body_text=art.text,
        date_source=art.provenance.get("published_at"),
        profile_article=decided,
    )
    art.page_type = page_type
    if (
        page_type == "service"
        and art.provenance.get("title") == "h1"
        and not metadata.names_page(pm, art.title)
    ):
        # Landing pages put a slogan in the <h1>; their title is the page's own title.
        art.set("title", *metadata.meta_title(pm, url))
    art.provenance["page_type"] = (
        f"profile:{prof.name}" if prof and decided is not None else "classifier"
    )

    truncated, why = html_pagetype.is_truncated(tree, pm, art.text, notices=body.dropped)
    if parse_warns:
        truncated, why = True, "parser stopped early"
    elif cut and art.text:
        art.warnings.append("html: document ends without </body> or </html> (cut off?)")
        truncated, why = True, why or "document cut off"
    if truncated:
        art.truncated = True
        art.provenance["truncated"] = why or "yes"

    if not art.text and art.page_type == "article":
        art.status = "failed"
        art.error = "no article text found"
    return art
