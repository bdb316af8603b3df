"""Navigation and promo lines that news sites leave around (and inside) an article.

Shared by the plain-text export parser and the HTML clean-up, so that a line
stripped from a Trend text export is also stripped from a Trend page. The
patterns describe the *shape* of such lines (a short line that is only a call
to follow a channel, a lone "Tags:" label...), never a particular article.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE | re.UNICODE

#: Whole lines that are navigation, sharing widgets or calls to action.
#: Each pattern must match the complete (stripped) line.
NAV_LINE_PATTERNS: list[str] = [
    r"\.{2,}|…",
    r"(?:\d+\.\s*)?(?:home|ana səhifə|главная|başlıca|首页)",
    r"follow (?:trend|us)(?: on.*)?",
    r"(?:izləyin|подписывайтесь).{0,40}",
    r"read (?:more|also|next)\s*:?",
    r"(?:daha çox|ətraflı|читать (?:далее|также)|подробнее)\s*:?",
    r"(?:see also|related(?: news| articles)?|more from .{0,30})\s*:?",
    r"tags?\s*:?",
    r"teqlər\s*:?|теги\s*:?|标签\s*:?",
    r"latest(?: news)?|son xəbərlər|последние новости|most read|recommended",
    r"scroll to top|back to top|to top|yuxarı|наверх",
    r"share(?: this| on .{0,20})?\s*:?|paylaş|поделиться",
    r"(?:print|email|e-mail|copy link|whatsapp|telegram|facebook|twitter|x|linkedin)",
    r"advertisement|reklam|реклама",
    r"source\s*:\s*https?://\S+",
]

#: Promo sentences: a whole line (or paragraph) whose only purpose is to point
#: readers at a channel, newsletter or subscription.
#: A promo asks the reader to act (an imperative opening the line, or closing it in
#: Azerbaijani); a sentence that merely mentions a channel ("the ministry said on its
#: Telegram channel") is news and stays.
PROMO_LINE_PATTERNS: list[str] = [
    r"(?:stay up-to-date|stay tuned|keep up|follow(?!-)|join|subscribe|get the latest|"
    r"read more)\b.{0,120}\b"
    r"(?:whatsapp|telegram|google news|youtube|instagram|facebook|twitter|x\.com|channel|newsletter)\b.{0,60}",
    r".{0,80}\b(?:whatsapp|telegram|google news|youtube)\b.{0,20}\b(?:channel|kanal\w*|канал\w*)\b"
    r".{0,40}\b(?:izləyin|abunə olun|qoşulun)\W*",
    r".{0,80}(?:@www_trend_az|agency@trend\.az).{0,80}",
    r"(?:bizi|xəbərləri).{0,60}(?:izləyin|abunə olun).{0,40}",
    r"(?:подписывайтесь|подпишитесь|следите за|присоединяйтесь).{0,80}(?:telegram|whatsapp|канал).{0,40}",
]

_NAV_RE = re.compile("|".join(f"(?:{p})" for p in NAV_LINE_PATTERNS), _FLAGS)
_PROMO_RE = re.compile("|".join(f"(?:{p})" for p in PROMO_LINE_PATTERNS), _FLAGS)

#: "Author: Name", "By Name", "Müəllif: Name", "Автор: Name".
BYLINE_RE = re.compile(
    r"^\s*(?:author|by|written by|müəllif|автор|作者)\s*[:：]?\s+"
    r"(?P<name>[^\W\d_][\w'’.\- ]{1,60}?)\s*$",
    _FLAGS,
)

#: A job title that follows a byline in the text flattened from a page.
ROLE_LINE_RE = re.compile(
    r"^\s*(?:editor(?:-in-chief)?|chief editor|deputy editor|managing editor|correspondent|"
    r"staff writer|columnist|reporter|analyst|baş redaktor|главный редактор|корреспондент)"
    r"(?:\s*[,|–-]\s*.{0,60})?$",
    _FLAGS,
)

#: A person's name on a line of its own: two to four capitalised words.
PERSON_NAME_RE = re.compile(
    r"^\s*(?P<name>(?:[A-ZƏÇĞİÖŞÜА-ЯЁ][\w'’\-]+\.?)(?:\s+[A-ZƏÇĞİÖŞÜА-ЯЁ][\w'’\-]+\.?){1,3})\s*$"
)


def is_nav_line(line: str) -> bool:
    """True for a whole line that is site navigation or a sharing widget."""
    s = line.strip()
    return bool(s) and len(s) <= 80 and _NAV_RE.fullmatch(s) is not None


def is_promo_line(line: str) -> bool:
    """True for a line whose only purpose is to advertise a channel or subscription."""
    s = line.strip()
    return bool(s) and len(s) <= 300 and _PROMO_RE.fullmatch(s) is not None


def is_boilerplate_line(line: str) -> bool:
    """True for any line that is never part of an article body."""
    return is_nav_line(line) or is_promo_line(line)


def byline_name(line: str) -> str | None:
    """The author's name when the line is an explicit byline ("Author: X")."""
    m = BYLINE_RE.match(line)
    return m.group("name").strip() if m else None


def is_role_line(line: str) -> bool:
    """True for a job-title line such as "Editor-in-Chief, Trend News Agency"."""
    return ROLE_LINE_RE.match(line) is not None


def person_name(line: str) -> str | None:
    """The name when the line looks like a bare person's name (2-4 capitalised words)."""
    m = PERSON_NAME_RE.match(line)
    return m.group("name") if m else None


_NAME_JOIN_RE = re.compile(r"\s*(?:/|&|,|\band\b|\bund\b|\bet\b|\bi\b|\bи\b|\bvə\b)\s*")


def person_names(line: str) -> list[str] | None:
    """One to three bare names on a line ("Mara Keller/Tom Baines"), else None."""
    if len(line) > 80:
        return None
    parts = _NAME_JOIN_RE.split(line.strip())
    if len(parts) > 3:
        return None
    names = [n for n in map(person_name, parts) if n]
    return names if len(names) == len(parts) else None
