"""Site profiles: per-outlet selectors, strip rules, promo lines, dates and language, as data.

One ``<name>.toml`` per outlet in this package. Adding an outlet means one small file and
one test page; a layout change is a one-line fix in that file. Selectors are a small CSS
subset (tags, ``.class``, ``#id``, ``[attr]``, ``[attr=v]``, ``[attr*=v]``, ``^=``, ``$=``,
``~=``, descendant and ``>`` combinators, ``,`` groups), compiled once to XPath; a
selector may end in `` @attr`` to take an attribute instead of the text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

__all__ = ["Layout", "Profile", "Selector", "all_profiles", "css_to_xpath", "for_url", "get"]

_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- CSS subset

_SIMPLE_RE = re.compile(
    r"""\s*(?:
      (?P<comb>>)
    | (?P<tag>[a-zA-Z][\w-]*|\*)
    | \.(?P<cls>[\w-]+)
    | \#(?P<id>[\w-]+)
    | \[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[*^$~|]?=)\s*(?P<val>"[^"]*"|'[^']*'|[^\]\s]+)\s*)?\]
    )""",
    re.X,
)


def _lit(s: str) -> str:
    if "'" not in s:
        return f"'{s}'"
    if '"' not in s:
        return f'"{s}"'
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in s.split("'")) + ")"


def _compound_to_xpath(tag: str, conds: list[str]) -> str:
    return tag + "".join(f"[{c}]" for c in conds)


def css_to_xpath(css: str) -> str:
    """XPath for a selector of the supported CSS subset; ValueError for anything else."""
    groups = []
    for group in _split_groups(css):
        steps: list[str] = []
        axis = "//"
        tag, conds, pending = "*", [], False
        pos = 0
        g = group.strip()
        if not g:
            raise ValueError(f"empty selector in {css!r}")
        while pos < len(g):
            m = _SIMPLE_RE.match(g, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unsupported selector {css!r} at {g[pos:]!r}")
            space_before = g[pos].isspace()
            if pending and space_before and not m.group("comb"):
                steps.append(axis + _compound_to_xpath(tag, conds))
                axis, tag, conds = "//", "*", []
            pos = m.end()
            if m.group("comb"):
                steps.append(axis + _compound_to_xpath(tag, conds))
                axis, tag, conds, pending = "/", "*", [], False
                continue
            pending = True
            if m.group("tag"):
                tag = m.group("tag").lower()
            elif m.group("cls"):
                conds.append(
                    f"contains(concat(' ', normalize-space(@class), ' '), ' {m.group('cls')} ')"
                )
            elif m.group("id"):
                conds.append(f"@id={_lit(m.group('id'))}")
            elif m.group("attr"):
                a, op, v = m.group("attr"), m.group("op"), m.group("val")
                if v and v[0] in "'\"":
                    v = v[1:-1]
                if not op:
                    conds.append(f"@{a}")
                elif op == "=":
                    conds.append(f"@{a}={_lit(v)}")
                elif op == "*=":
                    conds.append(f"contains(@{a}, {_lit(v)})")
                elif op == "^=":
                    conds.append(f"starts-with(@{a}, {_lit(v)})")
                elif op == "$=":
                    conds.append(f"substring(@{a}, string-length(@{a}) - {len(v) - 1}) = {_lit(v)}")
                elif op == "~=":
                    conds.append(f"contains(concat(' ', normalize-space(@{a}), ' '), ' {v} ')")
                else:
                    raise ValueError(f"unsupported operator {op} in {css!r}")
        if not pending:
            raise ValueError(f"selector ends with a combinator: {css!r}")
        steps.append(axis + _compound_to_xpath(tag, conds))
        groups.append("".join(steps))
    return " | ".join(groups)


def _split_groups(css: str) -> list[str]:
    out, buf, quote, depth = [], [], "", 0
    for ch in css:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    out.append("".join(buf))
    return out


@dataclass(frozen=True)
class Selector:
    """A compiled selector; ``attr`` set means "take this attribute, not the text"."""

    css: str
    xpath: etree.XPath
    attr: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Selector:
        css, attr = spec.strip(), None
        m = re.search(r"\s@([\w:-]+)$", css)
        if m:
            css, attr = css[: m.start()].strip(), m.group(1)
        return cls(spec, etree.XPath(css_to_xpath(css)), attr)

    def elements(self, tree: Any) -> list[Any]:
        try:
            return [e for e in self.xpath(tree) if isinstance(getattr(e, "tag", None), str)]
        except etree.XPathError:
            return []

    def values(self, tree: Any) -> list[str]:
        out = []
        for el in self.elements(tree):
            v = el.get(self.attr) if self.attr else " ".join(el.itertext())
            v = " ".join((v or "").split())
            if v:
                out.append(v)
        return out


def _sels(v: Any) -> tuple[Selector, ...]:
    if v is None:
        return ()
    items = [v] if isinstance(v, str) else list(v)
    return tuple(Selector.parse(s) for s in items)


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Layout:
    """One page layout of an outlet; it applies when its ``body`` selector matches."""

    name: str
    body: tuple[Selector, ...]
    title: tuple[Selector, ...] = ()
    author: tuple[Selector, ...] = ()
    date: tuple[Selector, ...] = ()
    modified: tuple[Selector, ...] = ()
    section: tuple[Selector, ...] = ()
    tags: tuple[Selector, ...] = ()
    strip: tuple[Selector, ...] = ()
    #: the last body paragraph is dropped when it matches this (e.g. the 2018-19 Trend promo)
    last_paragraph_promo: re.Pattern[str] | None = None

    def body_element(self, tree: Any) -> Any | None:
        for sel in self.body:
            els = sel.elements(tree)
            if els:
                return els[0]
        return None


@dataclass(frozen=True)
class Profile:
    name: str
    hosts: tuple[str, ...]
    layouts: tuple[Layout, ...]
    languages: dict[str, str] = field(default_factory=dict)
    default_offset: str | None = None
    date_languages: tuple[str, ...] = ("en",)
    date_formats: tuple[str, ...] = ()
    id_pattern: re.Pattern[str] | None = None
    article_url: re.Pattern[str] | None = None
    promo: re.Pattern[str] | None = None
    strip: tuple[Selector, ...] = ()
    verified: bool = True
    path: str = ""

    def language_for(self, url: str | None) -> str | None:
        host = (urlsplit(url).hostname or "").lower() if url else ""
        return self.languages.get(host)

    def article_id(self, url: str | None) -> str | None:
        """The outlet's stable id of an article (the same story under another section path)."""
        if not url or not self.id_pattern:
            return None
        m = self.id_pattern.search(urlsplit(url).path)
        return m.group(1) if m else None

    def is_article_url(self, url: str | None) -> bool | None:
        if not url or not self.article_url:
            return None
        return bool(self.article_url.search(urlsplit(url).path))

    def match_layout(self, tree: Any) -> tuple[Layout, Any] | None:
        for layout in self.layouts:
            el = layout.body_element(tree)
            if el is not None:
                return layout, el
        return None


def _regex(v: Any) -> re.Pattern[str] | None:
    if not v:
        return None
    items = [v] if isinstance(v, str) else list(v)
    return re.compile("|".join(f"(?:{p})" for p in items), re.I)


def _load(path: Path) -> Profile:
    d = tomllib.loads(path.read_text(encoding="utf-8"))
    layouts = tuple(
        Layout(
            name=lay["name"],
            body=_sels(lay["body"]),
            title=_sels(lay.get("title")),
            author=_sels(lay.get("author")),
            date=_sels(lay.get("date")),
            modified=_sels(lay.get("modified")),
            section=_sels(lay.get("section")),
            tags=_sels(lay.get("tags")),
            strip=_sels(lay.get("strip")),
            last_paragraph_promo=_regex(lay.get("last_paragraph_promo")),
        )
        for lay in d.get("layout", [])
    )
    if not layouts:
        raise ValueError(f"profile {path.name}: no [[layout]]")
    return Profile(
        name=d.get("name") or path.stem,
        hosts=tuple(h.lower() for h in d.get("hosts", [])),
        layouts=layouts,
        languages={k.lower(): v for k, v in d.get("languages", {}).items()},
        default_offset=d.get("default_offset"),
        date_languages=tuple(d.get("date_languages", ["en"])),
        date_formats=tuple(d.get("date_formats", [])),
        id_pattern=re.compile(d["id_pattern"]) if d.get("id_pattern") else None,
        article_url=re.compile(d["article_url"]) if d.get("article_url") else None,
        promo=_regex(d.get("promo_patterns")),
        strip=_sels(d.get("strip")),
        verified=bool(d.get("verified", True)),
        path=str(path),
    )


@cache
def _registry() -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    for path in sorted(_DIR.glob("*.toml")):
        p = _load(path)
        out[p.name] = p
    return out


@cache
def _by_host() -> dict[str, Profile]:
    return {h: p for p in _registry().values() for h in p.hosts}


def all_profiles() -> list[Profile]:
    return list(_registry().values())


def get(name: str) -> Profile:
    """The profile called ``name``; KeyError if there is none."""
    return _registry()[name]


def for_url(url: str | None) -> Profile | None:
    """The profile of the outlet serving ``url`` (exact host, then parent domains)."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    table = _by_host()
    while host:
        if host in table:
            return table[host]
        if "." not in host:
            break
        host = host.split(".", 1)[1]
    return None
