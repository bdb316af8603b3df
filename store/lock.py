"""One run at a time per store: an exclusive lock held for the whole run.

Two monitor runs on one store (a manual run while the schedule runs, a worker and
``newsmon serve``) fetch every page twice and record each other's articles as
duplicate sightings. Whoever starts a run takes this lock first; a second run waits
a bounded time, then gives up with a message naming the run that holds it.

The lock is an advisory ``flock`` on ``<store>.lock`` beside the database, so the
kernel releases it when the holder dies, however it dies (even ``SIGKILL``): a lock is
never stale, and the run that takes it knows that any run still marked ``running``
crashed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from store.clock import utcnow

__all__ = ["LOCKED_FLOWS", "RunLock", "RunLocked", "lock_path"]

#: Flows that take a store's run lock: at most one of them runs at a time on a store.
LOCKED_FLOWS = ["monitor-news", "reparse-archive"]

_POLL = 0.2
#: Locks this process holds, by the real path of their lock file.
_HELD: dict[str, RunLock] = {}


class RunLocked(Exception):
    """Another run holds the store; ``holder`` is what it wrote about itself."""

    def __init__(self, db_path: str, holder: dict[str, Any], waited: float) -> None:
        self.holder = holder
        keys = ("flow", "run_id", "pid", "host", "started_at")
        who = ", ".join(f"{k} {holder[k]}" for k in keys if k in holder)
        super().__init__(
            f"another run is using the store {db_path} ({who or 'no details'}); "
            f"waited {waited:g} s. Try again when it has finished (`newsmon status` lists runs)"
        )


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(db_path)}.lock")


class RunLock:
    """``with RunLock(db, flow="monitor-news", wait=10):``, or ``async with`` in a flow."""

    def __init__(self, db_path: str | os.PathLike[str], *, flow: str, wait: float = 10.0) -> None:
        self.db_path = os.fspath(db_path)
        self.flow = flow
        self.wait = wait
        self.holder: dict[str, Any] = {}
        self._fd: int | None = None
        self._outer: RunLock | None = None

    # ------------------------------------------------------------------ taking it
    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits. A process that holds it already (the
        CLI takes it before starting the flow, which takes it again) is let through."""
        if self._fd is not None or self._outer is not None:
            return True
        key = os.path.realpath(lock_path(self.db_path))
        outer = _HELD.get(key)
        if outer is not None:
            self._outer = outer
            self.holder = outer.holder
            return True
        path = lock_path(self.db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        _HELD[key] = self
        self.holder = {
            "flow": self.flow,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": utcnow(),
        }
        self._write()
        return True

    def acquire(self) -> None:
        """Wait up to ``wait`` seconds for the lock, then raise :class:`RunLocked`."""
        start = time.monotonic()
        while not self.try_acquire():
            waited = time.monotonic() - start
            if waited >= self.wait:
                raise RunLocked(self.db_path, self.current_holder(), round(waited, 1))
            time.sleep(min(_POLL, self.wait - waited))

    async def acquire_async(self) -> None:
        """:meth:`acquire` for an event loop: waiting never blocks the loop."""
        start = time.monotonic()
        while not self.try_acquire():
            waited = time.monotonic() - start
            if waited >= self.wait:
                raise RunLocked(self.db_path, self.current_holder(), round(waited, 1))
            await asyncio.sleep(min(_POLL, self.wait - waited))

    def release(self) -> None:
        if self._outer is not None:
            self._outer = None
            return
        if self._fd is None:
            return
        _HELD.pop(os.path.realpath(lock_path(self.db_path)), None)
        fd, self._fd = self._fd, None
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    async def __aenter__(self) -> RunLock:
        await self.acquire_async()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    # ------------------------------------------------------------------ who holds it
    def note(self, **details: Any) -> None:
        """Add details once known (the run id is known only after the lock is taken)."""
        self.holder.update(details)
        (self._outer or self)._write()

    def current_holder(self) -> dict[str, Any]:
        """What the holder wrote about itself (empty when unreadable)."""
        try:
            data = lock_path(self.db_path).read_bytes()[:4096]
            value = json.loads(data.decode("utf-8")) if data.strip() else {}
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self) -> None:
        if self._fd is None:
            return
        data = json.dumps(self.holder).encode()
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
