"""parsers.dates on the shapes our outlets and feeds write, and on real feed dates."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parsers.dates import (
    date_from_url,
    dayfirst_for,
    languages_for,
    parse_date,
    plausible,
    to_datetime,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path} (clone ../shared next to the repo)")
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Trend, visible dates (en / az)
        ("22 April 2025 20:20 (UTC +04:00)", "2025-04-22T20:20:00+04:00"),
        ("6 Dekabr 2025 15:49 (UTC +04:00)", "2025-12-06T15:49:00+04:00"),
        ("6 DEKABR 2025 15:49 (UTC+04)", "2025-12-06T15:49:00+04:00"),
        ("21 İyun 2025", "2025-06-21"),
        ("27 dekabr 2024-cü ildə", "2024-12-27"),
        # the flattened Trend line from seeds/002
        ("Politics Materials 22 April 2025 20:20 (UTC +04:00)", "2025-04-22T20:20:00+04:00"),
        # Russian, genitive and nominative
        ("22 апреля 2025, 20:20", "2025-04-22T20:20:00"),
        ("22 апрель 2025", "2025-04-22"),
        ("22.04.2025 в 20:20 (МСК)", "2025-04-22T20:20:00+03:00"),
        ("3 мая 2025 г.", "2025-05-03"),
        # Turkish
        ("22 Nisan 2025 Salı 20:20", "2025-04-22T20:20:00"),
        ("22 ARALIK 2025", "2025-12-22"),
        ("5 Şubat 2025", "2025-02-05"),
        # Chinese
        ("2025年4月22日 20:20", "2025-04-22T20:20:00"),
        ("北京时间2025年4月22日20时20分", "2025-04-22T20:20:00+08:00"),
        ("2025年04月22日", "2025-04-22"),
        # English and numeric
        ("April 22, 2025", "2025-04-22"),
        ("Tuesday, April 22, 2025 8:20 PM EDT", "2025-04-22T20:20:00-04:00"),
        ("12th February 2025", "2025-02-12"),
        ("22.04.2025 20:20", "2025-04-22T20:20:00"),
        ("2025/04/22", "2025-04-22"),
        ("11/18/2025", "2025-11-18"),
        ("Sunday, 10.03.2019", "2019-03-10"),  # the weekday settles day/month
        ("date 2025-04-22", "2025-04-22"),
        ("20200320", "2020-03-20"),
        # ISO 8601
        ("2025-04-22T16:20:00Z", "2025-04-22T16:20:00+00:00"),
        ("2025-04-22T20:20:00.123+0400", "2025-04-22T20:20:00+04:00"),
        ("2025-04-22 20:20:00 +04:00", "2025-04-22T20:20:00+04:00"),
        ("2025-04-22T20:20:00", "2025-04-22T20:20:00"),
        ("2025-04-22 20:20 GMT+4", "2025-04-22T20:20:00+04:00"),
        ("2025-04-22 20:20 MSK", "2025-04-22T20:20:00+03:00"),
        # RFC 822 (feeds), two-digit years included
        ("Tue, 22 Apr 2025 20:20:00 +0400", "2025-04-22T20:20:00+04:00"),
        ("Sat, 07 Sep 2002 00:00:01 GMT", "2002-09-07T00:00:01+00:00"),
        ("05 Jan 17 13:34:54 +0100", "2017-01-05T13:34:54+01:00"),
        # Unix timestamps
        ("1745338800", "2025-04-22T16:20:00+00:00"),
        ("1745338800000", "2025-04-22T16:20:00+00:00"),
    ],
)
def test_known_shapes(value: str, expected: str) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "Politics Materials",
        "May 2025",
        "2025",
        "Version 1.10.12",
        "12 Minute Read",
        "5 hours ago",  # relative: needs a reference
        "15:49 (UTC+04)",
        "D55027491BC95568874EC0829AECDC3D",
        "On April 23, 2025, in Beijing, during a state visit by Azerbaijani President Aliyev",
        "31 February 2025",
        "",
    ],
)
def test_garbage_and_incomplete_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


def test_default_offset_applies_only_without_a_zone() -> None:
    assert parse_date("22.04.2025 20:20", default_offset="+04:00") == "2025-04-22T20:20:00+04:00"
    assert parse_date("22 апреля 2025, 20:20", default_offset="MSK") == "2025-04-22T20:20:00+03:00"
    assert (
        parse_date("2025-04-22T16:20:00Z", default_offset="+04:00") == "2025-04-22T16:20:00+00:00"
    )
    assert parse_date("2025-04-22", default_offset="+04:00") == "2025-04-22"


def test_profile_formats_and_dayfirst() -> None:
    assert parse_date("22/04/2025 20:20", formats=["%d/%m/%Y %H:%M"]) == "2025-04-22T20:20:00"
    assert parse_date("04/05/2025") == "2025-04-05"  # slashes: month first, like most of the web
    assert parse_date("04/05/2025", dayfirst=True) == "2025-05-04"
    assert parse_date("04.05.2025") == "2025-05-04"  # dots: day first
    assert parse_date("2025 04 22", formats=["%Y %m %d"]) == "2025-04-22"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("pt-BR", "2022-05-03"),
        ("es", "2022-05-03"),
        ("en-GB", "2022-05-03"),
        ("en-US", "2022-03-05"),
        ("en", "2022-03-05"),
        (None, "2022-03-05"),
    ],
)
def test_page_language_says_which_number_is_the_day(lang: str | None, expected: str) -> None:
    assert parse_date("03/05/2022", dayfirst=dayfirst_for(lang)) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Mise en ligne 23 mai 2019", "fr", "2019-05-23"),
        ("Gespeichert am 24. Juli 2017 - 18:55", "de", "2017-07-24T18:55:00"),
        ("Montag, 3. März 2025", "de-AT", "2025-03-03"),
        ("lunes, 2 de mayo de 2022 - 10:32", "es", "2022-05-02T10:32:00"),
        ("3 de maio de 2022 às 20:36", "pt-BR", "2022-05-03T20:36:00"),
        ("12 settembre 2021", "it", "2021-09-12"),
        ("6 Dekabr 2025 15:49", "az", "2025-12-06T15:49:00"),
    ],
)
def test_month_names_in_the_page_language(text: str, lang: str, expected: str) -> None:
    assert parse_date(text, languages=languages_for(lang)) == expected


def test_the_page_language_settles_colliding_month_names() -> None:
    # "set" is September in Italian and Portuguese, "mar" March in English and Turkish.
    assert parse_date("12 set 2021", languages=languages_for("it")) == "2021-09-12"
    assert languages_for("fr")[0] == "fr" and "en" in languages_for("fr")
    assert languages_for("en-GB") == languages_for(None)


def test_languages_restrict_month_names() -> None:
    assert parse_date("6 Dekabr 2025", languages=("en",)) is None
    assert parse_date("6 Dekabr 2025", languages=("az",)) == "2025-12-06"


def test_listing_dates_resolve_against_the_fetch_time() -> None:
    ref = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)  # 13:00 in Baku
    assert parse_date("15 Noyabr 10:31 (UTC+04)", reference=ref) == "2025-11-15T10:31:00+04:00"
    assert parse_date("25 Dekabr", reference=ref) == "2024-12-25"  # not in the future
    assert parse_date("12:49 (UTC+04)", reference=ref) == "2025-11-20T12:49:00+04:00"
    assert parse_date("15:49 (UTC+04)", reference=ref) == "2025-11-19T15:49:00+04:00"
    assert parse_date("5 saat əvvəl", reference=ref) == "2025-11-20T04:00:00+00:00"
    assert parse_date("10 минут назад", reference=ref) == "2025-11-20T08:50:00+00:00"
    assert parse_date("3 days ago", reference=ref) == "2025-11-17"
    assert parse_date("вчера в 15:30", reference=ref, default_offset="+03:00") == (
        "2025-11-19T15:30:00+03:00"
    )
    assert parse_date("Wednesday at 7:05 AM", reference=ref) is None
    assert parse_date("Politics Materials", reference=ref) is None


def test_seed_exports_start_with_a_date_token() -> None:
    seeds = sorted(need(SHARED / "seeds").glob("*.txt"))
    dated = 0
    for path in seeds:
        first = path.read_text(encoding="utf-8").split(maxsplit=2)
        if first and first[0] == "date":
            assert parse_date(" ".join(first[:2])) == first[1]
            dated += 1
    assert dated >= 4


def test_agrees_with_feedparser_on_every_feed_date() -> None:
    from feedparser.datetimes import _parse_date

    tag = re.compile(
        r"<((?:\w+:)?(?:pubDate|date|published|updated|modified|issued|created|lastBuildDate))"
        r"\b[^>]*>([^<]{4,80})</\1>"
    )
    values = set()
    for path in need(SHARED / "corpus" / "feeds").rglob("*"):
        if path.is_file() and path.suffix in ("", ".xml", ".rss", ".atom", ".rdf", ".json"):
            values.update(
                m.group(2).strip() for m in tag.finditer(path.read_text("utf-8", "replace"))
            )
    compared = 0
    for value in sorted(values):
        ours, theirs = parse_date(value), _parse_date(value)
        if theirs is None:
            continue
        assert ours is not None, value
        dt = to_datetime(ours)
        assert dt is not None
        if len(ours) == 10:
            assert (dt.year, dt.month, dt.day) == tuple(theirs[:3]), value
        else:
            dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
            assert calendar.timegm(dt.utctimetuple()) == calendar.timegm(theirs), value
        compared += 1
    assert compared >= 50


def test_to_datetime() -> None:
    aware = to_datetime("2025-04-22T20:20:00+04:00")
    assert aware is not None and aware.utcoffset() == timedelta(hours=4)
    naive = to_datetime("2025-04-22T20:20:00")
    assert naive is not None and naive.tzinfo is None
    assert to_datetime("2025-04-22") == datetime(2025, 4, 22)
    assert to_datetime("not a date") is None


def test_plausible() -> None:
    now = datetime(2025, 4, 23, 12, 0, tzinfo=UTC)
    assert plausible("2025-04-22T20:20:00+04:00", now=now)
    assert plausible("2025-04-24", now=now)  # within the day of slack
    assert not plausible("2025-04-26", now=now)
    assert not plausible("1970-01-01T00:00:00+00:00", now=now)
    assert not plausible("1989-12-31", now=now)
    assert plausible("1989-12-31", now=now, earliest_year=1980)
    assert not plausible("garbage", now=now)
    # naive: only future when it is future in every zone
    assert plausible("2025-04-24T23:00:00", now=now)
    assert not plausible("2025-04-25T12:00:00", now=now)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.az/news/2025/04/22/azerbaijan-china", "2025-04-22"),
        ("https://www.xinhuanet.com/english/2019-04/22/c_138001234.htm", "2019-04-22"),
        ("https://english.news.cn/20250422/0f2a/c.html", "2025-04-22"),
        ("https://x.com/a/2025-04-22-visit.html", "2025-04-22"),
        ("https://en.trend.az/azerbaijan/politics/4061234.html", None),
        ("https://x.com/item/20251399/", None),
        ("https://x.com/2025/04/", None),
        ("https://example.com/blog/2023/october/03/wine-styles/", "2023-10-03"),
        ("https://example.com/2023/oct/3/wine", "2023-10-03"),
        ("https://example.com/2023/news/03/wine", None),
    ],
)
def test_date_from_url(url: str, expected: str | None) -> None:
    assert date_from_url(url) == expected
