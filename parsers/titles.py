"""The headline of a page: its visible ``<h1>`` against the titles its metadata gives.

Metadata titles are often rewritten for search and social ("... | Site"), and an ``<h1>``
may be the site's logo or a widget's caption; the pickers here weigh the two, strip the
site's name from a ``<title>``, and say where the chosen title came from.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsers.html_clean import norm_ws
from parsers.page_meta import PageMeta, host_label, ld_str, site_name, text_key, unescape_left

_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " « ", " » ", " / ")


def _strip_site(title: str, site: str | None, url: str | None) -> str:
    """Drop "| Site name" style suffixes/prefixes from a ``<title>``."""
    host_key = host_label(url)
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


def _loose(s: str) -> str:
    return re.sub(r"\s+", "", s).casefold()


def _same(a: str, b: str) -> bool:
    return text_key(a) == text_key(b)


_GENERIC_H1 = re.compile(
    r"^(?:search|menu|navigation|main menu|provide feedback|skip to .*|log ?in|sign ?in|"
    r"home|welcome|404|page not found|cookies?.*|subscribe|newsletter|share|comments?)$",
    re.I,
)


def _usable_h1(h: str, site: str | None, url: str | None, title_tag: str | None = None) -> bool:
    """A heading that can be the headline: not the logo, not a widget title."""
    if not 4 <= len(h) <= 300 or _GENERIC_H1.match(h):
        return False
    k = text_key(h)
    if site and k == text_key(site):
        return False
    if title_tag:
        # "Headline | Site": an <h1> equal to a later, shorter part of the title is the site.
        for sep in _TITLE_SEPARATORS:
            parts = [p.strip() for p in title_tag.split(sep)]
            if len(parts) >= 2 and any(text_key(p) == k for p in parts[1:]):
                if len(parts[0]) > len(h):
                    return False
    host = (urlsplit(url).hostname or "") if url else ""
    host = re.sub(r"^www\.", "", host.lower())
    return not (host and (k == text_key(host) or k == text_key(host.split(".")[0])))


def _banner(h1: str, titles: list[str]) -> bool:
    words = set(re.findall(r"\w+", h1.casefold()))
    if not titles or len(words) > 3:
        return False
    return not any(words & set(re.findall(r"\w+", t.casefold())) for t in titles)


_KICKER_SEP_RE = re.compile(r"^(.{3,80}?)\s*(?::|\s[-–—|]\s)\s*(.{10,})$")


def _headline_without_kicker(pm: PageMeta, h1: str, keys: list[str]) -> str | None:
    """The headline of an ``<h1>`` that also holds a kicker ("Premier League",
    "Eskalation im Nahen Osten - ..."): the part that a metadata title of the page repeats
    without the rest. Learned from the page itself, not from a list of classes."""

    def alone(rest: str, kicker: str) -> bool:
        r, k = text_key(rest), text_key(kicker)
        return len(r) >= 10 and len(k) >= 3 and any(r in key and k not in key for key in keys)

    el = pm.h1_el
    if el is not None and text_key(el.text_content()) == text_key(h1):
        parts = [norm_ws(c.text_content()) for c in el]
        parts = [p for p in parts if text_key(p)]  # separator-only spans (" - ") aside
        for cut in range(1, len(parts)):
            kicker, rest = " ".join(parts[:cut]), " ".join(parts[cut:])
            if alone(rest, kicker):
                return rest
    m = _KICKER_SEP_RE.match(h1)
    # In plain text only when a metadata title is exactly the rest: "Tony Blair: Why ..."
    # stays whole unless the page itself titles it without "Tony Blair".
    if m and text_key(m.group(2)) in keys and alone(m.group(2), m.group(1)):
        return m.group(2)
    return None


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
    ld = ld_str(pm.article.get("headline") or pm.article.get("name")) if pm.article else None
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
    if metas:
        # "기사 상세", "Article detail", "News": a short <h1> sharing no word with any title
        # the page gives is a placeholder or a section banner, not this page's headline.
        h1s = [h for h in h1s if not _banner(h, [x for x, src in metas if src != "title"])]
    if h1s and metas:
        # The <title> tag is left out: it usually repeats the whole <h1>, kicker and all.
        social = [text_key(x) for x, src in metas if src != "title"]
        head = _headline_without_kicker(pm, h1s[0], social) if social else None
        if head:
            return head, "h1"
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
        keys = [text_key(x) for x, _ in metas]
        if not any(text_key(h1s[0]) in k for k in keys):
            for h in h1s[1:]:
                hk = text_key(h)
                if len(hk) >= 10 and any(hk in k for k in keys):
                    return h, "h1"
    if h1s:
        return h1s[0], "h1"
    if ld and og and len(ld) >= 60 and text_key(og).startswith(text_key(ld)) and len(og) > len(ld):
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
    k = text_key(heading or "")
    if not k:
        return False
    og, _ = pm.first("og:title", "twitter:title")
    for t in (pm.title_tag, og):
        for sep in (*_TITLE_SEPARATORS, ": "):
            if t and sep in t and any(text_key(p) == k for p in t.split(sep)):
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
