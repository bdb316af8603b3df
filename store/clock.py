"""The store's clock: the one way a time is written into a row."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> str:
    """The current UTC time, ISO 8601 to the second (``2026-03-01T06:00:00+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")
