"""Plain-text exports: a page flattened to text, navigation and promo lines included.

The format (see ``../shared/seeds/``): optional leading whitespace, an optional
``date YYYY-MM-DD`` token, then the text. A flattened news page has a *header*
(banner, breadcrumbs, title, "Section Type 22 April 2025 20:20 (UTC +04:00)",
the title again, "Follow X on", the author, "Read more"), a *body* of
paragraphs, and a *footer* (promo lines, a byline, "Tags:", "Latest",
"Scroll to Top"). The rules below recognise those parts by the shape of their
lines, so another article from the same kind of export comes out as clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers import boilerplate as bp
from parsers.language import detect_language
from parsers.record import Article

_DATE_TOKEN_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:\s+|$)", re.IGNORECASE)
_CRUMB_RE = re.compile(r"^\s*\d{1,2}\.\s+(\S.{0,60})$")
# A visible date-time at the end of a meta line: "22 April 2025 20:20 (UTC +04:00)",
# "6 Dekabr 2025 15:49 (UTC +04:00)", "22 апреля 2025, 20:20".
_META_DATE_RE = re.compile(
    r"(?P<date>\d{1,2}\s+[^\W\d_]{3,12}\.?\s+\d{4},?\s+\d{1,2}:\d{2}(?:\s*\(?\s*(?:UTC|GMT)\s*"
    r"[+-]\s*\d{1,2}(?::?\d{2})?\s*\)?)?)\s*$"
)
# Content-type labels Trend prints between the section and the date.
_CONTENT_TYPES = {
    "materials",
    "materiallar",
    "материалы",
    "interview",
    "müsahibə",
    "интервью",
    "analytics",
    "analitika",
    "аналитика",
    "photo",
    "foto",
    "фото",
    "video",
    "видео",
    "official chronicle",
    "rəsmi xronika",
    "официальная хроника",
}
_FOLLOW_RE = re.compile(r"^\s*follow\s+(?P<name>[\w .&'-]{2,40}?)\s+on\s*$", re.IGNORECASE)
_TERMINAL_PUNCT = ".!?:;,…"


@dataclass
class _Header:
    crumbs: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    section: str | None = None
    date_text: str | None = None
    follow: str | None = None
    structured: bool = False


def _is_paragraph(line: str) -> bool:
    """A line long enough to be running text rather than a header item."""
    s = line.strip()
    return len(s) >= 120 or len(s.split()) >= 18


def _parse_meta_line(line: str) -> tuple[str | None, str] | None:
    """Split "Politics Materials 22 April 2025 20:20 (UTC +04:00)" into section and date text."""
    m = _META_DATE_RE.search(line.strip())
    if not m:
        return None
    prefix = line.strip()[: m.start()].strip(" |·-–")
    if len(prefix.split()) > 5:
        return None
    words = prefix.split()
    # Drop a trailing content-type label (one or two words) to keep the section.
    for n in (2, 1):
        if len(words) >= n and " ".join(words[-n:]).casefold() in _CONTENT_TYPES:
            words = words[:-n]
            break
    return (" ".join(words) or None), m.group("date")


def _scan_header(lines: list[str]) -> _Header:
    h = _Header()
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        crumb = _CRUMB_RE.match(line)
        if crumb and len(crumb.group(1).split()) <= 5:
            h.crumbs.append(crumb.group(1).strip())
            h.structured = True
            continue
        if line in ("...", "…"):
            # A collapsed menu: whatever came before it was the site banner.
            h.candidates.clear()
            h.structured = True
            continue
        follow = _FOLLOW_RE.match(line)
        if follow:
            h.follow = follow.group("name").strip()
            h.structured = True
            continue
        if bp.is_boilerplate_line(line):
            h.structured = True
            continue
        meta = _parse_meta_line(line)
        if meta and h.date_text is None:
            h.section, h.date_text = meta
            h.structured = True
            continue
        name = bp.person_name(line)
        if name and h.date_text is not None:
            # After the meta line, a bare name is the author block (often printed twice).
            if name not in h.names and name not in h.candidates:
                h.names.append(name)
            continue
        h.candidates.append(line)
    return h


def _pick_title(h: _Header) -> str | None:
    # A flattened page prints the title twice (heading + image alt): take the repeated line.
    seen: set[str] = set()
    for c in h.candidates:
        if c in seen:
            return c
        seen.add(c)
    titles = [c for c in h.candidates if not _is_paragraph(c)]
    return titles[-1] if titles else None


def _strip_footer(lines: list[str], art: Article) -> list[str]:
    """Remove trailing promo/nav lines and a byline block, recording the author."""
    end = len(lines)
    pending_role = False
    while end > 0:
        line = lines[end - 1].strip()
        if not line or bp.is_boilerplate_line(line):
            end -= 1
            continue
        name = bp.byline_name(line)
        if name:
            art.set("author", name, "text:byline")
            end -= 1
            continue
        if bp.is_role_line(line):
            pending_role = True
            end -= 1
            continue
        if pending_role:
            name = bp.person_name(line)
            if name:
                art.set("author", name, "text:byline")
                end -= 1
                pending_role = False
                continue
        break
    return lines[:end]


def _paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs (blank-line separated; hard-wrapped lines joined)."""
    paras: list[str] = []
    current: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                paras.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paras.append(" ".join(current))
    return paras


def _looks_like_title(line: str, rest: list[str]) -> bool:
    s = line.strip()
    return (
        0 < len(s) <= 150
        and len(s.split()) <= 20
        and s[-1] not in _TERMINAL_PUNCT
        and not s.startswith(('"', "“", "«", "'", "—", "-"))
        and any(_is_paragraph(x) for x in rest)
    )


def parse_text_export(
    text: str, *, url: str | None = None, source: str | None = None, language: str | None = None
) -> Article:
    """Turn one flattened article into a clean record (never raises on odd text)."""
    art = Article(url=url, canonical_url=url, source=source)
    if source:
        art.provenance["source"] = "input"
    if url:
        art.provenance["url"] = art.provenance["canonical_url"] = "input"
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    m = _DATE_TOKEN_RE.match(text)
    if m:
        art.set("published_at", m.group(1), "text:date-token")
        text = text[m.end() :]
    lines = text.strip("\n").split("\n")

    # Header: everything before the first line of running text.
    first_para = next((i for i, x in enumerate(lines) if _is_paragraph(x)), len(lines))
    header = _scan_header(lines[:first_para])
    body_lines = lines[first_para:]
    if header.structured:
        _apply_header(art, header)
    else:
        body_lines = lines
        # An unstructured export may still start with a headline line.
        first = next((i for i, x in enumerate(lines) if x.strip()), None)
        if first is not None and _looks_like_title(lines[first], lines[first + 1 :]):
            art.set("title", lines[first].strip(), "text:first-line")
            body_lines = lines[first + 1 :]

    body_lines = _strip_footer(body_lines, art)
    paras = [p for p in _paragraphs(body_lines) if not bp.is_promo_line(p)]
    if art.title:
        paras = [p for p in paras if p != art.title]
    art.text = "\n\n".join(paras)
    if not art.text:
        art.status, art.error = "failed", "no article text found"
    _detect_language(art, language)
    return art


def _apply_header(art: Article, h: _Header) -> None:
    from parsers.dates import parse_date

    title = _pick_title(h)
    art.set("title", title, "text:header")
    section = h.section or (h.crumbs[-1] if h.crumbs else None)
    art.set("section", section, "text:meta-line" if h.section else "text:breadcrumbs")
    if h.names:
        art.set("author", h.names[0], "text:author-block")
    if h.follow and not art.source:
        art.set("source", h.follow, "text:follow-line")
    if h.date_text:
        full = parse_date(h.date_text)
        # The visible date-time is more precise than the export's date token; keep the
        # token only if the two disagree on the day (the page may be a later revision).
        if full and (not art.published_at or full.startswith(art.published_at)):
            art.set("published_at", full, "text:meta-line")


def _detect_language(art: Article, hint: str | None) -> None:
    if hint:
        art.set("language", hint, "input")
        return
    art.set("language", detect_language(art.text), "detected:text")
