"""The one article record every stage of newsmon passes along.

Parsers produce it, dedup and the store consume it. Each field that a parser
fills also says where it came from (``provenance``), so that an analyst can see
why a title or a date is what it is.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class BodyBlock(NamedTuple):
    """One paragraph of a body as extracted, with what the per-source learner keys it by
    (parsers/learned.py): the structural ``path`` of the element it came from and its
    ``template`` (link texts and dates masked). ``key`` is "" for a paragraph never learned."""

    key: str
    path: str
    template: str
    text: str
    #: looser keys of a short line, (key, template): its opening words or its closing words
    #: with the rest masked ("reporting by ⟨…⟩", "⟨…⟩ contributed to this report")
    frames: tuple[tuple[str, str], ...] = ()


#: Fields of the record that carry article content (as opposed to bookkeeping).
CONTENT_FIELDS = (
    "url",
    "canonical_url",
    "source",
    "title",
    "author",
    "published_at",
    "modified_at",
    "section",
    "language",
    "text",
    "tags",
)


@dataclass
class Article:
    """A clean article, or a failed attempt at one (``status == "failed"``).

    ``published_at`` is ISO 8601: ``2025-04-22T20:20:00+04:00`` when the time and
    its offset are known, ``2025-04-22`` when only the day is known.
    ``text`` holds the clean body, paragraphs separated by one blank line.
    """

    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    section: str | None = None
    language: str | None = None
    text: str = ""
    tags: list[str] = field(default_factory=list)
    #: field name -> where its value came from ("json-ld", "meta:og:title", "text:byline", ...)
    provenance: dict[str, str] = field(default_factory=dict)
    #: "article", "listing", "product", ... (non-articles are not stored as articles)
    page_type: str = "article"
    #: "ok" or "failed"; a failed record carries ``error`` and is never stored as an article
    status: str = "ok"
    error: str | None = None
    #: True when the body looks like a teaser or was cut off (paywall, truncated page)
    truncated: bool = False
    #: free-form notes from the parser (e.g. "encoding: declared gb2312, decoded utf-8")
    warnings: list[str] = field(default_factory=list)
    #: the body's paragraphs before learned boilerplate was removed, with their keys
    #: (for the per-source learner; not stored and not in ``to_dict``)
    blocks: list[BodyBlock] = field(default_factory=list, repr=False, compare=False)

    def set(self, name: str, value: Any, origin: str) -> None:
        """Set a field and record its provenance in one step (skips empty values)."""
        if value is None or value == "" or value == []:
            return
        setattr(self, name, value)
        self.provenance[name] = origin

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("blocks", None)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def failed(cls, reason: str, **known: Any) -> Article:
        """A record that says why a page could not be parsed, instead of raising."""
        return cls(status="failed", error=reason, **known)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
