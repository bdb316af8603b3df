"""When the next request to a host may start: per-host pacing and the run's deadline.

:class:`HostGate` holds one host's politeness state: at most ``concurrency`` requests at
once, request starts at least ``interval`` seconds apart, and pauses a host asked for
(``Retry-After``, read by :func:`parse_retry_after`). No wait goes past the run's deadline:
:class:`DeadlineReached` is raised instead, with a message starting ``DEADLINE_MESSAGE``.

No Prefect, no database, no network: timing only (flows.fetch does the fetching).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator
from datetime import UTC

__all__ = ["DEADLINE_MESSAGE", "DeadlineReached", "HostGate", "parse_retry_after"]

DEADLINE_MESSAGE = "run time limit reached: not fetched"


class DeadlineReached(Exception):
    """The run's deadline came before the next step (caught in the fetcher)."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class HostGate:
    """Per-host concurrency and minimum spacing between request starts."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.semaphore = asyncio.Semaphore(max(1, concurrency))
        self.interval = interval
        self._lock = asyncio.Lock()
        self._next = 0.0

    def block_until(self, when: float) -> None:
        """No request starts before ``when`` (monotonic): a Retry-After applies to the host."""
        self._next = max(self._next, when)

    def sent(self) -> None:
        """The request really left now (after connecting): space the next one from here,
        so that the server sees the interval even when connection setup was slow."""
        self._next = max(self._next, time.monotonic() + self.interval)

    @contextlib.asynccontextmanager
    async def slot(self, deadline: float | None = None) -> AsyncIterator[None]:
        """Wait for a free slot and the host's spacing; :class:`DeadlineReached` instead
        of waiting past ``deadline`` (monotonic)."""
        if deadline is None:
            await self.semaphore.acquire()
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineReached(DEADLINE_MESSAGE)
            try:
                async with asyncio.timeout(left):
                    await self.semaphore.acquire()
            except TimeoutError:
                raise DeadlineReached(
                    f"{DEADLINE_MESSAGE} (waited for a free slot on the host)"
                ) from None
        try:
            async with self._lock:
                while (wait := self._next - time.monotonic()) > 0:
                    if deadline is not None and self._next > deadline:
                        raise DeadlineReached(
                            f"{DEADLINE_MESSAGE} (the host's spacing or Retry-After "
                            f"wait of {wait:.1f} s ends after it)"
                        )
                    await asyncio.sleep(wait)
                self._next = time.monotonic() + self.interval
            yield
        finally:
            self.semaphore.release()
