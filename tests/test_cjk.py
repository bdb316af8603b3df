"""The pair index of Chinese, Japanese and Korean text (store/cjk.py, schema v11): a word
inside a sentence is found from the index, whatever wrote the article."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import store
from parsers.record import Article
from store.cjk import CJK_CLASS, pairs
from store.datasette import search_sql
from store.db import connect, migrate, open_db

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40) | st.sampled_from("あカ한국")
_TEXT = st.lists(_CJK | st.sampled_from(" ,。a1\n"), max_size=60).map("".join)


@given(text=_TEXT, start=st.integers(0, 60), length=st.integers(2, 8))
def test_every_pair_of_a_piece_of_the_text_is_among_the_texts_pairs(text, start, length):
    piece = text[start : start + length]
    wanted = [p for p in (piece[i : i + 2] for i in range(len(piece) - 1)) if _only_cjk(p)]
    assert set(wanted) <= set(pairs(text))
    assert all(len(p) == 2 and _only_cjk(p) for p in pairs(text))


def _only_cjk(s: str) -> bool:
    return bool(re.fullmatch(f"[{CJK_CLASS}]+", s))


def _search(db, q: str) -> list[int]:
    sql = search_sql(True)
    return [r[0] for r in db.execute(sql, {"q": q, "page": "", "topic": ""}).fetchall()]


def _article(n: int, text: str, language: str = "zh") -> Article:
    return Article(
        url=f"https://xinhua.example/{n}",
        source="xinhua",
        title=f"新闻 {n}",
        language=language,
        published_at=f"2025-05-0{n}T12:00:00+08:00",
        text=text,
    )


def test_a_word_inside_a_sentence_is_found_from_the_index(tmp_path: Path):
    db = open_db(tmp_path / "z.db")
    texts = [
        "中国与阿塞拜疆签署了文化交流合作文件。双方同意加强人文往来。" * 3,
        "巴库国际能源周开幕，多国代表出席会议并讨论油气合作。" * 3,
        "这是一篇关于天气的报道，明天多云转晴。" * 3,
    ]
    store.append_batch(db, [_article(i + 1, t) for i, t in enumerate(texts)])
    assert db.execute("SELECT count(*) FROM cjk_pending").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles_cjk").fetchone()[0] == 3
    first, second, third = (r[0] for r in db.execute("SELECT id FROM articles ORDER BY id"))
    assert _search(db, "文化") == [first]
    assert _search(db, "合作") == [second, first]  # newest first
    assert _search(db, "文化交流") == [first]
    assert _search(db, "化交文") == []  # its pairs are all in the text, the word is not
    assert _search(db, "多云") == [third]
    # Written by something else than newsmon: queued by the triggers, found all the same.
    db.execute(
        "INSERT INTO articles (url, source, language, title, text, first_seen_at) "
        "VALUES ('https://x.example/9', 'x', 'zh', '旧闻', '丝绸之路经济带的故事', "
        "'2025-05-09T00:00:00Z')"
    )
    fourth = db.execute("SELECT max(id) FROM articles").fetchone()[0]
    assert _search(db, "经济带") == [fourth]
    # A text changed by hand: its old words are not found any more, its new ones are.
    db.execute("UPDATE articles SET text = '全新的内容：高速铁路' WHERE id = ?", [third])
    assert _search(db, "多云") == []
    assert _search(db, "铁路") == [third]
    store.cjk.index_pending(db)
    assert _search(db, "铁路") == [third] and _search(db, "多云") == []
    # One character has no pair: those articles are read, as before the index.
    assert set(_search(db, "晴")) == set()
    assert set(_search(db, "路")) == {third, fourth}
    db.close()


def test_an_older_store_is_indexed_when_upgraded(tmp_path: Path):
    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, target=10)
    with db.conn:
        db.execute(
            "INSERT INTO articles (url, source, language, title, text, first_seen_at) "
            "VALUES ('https://x.example/1', 'x', 'zh', '标题', '一带一路倡议十周年', "
            "'2025-05-09T00:00:00Z')"
        )
        db.execute(
            "INSERT INTO articles (url, source, language, title, text, first_seen_at) "
            "VALUES ('https://x.example/2', 'x', 'en', 'Title', 'The Belt and Road 一带一路', "
            "'2025-05-09T00:00:00Z')"
        )
    db.close()
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM cjk_pending").fetchone()[0] == 0
    assert db.execute("SELECT rowid FROM articles_cjk").fetchall() == [(1,)]
    assert _search(db, "十周年") == [1]
    db.close()
