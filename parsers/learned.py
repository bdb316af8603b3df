"""Boilerplate learned from a source's own pages: the blocks that recur across many of them.

An outlet repeats its boilerplate ("READ ALSO: <a linked headline>", a newsletter box, a
reproduction notice) on page after page; its articles do not repeat each other. Each
paragraph of an extracted body gets a key: the structural path of the element it came
from (tag and classes of it and its parent) and its text template (lower-cased, the text
of links and any date or time masked, so that "READ ALSO: <another headline>" is one
template). A :class:`SourceModel` counts on how many distinct pages, and on what share
of the source's recent pages, each key was seen; a key seen often enough is boilerplate
and :meth:`SourceModel.clean` removes it from a record.

Pure: the store keeps the model (store/boilerplate.py), the flows learn from each batch
before storing it, and nothing here touches a database or the network.

Guard rails (docs/profiles.md): a block is removed only when it was seen on at least
``MIN_PAGES`` distinct pages and on at least ``MIN_SHARE`` of the source's recent pages;
a removal never takes more than ``MAX_REMOVED_SHARE`` of a body; a dateline, a paragraph
quoting someone and a long paragraph with figures stay; a block a user listed in the
source's ``keep_blocks`` stays; pages of one story seen twice in a batch count once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from parsers.date_words import MONTHS
from parsers.record import Article, BodyBlock

__all__ = [
    "MASK",
    "LearnedBlock",
    "SourceModel",
    "body_blocks",
    "keep_texts",
    "text_blocks",
]

#: Stands for a variable part of a block: a link's text, a date, a time.
MASK = "⟨⟩"
#: Stands for any value after a label ("Tags: ⟨…⟩"): a looser template than ``MASK``.
MASK_ANY = "⟨…⟩"
#: The key of a line that is a few words and a link, whatever the words (per path).
LINK_LINE = "… ⟨⟩"
#: A block must recur on this many distinct pages before it is removed...
MIN_PAGES = 3
#: ...and on this share of the source's recent pages (weighted by recency).
MIN_SHARE = 0.1
#: A block that is nothing but masked parts (a bare linked headline) or a label with any
#: value ("Tags: …") needs this share.
MIN_SHARE_LOOSE = 0.25
#: A short line's place ("⟨…⟩ @ div.credit") needs this share.
MIN_SHARE_PLACE = 0.15
#: Learned removals never take more than this share of a body's characters.
MAX_REMOVED_SHARE = 0.5
#: Recency: a page's weight halves every this many pages of the source.
HALF_LIFE_PAGES = 100
#: A block not seen for this many pages of its source is forgotten once it is rare
#: (a block seen on one page only: always).
FORGET_AFTER_PAGES = 300
FORGET_SHARE = 0.02
#: Two pages of one batch sharing this share of their blocks are one story, counted once.
SAME_STORY = 0.8
#: Paragraphs longer than this are never keyed: boilerplate is short.
MAX_BLOCK_CHARS = 600
#: A line opening with a label and a value this short ("Tags: …", "Müəllif: …") is
#: compared by its label alone (a list item, "- Memory: 8 GB", is not a label line).
LABEL_VALUE_WORDS = 12
#: A line of at most this many words, in a place of its own, also counts by its place.
PLACE_WORDS = 12
#: Paragraphs this long show where a page's content is (no line there counts by place).
CONTENT_WORDS = 20
#: The template of a place key: any text at that place.
PLACE = f"{MASK_ANY} @"
#: Words in quotation marks that make a paragraph a quotation (which always stays).
QUOTE_WORDS = 4
#: Frames count in the first and the last paragraphs of a body only.
EDGE_FIRST = 2
EDGE_LAST = 3
#: Lines of this many words also count by their opening and closing words (``_frames``).
FRAME_MIN_WORDS = 3
FRAME_MAX_WORDS = 10
#: Longer paragraphs are compared word for word, without masking dates.
MAX_TEMPLATE_CHARS = 300
#: A model keeps at most this many blocks per source (oldest rare ones go first).
MAX_BLOCKS = 5000

_DECAY = 0.5 ** (1 / HALF_LIFE_PAGES)
_DIGIT = re.compile(r"\d")
_MASKS = re.compile(rf"{MASK}(?:[\s,;:|/·•.–—-]*{MASK})+")
_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}(?::\d{2})?)(?!\d)"
)
_MONTH_WORDS = frozenset(m for table in MONTHS.values() for m in table if len(m) >= 3)
#: "12 may 2025", "may 12, 2025", "12 fevral": a word next to a number; masked when the
#: word is a month name (checked in Python: one alternation of every month name in every
#: language would be tried at each position of each paragraph).
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_CODE = re.compile(
    r"[{}]|[;(]\s*$|=>|^\s*(?:import|export|return|const|let|var|def|fn|function|class)\b"
)
_BULLET = re.compile(r"^\s*[-–•*·▪]\s")
#: Elements with a paragraph's length of text; an element with many children is a
#: container, never one paragraph, and its (long) text is not measured.
_BY_LENGTH = etree.XPath(
    "descendant::*[not(*[9])]"
    "[contains($lengths, concat(',', string-length(normalize-space(.)), ','))]"
)
_NOT_PLACES = frozenset("h1 h2 h3 h4 h5 h6 li dl dt dd table blockquote pre code q".split())
_SENTENCE_END = re.compile(r"[.!?…»\"”]\s*$")
_LINK_LINE = re.compile(rf"^([^⟨]{{0,60}}?)\s*{MASK}[\s»→›.!:]*$")
_LABEL = re.compile(r"([^\W\d_][^:：.!?]{1,38}?)\s*[:：]\s*\S")
_DAY_MONTH = re.compile(r"(?<!\w)\d{1,2}\.?\s*([^\W\d_]{3,})\.?(?:,?\s*\d{4})?(?!\w)")
_MONTH_DAY = re.compile(r"(?<!\w)([^\W\d_]{3,})\.?\s*\d{1,2}(?:,?\s*\d{4})?(?!\w)")
_SKIP = frozenset("script style noscript template svg button select option input".split())
_COMBINING = re.compile(r"[\u0300-\u036f]")
_QUOTE = re.compile(r'[“«„"]([^“”«»„"]{20,})[”»“"]')
_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------- keys


def _norm(text: str) -> str:
    return " ".join(text.split())


def template_of(text: str) -> str:
    """The text a block is compared by: NFKC, folded, dates and times masked."""
    t = _fold(text)
    if _DIGIT.search(t):
        t = _NUMERIC_DATE.sub(MASK, t)
        t = _MONTH_DAY.sub(_month_date, _DAY_MONTH.sub(_month_date, t))
    t = _MASKS.sub(MASK, _norm(t))
    return t[:300]


def _fold(text: str) -> str:
    """``date_words.fold`` at C speed: lower-case without diacritics, NFKC first."""
    t = unicodedata.normalize("NFKC", text).replace("İ", "i").replace("I", "i").replace("ı", "i")
    return _COMBINING.sub("", unicodedata.normalize("NFKD", t.lower()))


def keep_texts(texts: Iterable[str]) -> tuple[str, ...]:
    """A user's ``keep_blocks`` as :meth:`SourceModel.clean` compares them."""
    return tuple(k for k in (_fold(_norm(t)) for t in texts) if k)


def _month_date(m: re.Match[str]) -> str:
    word = m.group(1)
    return MASK if word in _MONTH_WORDS else m.group(0)


def _key(path: str, template: str) -> str:
    return hashlib.blake2b(f"{path}\n{template}".encode(), digest_size=8).hexdigest()


def _block(path: str, masked: str, text: str) -> BodyBlock:
    if not text or len(text) > MAX_BLOCK_CHARS or _CODE.search(text):
        # Code lines recur across a site's samples ("try {", "return (") and are content.
        return BodyBlock("", path, "", text)
    if len(masked) > MAX_TEMPLATE_CHARS:
        # Long: compared as it is (only a word-for-word repeat is boilerplate).
        template = masked.lower()
        return BodyBlock(_key(path, template), path, template[:300], text)
    template = template_of(masked)
    labelled: tuple[tuple[str, str], ...] = ()
    label = _LABEL.match(template)
    if (
        label
        and len(label.group(1).split()) <= 4
        and len(template[label.end() - 1 :].split()) <= LABEL_VALUE_WORDS
        and not _BULLET.match(template)
    ):
        # "Topics: …", "Müəllif: …", "Текст: …": a label whose value changes from page to
        # page is one block of the outlet's template (its words still count as they are).
        framed = f"{label.group(1).strip()}: {MASK_ANY}"
        if template != framed.replace(MASK_ANY, MASK):
            labelled = ((_key(path, framed), framed),)
    if not template or not any(ch.isalnum() for ch in template.replace(MASK, "")):
        if MASK not in template:
            return BodyBlock("", path, "", text)
    lead = _LINK_LINE.match(template)
    tag = path.rsplit(">", 1)[-1].split(".", 1)[0]
    if path != "text" and tag not in _HEADINGS and lead and len(lead.group(1).split()) <= 5:
        # A few words and a link ("READ ALSO: …", "Don't miss »", a related headline): an
        # outlet words these lines several ways in one place; one block per place.
        return BodyBlock(_key(path, LINK_LINE), path, template, text)
    frames = labelled + _frames(path, template)
    return BodyBlock(_key(path, template), path, template, text, frames)


def _frames(path: str, template: str) -> tuple[tuple[str, str], ...]:
    """The opening and the closing words of a short line, each with the rest masked: an
    author or credit line whose name changes from page to page is one of these."""
    words = template.split()
    if not FRAME_MIN_WORDS <= len(words) <= FRAME_MAX_WORDS or MASK_ANY in template:
        return ()
    out = []
    for frame in (f"{' '.join(words[:2])} {MASK_ANY}", f"{MASK_ANY} {' '.join(words[-3:])}"):
        if any(ch.isalpha() for ch in frame.replace(MASK_ANY, "").replace(MASK, "")):
            out.append((_key(path, frame), frame))
    return tuple(out)


def _edge_frames(block: BodyBlock, index: int, last: int) -> tuple[tuple[str, str], ...]:
    """A line's frames count only at the edges of a body, where bylines, credits and tag
    lines sit; inside it, lines that open alike ("What is …", "- No …") are content."""
    if index < EDGE_FIRST or index >= last:
        return block.frames
    # A label line ("Photo: …") and a place count anywhere.
    return tuple(
        f for f in block.frames if f[1].startswith(PLACE) or f[1].endswith(f": {MASK_ANY}")
    )


def text_blocks(text: str) -> list[BodyBlock]:
    """Blocks of a body known only as text (a plain-text export, a JSON Lines record)."""
    return [_block("text", p, p) for p in (_norm(x) for x in text.split("\n\n")) if p]


def _step(el: HtmlElement) -> str:
    classes = sorted(set(_DIGIT.sub("0", (el.get("class") or "")).split()))[:3]
    return el.tag + "".join(f".{c}" for c in classes)


def _path(el: HtmlElement) -> str:
    parent = el.getparent()
    own = _step(el)
    return f"{_step(parent)}>{own}" if parent is not None else own


def _elsewhere(link: HtmlElement) -> bool:
    """A link to another page: its text changes with the page it points to. An anchor in
    the page ("#section", a heading's "¶") is part of the text."""
    href = (link.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:"))


def _masked_text(el: HtmlElement) -> str:
    """The element's text with each link's text replaced by the mask."""
    out: list[str] = []

    def walk(node: HtmlElement, depth: int) -> None:
        if node.text:
            out.append(node.text)
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in _SKIP:
                if tag == "a" and _elsewhere(child):
                    if "".join(child.itertext()).strip():
                        out.append(f" {MASK} ")
                elif depth < 30:
                    walk(child, depth + 1)
                else:
                    out.append("".join(child.itertext()))
            if child.tail:
                out.append(child.tail)

    walk(el, 0)
    return "".join(out)


def body_blocks(root: HtmlElement, paragraphs: Sequence[str]) -> list[BodyBlock]:
    """Key each paragraph of a body, with what the page element it came from adds.

    The element is the innermost one whose text is the paragraph; one XPath pass picks
    the elements whose text has the length of a paragraph, so the page is walked in C
    once. A paragraph with links to other pages is keyed by its element's path and its
    template with the link texts masked; any other by its text alone ("text" path). A
    short line in a place of its own (an element with a class, not where the body's long
    paragraphs are) also counts by that place: a caption or a credit line whose words
    change from page to page. A paragraph no element matches is keyed by its text.
    """
    wanted = {_norm(p) for p in paragraphs if p and len(p) <= MAX_BLOCK_CHARS}
    elements: dict[str, HtmlElement] = {}
    if wanted:
        body = root.find(".//body")
        lengths = "," + ",".join(str(n) for n in {len(w) for w in wanted}) + ","
        for el in _BY_LENGTH(body if body is not None else root, lengths=lengths):
            if isinstance(el.tag, str) and el.tag not in _SKIP:
                norm = _norm(el.text_content())
                if norm in wanted:
                    elements[norm] = el  # document order: the innermost comes last
    paths = {norm: _path(el) for norm, el in elements.items()}
    content = {paths[n] for n in paths if len(n.split()) >= CONTENT_WORDS}
    out = []
    for p in paragraphs:
        norm = _norm(p)
        el = elements.get(norm)
        if el is None:
            out.append(_block("text", p, p))
            continue
        path = paths[norm]
        if el.tag == "a" and _elsewhere(el):
            block = _block(path, MASK, norm)._replace(text=p)  # the paragraph is a link
        elif any(_elsewhere(a) for a in el.iter("a")):
            block = _block(path, _masked_text(el), norm)._replace(text=p)
        else:
            block = _block("text", p, p)
        if block.key and path not in content and _own_place(el, path, norm):
            frame = f"{PLACE} {path}"
            block = block._replace(frames=(*block.frames, (_key(path, frame), frame)))
        out.append(block)
    return out


def _own_place(el: HtmlElement, path: str, text: str) -> bool:
    """A short line, not a sentence, in an element a class sets apart (its own or its
    parent's), neither in nor being a heading, list, table, code or quotation."""
    return (
        "." in path
        and el.tag not in _NOT_PLACES
        and len(text.split()) <= PLACE_WORDS
        and not _SENTENCE_END.search(text)
        and next(el.iterancestors(*_NOT_PLACES), None) is None
    )


# --------------------------------------------------------------------------- the model


@dataclass
class LearnedBlock:
    """A block of one source and how often its pages carried it."""

    key: str
    path: str
    template: str
    example: str
    #: distinct pages it was seen on
    pages: int = 0
    #: recency-weighted count of those pages, as of page number ``seen_at``
    weight: float = 0.0
    #: the source's page number (``SourceModel.observed``) when it was last seen
    seen_at: int = 0
    first_seen: str = ""
    last_seen: str = ""


def _total(n: int) -> float:
    """The weight of every page of a source after ``n`` pages."""
    return (1 - _DECAY**n) / (1 - _DECAY) if n > 0 else 0.0


@dataclass
class SourceModel:
    """What one source's pages repeat; learned by :meth:`learn`, applied by :meth:`clean`."""

    source: str
    #: pages of the source seen so far
    observed: int = 0
    blocks: dict[str, LearnedBlock] = field(default_factory=dict)
    #: blocks a user keeps whatever was learned (``keep_blocks``), folded
    keep: tuple[str, ...] = ()
    #: keys changed or forgotten since the model was loaded (what the store writes)
    changed: set[str] = field(default_factory=set, repr=False)
    forgotten: set[str] = field(default_factory=set, repr=False)

    def share(self, block: LearnedBlock) -> float:
        """The share of the source's recent pages that carry ``block``."""
        total = _total(self.observed)
        if not total:
            return 0.0
        return min(1.0, block.weight * _DECAY ** (self.observed - block.seen_at) / total)

    def is_boilerplate(self, block: LearnedBlock) -> bool:
        if block.pages < MIN_PAGES:
            return False
        bare = not any(ch.isalnum() for ch in block.template.replace(MASK, ""))
        if block.template.startswith(PLACE):
            # A place where the extractor kept the line on some pages and dropped it on
            # others is seen on fewer pages than it is on.
            return self.share(block) >= MIN_SHARE_PLACE
        loose = block.template.endswith(MASK_ANY) or block.template.startswith(MASK_ANY)
        if loose or (bare and block.path == "text"):
            # A bare link or a label with any value: looser templates, more evidence.
            return self.share(block) >= MIN_SHARE_LOOSE
        return self.share(block) >= MIN_SHARE

    def learned(self) -> list[LearnedBlock]:
        """The blocks removed today, most common first."""
        found = [b for b in self.blocks.values() if self.is_boilerplate(b)]
        return sorted(found, key=lambda b: (-self.share(b), b.first_seen))

    # ----------------------------------------------------------------- learning
    def learn(self, pages: Iterable[Sequence[BodyBlock]], now: str) -> int:
        """Count the blocks of new pages of the source; returns the pages counted.

        A page sharing most of its long paragraphs with a page counted in this call is the
        same story again (a second URL, a syndicated copy) and is not counted twice.
        """
        seen: list[frozenset[str]] = []
        counted = 0
        for blocks in pages:
            if not any(b.key for b in blocks):
                continue
            # A story is told by its long paragraphs (boilerplate is mostly short lines).
            story = frozenset(b.key for b in blocks if b.key and len(b.text.split()) >= 12)
            if story and any(len(story & o) >= SAME_STORY * len(story | o) for o in seen):
                continue
            seen.append(story)
            self.observed += 1
            counted += 1
            last = len(blocks) - EDGE_LAST
            keyed = {
                key: (b, template)
                for i, b in enumerate(blocks)
                if b.key
                for key, template in ((b.key, b.template), *_edge_frames(b, i, last))
            }
            for key, (b, template) in keyed.items():
                lb = self.blocks.get(key)
                if lb is None:
                    lb = self.blocks[key] = LearnedBlock(
                        key, b.path, template, b.text[:300], first_seen=now
                    )
                    self.forgotten.discard(key)
                lb.weight = lb.weight * _DECAY ** (self.observed - lb.seen_at) + 1
                lb.seen_at = self.observed
                lb.pages += 1
                lb.last_seen = now
                self.changed.add(key)
        if counted:
            self._forget()
        return counted

    def _forget(self) -> None:
        stale = [
            k
            for k, b in self.blocks.items()
            if self.observed - b.seen_at > FORGET_AFTER_PAGES
            and (b.pages < 2 or self.share(b) < FORGET_SHARE)
        ]
        extra = len(self.blocks) - len(stale) - MAX_BLOCKS
        if extra > 0:
            going = set(stale)
            rare = sorted(
                (b for k, b in self.blocks.items() if k not in going),
                key=lambda b: (b.pages, b.seen_at),
            )
            stale += [b.key for b in rare[:extra]]
        for k in stale:
            del self.blocks[k]
            self.changed.discard(k)
            self.forgotten.add(k)

    # ----------------------------------------------------------------- applying
    def _kept(self, text: str) -> bool:
        low = _fold(_norm(text))
        return any(k in low for k in self.keep)

    def clean(self, art: Article) -> Article:
        """Remove the learned boilerplate from a record's body (in place; returns it).

        Works from the paragraphs as extracted (``art.blocks``), so cleaning again with a
        better model starts from the same text. What was removed, and why, goes to
        ``provenance["boilerplate"]``; a removal held back by the size guard to ``warnings``.
        """
        blocks = art.blocks
        cleaned_before = "boilerplate" in art.provenance
        if not blocks or not (cleaned_before or "\n\n".join(b.text for b in blocks) == art.text):
            # No page behind the record, or a text changed since: key what it is now.
            blocks = art.blocks = text_blocks(art.text or "")
        art.provenance.pop("boilerplate", None)
        art.text = "\n\n".join(b.text for b in blocks)
        if not blocks or not self.blocks:
            return art
        candidates: list[tuple[float, int, LearnedBlock]] = []
        for i, b in enumerate(blocks):
            if not b.key:
                continue
            found = [
                lb
                for key in (b.key, *(k for k, _ in _edge_frames(b, i, len(blocks) - EDGE_LAST)))
                if (lb := self.blocks.get(key)) is not None and self.is_boilerplate(lb)
            ]
            if not found or self._kept(b.text) or protected(b, i):
                continue
            lb = max(found, key=self.share)
            candidates.append((self.share(lb), i, lb))
        if not candidates:
            return art
        total = sum(len(b.text) for b in blocks) or 1
        budget = MAX_REMOVED_SHARE * total
        removed: dict[int, LearnedBlock] = {}
        held = 0
        for _share, i, lb in sorted(candidates, key=lambda c: (-c[0], c[1])):
            size = len(blocks[i].text)
            if size <= budget:
                budget -= size
                removed[i] = lb
            else:
                held += 1
        if held:
            note = (
                f"boilerplate: {held} learned block(s) kept, removing them would take more "
                f"than {MAX_REMOVED_SHARE:.0%} of the body"
            )
            art.warnings = [w for w in art.warnings if not w.startswith("boilerplate: ")]
            art.warnings.append(note)
        if not removed:
            return art
        art.text = "\n\n".join(b.text for i, b in enumerate(blocks) if i not in removed)
        notes = [
            f"{_short(blocks[i].text)!r} ({lb.pages} of {self.observed} pages)"
            for i, lb in sorted(removed.items())
        ]
        art.provenance["boilerplate"] = (
            f"learned from {self.source}: removed {len(removed)} block(s): " + "; ".join(notes)
        )[:1000]
        return art


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


_DATELINE = re.compile(r"^[^\W\d_]{3,}(?:[ -][^\W\d_]+){0,3}\s*(?:,|\(|—|–|-)")


def protected(block: BodyBlock, index: int) -> bool:
    """Paragraphs that stay whatever recurs: a dateline opening the body, a quotation
    (some words in quotation marks: «Outlet Name» is a name, not a quotation), a long
    paragraph with figures (the facts of a story)."""
    text = block.text
    if index <= 1 and len(text) <= 200:
        m = _DATELINE.match(text)
        if m and m.group(0).split()[0].rstrip(",(—–-").isupper():
            return True
    # A quotation in the paragraph's own words (a quoted headline in a link is not one).
    said = block.template or text
    quoted = [q for q in _QUOTE.findall(said) if len(_WORD.findall(q)) >= QUOTE_WORDS]
    if quoted and len(_WORD.findall(said)) >= 8:
        return True
    words = len(_WORD.findall(text))
    return words >= 25 and bool(_DIGIT.search(text)) and MASK not in block.template
