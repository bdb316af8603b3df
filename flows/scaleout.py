"""The monitor with its parsing on a Dask cluster (prefect-dask), its writing kept at home.

Why this split: extraction is the CPU-bound stage and is pure (page bytes in, record out),
so it can run on any machine; fetching stays in the flow process because politeness (per-host
limits, robots.txt, Retry-After) is shared state of one Fetcher, and every write (fetch
state, frontier, articles) stays there because SQLite has one writer and lives on one disk.
It is the same ``monitor-news`` flow: given a task runner other than the default one, the
flow submits its ``parse`` batches through it (see ``flows.monitor``), so runs, health and
alerts are recorded exactly as for a plain run.

    flow = dask_monitor("tcp://scheduler:8786")            # an existing cluster
    flow = dask_monitor(n_workers=2, processes=False)      # a throw-away local one
    asyncio.run(flow(config="newsmon.toml"))
"""

from __future__ import annotations

from prefect import Flow

from flows.monitor import monitor_news


def dask_monitor(
    address: str | None = None,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 2,
    processes: bool = True,
) -> Flow:
    """The monitor flow on the Dask cluster at ``address``, or on a local one."""
    from prefect_dask import DaskTaskRunner

    if address:
        runner = DaskTaskRunner(address=address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": n_workers,
                "threads_per_worker": threads_per_worker,
                "processes": processes,
                "dashboard_address": None,
            }
        )
    return monitor_news.with_options(task_runner=runner)
