"""The extraction benchmark runs, and the Trend profile reads every layout around real texts.

The second test is the profiled-outlet benchmark's page builder used as a test: report.az
and WCXB article texts rendered into Trend's three layouts and editions must come back
paragraph for paragraph, with their title, byline and minute-exact time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from parsers.extract import extract
from tests.conftest import ROOT, shared_path

sys.path.insert(0, str(ROOT / "bench"))

from profile_pages import LAYOUTS, build  # noqa: E402


def test_trend_profile_returns_real_texts_from_every_layout_and_edition(tmp_path: Path) -> None:
    corpus = shared_path("corpus")
    pages = build(corpus, tmp_path, per_language=18)
    seen = {(p.name.split("-")[0], p.name.split("-")[1]) for p in pages}
    assert seen == {(e, lay) for e in ("az", "en", "ru") for lay in LAYOUTS}
    for p in pages:
        art = extract(Path(p.path).read_bytes(), p.url)
        assert art.provenance["text"] == "profile:trend", p.name
        assert art.text.split("\n\n") == p.text.split("\n"), p.name
        assert (art.title, art.author, art.published_at) == (p.title, p.author, p.published)
        assert not [j for j in p.junk if j in art.text], p.name


def test_extraction_bench_prints_its_tables() -> None:
    shared_path("corpus")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "extraction.py"),
            "--limit",
            "4",
            "--peers",
            "none",
            "--suites",
            "wcxb,profile",
            "--no-write",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "**WCXB-dev** (4 pages" in out.stdout
    assert "**Profiled outlet** (4 pages" in out.stdout
    assert out.stdout.count("| newsmon |") == 2
