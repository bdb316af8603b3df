"""Local inputs: plain-text exports, saved HTML pages and JSON Lines, optionally gzipped.

Bytes in, records out; the caller does the reading. A file that cannot be an
article (empty, binary, absurdly large for one article) raises
:class:`InputError` with a message meant for the user.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any

from parsers.encoding import decode_text, fix_mojibake, looks_binary
from parsers.record import Article

#: One article exported as text or HTML is never this large; bigger files are refused.
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
#: A JSON Lines file holds many records and may be large; one line may not.
MAX_JSONL_LINE_BYTES = 5 * 1024 * 1024

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


class InputError(ValueError):
    """A local input that cannot be ingested; the message says why, for the user."""


def kind_of(name: str, head: bytes = b"") -> str:
    """Kind of input ("text", "html" or "jsonl"): from the suffix (ignoring .gz), else from the first bytes."""
    path = PurePath(name.lower())
    suffix = path.suffix
    if suffix == ".gz":
        suffix = PurePath(path.stem).suffix
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div")):
        return "html"
    if start.startswith(b"{"):
        return "jsonl"
    return "text"


def gunzip(data: bytes, name: str = "") -> bytes:
    """Decompress, with a clear error for a truncated or corrupt archive."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{name or 'input'}: corrupt or truncated gzip data ({exc})") from exc


def check_article_bytes(data: bytes, name: str) -> None:
    """Refuse what cannot be one article: empty, binary, or too large."""
    if not data.strip():
        raise InputError(f"{name}: empty file")
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(
            f"{name}: {len(data) / 1e6:.1f} MB is too large for one article "
            f"(limit {MAX_ARTICLE_BYTES / 1e6:.0f} MB); split it or export it as JSON Lines"
        )
    if looks_binary(data):
        raise InputError(f"{name}: binary data, not a text, HTML or JSON Lines file")


def repaired(text: str) -> str:
    """Text with UTF-8-read-as-cp1252 runs undone ("AzÉ™rbaycan" -> "Azərbaycan")."""
    return fix_mojibake(text)


def parse_text_file(
    data: bytes, *, name: str, url: str | None = None, source: str | None = None
) -> Article:
    from parsers.text import parse_text_export

    check_article_bytes(data, name)
    decoded = decode_text(data)
    text = repaired(decoded.text)
    art = parse_text_export(text, url=url, source=source)
    art.warnings.extend(decoded.warnings)
    if text != decoded.text:
        art.warnings.append("repaired mojibake (UTF-8 that had been read as cp1252)")
    if decoded.encoding not in ("utf-8", "ascii"):
        art.warnings.append(f"decoded as {decoded.encoding} ({decoded.source})")
    return art


def parse_html_file(
    data: bytes, *, name: str, url: str | None = None, source: str | None = None
) -> Article:
    from parsers.extract import extract

    check_article_bytes(data, name)
    return extract(data, url=url, source=source)


def _record_from_json(obj: Any, *, source: str | None) -> Article:
    """One JSON Lines object: {"url", "title", "text", "published_at", "source", ...}."""
    if not isinstance(obj, dict):
        return Article.failed("a JSON Lines record must be an object")
    if obj.get("html") and not obj.get("text"):
        from parsers.extract import extract

        return extract(obj["html"], url=obj.get("url"), source=obj.get("source") or source)
    text = obj.get("text") or obj.get("body") or obj.get("content") or ""
    if not isinstance(text, str) or not text.strip():
        return Article.failed("record has no text", url=obj.get("url"))
    text = repaired(text)
    from parsers.text import parse_text_export

    art = parse_text_export(
        text,
        url=obj.get("url"),
        source=obj.get("source") or source,
        language=obj.get("language") or None,
    )
    for field_name in ("title", "author", "modified_at", "section", "canonical_url"):
        value = obj.get(field_name)
        if isinstance(value, str) and value.strip():
            art.set(field_name, repaired(value.strip()), "input")
    raw_date = obj.get("published_at")
    if isinstance(raw_date, str | int | float) and str(raw_date).strip():
        from parsers.dates import parse_date

        art.set("published_at", parse_date(str(raw_date)) or str(raw_date).strip(), "input")
    tags = obj.get("tags")
    if isinstance(tags, list):
        art.set("tags", [str(t) for t in tags if str(t).strip()], "input")
    return art


def iter_jsonl(
    lines: Iterable[bytes], *, name: str, source: str | None = None
) -> Iterator[tuple[int, Article]]:
    """(line number, record) for each non-blank line; a bad line yields a failed record."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if len(raw) > MAX_JSONL_LINE_BYTES:
            yield number, Article.failed("line longer than 5 MB")
            continue
        try:
            obj = json.loads(decode_text(raw).text)
        except (json.JSONDecodeError, ValueError) as exc:
            yield number, Article.failed(f"not valid JSON ({exc.args[0]})")
            continue
        yield number, _record_from_json(obj, source=source)
