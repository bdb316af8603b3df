"""The per-source boilerplate learner (parsers/learned.py) and its store (store/boilerplate.py).

The outlet here is invented for these tests: its boilerplate ("Zum Weiterlesen: …",
"Kopieren nur mit Quellenlink …", a "morning note" box) appears in no rule of the code,
so only learning can remove it.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from flows.config import Source
from flows.stages import learn_and_clean
from parsers import learned
from parsers.extract import extract
from parsers.learned import MASK, SourceModel, body_blocks, template_of, text_blocks
from parsers.record import Article, BodyBlock
from store import boilerplate
from store.db import writing

WORDS = (
    "azerbaijan china trade energy baku beijing minister talks pipeline agreement railway "
    "investment summit president visit economy transport corridor port cargo officials"
).split()
READ_ALSO = "Zum Weiterlesen:"
COPYRIGHT = "Kopieren nur mit Quellenlink © 2025 Zorblat Media"
BOX = ("Get the Zorblat morning note", "Type your e-mail below")


def _para(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def outlet_pages(n: int, seed: int = 1, start: int = 0) -> list[tuple[str, str, list[str]]]:
    """``n`` pages of the invented outlet: (url, html, the real paragraphs put in)."""
    rng = random.Random(seed)
    pages = []
    for i in range(start, start + n):
        paras = [_para(rng, rng.randint(25, 60)) for _ in range(5)]
        read_also = (
            f'<p class="xr">{READ_ALSO} <a href="/n/{i + 1000}">{_para(rng, 8)}</a></p>'
            if i % 2 == 0
            else ""
        )
        body = (
            "".join(f"<p>{p}</p>" for p in paras[:2])
            + read_also
            + "".join(f"<p>{p}</p>" for p in paras[2:])
            + f"<p>{COPYRIGHT}</p>"
            + f'<div class="nb"><h4>{BOX[0]}</h4><p>{BOX[1]}</p></div>'
        )
        html = (
            f"<html><head><title>Story {i}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Story {i}: {_para(rng, 5)}</h1><div class='txt'>{body}</div>"
            "</article><footer>Zorblat</footer></body></html>"
        )
        pages.append((f"http://zorblat.test/n/{i}", html, paras))
    return pages


def _learn(arts: list[Article], model: SourceModel) -> None:
    model.learn([a.blocks for a in arts], "2026-01-01T00:00:00+00:00")
    for a in arts:
        model.clean(a)


def test_recurring_blocks_are_learned_from_one_batch_and_every_real_paragraph_stays():
    pages = outlet_pages(12)
    arts = [extract(html, url=url, source="Zorblat") for url, html, _ in pages]
    assert COPYRIGHT in arts[0].text  # no rule knows it: only learning can remove it
    _learn(arts, SourceModel("Zorblat"))
    for art, (_, _, paras) in zip(arts, pages, strict=True):
        assert READ_ALSO not in art.text
        assert COPYRIGHT not in art.text
        assert not any(line in art.text for line in BOX)
        assert art.text.split("\n\n") == paras
        assert "learned from Zorblat" in art.provenance["boilerplate"]


def test_a_linked_headline_and_a_date_are_masked_so_each_page_shares_one_template():
    pages = outlet_pages(2)
    keys = []
    for url, html, _ in pages[:1]:
        art = extract(html, url=url)
        (block,) = [b for b in art.blocks if b.text.startswith(READ_ALSO)]
        assert block.template == f"zum weiterlesen: {MASK}"
        assert block.path == "div.txt>p.xr"
        keys.append(block.key)
    other = extract(outlet_pages(1, seed=9)[0][1])
    (block,) = [b for b in other.blocks if b.text.startswith(READ_ALSO)]
    assert block.key == keys[0]  # another headline, the same block
    assert template_of("Updated 12 May 2025, 14:30") == template_of("Updated 3 June 2024, 09:05")
    assert template_of("Yenilənib: 12.05.2025") == f"yenilənib: {MASK}"
    # Figures that are not dates stay: two paragraphs with other numbers are two blocks.
    assert template_of("Exports rose 12 percent") != template_of("Exports rose 14 percent")


def test_a_block_on_too_few_pages_is_content():
    arts = [extract(h, url=u) for u, h, _ in outlet_pages(2)]
    model = SourceModel("Zorblat")
    _learn(arts, model)
    assert COPYRIGHT in arts[0].text  # 2 pages < MIN_PAGES
    assert not model.learned()


def test_a_block_that_stops_appearing_is_no_longer_removed_then_forgotten():
    model = SourceModel("S")
    old = BodyBlock("k-old", "text", "old promo", "Old promo")
    pages = [[old, BodyBlock(f"c{i}", "text", f"c{i}", f"C{i}")] for i in range(20)]
    model.learn(pages, "t0")
    assert model.is_boilerplate(model.blocks["k-old"])
    fresh = [[BodyBlock(f"n{i}", "text", f"n{i}", f"N{i}")] for i in range(400)]
    model.learn(fresh[:250], "t1")
    assert not model.is_boilerplate(model.blocks["k-old"])  # its share has decayed
    model.learn(fresh[250:], "t2")
    assert "k-old" not in model.blocks and "k-old" in model.forgotten
    assert "c3" not in model.blocks  # one-page blocks are forgotten too


def test_the_same_story_twice_in_a_batch_counts_once():
    url, html, _ = outlet_pages(1)[0]
    copies = [extract(html, url=f"{url}?copy={i}") for i in range(5)]
    model = SourceModel("S")
    assert model.learn([a.blocks for a in copies], "t") == 1
    assert not model.learned()


def _model_removing(texts: list[str], pages: int = 10) -> SourceModel:
    model = SourceModel("S")
    rng = random.Random(5)
    model.learn([text_blocks("\n\n".join([*texts, _para(rng, 30)])) for _ in range(pages)], "t")
    return model


def test_guard_rails_keep_datelines_quotes_and_facts():
    dateline = "BAKU, Azerbaijan, May 12"
    quote = 'The minister said: "We will open the new railway line to China next spring."'
    facts = (
        "Trade between the two countries reached 3.4 billion dollars in 2024, up 12 percent "
        "on the year before, and the port of Alat handled 1.2 million tonnes of cargo bound "
        "for China across the Caspian Sea"
    )
    model = _model_removing([dateline, quote, facts, COPYRIGHT])
    learnt = {b.key for b in model.learned()}
    assert all(b.key in learnt for b in text_blocks("\n\n".join([dateline, quote, facts])))
    real = "A real paragraph of this story. " * 3
    body = "\n\n".join([dateline, quote, facts, real.strip(), COPYRIGHT])
    art = model.clean(Article(text=body))
    assert art.text.split("\n\n") == [dateline, quote, facts, real.strip()]


def test_a_removal_never_takes_more_than_half_a_body():
    model = _model_removing(["Promo one " * 10, "Promo two " * 10])
    body = "\n\n".join(["Promo one " * 10, "Promo two " * 10, "Short real text."])
    art = model.clean(Article(text=body.replace("  ", " ")))
    kept = art.text.split("\n\n")
    assert "Short real text." in kept
    assert sum(len(p) for p in kept) >= 0.5 * len(body) - 5
    assert any(w.startswith("boilerplate:") for w in art.warnings)


def test_keep_blocks_keeps_what_was_learned_wrongly():
    model = _model_removing([COPYRIGHT, "Photo gallery of the day"])
    model.keep = learned.keep_texts(["photo GALLERY"])
    real = "Real text of the story, long enough to be most of the body it is in."
    art = model.clean(Article(text=f"{real}\n\n{COPYRIGHT}\n\nPhoto gallery of the day"))
    assert art.text == f"{real}\n\nPhoto gallery of the day"


def test_cleaning_again_starts_from_the_text_as_extracted():
    arts = [extract(h, url=u) for u, h, _ in outlet_pages(12)]
    original = arts[0].text
    model = SourceModel("Zorblat")
    _learn(arts, model)
    assert arts[0].text != original
    SourceModel("empty").clean(arts[0])  # a model that knows nothing gives the text back
    assert arts[0].text == original
    assert "boilerplate" not in arts[0].provenance


def test_the_model_round_trips_through_the_store_and_the_batch_step(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    arts = [extract(h, url=u, source="Zorblat") for u, h, _ in outlet_pages(12)]
    src = Source(name="Zorblat", feeds=("http://zorblat.test/feed",))
    with writing(db):
        learn_and_clean(db, arts, [src])
    assert all(COPYRIGHT not in a.text for a in arts)
    model = boilerplate.load(db, "Zorblat")
    assert model.observed == 12
    assert {b.example for b in model.learned()} >= {COPYRIGHT, *BOX}
    row = db.execute(
        "SELECT learned, pages_seen, pages_observed FROM boilerplate_blocks WHERE example = ?",
        [COPYRIGHT],
    ).fetchone()
    assert row == (1, 12, 12)
    # A second batch of new pages is cleaned with what the first taught, and adds to it.
    more = [extract(h, url=u, source="Zorblat") for u, h, _ in outlet_pages(3, start=12)]
    with writing(db):
        learn_and_clean(db, more, [src])
    assert all(COPYRIGHT not in a.text for a in more)
    assert boilerplate.load(db, "Zorblat").observed == 15


def test_a_source_with_learning_off_is_left_as_extracted(tmp_path):
    db = store.open_db(tmp_path / "s.db")
    arts = [extract(h, url=u, source="Zorblat") for u, h, _ in outlet_pages(12)]
    src = Source(name="Zorblat", feeds=("http://x.test/f",), learn_boilerplate=False)
    with writing(db):
        learn_and_clean(db, arts, [src])
    assert all(COPYRIGHT in a.text for a in arts)
    assert boilerplate.load(db, "Zorblat").observed == 0


def test_plain_text_records_learn_the_lines_their_files_repeat(tmp_path):
    rng = random.Random(3)
    arts = [
        Article(
            url=f"file:///x/{i}.txt",
            source="Exports",
            text="\n\n".join([_para(rng, 30), _para(rng, 40), "Bizi Zorblat-da izleyin!!"]),
        )
        for i in range(6)
    ]
    db = store.open_db(tmp_path / "s.db")
    with writing(db):
        learn_and_clean(db, arts, [])
    assert all("Zorblat" not in a.text for a in arts)


def test_paragraphs_no_link_reaches_are_keyed_by_text():
    from parsers.extract import parse_tree

    tree, _ = parse_tree(
        "<html><body><p>One <a href='/x'>link</a> here.</p><p>Plain.</p></body></html>"
    )
    blocks = body_blocks(tree, ["One link here.", "Plain.", "Joined by the extractor"])
    assert blocks[0].path == "body>p" and MASK in blocks[0].template
    assert blocks[1].path == "text" and blocks[2].path == "text"


paragraph = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
        min_size=1,
        max_size=80,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    learnt=st.lists(st.lists(paragraph, max_size=6), min_size=1, max_size=8),
    body=st.lists(paragraph, min_size=1, max_size=10),
)
def test_cleaning_any_text_keeps_order_and_at_least_half(learnt, body):
    model = SourceModel("S")
    model.learn([text_blocks("\n\n".join(p)) for p in learnt * 3], "t")
    text = "\n\n".join(body)
    art = model.clean(Article(text=text))
    kept = [p for p in art.text.split("\n\n") if p]
    it = iter(text_blocks(text))
    assert all(any(p == b.text for b in it) for p in kept)  # a subsequence, in order
    total = sum(len(b.text) for b in text_blocks(text))
    assert sum(len(p) for p in kept) >= total * (1 - learned.MAX_REMOVED_SHARE) - 1
    json.dumps(art.provenance)


def test_a_credit_line_whose_names_change_is_learned_by_its_fixed_words():
    rng = random.Random(7)
    names = ["Lale Hasanova", "Tom Reed", "Ivan Petrov", "Aysel Karimova", "Jo Chen"]
    pages = []
    for _ in range(10):
        a, b = rng.sample(names, 2)
        pages.append(
            "\n\n".join(
                [
                    _para(rng, 40),
                    _para(rng, 35),
                    f"Reporting by {a}; editing by {b}",
                    f"{b} contributed to this report.",
                ]
            )
        )
    model = SourceModel("S")
    model.learn([text_blocks(p) for p in pages], "t")
    for text in pages:
        art = model.clean(Article(text=text))
        assert art.text == "\n\n".join(text.split("\n\n")[:2])
