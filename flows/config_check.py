"""Checking one configured value at a time, and saying what is wrong with it and where.

``Checker`` collects messages rather than raising, so that one run reports every
mistake; each message starts with the file, the line (from ``LineIndex``) and the
dotted path of the value (``newsmon.toml:14: sources[2].feeds[0]: ...``). The wording
helpers keep huge or hostile values short in a message.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from flows.config_limits import MAX_URL_LENGTH
from flows.config_lines import LineIndex
from parsers.urls import url_problem


class Checker:
    """Typed checks of configured values: each returns the value, or None and a message."""

    def __init__(self, path: str, index: LineIndex) -> None:
        self.path = path
        self.index = index
        self.messages: list[str] = []

    def error(self, where: tuple, message: str, value: Any = None) -> None:
        line = self.index.line_of(where, value)
        self.messages.append(f"{self.path}:{line}: {_dotted(where)}: {message}")

    def unknown(self, where: tuple, table: dict, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                hint = _closest(key, allowed)
                more = f" (did you mean '{hint}'?)" if hint else ""
                self.error((*where, key), f"unknown key {shorten(key)!r}{more}")

    def string(self, where: tuple, value: Any, *, empty_ok: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(where, f"expected a string, got {kind_of(value)}")
            return None
        if not empty_ok and not value.strip():
            self.error(where, "must not be empty")
            return None
        return value

    def plain(self, where: tuple, value: Any) -> str | None:
        """A string without control characters (a path, a header value)."""
        text = self.string(where, value)
        if text is not None and _has_control(text):
            self.error(where, f"{shorten(text)!r} contains a control character (tab, newline...)")
            return None
        return text

    def boolean(self, where: tuple, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.error(where, f"expected true or false, got {kind_of(value)}")
            return None
        return value

    def integer(self, where: tuple, value: Any, *, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(where, f"expected an integer, got {kind_of(value)}")
            return None
        what = f"an integer between {minimum} and {maximum}"
        if isinstance(value, float):
            self.error(where, f"expected {what}, got {_show(value)}")
            return None
        if value < minimum:
            self.error(where, f"must be at least {minimum} ({what}), got {_show(value)}")
            return None
        if value > maximum:
            self.error(where, f"must be {what}, got {_show(value)}")
            return None
        return value

    def number(
        self, where: tuple, value: Any, *, minimum: float, maximum: float, unit: str = ""
    ) -> float | None:
        """A finite int or float within [minimum, maximum], returned as a float."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(where, f"expected a number, got {kind_of(value)}")
            return None
        of = f" of {unit}" if unit else ""
        what = f"a finite number{of} between {_num(minimum)} and {_num(maximum)}"
        # int > float compares exactly, so a huge TOML integer never reaches float()
        if (isinstance(value, float) and not math.isfinite(value)) or value > maximum:
            self.error(where, f"must be {what}, got {_show(value)}")
            return None
        if value < minimum:
            self.error(where, f"must be at least {_num(minimum)} ({what}), got {_show(value)}")
            return None
        return float(value)

    def strings(self, where: tuple, value: Any) -> list[str] | None:
        if not isinstance(value, list):
            self.error(where, f"expected a list of strings, got {kind_of(value)}")
            return None
        out = []
        for i, item in enumerate(value):
            s = self.string((*where, i), item)
            if s is not None:
                out.append(s)
        return out

    def urls(self, where: tuple, value: Any) -> list[str] | None:
        items = self.strings(where, value)
        if items is None:
            return None
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                problem = http_url_problem(item)
                if problem is None:
                    good.append(item.strip())
                else:
                    self.error((*where, i), problem, item)
        return good


def http_url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable http(s) URL, in words; None when it is one.

    Surrounding whitespace is forgiven (it is stripped); anything the fetcher would
    have to rewrite or would fail on later is refused here, by the same check that
    feed items get (:func:`parsers.urls.url_problem`), with a tighter length limit.
    """
    problem = url_problem(value, max_length=MAX_URL_LENGTH)
    if problem is None:
        return None
    joint = " is " if problem.startswith(("not ", "longer ")) else ": "
    return f"{shorten(value.strip())!r}{joint}{problem}"


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def _has_control(text: str) -> bool:
    return any(_is_control(ch) for ch in text)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(x: float) -> str:
    """A limit as people write it: 86400, 0.01, 1073741824."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _show(value: int | float) -> str:
    """A configured number in a message; a 300-digit integer is summarised."""
    try:
        text = repr(value)
    except ValueError:  # beyond Python's int-to-text limit
        return "a huge integer"
    if len(text) > 24:
        return f"{text[:12]}… ({len(text.lstrip('-'))} digits)"
    return text


def kind_of(value: Any) -> str:
    """What a TOML value is, in words: "a table", "an integer"."""
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _dotted(where: tuple) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _closest(key: str, allowed: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    return match[0] if match else None
