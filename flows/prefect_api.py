"""What a run needs to know of Prefect: the flow run it is, if any.

No command starts a Prefect server: with ``PREFECT_API_URL`` set, ``newsmon run``,
``ingest`` and ``reparse`` are flow runs on that server; without it they run without
Prefect and are recorded in the store only.
"""

from __future__ import annotations

__all__ = ["flow_run_id"]


def flow_run_id() -> str | None:
    """The id of the Prefect flow run we are in (also the id of its ``runs`` row), if any."""
    from prefect.context import get_run_context

    try:
        return str(get_run_context().flow_run.id)
    except Exception:  # noqa: BLE001 - outside a flow run
        return None
