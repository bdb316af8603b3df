"""Generic extraction (pages without a site profile) and bad input: never raise, say why."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from parsers import dates
from parsers.extract import MAX_INPUT_BYTES, extract

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

PARAS = [
    "The port authority said on Monday that container traffic through the new terminal grew "
    "by a third in the first quarter, driven by cargo moving between China and Europe.",
    "Officials expect the second berth to open next spring, which would double capacity and "
    "allow larger vessels to call without waiting offshore for a free slot.",
    "Shipping companies have asked for longer opening hours at the customs office, arguing "
    "that most delays now happen on land rather than at sea.",
    "The authority said it would publish monthly figures from July so that traders can plan "
    "their routes with better information about waiting times.",
]


def page(
    *,
    head: str = "",
    body_extra: str = "",
    paras: list[str] | None = None,
    lang: str = "en",
    h1: str = "Port traffic grows as new terminal fills up",
) -> str:
    ps = "".join(f"<p>{p}</p>" for p in (PARAS if paras is None else paras))
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{h1} | Harbour Times</title>{head}</head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a>"
        "</nav></header><main><article>"
        f"<h1>{h1}</h1>{ps}{body_extra}</article></main>"
        "<footer><p>Copyright 2025 Harbour Times. All rights reserved.</p></footer>"
        "</body></html>"
    )


def ld(obj: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps(obj)}</script>"


# --------------------------------------------------------------------------- metadata


def test_json_ld_graph_gives_metadata_with_provenance() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Harbour Times"},
            {
                "@type": "NewsArticle",
                "headline": "Port traffic grows as new terminal fills up",
                "datePublished": "2025-04-22T20:20:00+04:00",
                "dateModified": "2025-04-23T08:00:00+04:00",
                "author": [
                    {"@type": "Person", "name": "Aysel Karimova"},
                    {"@type": "Person", "name": "John Smith"},
                ],
                "articleSection": "Economy",
                "keywords": "ports, shipping, China",
            },
        ],
    }
    art = extract(page(head=ld(graph)), "https://harbour.example/news/port-traffic", now=NOW)
    assert art.ok
    assert art.title == "Port traffic grows as new terminal fills up"
    assert art.author == "Aysel Karimova, John Smith"
    assert art.provenance["author"] == "json-ld"
    assert art.published_at == "2025-04-22T20:20:00+04:00"
    assert art.provenance["published_at"] == "json-ld"
    assert art.modified_at == "2025-04-23T08:00:00+04:00"
    assert art.section == "Economy"
    assert art.tags == ["ports", "shipping", "China"]
    assert art.language == "en"
    assert art.page_type == "article"
    assert art.text.startswith("The port authority said on Monday")
    assert art.text.split("\n\n") == PARAS


def test_json_ld_list_and_report_type() -> None:
    items = [
        {"@type": "BreadcrumbList", "itemListElement": []},
        {
            "@type": ["ReportageNewsArticle"],
            "headline": "Port traffic grows as new terminal fills up",
            "datePublished": "2025-03-01",
            "author": "Maria Lopez",
        },
    ]
    art = extract(page(head=ld(items)), "https://harbour.example/a", now=NOW)
    assert art.author == "Maria Lopez"
    assert art.published_at == "2025-03-01"


def test_opengraph_and_meta_fallbacks() -> None:
    head = (
        "<meta property='og:title' content='Port traffic grows as new terminal fills up'>"
        "<meta property='og:url' content='https://harbour.example/news/port-traffic'>"
        "<meta name='author' content='By Lena Novak'>"
        "<meta property='article:published_time' content='2025-05-02T09:30:00Z'>"
        "<meta property='article:section' content='Business'>"
        "<meta property='article:tag' content='ports'><meta property='article:tag' content='trade'>"
    )
    art = extract(page(head=head), "https://harbour.example/news/port-traffic?utm=x", now=NOW)
    assert art.author == "Lena Novak"
    assert art.provenance["author"] == "meta:author"
    assert art.published_at == "2025-05-02T09:30:00+00:00"
    assert art.provenance["published_at"] == "meta:article:published_time"
    assert art.section == "Business"
    assert art.tags == ["ports", "trade"]
    assert art.canonical_url == "https://harbour.example/news/port-traffic"
    assert art.provenance["canonical_url"] == "meta:og:url"


def test_one_meta_tag_holding_a_comma_separated_list() -> None:
    head = "<meta property='article:tag' content='Ports,Shipping,Trade unions'>"
    art = extract(page(head=head), "https://harbour.example/a", now=NOW)
    assert art.tags == ["Ports", "Shipping", "Trade unions"]


def test_canonical_link_wins_and_is_absolute() -> None:
    head = "<link rel='canonical' href='/news/port-traffic'>"
    art = extract(page(head=head), "https://harbour.example/amp/port-traffic", now=NOW)
    assert art.canonical_url == "https://harbour.example/news/port-traffic"
    art = extract(page(), "https://harbour.example/x", now=NOW)
    assert art.canonical_url is None


def test_future_dates_are_rejected_and_metadata_beats_url() -> None:
    head = "<meta property='article:published_time' content='2031-01-01T00:00:00Z'>"
    art = extract(page(head=head), "https://harbour.example/2025/05/03/port", now=NOW)
    assert art.published_at == "2025-05-03"  # the future metadata date is not believed
    assert art.provenance["published_at"] == "url"
    head = "<meta property='article:published_time' content='2025-05-04T10:00:00+02:00'>"
    art = extract(page(head=head), "https://harbour.example/2025/05/03/port", now=NOW)
    assert art.published_at == "2025-05-04T10:00:00+02:00"


def test_time_element_date() -> None:
    extra = "<p class='meta'><time datetime='2025-02-14T08:00:00+01:00'>14 Feb</time></p>"
    art = extract(page(body_extra=extra), "https://harbour.example/news/x", now=NOW)
    assert art.published_at == "2025-02-14T08:00:00+01:00"
    assert art.provenance["published_at"] == "time"


def test_html_lang_is_only_a_hint_for_language() -> None:
    ru = [
        "Порт сообщил в понедельник, что грузооборот нового терминала вырос на треть в первом "
        "квартале благодаря грузам между Китаем и Европой.",
        "Второй причал планируют открыть следующей весной, что удвоит мощность терминала и "
        "позволит принимать более крупные суда.",
        "Судоходные компании просят продлить часы работы таможни, так как задержки теперь "
        "возникают на суше, а не в море.",
    ]
    art = extract(page(paras=ru, lang="en"), "https://harbour.example/ru/a", now=NOW)
    assert art.language == "ru"
    assert art.provenance["language"] == "text"


def test_promo_and_byline_lines_are_removed_from_generic_bodies() -> None:
    extra = (
        "<p>Follow us on Telegram for more news from the port</p>"
        "<p>Author: Sandro Kapanadze</p>"
        "<p>Scroll to Top</p>"
    )
    art = extract(page(body_extra=extra), "https://harbour.example/news/x", now=NOW)
    assert art.text.split("\n\n") == PARAS
    assert art.author == "Sandro Kapanadze"
    assert art.provenance["author"] == "text:byline"


# --------------------------------------------------------------------------- page type, truncation


def test_listing_page_is_not_an_article() -> None:
    teasers = "".join(
        f"<article class='teaser'><h3><a href='/news/story-{i}'>Story number {i} about the port"
        f"</a></h3><time datetime='2025-05-0{i % 9 + 1}'>May</time><p>Short teaser.</p></article>"
        for i in range(20)
    )
    html = (
        "<html lang='en'><head><title>News | Harbour Times</title>"
        "<meta property='og:type' content='website'></head><body><main>"
        f"<h1>Latest news</h1>{teasers}</main></body></html>"
    )
    art = extract(html, "https://harbour.example/news/", now=NOW)
    assert art.ok
    assert art.page_type == "listing"


def test_product_page_is_not_an_article() -> None:
    product = {
        "@type": "Product",
        "name": "Harbour mug",
        "offers": {"@type": "Offer", "price": "12.00", "priceCurrency": "EUR"},
    }
    html = (
        "<html><head><title>Harbour mug</title>"
        f"<meta property='og:type' content='product'>{ld(product)}</head><body>"
        "<h1>Harbour mug</h1><span class='price'>€12.00</span>"
        "<button>Add to cart</button><p>A white mug with the harbour skyline.</p>"
        "</body></html>"
    )
    art = extract(html, "https://shop.example/products/harbour-mug", now=NOW)
    assert art.page_type == "product"


def test_paywall_flag_from_json_ld() -> None:
    obj = {
        "@type": "NewsArticle",
        "headline": "Port traffic grows as new terminal fills up",
        "isAccessibleForFree": False,
        "hasPart": {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".paywall",
        },
    }
    art = extract(page(head=ld(obj), paras=PARAS[:2]), "https://harbour.example/a", now=NOW)
    assert art.truncated is True
    assert "isAccessibleForFree" in art.provenance["truncated"]


def test_teaser_that_ends_with_subscribe_notice_is_truncated() -> None:
    paras = [PARAS[0], "Subscribe now to continue reading this article and get unlimited access."]
    art = extract(page(paras=paras), "https://harbour.example/a", now=NOW)
    assert art.truncated is True


#: A whole article of about 500 words (every paragraph different, as in a real one).
LONG = [
    f"In the {n}th week of the season, {who} told reporters that {what}, adding that the "
    f"figures for berth {n} would be checked again before the board meets on day {n + 3}."
    for n, (who, what) in enumerate(
        [
            ("the harbour master", "cranes had been idle for hours"),
            ("a customs officer", "inspections now take half as long"),
            ("the union", "night shifts need another crew"),
            ("a freight forwarder", "rail links inland are the bottleneck"),
            ("the mayor", "the city wants a share of the fees"),
            ("an economist", "prices for containers have fallen"),
            ("a ship captain", "pilots are booked days ahead"),
            ("the port's engineer", "dredging must finish before winter"),
            ("a trader", "grain exports moved to the new quay"),
            ("the ministry", "subsidies end in two years"),
            ("a logistics firm", "warehouses near the gate are full"),
            ("the authority", "a third berth is being studied"),
        ],
        start=4,
    )
]

METERED = {
    "@type": "NewsArticle",
    "headline": "Port traffic grows as new terminal fills up",
    "isAccessibleForFree": False,
}


def test_metered_page_with_the_whole_text_is_not_truncated() -> None:
    """Metered outlets mark every article not free and wrap it in paywall classes, and
    still send the whole text: nothing says the text is cut."""
    body = "<div class='paywall piano-content'>" + "".join(f"<p>{p}</p>" for p in LONG) + "</div>"
    html = page(head=ld(METERED), paras=[], body_extra=body)
    art = extract(html, "https://harbour.example/a", now=NOW)
    assert "cranes had been idle" in art.text and "third berth" in art.text
    assert art.truncated is False, art.provenance.get("truncated")


def test_paywalled_part_present_in_the_page_is_not_truncated() -> None:
    obj = {
        **METERED,
        "hasPart": {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".article-locked",
        },
    }
    body = "<section class='article-locked'>" + "".join(f"<p>{p}</p>" for p in LONG) + "</section>"
    art = extract(
        page(head=ld(obj), paras=PARAS[:1], body_extra=body), "https://h.example/a", now=NOW
    )
    assert art.truncated is False, art.provenance.get("truncated")


def test_lead_only_page_for_subscribers_is_truncated() -> None:
    art = extract(page(head=ld(METERED), paras=PARAS[:1]), "https://harbour.example/a", now=NOW)
    assert art.truncated is True
    assert "isAccessibleForFree" in art.provenance["truncated"]


def test_complete_article_is_not_truncated() -> None:
    art = extract(page(), "https://harbour.example/a", now=NOW)
    assert art.truncated is False


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("data", [b"", "", "   \n\t ", b"\n\n"])
def test_empty_input(data: bytes | str) -> None:
    art = extract(data, "https://x.example/a")
    assert art.status == "failed"
    assert "empty" in (art.error or "")


def test_none_input_does_not_raise() -> None:
    art = extract(None, "https://x.example/a")  # type: ignore[arg-type]
    assert art.status == "failed"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
        gzip.compress(page().encode()),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"\x00\x01\x02" * 2000,
    ],
)
def test_binary_input(data: bytes) -> None:
    art = extract(data, "https://x.example/a")
    assert art.status == "failed"
    assert "binary" in (art.error or "")


def test_truncated_html_still_gives_the_text_it_has_and_says_so() -> None:
    html = page().encode()
    cut = html[: html.index(b"Shipping companies") + 40]
    art = extract(cut, "https://harbour.example/a", now=NOW)
    assert art.ok
    assert art.text.startswith("The port authority said on Monday")
    assert "Officials expect the second berth" in art.text
    assert art.truncated is True
    assert any("cut off" in w for w in art.warnings)


def test_wrong_declared_charset() -> None:
    text = page(paras=["Ölkənin limanı yük dövriyyəsini artırıb, şirkətlər çox məmnundur. " * 4])
    data = text.replace("charset='utf-8'", "charset='iso-8859-1'").encode("utf-8")
    art = extract(data, "https://harbour.example/a", {"Content-Type": "text/html; charset=gb2312"})
    assert art.ok
    assert "Ölkənin limanı yük dövriyyəsini artırıb" in art.text
    assert "Ã" not in art.text


def test_legacy_charset_from_http_header() -> None:
    ru = "Порт сообщил в понедельник, что грузооборот нового терминала вырос на треть. " * 5
    data = page(paras=[ru]).replace("<meta charset='utf-8'>", "").encode("cp1251")
    art = extract(
        data, "https://harbour.example/a", {"content-type": "text/html; charset=windows-1251"}
    )
    assert art.ok
    assert "грузооборот нового терминала" in art.text


def test_huge_page_is_capped_and_says_so() -> None:
    filler = "<div class='x'><span>filler text for size</span></div>\n" * 400_000  # ~22 MB
    html = page(body_extra=filler).encode()
    assert len(html) > 20 * 1024 * 1024
    art = extract(html, "https://harbour.example/a", now=NOW)
    assert art.status in ("ok", "failed")
    assert any("only the first" in w and f"{MAX_INPUT_BYTES:,}" in w for w in art.warnings)
    assert art.title == "Port traffic grows as new terminal fills up"
    assert art.text.startswith("The port authority said on Monday")


def test_deeply_nested_markup() -> None:
    html = (
        "<html><head><title>Deep</title></head><body><p>Before the nesting starts here.</p>"
        + "<div>" * 100_000
        + "deep text"
        + "</div>" * 100_000
        + "</body></html>"
    )
    art = extract(html, "https://x.example/deep")
    assert art.status in ("ok", "failed")
    assert any("nested deeper" in w for w in art.warnings)
    assert art.truncated is True


def test_moderately_deep_markup_keeps_its_text() -> None:
    body = "<div>" * 200 + "".join(f"<p>{p}</p>" for p in PARAS) + "</div>" * 200
    html = f"<html lang='en'><head><title>Deep but fine</title></head><body>{body}</body></html>"
    art = extract(html, "https://x.example/deep", now=NOW)
    assert art.ok
    assert "container traffic through the new terminal" in art.text


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>Only one short line.</p></body></html>",
        "<<<>>><html<<body>>&&&&;;",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>",
        "just some text without any markup at all",
        "<html><head><script type='application/ld+json'>{broken json,,}</script></head></html>",
        "\ufeff<html><body></body></html>",
        "<html><body><svg><svg><svg></svg></svg></svg></body></html>",
    ],
)
def test_odd_markup_never_raises(html: str) -> None:
    art = extract(html, "https://x.example/odd")
    assert art.status in ("ok", "failed")
    assert art.status == "ok" or art.error


def test_bytes_and_str_give_the_same_record() -> None:
    html = page()
    a = extract(html, "https://harbour.example/a", now=NOW)
    b = extract(html.encode(), "https://harbour.example/a", now=NOW)
    assert a.to_dict() == b.to_dict()


# --------------------------------------------------------------------------- headline and dateline


def _landing(h1: str) -> str:
    return (
        "<html><head><title>Building Department | Portage, IN</title>"
        "<meta property='og:title' content='Building Department | Portage, IN'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/services'>Services</a> <a href='/contact'>Contact</a>"
        f"</nav><main><h1>{h1}</h1><p>Apply for permits, schedule inspections and contact our "
        "staff.</p><ul><li><a href='/permits'>Permits</a></li><li><a href='/inspections'>"
        "Inspections</a></li><li><a href='/contact'>Contact us</a></li></ul></main></body></html>"
    )


def test_landing_page_keeps_an_h1_that_names_the_page() -> None:
    url = "https://www.example.gov/building-department"
    art = extract(_landing("Building Department"), url, now=NOW)
    assert art.page_type == "service"
    assert art.title == "Building Department"
    # A slogan in the <h1> still gives way to the page's own title.
    slogan = extract(_landing("A better way to build starts here"), url, now=NOW)
    assert slogan.page_type == "service"
    assert slogan.title.startswith("Building Department")


def _dated(head: str, dateline: str) -> str:
    return (
        f"<html lang='en'><head><title>Port traffic grows | Harbour Times</title>{head}</head>"
        "<body><main><article><header><h1>Port traffic grows as new terminal fills up</h1>"
        f"<div class='meta'><span class='c-x1'>{dateline}</span><span>4 min read</span></div>"
        "</header>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</article></main></body></html>"
    )


def test_dateline_under_headline_dates_a_page_without_metadata() -> None:
    art = extract(_dated("", "By Jane Roe - Mar 3, 2025"), "https://example.org/port", now=NOW)
    assert art.published_at[:10] == "2025-03-03"
    assert art.provenance["published_at"] == "text:heading"


def test_dateline_earlier_than_metadata_wins() -> None:
    # JSON-LD stamped when the CMS migrated the story; the page shows when it first ran.
    head = ld({"@type": "NewsArticle", "datePublished": "2025-05-20T08:00:00Z"})
    art = extract(_dated(head, "12 January 2024"), "https://example.org/port", now=NOW)
    assert art.published_at[:10] == "2024-01-12"


def test_another_moment_of_the_day_before_near_the_headline_leaves_the_metadata_time() -> None:
    """A programme's air time or a ticker's first entry printed by the headline, hours
    before the metadata's instant and not the same moment: the metadata is the
    publication, not the printed clock."""
    head = ld({"@type": "NewsArticle", "datePublished": "2025-04-15T12:36:37.620301+00:00"})
    art = extract(_dated(head, "April 14, 2025, 17:50"), "https://example.org/port", now=NOW)
    assert art.published_at is not None
    assert dates.to_datetime(art.published_at) == dates.to_datetime("2025-04-15T12:36:37+00:00")


def test_the_printed_clock_of_the_metadata_instant_gives_the_offset_despite_seconds() -> None:
    """21:44 printed on 3 May under a headline whose metadata says 00:44:52 UTC on 4 May:
    the same moment at UTC-03:00 (a printed clock has no seconds)."""
    head = ld({"@type": "NewsArticle", "datePublished": "2022-05-04T00:44:52+00:00"})
    art = extract(_dated(head, "May 3, 2022 21:44"), "https://example.org/port", now=NOW)
    assert art.published_at == "2022-05-03T21:44:52-03:00"


def test_later_dateline_is_an_update_and_metadata_stays() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2024-01-12T08:00:00+04:00"})
    art = extract(_dated(head, "Updated May 20, 2025"), "https://example.org/port", now=NOW)
    assert art.published_at[:10] == "2024-01-12"
    assert art.provenance["published_at"] == "json-ld"


def test_local_day_of_metadata_time_is_kept() -> None:
    # 00:30 in Baku is still the previous evening in UTC: the page's day is the local one.
    head = "<meta property='article:published_time' content='2025-03-04T00:30:00+04:00'>"
    art = extract(_dated(head, "Port news"), "https://example.org/port", now=NOW)
    assert art.published_at.startswith("2025-03-04")


def test_time_element_without_datetime_attribute() -> None:
    html = _dated("", "<time>July 2, 2024</time>").replace("class='meta'", "class='m'")
    html = html.replace("<h1>Port traffic grows as new terminal fills up</h1>", "")
    html = html.replace("<header>", "<header><h2>Port traffic grows</h2>")
    art = extract(html, "https://example.org/port", now=NOW)
    assert art.published_at[:10] == "2024-07-02"
    assert art.provenance["published_at"] == "time"


def test_question_page_is_dated_by_the_question_not_a_comment() -> None:
    # Q&A markup: comments carry datePublished, the question and answers dateCreated;
    # the first in the markup is a comment written years after the question.
    html = (
        "<html><head><title>How do I back up a system? - Ask</title></head><body>"
        "<div itemscope itemtype='https://schema.org/QAPage'><h1>How do I back up a system?</h1>"
        "<div itemprop='mainEntity' itemscope itemtype='https://schema.org/Question'>"
        "<div itemprop='comment' itemscope><span itemprop='datePublished' "
        "content='2016-03-17T13:23:29Z'></span>Use rsync.</div>"
        "<time itemprop='dateCreated' datetime='2012-06-29T10:51:01Z'></time>"
        + "".join(f"<p>{p}</p>" for p in PARAS)
        + "<div itemprop='acceptedAnswer' itemscope><time itemprop='dateCreated' "
        "datetime='2012-07-07T03:07:36Z'></time><p>Try a disk image.</p></div>"
        "</div></div></body></html>"
    )
    art = extract(html, "https://ask.example.org/questions/7809/backup", now=NOW)
    assert art.published_at[:10] == "2012-06-29"


def test_utc_metadata_takes_the_local_day_the_page_prints() -> None:
    # JSON-LD in UTC (23:25, 18 Dec); the page's own <time> says 04:25 on 19 Dec in +05:00.
    head = ld({"@type": "NewsArticle", "datePublished": "2024-12-18T23:25:38+00:00"})
    html = _dated(head, "<time datetime='2024-12-19T04:25:38+05:00'>Dec 19, 2024</time>")
    art = extract(html, "https://example.org/port", now=NOW)
    assert art.published_at == "2024-12-19T04:25:38+05:00"


def test_sign_up_date_beside_the_headline_is_not_the_page_date() -> None:
    html = _dated("", "<dl><dt>Joined</dt><dd>Nov 4, 2011</dd></dl>")
    art = extract(html, "https://forum.example.org/threads/port.1/", now=NOW)
    assert not (art.published_at or "").startswith("2011-11-04")


def test_headline_is_the_h1_the_title_names_not_a_banner_h1() -> None:
    # The first <h1> is a desk banner; the second (with soft hyphens) is in the <title>.
    html = page(h1="Harbour Desk</h1><h1>Port traffic grows as new ter\u00admi\u00adnal fills up")
    html = html.replace(
        "<title>Harbour Desk</h1><h1>Port traffic grows as new ter\u00admi\u00adnal fills up",
        "<title>Port traffic grows as new terminal fills up: what it means for trade",
    )
    art = extract(html, "https://example.org/port", now=NOW)
    assert art.title == "Port traffic grows as new terminal fills up"


def test_numeric_dateline_is_read_the_way_the_page_language_writes_it() -> None:
    # A Brazilian page: "03/05/2022" is 3 May. Read month first it would be an "earlier"
    # dateline than the metadata and replace it with 5 March.
    head = "<meta property='article:published_time' content='2022-05-03T20:36:00-03:00'>"
    html = _dated(head, "03/05/2022 20:36").replace("lang='en'", "lang='pt-BR'", 1)
    art = extract(html, "https://example.com.br/port", now=NOW)
    assert art.published_at[:10] == "2022-05-03"
    # Without metadata the dateline alone dates the page, the same way.
    html = _dated("", "03/05/2022 20:36").replace("lang='en'", "lang='pt-BR'", 1)
    art = extract(html, "https://example.com.br/port", now=NOW)
    assert art.published_at[:10] == "2022-05-03"
    assert art.provenance["published_at"] == "text:heading"


def test_ambiguous_dateline_that_agrees_with_metadata_read_the_other_way_is_no_evidence() -> None:
    # No language given: "03/05/2022" may be either day; the metadata's reading is kept.
    head = "<meta property='article:published_time' content='2022-05-03T20:36:00-03:00'>"
    art = extract(_dated(head, "03/05/2022 20:36"), "https://example.org/port", now=NOW)
    assert art.published_at[:10] == "2022-05-03"
    assert art.provenance["published_at"] == "meta:article:published_time"


def test_headline_escaped_twice_by_the_site_is_shown_once() -> None:
    html = page(h1="Port data tools for 2026: Python, SQL &amp;#x26; AI")
    art = extract(html, "https://example.org/port-tools", now=NOW)
    assert art.title == "Port data tools for 2026: Python, SQL & AI"


def test_dateline_in_the_page_language_dates_a_french_page() -> None:
    html = _dated("", "Mise en ligne 23 mai 2019").replace("lang='en'", "lang='fr'", 1)
    art = extract(html, "https://example.fr/port", now=NOW)
    assert art.published_at[:10] == "2019-05-23"


def test_undated_page_without_lang_is_read_in_the_language_of_its_text() -> None:
    french = [
        "Le port a annoncé lundi que le trafic de conteneurs du nouveau terminal a augmenté "
        "d'un tiers au premier trimestre, porté par les marchandises entre la Chine et l'Europe.",
        "Les responsables attendent l'ouverture du deuxième quai au printemps prochain, ce qui "
        "doublerait la capacité et permettrait d'accueillir des navires plus grands.",
        "Les compagnies maritimes ont demandé des horaires plus longs au bureau des douanes, "
        "car la plupart des retards se produisent désormais à terre plutôt qu'en mer.",
    ]
    html = page(paras=french, body_extra="<p class='x'>Mise en ligne 23 mai 2019</p>")
    html = html.replace(" lang='en'", "", 1)
    art = extract(html, "https://example.fr/port", now=NOW)
    assert art.language == "fr"
    assert art.published_at[:10] == "2019-05-23"


def test_printed_local_time_gives_the_offset_of_utc_metadata() -> None:
    # Metadata: 02:41 UTC on 4 May; the page prints 22:41 on 3 May (UTC-04:00). The record
    # keeps the printed day and the exact instant.
    head = "<meta property='article:published_time' content='2022-05-04T02:41:00+00:00'>"
    art = extract(_dated(head, "May 3, 2022 22:41"), "https://example.org/port", now=NOW)
    assert art.published_at == "2022-05-03T22:41:00-04:00"
    assert art.provenance["published_at"] == "text:heading"


def _byline_page(head: str, byline: str = "") -> str:
    return page(
        head=head,
        body_extra="",
        h1="Port traffic grows as new terminal fills up</h1>"
        f"<div class='article-author'>{byline}</div><h2 hidden>x",
    )


def test_publisher_named_as_author_gives_way_to_the_byline_on_the_page() -> None:
    head = ld(
        {
            "@type": "NewsArticle",
            "author": {"@type": "Organization", "name": "Harbour Times"},
            "publisher": {"@type": "Organization", "name": "Harbour Times"},
        }
    )
    art = extract(_byline_page(head, "By Maria Lopez"), "https://example.org/port", now=NOW)
    assert art.author == "Maria Lopez"
    assert art.provenance["author"] == "byline"
    # With no byline on the page the organisation is still better than nothing.
    art = extract(_byline_page(head), "https://example.org/port", now=NOW)
    assert art.author == "Harbour Times"


def test_cms_account_as_author_gives_way_to_the_byline() -> None:
    head = "<meta name='author' content='andrew.keaveney'>"
    art = extract(_byline_page(head, "Denise Everheart"), "https://example.org/port", now=NOW)
    assert art.author == "Denise Everheart"


def test_forum_user_name_is_the_author() -> None:
    head = ld({"@type": "DiscussionForumPosting", "headline": "Port traffic"})
    head += "<meta name='author' content='hayley.p'>"
    art = extract(_byline_page(head, "Kestrel"), "https://forum.example.org/t/1", now=NOW)
    assert art.author == "hayley.p"


def test_catalogue_order_author_is_shown_first_name_first() -> None:
    art = extract(
        page(head="<meta name='citation_author' content='Roy, Aniruddha'>"),
        "https://example.org/paper",
        now=NOW,
    )
    assert art.author == "Aniruddha Roy"


def test_outlet_named_as_author_gives_way_to_the_linked_byline() -> None:
    """Metadata signs the page with the outlet; the page links the writer's own page."""
    head = "<meta name='author' content='Harbour Times (www.harbourtimes.example)'>"
    byline = (
        "<p class='meta'>von <a href='/autoren/name/mara-keller'>Mara Keller</a></p>"
        "<nav><a href='/autoren/'>Autoren</a> <a href='/reporter'>Reporter</a></nav>"
    )
    html = page(head=head, body_extra=byline)
    art = extract(html, "https://www.harbourtimes.example/a", now=NOW)
    assert art.author == "Mara Keller"


def test_news_agency_named_as_author_is_the_author() -> None:
    """An organisation other than the publisher (a wire agency) signs the article: that is
    its byline, not a teaser's "By our newsroom" earlier in the page."""
    head = ld(
        {
            "@type": "NewsArticle",
            "author": [{"@type": "Organization", "name": "dpa"}],
            "publisher": {"@type": "Organization", "name": "Harbour Times"},
        }
    )
    teaser = (
        "<aside><a href='/other-story'>Cartoons of the year</a>"
        "<div class='teaser-author'>Von unserer Redaktion</div></aside>"
    )
    html = page(head=head).replace("<main>", f"<main>{teaser}")
    art = extract(html, "https://www.harbourtimes.example/a", now=NOW)
    assert art.author == "dpa", art.provenance


def test_a_link_to_a_section_named_after_a_role_is_not_a_byline() -> None:
    """A link reading "Reporter" to /de/reporter/s-31610 is a programme in the menu."""
    menu = "<ul><li><a href='/de/reporter/s-31610' title='Vor Ort'>Reporter</a></li></ul>"
    html = page().replace("<main>", f"{menu}<main>")
    art = extract(html, "https://www.harbourtimes.example/a", now=NOW)
    assert art.author != "Reporter"


def test_second_author_meta_names_the_writer_when_the_first_names_the_outlet() -> None:
    """Two <meta name="author">: the outlet's name first, the reporter's second."""
    head = (
        "<meta property='og:site_name' content='Harbour Times'>"
        "<meta name='author' content='Harbour Times'>"
        "<meta name='author' content='Mara Keller'>"
    )
    art = extract(page(head=head), "https://www.harbourtimes.example/a", now=NOW)
    assert art.author == "Mara Keller"


def test_author_given_as_a_labelled_value_beside_the_article() -> None:
    """The outlet signs the metadata; the page lists "Author" and the writer's name as a
    label and its value, as it lists the date."""
    head = "<meta name='author' content='Harbour Times (www.harbourtimes.example)'>"
    facts = (
        "<ul class='smallList'><li><strong>Date</strong> 28.04.2023</li>"
        "<li><strong>Author</strong> Roman Keller</li>"
        "<li><strong>Topics</strong> <a href='/t/ports'>Ports</a></li></ul>"
    )
    art = extract(page(head=head, body_extra=facts), "https://www.harbourtimes.example/a", now=NOW)
    assert art.author == "Roman Keller"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Mara Keller", "Mara Keller"),
        ("Mara Keller/Tom Baines", "Mara Keller, Tom Baines"),
        ("Mara Keller and Tom Baines", "Mara Keller, Tom Baines"),
    ],
)
def test_writer_named_on_the_body_first_line_when_metadata_names_the_outlet(
    line: str, names: str
) -> None:
    """A bare name set above the first paragraph is the byline when the metadata signs
    the page with the outlet: it becomes the author and leaves the body."""
    head = (
        "<meta property='og:site_name' content='Harbour Times'>"
        "<meta name='author' content='Harbour Times'>"
    )
    art = extract(page(head=head, paras=[line, *PARAS]), "https://www.harbourtimes.example/a")
    assert art.author == names
    assert line not in art.text
    assert art.text.startswith(PARAS[0])


@pytest.mark.parametrize(
    ("meta", "line"),
    [
        ("Mara Keller", "Tom Baines"),  # the metadata names a person
        ("Harbour Times", "PORT LOUIS HARBOUR"),  # capitals: a subheading as often as a name
        ("Harbour Times", "Par Harbour Times"),  # the outlet again
        ("", "Key Details"),  # no author metadata: as often a service page's heading
        ("Harbour Times", "New Terminal"),  # a heading: the text writes "new terminal"
        ("Harbour Times", "<h2>Key Takeaways</h2>"),  # set as a heading
    ],
)
def test_a_short_first_line_is_not_always_a_byline(meta: str, line: str) -> None:
    head = f"<meta property='og:site_name' content='Harbour Times'><meta name='author' content='{meta}'>"
    html = page(head=head, paras=[line, *PARAS]).replace("<p><h2>", "<h2>")
    art = extract(html.replace("</h2></p>", "</h2>"), "https://www.harbourtimes.example/a")
    assert art.author == (meta or None)
    assert art.text.startswith(line.removeprefix("<h2>").removesuffix("</h2>"))


def _client_rendered(script: str) -> str:
    """A page whose visible body is an empty shell filled by its scripts."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Port traffic grows as new terminal fills up | Harbour Times</title>"
        "<meta property='og:type' content='article'></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        "<main><h1>Port traffic grows as new terminal fills up</h1><div id='app'></div></main>"
        f"{script}</body></html>"
    )


def test_article_shipped_only_in_the_next_js_data_stream_is_read() -> None:
    """Client-rendered (Next.js App Router): the article's HTML is a text row of the
    flight data pushed to ``self.__next_f``, split over pushes; the page shows none of it."""
    fragment = "<div class='img'><p>A crane at the port. Photo agency</p></div>" + "".join(
        f"<p class='editor-p'>{p}</p>" for p in PARAS
    )
    size = len(fragment.encode("utf-8"))
    stream = f'1:I[4959,[],"IconMark"]\n24:T{size:x},{fragment}2:["$","div",null,{{}}]\n'
    half = len(stream) // 2
    pushes = "".join(
        f"<script>self.__next_f.push({json.dumps([1, part])})</script>"
        for part in (stream[:half], stream[half:])
    )
    html = _client_rendered("<script>(self.__next_f=self.__next_f||[]).push([0])</script>" + pushes)
    art = extract(html, "https://www.harbourtimes.example/news/article/A2026", now=NOW)
    assert art.ok and art.page_type == "article", (art.page_type, art.text)
    for p in PARAS:
        assert p in art.text
    assert "IconMark" not in art.text and '"div"' not in art.text


def test_article_html_in_next_data_props_is_read() -> None:
    """Next.js Pages Router: the article's HTML is a string in ``__NEXT_DATA__``."""
    data = {
        "props": {
            "pageProps": {
                "article": {"title": "Port", "content": "".join(f"<p>{p}</p>" for p in PARAS)},
                "menu": ["<p>Home</p>"],
            }
        }
    }
    script = f"<script id='__NEXT_DATA__' type='application/json'>{json.dumps(data)}</script>"
    art = extract(
        _client_rendered(script),
        "https://www.harbourtimes.example/news/port-traffic-grows",
        now=NOW,
    )
    assert art.ok and art.page_type == "article"
    for p in PARAS:
        assert p in art.text


def test_time_only_in_the_visible_dateline_is_read_in_the_outlets_zone() -> None:
    """No date in the metadata, the day in the URL, the minute only under the headline:
    the record has the minute, in the zone the source is configured with."""
    html = page(paras=PARAS).replace(
        "<h1>Port traffic grows as new terminal fills up</h1>",
        "<h1>Port traffic grows as new terminal fills up</h1><p class='info'>01.04.2025, 15:25</p>",
    )
    assert "15:25" in html
    url = "https://harbour.example/2025/04/01/port-traffic-grows"
    art = extract(html, url, now=NOW, default_offset="+02:00")
    assert art.published_at == "2025-04-01T15:25:00+02:00", art.provenance


def test_json_ld_time_without_offset_takes_the_offset_of_the_same_time_elsewhere() -> None:
    obj = {"@type": "NewsArticle", "headline": "Port", "datePublished": "2025-04-01T18:11:01"}
    head = ld(obj) + "<meta name='date' content='2025-04-01T18:11:01+02:00'>"
    art = extract(page(head=head), "https://harbour.example/a", now=NOW)
    assert art.published_at == "2025-04-01T18:11:01+02:00"


def _titled(h1: str, head: str) -> str:
    return (
        f"<html lang='en'><head><meta charset='utf-8'>{head}</head><body><main><article>"
        f"<h1>{h1}</h1>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</article></main></body></html>"
    )


def test_kicker_inside_the_h1_is_not_part_of_the_headline() -> None:
    h1 = (
        "<span class='overline'>Harbour works</span><span class='sr'> - </span>"
        "<span class='text'>Port traffic grows as new terminal fills up</span>"
    )
    head = "<meta property='og:title' content='Port traffic grows as new terminal fills up'>"
    art = extract(_titled(h1, head), "https://harbour.example/a", now=NOW)
    assert art.title == "Port traffic grows as new terminal fills up"


def test_kicker_glued_with_a_colon_goes_when_the_page_titles_without_it() -> None:
    obj = {"@type": "NewsArticle", "headline": "New terminal: Port traffic grows by a third"}
    head = ld(obj) + "<meta property='og:title' content='Port traffic grows by a third'>"
    art = extract(
        _titled("New terminal: Port traffic grows by a third", head), "https://h.example/a", now=NOW
    )
    assert art.title == "Port traffic grows by a third"


def test_a_speaker_before_a_colon_stays_when_the_page_keeps_it() -> None:
    head = "<meta property='og:title' content='Tony Blair: Why there has to be compromise'>"
    art = extract(
        _titled("Tony Blair: Why there has to be compromise", head), "https://h.example/a", now=NOW
    )
    assert art.title == "Tony Blair: Why there has to be compromise"


@pytest.mark.parametrize("placeholder", ["기사 상세", "Article detail", "News"])
def test_a_placeholder_page_title_is_not_the_headline(placeholder: str) -> None:
    html = (
        f"<html><head><title>{placeholder}</title><meta property='og:title' "
        f"content='Port traffic grows as new terminal fills up'></head><body><h1>{placeholder}</h1>"
        "<div class='c'>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</div></body></html>"
    )
    art = extract(html, "https://harbour.example/news/view?id=123", now=NOW)
    assert art.title == "Port traffic grows as new terminal fills up"
