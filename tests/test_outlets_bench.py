"""The designed outlets (demo/outlets.py) and the outlet benchmark's scoring.

Why: bench/outlets.py's figures are only worth what its ground truth and scorer are
worth. The scorer must give F1 1.0 for the exact text, see a boilerplate line left in
(a read-also line by its wording, not only by its headline), and count a lost paragraph;
the server must serve feeds whose items resolve to pages holding what was put in.
"""

from __future__ import annotations

import sys

import httpx
import lxml.html
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from outlets import f1, left_in, lost_paragraphs, tokens  # noqa: E402

from demo.outlets import (  # noqa: E402
    OUTLET_BY_KEY,
    OUTLETS,
    CorpusMissing,
    OutletServer,
    Site,
    build_site,
    corpus_root,
    texts_for,
)


@pytest.fixture(scope="module")
def corpus() -> None:
    try:
        corpus_root()
    except CorpusMissing as exc:
        pytest.skip(f"../shared/corpus absent: {exc}")


@pytest.fixture(scope="module")
def sites(corpus: None) -> dict[str, Site]:
    return {s.key: build_site(s, 30) for s in OUTLETS}


def _visible(html: bytes) -> str:
    return " ".join(tokens(" ".join(lxml.html.fromstring(html).itertext())))


def test_outlets_cover_the_languages_and_hold_out_three(sites: dict[str, Site]) -> None:
    dev = [s for s in OUTLETS if not s.held_out]
    held = [s for s in OUTLETS if s.held_out]
    assert len(dev) >= 6 and len(held) == 3
    for lang, least in (("en", 2), ("az", 2), ("ru", 1)):
        assert sum(s.language == lang for s in dev) >= least
    # every outlet has its own texts, and no real paragraph recurs on an outlet's pages
    # (a learner would rightly take it for boilerplate)
    owner: dict[str, str] = {}
    for key, site in sites.items():
        assert len(site.pages) == 30
        assert len({p.path for p in site.pages}) == 30
        for origin in texts_for(site.spec)[:30]:
            assert owner.setdefault(origin.origin, key) == key
        seen: set[str] = set()
        for page in site.pages:
            assert len(page.paragraphs) >= 3 and page.boilerplate, (key, page.path)
            assert not seen & set(page.paragraphs), (key, page.path)
            seen.update(page.paragraphs)


def test_pages_hold_their_ground_truth_and_boilerplate(sites: dict[str, Site]) -> None:
    for key, site in sites.items():
        kinds = set()
        for page in site.pages[:10]:
            text = " " + _visible(page.html) + " "
            assert " ".join(tokens(page.title)) in text
            for p in page.paragraphs:
                assert " " + " ".join(tokens(p)) + " " in text, (key, p[:60])
            for b in page.boilerplate:
                kinds.add(b.kind)
                for c in b.checks:
                    assert " " + " ".join(tokens(c)) + " " in text, (key, c)
        assert len(kinds) >= 4, key  # several kinds of clutter on every outlet


def test_scorer(sites: dict[str, Site]) -> None:
    site = sites["bayline"]
    page = next(p for p in site.pages if any(b.kind == "read" for b in p.boilerplate))
    exact = "\n\n".join(page.paragraphs)
    assert f1(exact, exact) == 1.0
    assert left_in(page, exact) == [] and lost_paragraphs(page, exact) == []
    read = next(b for b in page.boilerplate if b.kind == "read")
    wording, line = read.checks
    assert left_in(page, exact + "\n\n" + read.text) == [read]
    assert left_in(page, exact + "\n\n" + wording) == [read]  # the wording alone counts
    headline = line[len(wording) :].strip()
    assert left_in(page, exact + "\n\n" + headline) == []  # a headline alone does not
    box = next(b for b in page.boilerplate if b.kind == "box")
    assert left_in(page, box.checks[1] + "\n\n" + exact) == [box]
    dropped = "\n\n".join(page.paragraphs[:1] + page.paragraphs[2:])
    assert lost_paragraphs(page, dropped) == [page.paragraphs[1]]
    assert 0 < f1(dropped, exact) < 1.0
    assert f1("", exact) == 0.0


def test_server_feeds_resolve_to_the_pages(corpus: None) -> None:
    from parsers.feeds import parse_feed

    chosen = [build_site(OUTLET_BY_KEY[k], 6) for k in ("northgate", "xezer", "zarya")]
    with OutletServer(chosen) as server:
        ports = {s.base for s in chosen}
        assert len(ports) == 3  # each outlet is its own host
        with httpx.Client(timeout=5) as client:
            for site in chosen:
                key = site.spec.key
                robots = client.get(site.base + "/robots.txt")
                assert robots.status_code == 200 and "Disallow: /" not in robots.text
                feed = client.get(server.feed_url(key, 4))
                urls = [c.url for c in parse_feed(feed.content, str(feed.url)).candidates]
                assert sorted(urls) == sorted(site.url(p) for p in site.pages[:4]), key
                for url in urls:
                    got = client.get(url)
                    page = site.page_for(url)
                    assert got.status_code == 200 and page is not None
                    assert got.content == page.html
                everything = client.get(server.feed_url(key))
                assert len(parse_feed(everything.content, str(everything.url)).candidates) == 6
                assert client.get(site.base + "/nope").status_code == 404
    assert {k for k, _ in server.hits} == {"northgate", "xezer", "zarya"}
