"""Writing one benchmark's table into docs/benchmarks.md.

Each benchmark owns a section between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->`` and replaces only that, so the benchmarks can run
separately and the file keeps every figure from its latest run.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(name: str, heading: str, body: str, docs: Path = DOCS) -> None:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n## {heading}\n\n{body}\n{end}"
    if docs.exists():
        doc = docs.read_text(encoding="utf-8")
        if start in doc and end in doc:
            head, rest = doc.split(start, 1)
            doc = head + block + rest.split(end, 1)[1]
        else:
            doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    else:
        docs.parent.mkdir(parents=True, exist_ok=True)
        doc = "# Benchmarks\n\n" + block + "\n"
    docs.write_text(doc, encoding="utf-8")
