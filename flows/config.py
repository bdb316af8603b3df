"""Loading and checking ``newsmon.toml``: settings, sources to watch, topics.

A configuration mistake should cost the user one edit, not one run per mistake:
:func:`load_config` checks everything and raises :class:`ConfigError` carrying
every message, each with the line it is about (``newsmon.toml:14: sources[2].feeds[0]:
'htp://x' is not an http(s) URL``). The rules of each section live here; checking one
value and wording its message in ``flows.config_check``, the accepted ranges in
``flows.config_limits``, and finding a value's line (tomllib gives none) in
``flows.config_lines``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.config_check import Checker, http_url_problem, kind_of, shorten
from flows.config_limits import (
    ALERT_FALLBACK_INT,
    ALERT_FALLBACK_NUMBER,
    ALERT_RANGES,
    SETTINGS_INTEGERS,
    SETTINGS_NUMBERS,
    SOURCE_MAX_AGE_DAYS,
    SOURCE_MAX_NEW_PER_RUN,
    TIMEOUT_RANGE,
)
from flows.config_lines import LineIndex
from flows.cron import cron_problem
from store.health import Thresholds

if TYPE_CHECKING:
    from parsers.topics import Topic

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
    #: seconds after which a monitor run stops fetching and says which sources it cut short
    run_time_limit: float = 3300.0
    #: seconds a run waits for another run on the same store to finish before giving up
    run_lock_wait: float = 10.0


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
    #: the zone the outlet writes its times in ("Asia/Baku"), for times its pages give
    #: without an offset (a site profile's own offset comes first)
    timezone: str | None = None
    #: learn the boilerplate this source's pages repeat and remove it (parsers/learned.py)
    learn_boilerplate: bool = True
    #: blocks to keep whatever was learned: a paragraph containing one of these stays
    keep_blocks: tuple[str, ...] = ()

    def urls(self) -> list[str]:
        """Every configured web address of the source (for host grouping and messages)."""
        return [
            *self.feeds,
            *self.sitemaps,
            *self.listings,
            *([self.homepage] if self.homepage else []),
        ]


@dataclass(frozen=True)
class AlertSettings:
    """``[alerts]``, checked when the file loads: where to send alerts, and when to raise them."""

    urls: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass
class Config:
    path: str
    settings: Settings
    sources: list[Source]
    #: ``[[topics]]`` as written (Datasette's metadata and the export read them so)
    topics: list[dict[str, Any]]
    #: ``[alerts]``: Apprise ``urls`` and the health thresholds
    alerts: AlertSettings = field(default_factory=AlertSettings)
    #: the same topics, checked and compiled once when the file loads: what runs use
    compiled_topics: list[Topic] = field(default_factory=list)

    def source(self, name: str) -> Source:
        for src in self.sources:
            if src.name == name:
                return src
        raise KeyError(name)


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA names Prefect accepts for a schedule (it checks the same list)."""
    return frozenset(zoneinfo.available_timezones())


# --------------------------------------------------------------------------- sections
_SETTINGS_KEYS = {f for f in Settings.__dataclass_fields__}
_TIMEOUT_KEYS = {"connect", "read", "total"}
_SOURCE_KEYS = {f for f in Source.__dataclass_fields__}
_TOP_KEYS = {"settings", "sources", "topics", "alerts"}


def _check_settings(c: Checker, raw: Any) -> Settings:
    if not isinstance(raw, dict):
        c.error(("settings",), f"expected a table, got {kind_of(raw)}")
        return Settings()
    c.unknown(("settings",), raw, _SETTINGS_KEYS)
    values: dict[str, Any] = {}
    at = ("settings",)

    def put(name: str, value: Any) -> None:
        if value is not None:
            values[name] = value

    for name in ("db", "timezone", "schedule"):
        if name in raw:
            put(name, c.plain((*at, name), raw[name]))
    if "user_agent" in raw:
        ua = c.plain((*at, "user_agent"), raw["user_agent"])
        if ua is not None and not re.search(r"https?://|@", ua):
            c.error(
                (*at, "user_agent"),
                "must carry a contact URL or e-mail so that site owners can reach you "
                "(e.g. 'newsmon/0.1 (+https://example.org/contact)')",
            )
        else:
            put("user_agent", ua)
    for name, (low, high) in SETTINGS_INTEGERS.items():
        if name in raw:
            put(name, c.integer((*at, name), raw[name], minimum=low, maximum=high))
    for name, (low, high, unit) in SETTINGS_NUMBERS.items():
        if name in raw:
            put(name, c.number((*at, name), raw[name], minimum=low, maximum=high, unit=unit))
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
            c.error((*at, "timeouts"), f"expected a table, got {kind_of(t)}")
        else:
            c.unknown((*at, "timeouts"), t, _TIMEOUT_KEYS)
            tv = {}
            low, high = TIMEOUT_RANGE
            for name in sorted(_TIMEOUT_KEYS & set(t)):
                v = c.number(
                    (*at, "timeouts", name), t[name], minimum=low, maximum=high, unit="seconds"
                )
                if v is not None:
                    tv[name] = v
            values["timeouts"] = Timeouts(**tv)
    if "timezone" in values:
        zone = values["timezone"]
        try:
            known = zone in _time_zones()
            if known:
                zoneinfo.ZoneInfo(zone)
        except Exception:  # noqa: BLE001 - listed but unreadable (broken tzdata)
            known = False
        if not known:
            c.error((*at, "timezone"), f"unknown time zone {shorten(zone)!r}")
            del values["timezone"]
    if "schedule" in values:
        problem = cron_problem(values["schedule"])
        if problem:
            c.error((*at, "schedule"), problem)
            del values["schedule"]
    return Settings(**values)


def _check_source(c: Checker, i: int, raw: Any) -> Source | None:
    at = ("sources", i)
    if not isinstance(raw, dict):
        c.error(at, f"expected a table, got {kind_of(raw)}")
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
        problem = http_url_problem(home) if home is not None else None
        if problem:
            c.error((*at, "homepage"), problem)
        elif home is not None:
            values["homepage"] = home.strip()
    if "files" in raw:
        files = c.strings((*at, "files"), raw["files"])
        if files is not None:
            good = []
            for j, f in enumerate(files):
                if "\x00" in f:
                    c.error((*at, "files", j), "a path cannot contain a NUL character", f)
                else:
                    good.append(f)
            values["files"] = tuple(good)
    for key in ("profile", "language", "listing_selector", "link_pattern"):
        if key in raw:
            v = c.string((*at, key), raw[key])
            if v is not None:
                values[key] = v
    if "timezone" in raw:
        zone = c.string((*at, "timezone"), raw["timezone"])
        if zone is not None and zone in _time_zones():
            values["timezone"] = zone
        elif zone is not None:
            c.error((*at, "timezone"), f"unknown time zone {shorten(zone)!r}")
    if "link_pattern" in values:
        try:
            re.compile(values["link_pattern"])
        except (re.error, OverflowError, RecursionError, ValueError) as exc:
            c.error((*at, "link_pattern"), f"not a valid regular expression ({exc})")
    if "listing_selector" in values:
        try:
            import soupsieve

            soupsieve.compile(values["listing_selector"])
        except Exception as exc:  # noqa: BLE001 - soupsieve raises several types
            c.error((*at, "listing_selector"), f"not a valid CSS selector ({exc})")
    if "max_new_per_run" in raw:
        low, high = SOURCE_MAX_NEW_PER_RUN
        v = c.integer((*at, "max_new_per_run"), raw["max_new_per_run"], minimum=low, maximum=high)
        if v is not None:
            values["max_new_per_run"] = v
    if "max_age_days" in raw:
        low, high = SOURCE_MAX_AGE_DAYS
        v = c.number(
            (*at, "max_age_days"), raw["max_age_days"], minimum=low, maximum=high, unit="days"
        )
        if v is not None:
            values["max_age_days"] = v
    if "keep_blocks" in raw:
        keep = c.strings((*at, "keep_blocks"), raw["keep_blocks"])
        if keep is not None:
            values["keep_blocks"] = tuple(k.strip() for k in keep if k.strip())
    for key in ("robots_sitemaps", "enabled", "learn_boilerplate"):
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


def _check_topics(c: Checker, topics: list[dict[str, Any]]) -> list[Topic]:
    """Compile every topic now, so that a mistake stops the config, not a run."""
    from parsers.topics import load_topics

    compiled: list[Topic] = []
    seen: dict[str, int] = {}
    for i, topic in enumerate(topics):
        name = topic.get("name")
        if not isinstance(name, str) or not name.strip():
            c.error(("topics", i), "missing 'name'")
            continue
        if name in seen:
            c.error(
                ("topics", i, "name"),
                f"duplicate topic name {name!r} (first used by topics[{seen[name]}])",
            )
        else:
            seen[name] = i
        try:
            compiled += load_topics([topic])
        except (ValueError, TypeError, re.error, OverflowError, RecursionError) as exc:
            where, message, value = _topic_problem(i, topic, str(exc))
            c.error(where, message, value)
    return compiled


_GROUP_RE = re.compile(r"^group (\d+): ")
_UNKNOWN_RE = re.compile(r"unknown key\(s\) \['((?:[^'\\]|\\.)*)'")


def _topic_problem(i: int, topic: dict[str, Any], message: str) -> tuple[tuple, str, Any]:
    """Where in the file a load_topics() message points, and the message for that place.

    load_topics numbers groups from 1 ("group 2"); the path says ``groups[1]``, so the
    group number is dropped from the message rather than shown twice, differently.
    """
    at: tuple = ("topics", i)
    label = f"topic {topic.get('name')!r}: "
    rest = message[len(label) :] if message.startswith(label) else message
    group = _GROUP_RE.match(rest)
    unknown = _UNKNOWN_RE.search(rest)
    if group:
        rest = rest[group.end() :]
        j = int(group.group(1)) - 1
        at = (*at, "groups", j)
        raw_groups = topic.get("groups")
        raw = raw_groups[j] if isinstance(raw_groups, list) and 0 <= j < len(raw_groups) else {}
        if rest.startswith("term ") and isinstance(raw, dict):
            terms = raw.get("terms")
            for k, term in enumerate(terms if isinstance(terms, list) else []):
                if isinstance(term, str) and rest.startswith(f"term {term.strip()!r}"):
                    return (*at, "terms", k), label + rest, term.strip()
        if unknown:
            return (*at, unknown.group(1)), label + rest, None
        if rest.startswith("mode "):
            return (*at, "mode"), label + rest, None
        if "term" in rest:
            return (*at, "terms"), label + rest, None
        return at, label + rest, None
    if unknown:
        return (*at, unknown.group(1)), message, None
    for key in ("proximity", "title", "groups"):
        if key in rest:
            return (*at, key), message, None
    if "name" in rest or "defined twice" in rest:
        return (*at, "name"), message, None
    if "group with mode" in rest:
        return (*at, "groups"), message, None
    return at, message, None


def parse_config(text: str, path: str = "newsmon.toml") -> Config:
    """Check a configuration given as text; raises ConfigError with every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else "0"
        raise ConfigError([f"{path}:{line}: not valid TOML: {exc}"]) from exc
    except ValueError as exc:  # an integer of thousands of digits: Python's own limit
        digits = re.search(r"[0-9]{4000,}", text)
        line = text.count("\n", 0, digits.start()) + 1 if digits else 0
        raise ConfigError([f"{path}:{line}: not valid TOML: {exc}"]) from exc
    c = Checker(path, LineIndex(text))
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
    compiled: list[Topic] = []
    if not isinstance(topics, list) or not all(isinstance(t, dict) for t in topics):
        c.error(("topics",), "expected an array of tables ([[topics]])")
        topics = []
    else:
        compiled = _check_topics(c, topics)
    alerts = _check_alerts(c, raw.get("alerts", {}))
    if c.messages:
        raise ConfigError(sorted(c.messages, key=_line_number))
    return Config(
        path=path,
        settings=settings,
        sources=sources,
        topics=topics,
        alerts=alerts,
        compiled_topics=compiled,
    )


def _check_alerts(c: Checker, raw: Any) -> AlertSettings:
    """``[alerts]``: notification URLs (Apprise syntax, any scheme) and health thresholds."""
    if not isinstance(raw, dict):
        c.error(("alerts",), f"expected a table ([alerts]), got {kind_of(raw)}")
        return AlertSettings()
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
    for key in sorted(allowed - {"urls"}):
        if key in raw:
            if isinstance(getattr(defaults, key), int):
                low, high = ALERT_RANGES.get(key, ALERT_FALLBACK_INT)
                value = c.integer(("alerts", key), raw[key], minimum=int(low), maximum=int(high))
            else:
                low, high = ALERT_RANGES.get(key, ALERT_FALLBACK_NUMBER)
                value = c.number(("alerts", key), raw[key], minimum=low, maximum=high)
            if value is not None:
                out[key] = value
    urls = tuple(out.pop("urls", ()))
    return AlertSettings(urls=urls, thresholds=Thresholds.from_mapping(out))


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
