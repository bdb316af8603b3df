"""Line numbers in ``newsmon.toml`` for the keys and values a message is about.

tomllib gives no line numbers for values, so a configuration mistake could not say
where it is. ``LineIndex`` scans the text once for table headers and keys and answers
``line_of(("sources", 2, "feeds"), value)`` with the line a user should edit: the key's,
or the line of one element of a multi-line array.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import json
import re
from typing import Any

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_KEY_LINE = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")
_TABLE_LINE = re.compile(rf"^\s*(\[\[?)\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]?")
_KEY_PART = re.compile(_KEY)


def _split_key(text: str) -> list[str]:
    parts = []
    for m in _KEY_PART.finditer(text):
        k = m.group(0)
        if k[:1] in "\"'":
            k = k[1:-1]
        parts.append(k)
    return parts


class LineIndex:
    """Line numbers of tables and keys, addressed like ``("sources", 2, "feeds")``."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.where: dict[tuple, int] = {}
        self.ends: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        current: tuple = ()
        in_multiline: str | None = None
        last_key: tuple | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            table = _TABLE_LINE.match(line)
            if table and not _KEY_LINE.match(line):
                parts = _split_key(table.group(2))
                base = self._resolve(parts, counts)
                if table.group(1) == "[[":
                    idx = counts.get(base, 0)
                    counts[base] = idx + 1
                    current = (*base, idx)
                else:
                    current = base
                self.where.setdefault(current, number)
                last_key = None
                continue
            key = _KEY_LINE.match(line)
            if key:
                path = (*current, *_split_key(key.group(1)))
                self.where.setdefault(path, number)
                last_key = path
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                continue
            if last_key is not None and line.strip() and not line.lstrip().startswith("#"):
                self.ends[last_key] = number

    def _resolve(self, parts: list[str], counts: dict[tuple, int]) -> tuple:
        """``topics.groups`` inside the 3rd ``[[topics]]`` is ("topics", 2, "groups")."""
        path: tuple = ()
        for part in parts[:-1]:
            path = (*path, part)
            if path in counts:
                path = (*path, counts[path] - 1)
        return (*path, parts[-1])

    def line_of(self, path: tuple, value: Any = None) -> int:
        """The line of a key (or of one element of its array value); 0 when unknown."""
        probe = path
        element = None
        while probe and isinstance(probe[-1], int) and probe not in self.where:
            element = probe[-1]
            probe = probe[:-1]
        while probe and probe not in self.where:
            probe = probe[:-1]
        if not probe:
            return 0
        start = self.where[probe]
        if element is not None and isinstance(value, str) and value:
            end = max(self.ends.get(probe, start), start)
            # as written, with TOML escapes (\t, \u0000), or failing that its plain start
            clean = re.match(r"[^\x00-\x20\x7f-\xa0\\\"']{8,}", value)
            for probe_text in (value, json.dumps(value)[1:-1], clean and clean.group(0)):
                for number in range(start, end + 1):
                    if probe_text and probe_text in self.lines[number - 1]:
                        return number
        return start
