"""The reparse flow: ``flows/reparsing.py``'s rebuild of records from the raw archive,
as a Prefect flow run (deployment ``reparse-archive``, and ``newsmon reparse`` when a
Prefect server is configured)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.prefect_api import flow_run_id
from flows.reparsing import reparse_store


@flow(name="reparse-archive", log_prints=False)
async def reparse_archive(
    db: str = "data/newsmon.db",
    source: str | None = None,
    batch_size: int = 100,
    config: str | None = None,
) -> dict[str, Any]:
    """Rebuild records from archived responses with the current parsers (no network).

    ``config`` supplies each source's profile and language and the topics that new
    records are tagged with; without it, pages are read with the generic extractor.
    """
    return await reparse_store(db, source, batch_size, config, flow_run=flow_run_id())
