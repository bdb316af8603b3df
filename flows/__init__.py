"""newsmon flows: the Prefect flows (monitor, ingest, reparse) and what they run on: the
command line, the configuration, polite fetching, alerts.

With ``deployments``, the only package that imports Prefect. It builds on ``parsers``
(records out of bytes) and ``store`` (the SQLite database), which never import it. Modules
that do not need Prefect (``fetch``, ``netguard``, ``config``, ``alerts``...) do not import
it, so they can be tested and benchmarked alone. Deployment definitions (schedules, work
pools, serving) belong in ``deployments``.
"""
