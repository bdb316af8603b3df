"""Hostile local inputs: gzip bombs, deep nesting, links out of the folder, FIFOs, junk fields.

Every input is generated at run time in tmp_path (a 2 GB bomb is a 2 MB file here).
Memory is measured with tracemalloc (Python allocations: bytes, str, lists ...).
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import sqlite3
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.localfiles import Problem, expand, read_records
from parsers import files as pf
from parsers.dates import to_datetime
from parsers.record import CONTENT_FIELDS, Article

MB = 1024 * 1024
GB = 1024 * MB
#: Memory allowed beyond the data a reader legitimately holds (interpreter noise, buffers).
SLACK = 16 * MB

PARAGRAPH = (
    "Baku and Beijing agreed on Tuesday to widen their cooperation in transport and "
    "logistics, the ministry said in a statement published after the talks in the capital."
)


# --------------------------------------------------------------------------- helpers
@functools.cache
def _member(fill: bytes, size: int = 64 * MB) -> bytes:
    """One gzip member of ``size`` bytes of ``fill``, compressed streaming (never held whole)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)
    block = fill * (MB // len(fill))
    parts = [comp.compress(block) for _ in range(size // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


def _bomb(path: Path, decoded: int, fill: bytes, prefix: bytes = b"", suffix: bytes = b"") -> Path:
    """A gzip file that decodes to prefix + ``decoded`` bytes of fill + suffix.

    Written as concatenated gzip members (a valid gzip file: gzip -d and GzipFile read all
    members), so that a 2 GB bomb costs one 64 MB compression, not thirty-two.
    """
    with open(path, "wb") as fh:
        if prefix:
            fh.write(gzip.compress(prefix))
        for _ in range(decoded // (64 * MB)):
            fh.write(_member(fill))
        if suffix:
            fh.write(gzip.compress(suffix))
    assert path.stat().st_size < 4 * MB
    return path


@functools.cache
def _warm_up() -> None:
    """Load what parsing loads once (the language model: ~80 MB), outside any measurement."""
    list(pf.iter_jsonl([json.dumps(_record(0)).encode()], name="warm-up"))
    pf.parse_text_file(PARAGRAPH.encode(), name="warm-up.txt")


def _peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    """(result or the exception raised, peak traced memory in bytes) of ``fn()``."""
    _warm_up()
    tracemalloc.start()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - returned for the test to inspect
        result = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, peak


def _collect(path: Path) -> list[tuple[str, Article]]:
    """All (item, record) pairs of read_records, as a caller iterates them (errors propagate)."""
    out: list[tuple[str, Article]] = []
    for pair in read_records(path, source="test"):
        out.append(pair)
    return out


def _record(n: int) -> dict[str, Any]:
    return {
        "url": f"https://example.az/a/{n}",
        "title": f"Record {n}",
        "text": f"{PARAGRAPH} ({n})",
    }


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def _ingest_like(paths: list[Path]) -> tuple[list[tuple[str, Article]], list[Problem]]:
    """The ingest loop without Prefect: records of every file, problems for the rest."""
    files, problems = expand(paths)
    records: list[tuple[str, Article]] = []
    for path in files:
        try:
            for item, art in read_records(path):
                if art.ok:
                    records.append((item, art))
                else:
                    problems.append(Problem(item, "parse", art.error or ""))
        except (ValueError, OSError) as exc:
            problems.append(Problem(str(path), "read", str(exc)))
    return records, problems


# --------------------------------------------------------------------------- gzip bombs
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("name", "fill", "prefix"),
    [
        ("bomb.txt.gz", b"A", b"Headline\n\n"),
        ("bomb.html.gz", b"x", b"<html><body><p>"),
    ],
)
def test_text_and_html_gz_bombs_are_refused_in_bounded_memory(tmp_path, name, fill, prefix):
    path = _bomb(tmp_path / name, 2 * GB, fill, prefix=prefix)
    result, peak = _peak(lambda: _collect(path))
    assert isinstance(result, pf.InputError), result
    assert "too large for one article" in str(result)
    assert str(result).startswith(f"{path}: more than 20 MB once decompressed is too large")
    # The reader holds at most MAX_ARTICLE_BYTES + 1 of the 2 GB (a bytearray that grows).
    assert peak < pf.MAX_ARTICLE_BYTES * 1.25 + SLACK, f"peak {peak / MB:.0f} MB"


def test_gunzip_is_bounded():
    data = _member(b"x")  # one gzip member, 64 KB, that decodes to 64 MB
    result, peak = _peak(lambda: pf.gunzip(data, "page.html.gz"))
    assert isinstance(result, pf.InputError) and "page.html.gz" in str(result)
    assert peak < pf.MAX_ARTICLE_BYTES * 1.25 + SLACK, f"peak {peak / MB:.0f} MB"
    small = gzip.compress(b"<html>ok</html>")
    assert pf.gunzip(small, "ok.html.gz") == b"<html>ok</html>"
    assert pf.gunzip(small + small, "two.gz") == b"<html>ok</html>" * 2
    with pytest.raises(pf.InputError, match="corrupt or truncated gzip"):
        pf.gunzip(small[:-10], "cut.gz")


@pytest.mark.timeout(120)
def test_jsonl_gz_giant_line_is_one_failed_record(tmp_path):
    prefix = _jsonl([_record(1), _record(2)])
    suffix = b"\n" + _jsonl([_record(4), _record(5)])
    path = _bomb(tmp_path / "feed.jsonl.gz", 256 * MB, b"\0", prefix=prefix, suffix=suffix)
    result, peak = _peak(lambda: _collect(path))
    assert not isinstance(result, Exception), result
    items = {item.rsplit("/", 1)[-1]: art for item, art in result}
    assert list(items) == [f"feed.jsonl.gz:{n}" for n in (1, 2, 3, 4, 5)]
    assert [items[f"feed.jsonl.gz:{n}"].title for n in (1, 2, 4, 5)] == [
        "Record 1",
        "Record 2",
        "Record 4",
        "Record 5",
    ]
    bad = items["feed.jsonl.gz:3"]
    assert not bad.ok and "line longer than 5 MB" in bad.error
    # One line is held at most (MAX_JSONL_LINE_BYTES + 1 bytes, joined from the reader's
    # chunks: twice that), never the 256 MB.
    assert peak < 2 * pf.MAX_JSONL_LINE_BYTES + SLACK, f"peak {peak / MB:.0f} MB"


def test_plain_jsonl_giant_line_without_newline(tmp_path):
    path = tmp_path / "feed.jsonl"
    with open(path, "wb") as fh:
        fh.write(_jsonl([_record(1)]))
        block = b"[" * MB
        for _ in range(64):
            fh.write(block)  # 64 MB, no newline until the end of the file
    result, peak = _peak(lambda: _collect(path))
    assert not isinstance(result, Exception), result
    assert [a.ok for _, a in result] == [True, False]
    assert "line longer than" in result[1][1].error
    assert peak < 2 * pf.MAX_JSONL_LINE_BYTES + SLACK, f"peak {peak / MB:.0f} MB"


@pytest.mark.parametrize(
    ("damage", "kept"),
    [
        pytest.param(lambda gz: gz + b"this is not gzip data at all" * 10, 400, id="trailing-junk"),
        pytest.param(lambda gz: gz[:-300], 300, id="truncated"),
        pytest.param(lambda gz: gz[:-300] + bytes(b ^ 0x5A for b in gz[-300:]), None, id="corrupt"),
    ],
)
def test_jsonl_gz_damaged_part_way_keeps_the_lines_before(tmp_path, damage, kept):
    records = [_record(n) for n in range(1, 401)]
    body = _jsonl(records[:100])
    body += random.Random(7).randbytes(2000).replace(b"\n", b" ") + b"\n"  # decoded garbage
    body += _jsonl(records[100:])
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(damage(gzip.compress(body)))

    result = _collect(path)  # must not raise: the damage is one record
    *before, (item, last) = result
    assert not last.ok and "corrupt or truncated gzip data after line" in last.error, last
    assert "the lines before it were read" in last.error
    assert item == f"{path}:{len(before) + 1}"  # the line after the last one read
    titles = [a.title for _, a in before if a.ok]
    failed = [int(i.rsplit(":", 1)[1]) for i, a in before if not a.ok]
    assert 101 in failed  # the garbage line is one failure, its neighbours are kept
    # Everything before the damage is kept, in order: all 400 when only what follows the
    # stream is junk, at least 300 when its last 300 compressed bytes are missing or wrong.
    assert titles[:300] == [r["title"] for r in records[:300]]
    if kept is not None:
        # Deflate data that is cut short decodes exactly up to the cut. (Flipped bytes may
        # decode to plausible junk before the CRC at the end says so: not checked then.)
        assert titles == [r["title"] for r in records[: len(titles)]]
        assert len(titles) >= kept
        assert failed == [101]


def test_empty_and_blank_jsonl_is_one_error(tmp_path):
    (tmp_path / "blank.jsonl").write_bytes(b" " * 2000 + b"\n\n")
    with pytest.raises(pf.InputError, match="empty file"):
        _collect(tmp_path / "blank.jsonl")
    (tmp_path / "late.jsonl").write_bytes(b" " * 2000 + b"\n" + _jsonl([_record(1)]))
    assert [a.title for _, a in _collect(tmp_path / "late.jsonl")] == ["Record 1"]


def test_bad_lines_beyond_a_thousand_are_one_record(tmp_path):
    from flows.localfiles import MAX_BAD_LINES_LISTED

    path = tmp_path / "binary.jsonl"
    bad = b"\x00\x01 not json\n" * (MAX_BAD_LINES_LISTED + 4000)
    path.write_bytes(_jsonl([_record(1)]) + bad + _jsonl([_record(2)]))
    result = _collect(path)
    assert [a.title for _, a in result if a.ok] == ["Record 1", "Record 2"]
    failed = [(item.rsplit(":", 1)[1], a.error) for item, a in result if not a.ok]
    assert len(failed) == MAX_BAD_LINES_LISTED + 1  # listed, then one for the rest
    assert all("not valid JSON" in e for _, e in failed[:-1])
    first = MAX_BAD_LINES_LISTED + 2
    assert failed[-1] == (
        str(first),
        f"4,000 more bad line(s) between lines {first} and {first + 3999}, not listed one "
        f"by one (the first 1,000 were); line {first}: {failed[0][1]}",
    )


# --------------------------------------------------------------------------- deep nesting
@pytest.mark.parametrize(
    "deep",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"text": "x", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a":' * 100_000,  # unterminated
    ],
    ids=["arrays", "objects", "inside-a-record", "unterminated"],
)
def test_one_deeply_nested_line_costs_only_itself(tmp_path, deep):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(_jsonl([_record(1), _record(2)]) + deep + b"\n" + _jsonl([_record(4)]))
    result = _collect(path)
    assert [a.title for _, a in result if a.ok] == ["Record 1", "Record 2", "Record 4"]
    failed = [(item, a.error) for item, a in result if not a.ok]
    assert len(failed) == 1
    item, error = failed[0]
    assert item == f"{path}:3"
    assert "nested deeper than 64 levels" in error or "not valid JSON" in error
    # The monitor's way of reading a file (list() of everything) works too.
    assert len(list(read_records(path))) == 4


def test_sane_nesting_is_accepted():
    nested: Any = "leaf"
    for _ in range(60):
        nested = {"a": [nested]} if isinstance(nested, str) else [nested]
    line = json.dumps({**_record(1), "extra": nested}).encode()
    ((_, art),) = pf.iter_jsonl([line], name="x")
    assert art.ok and art.title == "Record 1"


@pytest.mark.timeout(120)
def test_deep_html_beside_a_text_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep.html").write_bytes(
        b"<html><body>" + b"<div>" * 100_000 + b"text " * 100 + b"</div>" * 100_000
    )
    (folder / "note.txt").write_text(f"Headline\n\n{PARAGRAPH}", encoding="utf-8")
    records, problems = _ingest_like([folder])
    texts = {item.rsplit("/", 1)[-1]: a for item, a in records}
    assert texts["note.txt"].text == PARAGRAPH
    deep = [p for p in problems if p.item.endswith("deep.html")]
    assert len(deep) + ("deep.html" in texts) == 1  # one record or one error, never a crash
    if "deep.html" in texts:  # parsed as far as lxml goes (256 levels), flagged as such
        assert any("nested deeper" in w for w in texts["deep.html"].warnings)


# --------------------------------------------------------------------------- wrong field types
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 5),
        ("title", {"a": 1}),
        ("url", ["x"]),
        ("url", 3.5),
        ("source", [1]),
        ("language", {"en": True}),
        ("language", "<script>"),
        ("author", "x" * 10_000),
        ("published_at", float("nan")),
        ("published_at", float("inf")),
        ("published_at", 1e308),
        ("published_at", True),
        ("published_at", "not a date"),
        ("published_at", ["2025-04-22"]),
        ("modified_at", "yesterday-ish"),
        ("tags", "politics"),
        ("tags", [1, None, {"a": 1}, "ok"]),
        ("text", "Ba\ud800ku " + PARAGRAPH),
        ("title", "\udfff"),
    ],
)
def test_wrong_types_are_dropped_with_a_warning(field, value):
    line = json.dumps({**_record(1), field: value}).encode()  # NaN/Infinity literals included
    ((_, art),) = pf.iter_jsonl([line], name="x")
    assert art.ok, art.error
    for name in CONTENT_FIELDS:
        got = getattr(art, name)
        if name == "tags":
            assert all(isinstance(t, str) for t in got)
        else:
            assert got is None or isinstance(got, str), (name, got)
    assert json.dumps(art.to_dict(), ensure_ascii=False).encode("utf-8")  # storable
    assert art.published_at is None or to_datetime(art.published_at) is not None
    if field == "tags":
        assert art.tags == (["ok"] if isinstance(value, list) else [])
    if field in ("text", "title") and isinstance(value, str):
        return  # lone surrogates: replaced, not a dropped field
    assert getattr(art, field) != value
    assert any(w.startswith(f"{field}:") for w in art.warnings), art.warnings


def test_numeric_unix_time_is_a_date():
    line = json.dumps({**_record(1), "published_at": 1745000000}).encode()
    ((_, art),) = pf.iter_jsonl([line], name="x")
    assert art.published_at == "2025-04-18T18:13:20+00:00"


# --------------------------------------------------------------------------- links and special files
def test_link_out_of_the_folder_is_not_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(PARAGRAPH, encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret", encoding="utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "secrets").symlink_to(outside, target_is_directory=True)
    (folder / "relative.txt").symlink_to("../elsewhere/secret.txt")
    found, problems = expand([folder])
    assert found == [folder / "a.txt"]
    messages = {Path(p.item).name: (p.stage, p.message) for p in problems}
    assert messages["passwd.txt"] == (
        "read",
        f"symbolic link to a file outside {folder}: not read",
    )
    assert messages["relative.txt"][1] == f"symbolic link to a file outside {folder}: not read"
    assert messages["secrets"][1] == f"symbolic link to a folder outside {folder}: not read"
    # A link the user names on the command line is read: the user chose it.
    found, problems = expand([folder / "passwd.txt"])
    assert found == [folder / "passwd.txt"] and problems == []


@pytest.mark.timeout(30)
def test_link_loops_terminate_and_files_are_read_once(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("b", encoding="utf-8")
    (folder / "sub" / "up").symlink_to("..", target_is_directory=True)  # loop to the folder
    (folder / "sub" / "self").symlink_to(".", target_is_directory=True)
    (folder / "again").symlink_to(folder, target_is_directory=True)
    (folder / "parent").symlink_to("..", target_is_directory=True)  # out of the folder
    (folder / "x1").symlink_to("x2")
    (folder / "x2").symlink_to("x1")  # a link cycle
    found, problems = expand([folder])
    assert found == [folder / "a.txt", folder / "sub" / "b.txt"]
    by_name = {Path(p.item).name: p.message for p in problems}
    assert "folder outside" in by_name["parent"]
    assert set(by_name) == {"parent", "x1", "x2"}


def test_link_inside_the_folder_is_read_once(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(PARAGRAPH, encoding="utf-8")
    (folder / "link.txt").symlink_to("a.txt")
    (folder / "sub" / "link2.txt").symlink_to("../a.txt")
    (folder / ".store").mkdir()
    (folder / ".store" / "kept.txt").write_text(PARAGRAPH, encoding="utf-8")
    (folder / "data").symlink_to(".store", target_is_directory=True)
    found, problems = expand([folder, folder / "a.txt"])
    assert problems == []
    assert found == [folder / "a.txt", folder / "data" / "kept.txt"]


@pytest.mark.timeout(20)
def test_fifo_is_skipped_without_blocking(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(PARAGRAPH, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "pipe-link.jsonl").symlink_to("pipe.txt")
    found, problems = expand([folder])
    assert found == [folder / "a.txt"]
    assert sorted((Path(p.item).name, p.stage) for p in problems) == [
        ("pipe-link.jsonl", "read"),
        ("pipe.txt", "read"),
    ]
    assert all("named pipe, not a regular file" in p.message for p in problems)
    found, problems = expand([folder / "pipe.txt"])  # named directly: still not opened
    assert found == [] and "not a regular file" in problems[0].message
    # Even handed to read_records (a file replaced by a FIFO after the listing), no block.
    with pytest.raises(pf.InputError, match="not a regular file"):
        _collect(folder / "pipe.txt")
    with pytest.raises(pf.InputError, match="not a regular file"):
        _collect(folder / "pipe-link.jsonl")


# --------------------------------------------------------------------------- the real CLI
@pytest.mark.timeout(300)
def test_cli_ingest_of_a_hostile_folder(prefect_server, tmp_path, capsys):
    import flows.ingest  # noqa: F401 - imported (Prefect included) before measuring
    from flows.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    _bomb(folder / "bomb.txt.gz", 2 * GB, b"A", prefix=b"Headline\n\n")
    _bomb(
        folder / "giant.jsonl.gz",
        128 * MB,
        b"\0",
        prefix=_jsonl([_record(1)]),
        suffix=b"\n" + _jsonl([_record(3)]),
    )
    (folder / "deep.jsonl").write_bytes(
        _jsonl([_record(10)]) + b"[" * 100_000 + b"]" * 100_000 + b"\n" + _jsonl([_record(12)])
    )
    (folder / "deep.html").write_bytes(b"<html><body>" + b"<div>" * 100_000 + b"</div>" * 100_000)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.txt")
    good = (
        "Azerbaijan's parliament approved the new budget on Friday after a long debate, "
        "with spending on roads, schools and hospitals rising for the third year in a row."
    )
    (folder / "good.txt").write_text(f"A good article\n\n{good}", encoding="utf-8")
    db = tmp_path / "news.db"

    code, peak = _peak(lambda: main(["ingest", str(folder), "--db", str(db)]))
    out = capsys.readouterr().out
    assert code == 0, out
    errors = [line for line in out.splitlines() if line.lstrip().startswith("error [")]
    joined = "\n".join(errors)
    assert "bomb.txt.gz: " in joined and "too large for one article" in joined
    assert "giant.jsonl.gz:2: line longer than 5 MB" in joined
    assert "deep.jsonl:2: JSON nested deeper than 64 levels" in joined
    assert f"passwd.txt: symbolic link to a file outside {folder}: not read" in joined
    assert "pipe.txt: a named pipe, not a regular file: skipped" in joined
    assert sum("deep.html" in e for e in errors) <= 1
    assert len(errors) <= 6, joined
    # The flow itself (Prefect included) stays far below the 2 GB the bomb decodes to.
    assert peak < pf.MAX_ARTICLE_BYTES * 1.25 + 64 * MB, f"peak {peak / MB:.0f} MB"

    con = sqlite3.connect(db)
    titles = {t for (t,) in con.execute("SELECT title FROM articles")}
    texts = " ".join(t for (t,) in con.execute("SELECT text FROM articles"))
    run_errors = con.execute("SELECT count(*) FROM run_errors").fetchone()[0]
    con.close()
    assert {"Record 1", "Record 3", "Record 10", "Record 12", "A good article"} <= titles
    assert "root:" not in texts
    assert run_errors == len(errors)


# --------------------------------------------------------------------------- properties
_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 10**400, float("nan"), 1745000000, 1745000000000])
    | st.text(max_size=30)
)
_json_value = st.recursive(
    _json_leaf,
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = [
    "url",
    "title",
    "author",
    "source",
    "section",
    "language",
    "published_at",
    "modified_at",
    "canonical_url",
    "tags",
    "html",
]
#: Words of running text: letters and digits of any script, long enough that 18 of them
#: are a paragraph, not a byline or a navigation line.
_word = st.text(st.characters(categories=("L", "N")), min_size=4, max_size=12)


def _nest(depth: int, kind: str) -> bytes:
    if kind == "[":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@st.composite
def _valid_line(draw) -> tuple[bytes, str]:
    text = " ".join(draw(st.lists(_word, min_size=18, max_size=40)))
    obj: dict[str, Any] = {"text": text}
    for name in draw(st.lists(st.sampled_from(_FIELDS), unique=True, max_size=6)):
        obj[name] = draw(_json_value)
    if draw(st.booleans()):
        nested: Any = draw(_json_leaf)
        for _ in range(draw(st.integers(0, 60))):
            nested = [nested]
        obj["extra"] = nested
    order = draw(st.permutations(list(obj)))
    obj = {k: obj[k] for k in order}
    try:
        raw = json.dumps(obj, ensure_ascii=draw(st.booleans())).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a field: only escaped JSON can carry it
        raw = json.dumps(obj).encode("ascii")
    return raw, text


_other_line = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=100).map(lambda s: ("{" + s).encode("utf-8", "surrogatepass")),
    st.text(max_size=100).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.builds(_nest, st.integers(65, 100_000), st.sampled_from(["[", "{"])),
    st.sampled_from(
        [
            b"NaN",
            b"-Infinity",
            b"1e999999",
            b"9" * 5000,
            b'{"text": NaN}',
            b'{"text": "x", "published_at": NaN, "title": Infinity}',
            b"[]",
            b"null",
            b'"just a string"',
            b"\xff\xfe{\x00",
        ]
    ),
)
_blank_line = st.sampled_from([b"", b" ", b"\t\r\n", b"\n"])


def _storable(art: Article) -> None:
    for name in CONTENT_FIELDS:
        value = getattr(art, name)
        if name == "tags":
            assert isinstance(value, list) and all(isinstance(t, str) for t in value)
            for t in value:
                t.encode("utf-8")
        elif name == "text":
            assert isinstance(value, str)
            value.encode("utf-8")
        else:
            assert value is None or isinstance(value, str), (name, value)
            if value is not None:
                value.encode("utf-8")
    if art.published_at is not None:
        assert to_datetime(art.published_at) is not None, art.published_at
    if not art.ok:
        assert art.error


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            _valid_line().map(lambda v: ("valid", v[0], v[1])),
            _other_line.map(lambda b: ("other", b, None)),
            _blank_line.map(lambda b: ("blank", b, None)),
        ),
        max_size=12,
    )
)
def test_iter_jsonl_property(lines):
    out = list(pf.iter_jsonl([raw for _, raw, _ in lines], name="prop.jsonl", source="s"))
    expected_numbers = [n for n, (_, raw, _) in enumerate(lines, start=1) if raw.strip()]
    assert [n for n, _ in out] == expected_numbers
    records = dict(out)
    for number, (kind, _, text) in enumerate(lines, start=1):
        if kind != "valid":
            continue
        art = records[number]
        assert art.ok, (art.error, lines[number - 1])
        assert " ".join(art.text.split()) == " ".join(pf.repaired(text).split())
    for art in records.values():
        _storable(art)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=4096),
        st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")),
    )
)
def test_parse_text_file_raises_only_input_error(data):
    try:
        art = pf.parse_text_file(data, name="random.txt", url="file:///random.txt")
    except pf.InputError as exc:
        assert str(exc).startswith("random.txt: ")
        return
    _storable(art)
