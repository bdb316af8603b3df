"""The ranges every configured number must fall in, as docs/configuration.md lists them.

One table per section of ``newsmon.toml``, apart from the checks that apply them
(``flows.config``), so that the accepted ranges can be read, and compared with the
documentation, in one place.

Pure: no network, database or Prefect.
"""

from __future__ import annotations

#: One day, in seconds: the longest wait, delay or timeout that makes sense in one run.
DAY = 86_400.0
#: Longest accepted web address (the common limit of browsers, servers and sitemaps).
MAX_URL_LENGTH = 2048

#: ``[settings]`` integers: (minimum, maximum). Documented in docs/configuration.md.
SETTINGS_INTEGERS: dict[str, tuple[int, int]] = {
    "per_host_concurrency": (1, 64),
    "max_response_bytes": (1024, 1 << 30),
    "max_articles_per_run": (0, 1_000_000),
    "retries": (0, 10),
    "max_redirects": (0, 20),
    "batch_size": (1, 10_000),
}
#: ``[settings]`` numbers: (minimum, maximum, unit).
SETTINGS_NUMBERS: dict[str, tuple[float, float, str]] = {
    "per_host_interval": (0.0, DAY, "seconds"),
    "retry_backoff": (0.0, DAY, "seconds"),
    "retry_after_max": (0.0, DAY, "seconds"),
    "max_crawl_delay": (0.0, DAY, "seconds"),
    "max_age_days": (0.0, 36_500.0, "days"),
    "run_time_limit": (10.0, DAY, "seconds"),
    "run_lock_wait": (0.0, 3_600.0, "seconds"),
}
#: ``[settings.timeouts]``: every timeout is between 10 ms and a day.
TIMEOUT_RANGE: tuple[float, float] = (0.01, DAY)
#: ``[[sources]]`` numbers: (minimum, maximum).
SOURCE_MAX_NEW_PER_RUN: tuple[int, int] = (0, 1_000_000)
SOURCE_MAX_AGE_DAYS: tuple[float, float] = (0.0, 36_500.0)
#: ``[alerts]`` thresholds: (minimum, maximum); a threshold not listed gets the fallback.
ALERT_RANGES: dict[str, tuple[float, float]] = {
    "failures": (1, 10_000),
    "window": (1, 10_000),
    "silent_min_runs": (1, 10_000),
    "min_history": (1, 10_000),
    "canary_runs": (1, 10_000),
    "short_chars": (1, 1_000_000),
    "canary_min_articles": (1, 1_000_000),
    "silent_expected": (0.0, 1_000_000.0),
    "short_share": (0.0, 1.0),
    "profile_share_low": (0.0, 1.0),
    "profile_share_usual": (0.0, 1.0),
}
ALERT_FALLBACK_INT = (1, 1_000_000)
ALERT_FALLBACK_NUMBER = (0.0, 1_000_000.0)
