"""Property-based tests for the readers of outside input: URLs, feeds, sitemaps, listings.

Whatever a host sends, no exception escapes a reader, and the valid items next to a bad
one all come out.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.discovery import candidate_key
from parsers import feeds
from parsers.urls import MAX_URL_LENGTH, safe_link, url_problem

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
path = st.lists(st.from_regex(r"[A-Za-z0-9._~-]{1,12}", fullmatch=True), max_size=5)
good_url = st.builds(
    lambda scheme, labels, tld, port, parts: (
        f"{scheme}://{'.'.join(labels)}.{tld}{f':{port}' if port else ''}/{'/'.join(parts)}"
    ),
    st.sampled_from(["http", "https"]),
    st.lists(label, min_size=1, max_size=3),
    st.sampled_from(["com", "az", "cn", "org", "xn--p1ai"]),
    st.one_of(st.none(), st.integers(1, 65535)),
    path,
)
junk = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "http://xn--/x",
            "http://example.com:99999/a",
            "http://example.com:0/a",
            "http://[::1/x",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://exa mple.com/",
            "http://a..b/",
            "http:///nohost",
            "http://" + "a" * 300 + ".com/",
            "https://example.com/" + "x" * (MAX_URL_LENGTH + 1),
        ]
    ),
)


@FAST
@given(st.one_of(junk, good_url, st.binary(max_size=50), st.integers(), st.none()))
def test_url_problem_never_raises(value) -> None:
    problem = url_problem(value)
    assert problem is None or isinstance(problem, str)
    if isinstance(value, str):
        key = candidate_key(value)  # the monitor's key: never raises either
        assert isinstance(key, str) and len(key) <= MAX_URL_LENGTH + 64


@FAST
@given(good_url)
def test_valid_urls_are_accepted_and_linkable(url: str) -> None:
    assert url_problem(url) is None
    assert safe_link(url) == url
    assert not candidate_key(url).startswith("invalid:")


@FAST
@given(junk)
def test_only_web_addresses_become_links(value: str) -> None:
    link = safe_link(value)
    assert link is None or link.lower().startswith(("http://", "https://"))


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link>"
        f"<pubDate>{escape(d)}</pubDate></item>"
        for u, t, d in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>x</title>"
        f"{body}</channel></rss>"
    ).encode()


xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"),
    max_size=80,
).filter(lambda s: all(ord(c) >= 0x20 or c in "\t\n\r" for c in s))


@FAST
@given(
    st.lists(good_url, min_size=1, max_size=6, unique=True),
    st.lists(st.tuples(xml_text, xml_text, xml_text), max_size=6),
)
def test_feed_keeps_every_valid_item_next_to_junk(good, bad) -> None:
    valid = [(u, f"Title {i}", "Mon, 30 Nov 2026 10:00:00 +0400") for i, u in enumerate(good)]
    items = []  # junk between valid items
    for i in range(max(len(valid), len(bad))):
        items += valid[i : i + 1] + bad[i : i + 1]
    parsed = feeds.parse_feed(_rss(items), "https://feeds.example/rss")
    assert parsed.error is None
    urls = {c.url for c in parsed.candidates}
    for u in good:
        assert u in urls or feeds.normalize_url(u) in {feeds.normalize_url(x) for x in urls}


@FAST
@given(st.binary(max_size=2000))
def test_feed_and_sitemap_readers_never_raise_on_bytes(data: bytes) -> None:
    feeds.parse_feed(data, "https://feeds.example/rss")
    feeds.parse_sitemap(data, "https://feeds.example/sitemap.xml")
    feeds.listing_links(data, "https://feeds.example/")
    feeds.feed_links(data, "https://feeds.example/")


@FAST
@given(
    st.lists(good_url, min_size=1, max_size=6, unique=True),
    st.lists(xml_text, max_size=6),
)
def test_sitemap_keeps_every_valid_url_next_to_junk(good, bad) -> None:
    entries = [f"<url><loc>{escape(u)}</loc></url>" for u in good]
    entries += [f"<url><loc>{escape(b)}</loc><lastmod>{escape(b)}</lastmod></url>" for b in bad]
    doc = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "".join(entries)
        + "</urlset>"
    ).encode()
    parsed = feeds.parse_sitemap(doc, "https://feeds.example/sitemap.xml")
    assert parsed.error is None
    urls = {feeds.normalize_url(c.url) for c in parsed.candidates}
    assert {feeds.normalize_url(u) for u in good} <= urls


words = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>&\x00"), max_size=40)


@FAST
@given(
    st.lists(st.lists(words, min_size=2, max_size=5), min_size=1, max_size=4),
    st.lists(st.text(max_size=120), max_size=4),
    st.data(),
)
def test_next_js_text_rows_come_out_whole_however_the_stream_is_pushed(
    fragments: list[list[str]], junk: list[str], data: st.DataObject
) -> None:
    """Every text row of a flight stream comes out exactly, multi-byte characters and all,
    whatever rows of junk sit around it and wherever the stream is cut into pushes; junk
    scripts never make the reader raise."""
    import json

    import lxml.html

    from parsers.embedded import fragments as found

    rows = ["".join(f"<p>{w}x</p>" for w in para) for para in fragments]
    stream = "".join(
        f'{i:x}:I["{j}"]\n{i + 100:x}:T{len(r.encode("utf-8")):x},{r}'
        for i, (r, j) in enumerate(zip(rows, [*junk, *[""] * len(rows)], strict=False))
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    parts = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    scripts = "".join(f"<script>self.__next_f.push({json.dumps([1, p])})</script>" for p in parts)
    scripts += "".join(f"<script>{escape(j)}</script>" for j in junk)
    tree = lxml.html.fromstring(f"<html><body><div id='app'></div>{scripts}</body></html>")
    assert found(tree) == rows


@given(
    st.lists(
        st.text(alphabet="AaBbĞğÖöЖж /&,.'-", min_size=1, max_size=14), min_size=1, max_size=4
    ).map(" ".join)
)
@example("Mara Keller/Tom Baines & Öz Ağa")
def test_names_read_from_a_line_are_written_in_it(line: str) -> None:
    """A byline line gives back only names it writes, at most three, each two to four
    capitalised words, and nothing from a line longer than a byline."""
    from parsers.boilerplate import person_names

    names = person_names(line)
    if names is None:
        return
    assert len(line) <= 80 and 1 <= len(names) <= 3
    for name in names:
        assert name in line
        assert 2 <= len(name.split()) <= 4 and all(w[0].isupper() for w in name.split())
