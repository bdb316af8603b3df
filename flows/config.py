"""Loading and checking ``newsmon.toml``: settings, sources to watch, topics.

A configuration mistake should cost the user one edit, not one run per mistake:
:func:`load_config` checks everything and raises :class:`ConfigError` carrying
every message, each with the line it is about (``newsmon.toml:14: sources[2].feeds[0]:
'htp://x' is not an http(s) URL``). tomllib gives no line numbers for values, so
:class:`_LineIndex` finds them by scanning the text.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Config", "ConfigError", "Settings", "Source", "Timeouts", "load_config", "parse_config"]


class ConfigError(ValueError):
    """The configuration cannot be used; ``messages`` lists every problem found."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class Timeouts:
    #: seconds to open a TCP (and TLS) connection; short, so that an offline machine fails fast
    connect: float = 5.0
    #: seconds to wait for the next bytes of a response
    read: float = 20.0
    #: seconds for a whole response, redirects excluded, whatever the server's pace
    total: float = 60.0


@dataclass(frozen=True)
class Settings:
    db: str = "data/newsmon.db"
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    per_host_concurrency: int = 2
    per_host_interval: float = 1.0
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_response_bytes: int = 5_000_000
    max_articles_per_run: int = 500
    allow_private_addresses: bool = False
    #: networks allowed even though private (an intranet outlet, the offline replica)
    allow_addresses: tuple[str, ...] = ()
    archive: bool = True
    timezone: str = "UTC"
    schedule: str = "*/30 * * * *"
    retries: int = 2
    retry_backoff: float = 1.0
    retry_after_max: float = 120.0
    max_redirects: int = 5
    max_crawl_delay: float = 60.0
    max_age_days: float = 7.0
    batch_size: int = 25


@dataclass(frozen=True)
class Source:
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    #: a home page whose <link rel="alternate"> feeds are used when ``feeds`` is empty
    homepage: str | None = None
    #: also read the ``Sitemap:`` lines of the site's robots.txt
    robots_sitemaps: bool = False
    profile: str | None = None
    language: str | None = None
    max_new_per_run: int = 50
    files: tuple[str, ...] = ()
    listing_selector: str | None = None
    link_pattern: str | None = None
    max_age_days: float | None = None
    enabled: bool = True

    def urls(self) -> list[str]:
        """Every configured web address of the source (for host grouping and messages)."""
        return [
            *self.feeds,
            *self.sitemaps,
            *self.listings,
            *([self.homepage] if self.homepage else []),
        ]


@dataclass
class Config:
    path: str
    settings: Settings
    sources: list[Source]
    topics: list[dict[str, Any]]
    #: ``[alerts]``: Apprise ``urls`` and the health thresholds (store.health.Thresholds)
    alerts: dict[str, Any] = field(default_factory=dict)

    def source(self, name: str) -> Source:
        for src in self.sources:
            if src.name == name:
                return src
        raise KeyError(name)


# --------------------------------------------------------------------------- line finding
_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_KEY_LINE = re.compile(rf"^\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*=")
_TABLE_LINE = re.compile(rf"^\s*(\[\[?)\s*({_KEY}(?:\s*\.\s*{_KEY})*)\s*\]\]?")
_KEY_PART = re.compile(_KEY)


def _split_key(text: str) -> list[str]:
    parts = []
    for m in _KEY_PART.finditer(text):
        k = m.group(0)
        if k[:1] in "\"'":
            k = k[1:-1]
        parts.append(k)
    return parts


class _LineIndex:
    """Line numbers of tables and keys, addressed like ``("sources", 2, "feeds")``."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.where: dict[tuple, int] = {}
        self.ends: dict[tuple, int] = {}
        counts: dict[tuple, int] = {}
        current: tuple = ()
        in_multiline: str | None = None
        last_key: tuple | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            table = _TABLE_LINE.match(line)
            if table and not _KEY_LINE.match(line):
                parts = _split_key(table.group(2))
                base = self._resolve(parts, counts)
                if table.group(1) == "[[":
                    idx = counts.get(base, 0)
                    counts[base] = idx + 1
                    current = (*base, idx)
                else:
                    current = base
                self.where.setdefault(current, number)
                last_key = None
                continue
            key = _KEY_LINE.match(line)
            if key:
                path = (*current, *_split_key(key.group(1)))
                self.where.setdefault(path, number)
                last_key = path
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                continue
            if last_key is not None and line.strip() and not line.lstrip().startswith("#"):
                self.ends[last_key] = number

    def _resolve(self, parts: list[str], counts: dict[tuple, int]) -> tuple:
        """``topics.groups`` inside the 3rd ``[[topics]]`` is ("topics", 2, "groups")."""
        path: tuple = ()
        for part in parts[:-1]:
            path = (*path, part)
            if path in counts:
                path = (*path, counts[path] - 1)
        return (*path, parts[-1])

    def line_of(self, path: tuple, value: Any = None) -> int:
        """The line of a key (or of one element of its array value); 0 when unknown."""
        probe = path
        element = None
        while probe and isinstance(probe[-1], int) and probe not in self.where:
            element = probe[-1]
            probe = probe[:-1]
        while probe and probe not in self.where:
            probe = probe[:-1]
        if not probe:
            return 0
        start = self.where[probe]
        if element is not None and isinstance(value, str) and value:
            end = max(self.ends.get(probe, start), start)
            for number in range(start, end + 1):
                if value in self.lines[number - 1]:
                    return number
        return start


# --------------------------------------------------------------------------- checking
class _Checker:
    def __init__(self, path: str, index: _LineIndex) -> None:
        self.path = path
        self.index = index
        self.messages: list[str] = []

    def error(self, where: tuple, message: str, value: Any = None) -> None:
        line = self.index.line_of(where, value)
        self.messages.append(f"{self.path}:{line}: {_dotted(where)}: {message}")

    def unknown(self, where: tuple, table: dict, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                hint = _closest(key, allowed)
                more = f" (did you mean '{hint}'?)" if hint else ""
                self.error((*where, key), f"unknown key '{key}'{more}")

    def string(self, where: tuple, value: Any, *, empty_ok: bool = False) -> str | None:
        if not isinstance(value, str):
            self.error(where, f"expected a string, got {_kind(value)}")
            return None
        if not empty_ok and not value.strip():
            self.error(where, "must not be empty")
            return None
        return value

    def boolean(self, where: tuple, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.error(where, f"expected true or false, got {_kind(value)}")
            return None
        return value

    def integer(self, where: tuple, value: Any, *, minimum: int = 0) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(where, f"expected an integer, got {_kind(value)}")
            return None
        if value < minimum:
            self.error(where, f"must be at least {minimum}, got {value}")
            return None
        return value

    def number(self, where: tuple, value: Any, *, minimum: float = 0.0) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(where, f"expected a number, got {_kind(value)}")
            return None
        if value < minimum:
            self.error(where, f"must be at least {minimum:g}, got {value}")
            return None
        return float(value)

    def strings(self, where: tuple, value: Any) -> list[str] | None:
        if not isinstance(value, list):
            self.error(where, f"expected a list of strings, got {_kind(value)}")
            return None
        out = []
        for i, item in enumerate(value):
            s = self.string((*where, i), item)
            if s is not None:
                out.append(s)
        return out

    def urls(self, where: tuple, value: Any) -> list[str] | None:
        items = self.strings(where, value)
        if items is None:
            return None
        good = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                if _is_http_url(item):
                    good.append(item.strip())
                else:
                    self.error((*where, i), f"{item!r} is not an http(s) URL", item)
        return good


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
        return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
    except ValueError:
        return False


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _dotted(where: tuple) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _closest(key: str, allowed: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    return match[0] if match else None


_SETTINGS_KEYS = {f for f in Settings.__dataclass_fields__}
_TIMEOUT_KEYS = {"connect", "read", "total"}
_SOURCE_KEYS = {f for f in Source.__dataclass_fields__}
_TOP_KEYS = {"settings", "sources", "topics", "alerts"}
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?]+$")


def _check_settings(c: _Checker, raw: Any) -> Settings:
    if not isinstance(raw, dict):
        c.error(("settings",), f"expected a table, got {_kind(raw)}")
        return Settings()
    c.unknown(("settings",), raw, _SETTINGS_KEYS)
    values: dict[str, Any] = {}
    at = ("settings",)

    def put(name: str, value: Any) -> None:
        if value is not None:
            values[name] = value

    for name in ("db", "timezone", "schedule"):
        if name in raw:
            put(name, c.string((*at, name), raw[name]))
    if "user_agent" in raw:
        ua = c.string((*at, "user_agent"), raw["user_agent"])
        if ua is not None and not re.search(r"https?://|@", ua):
            c.error(
                (*at, "user_agent"),
                "must carry a contact URL or e-mail so that site owners can reach you "
                "(e.g. 'newsmon/0.1 (+https://example.org/contact)')",
            )
        else:
            put("user_agent", ua)
    for name, minimum in (
        ("per_host_concurrency", 1),
        ("max_response_bytes", 1024),
        ("max_articles_per_run", 0),
        ("retries", 0),
        ("max_redirects", 0),
        ("batch_size", 1),
    ):
        if name in raw:
            put(name, c.integer((*at, name), raw[name], minimum=minimum))
    for name in (
        "per_host_interval",
        "retry_backoff",
        "retry_after_max",
        "max_crawl_delay",
        "max_age_days",
    ):
        if name in raw:
            put(name, c.number((*at, name), raw[name]))
    for name in ("allow_private_addresses", "archive"):
        if name in raw:
            put(name, c.boolean((*at, name), raw[name]))
    if "allow_addresses" in raw:
        nets = c.strings((*at, "allow_addresses"), raw["allow_addresses"])
        if nets is not None:
            ok = []
            for i, net in enumerate(nets):
                try:
                    ipaddress.ip_network(net, strict=False)
                    ok.append(net)
                except ValueError:
                    c.error((*at, "allow_addresses", i), f"{net!r} is not an IP network", net)
            values["allow_addresses"] = tuple(ok)
    if "timeouts" in raw:
        t = raw["timeouts"]
        if not isinstance(t, dict):
            c.error((*at, "timeouts"), f"expected a table, got {_kind(t)}")
        else:
            c.unknown((*at, "timeouts"), t, _TIMEOUT_KEYS)
            tv = {}
            for name in _TIMEOUT_KEYS & set(t):
                v = c.number((*at, "timeouts", name), t[name], minimum=0.01)
                if v is not None:
                    tv[name] = v
            values["timeouts"] = Timeouts(**tv)
    if "timezone" in values:
        try:
            zoneinfo.ZoneInfo(values["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            c.error((*at, "timezone"), f"unknown time zone {values['timezone']!r}")
    if "schedule" in values:
        fields = values["schedule"].split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            c.error(
                (*at, "schedule"),
                f"{values['schedule']!r} is not a cron expression of 5 fields "
                "(e.g. '*/30 * * * *')",
            )
    return Settings(**values)


def _check_source(c: _Checker, i: int, raw: Any) -> Source | None:
    at = ("sources", i)
    if not isinstance(raw, dict):
        c.error(at, f"expected a table, got {_kind(raw)}")
        return None
    c.unknown(at, raw, _SOURCE_KEYS)
    ok = True
    name = None
    if "name" not in raw:
        c.error(at, "missing 'name'")
        ok = False
    else:
        name = c.string((*at, "name"), raw["name"])
        ok = ok and name is not None
    values: dict[str, Any] = {}
    for key in ("feeds", "sitemaps", "listings"):
        if key in raw:
            urls = c.urls((*at, key), raw[key])
            if urls is None:
                ok = False
            else:
                values[key] = tuple(urls)
    if "homepage" in raw:
        home = c.string((*at, "homepage"), raw["homepage"])
        if home is not None and not _is_http_url(home):
            c.error((*at, "homepage"), f"{home!r} is not an http(s) URL")
        elif home is not None:
            values["homepage"] = home.strip()
    if "files" in raw:
        files = c.strings((*at, "files"), raw["files"])
        if files is not None:
            values["files"] = tuple(files)
    for key in ("profile", "language", "listing_selector", "link_pattern"):
        if key in raw:
            v = c.string((*at, key), raw[key])
            if v is not None:
                values[key] = v
    if "link_pattern" in values:
        try:
            re.compile(values["link_pattern"])
        except re.error as exc:
            c.error((*at, "link_pattern"), f"not a valid regular expression ({exc})")
    if "listing_selector" in values:
        try:
            import soupsieve

            soupsieve.compile(values["listing_selector"])
        except Exception as exc:  # noqa: BLE001 - soupsieve raises several types
            c.error((*at, "listing_selector"), f"not a valid CSS selector ({exc})")
    if "max_new_per_run" in raw:
        v = c.integer((*at, "max_new_per_run"), raw["max_new_per_run"], minimum=0)
        if v is not None:
            values["max_new_per_run"] = v
    if "max_age_days" in raw:
        v = c.number((*at, "max_age_days"), raw["max_age_days"])
        if v is not None:
            values["max_age_days"] = v
    for key in ("robots_sitemaps", "enabled"):
        if key in raw:
            v = c.boolean((*at, key), raw[key])
            if v is not None:
                values[key] = v
    watched = ("feeds", "sitemaps", "listings", "homepage", "files")
    if ok and not any(raw.get(k) for k in watched):
        c.error(
            at,
            f"source {name!r} has nothing to watch: give feeds, sitemaps, listings, "
            "homepage or files",
        )
    if (values.get("listing_selector") or values.get("link_pattern")) and not raw.get("listings"):
        c.error(at, "listing_selector/link_pattern need 'listings' (listing page URLs)")
    if not ok:
        return None
    return Source(name=name.strip(), **values)


def parse_config(text: str, path: str = "newsmon.toml") -> Config:
    """Check a configuration given as text; raises ConfigError with every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else "0"
        raise ConfigError([f"{path}:{line}: not valid TOML: {exc}"]) from exc
    c = _Checker(path, _LineIndex(text))
    c.unknown((), raw, _TOP_KEYS)
    settings = _check_settings(c, raw.get("settings", {}))
    sources: list[Source] = []
    raw_sources = raw.get("sources", [])
    if not isinstance(raw_sources, list):
        c.error(("sources",), "expected an array of tables ([[sources]])")
        raw_sources = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_sources):
        src = _check_source(c, i, item)
        if src is None:
            continue
        if src.name in seen:
            c.error(
                ("sources", i, "name"),
                f"duplicate source name {src.name!r} (first used by sources[{seen[src.name]}])",
            )
            continue
        seen[src.name] = i
        sources.append(src)
    topics = raw.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, dict) for t in topics):
        c.error(("topics",), "expected an array of tables ([[topics]])")
        topics = []
    else:
        for i, t in enumerate(topics):
            if not isinstance(t.get("name"), str) or not t["name"].strip():
                c.error(("topics", i), "missing 'name'")
    alerts = _check_alerts(c, raw.get("alerts", {}))
    if c.messages:
        raise ConfigError(sorted(c.messages, key=_line_number))
    return Config(path=path, settings=settings, sources=sources, topics=topics, alerts=alerts)


def _check_alerts(c: _Checker, raw: Any) -> dict[str, Any]:
    """``[alerts]``: notification URLs (Apprise syntax, any scheme) and health thresholds."""
    from store.health import Thresholds

    if not isinstance(raw, dict):
        c.error(("alerts",), f"expected a table ([alerts]), got {_kind(raw)}")
        return {}
    defaults = Thresholds()
    allowed = {"urls", *Thresholds.__dataclass_fields__}
    c.unknown(("alerts",), raw, allowed)
    out: dict[str, Any] = {}
    if "urls" in raw:
        urls = c.strings(("alerts", "urls"), raw["urls"])
        bad = [u for u in urls or [] if "://" not in u]
        for u in bad:
            c.error(("alerts", "urls"), f"{u!r} is not a notification URL (scheme://...)", u)
        out["urls"] = [u for u in urls or [] if "://" in u]
    for key in allowed - {"urls"}:
        if key in raw:
            if isinstance(getattr(defaults, key), int):
                value = c.integer(("alerts", key), raw[key], minimum=1)
            else:
                value = c.number(("alerts", key), raw[key])
            if value is not None:
                out[key] = value
    return out


def _line_number(message: str) -> int:
    m = re.match(r"^.*?:(\d+): ", message)
    return int(m.group(1)) if m else 0


def load_config(path: str | Path) -> Config:
    """Read and check a configuration file; raises ConfigError with every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError([f"{p}: no such configuration file"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: cannot read the configuration ({exc})"]) from exc
    return parse_config(text, str(path))
