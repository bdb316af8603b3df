"""Article HTML that a client-rendered page ships in its script data instead of its markup.

A Next.js page may come with an empty shell where the article goes: the browser builds
the text from data the page carries for its scripts. The App Router sends a "flight"
stream in ``self.__next_f.push([1, "..."])`` calls, in which a text row
(``24:T1b7b,<div>…``: id, ``T``, length in UTF-8 bytes as hex, comma) holds raw HTML;
the Pages Router sends JSON in ``<script id="__NEXT_DATA__">`` whose strings may hold
HTML. Both are formats of the framework, not of one outlet, so reading them rescues
every site built on it. Used only when the page's own markup gave (almost) no body.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html
from lxml.html import HtmlElement

from parsers import html_clean

#: Scripts read, and characters of data kept, per page: bounds on what a page can cost.
MAX_SCRIPTS = 500
MAX_DATA_CHARS = 4_000_000
#: A fragment is article text only with at least this many paragraphs.
MIN_PARAGRAPHS = 2

_PUSH_RE = re.compile(r"^\s*self\.__next_f\.push\((\[.*\])\)\s*;?\s*$", re.S)
_TEXT_ROW_RE = re.compile(r"(?:^|\n)[0-9a-fA-F]+:T([0-9a-fA-F]{1,8}),")
_PARA_RE = re.compile(r"<p[\s>]", re.I)


def _flight_stream(scripts: list[HtmlElement]) -> str:
    parts, size = [], 0
    for s in scripts:
        m = _PUSH_RE.match(s.text or "")
        if not m:
            continue
        try:
            pushed = json.loads(m.group(1))
        except ValueError:
            continue
        if isinstance(pushed, list) and len(pushed) > 1 and isinstance(pushed[1], str):
            parts.append(pushed[1])
            size += len(pushed[1])
            if size > MAX_DATA_CHARS:
                break
    return "".join(parts)[:MAX_DATA_CHARS]


def _text_rows(stream: str) -> list[str]:
    out = []
    for m in _TEXT_ROW_RE.finditer(stream):
        n = int(m.group(1), 16)
        # The length counts UTF-8 bytes: n characters hold at least n bytes.
        raw = stream[m.end() : m.end() + n].encode("utf-8")[:n]
        out.append(raw.decode("utf-8", "ignore"))
    return out


def _html_strings(data: Any, out: list[str], depth: int = 0) -> None:
    if depth > 20 or len(out) > 50:
        return
    if isinstance(data, str):
        if len(_PARA_RE.findall(data, 0, 200_000)) >= MIN_PARAGRAPHS:
            out.append(data)
    elif isinstance(data, dict):
        for v in data.values():
            _html_strings(v, out, depth + 1)
    elif isinstance(data, list):
        for v in data[:2000]:
            _html_strings(v, out, depth + 1)


def fragments(tree: HtmlElement) -> list[str]:
    """HTML fragments with paragraphs found in the page's Next.js data, in page order."""
    scripts = tree.xpath("//script[not(@src)]")[:MAX_SCRIPTS]
    out = [
        row
        for row in _text_rows(_flight_stream(scripts))
        if len(_PARA_RE.findall(row)) >= MIN_PARAGRAPHS
    ]
    for s in scripts:
        if s.get("id") == "__NEXT_DATA__" and len(s.text or "") <= MAX_DATA_CHARS:
            try:
                data = json.loads(s.text or "")
            except ValueError:
                continue
            _html_strings(data, out)
    return out


def embedded_body(tree: HtmlElement) -> list[str]:
    """The paragraphs of the longest fragment of article HTML in the page's script data
    ([] when there is none)."""
    best: list[str] = []
    for frag in fragments(tree):
        try:
            el = lxml.html.fragment_fromstring(frag, create_parent="div")
        except (ValueError, lxml.etree.ParserError):
            continue
        paras = html_clean.render(html_clean.prune(el))
        if sum(map(len, paras)) > sum(map(len, best)):
            best = paras
    return best
