"""Scaling out: the monitor's parsing on a local Dask cluster (prefect-dask), against the replica."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlite_utils

from store import health, schema

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "demo" / "newsmon.demo.toml"


def demo_config(replica, dest: Path, *, db: Path | None = None, schedule: str | None = None):
    """The demo configuration pointed at a replica on free ports (and optionally a db/schedule)."""
    from demo.replica import DEFAULT_SITES

    text = DEMO_CONFIG.read_text(encoding="utf-8")
    for i, name in enumerate(DEFAULT_SITES):
        if name in replica.sites:
            text = text.replace(f"127.0.0.1:{8701 + i}", replica.sites[name].base.split("//")[1])
    extra = []
    if db is not None:
        text = text.replace('db = "data/demo.db"', f'db = "{db}"')
    if schedule is not None:
        extra.append(f'schedule = "{schedule}"')
    if extra:
        text = text.replace("[settings]\n", "[settings]\n" + "\n".join(extra) + "\n", 1)
    dest.write_text(text, encoding="utf-8")
    return dest


@pytest.fixture
def replica():
    replica_mod = pytest.importorskip("demo.replica")
    rep = replica_mod.Replica().start()
    yield rep
    rep.stop()


def test_monitor_parses_on_a_local_dask_cluster(prefect_server, replica, tmp_path):
    distributed = pytest.importorskip("distributed")
    from flows.scaleout import dask_monitor

    schema.register(health.migrate)
    config = demo_config(replica, tmp_path / "demo.toml")
    db_path = tmp_path / "dask.db"
    cluster = distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None
    )
    try:
        flow = dask_monitor(cluster.scheduler_address)
        result = asyncio.run(flow(config=str(config), db=str(db_path)))
        worker = next(iter(cluster.workers.values()))
        executed = worker.state.executed_count
        prefixes = set(cluster.scheduler.task_prefixes)
    finally:
        cluster.close()

    assert result["status"] == "completed"
    # Extraction ran on the cluster: one Dask task per parsed batch.
    assert "parse_task" in prefixes
    by_source = {s["name"]: s for s in result["sources"]}
    batches = sum(1 for s in by_source.values() if s["fetched"])
    assert executed >= batches >= 3
    # ...and the records were written here, to the store, once each.
    db = sqlite_utils.Database(db_path)
    stored = {
        r["source"]: r["n"]
        for r in db.query("SELECT source, count(*) AS n FROM articles GROUP BY source")
    }
    assert stored["Trend"] == by_source["Trend"]["new"] >= 5
    assert stored["Trend (Azerbaijani)"] >= 3
    assert sum(stored.values()) == result["new"]
    run = db["runs"].get(result["run_id"])
    assert (run["flow"], run["status"], run["new"]) == ("monitor-news", "completed", result["new"])
    # The broken feed is an error row, not a crash, and source health sees it.
    assert by_source["Broken feed"]["status"] == "failed"
    rows = {r["source"]: r for r in db["source_health"].rows}
    assert rows["Broken feed"]["consecutive_failures"] == 1
    assert rows["Trend"]["new_last_run"] == by_source["Trend"]["new"]
