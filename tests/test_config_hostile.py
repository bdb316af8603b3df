"""newsmon.toml against a hostile reviewer: every value that would hang, crash or fail a
run later is refused when the file loads, with its line and key, and `newsmon run` stops
there (exit 1, nothing fetched).

The ranges below are the documented ones (docs/configuration.md), written out again on
purpose: the test checks the code against the documentation, not against itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.cli import main
from flows.config import Config, ConfigError, Settings, parse_config

DAY = 86400

#: settings key -> (minimum, maximum, integer?)
SETTINGS_RANGES = {
    "per_host_concurrency": (1, 64, True),
    "max_response_bytes": (1024, 1 << 30, True),
    "max_articles_per_run": (0, 1_000_000, True),
    "retries": (0, 10, True),
    "max_redirects": (0, 20, True),
    "batch_size": (1, 10_000, True),
    "per_host_interval": (0, DAY, False),
    "retry_backoff": (0, DAY, False),
    "retry_after_max": (0, DAY, False),
    "max_crawl_delay": (0, DAY, False),
    "max_age_days": (0, 36_500, False),
    "run_time_limit": (10, DAY, False),
    "run_lock_wait": (0, 3_600, False),
}
TIMEOUT_RANGE = (0.01, DAY, False)
SOURCE_RANGES = {"max_new_per_run": (0, 1_000_000, True), "max_age_days": (0, 36_500, False)}
ALERT_RANGES = {
    "failures": (1, 10_000, True),
    "window": (1, 10_000, True),
    "silent_min_runs": (1, 10_000, True),
    "min_history": (1, 10_000, True),
    "canary_runs": (1, 10_000, True),
    "short_chars": (1, 1_000_000, True),
    "canary_min_articles": (1, 1_000_000, True),
    "silent_expected": (0, 1_000_000, False),
    "short_share": (0, 1, False),
    "profile_share_low": (0, 1, False),
    "profile_share_usual": (0, 1, False),
}
NON_FINITE = ["inf", "nan", "1e308", "-inf", "+inf", "-nan"]

SOURCE = '[[sources]]\nname = "A"\nfeeds = ["https://a.example/rss"]\n'


def _fails(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "newsmon.toml")
    return info.value.messages


def _one(text: str, line: int, path: str) -> str:
    messages = _fails(text)
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"newsmon.toml:{line}: {path}: "), messages
    return messages[0]


# --------------------------------------------------------------------------- numbers
def _number_cases():
    for key in SETTINGS_RANGES:
        yield f"[settings]\n# a comment\n{key} = {{}}\n", 3, f"settings.{key}"
    for key in ("connect", "read", "total"):
        yield (
            f'[settings]\ndb = "x.db"\n\n[settings.timeouts]\n{key} = {{}}\n',
            5,
            f"settings.timeouts.{key}",
        )
    for key in SOURCE_RANGES:
        yield SOURCE + f"{key} = {{}}\n", 4, f"sources[0].{key}"
    for key in ALERT_RANGES:
        yield f"[alerts]\nurls = []\n{key} = {{}}\n", 3, f"alerts.{key}"


NUMBER_CASES = list(_number_cases())


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize(
    ("template", "line", "path"), NUMBER_CASES, ids=[c[2] for c in NUMBER_CASES]
)
def test_non_finite_and_huge_numbers_are_refused_with_their_line(template, line, path, value):
    message = _one(template.format(value), line, path)
    shown = message.split(": ", 2)[2]
    assert "finite number" in shown or "integer" in shown, message
    assert message.endswith(f"got {float(value)!r}"), message


def test_the_message_reads_as_documented():
    assert _fails("[settings]\nretries = 2\n\n\nper_host_interval = inf\n") == [
        "newsmon.toml:5: settings.per_host_interval: must be a finite number of seconds "
        "between 0 and 86400, got inf"
    ]


def _bounds_cases():
    for key, (low, high, integer) in SETTINGS_RANGES.items():
        yield "[settings]\n{key} = {value}\n", 2, f"settings.{key}", key, low, high, integer
    low, high, integer = TIMEOUT_RANGE
    yield (
        "[settings.timeouts]\n{key} = {value}\n",
        2,
        "settings.timeouts.read",
        "read",
        low,
        high,
        integer,
    )
    for key, (low, high, integer) in SOURCE_RANGES.items():
        yield SOURCE + "{key} = {value}\n", 4, f"sources[0].{key}", key, low, high, integer
    for key, (low, high, integer) in ALERT_RANGES.items():
        yield "[alerts]\n{key} = {value}\n", 2, f"alerts.{key}", key, low, high, integer


BOUNDS_CASES = list(_bounds_cases())


@pytest.mark.parametrize(
    ("template", "line", "path", "key", "low", "high", "integer"),
    BOUNDS_CASES,
    ids=[c[2] for c in BOUNDS_CASES],
)
def test_documented_bounds_are_accepted_and_one_step_beyond_refused(
    template, line, path, key, low, high, integer
):
    step = 1 if integer else (0.001 if high <= 1 else 0.5)
    for ok in (low, high):
        parse_config(template.format(key=key, value=repr(ok)))
    for bad in (low - step, high + step, high * 1000 + 1):
        message = _one(template.format(key=key, value=repr(bad)), line, path)
        assert repr(bad) in message or "digits" in message, message
    if integer:  # a float is not an integer, even a whole one or infinite
        message = _one(template.format(key=key, value=f"{float(high)!r}"), line, path)
        assert f"expected an integer between {low} and {high}" in message
    huge = "9" * 40
    message = _one(template.format(key=key, value=huge), line, path)
    assert "(40 digits)" in message


def test_run_time_limit_and_run_lock_wait_are_settings():
    assert Settings().run_time_limit == 3300
    assert Settings().run_lock_wait == 10
    cfg = parse_config("[settings]\nrun_time_limit = 600\nrun_lock_wait = 0.5\n")
    assert cfg.settings.run_time_limit == 600.0
    assert cfg.settings.run_lock_wait == 0.5
    assert isinstance(cfg.settings.run_time_limit, float)
    _one("[settings]\nrun_time_limit = 5\n", 2, "settings.run_time_limit")
    _one('[settings]\n\nrun_lock_wait = "long"\n', 3, "settings.run_lock_wait")


def test_an_integer_too_long_for_python_is_a_config_error():
    messages = _fails('[settings]\ndb = "x.db"\nretries = ' + "1" * 5000 + "\n")
    assert messages[0].startswith("newsmon.toml:3: not valid TOML")


# --------------------------------------------------------------------------- cron
BAD_CRONS = [
    ("61 * * * *", "minute '61': 61 is outside 0-59"),
    ("*/0 * * * *", "minute '*/0': step 0 is outside 1-60"),
    ("0 24 * * *", "hour '24': 24 is outside 0-23"),
    ("0 0 0 * *", "day of month '0': 0 is outside 1-31"),
    ("0 0 32 * *", "day of month '32'"),
    ("0 0 * 13 *", "month '13'"),
    ("0 0 * 0 *", "month '0'"),
    ("0 0 * * 8", "day of week '8': 8 is outside 0-7"),
    ("0 0 * FOO *", "'FOO' is not a number or a name (JAN-DEC)"),
    ("0 0 * * FUNDAY", "'FUNDAY' is not a number or a name (SUN-SAT)"),
    ("30-10 * * * *", "range 30-10 runs backwards"),
    ("0 0 * * SAT-SUN", "range SAT-SUN runs backwards"),
    ("0 0 * * 5-1", "runs backwards"),
    ("1,,2 * * * *", "empty item in a list"),
    ("1, * * * *", "empty item"),
    ("? * * * *", "'?' is only allowed for the day of month or the day of week"),
    ("0 0 ?/2 * *", "'?' is not a number"),
    ("*/x * * * *", "step 'x' is not a whole number"),
    ("*/61 * * * *", "step 61 is outside 1-60"),
    ("- * * * *", "'' is not a number"),
    ("-1 * * * *", "'' is not a number"),
    ("0 0 L * *", "'L' is not a number"),
    ("0 0 * * 1#2", "'1#2' is not a number"),
    ("0 0 15W * *", "'15W' is not a number"),
    ("0 0 31 2 *", "never fires"),
    ("0 0 30 2 *", "never fires"),
    ("0 0 31 4,6,9,11 ?", "never fires"),
    ("H * * * *", "'H' is not a number"),
    ("R * * * *", "'R' is not a number"),
    ("0\\u00a00 * * *", "separate the fields with plain spaces, not '\\xa0'"),
    ("٣ * * * *", "'٣' is not a number"),
    ("99999999999999999999 * * * *", "is not a number"),
]
GOOD_CRONS = [
    "*/30 * * * *",
    "0 * * * *",
    "0 6-22 * * MON-FRI",
    "0 6-22 * * mon-fri",
    "15 7 1 * *",
    "0 0 * * 0",
    "0 0 * * 7",
    "0 0 * * 0-7",
    "0 0 * * SUN,SAT",
    "0 0 * JAN-MAR *",
    "0 0 * jan,dec *",
    "0 0 ? * MON",
    "0 0 1 * ?",
    "5/15 * * * *",
    "0-30/10 * * * *",
    "*/60 * * * *",
    "0 0 29 2 *",
    "0 0 31 2 1",
    "0 0 1,15,31 * *",
    "00 06 * * *",
]
NICKNAMES = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"]


@pytest.mark.parametrize(("cron", "why"), BAD_CRONS)
def test_bad_cron_schedules_are_refused_with_the_field(cron, why):
    message = _one(f'[settings]\ntimezone = "UTC"\nschedule = "{cron}"\n', 3, "settings.schedule")
    assert why in message, message


def test_the_documented_cron_forms_load_and_prefect_accepts_them():
    from prefect.client.schemas.schedules import CronSchedule

    for cron in GOOD_CRONS + NICKNAMES + [n.upper() for n in NICKNAMES]:
        cfg = parse_config(f'[settings]\nschedule = "{cron}"\ntimezone = "Asia/Baku"\n')
        assert cfg.settings.schedule == cron
        CronSchedule(cron=cron, timezone="Asia/Baku")
    for cron in ("@reboot", "@every_minute", "@"):
        message = _one(f'[settings]\nschedule = "{cron}"\n', 2, "settings.schedule")
        assert "is not a cron expression of 5 fields (minute hour day-of-month" in message


def test_a_time_zone_prefect_does_not_know_is_refused():
    # 'Europe' is a folder of the time zone database: zoneinfo raised IsADirectoryError
    for zone in ("Europe", "utc", "Mars/Olympus", "../../etc/passwd"):
        message = _one(f'[settings]\ntimezone = "{zone}"\n', 2, "settings.timezone")
        assert "unknown time zone" in message


# --------------------------------------------------------------------------- URLs
BAD_URLS = [
    ("https://a.example:99999/rss", "port '99999' is not a number between 1 and 65535"),
    ("https://a.example:0/rss", "port '0'"),
    ("https://a.example:http/rss", "port 'http'"),
    ("https://a.example:-1/rss", "port '-1'"),
    ("http://[::1/rss", "not a valid URL"),
    ("http://[zz::1]/rss", "not a valid URL"),
    ("http://[1.2.3]/rss", "not a valid URL"),
    ("https://a.example/r ss", "contains whitespace or a control character"),
    ("https://a.example/r\\tss", "contains whitespace or a control character"),
    ("https://a.example/r\\u0000ss", "contains whitespace or a control character"),
    ("https://a.example/r\\u00a0ss", "contains whitespace or a control character"),
    ("https://a.example/" + "x" * 2031, "longer than 2048 characters (2049)"),
]


@pytest.mark.parametrize(("url", "why"), BAD_URLS, ids=[u[:40] for u, _ in BAD_URLS])
@pytest.mark.parametrize("key", ["feeds", "sitemaps", "listings", "homepage"])
def test_unusable_urls_are_refused(key, url, why):
    value = f'"{url}"' if key == "homepage" else f'[\n  "https://ok.example/",\n  "{url}",\n]'
    path = "sources[0].homepage" if key == "homepage" else f"sources[0].{key}[1]"
    line = 3 if key == "homepage" else 5
    message = _one(f'[[sources]]\nname = "A"\n{key} = {value}\n', line, path)
    assert why in message, message


def test_usable_urls_are_kept():
    longest = "https://a.example/" + "x" * 2030
    cfg = parse_config(
        '[[sources]]\nname = "A"\nfeeds = [\n'
        '  "  https://a.example:8443/rss  ",\n'
        '  "http://[2001:db8::1]:8080/feed",\n'
        '  "http://127.0.0.1:65535/",\n'
        '  "https://user@a.example/",\n'
        f'  "{longest}",\n'
        "]\n"
    )
    assert cfg.sources[0].feeds == (
        "https://a.example:8443/rss",
        "http://[2001:db8::1]:8080/feed",
        "http://127.0.0.1:65535/",
        "https://user@a.example/",
        longest,
    )


def test_paths_and_user_agent_with_control_characters_are_refused():
    messages = _fails(
        '[settings]\ndb = "data/\\u0000x.db"\n'
        'user_agent = "newsmon/0.1 (+https://x.example)\\r\\nX-Evil: 1"\n'
        + SOURCE.replace('feeds = ["https://a.example/rss"]', 'files = ["a\\u0000b"]')
    )
    assert [m.split(": ")[0:2] for m in messages] == [
        ["newsmon.toml:2", "settings.db"],
        ["newsmon.toml:3", "settings.user_agent"],
        ["newsmon.toml:6", "sources[0].files[0]"],
    ]


# --------------------------------------------------------------------------- topics
TOPICS = """\
[settings]
db = "x.db"

[[topics]]
name = "azerbaijan-china"
[[topics.groups]]
mode = "any"
terms = ["Azerbaijan", "Baku"]
[[topics.groups]]
mode = "sometimes"
terms = ["China"]
"""


def test_a_topic_mode_mistake_is_reported_at_load_with_its_line():
    assert _fails(TOPICS) == [
        "newsmon.toml:10: topics[0].groups[1].mode: topic 'azerbaijan-china': "
        "mode must be 'any', 'all' or 'none', not 'sometimes'"
    ]


@pytest.mark.parametrize(
    ("topic", "line", "path", "why"),
    [
        (
            'name = "Azerbaijan China"\ngroups = [{terms = ["x"]}]',
            4,
            "topics[0].name",
            "lower-case",
        ),
        (
            'name = "t"\nproximity = "sentence"\ngroups = [{terms = ["x"]}]',
            5,
            "topics[0].proximity",
            "'article' or 'paragraph'",
        ),
        (
            'name = "t"\ncolour = "red"\ngroups = [{terms = ["x"]}]',
            5,
            "topics[0].colour",
            "unknown key(s) ['colour']",
        ),
        (
            'name = "t"\ntitle = 3\ngroups = [{terms = ["x"]}]',
            5,
            "topics[0].title",
            "'title' must be a string",
        ),
        ('name = "t"', 3, "topics[0].groups", "needs at least one [[topics.groups]]"),
        (
            'name = "t"\ngroups = [{mode = "none", terms = ["x"]}]',
            5,
            "topics[0].groups",
            "needs at least one group with mode",
        ),
        (
            'name = "t"\n[[topics.groups]]\nterms = "China"',
            6,
            "topics[0].groups[0].terms",
            "not one string",
        ),
        (
            'name = "t"\n[[topics.groups]]\nterms = []',
            6,
            "topics[0].groups[0].terms",
            "non-empty list",
        ),
        (
            'name = "t"\n[[topics.groups]]\nterms = [\n  "ok",\n  "Chi*na",\n]',
            8,
            "topics[0].groups[0].terms[1]",
            "'*' is only allowed at the end",
        ),
        (
            'name = "t"\n[[topics.groups]]\nterms = ["x"]\nweight = 2',
            7,
            "topics[0].groups[0].weight",
            "unknown key(s) ['weight']",
        ),
    ],
)
def test_other_topic_mistakes_point_at_the_key(topic, line, path, why):
    message = _one(f'[settings]\ndb = "x.db"\n[[topics]]\n{topic}\n', line, path)
    assert why in message, message


def test_duplicate_topic_names_and_topics_stay_raw_dicts():
    good = '[[topics]]\nname = "t"\ngroups = [{terms = ["x"]}]\n'
    cfg = parse_config(good)
    assert cfg.topics == [{"name": "t", "groups": [{"terms": ["x"]}]}]
    assert _fails(good + good) == [
        "newsmon.toml:5: topics[1].name: duplicate topic name 't' (first used by topics[0])"
    ]


# --------------------------------------------------------------------------- the command line
@pytest.mark.parametrize(
    ("bad", "line", "path"),
    [
        ("[settings]\nper_host_interval = inf", 3, "settings.per_host_interval"),
        ("[settings.timeouts]\ntotal = nan", 3, "settings.timeouts.total"),
        ('[settings]\nschedule = "61 * * * *"', 3, "settings.schedule"),
        (
            '[[sources]]\nname = "B"\nfeeds = ["https://b.example:99999/rss"]',
            4,
            "sources[0].feeds[0]",
        ),
        (TOPICS.replace('[settings]\ndb = "x.db"\n\n', ""), 8, "topics[0].groups[1].mode"),
    ],
)
def test_newsmon_run_stops_at_a_bad_value_and_fetches_nothing(
    tmp_path, capsys, monkeypatch, bad, line, path
):
    from flows import monitor

    calls = []
    monkeypatch.setattr(monitor, "monitor_news", lambda *a, **k: calls.append(a) or {})
    db = tmp_path / "store.db"
    config = tmp_path / "bad.toml"
    config.write_text(f'# {db}\n{bad}\n[[sources]]\nname = "A"\nfiles = ["{tmp_path}"]\n')
    assert main(["run", "--config", str(config), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith(f"{config}:{line}: {path}: "), captured.err
    assert lines[-1] == f"newsmon: 1 problem(s) in {config}; nothing was fetched"
    assert calls == []
    assert not db.exists()


# --------------------------------------------------------------------------- properties
def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


CRON_TOKENS = [
    "*",
    "?",
    "0",
    "7",
    "59",
    "60",
    "61",
    "-1",
    "*/0",
    "*/5",
    "*/61",
    "1-5",
    "5-1",
    "1,2",
    ",",
    "1,",
    "MON",
    "sun",
    "SAT-SUN",
    "jan",
    "DEC",
    "L",
    "1#2",
    "15W",
    "H",
    "5/15",
    "/",
    "",
]
cron_tokens = st.one_of(
    st.sampled_from(CRON_TOKENS),
    st.text(alphabet="0123456789*/,-?LWH#adefjmnorstuADEFJMNOSTU \t\u00a0", max_size=6),
)
cron_strings = st.one_of(
    st.lists(cron_tokens, min_size=0, max_size=7).map(" ".join),
    st.lists(cron_tokens, min_size=5, max_size=5).map(" ".join),
    st.sampled_from(GOOD_CRONS + NICKNAMES + [c for c, _ in BAD_CRONS] + ["@reboot"]),
)

scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=20),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
urls = st.one_of(
    st.sampled_from(
        ["https://a.example/rss", "http://a.example:99999/", "http://[::1]:80/", "http://[x]/"]
    ),
    st.text(max_size=30).map(lambda s: "https://a.example/" + s),
    st.text(max_size=30),
)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324, 0.0, -0.0]),
    st.integers(min_value=-(2**70), max_value=2**70),
)


def _near(low, high, integer):
    """Mostly values around the documented range (both sides), sometimes anything at all."""
    ints = st.integers(int(math.floor(low)) - 2, int(math.ceil(high)) + 2)
    around = ints if integer else st.one_of(st.floats(low - 1, high + 1), ints)
    return st.one_of(around, around, around, numbers, values)


def _table(strategies: dict, required: dict | None = None):
    """A table with the required keys and up to four of the others (a few at a time,
    so that documents that load are common enough to check their numbers)."""
    return st.lists(st.sampled_from(sorted(strategies)), max_size=4, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries(
            {**(required or {}), **{key: strategies[key] for key in keys}}
        )
    )


def _or_anything(strategy):
    return st.one_of(strategy, strategy, values)


settings_tables = _table(
    {
        **{key: _near(*spec) for key, spec in SETTINGS_RANGES.items()},
        "db": _or_anything(st.sampled_from(["data/x.db", "x.db", "a\x00b"])),
        "user_agent": _or_anything(st.just("bot/1 (+https://x.example)")),
        "timezone": _or_anything(st.sampled_from(["UTC", "Asia/Baku", "Europe", "utc", ""])),
        "archive": _or_anything(st.booleans()),
        "allow_private_addresses": _or_anything(st.booleans()),
        "allow_addresses": _or_anything(
            st.lists(st.sampled_from(["127.0.0.1/32", "10.0.0.0/8", "::1", "x"]), max_size=2)
        ),
        "schedule": cron_strings,
        "timeouts": st.dictionaries(
            st.sampled_from(["connect", "read", "total", "x"]), _near(*TIMEOUT_RANGE), max_size=3
        ),
    }
)
source_tables = _table(
    {
        **{key: _near(*spec) for key, spec in SOURCE_RANGES.items()},
        "homepage": urls,
        "sitemaps": st.lists(urls, max_size=2),
        "language": _or_anything(st.just("en")),
        "enabled": _or_anything(st.booleans()),
        "junk": values,
    },
    required={
        "name": _or_anything(st.sampled_from(["A", "B", "C"])),
        "feeds": st.lists(urls, min_size=1, max_size=3),
    },
)
alert_tables = _table(
    {
        **{key: _near(*spec) for key, spec in ALERT_RANGES.items()},
        "urls": _or_anything(st.lists(st.sampled_from(["json://x.example/a", "nope"]))),
    }
)
topic_tables = st.fixed_dictionaries(
    {
        "name": _or_anything(st.sampled_from(["t", "u", "Bad Name"])),
        "groups": st.lists(
            st.fixed_dictionaries(
                {
                    "mode": _or_anything(st.sampled_from(["any", "all", "none", "sometimes"])),
                    "terms": _or_anything(st.lists(st.text(max_size=8), max_size=3)),
                }
            ),
            max_size=3,
        ),
    }
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "settings": settings_tables,
        "sources": st.lists(source_tables, max_size=3),
        "alerts": alert_tables,
        "topics": st.lists(topic_tables, max_size=2),
        "junk": values,
    },
)


def _render(doc: dict) -> str:
    lines = []
    if "settings" in doc:
        lines.append("[settings]")
        lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in doc["settings"].items()]
    for name in ("sources", "topics"):
        for table in doc.get(name, []):
            lines.append(f"[[{name}]]")
            lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in table.items()]
    if "alerts" in doc:
        lines.append("[alerts]")
        lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in doc["alerts"].items()]
    return "\n".join(lines) + "\n"


def _within(value, low, high, integer) -> bool:
    if integer:
        return type(value) is int and low <= value <= high
    return type(value) is float and math.isfinite(value) and low <= value <= high


def _assert_in_range(cfg: Config) -> None:
    for key, spec in SETTINGS_RANGES.items():
        assert _within(getattr(cfg.settings, key), *spec), (key, getattr(cfg.settings, key))
    for key in ("connect", "read", "total"):
        assert _within(getattr(cfg.settings.timeouts, key), *TIMEOUT_RANGE), key
    for source in cfg.sources:
        assert _within(source.max_new_per_run, *SOURCE_RANGES["max_new_per_run"])
        if source.max_age_days is not None:
            assert _within(source.max_age_days, *SOURCE_RANGES["max_age_days"])
        for url in source.urls():
            assert len(url) <= 2048 and not re.search(r"\s", url)
    for key, value in asdict(cfg.alerts.thresholds).items():
        assert _within(value, *ALERT_RANGES[key]), (key, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_loads_within_range_or_fails_with_config_error(doc):
    text = _render(doc)
    try:
        cfg = parse_config(text)
    except ConfigError as exc:
        assert exc.messages
        assert all(re.match(r"newsmon\.toml:\d+: ", m) for m in exc.messages), exc.messages
        return
    _assert_in_range(cfg)


def _field(low: int, high: int, names: list[str] | None = None):
    number = st.integers(low, high)
    value = (
        st.one_of(
            number.map(str), st.sampled_from(names).map(lambda n: n.lower()), st.sampled_from(names)
        )
        if names
        else number.map(str)
    )
    span = high - low + 1
    ordered = st.tuples(number, number).map(sorted)
    item = st.one_of(
        value,
        st.just("*"),
        ordered.map(lambda ab: f"{ab[0]}-{ab[1]}"),
        st.tuples(st.sampled_from(["*", str(low)]), st.integers(1, span)).map(
            lambda t: f"{t[0]}/{t[1]}"
        ),
        st.tuples(ordered, st.integers(1, span)).map(lambda t: f"{t[0][0]}-{t[0][1]}/{t[1]}"),
    )
    return st.lists(item, min_size=1, max_size=3).map(",".join)


MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()
valid_crons = st.one_of(
    st.tuples(
        _field(0, 59),
        _field(0, 23),
        st.one_of(_field(1, 28), st.just("?")),
        _field(1, 12, MONTHS),
        st.one_of(_field(0, 7, DAYS), st.just("?")),
    ).map(" ".join),
    st.sampled_from(NICKNAMES),
)


@settings(max_examples=200, deadline=None)
@given(valid_crons)
def test_valid_cron_expressions_within_the_ranges_are_accepted(cron):
    from prefect.client.schemas.schedules import CronSchedule

    assert parse_config(f'[settings]\nschedule = "{cron}"\n').settings.schedule == cron
    CronSchedule(cron=cron)


@settings(max_examples=400, deadline=None)
@given(st.one_of(cron_strings, valid_crons))
def test_whatever_cron_passes_the_check_prefect_accepts(cron):
    from prefect.client.schemas.schedules import CronSchedule

    try:
        cfg = parse_config(f"[settings]\nschedule = {_toml_string(cron)}\n")
    except ConfigError:
        return
    assert cfg.settings.schedule == cron
    CronSchedule(cron=cron, timezone="UTC")
