"""newsmon.toml: the shipped configs load, and every mistake is reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import ConfigError, Settings, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


def test_default_config_watches_trend_and_has_the_topic():
    cfg = load_config(ROOT / "newsmon.toml")
    trend = cfg.source("Trend")
    assert trend.feeds == ("https://en.trend.az/feeds/index.rss",)
    assert trend.listings and trend.listing_selector and trend.link_pattern
    assert {s.name for s in cfg.sources} >= {"Trend", "Azernews", "Report.az", "Xinhua English"}
    assert cfg.settings.schedule == "*/30 * * * *"
    assert cfg.settings.timezone == "Asia/Baku"
    assert cfg.settings.allow_private_addresses is False
    assert "http" in cfg.settings.user_agent
    topic = cfg.topics[0]
    assert topic["name"] == "azerbaijan-china"
    assert {"Azerbaijan", "Baku", "Azərbaycan", "阿塞拜疆"} <= set(topic["groups"][0]["terms"])
    assert "中国" in topic["groups"][1]["terms"]


def test_demo_config_loads_and_matches_the_replica_generator():
    from demo.replica import demo_config

    cfg = load_config(ROOT / "demo" / "newsmon.demo.toml")
    assert cfg.settings.db == "data/demo.db"
    assert cfg.settings.allow_addresses == ("127.0.0.1/32",)
    generated = parse_config(
        demo_config(
            {
                n: f"http://127.0.0.1:{8701 + i}"
                for i, n in enumerate(
                    ["trend-en", "trend-az", "caspian", "flaky", "broken", "liar"]
                )
            }
        )
    )
    assert [(s.name, s.feeds, s.sitemaps, s.listings, s.homepage) for s in cfg.sources] == [
        (s.name, s.feeds, s.sitemaps, s.listings, s.homepage) for s in generated.sources
    ]
    assert cfg.settings == generated.settings


BAD = """\
[settings]
db = "x.db"
per_host_interval = "fast"
user_agent = "bot"
colour = 3

[settings.timeouts]
connect = -1
rea = 3

[[sources]]
name = "A"
feeds = ["https://ok.example/feed", 'htp://x']

[[sources]]
feeds = ["https://b.example/f"]

[[sources]]
name = "A"
feeds = [
  "https://c.example/rss",
  "ftp://nope",
]
max_new_per_run = true
link_pattern = "(["
listings = ["https://c.example/news"]

[[topics]]
title = "no name"
"""


def test_every_mistake_is_reported_with_its_line():
    with pytest.raises(ConfigError) as info:
        parse_config(BAD, "newsmon.toml")
    got = info.value.messages
    expected_starts = [
        "newsmon.toml:3: settings.per_host_interval: expected a number",
        "newsmon.toml:4: settings.user_agent: must carry a contact URL",
        "newsmon.toml:5: settings.colour: unknown key 'colour'",
        "newsmon.toml:8: settings.timeouts.connect: must be at least 0.01",
        "newsmon.toml:9: settings.timeouts.rea: unknown key 'rea' (did you mean 'read'?)",
        "newsmon.toml:13: sources[0].feeds[1]: 'htp://x' is not an http(s) URL",
        "newsmon.toml:15: sources[1]: missing 'name'",
        "newsmon.toml:19: sources[2].name: duplicate source name 'A'",
        "newsmon.toml:22: sources[2].feeds[1]: 'ftp://nope' is not an http(s) URL",
        "newsmon.toml:24: sources[2].max_new_per_run: expected an integer, got a boolean",
        "newsmon.toml:25: sources[2].link_pattern: not a valid regular expression",
        "newsmon.toml:28: topics[0]: missing 'name'",
    ]
    assert len(got) == len(expected_starts), "\n".join(got)
    for message, start in zip(got, expected_starts, strict=True):
        assert message.startswith(start), (message, start)
    # str(error) carries them all, one a line, for the command line
    assert str(info.value).count("\n") == len(expected_starts) - 1


def test_toml_syntax_error_names_the_line():
    with pytest.raises(ConfigError) as info:
        parse_config('[settings]\ndb = "x.db"\nper_host_interval = \n', "c.toml")
    assert info.value.messages[0].startswith("c.toml:3: not valid TOML")


def test_missing_file_and_source_with_nothing_to_watch(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError) as info:
        parse_config('[[sources]]\nname = "Empty"\nlanguage = "en"\n')
    assert "newsmon.toml:1: sources[0]: source 'Empty' has nothing to watch" in str(info.value)


def test_defaults_apply_and_inline_tables_are_located():
    cfg = parse_config('[[sources]]\nname = "A"\nfeeds = ["https://a.example/rss"]\n')
    assert cfg.settings == Settings()
    assert cfg.sources[0].max_new_per_run == 50
    with pytest.raises(ConfigError) as info:
        parse_config('[settings]\ntimeouts = { connect = "x" }\n')
    assert info.value.messages == [
        "newsmon.toml:2: settings.timeouts.connect: expected a number, got a string"
    ]


def test_bad_network_and_schedule_values():
    with pytest.raises(ConfigError) as info:
        parse_config(
            '[settings]\nallow_addresses = ["127.0.0.1/32", "localhost"]\n'
            'schedule = "every hour"\ntimezone = "Mars/Olympus"\n'
        )
    text = str(info.value)
    assert "newsmon.toml:2: settings.allow_addresses[1]: 'localhost' is not an IP network" in text
    assert "newsmon.toml:3: settings.schedule: 'every hour' is not a cron expression" in text
    assert "newsmon.toml:4: settings.timezone: unknown time zone 'Mars/Olympus'" in text


def test_a_source_names_the_zone_its_outlet_writes_times_in():
    cfg = parse_config(
        '[[sources]]\nname = "trend"\nfeeds = ["https://en.trend.az/feeds/index.rss"]\n'
        'timezone = "Asia/Baku"\n'
    )
    assert cfg.source("trend").timezone == "Asia/Baku"
    with pytest.raises(ConfigError) as err:
        parse_config(
            '[[sources]]\nname = "x"\nfeeds = ["https://x.example/f"]\ntimezone = "Baku"\n'
        )
    assert "newsmon.toml:4: sources[0].timezone: unknown time zone 'Baku'" in str(err.value)


def test_build_record_reads_times_without_offset_in_the_sources_zone():
    from flows.config import Source
    from flows.stages import build_record

    html = (
        "<html><head><title>Port</title><meta property='article:published_time' "
        "content='2025-01-10T09:30:00'></head><body><article><h1>Port</h1>"
        + "<p>The port authority said on Monday that container traffic grew by a third.</p>" * 5
        + "</article></body></html>"
    ).encode()
    src = Source(name="trend", feeds=("https://x.example/f",), timezone="Asia/Baku")
    art = build_record(html, "https://x.example/a", {}, src)
    assert art.published_at == "2025-01-10T09:30:00+04:00"
