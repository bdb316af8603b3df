"""The extraction benchmark runs, and the Trend profile reads every layout around real texts.

The second test is the profiled-outlet benchmark's page builder used as a test: report.az
and WCXB article texts rendered into Trend's three layouts and editions must come back
paragraph for paragraph, with their title, byline and minute-exact time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from parsers.extract import extract
from tests.conftest import ROOT, shared_path

sys.path.insert(0, str(ROOT / "bench"))

from profile_pages import LAYOUTS, build  # noqa: E402


def _bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A benchmark run as ``make bench`` would, writing nothing to the docs."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--no-write"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out


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
    out = _bench("extraction.py", "--limit", "4", "--peers", "none", "--suites", "wcxb,profile")
    assert "**WCXB-dev** (4 pages" in out.stdout
    assert "**Profiled outlet** (4 pages" in out.stdout
    assert out.stdout.count("| newsmon |") == 2


@pytest.mark.slow
def test_desk_bench_builds_its_stores_upgrades_them_and_times_every_page(tmp_path: Path) -> None:
    """The stores are written at the previous schema (8) and upgraded: a column a later
    version added must not be written to the old table (it broke the first build)."""
    shared_path("corpus")
    out = _bench(
        "desk.py", "--sizes", "3000", "--repeat", "1", "--ingest", "50", "--cache", str(tmp_path)
    )
    assert "| 3,000 | 3,000 |" in out.stdout  # the store row: every article written
    assert "Checks (status 200, no facet timed out" in out.stdout
    assert "all passed." in out.stdout
