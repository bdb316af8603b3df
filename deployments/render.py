"""Hand newsmon.toml's schedule, time zone and paths to `prefect deploy`.

``deployments/prefect.yaml`` reads them as ``{{ $NEWSMON_* }}`` placeholders, which
``prefect deploy`` fills from its environment. This script computes that environment from
the configuration, so the schedule lives in one place (newsmon.toml) and a changed
schedule takes effect at the next ``make deploy``::

    python -m deployments.render --config newsmon.toml -- \\
        prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
    python -m deployments.render --config newsmon.toml     # prints `export` lines instead

An absent placeholder would reach Prefect as literal text, so every variable is always set
(and the script refuses a configuration that does not load).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

#: The checkout the deployments run from (the pull step's working directory).
REPO = Path(__file__).resolve().parents[1]
#: The process work pool the deployments use; `make deploy` creates it when missing.
WORK_POOL = "newsmon"


def deploy_env(config: str | os.PathLike, *, repo: Path = REPO) -> dict[str, str]:
    """The ``NEWSMON_*`` variables prefect.yaml expects, from a configuration file."""
    from flows.config import load_config

    path = Path(config)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    cfg = load_config(path)
    db = Path(cfg.settings.db)
    if not db.is_absolute():
        # A run works in the checkout (pull step), so relative paths mean the same there.
        db = (repo / db).resolve()
    return {
        "NEWSMON_REPO": str(repo),
        "NEWSMON_CONFIG": str(path),
        "NEWSMON_DB": str(db),
        "NEWSMON_CRON": cfg.settings.schedule,
        "NEWSMON_TIMEZONE": cfg.settings.timezone,
        "NEWSMON_WORK_POOL": WORK_POOL,
    }


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m deployments.render",
        description="Render newsmon.toml's schedule into the environment of `prefect deploy`.",
    )
    parser.add_argument("--config", default="newsmon.toml", help="newsmon configuration")
    args = parser.parse_args(argv)
    from flows.config import ConfigError

    try:
        env = deploy_env(args.config)
    except ConfigError as exc:
        print(f"newsmon: {exc}", file=sys.stderr)
        return 1
    if not command:
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    print(
        f"newsmon: deploying with schedule {env['NEWSMON_CRON']!r} ({env['NEWSMON_TIMEZONE']}), "
        f"config {env['NEWSMON_CONFIG']}",
        file=sys.stderr,
    )
    os.execvpe(command[0], command, {**os.environ, **env})
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main())
