"""The analyst's desk over HTTP: a real store file, a real ``datasette`` process, httpx.

Articles in English, Azerbaijani, Russian and Chinese are appended through the store's
own ``append_batch`` (so duplicates across outlets become sightings), tagged by topic,
and served with the metadata newsmon generates. Everything is checked the way an
analyst would: search, facets, canned queries, feeds, exports, dashboard, no writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import feedparser
import httpx
import pytest

import store
from parsers.record import Article
from parsers.topics import Topic, load_topics
from store import datasette as desk
from store import db as store_db
from store import health as store_health
from store import schema as store_schema
from store import topics as store_topics
from tests.topic_defs import AZ_CN

TOPICS_CONFIG = [
    AZ_CN,
    {
        "name": "energy",
        "title": "Oil and gas",
        "groups": [
            {
                "mode": "any",
                "terms": ["oil", "gas", "neft", "qaz", "нефть", "газ", "石油", "天然气"],
            }
        ],
    },
]

P = "\n\n".join  # paragraphs, as the record contract stores them

# (published_at, source, language, section, url, title, text). Written for these tests.
ARTICLES = [
    (
        "2025-04-21T20:20:00+04:00",
        "trend",
        "en",
        "Politics",
        "https://en.example-trend.test/politics/4100001.html",
        "Azerbaijan and China sign a freight agreement for the Middle Corridor",
        P(
            [
                "BAKU, Azerbaijan, April 21. Azerbaijan and China signed an agreement on "
                "container freight along the Middle Corridor on Monday.",
                "The document foresees regular block trains between Xi'an and the port of Alat, "
                "the ministry said.",
                "Officials in Beijing called the route a priority for the coming years.",
            ]
        ),
    ),
    (
        "2025-04-22T10:05:00+04:00",
        "report",
        "az",
        "Siyasət",
        "https://report.example.test/xeber/azerbaycan-cin-muqavile",
        "AZƏRBAYCAN VƏ ÇİN YENİ SAZİŞ İMZALAYIB",
        P(
            [
                "Bakı. Azərbaycanla Çinin nəqliyyat nazirlikləri Orta Dəhliz üzrə yeni saziş "
                "imzalayıb.",
                "Sənədə əsasən, Çindən gələn konteyner qatarlarının sayı artırılacaq.",
            ]
        ),
    ),
    (
        "2025-04-22T12:00:00+04:00",
        "trend",
        "ru",
        "Политика",
        "https://ru.example-trend.test/politics/4100002.html",
        "Азербайджан и Китай расширяют сотрудничество",
        P(
            [
                "Президент Азербайджана принял делегацию Китая в Баку.",
                "Стороны обсудили грузовые перевозки и сотрудничество с Китаем в энергетике.",
            ]
        ),
    ),
    (
        "2025-04-23T09:00:00+08:00",
        "xinhua",
        "zh",
        "国际",
        "https://xinhua.example.test/world/20250423/a1.html",
        "中国同阿塞拜疆签署合作文件",
        P(
            [
                "新华社北京4月23日电 中国和阿塞拜疆两国政府代表在北京签署了运输合作文件。",
                "双方表示将扩大石油和天然气领域的合作。",
            ]
        ),
    ),
    (
        "2025-04-23T15:30:00+04:00",
        "azernews",
        "en",
        "Business",
        "https://azernews.example.test/business/250001.html",
        "Baku hosts the international oil and gas exhibition",
        P(
            [
                "The annual oil and gas exhibition opened in Baku on Wednesday with exhibitors "
                "from forty countries.",
                "Organisers expect more visitors than last year.",
            ]
        ),
    ),
    (
        "2025-04-24T08:00:00+08:00",
        "xinhua",
        "en",
        "Business",
        "https://xinhua.example.test/english/20250424/b2.html",
        "China's exports rise in April",
        P(
            [
                "BEIJING, April 24. Chinese exports rose in April, customs data showed on "
                "Thursday.",
            ]
        ),
    ),
    (
        "2025-04-24T19:45:00+04:00",
        "azernews",
        "en",
        "Society",
        "https://azernews.example.test/society/250002.html",
        "A Chinatown-style night market opens in Baku",
        P(["A night market modelled on Chinatown food streets opened in Baku's old town."]),
    ),
    (
        "2025-04-25T11:10:00+04:00",
        "report",
        "az",
        "Hadisə",
        "https://report.example.test/xeber/cinayet-isi",
        "Bakıda cinayət işi başlanıb",
        P(["Bakı şəhərində oğurluq faktı ilə bağlı cinayət işi başlanıb."]),
    ),
]

# The same stories carried by other outlets: identical texts, so exact dedup records them
# as sightings of the originals (articles 1 and 4).
REPUBLISHED = [
    ("azernews", "https://azernews.example.test/politics/250003.html", 0),
    ("report", "https://report.example.test/en/news/azerbaijan-china-freight", 0),
    ("trend", "https://en.example-trend.test/world/4100003.html", 3),
]


def make_topics() -> list[Topic]:
    return load_topics(TOPICS_CONFIG)


def _record(row: tuple, *, source: str | None = None, url: str | None = None) -> Article:
    published, src, language, section, link, title, text = row
    return Article(
        url=url or link,
        canonical_url=url or link,
        source=source or src,
        title=title,
        published_at=published,
        section=section,
        language=language,
        text=text,
        tags=["Azerbaijan", "China"] if "China" in title else [],
    )


def build_sample_store(path: Path) -> Path:
    """A store file as the pipeline leaves it: articles, sightings, runs, an error, tags."""
    db = store.open_db(path)
    store_topics.migrate(db)
    run_id = store.start_run(db, "monitor_news")
    result = store.append_batch(
        db, [_record(r) for r in ARTICLES], run_id=run_id, now="2025-04-25T12:00:00+00:00"
    )
    copies = [_record(ARTICLES[i], source=s, url=u) for s, u, i in REPUBLISHED]
    later = store.append_batch(db, copies, run_id=run_id, now="2025-04-25T13:00:00+00:00")
    assert result.new == len(ARTICLES) and later.duplicates == len(REPUBLISHED)
    store.record_error(
        db,
        run_id,
        source="xinhua",
        item="https://xinhua.example.test/feed.xml",
        stage="fetch",
        message="HTTP 503 Service Unavailable",
    )
    store.finish_run(
        db,
        run_id,
        status="completed",
        items=11,
        new=result.new,
        duplicates=later.duplicates,
        errors=1,
    )
    store_topics.tag_articles(db, make_topics())
    db.close()
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_datasette(db_path: Path, topics: list[Topic], workdir: Path) -> Iterator[str]:
    """Start ``datasette`` exactly as ``newsmon serve-db`` does; yield its base URL."""
    port = free_port()
    argv = desk.prepare_serve(db_path, topics, "127.0.0.1", port)
    log = (workdir / "datasette.log").open("wb")
    proc = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError((workdir / "datasette.log").read_text())
            try:
                if (
                    httpx.get(f"{base}/-/versions.json", timeout=2, trust_env=False).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("datasette did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("desk")
    db_path = build_sample_store(workdir / "newsmon.db")
    with running_datasette(db_path, make_topics(), workdir) as base:
        yield base, db_path


@pytest.fixture(scope="module")
def client(served: tuple[str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], timeout=30, trust_env=False) as c:
        yield c


def rows(client: httpx.Client, path: str, **params: str) -> list[dict]:
    response = client.get(path, params={**params, "_shape": "objects"})
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def titles(found: list[dict]) -> set[str]:
    return {r["title"] for r in found}


# --------------------------------------------------------------------------- search
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("freight", {ARTICLES[0][5]}),
        ("Azərbaycanla", {ARTICLES[1][5]}),
        ("azərbaycan*", {ARTICLES[1][5]}),  # title in capitals, body inflected
        ("Азербайджан*", {ARTICLES[2][5]}),
        ("exhibition", {ARTICLES[4][5]}),
    ],
)
def test_table_search_finds_each_language(client: httpx.Client, query: str, expected: set):
    found = rows(client, "/newsmon/articles.json", _search=query)  # raw mode is the default
    assert titles(found) == expected


def test_search_query_finds_chinese_inside_a_sentence(client: httpx.Client):
    # unicode61 keeps a Chinese sentence as one token: the canned search falls back to a
    # substring scan so that a word in the middle of a sentence is found.
    found = rows(client, "/newsmon/search.json", q="阿塞拜疆")
    assert titles(found) == {ARTICLES[3][5]}
    assert "阿塞拜疆" in found[0]["snippet"]
    latin = rows(client, "/newsmon/search.json", q="Middle Corridor")
    assert titles(latin) == {ARTICLES[0][5]}
    assert "[Middle]" in latin[0]["snippet"]


def test_articles_newest_first_with_facets(client: httpx.Client):
    data = client.get("/newsmon/articles.json", params={"_shape": "objects"}).json()
    published = [r["published_at"] for r in data["rows"]]
    assert published == sorted(published, reverse=True)
    facets = data["facet_results"]
    # Publication days: a facet on the stored day (the outlet's own calendar day).
    assert {"source", "language", "section", "day"} <= set(facets)
    languages = {f["value"]: f["count"] for f in facets["language"]["results"]}
    assert languages == {"en": 4, "az": 2, "ru": 1, "zh": 1}
    days = {f["value"]: f["count"] for f in facets["day"]["results"]}
    assert sum(days.values()) == len(ARTICLES)


# Filters under which the kept counts answer the facets, and ones that make the plugin
# count the rows themselves: the numbers must be the same either way.
_FILTERS = [
    {},
    {"language": "az"},
    {"source": "trend"},
    {"section": "Politics"},
    {"day": "2025-04-21"},
    {"language__exact": "en", "source": "trend"},
    {"_through": json.dumps({"table": "article_topics", "column": "topic", "value": "energy"})},
    {"_search": "China"},  # a search: counted by reading the matching rows
    {"published_at__gte": "2025-04-22"},  # a range: the same
]


@pytest.mark.parametrize("filters", _FILTERS, ids=lambda f: "&".join(f) or "none")
def test_counted_facets_equal_a_count_of_the_rows(client: httpx.Client, served, filters):
    # Issue 15: the articles page's facets sum the kept counts instead of grouping every
    # article; an analyst must see the numbers a count of the shown rows gives.
    data = client.get("/newsmon/articles.json", params={**filters, "_size": "max"}).json()
    shown = data["rows"]
    assert data["filtered_table_rows_count"] == len(shown)
    facets = data["facet_results"]
    con = sqlite3.connect(served[1])
    try:
        tagged = {}
        for article_id, topic in con.execute("SELECT article_id, topic FROM article_topics"):
            tagged.setdefault(article_id, []).append(topic)
    finally:
        con.close()
    columns = {name: i for i, name in enumerate(data["columns"])}
    for name in ("source", "language", "section", "day", "topic"):
        expected: dict[str, int] = {}
        for row in shown:
            values = tagged.get(row[columns["id"]], []) if name == "topic" else [row[columns[name]]]
            for value in values:
                if value not in (None, ""):
                    expected[value] = expected.get(value, 0) + 1
        got = {f["value"]: f["count"] for f in facets[name]["results"]}
        assert got == expected, (name, filters)


def test_a_counted_facet_value_links_to_its_rows(client: httpx.Client):
    data = client.get("/newsmon/articles.json").json()
    az = next(f for f in data["facet_results"]["language"]["results"] if f["value"] == "az")
    chosen = client.get(az["toggle_url"]).json()
    assert chosen["filtered_table_rows_count"] == az["count"] == 2
    selected = next(f for f in chosen["facet_results"]["language"]["results"] if f["value"] == "az")
    assert selected["selected"]
    energy = next(f for f in data["facet_results"]["topic"]["results"] if f["value"] == "energy")
    tagged = client.get(energy["toggle_url"]).json()
    assert tagged["filtered_table_rows_count"] == energy["count"]


@pytest.mark.parametrize("filters", [{}, {"language": "en"}, {"source": "trend"}])
def test_a_topic_link_opens_the_topics_page_with_the_same_filters(
    client: httpx.Client, filters: dict
):
    # Issue 15: the articles table sorting a whole topic took a second at a million
    # articles; the topic's own page, with the page's filters, answers from its tags.
    data = client.get("/newsmon/articles.json", params=filters).json()
    for value in data["facet_results"]["topic"]["results"]:
        assert "/newsmon/articles_by_topic.json?" in value["toggle_url"]
        page = client.get(value["toggle_url"] + "&_shape=objects&_size=max")
        shown = page.json()["rows"]
        assert page.json()["filtered_table_rows_count"] == len(shown) == value["count"] > 0
        assert {r["topic"] for r in shown} == {value["value"]}
        for column, wanted in filters.items():
            assert {r[column] for r in shown} == {wanted}


def test_search_in_a_topic(client: httpx.Client, served):
    con = sqlite3.connect(served[1])
    try:
        energy = {
            r[0]
            for r in con.execute("SELECT article_id FROM article_topics WHERE topic = 'energy'")
        }
    finally:
        con.close()
    for query in ("China", "Baku OR Beijing OR China", "北京"):
        every = rows(client, "/newsmon/search.json", q=query)
        inside = rows(client, "/newsmon/search.json", q=query, topic="energy")
        assert {r["article_id"] for r in inside} == {
            r["article_id"] for r in every if r["article_id"] in energy
        }
    assert rows(client, "/newsmon/search.json", q="China", topic="no-such-topic") == []
    home = client.get("/").text
    assert 'href="/newsmon/search?topic=energy"' in home


def test_topic_facet_and_filter(client: httpx.Client):
    data = client.get("/newsmon/articles_by_topic.json", params={"_shape": "objects"}).json()
    counts = {f["value"]: f["count"] for f in data["facet_results"]["topic"]["results"]}
    assert counts == {"azerbaijan-china": 4, "energy": 2}
    through = json.dumps(
        {"table": "article_topics", "column": "topic", "value": "azerbaijan-china"}
    )
    tagged = rows(client, "/newsmon/articles.json", _through=through)
    assert titles(tagged) == {ARTICLES[i][5] for i in (0, 1, 2, 3)}


# --------------------------------------------------------------------------- canned queries
def test_latest_on_topic(client: httpx.Client):
    found = rows(client, "/newsmon/latest_on_topic.json", topic="azerbaijan-china")
    assert [r["language"] for r in found] == ["zh", "ru", "az", "en"]  # newest first
    assert "Chinatown" not in " ".join(r["title"] for r in found)
    az = next(r for r in found if r["language"] == "az")
    assert set(json.loads(az["matched_terms"])) >= {"Azərbaycan", "Çin"}


def test_stories_carried_by_several_outlets(client: httpx.Client):
    found = rows(client, "/newsmon/multi_outlet_stories.json", topic="")
    by_title = {r["title"]: r for r in found}
    freight = by_title[ARTICLES[0][5]]
    assert freight["outlets"] == 3
    assert set(freight["sources"].split(", ")) == {"trend", "azernews", "report"}
    assert by_title[ARTICLES[3][5]]["outlets"] == 2
    assert len(found) == 2
    energy = rows(client, "/newsmon/multi_outlet_stories.json", topic="energy")
    assert titles(energy) == {ARTICLES[3][5]}


def test_source_health_and_volume(client: httpx.Client):
    health = {r["source"]: r for r in rows(client, "/newsmon/source_health.json")}
    assert set(health) == {"trend", "report", "xinhua", "azernews"}
    assert health["xinhua"]["articles"] == 2
    assert "HTTP 503" in health["xinhua"]["last_error"]
    assert health["trend"]["last_error"] is None
    volume = rows(client, "/newsmon/volume_per_day.json", since="2025-04-24")
    assert {(r["day"], r["source"]): r["articles"] for r in volume} == {
        ("2025-04-24", "xinhua"): 1,
        ("2025-04-24", "azernews"): 1,
        ("2025-04-25", "report"): 1,
    }


# --------------------------------------------------------------------------- feeds
def test_topic_feed_is_valid_atom(client: httpx.Client):
    response = client.get("/newsmon/topic_feed.atom", params={"topic": "azerbaijan-china"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == [ARTICLES[i][5] for i in (3, 2, 1, 0)]
    first = feed.entries[0]
    assert first.link == ARTICLES[3][4]
    assert "<p>" in first.content[0].value and "运输合作文件" in first.content[0].value
    assert tuple(first.updated_parsed)[:5] == (2025, 4, 23, 1, 0)  # +08:00 converted to UTC
    assert len({e.id for e in feed.entries}) == 4


def test_per_topic_feed_has_the_topic_title(client: httpx.Client):
    feed = feedparser.parse(client.get("/newsmon/feed-energy.atom").content)
    assert not feed.bozo
    assert feed.feed.title == "newsmon: Oil and gas"
    assert {e.title for e in feed.entries} == {ARTICLES[3][5], ARTICLES[4][5]}


def test_search_feed_and_empty_feed(client: httpx.Client):
    feed = feedparser.parse(client.get("/newsmon/search_feed.atom", params={"q": "北京"}).content)
    assert not feed.bozo and [e.title for e in feed.entries] == [ARTICLES[3][5]]
    feed = feedparser.parse(
        client.get("/newsmon/search_feed.atom", params={"q": "Azerbaijan OR Китай*"}).content
    )
    assert {e.title for e in feed.entries} == {ARTICLES[0][5], ARTICLES[2][5]}
    # A subscription made before anything matches must still be a valid feed.
    empty = client.get("/newsmon/topic_feed.atom", params={"topic": "no-such-topic"})
    assert empty.status_code == 200
    feed = feedparser.parse(empty.content)
    assert not feed.bozo and len(feed.entries) == 1
    assert feed.entries[0].title == "No articles yet on no-such-topic"
    feed = feedparser.parse(
        client.get("/newsmon/search_feed.atom", params={"q": "Tbilisi"}).content
    )
    assert not feed.bozo and [e.title for e in feed.entries] == ["Nothing found yet for Tbilisi"]


# --------------------------------------------------------------------------- exports
def test_csv_and_json_exports(client: httpx.Client):
    response = client.get("/newsmon/latest_on_topic.csv", params={"topic": "energy"})
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["title"] for r in table} == {ARTICLES[3][5], ARTICLES[4][5]}
    full = client.get("/newsmon/articles.csv", params={"_stream": "on", "language": "az"})
    assert full.status_code == 200
    az = list(csv.DictReader(io.StringIO(full.text)))
    assert {r["title"] for r in az} == {ARTICLES[1][5], ARTICLES[7][5]}
    assert az[0]["text"].count("\n\n") >= 0 and "Bakı" in full.text
    data = client.get("/newsmon/articles.json", params={"_shape": "array", "source": "xinhua"})
    assert {r["title"] for r in data.json()} == {ARTICLES[3][5], ARTICLES[5][5]}


# --------------------------------------------------------------------------- pages
def test_home_and_article_page(client: httpx.Client):
    home = client.get("/")
    assert home.status_code == 200
    assert "feed-azerbaijan-china.atom" in home.text and "Coverage dashboard" in home.text
    found = rows(client, "/newsmon/articles.json", _search="freight")
    page = client.get(f"/newsmon/articles/{found[0]['id']}")
    assert page.status_code == 200
    for paragraph in ARTICLES[0][6].split("\n\n")[1:]:  # each paragraph is its own <p>
        escaped = paragraph.replace("'", "&#39;")
        assert f"<p>{escaped}</p>" in page.text
    assert f'href="{ARTICLES[0][4]}"' in page.text
    assert "Read the original" in page.text


def test_dashboard_responds_and_its_queries_run(client: httpx.Client):
    page = client.get("/-/dashboards/coverage")
    assert page.status_code == 200
    assert "Articles per day per source" in page.text
    meta = client.get("/-/metadata.json").json()
    charts = meta["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    for slug, chart in charts.items():
        sql = chart["query"].replace("[[", "/*").replace("]]", "*/")  # no filters set
        result = client.get("/newsmon.json", params={"sql": sql, "_shape": "objects"})
        assert result.status_code == 200, (slug, result.text[:300])
        assert result.json()["rows"], slug
    share = client.get(
        "/newsmon.json",
        params={
            "sql": charts["multi-share"]["query"].replace("[[", "/*").replace("]]", "*/"),
            "_shape": "objects",
        },
    ).json()["rows"][0]["share"]
    assert share == "25.0"  # 2 of 8 stories were carried by another outlet


def test_visitors_cannot_write(client: httpx.Client, served: tuple[str, Path]):
    before = rows(client, "/newsmon.json", sql="select count(*) AS n from articles")[0]["n"]
    for sql in ("delete from articles", "update articles set title = 'x'", "drop table articles"):
        response = client.get("/newsmon.json", params={"sql": sql})
        assert response.status_code in (400, 403), sql
    # No canned query is writable: a POST is rejected (Datasette 0.65 answers it with a
    # server error rather than 405, but nothing is executed).
    post = client.post("/newsmon/latest_on_topic", data={"topic": "energy"})
    assert post.status_code >= 400
    after = rows(client, "/newsmon.json", sql="select count(*) AS n from articles")[0]["n"]
    assert after == before == len(ARTICLES)


def test_serve_command_reads_the_store_read_only(tmp_path: Path):
    argv = desk.serve_command(tmp_path / "n.db", "127.0.0.1", 8123, tmp_path / "m.json")
    assert argv[1:4] == ["-m", "datasette", "serve"]
    assert "--immutable" not in argv
    assert argv[argv.index("--port") + 1] == "8123"
    assert argv[argv.index("--metadata") + 1] == str(tmp_path / "m.json")
    frozen = desk.serve_command(tmp_path / "n.db", immutable=True)
    assert frozen[frozen.index("--immutable") + 1] == str(tmp_path / "n.db")


def test_metadata_follows_the_schema(tmp_path: Path):
    # A store of the first two schema versions: no topic or health tables yet.
    bare = store_db.connect(tmp_path / "bare.db")
    for migration in store_schema.MIGRATIONS[:2]:
        migration(bare)
    bare.close()
    meta = desk.build_metadata(tmp_path / "bare.db", make_topics())
    queries = meta["databases"]["bare"]["queries"]
    assert "latest_on_topic" not in queries and "topic_feed" not in queries
    assert "source_health" in queries and "run_errors" in queries["source_health"]["sql"]
    db = store.open_db(tmp_path / "bare.db")
    store_topics.migrate(db)
    store_health.migrate(db)
    db["source_health"].insert({"source": "trend", "status": "ok"})
    db.close()
    meta = desk.build_metadata(tmp_path / "bare.db", make_topics())
    queries = meta["databases"]["bare"]["queries"]
    assert queries["source_health"]["sql"] == desk.SOURCE_HEALTH_SQL
    assert {"latest_on_topic", "topic_feed", "feed-azerbaijan-china"} <= set(queries)
    assert quote("azerbaijan-china") in meta["description_html"]
    # The CLI passes the topics as parsed from newsmon.toml; a broken one is left out.
    broken = {"name": "Bad Name", "groups": []}
    meta = desk.build_metadata(tmp_path / "bare.db", [*TOPICS_CONFIG, broken])
    queries = meta["databases"]["bare"]["queries"]
    assert {"feed-azerbaijan-china", "feed-energy"} <= set(queries)
    assert not any("Bad" in name for name in queries)
    hidden = {n for n, t in meta["databases"]["bare"]["tables"].items() if t.get("hidden")}
    # newsmon's own lookup indexes (dedup, CJK word pairs) stay off the home page.
    own = ("dedup_", "articles_cjk", "cjk_pending")
    assert hidden == {n for n in bare_tables(tmp_path / "bare.db") if n.startswith(own)}
    assert {"dedup_bands", "articles_cjk", "cjk_pending"} <= hidden


def bare_tables(path: Path) -> set[str]:
    db = store.open_db(path)
    try:
        return set(db.table_names())
    finally:
        db.close()


# --------------------------------------------------------------------------- newsmon export
def test_export_articles_by_topic_and_date(tmp_path: Path):
    from store.export import export_articles

    db = store.open_db(build_sample_store(tmp_path / "newsmon.db"))
    out = io.StringIO()
    assert export_articles(db, topic="azerbaijan-china", fmt="jsonl", out=out) == 4
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["title"] for r in records] == [ARTICLES[i][5] for i in (0, 1, 2, 3)]  # oldest first
    assert records[0]["topics"] == ["azerbaijan-china"]
    assert records[3]["topics"] == ["azerbaijan-china", "energy"]
    assert records[0]["tags"] == ["Azerbaijan", "China"] and records[0]["truncated"] is False
    assert records[1]["text"] == ARTICLES[1][6]  # paragraphs intact, ə and İ intact

    # since: 2025-04-23T09:00+08:00 is 01:00 UTC, before 2025-04-23T02:00Z
    out = io.StringIO()
    assert export_articles(db, since="2025-04-23T02:00:00+00:00", fmt="csv", out=out) == 4
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["source"] for r in table] == ["azernews", "xinhua", "azernews", "report"]
    assert json.loads(table[0]["topics"]) == ["energy"]
    out = io.StringIO()
    assert export_articles(db, since="2025-04-23", topic="energy", fmt="csv", out=out) == 2

    with pytest.raises(ValueError, match="unknown topic 'sport'.*azerbaijan-china, energy"):
        export_articles(db, topic="sport", out=io.StringIO())
    with pytest.raises(ValueError, match="since must be a date"):
        export_articles(db, since="last week", out=io.StringIO())
    with pytest.raises(ValueError, match="format must be one of"):
        export_articles(db, fmt="xlsx", out=io.StringIO())
    db.close()
