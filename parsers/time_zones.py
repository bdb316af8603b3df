"""Time zones as dates write them: "+04:00", "UTC+4", "GMT+04", "MSK", "北京时间".

Offsets are minutes east of UTC. Only abbreviations that are unambiguous for our
outlets' regions are known; anything else leaves a date without a zone rather than
guessing one. Used by ``parsers.dates``.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Zone abbreviations that are unambiguous for our outlets' regions, in minutes east of UTC.
ZONES = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "ut": 0,
    "msk": 180,
    "мск": 180,
    "azt": 240,
    "trt": 180,
    "bjt": 480,
    "hkt": 480,
    "jst": 540,
    "kst": 540,
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "eest": 180,
    "bst": 60,
    "wet": 0,
    "west": 60,
    "est": -300,
    "edt": -240,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
}

_LABELLED_OFFSET = re.compile(
    r"\(?\s*(?:utc|gmt)\s*([+\-])\s*(\d{1,2})(?:[:.]?(\d{2}))?\s*\)?", re.I
)
_NUM_OFFSET = re.compile(r"(?<![\d:])([+\-])(\d{2}):?(\d{2})(?!\d)")
_ZONE_WORD = re.compile(
    r"(?<![\w])(" + "|".join(sorted(ZONES, key=len, reverse=True)) + r")(?!\w)", re.I
)


def fmt_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_minutes(sign: str, hours: str, minutes: str | None) -> int | None:
    h, mnt = int(hours), int(minutes or 0)
    if h > 14 or mnt >= 60:
        return None
    total = h * 60 + mnt
    return -total if sign == "-" else total


def parse_offset_text(value: str) -> int | None:
    """Minutes for "+04:00", "+0400", "UTC+4", "GMT+04", "Z", "MSK"; None if unknown."""
    v = value.strip().replace("\u2212", "-")
    m = _LABELLED_OFFSET.fullmatch(v)
    if m:
        return _offset_minutes(m.group(1), m.group(2), m.group(3))
    m = re.fullmatch(r"([+\-])(\d{1,2})(?::?(\d{2}))?", v)
    if m:
        return _offset_minutes(m.group(1), m.group(2), m.group(3))
    return ZONES.get(v.lower())


def find_offset(rest: str) -> tuple[int | None, str]:
    """A zone mention in ``rest``: (minutes east of UTC, ``rest`` without it)."""
    for rx in (_LABELLED_OFFSET, _NUM_OFFSET):
        m = rx.search(rest)
        if m:
            minutes = _offset_minutes(m.group(1), m.group(2), m.group(3))
            return minutes, rest[: m.start()] + " " + rest[m.end() :]
    if "北京时间" in rest:
        return 480, rest.replace("北京时间", " ")
    m = _ZONE_WORD.search(rest)
    if m:
        return ZONES[m.group(1).lower()], rest[: m.start()] + " " + rest[m.end() :]
    return None, rest


def zone_offset(zone: str | None, at: datetime | None = None) -> str | None:
    """The offset ("+04:00") of a named zone at a moment (now by default): how a time
    written without an offset by an outlet in that zone is read."""
    if not zone:
        return None
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offset = (at or datetime.now(UTC)).astimezone(info).utcoffset()
    return fmt_offset(int(offset.total_seconds() // 60)) if offset is not None else None
