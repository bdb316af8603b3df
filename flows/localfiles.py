"""Reading local inputs for ingest: expanding folders, reading files, streaming JSON Lines.

No Prefect here, so the same code serves the flow, the CLI and the tests.

Safety rules (hostile inputs are expected: a folder of files from elsewhere):

* A folder is walked without leaving it: a symbolic link whose target lies outside the
  folder the user named is reported and not read (a link to /etc/passwd must not become
  an article); links inside it are fine, each file is listed once, and a link back up the
  tree cannot loop. A path the user names directly is read even if it is a link.
* Only regular files are read: a FIFO, socket or device in a folder is reported and
  skipped (opening a FIFO would block the run forever).
* Memory is bounded on decoded bytes: a text or HTML file (gzipped or not) is read up to
  ``MAX_ARTICLE_BYTES`` and refused beyond; JSON Lines are read line by line with at most
  ``MAX_JSONL_LINE_BYTES`` of one line in memory.
* Errors are per item: a bad line is a failed record for that line; a gzip stream damaged
  part-way keeps the records before the damage and adds one failed record for it.
"""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from parsers import files as pf
from parsers.record import Article


@dataclass
class Problem:
    """An input that produced no record: where, at which stage, and why."""

    item: str
    stage: str
    message: str


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class _Expansion:
    def __init__(self) -> None:
        self.found: list[Path] = []
        self.problems: list[Problem] = []
        self._seen: set[str] = set()  # real paths of the files listed

    def problem(self, item: Path | str, message: str) -> None:
        self.problems.append(Problem(str(item), "read", message))

    def add(self, path: Path, real: str) -> None:
        if real not in self._seen:  # a file reached twice (a link beside it) is read once
            self._seen.add(real)
            self.found.append(path)

    def named(self, path: Path) -> None:
        """A path the user named: followed even if it is a symbolic link."""
        try:
            st = path.stat()
        except FileNotFoundError:
            if path.is_symlink():
                self.problem(path, "broken symbolic link (its target does not exist)")
            else:
                self.problem(path, "no such file or folder")
            return
        except OSError as exc:
            self.problem(path, f"cannot read ({exc.strerror or exc})")
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(path)
        elif stat.S_ISREG(st.st_mode):
            self.add(path, os.path.realpath(path))
        else:
            self.problem(path, f"not a regular file or folder ({_file_type(st.st_mode)})")

    def _entries(self, folder: Path) -> list[os.DirEntry]:
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.problem(folder, f"cannot list this folder ({exc.strerror or exc})")
            return []

    def walk(self, root: Path) -> None:
        """Files under ``root`` in sorted order, hidden ones skipped, never leaving ``root``."""
        root_real = os.path.realpath(root)
        visited = {root_real}  # real paths of the folders walked: no loops, no repeats
        stack = [(root_real, iter(self._entries(root)))]
        while stack:
            folder_real, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            if entry.name.startswith("."):
                continue
            child = Path(entry.path)
            try:
                if entry.is_symlink():
                    real = os.path.realpath(child)
                    if not _inside(real, root_real):
                        what = "folder" if os.path.isdir(real) else "file"
                        self.problem(child, f"symbolic link to a {what} outside {root}: not read")
                        continue
                    st = os.stat(child)
                else:
                    real = os.path.join(folder_real, entry.name)
                    st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                self.problem(child, "broken symbolic link (its target does not exist): not read")
                continue
            except OSError as exc:
                self.problem(child, f"cannot read ({exc.strerror or exc})")
                continue
            if stat.S_ISDIR(st.st_mode):
                if real not in visited:
                    visited.add(real)
                    stack.append((real, iter(self._entries(child))))
            elif stat.S_ISREG(st.st_mode):
                self.add(child, real)
            else:
                self.problem(child, f"{_file_type(st.st_mode)}, not a regular file: skipped")


def expand(paths: list[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Files to ingest and the problems met finding them (stage "read").

    Folders are walked in sorted order, hidden files and folders skipped; each file is
    listed once however many links lead to it. See the module docstring for links and
    special files.
    """
    expansion = _Expansion()
    for raw in paths:
        expansion.named(Path(raw).expanduser())
    return expansion.found, expansion.problems


def _open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for reading, refusing anything but a regular file without blocking."""
    nonblock = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO without it waits for a writer
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise pf.InputError(f"{path}: {_file_type(mode)}, not a regular file: not read")
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_records(path: Path, *, source: str | None = None) -> Iterator[tuple[str, Article]]:
    """(item, record) pairs from one file, item being "path" or "path:line" for JSON Lines.

    Raises InputError/OSError, before yielding anything, for a file that yields nothing
    usable. Once records have come out it does not raise: damage found later (a gzip
    stream corrupt part-way) comes out as one failed record.
    """
    name = str(path)
    with _open_regular(path) as fh:
        url = path.resolve().as_uri()
        gz = path.suffix.lower() == ".gz"
        stream: IO[bytes] = gzip.GzipFile(fileobj=fh, mode="rb") if gz else fh
        try:
            head = stream.read(512)
            stream.seek(0)
        except pf.GZIP_ERRORS as exc:
            if not gz:
                raise
            raise pf.InputError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
        kind = pf.kind_of(path.name, head)
        if kind == "jsonl":
            yield from _read_jsonl(stream, name=name, source=source, gz=gz)
            return
        if not gz:
            size = os.fstat(fh.fileno()).st_size
            if size > pf.MAX_ARTICLE_BYTES:
                # Refuse before reading 50 MB into memory.
                raise pf.too_large(name, f"{size / (1024 * 1024):.1f} MB")
        try:
            data = pf.read_limited(stream, pf.MAX_ARTICLE_BYTES, name, decompressed=gz)
        except pf.GZIP_ERRORS as exc:
            if not gz:
                raise
            raise pf.InputError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
    try:
        if kind == "html":
            art = pf.parse_html_file(data, name=name, url=url, source=source)
        else:
            art = pf.parse_text_file(data, name=name, url=url, source=source)
    except pf.InputError:
        raise
    except RecursionError:
        art = Article.failed("too deeply nested to process", url=url, source=source)
    except Exception as exc:  # noqa: BLE001 - one odd file never stops the others
        art = Article.failed(
            f"could not parse ({type(exc).__name__}: {exc})"[:300], url=url, source=source
        )
    yield name, art


#: Failed lines of one JSON Lines file listed one by one; beyond, they are counted and
#: listed as one failed record (a 1 GB binary file named .jsonl would otherwise make
#: millions of error rows, each held in the run summary).
MAX_BAD_LINES_LISTED = 1000


def _read_jsonl(
    stream: IO[bytes], *, name: str, source: str | None, gz: bool
) -> Iterator[tuple[str, Article]]:
    lines = pf.LineReader(stream)
    produced = False
    bad = 0
    first_unlisted = last_unlisted = 0
    example = ""

    def not_listed() -> Iterator[tuple[str, Article]]:
        if first_unlisted:
            n = bad - MAX_BAD_LINES_LISTED
            message = (
                f"{n:,} more bad line(s) between lines {first_unlisted} and {last_unlisted}, "
                f"not listed one by one (the first {MAX_BAD_LINES_LISTED:,} were); "
                f"line {first_unlisted}: {example}"
            )
            yield f"{name}:{first_unlisted}", Article.failed(message)

    try:
        for number, art in pf.iter_jsonl(lines, name=name, source=source):
            produced = True
            if not art.ok:
                bad += 1
                if bad > MAX_BAD_LINES_LISTED:
                    if not first_unlisted:
                        first_unlisted, example = number, art.error or ""
                    last_unlisted = number
                    continue
            yield f"{name}:{number}", art
    except pf.GZIP_ERRORS as exc:
        what = "corrupt or truncated gzip data" if gz else "read failed"
        if not produced:
            raise pf.InputError(f"{name}: {what} ({exc})") from exc
        yield from not_listed()
        message = f"{what} after line {lines.count} ({exc}); the lines before it were read"
        yield f"{name}:{lines.count + 1}", Article.failed(message)
        return
    if not produced:
        raise pf.InputError(f"{name}: empty file")
    yield from not_listed()
