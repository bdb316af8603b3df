"""Local inputs: plain-text exports, saved HTML pages and JSON Lines, optionally gzipped.

Bytes in, records out; the caller does the reading, through the bounded readers
here (:func:`read_limited`, :class:`LineReader`) so that no input, however large
once decompressed, is ever held in memory beyond the limits below. A file that
cannot be an article (empty, binary, absurdly large for one article) raises
:class:`InputError` with a message meant for the user; a bad JSON Lines line
becomes a failed record for that line and never costs its neighbours.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import IO, Any

from parsers.encoding import decode_text, fix_mojibake, looks_binary
from parsers.record import Article
from parsers.urls import url_problem

#: One article exported as text or HTML is never this large (decoded bytes, after gunzip);
#: bigger files are refused.
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
#: A JSON Lines file holds many records and may be large; one line may not.
MAX_JSONL_LINE_BYTES = 5 * 1024 * 1024
#: JSON nested deeper than this is refused before decoding (a record is a flat object;
#: 100,000 levels would exhaust the interpreter's stack).
MAX_JSON_DEPTH = 64
#: Objects and arrays in one JSON Lines record: each costs ~100 bytes once decoded, so a
#: 5 MB line of "[[],[],...]" would otherwise take hundreds of MB.
MAX_JSON_CONTAINERS = 100_000
#: Text fields of a JSON record longer than this are junk, not a title or an author.
MAX_FIELD_CHARS = 2000
MAX_URL_CHARS = 8192

#: Bytes per read call: no single read asks for more than this.
READ_CHUNK = 1024 * 1024

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}

#: What a damaged gzip stream raises, at the start or part-way.
GZIP_ERRORS = (OSError, EOFError, zlib.error)


class InputError(ValueError):
    """A local input that cannot be ingested; the message says why, for the user."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


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


# --------------------------------------------------------------------------- bounded reading


def too_large(name: str, size: str, limit: int = MAX_ARTICLE_BYTES) -> InputError:
    """The error for a file too large to be one article (``size`` says how large)."""
    return InputError(
        f"{name}: {size} is too large for one article (limit {_mb(limit)}); "
        "split it or export it as JSON Lines"
    )


def read_limited(stream: IO[bytes], limit: int, name: str, *, decompressed: bool = False) -> bytes:
    """All of ``stream`` in reads of at most 1 MB; InputError as soon as it passes ``limit``.

    For a gzip stream (``decompressed``) the limit holds on decompressed bytes: a small
    archive that inflates to gigabytes is refused after ``limit`` + 1 bytes, never read whole.
    """
    buf = bytearray()
    while len(buf) <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    if len(buf) > limit:
        del buf
        size = f"more than {_mb(limit)}" + (" once decompressed" if decompressed else "")
        raise too_large(name, size, limit)
    return bytes(buf)


def gunzip(data: bytes, name: str = "", limit: int = MAX_ARTICLE_BYTES) -> bytes:
    """Decompress, at most ``limit`` bytes, with a clear error for a corrupt or truncated archive."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            return read_limited(stream, limit, name or "input", decompressed=True)
    except GZIP_ERRORS as exc:
        raise InputError(f"{name or 'input'}: corrupt or truncated gzip data ({exc})") from exc


class LineReader:
    """The lines of a binary stream, never holding more than ``limit`` + 1 bytes of one.

    A line longer than ``limit`` comes out as its first ``limit`` + 1 bytes (no newline,
    so :func:`iter_jsonl` refuses it) and the rest of it is skipped up to the next newline
    in bounded reads. ``count`` is the number of lines read so far. Errors of the stream
    (a gzip archive damaged part-way) propagate to the caller.
    """

    def __init__(self, stream: IO[bytes], limit: int = MAX_JSONL_LINE_BYTES) -> None:
        self.stream = stream
        self.limit = limit
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.stream.readline(self.limit + 1)
            if not line:
                return
            self.count += 1
            yield line
            if len(line) > self.limit and not line.endswith(b"\n"):
                while True:  # skip the rest of the over-long line
                    rest = self.stream.readline(READ_CHUNK)
                    if not rest or rest.endswith(b"\n"):
                        break


# --------------------------------------------------------------------------- text and HTML


def check_article_bytes(data: bytes, name: str) -> None:
    """Refuse what cannot be one article: empty, binary, or too large."""
    if not data or data.isspace():
        raise InputError(f"{name}: empty file")
    if len(data) > MAX_ARTICLE_BYTES:
        raise too_large(name, f"{len(data) / (1024 * 1024):.1f} MB")
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


# --------------------------------------------------------------------------- JSON Lines

#: A JSON string (an unterminated one runs to the end of the line), then what is not a bracket.
_JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|$)', re.S)
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
#: json.loads pairs valid surrogates, so any left is a lone one.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def json_shape_problem(text: str) -> str | None:
    """Why a JSON text is refused before decoding (too deep, too many containers), or None."""
    opening = text.count("[") + text.count("{")
    if opening <= MAX_JSON_DEPTH:
        return None
    brackets = _NOT_BRACKET_RE.sub("", _JSON_STRING_RE.sub("", text))
    depth = containers = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            containers += 1
            if depth > MAX_JSON_DEPTH:
                return f"JSON nested deeper than {MAX_JSON_DEPTH} levels; not read"
        else:
            depth -= 1
    if containers > MAX_JSON_CONTAINERS:
        return f"more than {MAX_JSON_CONTAINERS:,} JSON objects and arrays in one record; not read"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _valid_unicode(text: str) -> str:
    """``text`` with lone surrogates ("\\ud800" is valid JSON, not storable) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", text)
    return text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(text[:60] + "…" if len(text) > 60 else text)


class _Fields:
    """Typed access to the known fields of one JSON record, noting what was dropped."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self.warnings: list[str] = []

    def text(self, key: str, *, max_chars: int = MAX_FIELD_CHARS) -> str | None:
        value = self.obj.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.warnings.append(f"{key}: expected text, got {_json_type(value)}; ignored")
            return None
        value = _valid_unicode(value).strip()
        if len(value) > max_chars:
            self.warnings.append(f"{key}: longer than {max_chars:,} characters; ignored")
            return None
        return value or None

    def url(self, key: str) -> str | None:
        """A web address (http or https); anything else (``javascript:``, a bad port) is
        dropped with a warning, so that it never becomes a link."""
        value = self.text(key, max_chars=MAX_URL_CHARS)
        if value is None:
            return None
        problem = url_problem(value)
        if problem:
            self.warnings.append(f"{key}: {problem}; ignored")
            return None
        return value

    def date(self, key: str) -> str | None:
        from parsers.dates import parse_date

        raw = self.obj.get(key)
        if raw is None or raw == "":
            return None
        text: str | None = None
        if isinstance(raw, str):
            text = _valid_unicode(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**15:
            text = str(raw)  # Unix time, seconds or milliseconds
        elif isinstance(raw, float) and math.isfinite(raw) and abs(raw) < 1e15:
            text = str(int(raw)) if raw.is_integer() else repr(raw)
        try:
            iso = parse_date(text) if text else None
        except Exception:  # noqa: BLE001 - an odd date is dropped, never fatal
            iso = None
        if iso is None:
            self.warnings.append(f"{key}: {_short(raw)} is not a date; dropped")
        return iso

    def language(self) -> str | None:
        value = self.text("language", max_chars=35)
        if value and not _LANGUAGE_RE.fullmatch(value):
            self.warnings.append(f"language: {_short(value)} is not a language code; ignored")
            return None
        return value

    def tags(self) -> list[str]:
        value = self.obj.get("tags")
        if value is None or value == []:
            return []
        if not isinstance(value, list):
            self.warnings.append(f"tags: expected a list, got {_json_type(value)}; ignored")
            return []
        tags = [
            t.strip()
            for t in (_valid_unicode(v) for v in value if isinstance(v, str))
            if t.strip() and len(t) <= MAX_FIELD_CHARS
        ]
        if len(tags) < len(value):
            self.warnings.append(
                f"tags: {len(value) - len(tags)} value(s) ignored (not text, blank or too long)"
            )
        return list(dict.fromkeys(tags))


def _record_from_json(obj: Any, *, source: str | None) -> Article:
    """One JSON Lines object: {"url", "title", "text", "published_at", "source", ...}.

    Known fields of the wrong type or shape are ignored with a warning on the record
    (``art.warnings``), never stored as they are.
    """
    if not isinstance(obj, dict):
        return Article.failed(f"a JSON Lines record must be an object, not {_json_type(obj)}")
    f = _Fields(obj)
    url = f.url("url")
    src = f.text("source") or source
    text = None
    for key in ("text", "body", "content"):
        text = f.text(key, max_chars=MAX_JSONL_LINE_BYTES)
        if text:
            break
    html = None if text else f.text("html", max_chars=MAX_JSONL_LINE_BYTES)
    language = f.language()
    if html:
        from parsers.extract import extract

        art = extract(html, url=url, source=src)
        art.set("language", language, "input")
    elif not text:
        return Article.failed("record has no text", url=url, warnings=f.warnings)
    else:
        from parsers.text import parse_text_export

        art = parse_text_export(repaired(text), url=url, source=src, language=language)
    if not art.ok:
        art.warnings.extend(f.warnings)
        return art
    for field_name in ("title", "author", "section"):
        value = f.text(field_name)
        if value:
            art.set(field_name, repaired(value), "input")
    art.set("canonical_url", f.url("canonical_url"), "input")
    for field_name in ("published_at", "modified_at"):
        art.set(field_name, f.date(field_name), "input")
    art.set("tags", f.tags(), "input")
    art.warnings.extend(f.warnings)
    return art


def _line_record(raw: bytes, *, source: str | None) -> Article:
    size = len(raw) - raw.endswith(b"\n")
    if size > MAX_JSONL_LINE_BYTES:
        return Article.failed(f"line longer than {_mb(MAX_JSONL_LINE_BYTES)}; not read")
    text = decode_text(raw).text
    problem = json_shape_problem(text)
    if problem:
        return Article.failed(problem)
    try:
        obj = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        return Article.failed(f"not valid JSON ({str(exc)[:200]})")
    return _record_from_json(obj, source=source)


def iter_jsonl(
    lines: Iterable[bytes], *, name: str, source: str | None = None
) -> Iterator[tuple[int, Article]]:
    """(line number, record) for each non-blank line; a bad line yields a failed record.

    Nothing about one line's content raises: a line that is too long, too deeply nested,
    not JSON, not an object, or trips anything unexpected costs only itself. Errors of
    ``lines`` itself (a read failing part-way) propagate.
    """
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            art = _line_record(raw, source=source)
        except RecursionError:
            art = Article.failed("record nested too deeply to read")
        except Exception as exc:  # noqa: BLE001 - one bad line never costs its neighbours
            art = Article.failed(f"could not read this record ({type(exc).__name__}: {exc})"[:300])
        yield number, art
