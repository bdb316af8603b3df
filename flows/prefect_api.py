"""The Prefect API a command-line run reports to, and nothing left behind when it dies.

With no ``PREFECT_API_URL`` configured, Prefect starts a temporary API server as a child
process and stops it at exit. A run killed with ``SIGKILL`` (the kernel's OOM killer, a
user's ``kill -9``) never reaches that exit, and the server lived on. Here the temporary
server is started before the run, and a tiny watchdog process holds the read end of a
pipe whose write end only this process has: when this process dies, however it dies,
the pipe closes and the watchdog stops the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["flow_run_id", "temporary_api"]

# Run by ``python -c``: wait for EOF on stdin (our parent died or let go), then stop
# the server if it is still the process we were given (same command line).
_WATCHDOG = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
pid = int(sys.argv[1]); marker = sys.argv[2].encode()
while sys.stdin.buffer.read(65536):
    pass
def alive():
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return marker in fh.read()
    except OSError:
        return False
if alive():
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        sys.exit(0)
    for _ in range(50):
        if not alive():
            sys.exit(0)
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""


@contextmanager
def temporary_api() -> Iterator[str | None]:
    """The Prefect API URL in use for the ``with`` block.

    A configured server (``PREFECT_API_URL``) is used as it is. Otherwise Prefect's own
    temporary server is started now, bound to this process's life by the watchdog.
    Yields the API URL, or None when the temporary server could not be watched (not on
    Linux), in which case Prefect's own handling applies.
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    proc = server.server_process
    if proc is None or not os.path.isdir(f"/proc/{proc.pid}"):
        yield server.api_url
        return
    read_end, write_end = os.pipe()
    try:
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(proc.pid), "prefect.server"],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, not its
        )
    finally:
        os.close(read_end)
    os.set_inheritable(write_end, False)
    try:
        yield server.api_url
    finally:
        server.stop()
        os.close(write_end)
        try:
            watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watchdog.kill()


def flow_run_id() -> str | None:
    """The id of the Prefect flow run we are in (also the id of its ``runs`` row), if any."""
    from prefect.context import get_run_context

    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run
        return None
