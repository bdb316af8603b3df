"""Reading local inputs for ingest: expanding folders, reading files, streaming JSON Lines.

No Prefect here, so the same code serves the flow, the CLI and the tests.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parsers import files as pf
from parsers.record import Article


@dataclass
class Problem:
    """An input that produced no record: where, at which stage, and why."""

    item: str
    stage: str
    message: str


def expand(paths: list[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Files to ingest (folders walked in sorted order, hidden files skipped) and missing paths."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    found.append(child)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            problems.append(Problem(str(path), "read", "not a regular file or folder"))
        else:
            problems.append(Problem(str(path), "read", "no such file or folder"))
    return found, problems


def _open_lines(path: Path) -> Iterator[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        yield from fh


def read_records(path: Path, *, source: str | None = None) -> Iterator[tuple[str, Article]]:
    """(item, record) pairs from one file, item being "path" or "path:line" for JSON Lines.

    Raises InputError/OSError for a file that yields nothing usable.
    """
    name = str(path)
    url = path.resolve().as_uri()
    with open(path, "rb") as fh:
        head = fh.read(512)
    gz = path.suffix == ".gz"
    if gz:
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(512)
        except (OSError, EOFError) as exc:
            raise pf.InputError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
    kind = pf.kind_of(path.name, head)
    if kind == "jsonl":
        if not head.strip():
            raise pf.InputError(f"{name}: empty file")
        try:
            for number, art in pf.iter_jsonl(_open_lines(path), name=name, source=source):
                yield f"{name}:{number}", art
        except (OSError, EOFError) as exc:
            raise pf.InputError(f"{name}: read failed part-way ({exc})") from exc
        return
    size = path.stat().st_size
    if not gz and size > pf.MAX_ARTICLE_BYTES:
        # Refuse before reading 50 MB into memory.
        raise pf.InputError(
            f"{name}: {size / 1e6:.1f} MB is too large for one article "
            f"(limit {pf.MAX_ARTICLE_BYTES / 1e6:.0f} MB); split it or export it as JSON Lines"
        )
    data = path.read_bytes()
    if gz:
        data = pf.gunzip(data, name)
    if kind == "html":
        yield name, pf.parse_html_file(data, name=name, url=url, source=source)
    else:
        yield name, pf.parse_text_file(data, name=name, url=url, source=source)
