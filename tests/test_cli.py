"""The `newsmon` commands a user types: extract, retag, export, dedup (in-process, real store)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

import store
from flows.cli import main
from parsers.text import parse_text_export

TREND_PAGE = Path(__file__).parent / "fixtures" / "sites" / "trend" / "en_current.html"
TREND_URL = "https://en.trend.az/azerbaijan/politics/4051234.html"

CONFIG = """
[settings]
db = "{db}"

[[topics]]
name = "azerbaijan-china"
title = "Azerbaijan–China relations"
[[topics.groups]]
mode = "any"
terms = ["Azerbaijan", "Azerbaijani", "Baku", "Azərbaycan"]
[[topics.groups]]
mode = "any"
terms = ["China", "Chinese", "Beijing", "Çin"]
"""


def test_extract_prints_the_record_of_a_saved_page(tmp_path, capsys):
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(TREND_PAGE.read_bytes()))
    assert main(["extract", str(packed), "--url", TREND_URL]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["title"].startswith("Azerbaijan and China expand rail freight")
    assert record["published_at"] == "2025-04-22T20:20:00+04:00"
    assert record["text"].startswith("BAKU, Azerbaijan, April 22.")

    assert main(["extract", str(TREND_PAGE), "--url", TREND_URL, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Azerbaijan and China expand rail freight")
    assert "author: Leyla Rustamova" in out


def test_extract_reports_a_missing_file(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "nope.html")]) == 1
    assert "nope.html" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys):
    assert main([]) == 2
    assert main(["extract", "--format", "xml", "x.html"]) == 2
    assert main(["dedup"]) == 2


@pytest.fixture
def filled(tmp_path, seeds_dir):
    db_path = tmp_path / "news.db"
    config = tmp_path / "newsmon.toml"
    config.write_text(CONFIG.format(db=db_path), encoding="utf-8")
    db = store.open_db(db_path)
    arts = []
    for path in sorted(seeds_dir.glob("*.txt")):
        art = parse_text_export(path.read_text(encoding="utf-8"), url=path.as_uri(), source="seed")
        arts.append(art)
    store.append_batch(db, arts, run_id="r")
    db.close()
    return db_path, config


def test_retag_then_export_a_topic(filled, capsys):
    db_path, config = filled
    assert main(["retag", "--config", str(config), "--db", str(db_path)]) == 0
    assert "topic tags over 5 articles" in capsys.readouterr().out

    args = ["export", "--topic", "azerbaijan-china", "--db", str(db_path)]
    assert main([*args, "--since", "2025-04-27"]) == 0
    dates = [json.loads(x)["published_at"] for x in capsys.readouterr().out.splitlines()]
    # Dated seeds before the 27th are left out; the undated one counts from when it was stored.
    assert sorted(dates, key=str) == ["2025-04-28", None]

    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5  # every seed is about Azerbaijan and China
    assert {"title", "url", "published_at", "text"} <= set(rows[0])

    assert main([*args[:-2], "--db", str(db_path), "--topic", "nonexistent"]) == 2
    assert "nonexistent" in capsys.readouterr().err


def test_dedup_explain_names_the_stored_article(filled, seeds_dir, capsys):
    db_path, _ = filled
    url = next(seeds_dir.glob("002_*.txt")).as_uri()
    assert main(["dedup", "--explain", url, "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "Azerbaijan-China interests form wide base" in out
    assert main(["dedup", "--rebuild", "--db", str(db_path)]) == 0
    assert "rebuilt for 5 articles" in capsys.readouterr().out


def test_a_directory_is_not_a_store(tmp_path, capsys):
    assert main(["export", "--db", str(tmp_path)]) == 1
    assert "directory" in capsys.readouterr().err
