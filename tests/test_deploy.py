"""Deployments for real: a Prefect server, `prefect deploy` from deployments/prefect.yaml, a
process worker, the offline replica, runs triggered by hand, and the scheduler's own runs.

This is where a dependency update that breaks Prefect's server, `prefect deploy`, the
scheduler or the worker shows up: each of them is exercised here as a user would, not mocked.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from tests.test_dask import demo_config

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
TZ = "Asia/Baku"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def _run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process we started, and its children (the flow runs of a worker)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _server_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    logs = sorted(tmp_path_factory.getbasetemp().glob("prefect*/server.log"))
    return logs[-1].read_text(errors="replace")[-3000:] if logs else "(no server log found)"


async def _client_call(fn):
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await fn(client)


def call(fn):
    return asyncio.run(_client_call(fn))


def _wait_terminal(flow_run_id: str, timeout: float = 180) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = call(lambda c: c.read_flow_run(flow_run_id))
        if run.state and run.state.type.value in TERMINAL:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not finished after {timeout}s: {run.state}")


@pytest.fixture(scope="module")
def stack(prefect_server, tmp_path_factory):
    """Replica + work pool + deployments (+ zombie automation) + a worker; all stopped after."""
    from demo.replica import Replica
    from deployments.render import deploy_env

    tmp = tmp_path_factory.mktemp("deploy")
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_server,
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    # A daily schedule 12 hours from now: real, checkable, and never due during the test.
    fire = datetime.now(ZoneInfo(TZ)).replace(second=0, microsecond=0) + timedelta(hours=12)
    cron = f"{fire.minute} {fire.hour} * * *"
    replica = Replica().start()
    worker = None
    try:
        config = demo_config(replica, tmp / "newsmon.toml", db=tmp / "default.db", schedule=cron)
        _run([PREFECT, "work-pool", "create", "newsmon", "--type", "process", "--overwrite"], env)
        # Exactly what `make deploy` runs.
        deployed = _run(
            [
                sys.executable,
                "-m",
                "deployments.render",
                "--config",
                str(config),
                "--",
                PREFECT,
                "--no-prompt",
                "deploy",
                "--all",
                "--prefect-file",
                "deployments/prefect.yaml",
            ],
            env,
        )
        _run([sys.executable, "-m", "deployments.automations"], env)
        log = open(tmp / "worker.log", "wb")  # noqa: SIM115 - closed at teardown
        worker = subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", "newsmon", "--type", "process"],
            cwd=tmp,  # not the checkout: the pull step must take runs there
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        yield {
            "env": env,
            "tmp": tmp,
            "config": config,
            "cron": cron,
            "fire": fire,
            "render": deploy_env(config),
            "deploy_output": deployed.stdout,
            "worker_log": tmp / "worker.log",
            "replica": replica,
        }
    finally:
        if worker is not None:
            _stop(worker)
            log.close()
        replica.stop()


def _deployment(name: str):
    return call(lambda c: c.read_deployment_by_name(name))


@pytest.mark.slow
def test_deploy_creates_the_deployments_from_the_config(stack):
    monitor = _deployment("monitor-news/monitor-news")
    assert monitor.work_pool_name == "newsmon"
    assert monitor.entrypoint == "deployments/entrypoints.py:monitor_news"
    [schedule] = monitor.schedules
    assert schedule.active
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (stack["cron"], TZ)
    assert monitor.parameters == {"config": str(stack["config"])}
    assert monitor.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]
    assert monitor.global_concurrency_limit.limit == 1
    assert monitor.concurrency_options.collision_strategy.value == "CANCEL_NEW"
    ingest = _deployment("ingest-files/ingest-files")
    assert ingest.schedules == [] and ingest.parameters == {"db": stack["render"]["NEWSMON_DB"]}
    reparse = _deployment("reparse-archive/reparse")
    assert reparse.schedules == []
    automations = call(lambda c: c.read_automations_by_name("newsmon: crash zombie flow runs"))
    assert len(automations) == 1
    assert automations[0].actions[0].state.value == "CRASHED"


@pytest.mark.slow
def test_manual_run_completes_on_the_worker_and_fills_the_store(stack):
    db_path = stack["tmp"] / "manual.db"
    out = _run(
        [
            PREFECT,
            "deployment",
            "run",
            "monitor-news/monitor-news",
            "--param",
            f"config={stack['config']}",
            "--param",
            f"db={db_path}",
        ],
        stack["env"],
    )
    flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", out.stdout).group(1)
    run = _wait_terminal(flow_run_id)
    assert run.state.type.value == "COMPLETED", (
        f"{run.state}\n{stack['worker_log'].read_text(errors='replace')[-4000:]}"
    )
    db = sqlite_utils.Database(db_path)
    # The store's run row is the Prefect flow run: one id from the UI to the data.
    row = db["runs"].get(flow_run_id)
    assert (row["flow"], row["status"]) == ("monitor-news", "completed")
    sources = {
        r["source"]: r["n"]
        for r in db.query("SELECT source, count(*) AS n FROM articles GROUP BY source")
    }
    assert sources["Trend"] >= 5 and sources["Caspian Wire"] >= 1
    assert row["new"] == sum(sources.values())
    errors = {r["source"] for r in db.query("SELECT DISTINCT source FROM run_errors")}
    assert "Broken feed" in errors


@pytest.mark.slow
def test_overlapping_runs_the_second_is_cancelled(stack):
    db_path = stack["tmp"] / "overlap.db"
    params = {"config": str(stack["config"]), "db": str(db_path)}
    deployment = _deployment("monitor-news/monitor-news")

    async def two(client):
        first = await client.create_flow_run_from_deployment(deployment.id, parameters=params)
        second = await client.create_flow_run_from_deployment(deployment.id, parameters=params)
        return first.id, second.id

    # The second run is cancelled only if the first still holds the deployment's slot
    # when the worker starts it: slower answers keep the first run going for seconds
    # (both once completed on a loaded machine, the first done before the second began).
    stack["replica"].latency = 0.3
    try:
        ids = call(two)
        runs = [_wait_terminal(str(i)) for i in ids]
    finally:
        stack["replica"].latency = 0.0
    states = sorted(r.state.type.value for r in runs)
    assert states == ["CANCELLED", "COMPLETED"], [
        (r.state.type.value, r.state.message) for r in runs
    ]
    cancelled = next(r for r in runs if r.state.type.value == "CANCELLED")
    assert "concurrency" in (cancelled.state.message or "").lower()
    # Only one of them touched the store.
    db = sqlite_utils.Database(db_path)
    assert [r["status"] for r in db["runs"].rows] == ["completed"]


@pytest.mark.slow
def test_the_scheduler_creates_the_scheduled_runs(stack, tmp_path_factory):
    """The server's scheduler service must turn the cron schedule into runs on its own.

    A broken scheduler (as with SQLAlchemy 2.1 under Prefect 3.8.8) leaves every deployment
    silently unscheduled while deploys and manual runs keep working: only this shows it.
    """
    deployment = _deployment("monitor-news/monitor-news")

    async def scheduled(client):
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterId,
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )

    deadline = time.monotonic() + 100  # the scheduler's loop is 60 s
    runs = []
    while time.monotonic() < deadline and not runs:
        runs = call(scheduled)
        if not runs:
            time.sleep(3)
    assert runs, (
        "the Prefect scheduler created no scheduled run for monitor-news within 100 s; "
        f"server log:\n{_server_log(tmp_path_factory)}"
    )
    first = min(r.expected_start_time for r in runs)
    assert first == stack["fire"], (first, stack["fire"])


@pytest.mark.slow
def test_serve_registers_the_schedules_and_keeps_them_on_stop(stack, tmp_path):
    env = {**stack["env"]}
    before = _deployment("monitor-news/monitor-news")
    code = "import sys, flows.cli_ops; from flows import cli; sys.exit(cli.main(sys.argv[1:]))"
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--config", str(stack["config"])],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        served = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            d = _deployment("monitor-news/monitor-news")
            if d.updated > before.updated:  # registered again, by serve
                served = d
                break
            time.sleep(1)
        assert served is not None, (tmp_path / "serve.log").read_text()
        assert served.schedules[0].schedule.cron == stack["cron"]
        assert served.schedules[0].schedule.timezone == TZ
        assert served.concurrency_options.collision_strategy.value == "CANCEL_NEW"
        # The deployed flavour (retries, time limit), not the bare flow.
        assert served.entrypoint == "deployments/entrypoints.py:monitor_news"
    finally:
        _stop(proc)
        log.close()
    # pause_on_shutdown=False: stopping serve leaves the schedule active.
    after = _deployment("monitor-news/monitor-news")
    assert not after.paused and after.schedules[0].active


def test_serve_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    code = "import sys, flows.cli_ops; from flows import cli; sys.exit(cli.main(sys.argv[1:]))"
    config = ROOT / "demo" / "newsmon.demo.toml"
    proc = subprocess.run(
        [sys.executable, "-c", code, "serve", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "needs a Prefect server" in proc.stderr
    assert "make server" in proc.stderr and "PREFECT_API_URL" in proc.stderr
    unreachable = {**env, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    proc = subprocess.run(
        [sys.executable, "-c", code, "serve", "--config", str(config)],
        cwd=ROOT,
        env=unreachable,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "no Prefect server answers at http://127.0.0.1:9/api" in proc.stderr


def test_render_prints_the_schedule_of_the_config(tmp_path):
    config = tmp_path / "n.toml"
    config.write_text(
        '[settings]\nschedule = "15 */2 * * *"\ntimezone = "Asia/Shanghai"\ndb = "data/z.db"\n'
        '[[sources]]\nname = "x"\nfeeds = ["https://x.example/rss"]\n'
    )
    proc = subprocess.run(
        [sys.executable, "-m", "deployments.render", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "export NEWSMON_CRON='15 */2 * * *'" in proc.stdout
    assert "export NEWSMON_TIMEZONE=Asia/Shanghai" in proc.stdout
    assert f"export NEWSMON_DB={ROOT / 'data' / 'z.db'}" in proc.stdout
    assert f"export NEWSMON_REPO={ROOT}" in proc.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[settings]\nschedule = "every hour"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "deployments.render", "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "not a cron expression" in proc.stderr
