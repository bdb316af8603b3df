"""Dates as outlets write them, turned into ISO 8601 strings.

The known shapes (ISO 8601, RFC 822, Unix timestamps, "22 April 2025 20:20 (UTC +04:00)",
"6 Dekabr 2025", "22 апреля 2025", "2025年4月22日") are read by a small hand-written
parser: it is fast, it knows Azerbaijani, Russian and Turkish month names, and it never
invents a year or a day. ``dateutil`` is only a strict (non-fuzzy) fallback whose answer
is discarded unless the string itself named the year, the month and the day.

Listings write dates without a year ("15 Noyabr 10:31 (UTC+04)"), as a bare time, or as
"5 hours ago"; those need to know *when* the page was fetched, so they are parsed only
when the caller passes ``reference``.

Month and weekday names live in ``parsers.date_words``, time zones in
``parsers.time_zones``; this module puts the parts together.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_tz

from parsers.date_words import MONTHS, NOISE_WORDS, fold, month_table, weekday_in
from parsers.time_zones import ZONES, find_offset, fmt_offset, parse_offset_text

__all__ = ["date_from_url", "parse_date", "plausible", "to_datetime"]

# --------------------------------------------------------------------------- languages

#: The month-name languages every date is read with (our outlets' languages).
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "az", "ru", "tr", "zh")


def languages_for(lang: str | None) -> tuple[str, ...]:
    """Month-name languages for a page in ``lang``: its own first, then the defaults.

    Its own first, because short month names collide ("mar" is March in English and
    Turkish, "mai" May in French and German, "set" September in Italian and Portuguese).
    """
    code = (lang or "").strip().lower().replace("_", "-").split("-", 1)[0]
    if code in MONTHS and code not in DEFAULT_LANGUAGES:
        return (code, *DEFAULT_LANGUAGES)
    return DEFAULT_LANGUAGES


# --------------------------------------------------------------------------- assembling


@dataclass
class _Parts:
    year: int | None
    month: int | None
    day: int | None
    time: tuple[int, int, int] | None = None
    offset: int | None = None  # minutes east of UTC
    #: a two-digit year ("22.04.25"): accepted only with nothing but a time beside it
    weak: bool = False


def _render(p: _Parts, default_offset: str | None) -> str | None:
    """ISO string for complete parts; None when a field is missing or out of range."""
    if p.year is None or p.month is None or p.day is None:
        return None
    try:
        day = date(p.year, p.month, p.day)
    except ValueError:
        return None
    if p.time is None:
        return day.isoformat()
    h, mi, s = p.time
    if (h, mi, s) == (24, 0, 0):
        h, day = 0, day + timedelta(days=1)
    if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s <= 60):
        return None
    stamp = f"{day.isoformat()}T{h:02d}:{mi:02d}:{min(s, 59):02d}"
    offset = p.offset
    if offset is None and default_offset:
        offset = parse_offset_text(default_offset)
    return stamp + fmt_offset(offset) if offset is not None else stamp


def _year2(yy: int) -> int:
    """Two-digit year: 00-69 -> 2000s, 70-99 -> 1900s (the POSIX convention)."""
    return 2000 + yy if yy < 70 else 1900 + yy


# --------------------------------------------------------------------------- shapes

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+\-]\d{2}(?::?\d{2})?)?",
    re.I,
)
_ISO_COMPACT_RE = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(?:\.\d+)?(Z|[+\-]\d{2}:?\d{2})?)?", re.I
)
_RFC822_RE = re.compile(
    r"(?:[a-z]{3},?\s+)?\d{1,2}\s+[a-z]{3}\s+\d{2}(?:\d{2})?\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s+(?:[+\-]\d{4}|[a-z]{1,5}))?",
    re.I,
)
_TIME_RE = re.compile(
    r"(?<![\d:])(\d{1,2})[:：](\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?![\d:])\s*(a\.?m\.?|p\.?m\.?)?",
    re.I,
)
_CJK_RE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_CJK_TIME_RE = re.compile(r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分")
_YMD_RE = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_NUM_DATE_RE = re.compile(r"(?<![\d.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d.:])")
_EPOCH_RE = re.compile(r"\d{10}(?:\d{3})?(?:\.\d+)?")
#: A date among more than this much other text is a sentence, not a date field.
_MAX_OTHER_WORDS = 4
_MAX_OTHER_CHARS = 32


def _day_month(
    low: str, languages: Sequence[str], need_year: bool
) -> tuple[_Parts, tuple[int, int]] | None:
    """A date with the month written as a word (any order); year optional unless needed."""
    table, rx = month_table(languages)
    if rx is None:
        return None
    yearless: tuple[_Parts, tuple[int, int]] | None = None
    for mm in rx.finditer(low):
        month = table[mm.group(1)]
        before, after = low[: mm.start()], low[mm.end() :]
        # "22 April 2025", "22-apr-2025", "6 Dekabr, 2025", "12th February 2025"
        b = re.search(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\.?[\s\-/]*$", before)
        a = re.match(r"[\s\-/,.]*(\d{4})(?!\d)", after)
        if b and a:
            return _Parts(int(a.group(1)), month, int(b.group(1))), (b.start(), mm.end() + a.end())
        # "April 22, 2025", "Apr 22nd 2025"
        a = re.match(r"[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?(?!\d)[\s,.\-/]*(\d{4})(?!\d)", after)
        if a:
            return _Parts(int(a.group(2)), month, int(a.group(1))), (mm.start(), mm.end() + a.end())
        # "2025 April 22", "2025-Apr-22"
        b = re.search(r"(?<!\d)(\d{4})[\s\-/,.]*$", before)
        a = re.match(r"[\s\-/.]*(\d{1,2})(?!\d)", after)
        if b and a:
            return _Parts(int(b.group(1)), month, int(a.group(1))), (b.start(), mm.end() + a.end())
        if yearless is None and not need_year:
            # "15 Noyabr 10:31", "Feb 27" (listings; the year comes from the reference)
            b = re.search(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\.?[\s\-/]*$", before)
            if b:
                yearless = _Parts(None, month, int(b.group(1))), (b.start(), mm.end())
                continue
            a = re.match(r"[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?(?![\d:])", after)
            if a:
                yearless = _Parts(None, month, int(a.group(1))), (mm.start(), mm.end() + a.end())
    return yearless


def _numeric(low: str, dayfirst: bool | None) -> tuple[_Parts, tuple[int, int]] | None:
    m = _YMD_RE.search(low)
    if m:
        return _Parts(int(m.group(1)), int(m.group(3)), int(m.group(4))), m.span()
    m = _NUM_DATE_RE.search(low)
    if not m:
        return None
    a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
    year = int(y) if len(y) == 4 else _year2(int(y))
    # "22.04.2025" is day-first everywhere; "04/22/2025" is month-first on most of the web.
    first_is_day = dayfirst if dayfirst is not None else sep != "/"
    if first_is_day and a <= 12 < b:
        first_is_day = False
    elif not first_is_day and b <= 12 < a:
        first_is_day = True
    day, month = (a, b) if first_is_day else (b, a)
    if a <= 12 and b <= 12 and a != b and dayfirst is None:
        # "Sunday, 10.03.2019": the weekday says which reading is right.
        wd = weekday_in(low)
        if wd is not None:
            for d_, m_ in ((day, month), (month, day)):
                try:
                    if date(year, m_, d_).weekday() == wd:
                        day, month = d_, m_
                        break
                except ValueError:
                    continue
    return _Parts(year, month, day, weak=len(y) == 2), m.span()


def _time_of(m: re.Match[str]) -> tuple[int, int, int] | None:
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    ampm = (m.group(4) or "").lower().replace(".", "")
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm == "pm" else 0)
    return h, mi, s


def _other_text(rest: str) -> bool:
    """True when what is left beside the date is a sentence rather than a label."""
    words = [w for w in re.findall(r"[^\W\d_]+", rest) if w not in NOISE_WORDS]
    return len(words) > _MAX_OTHER_WORDS or sum(map(len, words)) > _MAX_OTHER_CHARS


#: "23 de mayo de 2022", "3 de maio de 2022": the connector between day, month and year.
_DE_RE = re.compile(r"(?<=\d)\s+del?\s+(?=[^\W\d])|(?<=[^\W\d])\s+del?\s+(?=\d)")


def _parse_words(
    v: str, languages: Sequence[str], dayfirst: bool | None, allow_partial: bool
) -> _Parts | None:
    """Free-form shapes: month names, CJK, numeric dates, with optional time and zone."""
    low = _DE_RE.sub(" ", fold(v))
    found: tuple[_Parts, tuple[int, int]] | None = None
    m = _CJK_RE.search(low)
    if m and (m.group(1) or allow_partial):
        year = int(m.group(1)) if m.group(1) else None
        found = _Parts(year, int(m.group(2)), int(m.group(3))), m.span()
    if found is None:
        found = _numeric(low, dayfirst)
    if found is None:
        found = _day_month(low, languages, need_year=not allow_partial)
    if found is None:
        if not allow_partial:
            return None
        parts, rest = _Parts(None, None, None), low
    else:
        parts, (start, end) = found
        rest = low[:start] + " " + low[end:]

    tm = _TIME_RE.search(rest)
    ct = None if tm else _CJK_TIME_RE.search(rest)
    if tm:
        parts.time = _time_of(tm)
        if parts.time is None:
            return None
        before, after = rest[: tm.start()], rest[tm.end() :]
    elif ct:
        parts.time = (int(ct.group(1)), int(ct.group(2)), 0)
        before, after = rest[: ct.start()], rest[ct.end() :]
    else:
        before, after = rest, ""
    if parts.time is not None:
        parts.offset, after = find_offset(after)
        if parts.offset is None:
            parts.offset, before = find_offset(before)
    if found is None and parts.time is None:
        return None
    leftover = before + " " + after
    if _other_text(leftover):
        return None
    if parts.weak and re.search(r"[^\W\d_]", re.sub(r"(?<!\w)(?:am|pm)(?!\w)", "", leftover)):
        return None
    return parts


def _parse_iso(v: str) -> _Parts | None:
    m = _ISO_RE.fullmatch(v) or _ISO_COMPACT_RE.fullmatch(v)
    if not m:
        return None
    parts = _Parts(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m.group(4) is not None:
        parts.time = (int(m.group(4)), int(m.group(5)), int(m.group(6) or 0))
        if m.group(7):
            parts.offset = parse_offset_text(m.group(7))
    return parts


def _parse_rfc822(v: str) -> _Parts | None:
    """Feed dates, including the two-digit years RFC 822 allows ("05 Jan 17 13:34:54")."""
    if not _RFC822_RE.fullmatch(v):
        return None
    t = parsedate_tz(v)
    if t is None:
        return None
    y, mo, d, h, mi, s, *_rest, off = t
    if y < 100:
        y = _year2(y)
    zone = re.search(r"(?:([+\-]\d{4})|([a-z]{1,5}))$", v, re.I)
    offset = None
    if zone and zone.group(1):
        offset = off // 60 if off is not None else None
    elif zone:
        offset = ZONES.get(zone.group(2).lower())  # unknown abbreviations stay naive
    return _Parts(y, mo, d, (h, mi, s), offset)


def _parse_epoch(v: str) -> str | None:
    if not _EPOCH_RE.fullmatch(v):
        return None
    n = float(v)
    if len(v.split(".")[0]) == 13:
        n /= 1000
    try:
        dt = datetime.fromtimestamp(n, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return dt.replace(microsecond=0).isoformat()


def _parse_formats(v: str, formats: Sequence[str], default_offset: str | None) -> str | None:
    for fmt in formats:
        try:
            dt = datetime.strptime(v, fmt)
        except ValueError:
            continue
        if not any(d in fmt for d in ("%H", "%I", "%M", "%X", "%c", "%T", "%R")):
            return dt.date().isoformat()
        offset = None
        if dt.utcoffset() is not None:
            offset = int(dt.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        return _render(
            _Parts(dt.year, dt.month, dt.day, (dt.hour, dt.minute, dt.second), offset),
            default_offset,
        )
    return None


_DU_A = datetime(1904, 1, 1, 0, 0, 0)
_DU_B = datetime(1905, 2, 2, 1, 1, 1)
_DU_TZINFOS: dict[str, int] = {k.upper(): m * 60 for k, m in ZONES.items() if k != "z"}


def _parse_dateutil(v: str, dayfirst: bool | None) -> _Parts | None:
    """Strict dateutil fallback: accepted only when year, month and day came from the string."""
    if len(v) > 80 or not re.search(r"(?<!\d)(?:19|20)\d{2}(?!\d)", v):
        return None
    from dateutil import parser as du

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = du.parse(v, default=_DU_A, tzinfos=_DU_TZINFOS, dayfirst=bool(dayfirst))
            b = du.parse(v, default=_DU_B, tzinfos=_DU_TZINFOS, dayfirst=bool(dayfirst))
    except (ValueError, OverflowError, TypeError, du.ParserError):
        return None
    if (a.year, a.month, a.day) != (b.year, b.month, b.day):
        return None
    parts = _Parts(a.year, a.month, a.day)
    if (a.hour, a.minute) == (b.hour, b.minute):
        parts.time = (a.hour, a.minute, a.second if a.second == b.second else 0)
        off = a.utcoffset()
        if off is not None:
            parts.offset = int(off.total_seconds() // 60)
    return parts


# --------------------------------------------------------------------------- relative dates

_UNITS = {
    "minute": ("minute", "minutes", "min", "mins", "dəqiqə", "dakika", "минуту", "минуты",
               "минут", "мин", "分钟"),
    "hour": ("hour", "hours", "hr", "hrs", "saat", "час", "часа", "часов", "小时"),
    "day": ("day", "days", "gün", "день", "дня", "дней", "天"),
}  # fmt: skip
_UNIT_OF = {fold(w): unit for unit, words in _UNITS.items() for w in words}
_AGO_RE = re.compile(
    r"^(\d+|an?|one)\s*("
    + "|".join(sorted(map(re.escape, _UNIT_OF), key=len, reverse=True))
    + r")\s*(?:ago|əvvəl|evvel|önce|once|назад|前)$"
)
_TODAY = {fold(w) for w in ("today", "bu gün", "bugün", "сегодня", "今天")}
_YESTERDAY = {fold(w) for w in ("yesterday", "dünən", "dün", "вчера", "昨天")}
_DAY_WORD_RE = re.compile(
    r"(?<!\w)("
    + "|".join(sorted(map(re.escape, _TODAY | _YESTERDAY), key=len, reverse=True))
    + r")(?!\w)"
)


_WEEKDAY_RE = re.compile(
    r"(?<!\w)(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|понедельник|вторник|"
    r"среда|среду|четверг|пятница|пятницу|суббота|субботу|воскресенье|pazartesi|sali|carsamba|"
    r"persembe|cuma|cumartesi|pazar|bazar|cume|senbe|cersenbe)(?!\w)"
)


def _ref_local(reference: datetime, offset: int | None) -> datetime:
    """The reference instant seen on the wall clock of ``offset`` (when both are known)."""
    if offset is not None and reference.tzinfo is not None:
        return reference.astimezone(timezone(timedelta(minutes=offset)))
    return reference


def _with_reference(
    v: str, parts: _Parts | None, reference: datetime, default_offset: str | None
) -> str | None:
    """Complete a year-less date, a bare time, or a relative date from the fetch time."""
    low = fold(v).strip()
    m = _AGO_RE.match(low)
    if m:
        n = 1 if m.group(1) in ("a", "an", "one") else int(m.group(1))
        unit = _UNIT_OF[m.group(2)]
        if unit == "day":
            return (reference.date() - timedelta(days=n)).isoformat()
        return (reference - timedelta(**{unit + "s": n})).replace(microsecond=0).isoformat()
    day_word = _DAY_WORD_RE.search(low)
    if parts is None:
        if day_word and not _DAY_WORD_RE.sub("", low).strip(" ,.:-"):
            back = 1 if day_word.group(1) in _YESTERDAY else 0
            return (reference.date() - timedelta(days=back)).isoformat()
        return None
    offset = parts.offset
    if offset is None and default_offset:
        offset = parse_offset_text(default_offset)
    local = _ref_local(reference, offset)
    if parts.month is None:
        if parts.time is None:
            return None
        if day_word:
            day = local.date() - timedelta(days=1 if day_word.group(1) in _YESTERDAY else 0)
        elif _WEEKDAY_RE.search(low):
            return None  # "Wednesday at 7:05 AM": not worth guessing
        else:  # a bare time: today, or yesterday if that time has not come yet
            day = local.date()
            if parts.time[:2] > (local.hour + 1, local.minute):
                day -= timedelta(days=1)
        parts.year, parts.month, parts.day = day.year, day.month, day.day
        return _render(parts, default_offset)
    if parts.year is None:  # "15 Noyabr": this year, or last year if that is in the future
        parts.year = local.year
        try:
            if date(parts.year, parts.month, parts.day or 1) > local.date() + timedelta(days=1):
                parts.year -= 1
        except ValueError:
            return None
    return _render(parts, default_offset)


# --------------------------------------------------------------------------- public


def parse_date(
    value: str,
    *,
    default_offset: str | None = None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    formats: Sequence[str] = (),
    dayfirst: bool | None = None,
    reference: datetime | None = None,
) -> str | None:
    """ISO 8601 for a date as written on a page or in a feed, or None.

    ``default_offset`` ("+04:00") is applied to date-times that carry no zone: it is how a
    site profile says "this outlet writes Baku time". ``formats`` (strptime) come from the
    profile and are tried first. ``dayfirst`` settles "04/05/2025" (default: day first
    with dots and dashes, month first with slashes). ``reference`` (the fetch time) lets
    year-less, time-only and relative dates ("5 saat əvvəl") resolve; without it they
    give None rather than a guess.
    """
    if not value or not isinstance(value, str):
        return None
    v = unicodedata.normalize("NFKC", value).replace("\u2212", "-").strip()
    v = v.strip(".,;|·•-–—►▶ \t").strip()
    if not v or len(v) > 200:
        return None
    try:
        if formats:
            out = _parse_formats(v, formats, default_offset)
            if out:
                return out
        epoch = _parse_epoch(v)
        if epoch:
            return epoch
        parts = (
            _parse_iso(v)
            or _parse_rfc822(v)
            or _parse_words(v, languages, dayfirst, allow_partial=reference is not None)
        )
        if parts is not None and (parts.year is None or parts.month is None):
            return _with_reference(v, parts, reference, default_offset) if reference else None
        if parts is None:
            parts = _parse_dateutil(v, dayfirst)
        if parts is None and reference is not None:
            return _with_reference(v, None, reference, default_offset)
        return _render(parts, default_offset) if parts else None
    except (ValueError, OverflowError, TypeError):
        return None


def to_datetime(iso: str) -> datetime | None:
    """datetime for an ISO string from ``parse_date``: aware when the offset is known."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.strip())
    except ValueError:
        return None


def plausible(
    iso: str,
    *,
    now: datetime | None = None,
    max_future: timedelta = timedelta(days=1),
    earliest_year: int = 1990,
) -> bool:
    """False for dates a news article cannot have (before ``earliest_year`` or in the future)."""
    dt = to_datetime(iso)
    if dt is None:
        return False
    if dt.year < earliest_year:
        return False
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if dt.tzinfo is None:
        # Unknown zone: assume the earliest one (UTC+14) before calling it the future.
        dt = dt.replace(tzinfo=timezone(timedelta(hours=14)))
    return dt <= now + max_future


_URL_SEP_YMD = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_](\d{1,2})[-/_](\d{1,2})(?!\d)")
#: "/2023/october/03/", "/2023/oct/03/": the month as an English word.
_URL_WORD_YMD = re.compile(r"(?<!\d)((?:19|20)\d{2})/([a-z]{3,9})/(\d{1,2})(?!\d)", re.I)


#: English locales that write numeric dates month first ("04/05/2025" is April 5).
_MONTH_FIRST_LOCALES = frozenset({"en", "en-us", "en-ph", "en-ca", "en-um", "en-as", "en-gu"})


def dayfirst_for(lang: str | None) -> bool | None:
    """How a page in ``lang`` (a BCP 47 tag such as "pt-BR") writes "03/05/2022".

    Only US-style English puts the month first, and only with slashes; every other
    language we meet (and British, Indian, Australian English) puts the day first. None
    leaves the parser's default, which is the US habit: day first with dots and dashes,
    month first with slashes.
    """
    tag = (lang or "").strip().lower().replace("_", "-")
    if not tag or tag in _MONTH_FIRST_LOCALES:
        return None
    if tag.split("-", 1)[0] == "en":
        return True  # en-GB, en-IN, en-AU, en-NZ, en-IE, en-ZA ...
    return True if re.fullmatch(r"[a-z]{2,3}(?:-[a-z0-9]+)*", tag) else None


def date_from_url(url: str) -> str | None:
    """The day in an article URL ("/2025/04/22/", "2025-04-22", "/2019-04/22/", "/20250422/")."""
    if not url:
        return None
    path = re.sub(r"^[a-z][a-z0-9+.\-]*://[^/]+", "", url.strip(), flags=re.I)
    path = path.split("#", 1)[0]
    for m in _URL_SEP_YMD.finditer(path):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            continue
    for m in _URL_WORD_YMD.finditer(path):
        month = MONTHS["en"].get(m.group(2).lower())
        if month:
            try:
                return date(int(m.group(1)), month, int(m.group(3))).isoformat()
            except ValueError:
                continue
    # Compact YYYYMMDD only as a whole path segment, so article ids are not read as dates.
    for seg in re.split(r"[/?&=]", path):
        if re.fullmatch(r"(?:19|20)\d{6}", seg):
            try:
                return date(int(seg[:4]), int(seg[4:6]), int(seg[6:8])).isoformat()
            except ValueError:
                continue
    return None
