"""Topics: named boolean queries that tag articles in every script the outlets write.

A topic is a list of term groups. It matches an article when every ``any``/``all``
group matches and no ``none`` group does; with ``proximity = "paragraph"`` the
positive groups must all match inside one paragraph (the title counts as a
paragraph of its own), while a ``none`` group still excludes the whole article.

How a term matches (the rules are in docs/querying.md, with examples):

* Case folding is Turkic-aware: ``I``, ``İ``, ``ı`` and ``i`` are one letter, so
  ``AZƏRBAYCAN``, ``Azərbaycan``, ``ÇİN``, ``Çin`` and ``Azərbaycanın``/``Azərbaycanin`` meet.
  Russian ``ё`` is ``е``.
* Accents are significant: ``Azərbaycan`` does not match ``Azerbaycan`` and ``Çin``
  does not match ``cin`` (folding them would make ``Çin*`` match ``cinayət``, "crime").
  List the ASCII spelling as a separate term when an outlet uses it.
* Latin-script words match whole (``China`` never matches ``Chinatown``). A term whose
  last word has 5+ letters or an Azerbaijani/Turkish letter (ə ı ç ş ğ ö ü) also matches
  with the case and plural endings those languages glue on, optionally after an
  apostrophe: ``Çin`` finds ``Çinin``, ``Çinlə``, ``Çin'in``; ``Azərbaycan`` finds
  ``Azərbaycanın``, ``Azərbaycanda``; ``Azerbaijan`` finds ``Azerbaijani``.
  Short ASCII words (``Xi``, ``Li``, ``Lin``, ``Iran``) stay exact, so ``Lin`` misses ``Linda``.
* Cyrillic words are inflected by ending: a term matches as the start of a word, after
  dropping a final vowel, ``й`` or ``ь`` when at least four letters remain
  (``Китай`` finds ``Китая``, ``Китаю``, ``Китайский``; ``Азербайджан`` finds
  ``Азербайджана``).
* Chinese, Japanese, Korean, Thai... (no spaces between words) match as substrings.
* ``term*`` matches any word that starts with ``term``; ``=term`` matches the exact word
  only (no endings). Spaces inside a term match any run of whitespace.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

MODES = ("any", "all", "none")
PROXIMITIES = ("article", "paragraph")
_TOPIC_KEYS = {"name", "title", "proximity", "groups", "description"}
_GROUP_KEYS = {"mode", "terms"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


# Scripts written without spaces between words: terms match as substrings.
_NO_SPACE_RE = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff]"
)
_CYRILLIC_RE = re.compile("[\u0400-\u052f]")
_TURKIC_LETTERS = set("əƏıİçÇşŞğĞöÖüÜ")
_CYRILLIC_FINAL = set("аяоеёийьыуюэіїє")

# Azerbaijani/Turkish case, plural and derivational endings, written in folded form
# (ı is i). Up to three can stack: Azərbaycan-da-kı, Çin-li-lər-in.
_TURKIC_ENDING = (
    r"(?:l[aeə]r|n?[iuü]n|[nsy]?[iuü]|[ny]?[aeə]|n?[dt][aeə]n?|[iy]?l[aeə]|l[iuü]|k[iuü]"
    r"|[cç][aeə]|m[iuü]z|d[iuü]r)"
)
_ENDINGS = rf"(?:['’ʼ]?{_TURKIC_ENDING}{{1,3}})?"

_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t\r\f\v]*\n")
SNIPPET_BEFORE = 80
SNIPPET_AFTER = 160


def fold(text: str) -> str:
    """Case-fold for matching, NFC first; offsets in the result are offsets in the NFC text.

    Turkic dotted and dotless i collapse to one letter (``İ`` is replaced before
    ``lower()``, which would make it two characters); Russian ``ё`` is written ``е`` half
    the time; Greek final sigma is a sigma. Chained ``replace`` calls are several times
    faster than ``str.translate`` with a table.
    """
    text = unicodedata.normalize("NFC", text)
    folded = _fold_chars(text)
    if len(folded) != len(text):  # another character whose lower case is longer
        folded = "".join(low if len(low := _fold_chars(c)) == 1 else c for c in text)
    return folded


def _fold_chars(text: str) -> str:
    return text.replace("İ", "i").lower().replace("ı", "i").replace("ё", "е").replace("ς", "σ")


@dataclass(frozen=True)
class Group:
    mode: str
    terms: tuple[str, ...]
    #: all terms in one alternation without capture groups (the engine's fast path)
    regex: re.Pattern[str] = field(repr=False, compare=False)
    #: one regex per term, tried only where ``regex`` found something
    term_regexes: tuple[re.Pattern[str], ...] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Topic:
    """A compiled topic; build it with :func:`load_topics` so that it is validated."""

    name: str
    title: str
    proximity: str
    groups: tuple[Group, ...]
    #: the validated definition, as stored in the ``topics`` table
    definition: dict[str, Any] = field(compare=False, hash=False)


@dataclass(frozen=True)
class TopicMatch:
    topic: str
    #: the configured terms that matched, in configuration order
    terms: tuple[str, ...]
    #: a short passage around the match, for a reader deciding whether to open the article
    snippet: str


def term_pattern(term: str) -> str:
    """The regular expression (over folded text) for one configured term."""
    raw = term.strip()
    exact = raw.startswith("=")
    prefix = raw.endswith("*")
    body = raw[1:] if exact else raw
    body = body[:-1] if prefix else body
    body = body.strip()
    if exact and prefix:
        raise ValueError(f"term {term!r}: use either '=' (exact word) or '*' (prefix), not both")
    if not body:
        raise ValueError(f"term {term!r} is empty")
    if "*" in body:
        raise ValueError(f"term {term!r}: '*' is only allowed at the end of a term")
    words = fold(body).split()
    escaped = r"\s+".join(re.escape(w) for w in words)
    if _NO_SPACE_RE.search(body) and not exact:
        return escaped  # no word boundaries in these scripts
    at_word_start = re.match(r"\w", words[0]) is not None
    end = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    if exact:
        return _word_start(escaped, at_word_start) + end
    if prefix:
        return _word_start(escaped, at_word_start)
    last = words[-1]
    last_raw = body.split()[-1]
    if _CYRILLIC_RE.search(last):
        if last[-1] in _CYRILLIC_FINAL and len(last) - 1 >= 4:
            stem = r"\s+".join(re.escape(w) for w in [*words[:-1], last[:-1]])
            return _word_start(stem, at_word_start)
        return _word_start(escaped, at_word_start)
    letters = sum(c.isalpha() for c in last)
    if letters >= 5 or any(c in _TURKIC_LETTERS for c in last_raw):
        return _word_start(escaped, at_word_start) + _ENDINGS + end
    return _word_start(escaped, at_word_start) + end


def _word_start(escaped: str, needed: bool) -> str:
    """Put the "not inside a word" check after the first literal character.

    ``a(?<!\\w.)`` means the same as ``(?<!\\w)a`` but lets the regex engine skip ahead
    to the possible first characters of an alternation: ten times faster on long texts.
    """
    if not needed:
        return escaped
    first = escaped[:2] if escaped.startswith("\\") else escaped[:1]
    return first + r"(?<!\w.)" + escaped[len(first) :]


def _compile_group(topic: str, index: int, mode: str, terms: Sequence[str]) -> Group:
    parts = []
    for term in terms:
        try:
            parts.append(term_pattern(term))
        except ValueError as exc:
            raise ValueError(f"topic {topic!r}: group {index}: {exc}") from None
    return Group(
        mode=mode,
        terms=tuple(terms),
        regex=re.compile("|".join(parts)),
        term_regexes=tuple(re.compile(p) for p in parts),
    )


def load_topics(items: Iterable[dict[str, Any]] | None) -> list[Topic]:
    """Validate and compile ``[[topics]]`` from the configuration; errors name the topic."""
    topics: list[Topic] = []
    seen: set[str] = set()
    for position, item in enumerate(items or [], start=1):
        if not isinstance(item, dict):
            raise ValueError(f"topic #{position}: expected a table, got {type(item).__name__}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"topic #{position}: 'name' is missing")
        label = f"topic {name!r}"
        if not _NAME_RE.match(name):
            raise ValueError(
                f"{label}: the name is used in URLs and commands; use lower-case letters, "
                "digits, '-' and '_' (e.g. 'azerbaijan-china')"
            )
        if name in seen:
            raise ValueError(f"{label} is defined twice")
        seen.add(name)
        unknown = set(item) - _TOPIC_KEYS
        if unknown:
            raise ValueError(
                f"{label}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOPIC_KEYS)}"
            )
        title = item.get("title") or name
        if not isinstance(title, str):
            raise ValueError(f"{label}: 'title' must be a string")
        proximity = item.get("proximity", "article")
        if proximity not in PROXIMITIES:
            raise ValueError(
                f"{label}: proximity must be 'article' or 'paragraph', not {proximity!r}"
            )
        raw_groups = item.get("groups")
        if not isinstance(raw_groups, list) or not raw_groups:
            raise ValueError(f"{label}: needs at least one [[topics.groups]] with terms")
        groups = []
        for g_index, group in enumerate(raw_groups, start=1):
            where = f"{label}: group {g_index}"
            if not isinstance(group, dict):
                raise ValueError(f"{where}: expected a table with 'mode' and 'terms'")
            unknown = set(group) - _GROUP_KEYS
            if unknown:
                raise ValueError(
                    f"{where}: unknown key(s) {sorted(unknown)}; allowed: ['mode', 'terms']"
                )
            mode = group.get("mode", "any")
            if mode not in MODES:
                raise ValueError(f"{where}: mode must be 'any', 'all' or 'none', not {mode!r}")
            terms = group.get("terms")
            if isinstance(terms, str):
                raise ValueError(f"{where}: 'terms' must be a list of strings, not one string")
            if not isinstance(terms, list) or not terms:
                raise ValueError(f"{where}: 'terms' must be a non-empty list of strings")
            if not all(isinstance(t, str) and t.strip() for t in terms):
                raise ValueError(f"{where}: every term must be a non-empty string")
            groups.append(_compile_group(name, g_index, mode, [t.strip() for t in terms]))
        if not any(g.mode != "none" for g in groups):
            raise ValueError(f"{label}: needs at least one group with mode 'any' or 'all'")
        definition = {
            "name": name,
            "title": title,
            "proximity": proximity,
            "groups": [{"mode": g.mode, "terms": list(g.terms)} for g in groups],
        }
        if item.get("description"):
            definition["description"] = str(item["description"])
        topics.append(Topic(name, title, proximity, tuple(groups), definition))
    return topics


class _Doc:
    """An article prepared once for every topic: NFC text, its folded twin, paragraphs."""

    __slots__ = ("text", "folded", "body_start", "_starts")

    def __init__(self, title: str | None, text: str | None) -> None:
        title = unicodedata.normalize("NFC", (title or "").strip())
        body = unicodedata.normalize("NFC", text or "")
        self.text = f"{title}\n\n{body}" if title else body
        self.body_start = len(title) + 2 if title else 0
        self.folded = fold(self.text)
        self._starts: list[int] | None = None

    def paragraph_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in _PARAGRAPH_BREAK_RE.finditer(self.text)]
        return self._starts

    def paragraph_of(self, pos: int) -> int:
        return bisect.bisect_right(self.paragraph_starts(), pos) - 1

    def paragraph_span(self, index: int) -> tuple[int, int]:
        starts = self.paragraph_starts()
        end = starts[index + 1] if index + 1 < len(starts) else len(self.text)
        return starts[index], end


def _hits(group: Group, doc: _Doc) -> dict[int, list[int]]:
    """Term index -> start positions of its matches."""
    found: dict[int, list[int]] = {}
    folded = doc.folded
    for m in group.regex.finditer(folded):
        pos = m.start()
        for i, term_regex in enumerate(group.term_regexes):
            if term_regex.match(folded, pos):
                found.setdefault(i, []).append(pos)
    return found


def _satisfied(group: Group, hits: dict[int, list[int]]) -> bool:
    if group.mode == "all":
        return len(hits) == len(group.terms)
    return bool(hits)


def _snippet(doc: _Doc, pos: int) -> str:
    start, end = doc.paragraph_span(doc.paragraph_of(pos))
    left = max(start, pos - SNIPPET_BEFORE)
    right = min(end, pos + SNIPPET_AFTER)
    text = doc.text
    if left > start:  # begin on a word
        space = text.find(" ", left, pos)
        left = space + 1 if space != -1 else left
    if right < end:
        space = text.rfind(" ", pos, right)
        right = space if space > pos else right
    passage = " ".join(text[left:right].split())
    return ("…" if left > start else "") + passage + ("…" if right < end else "")


def _match(topic: Topic, doc: _Doc) -> TopicMatch | None:
    positive: list[tuple[Group, dict[int, list[int]]]] = []
    for group in topic.groups:
        if group.mode == "none":
            continue
        hits = _hits(group, doc)
        if not _satisfied(group, hits):
            return None  # most articles stop at the first group
        positive.append((group, hits))
    for group in topic.groups:
        if group.mode == "none" and group.regex.search(doc.folded):
            return None

    if topic.proximity == "paragraph":
        by_par: list[dict[int, dict[int, list[int]]]] = []  # per group: paragraph -> hits
        for _group, hits in positive:
            per: dict[int, dict[int, list[int]]] = {}
            for term, positions in hits.items():
                for p in positions:
                    per.setdefault(doc.paragraph_of(p), {}).setdefault(term, []).append(p)
            by_par.append(per)
        common = set(by_par[0])
        for per in by_par[1:]:
            common &= set(per)
        paragraphs = sorted(
            p
            for p in common
            if all(_satisfied(g, per[p]) for (g, _), per in zip(positive, by_par, strict=True))
        )
        if not paragraphs:
            return None
        chosen = set(paragraphs)
        used = [
            (g, {t: [p for p in ps if doc.paragraph_of(p) in chosen] for t, ps in hits.items()})
            for g, hits in positive
        ]
        used = [(g, {t: ps for t, ps in hits.items() if ps}) for g, hits in used]
        # The title is paragraph 0 when there is one; a body paragraph makes a better snippet.
        body = [p for p in paragraphs if not (doc.body_start and p == 0)]
        best = body[0] if body else paragraphs[0]
        pos = min(
            p for _, hits in used for ps in hits.values() for p in ps if doc.paragraph_of(p) == best
        )
    else:
        used = positive
        pos = _best_position(doc, used)

    terms: list[str] = []
    for group, hits in used:
        terms.extend(t for i, t in enumerate(group.terms) if i in hits and t not in terms)
    return TopicMatch(topic=topic.name, terms=tuple(terms), snippet=_snippet(doc, pos))


def _best_position(doc: _Doc, positive: list[tuple[Group, dict[int, list[int]]]]) -> int:
    """Where to cut the snippet: the paragraph where most groups meet, body before title."""
    score: dict[int, set[int]] = {}
    first: dict[int, int] = {}
    for g_index, (_, hits) in enumerate(positive):
        for positions in hits.values():
            for p in positions:
                par = doc.paragraph_of(p)
                score.setdefault(par, set()).add(g_index)
                first[par] = min(first.get(par, p), p)
    in_title = doc.body_start > 0
    best = min(score, key=lambda par: (-len(score[par]), in_title and par == 0, par))
    return first[best]


def match_topic(topic: Topic, title: str | None, text: str | None) -> TopicMatch | None:
    """Does the article belong to the topic; if so, which terms and where."""
    return _match(topic, _Doc(title, text))


def match_all(topics: Sequence[Topic], title: str | None, text: str | None) -> list[TopicMatch]:
    """Every topic the article belongs to; the text is folded once for all of them."""
    doc = _Doc(title, text)
    return [m for m in (_match(t, doc) for t in topics) if m is not None]
