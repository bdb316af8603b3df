"""Layered dedup: what is one story, what is not, and why (read the sightings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import store
from parsers.record import Article
from parsers.text import parse_text_export
from store import dedup, explain
from store.db import writing

# Invented news texts (written for these tests).
PORT = """The Baku International Sea Trade Port handled 1.2 million tonnes of cargo in the first quarter, the port administration said on Tuesday, an increase driven mostly by containers travelling along the Middle Corridor between China and Europe.

Officials said the new ferry terminal at Alat had shortened waiting times for rail wagons arriving from Kazakhstan, and that two additional berths would be opened before the end of the summer season.

Freight forwarders interviewed by the agency welcomed the figures but warned that the capacity of the railway line towards the Georgian border remained the main bottleneck for shippers planning long-term contracts.

The administration expects container traffic to keep growing as Chinese logistics companies open regional offices in the Azerbaijani capital and sign agreements with local carriers."""

PORT_OTHER = """Chinese logistics companies are preparing to open regional offices in Baku as cargo volumes on the Middle Corridor keep rising, according to a business association representing freight operators in Urumqi.

The association said its members were negotiating warehouse leases near the Alat free economic zone and were hiring local staff who speak Chinese, Russian and Azerbaijani.

Several firms plan to run weekly block trains from Xi'an to the Caspian coast, where containers are loaded onto ferries bound for Kazakhstan and then continue by rail towards Turkey and the Black Sea ports.

Analysts caution that tariffs and customs procedures along the route still need to be harmonised before the corridor can compete with the sea route through the Suez Canal."""

QUAKE_1 = """An earthquake of magnitude 3.6 was recorded on the border between Azerbaijan and Iran on Monday evening, the Republican Seismological Survey Center said.

The epicentre was located seventeen kilometres north of the Yardimli station at a depth of thirty-three kilometres, and the tremors were also felt in the Jalilabad district where residents briefly left their homes."""

QUAKE_2 = """Seismologists registered a magnitude 3.1 tremor in the Iranian part of the border area on Sunday night, with no damage reported on either side, officials in Baku said.

The Survey Center noted that the region has seen a series of weak earthquakes this month and urged residents of mountain villages to follow the safety instructions published on its website."""

ZH = """阿塞拜疆总统与中国国家主席在北京举行会谈，双方宣布建立全面战略伙伴关系，并签署了经济、交通、能源和人文等领域的多项合作文件。

双方同意加强中间走廊建设，扩大跨里海运输能力，推动巴库港与中国西部城市之间的班列常态化运行，并鼓励更多中国企业在阿塞拜疆投资绿色能源项目。

分析人士认为，这次访问标志着两国关系进入新阶段，合作将从贸易延伸到科技、教育和旅游等更广泛的领域。"""

HEADER = "Home | News | Region\nCaspian Daily › Business"
FOOTER = (
    "Follow us on Telegram for the latest news.\n"
    "© 2025 Caspian Daily. All rights reserved.\n"
    "Share this article"
)


def rate_item(day: int, eur: str, rub: str) -> Article:
    return Article(
        url=f"https://en.trend.az/business/finance/40900{day:02d}.html",
        source="Trend",
        title=f"Official exchange rate of the manat for April {day}",
        published_at=f"2025-04-{day:02d}",
        text=(
            f"The official exchange rate of the manat to the US dollar for April {day} is "
            f"1.7000 manat, the Central Bank of Azerbaijan reported.\n\nThe euro rate is {eur} "
            f"manat and the Russian ruble is {rub} manat. The central bank sets the official "
            "rates of foreign currencies against the manat every working day."
        ),
    )


def art(text: str = PORT, **kw) -> Article:
    base = dict(
        url="https://en.trend.az/business/economy/4085123.html",
        source="Trend",
        title="Baku port cargo up on Middle Corridor containers",
        published_at="2025-04-22T10:00:00+04:00",
        text=text,
    )
    base.update(kw)
    return Article(**base)


@pytest.fixture
def db(tmp_path):
    database = store.open_db(tmp_path / "x.db")
    with writing(database):
        dedup.migrate(database)
    yield database
    database.close()


def count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def sightings(db) -> list[dict]:
    rows = db.execute(
        "SELECT article_id, url, source, method, similarity, details FROM sightings ORDER BY id"
    ).fetchall()
    keys = ("article_id", "url", "source", "method", "similarity", "details")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for r in out:
        r["details"] = json.loads(r["details"]) if r["details"] else {}
    return out


# --------------------------------------------------------------------------- the seeds
def test_seeds_stay_five_articles(db, seeds_dir):
    paths = sorted(seeds_dir.glob("*.txt"))
    assert len(paths) == 5
    records = [
        parse_text_export(p.read_text(encoding="utf-8"), url=f"https://seed.example/{p.stem}")
        for p in paths
    ]
    first = store.append_batch(db, records, run_id="r1")
    assert (first.new, first.duplicates, len(first.revisions)) == (5, 0, 0)
    # Seen again, each is a sighting of itself and nothing else.
    again = store.append_batch(db, records, run_id="r2")
    assert again.new == 0
    assert [s.article_id for s in again.sightings] == first.new_ids
    assert {s.method for s in again.sightings} == {"canonical_url"}


# --------------------------------------------------------------------------- layer 1: URLs
def test_tracking_parameters_are_the_same_article(db):
    r1 = store.append_batch(db, [art(url="https://EN.trend.az:443/business/4085123.html#top")])
    tracked = art(url="https://en.trend.az/business/4085123.html?utm_source=fb&fbclid=IwA")
    r2 = store.append_batch(db, [tracked])
    assert r2.new == 0 and r2.sightings[0].article_id == r1.new_ids[0]
    assert r2.sightings[0].method == "canonical_url"
    stored = db.execute("SELECT canonical_url FROM articles").fetchone()[0]
    assert stored == "https://en.trend.az/business/4085123.html"


def test_identity_rule_joins_section_paths(db):
    r1 = store.append_batch(db, [art(url="https://en.trend.az/azerbaijan/politics/4085123.html")])
    moved = art(url="https://en.trend.az/business/economy/4085123.html")
    r2 = store.append_batch(db, [moved])
    assert r2.new == 0
    assert (r2.sightings[0].article_id, r2.sightings[0].method) == (r1.new_ids[0], "identity")
    assert sightings(db)[0]["details"]["key"] == "trend.az:4085123"
    # Another id is another article, even with the same text minus a sentence.
    other = art(url="https://en.trend.az/business/economy/4085124.html", text=PORT_OTHER)
    assert store.append_batch(db, [other]).new == 1


def test_canonical_hint_to_the_home_page_does_not_merge_articles(db):
    a = art(url="https://x.example/news/1", canonical_url="https://x.example/")
    b = art(
        url="https://x.example/news/2",
        canonical_url="https://x.example/",
        text=PORT_OTHER,
        title="Chinese logistics firms head to Baku",
    )
    r = store.append_batch(db, [a, b])
    assert r.new == 2


def test_a_canonical_hint_shared_by_different_texts_is_not_trusted(db):
    # Two different pages declaring the same (non-home) canonical: a CMS bug, not one story.
    hint = "https://x.example/section/business"
    a = art(url="https://x.example/news/1", canonical_url=hint)
    b = art(
        url="https://x.example/news/2",
        canonical_url=hint,
        text=PORT_OTHER,
        title="Chinese logistics firms head to Baku",
    )
    assert store.append_batch(db, [a, b]).new == 2


def test_syndicated_copy_naming_the_original_is_a_sighting(db):
    r1 = store.append_batch(db, [art()])
    copy = art(
        url="https://partner.example/wire/77",
        canonical_url="https://en.trend.az/business/economy/4085123.html",
        source="Partner",
        text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
    )
    r2 = store.append_batch(db, [copy])
    assert r2.revisions == [] and r2.new == 0
    assert (r2.sightings[0].article_id, r2.sightings[0].method) == (r1.new_ids[0], "canonical_url")


# --------------------------------------------------------------------------- layer 2: same text
def test_same_text_other_outlet_other_headline(db):
    r1 = store.append_batch(db, [art()])
    copy = art(
        url="https://azernews.example/business/1001.html",
        source="Azernews",
        title="Middle Corridor lifts Baku port volumes",
        text=PORT.replace("\n\n", "\n").upper(),
    )
    r2 = store.append_batch(db, [copy])
    assert (r2.sightings[0].article_id, r2.sightings[0].method) == (r1.new_ids[0], "content_hash")


def test_short_identical_texts_on_other_days_stay_apart(db):
    short = "The manat rate is unchanged at 1.7000."
    a = art(url="https://x.example/1", text=short, title="Manat rate", published_at="2025-04-21")
    b = art(url="https://x.example/2", text=short, title="Manat rate", published_at="2025-04-22")
    c = art(url="https://x.example/3", text=short, title="Manat rate", published_at="2025-04-22")
    r = store.append_batch(db, [a, b, c])
    assert r.new == 2 and [s.method for s in r.sightings] == ["content_hash"]


# --------------------------------------------------------------------------- layer 3: title
def test_same_source_same_title_teaser_and_full_story(db):
    full = art(url="https://en.trend.az/business/economy/4085123.html")
    teaser = art(
        url="https://feeds.trend.example/item/abc",
        text=PORT.split("\n\n")[0] + "\n\n" + PORT.split("\n\n")[1],
        published_at="2025-04-23",
    )
    r = store.append_batch(db, [full, teaser])
    assert r.new == 1 and r.sightings[0].method == "title"
    assert sightings(db)[0]["details"]["days_apart"] == 1


def test_same_title_different_story_stays_apart(db):
    title = "Earthquake hits Azerbaijan-Iran border"
    a = art(url="https://report.example/1", text=QUAKE_1, title=title, published_at="2025-01-06")
    b = art(url="https://report.example/2", text=QUAKE_2, title=title, published_at="2025-01-12")
    assert store.append_batch(db, [a, b]).new == 2


# --------------------------------------------------------------------------- layer 4: near text
def test_republished_with_chrome_and_edits_is_a_near_duplicate(db):
    r1 = store.append_batch(db, [art()])
    edited = PORT.replace("welcomed the figures", "praised the numbers").replace(
        "main bottleneck", "principal bottleneck"
    )
    paras = edited.split("\n\n")
    copy_text = HEADER + "\n\n" + "\n\n".join(paras[:3]) + "\n\n" + FOOTER  # last paragraph cut
    copy = art(
        url="https://caspiandaily.example/b/9",
        source="Caspian Daily",
        text=copy_text,
        title="Port of Baku reports growth",
    )
    r2 = store.append_batch(db, [copy])
    assert r2.new == 0
    s = sightings(db)[0]
    assert (s["article_id"], s["method"]) == (r1.new_ids[0], "near_text")
    ev = s["details"]
    assert ev["core_jaccard"] >= 0.5 and ev["number_conflicts"] == []
    assert ev["band_hits"] >= 1 and ev["candidates"][0]["article_id"] == r1.new_ids[0]
    assert 0.5 <= s["similarity"] <= 1.0


def test_chinese_copy_is_found_by_character_shingles(db):
    a = art(url="https://cn.example/a/1", text=ZH, title="两国建立全面战略伙伴关系", source="CN1")
    copy = art(
        url="https://cn2.example/b/2",
        source="CN2",
        title="阿中关系进入新阶段",
        text="首页 > 国际新闻\n\n" + ZH.replace("绿色能源", "可再生能源") + "\n\n责任编辑：王明",
    )
    r = store.append_batch(db, [a, copy])
    assert r.new == 1 and r.sightings[0].method == "near_text"


def test_same_topic_articles_stay_apart(db):
    b = art(
        url="https://x.example/2", text=PORT_OTHER, title="Chinese logistics firms head to Baku"
    )
    assert store.append_batch(db, [art(), b]).new == 2


def test_template_wire_items_stay_apart(db):
    items = [
        rate_item(21, "1.9312", "0.0205"),
        rate_item(22, "1.9388", "0.0206"),
        rate_item(23, "1.9388", "0.0207"),  # the euro did not move: only the date and ruble did
        rate_item(24, "1.9400", "0.0207"),
        rate_item(25, "1.9400", "0.0207"),  # every rate unchanged: only the date differs
    ]
    r = store.append_batch(db, items)
    assert r.new == 5, [(s.url, s.method) for s in r.sightings]
    # Why: the values differ in the same place.
    sig = [dedup.TextSig(i.text) for i in items]
    cmp = dedup.compare(sig[3], sig[4])
    assert cmp.core_jaccard > 0.5  # alike enough to be a copy...
    ok, why = dedup.near_verdict(cmp)
    assert not ok and "24" in why and "25" in why  # ...but for April 24 vs April 25


def test_a_digest_quoting_an_article_is_not_that_article(db):
    digest = art(
        url="https://digest.example/today",
        source="Digest",
        title="Morning briefing",
        text=f"{PORT_OTHER}\n\n{QUAKE_1}\n\n{QUAKE_2}\n\n{PORT}",
    )
    assert store.append_batch(db, [art(), digest]).new == 2


def test_near_duplicates_are_searched_within_the_time_window(db):
    store.append_batch(db, [art()])
    late = art(
        url="https://late.example/1",
        source="Late",
        published_at="2025-09-01",
        text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
    )
    # Three months later, a copy with chrome is not compared (index lookups stay bounded).
    assert store.append_batch(db, [late], now="2025-09-01T00:00:00+00:00").new == 1


def test_a_batch_dedups_against_itself(db):
    copy = art(
        url="https://caspiandaily.example/b/9",
        source="Caspian Daily",
        text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
    )
    r = store.append_batch(db, [art(), copy, art()])
    assert r.new == 1
    assert [s.method for s in r.sightings] == ["near_text", "canonical_url"]


# --------------------------------------------------------------------------- revisions
def test_changed_text_at_the_same_url_is_a_revision(db):
    r1 = store.append_batch(db, [art()], run_id="r1")
    aid = r1.new_ids[0]
    updated = art(
        title="Baku port cargo up 15% on Middle Corridor containers",
        text=PORT + "\n\nThe port plans to publish half-year figures in July.",
    )
    r2 = store.append_batch(db, [updated], run_id="r2")
    assert (r2.new, r2.duplicates) == (0, 0)
    rev = r2.revisions[0]
    assert (rev.article_id, rev.revision, rev.title_changed) == (aid, 1, True)
    row = db.execute(
        "SELECT revision, run_id, title_changed, words_added, words_removed, similarity, details "
        "FROM article_revisions"
    ).fetchone()
    assert row[:3] == (1, "r2", 1) and row[3] >= 9 and row[4] == 0 and 0.8 < row[5] < 1
    assert json.loads(row[6])["old_title"] == "Baku port cargo up on Middle Corridor containers"
    # Append-only: the article row keeps what was first published...
    assert db.execute("SELECT text FROM articles").fetchone()[0] == PORT
    # ...and articles_latest shows the newest version.
    latest = db.execute("SELECT revision, text FROM articles_latest WHERE id = ?", [aid]).fetchone()
    assert latest[0] == 1 and latest[1].endswith("half-year figures in July.")
    # The same version again, or the first one again, is not another revision.
    r3 = store.append_batch(db, [updated, art()], run_id="r3")
    assert r3.revisions == [] and [s.method for s in r3.sightings] == ["canonical_url"] * 2
    assert count(db, "articles") == 1 and count(db, "article_revisions") == 1


def test_a_copy_of_the_revised_text_finds_the_article(db):
    store.append_batch(db, [art(text=PORT_OTHER)])
    store.append_batch(db, [art(text=PORT)])  # the page was rewritten completely
    copy = art(
        url="https://caspiandaily.example/b/9",
        source="Caspian Daily",
        text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
    )
    r = store.append_batch(db, [copy])
    assert r.new == 0 and r.sightings[0].method == "near_text"
    assert sightings(db)[0]["details"]["version"] == 1


def test_a_truncated_refetch_is_not_a_revision(db):
    store.append_batch(db, [art()])
    paywalled = art(text=PORT.split("\n\n")[0] + "\n\n" + PORT.split("\n\n")[1], truncated=True)
    r = store.append_batch(db, [paywalled])
    assert r.revisions == [] and r.sightings[0].method == "canonical_url"
    assert sightings(db)[0]["details"]["truncated_copy"] is True


# --------------------------------------------------------------------------- outlets
def test_outlets_for_and_story_outlets_view(db):
    r1 = store.append_batch(db, [art()], run_id="r1", now="2025-04-22T08:00:00+00:00")
    aid = r1.new_ids[0]
    copies = [
        art(url="https://azernews.example/1001.html", source="Azernews", title="Other headline"),
        art(
            url="https://caspiandaily.example/b/9",
            source="Caspian Daily",
            text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
        ),
        art(url="https://en.trend.az/business/economy/4085123.html?utm_source=tg"),
    ]
    store.append_batch(db, copies, run_id="r2", now="2025-04-22T09:00:00+00:00")
    outlets = dedup.outlets_for(db, aid)
    assert [(o["source"], o["method"]) for o in outlets] == [
        ("Trend", "original"),
        ("Azernews", "content_hash"),
        ("Caspian Daily", "near_text"),
        ("Trend", "canonical_url"),
    ]
    assert outlets[0]["seen_at"] == "2025-04-22T08:00:00+00:00"
    view = db.execute(
        "SELECT article_id, outlets, sources, sightings FROM story_outlets"
    ).fetchall()
    assert len(view) == 1
    article_id, n, sources, seen = view[0]
    assert (article_id, n, seen) == (aid, 3, 3)
    assert sorted(json.loads(sources)) == ["Azernews", "Caspian Daily", "Trend"]


# --------------------------------------------------------------------------- explain
def test_explain_a_stored_article_a_duplicate_and_an_unknown_url(db):
    r1 = store.append_batch(
        db,
        [
            art(),
            art(
                url="https://x.example/2",
                text=PORT_OTHER,
                title="Chinese logistics firms head to Baku",
            ),
        ],
    )
    copy = art(
        url="https://caspiandaily.example/b/9",
        source="Caspian Daily",
        text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}",
    )
    store.append_batch(db, [copy])

    stored = explain.explain(db, "https://en.trend.az/business/economy/4085123.html?utm_source=x")
    assert stored["status"] == "stored" and stored["article_id"] == r1.new_ids[0]
    assert stored["identity_key"] == "trend.az:4085123"
    assert [o["source"] for o in stored["outlets"]] == ["Trend", "Caspian Daily"]
    text = explain.format_explanation(stored)
    assert f"stored as article #{r1.new_ids[0]}" in text and "Caspian Daily" in text

    dup = explain.explain(db, "https://caspiandaily.example/b/9")
    assert dup["status"] == "duplicate" and dup["article_id"] == r1.new_ids[0]
    assert dup["this_url"][0]["method"] == "near_text"
    text = explain.format_explanation(dup)
    assert "matched by near_text" in text and "core Jaccard" in text

    unknown = explain.explain(db, "https://nowhere.example/x")
    assert unknown["status"] == "unknown"
    assert "not in the store" in explain.format_explanation(unknown)


def test_explain_a_record_before_storing_it(db):
    store.append_batch(db, [art()])
    other = art(url="https://x.example/2", text=PORT_OTHER, title="Chinese logistics firms")
    d = explain.explain(db, other.url, article=other)
    assert d["status"] == "would be new"
    copy = art(url="https://c.example/9", source="C", text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}")
    d = explain.explain(db, copy.url, article=copy)
    assert d["status"] == "would be a duplicate" and d["decision"]["method"] == "near_text"
    assert d["nearest"][0]["duplicate"] is True
    assert "would be a duplicate of article #1 by near_text" in explain.format_explanation(d)
    assert count(db, "sightings") == 0  # a dry run writes nothing


# --------------------------------------------------------------------------- maintenance
def test_rebuild_recomputes_the_index(db):
    store.append_batch(db, [art(), art(url="https://x.example/2", text=PORT_OTHER, title="Other")])
    store.append_batch(db, [art(url="https://a.example/1", source="A", title="Copy")])
    before = {t: count(db, t) for t in ("dedup_signatures", "dedup_bands", "dedup_keys")}
    db.execute("DELETE FROM dedup_bands")
    assert dedup.rebuild(db) == 2
    assert {t: count(db, t) for t in before} == before
    copy = art(url="https://c.example/9", source="C", text=f"{HEADER}\n\n{PORT}\n\n{FOOTER}")
    assert store.append_batch(db, [copy]).sightings[0].method == "near_text"


def test_changed_parameters_are_refused_until_rebuild(db):
    store.append_batch(db, [art()])
    other = dedup.Params(bands=16, rows=4)
    with pytest.raises(dedup.DedupParamsChanged, match="rebuild"):
        dedup.Deduper(db, other)
    dedup.rebuild(db, other)
    dedup.Deduper(db, other)  # accepted now


def test_migrate_is_idempotent_and_indexes_an_existing_store(tmp_path):
    database = store.open_db(tmp_path / "old.db")
    # A store written before the dedup tables existed.
    database.execute("DROP TABLE IF EXISTS dedup_signatures")
    for t in ("dedup_bands", "dedup_keys"):
        database.execute(f"DROP TABLE IF EXISTS {t}")
    with writing(database):
        database.execute(
            "INSERT INTO articles (url, canonical_url, source, title, text, content_hash, "
            "published_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                "https://x.example/1",
                "https://x.example/1",
                "X",
                "t",
                PORT,
                dedup.content_hash(PORT),
                "2025-04-22",
            ],
        )
    for _ in range(2):
        with writing(database):
            dedup.migrate(database)
    assert count(database, "dedup_signatures") == 1
    names = set(database.table_names()) | set(database.view_names())
    assert {
        "article_revisions",
        "dedup_bands",
        "dedup_keys",
        "story_outlets",
        "articles_latest",
    } <= names
    database.close()


def test_signatures_do_not_depend_on_the_process():
    # Band keys are stored: they must be the same in every run (no salted str hash).
    code = "from store import dedup; import sys; print(dedup.TextSig(sys.stdin.read()).band_keys())"
    root = Path(__file__).resolve().parents[1]
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=PORT,
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1 and str(dedup.TextSig(PORT).band_keys()) == outs.pop().strip()


def test_a_band_lookup_reads_its_time_window_only(tmp_path: Path):
    # Issue 15: keyed by (key, article), a band key shared by many stored articles (a
    # recurring paragraph) was read over the whole history on every append.
    db = store.open_db(tmp_path / "bands.db")
    common = " ".join(f"recurring{i}" for i in range(200))  # the same 200 words everywhere
    batch = [
        Article(
            url=f"https://outlet.example/{n}",
            source="outlet",
            title=f"Story {n}",
            language="en",
            published_at=f"20{10 + n // 6:02d}-{1 + 2 * (n % 6):02d}-15T10:00:00+04:00",
            text=common + " " + " ".join(f"w{n}x{i}" for i in range(20)),
        )
        for n in range(30)
    ]
    store.append_batch(db, batch)
    deduper = dedup.Deduper(db)
    probe = deduper.prepare(
        {
            "url": "https://other.example/1",
            "source": "other",
            "title": "New",
            "published_at": "2011-03-20T10:00:00+04:00",
            "first_seen_at": "2011-03-20T10:00:00Z",
            "text": common + " " + " ".join(f"fresh{i}" for i in range(20)),
            "content_hash": "x",
        }
    )
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    found = deduper.candidates(probe)
    db.conn.set_trace_callback(None)
    # Only the article of March 2011 is inside the 30-day window ...
    ids = {r[0] for r in db.execute("SELECT id FROM articles WHERE published_at LIKE '2011-03%'")}
    assert {c["article_id"] for c in found} == ids
    # ... and the lookup seeks the window in the index rather than reading every day,
    # inside the window's period: the part of the index that appends of that time use.
    lookup = next(s for s in seen if "dedup_bands" in s)
    plan = " ".join(r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + lookup))
    assert "period=? AND key=? AND day>? AND day<?" in plan, plan
    db.close()


_WORDS = ["Baku", "port", "cargo", "1.2", "China", "said", "the", "of", "rail", "2025", "中国"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(_WORDS), max_size=30), max_size=8),
    st.lists(st.lists(st.sampled_from(_WORDS), max_size=30), max_size=8),
)
def test_paragraph_overlaps_are_each_paragraphs_share_in_the_other_text(
    lines_a: list[list[str]], lines_b: list[list[str]]
) -> None:
    """The one-search overlap of every paragraph equals the paragraph-by-paragraph one."""
    from store.similarity import TextSig, _overlaps

    a = TextSig("\n".join(" ".join(w) for w in lines_a))
    b = TextSig("\n".join(" ".join(w) for w in lines_b))
    one_by_one = [
        float(np.isin(sh, b.shingles, assume_unique=True).mean()) if sh.size else 0.0
        for _, sh in a.paragraphs
    ]
    assert _overlaps(a, b.shingles) == one_by_one


_LINE_WORDS = [*_WORDS, "Bakı", "İlham", "中国", "一带一路", "\u0e44\u0e17\u0e22", "3,5", ""]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_LINE_WORDS), max_size=12), max_size=10))
def test_every_lines_shingles_are_that_line_alone_tokenised_and_hashed(
    lines: list[list[str]],
) -> None:
    """The signature's paragraphs, computed for the whole text at once, are what each line
    gives alone: its tokens, their k-grams (one gram of every token for a line shorter
    than k), unique and sorted; empty lines have none."""
    from store.similarity import _TOKEN_RE, TextSig, _fold, _hash_tokens, _kgrams

    text = "\n".join(" ".join(words) for words in lines)
    sig = TextSig(text)
    want = []
    for line in sig.text.split("\n"):
        toks = _TOKEN_RE.findall(_fold(line))
        if toks:
            want.append((len(toks), _kgrams(_hash_tokens(toks), sig.params.shingle)))
    got = sig.paragraphs
    assert [n for n, _ in got] == [n for n, _ in want]
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tolist() == w.tolist()
    assert sig.tokens == [
        t for line in sig.text.split("\n") for t in _TOKEN_RE.findall(_fold(line))
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_tokens_are_letters_runs_numbers_and_single_characters_of_unspaced_scripts(
    text: str,
) -> None:
    """The tokeniser matches its definition: one character of a script written without
    spaces, a number with its inner separators, or a run of other letters."""
    import re

    from store.similarity import _NOSPACE, _TOKEN_RE

    spelled = re.compile(rf"[{_NOSPACE}]|\d+(?:[.,:/]\d+)*|(?:(?![{_NOSPACE}])[^\W\d_])+")
    probe = text + " 中国一带 ไทย Bakı 3,5.1 a_b"
    assert _TOKEN_RE.findall(probe) == spelled.findall(probe)


def test_a_stored_text_is_tokenised_once_and_a_changed_one_anew() -> None:
    from store.similarity import stored_sig

    first = stored_sig(PORT)
    assert stored_sig(PORT) is first
    changed = stored_sig(PORT.replace("1.2 million", "1.3 million"))
    assert changed is not first and "1.3" in changed.tokens
