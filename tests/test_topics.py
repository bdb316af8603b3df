"""Topics: matching in Azerbaijani, Russian, Chinese and English, and tagging the store."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from parsers.topics import fold, load_topics, match_all, match_topic
from tests.topic_defs import AZ_CN

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="module")
def topic():
    return load_topics([AZ_CN])[0]


def terms(match) -> set[str]:
    return set(match.terms) if match else set()


# --------------------------------------------------------------------------- Azerbaijani
@pytest.mark.parametrize(
    "title",
    [
        "AZƏRBAYCAN VƏ ÇİN ƏMƏKDAŞLIĞI GENİŞLƏNDİRİR",  # capitals, dotted İ
        "Azərbaycan və Çin əməkdaşlığı genişləndirir",
        "azərbaycan və çin əməkdaşlığı genişləndirir",
        "Azərbaycanın Çinlə əlaqələri",  # genitive, instrumental
        "Azərbaycanda Çindən gələn nümayəndə heyəti",  # locative, ablative
        "Azərbaycanlı iş adamları Çinin bazarına çıxır",  # -lı, genitive
        "Bakıdakı görüşdə Çin'in mövqeyi",  # stacked endings, Turkish apostrophe
    ],
)
def test_azerbaijani_case_folding_and_endings(topic, title):
    match = match_topic(topic, title, "")
    assert match is not None, title
    assert "Çin" in match.terms


def test_dotless_and_dotted_i_fold_to_one_letter():
    assert fold("AZƏRBAYCANIN") == fold("Azərbaycanın") == fold("azərbaycanin")
    assert fold("ÇİN") == fold("Çin") == fold("ÇIN")
    topic = load_topics([{"name": "t", "groups": [{"terms": ["Azərbaycanın"]}]}])[0]
    assert match_topic(topic, "AZƏRBAYCANIN İQTİSADİYYATI", "")


def test_accents_are_significant_so_cin_is_not_crime(topic):
    # "cinayət" (crime) starts with "cin"; folding ç to c would tag every crime report.
    assert match_topic(topic, "Bakıda cinayət işi başlanıb", "Azərbaycan polisi") is None
    assert match_topic(topic, "Azerbaycan ve Cin", "") is None  # documented: list ASCII forms
    ascii_forms = load_topics(
        [{**AZ_CN, "groups": [{"terms": ["Azerbaycan"]}, {"terms": ["Çin", "Cin"]}]}]
    )[0]
    assert match_topic(ascii_forms, "Azerbaycan ve Cin", "")


def test_azerbaijani_first_names_are_not_china(topic):
    assert match_topic(topic, "Çingiz Abdullayev Bakıda kitabını təqdim etdi", "") is None
    assert match_topic(topic, "Bakıda çinar ağacları əkildi", "") is None  # plane trees


# --------------------------------------------------------------------------- Russian
@pytest.mark.parametrize(
    "text",
    [
        "Президент Азербайджана посетил Китай.",
        "Делегация Китая прибыла в Баку.",
        "Сотрудничество с Китаем и Азербайджаном растёт.",
        "Азербайджанский бизнес на китайском рынке — нет, на рынке Китае? В Китае.",
        "КИТАЙСКИЕ компании в Баку",
        "Азербайджанско-китайские отношения",
    ],
)
def test_russian_inflections(topic, text):
    assert match_topic(topic, None, text) is not None, text


def test_russian_stem_rule_needs_four_letters():
    topic = load_topics([{"name": "t", "groups": [{"terms": ["Баку"]}]}])[0]
    assert match_topic(topic, None, "Встреча в Баку") is not None
    assert match_topic(topic, None, "Бакинский саммит") is None  # "Бак" would be too short
    exact = load_topics([{"name": "t", "groups": [{"terms": ["=Китай"]}]}])[0]
    assert match_topic(exact, None, "Китая") is None and match_topic(exact, None, "Китай")


# --------------------------------------------------------------------------- Chinese
def test_chinese_matches_inside_sentences(topic):
    text = "新华社北京4月23日电 中国和阿塞拜疆两国政府代表签署了运输合作文件。"
    match = match_topic(topic, None, text)
    assert match is not None
    assert terms(match) == {"阿塞拜疆", "中国", "北京"}
    assert "阿塞拜疆" in match.snippet


def test_chinese_negative(topic):
    assert match_topic(topic, None, "中国外交部发言人今天举行例行记者会。") is None


# --------------------------------------------------------------------------- English
def test_english_positive_and_snippet(topic):
    text = (
        "Markets were calm on Monday.\n\n"
        "BAKU, Azerbaijan, April 21. Azerbaijan and China signed an agreement on container "
        "freight along the Middle Corridor, officials said after talks that lasted two days "
        "and covered customs, rail tariffs and port capacity at Alat."
    )
    match = match_topic(topic, "Freight deal signed", text)
    assert terms(match) == {"Azerbaijan", "Baku", "China"}
    assert match.snippet.startswith("BAKU, Azerbaijan")  # the paragraph where they meet
    assert len(match.snippet) <= 260 and match.snippet.endswith("…")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Baku hosts an oil and gas exhibition", "Exhibitors from forty countries came."),
        ("China's exports rise in April", "Customs data showed a rise in exports."),
        ("A Chinatown-style night market opens in Baku", "Food stalls line the old town."),
        ("Chinaware from Baku", "Porcelain collectors met in Azerbaijan."),
    ],
)
def test_english_negatives(topic, title, text):
    assert match_topic(topic, title, text) is None


def test_english_possessive_and_derived_forms(topic):
    assert match_topic(topic, "Azerbaijan's envoy in Beijing", "")
    assert terms(match_topic(topic, "Azerbaijani envoy meets Chinese minister", "")) == {
        "Azerbaijani",
        "Azerbaijan",
        "Chinese",
    }  # "Azerbaijan" also takes the -i ending


def test_prefix_wildcard_and_short_words_stay_exact():
    topics = load_topics(
        [
            {"name": "prefix", "groups": [{"terms": ["Chin*"]}]},
            {"name": "lin", "groups": [{"terms": ["Lin"]}]},
        ]
    )
    found = {m.topic for m in match_all(topics, "Chinatown and Linda", "")}
    assert found == {"prefix"}
    assert {m.topic for m in match_all(topics, "Lin Jian said", "")} == {"lin"}


# --------------------------------------------------------------------------- groups
def test_all_and_none_groups():
    topic = load_topics(
        [
            {
                "name": "pipeline",
                "groups": [
                    {"mode": "all", "terms": ["gas", "pipeline"]},
                    {"mode": "none", "terms": ["sport*"]},
                ],
            }
        ]
    )[0]
    assert match_topic(topic, "Gas pipeline to Europe", "") is not None
    assert match_topic(topic, "Gas prices rise", "") is None  # "all": pipeline missing
    assert match_topic(topic, "Gas pipeline", "The sports ministry sponsors it.") is None


def test_paragraph_proximity():
    definition = {**AZ_CN, "proximity": "paragraph"}
    near = load_topics([definition])[0]
    far_apart = (
        "Azerbaijan held a cabinet meeting on the budget.\n\n"
        "Unrelated weather news.\n\n"
        "China reported strong growth in the third quarter."
    )
    assert match_topic(near, "Cabinet news", far_apart) is None
    article_level = load_topics([AZ_CN])[0]
    assert match_topic(article_level, "Cabinet news", far_apart) is not None
    together = far_apart + "\n\nBaku and Beijing agreed on a new flight route."
    match = match_topic(near, "Cabinet news", together)
    assert match is not None
    assert match.snippet == "Baku and Beijing agreed on a new flight route."
    assert terms(match) == {"Baku", "Beijing"}  # only the terms of the paragraph that met
    # The title is a paragraph of its own.
    assert match_topic(near, "Azerbaijan and China sign a deal", "Details follow.")


def test_match_all_returns_every_topic():
    topics = load_topics([AZ_CN, {"name": "energy", "groups": [{"terms": ["oil", "нефть"]}]}])
    found = match_all(topics, "Азербайджан и Китай", "Поставки нефти растут.")
    assert [m.topic for m in found] == ["azerbaijan-china", "energy"]
    assert match_all(topics, "Weather", "Sunny.") == []


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"title": "x", "groups": [{"terms": ["a"]}]}, "'name' is missing"),
        ({"name": "Azerbaijan China", "groups": [{"terms": ["a"]}]}, "lower-case"),
        ({"name": "t"}, "at least one [[topics.groups]]"),
        ({"name": "t", "groups": [{"mode": "some", "terms": ["a"]}]}, "mode must be"),
        ({"name": "t", "groups": [{"mode": "none", "terms": ["a"]}]}, "'any' or 'all'"),
        ({"name": "t", "groups": [{"terms": "China"}]}, "not one string"),
        ({"name": "t", "groups": [{"terms": []}]}, "non-empty list"),
        ({"name": "t", "groups": [{"terms": ["Ch*na"]}]}, "only allowed at the end"),
        ({"name": "t", "groups": [{"terms": ["=China*"]}]}, "not both"),
        ({"name": "t", "groups": [{"term": ["China"]}]}, "unknown key(s) ['term']"),
        ({"name": "t", "proximty": "paragraph", "groups": [{"terms": ["a"]}]}, "unknown key"),
        ({"name": "t", "proximity": "sentence", "groups": [{"terms": ["a"]}]}, "proximity"),
    ],
)
def test_invalid_topics_are_explained(item, message):
    with pytest.raises(ValueError) as error:
        load_topics([item])
    assert message in str(error.value)
    if "name" in item and isinstance(item["name"], str):
        assert repr(item["name"]) in str(error.value)  # the message names the topic


def test_duplicate_names_rejected():
    with pytest.raises(ValueError, match="defined twice"):
        load_topics([AZ_CN, AZ_CN])


# --------------------------------------------------------------------------- real text
def test_real_azerbaijani_news(topic):
    """1,000 Report.az texts: the tagged ones really are about Azerbaijan and China."""
    sample = SHARED / "corpus" / "encodings" / "azerbaijani" / "parsAZ_report_az_sample.csv"
    if not sample.exists():
        pytest.skip(f"shared corpus not found at {sample}")
    with sample.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # A crude, independent oracle: a word starting with Çin/Pekin (not the name Çingiz)
    # and a word starting with Azərbaycan/Bakı anywhere in the article.
    china = re.compile(r"(?<!\w)(?:çin(?!giz)|pekin)")
    azerbaijan = re.compile(r"(?<!\w)(?:azərbaycan|baki)")
    mentions_china = 0
    for row in rows:
        folded = fold(row["title"] + "\n\n" + row["content"])
        if not china.search(folded):
            continue
        mentions_china += 1
        expected = azerbaijan.search(folded) is not None
        tagged = match_topic(topic, row["title"], row["content"]) is not None
        assert tagged == expected, row["title"]
    assert mentions_china >= 20


# --------------------------------------------------------------------------- the store
def test_tagging_the_store(tmp_path: Path):
    store = pytest.importorskip("store")
    from parsers.record import Article
    from store import topics as store_topics

    db = store.open_db(tmp_path / "x.db")
    store_topics.migrate(db)
    store_topics.migrate(db)  # idempotent
    articles = [
        Article(
            url="https://a.test/1",
            source="trend",
            title="Azərbaycan və Çin",
            text="Bakı. Azərbaycanla Çinin əlaqələri.",
            language="az",
        ),
        Article(
            url="https://a.test/2",
            source="trend",
            title="Weather",
            text="Sunny in Baku.",
            language="en",
        ),
        Article(
            url="https://a.test/3",
            source="xinhua",
            title="中国同阿塞拜疆签署合作文件",
            text="中国和阿塞拜疆签署了文件。",
            language="zh",
        ),
    ]
    ids = store.append_batch(db, articles, run_id="r1").new_ids
    topics = load_topics([AZ_CN])
    assert store_topics.tag_articles(db, topics, ids) == 2
    rows = list(db["article_topics"].rows_where(order_by="article_id"))
    assert [r["article_id"] for r in rows] == [ids[0], ids[2]]
    assert set(json.loads(rows[0]["matched_terms"])) == {"Azərbaycan", "Bakı", "Çin"}
    assert rows[1]["snippet"].startswith("中国和阿塞拜疆")
    assert (
        json.loads(db["topics"].get("azerbaijan-china")["definition"])["groups"][1]["terms"][3]
        == "Çin"
    )
    view = list(db.query("SELECT topic, source FROM articles_by_topic ORDER BY article_id"))
    assert view == [
        {"topic": "azerbaijan-china", "source": "trend"},
        {"topic": "azerbaijan-china", "source": "xinhua"},
    ]

    # Editing the topic and retagging replaces the old tags; removed topics disappear.
    narrower = load_topics(
        [
            {**AZ_CN, "groups": [{"terms": ["阿塞拜疆"]}, {"terms": ["中国"]}]},
            {"name": "weather", "groups": [{"terms": ["sunny"]}]},
        ]
    )
    assert store_topics.retag(db, narrower) == 2
    tags = {(r["article_id"], r["topic"]) for r in db["article_topics"].rows}
    assert tags == {(ids[2], "azerbaijan-china"), (ids[1], "weather")}
    assert store_topics.retag(db, narrower[1:]) == 1
    assert {r["name"] for r in db["topics"].rows} == {"weather"}
    assert {r["topic"] for r in db["article_topics"].rows} == {"weather"}
