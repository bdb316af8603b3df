"""The server-side automation that marks a silent flow run Crashed (a "zombie").

A run whose machine dies or whose process is killed -9 never reports a final state and stays
Running; with a concurrency limit of one, it would also hold the deployment's only slot and
every later scheduled run would be cancelled. Flow runs started by a worker or by `serve`
send a heartbeat event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (default 180 in
Prefect 3.8.8, minimum 30); this automation expects, after each heartbeat of a run, another
event of the same run within ``within`` seconds, and otherwise sets the run to Crashed, which
releases the slot. Prefect Cloud ships this automation; a self-hosted server needs it created
once, which `make deploy` does (idempotent: an automation of the same name is replaced).

    python -m deployments.automations [--within SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta

NAME = "newsmon: crash zombie flow runs"
#: Three missed heartbeats at the default frequency of 180 s, plus a margin.
DEFAULT_WITHIN = 600


def zombie_automation(within_seconds: float = DEFAULT_WITHIN):  # noqa: ANN201 - Automation
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=NAME,
        description=(
            "A flow run that stops sending heartbeats is marked Crashed, so it does not hold "
            "the deployment's concurrency slot forever (created by newsmon make deploy)."
        ),
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            # Any later event of the run (heartbeat or state change) proves it is alive.
            expect={"prefect.flow-run.*"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_seconds),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {within_seconds:g} s: marked Crashed by newsmon.",
            )
        ],
    )


async def ensure_zombie_automation(within_seconds: float = DEFAULT_WITHIN) -> str:
    """Create (or replace) the automation; returns its id."""
    from prefect.client.orchestration import get_client

    automation = zombie_automation(within_seconds)
    async with get_client() as client:
        for old in await client.read_automations_by_name(NAME):
            await client.delete_automation(old.id)
    created = await automation.acreate()
    return str(created.id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployments.automations", description=__doc__)
    parser.add_argument("--within", type=float, default=DEFAULT_WITHIN)
    args = parser.parse_args(argv)
    automation_id = asyncio.run(ensure_zombie_automation(args.within))
    print(f"automation {NAME!r}: {automation_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
