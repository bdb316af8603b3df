"""How newsmon runs unattended: Prefect deployments, one-process serving, server automations.

Prefect deployment definitions only: what runs when, where and with which options. The flows
themselves live in ``flows`` (with ``deployments``, the only package that imports Prefect);
no parsing, fetching or SQL here.

- ``prefect.yaml``: the deployments (monitor-news on a schedule, ingest-files and reparse by
  hand) on the process work pool ``newsmon``; deployed by ``make deploy`` through ``render``.
- ``render``: newsmon.toml's schedule, time zone and paths into ``prefect deploy``'s environment.
- ``entrypoints``: the flows as deployed (retries, time limit).
- ``serve``: ``newsmon serve``, the same deployments run by one process.
- ``automations``: the automation that marks silent (zombie) flow runs Crashed.

See docs/operations.md.
"""
