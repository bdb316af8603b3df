"""Source health on a real SQLite store: failures in a row, silence, and the extraction canary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

import store
from parsers.record import Article
from store import health, schema

FLOW = health.HEALTH_FLOWS[0]
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path) -> sqlite_utils.Database:
    schema.register(health.migrate)
    database = store.open_db(tmp_path / "health.db")
    yield database
    database.close()


def _body(n: int, words: int = 80) -> str:
    return " ".join(f"word{n}x{i}" for i in range(words))


class Runs:
    """Writes runs the way the monitor does: start, append, record errors, finish."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.count = 0
        self.serial = 0

    def run(self, per_source: dict[str, dict], *, status: str = "completed") -> str:
        at = (T0 + timedelta(minutes=30 * self.count)).isoformat()
        self.count += 1
        run_id = store.start_run(self.db, FLOW)
        self.db.execute("UPDATE runs SET started_at = ? WHERE id = ?", [at, run_id])
        figures = []
        new = dups = errors = 0
        for source, spec in per_source.items():
            arts = []
            for _ in range(spec.get("new", 0)):
                self.serial += 1
                via = spec.get("via", "profile:trend")
                arts.append(
                    Article(
                        url=f"https://{source}.example/a/{self.serial}",
                        canonical_url=f"https://{source}.example/a/{self.serial}",
                        source=source,
                        title=f"Story {self.serial}",
                        text=spec.get("text", "{body}").format(
                            body=_body(self.serial), n=self.serial
                        ),
                        provenance={"text": via, "title": via},
                    )
                )
            result = store.append_batch(self.db, arts, run_id=run_id)
            for _ in range(spec.get("errors", 0)):
                store.record_error(
                    self.db,
                    run_id,
                    source=source,
                    item=f"https://{source}.example/feed",
                    stage="fetch",
                    message="ConnectError: connection refused",
                )
            items = spec.get("items", result.new + result.duplicates)
            figures.append(
                health.SourceFigures(
                    source=source,
                    # as the monitor judges a source that obtained nothing and erred
                    status=health.SourceStatus.FAILED
                    if spec.get("errors", 0) and items == 0
                    else health.SourceStatus.OK,
                    new=result.new,
                    duplicates=result.duplicates,
                    errors=spec.get("errors", 0),
                    items=items,
                )
            )
            new += result.new
            dups += result.duplicates
            errors += spec.get("errors", 0)
        store.finish_run(
            self.db,
            run_id,
            status=status,
            items=new + dups,
            new=new,
            duplicates=dups,
            errors=errors,
        )
        health.record_run(self.db, run_id, figures)
        return run_id


def _by_source(healths):
    return {h.source: h for h in healths}


def test_migrate_is_idempotent_and_tables_exist(db):
    health.migrate(db)
    health.migrate(db)
    assert {"source_runs", "source_health", "alerts"} <= set(db.table_names())


def test_migrate_adds_columns_to_an_older_table(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    old["source_runs"].create({"run_id": str, "source": str, "new": int}, pk=("run_id", "source"))
    health.migrate(old)
    assert {"stored", "profile_bodies", "first_error"} <= set(old["source_runs"].columns_dict)


def test_healthy_source_reports_its_rate(db):
    runs = Runs(db)
    for n in (4, 6, 5, 5):
        runs.run({"trend": {"new": n}})
    h = _by_source(health.refresh(db, sources=["trend", "xinhua"]))
    trend = h["trend"]
    assert trend.status == "ok"
    assert trend.conditions == []
    assert trend.runs == 4
    assert trend.new_last_run == 5
    assert trend.median_new == 5.0
    assert trend.new_in_window == 20
    assert trend.profile_share == 1.0
    assert trend.last_success_at == (T0 + timedelta(minutes=90)).isoformat()
    # A configured source that never ran is listed, not invented healthy.
    assert h["xinhua"].status == "unknown" and h["xinhua"].runs == 0
    # The table Datasette shows holds the same.
    rows = {r["source"]: r for r in db["source_health"].rows}
    assert rows["trend"]["median_new"] == 5.0 and rows["trend"]["status"] == "ok"
    assert db["source_runs"].count == 4


def test_three_failures_in_a_row_make_a_failing_source(db):
    runs = Runs(db)
    runs.run({"report": {"new": 3}})
    for _ in range(2):
        runs.run({"report": {"errors": 2, "items": 0}})
    h = _by_source(health.refresh(db))["report"]
    assert h.consecutive_failures == 2
    assert "failing" not in h.conditions  # threshold is 3
    runs.run({"report": {"errors": 1, "items": 0}})
    h = _by_source(health.refresh(db))["report"]
    assert h.consecutive_failures == 3
    assert h.status == "failing"
    assert "connection refused" in h.reasons["failing"]
    assert h.last_success_at == T0.isoformat()
    # One success resets the count.
    runs.run({"report": {"new": 1}})
    h = _by_source(health.refresh(db))["report"]
    assert h.consecutive_failures == 0 and h.status == "ok"


def test_partial_errors_are_not_a_failure(db):
    runs = Runs(db)
    for _ in range(4):
        runs.run({"azernews": {"new": 2, "errors": 1}})
    h = _by_source(health.refresh(db))["azernews"]
    assert h.consecutive_failures == 0 and h.status == "ok"


def test_silence_is_measured_against_the_usual_rate(db):
    runs = Runs(db)
    for _ in range(5):
        runs.run({"busy": {"new": 4}, "slow": {"new": 0}})
    runs.run({"busy": {"new": 0}, "slow": {"new": 1}})
    runs.run({"busy": {"new": 0}, "slow": {"new": 0}})
    h = _by_source(health.refresh(db))
    assert h["busy"].zero_new_runs == 2 and "silent" not in h["busy"].conditions
    runs.run({"busy": {"new": 0}, "slow": {"new": 0}})
    h = _by_source(health.refresh(db))
    busy = h["busy"]
    assert busy.zero_new_runs == 3
    assert busy.median_new == 4.0
    assert busy.status == "silent"
    assert "no new articles in 3 runs; usually 4 per run" in busy.reasons["silent"]
    # A source that rarely publishes is not "silent" after a few empty runs.
    assert h["slow"].conditions == []


def test_canary_sees_a_profile_that_stopped_matching(db):
    runs = Runs(db)
    for _ in range(4):
        runs.run({"trend": {"new": 3, "via": "profile:trend"}})
    runs.run({"trend": {"new": 3, "via": "trafilatura"}})
    h = _by_source(health.refresh(db))["trend"]
    assert h.profile_share == 0.0 and h.usual_profile_share == 1.0
    assert h.status == "layout"
    assert "0% of recent bodies came from the site profile (usually 100%)" in h.reasons["layout"]


def test_canary_sees_empty_and_short_bodies(db):
    runs = Runs(db)
    for _ in range(3):
        runs.run({"xinhua": {"new": 3, "via": "container:class"}})
    runs.run({"xinhua": {"new": 4, "via": "container:class", "text": "Share this {n}"}})
    h = _by_source(health.refresh(db))["xinhua"]
    assert h.short_share == 1.0 and h.usual_short_share == 0.0
    assert h.status == "layout"
    assert "are empty or shorter than 200 characters" in h.reasons["layout"]


def test_canary_uses_the_configured_profile_before_any_history(db):
    runs = Runs(db)
    runs.run({"trend": {"new": 3, "via": "trafilatura"}})
    assert _by_source(health.refresh(db))["trend"].conditions == []
    h = _by_source(health.refresh(db, profiles={"trend": True}))["trend"]
    assert h.conditions == ["layout"]


def test_running_and_other_flows_are_left_out(db):
    runs = Runs(db)
    runs.run({"trend": {"new": 2}})
    ingest = store.start_run(db, "ingest-files")
    store.append_batch(
        db, [Article(url="file:///x.txt", source="trend", text=_body(999))], run_id=ingest
    )
    store.finish_run(db, ingest, status="completed", items=1, new=1, duplicates=0, errors=0)
    live = store.start_run(db, FLOW)
    store.append_batch(
        db,
        [Article(url="https://trend.example/live", source="trend", text=_body(1000))],
        run_id=live,
    )
    assert _by_source(health.refresh(db))["trend"].runs == 1
    # From inside the live run, it counts.
    assert _by_source(health.refresh(db, run_id=live))["trend"].runs == 2


def test_sources_not_tried_leave_no_row(db):
    run_id = store.start_run(db, FLOW)
    store.finish_run(db, run_id, status="completed", items=0, new=0, duplicates=0, errors=0)
    health.record_run(
        db,
        run_id,
        [
            health.SourceFigures("a", health.SourceStatus.OK, items=7),
            health.SourceFigures("b", health.SourceStatus.BACKING_OFF),
        ],
    )
    rows = list(db["source_runs"].rows_where("run_id = ?", [run_id]))
    assert [(r["source"], r["items"], r["failed"]) for r in rows] == [("a", 7, 0)]


def test_fetch_state_table_feeds_failures_and_next_due(db):
    from store import fetchstate

    fetchstate.migrate(db)
    db["source_state"].insert(
        {
            "name": "report",
            "consecutive_failures": 5,
            "last_success_at": "2026-02-01T00:00:00+00:00",
            "next_due_at": "2026-03-02T00:00:00+00:00",
        },
        pk="name",
    )
    h = _by_source(health.refresh(db, sources=["report"]))["report"]
    assert h.consecutive_failures == 5
    assert h.next_due == "2026-03-02T00:00:00+00:00"
    assert h.status == "failing"


def test_thresholds_from_config_table():
    t = health.Thresholds.from_mapping({"failures": 5, "urls": ["json://x"], "window": "10"})
    assert (t.failures, t.window, t.silent_min_runs) == (5, 10, 3)


def test_problems_are_readable_in_the_table(db):
    runs = Runs(db)
    for _ in range(3):
        runs.run({"report": {"errors": 1, "items": 0}})
    health.refresh(db)
    row = db["source_health"].get("report")
    assert row["status"] == "failing"
    assert row["problems"].startswith("failed 3 runs in a row")
    assert json.loads(row["conditions"]) == ["failing"]


def test_monitor_summary_statuses(db):
    run_id = store.start_run(db, FLOW)
    S = health.SourceStatus
    figures = [
        health.SourceFigures("down", S.UNREACHABLE, message="connect: refused"),
        health.SourceFigures("resting", S.BACKING_OFF, message="until 10:00"),
        health.SourceFigures("half", S.PARTIAL, new=2, items=3, errors=1),
        # a sitemap failed, the feed answered with nothing new: not a failed source
        health.SourceFigures("calm", S.PARTIAL, errors=1),
    ]
    store.finish_run(db, run_id, status="completed", items=3, new=2, duplicates=0, errors=2)
    rows = {r["source"]: r for r in health.source_runs_for(db, run_id, figures)}
    assert set(rows) == {"down", "half", "calm"}  # a source backing off was not attempted
    assert rows["down"]["failed"] == 1 and rows["down"]["first_error"] == "connect: refused"
    assert rows["half"]["failed"] == 0 and rows["half"]["items"] == 3
    assert rows["calm"]["failed"] == 0


def _status(argv, capsys):
    import flows.cli_ops  # noqa: F401 - registers `status`
    from flows import cli

    code = cli.main(["status", *argv])
    return code, capsys.readouterr()


def test_status_command_prints_health_and_alerts(tmp_path, capsys):
    schema.register(health.migrate)
    path = tmp_path / "status.db"
    database = store.open_db(path)
    runs = Runs(database)
    for _ in range(3):
        runs.run({"report": {"errors": 1, "items": 0}, "trend": {"new": 4}})
    database.close()
    code, out = _status(["--db", str(path), "--config", str(tmp_path / "none.toml")], capsys)
    assert code == 0, out.err
    assert "Source health" in out.out and "Recent runs" in out.out
    assert "report: failed 3 runs in a row" in " ".join(out.out.split())
    code, out = _status(["--db", str(path), "--json", "--no-refresh"], capsys)
    data = json.loads(out.out)
    assert {r["source"]: r["status"] for r in data["sources"]} == {
        "report": "failing",
        "trend": "ok",
    }
    assert len(data["runs"]) == 3


def test_status_without_a_store_says_so(tmp_path, capsys):
    code, out = _status(["--db", str(tmp_path / "missing.db")], capsys)
    assert code == 1
    assert "no store at" in out.err and "newsmon run" in out.err
    assert not (tmp_path / "missing.db").exists()
