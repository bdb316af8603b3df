"""Source health and alert bookkeeping, kept as tables so Datasette and `newsmon status` show them.

A monitored source fails loudly (fetch errors) or quietly (no new articles, or a site
redesign that makes its profile's selectors miss and the generic extractor take over).
Both are computed here from what the runs left in the store:

``source_runs``    one row per (run, source): new articles, sightings, errors, and the
                   extraction canary of the articles that run stored (empty/short bodies,
                   bodies and titles still coming from the site profile).
``source_health``  one row per source, refreshed after each run: last success, failures in
                   a row, new articles per run against the source's usual rate, the canary,
                   and a status with the problems in words.
``alerts``         one row per alert raised; an open alert for a (source, condition) keeps
                   the same condition from being sent again until it clears.

Plain SQLite through sqlite-utils: no Prefect, no network (sending lives in flows/alerts.py).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import sqlite_utils

from store import migrations
from store.clock import utcnow
from store.db import writing

#: Flows whose runs say something about a source's health (ingest and reparse do not).
HEALTH_FLOWS: tuple[str, ...] = ("monitor-news",)
#: Run statuses that are over; a run still 'running' counts only when named explicitly.
FINISHED = ("completed", "failed", "crashed")

CONDITIONS = ("failing", "silent", "layout")


class SourceStatus(StrEnum):
    """What one run did with one source: the one list the monitor writes and health reads."""

    OK = "ok"
    #: some feeds or sitemaps failed, or the run's time limit left URLs for the next run
    PARTIAL = "partial"
    FAILED = "failed"
    #: the machine could not reach the source's hosts (offline, DNS)
    UNREACHABLE = "unreachable"
    #: not tried: still backing off after failed runs
    BACKING_OFF = "backing_off"
    #: not tried: ``enabled = false``
    DISABLED = "disabled"


#: Statuses of a source that failed in a run.
FAILED = (SourceStatus.FAILED, SourceStatus.UNREACHABLE)
#: Statuses of a source that a run did not try.
NOT_TRIED = (SourceStatus.BACKING_OFF, SourceStatus.DISABLED)


@dataclass(frozen=True)
class Thresholds:
    """When a source's state becomes an alert. Read from ``[alerts]`` in the config."""

    #: runs in a row in which the source yielded nothing but errors
    failures: int = 3
    #: runs of history (per source) used for the usual rate and the canary baseline
    window: int = 20
    #: fewest runs in a row without a new article before "silent" can be raised...
    silent_min_runs: int = 3
    #: ...and only when the usual rate would have given at least this many meanwhile
    silent_expected: float = 3.0
    #: fewest runs of history before the usual rate is trusted
    min_history: int = 3
    #: a body shorter than this (characters, so Chinese counts fairly) is "short"
    short_chars: int = 200
    #: fewest recent articles before the canary speaks
    canary_min_articles: int = 3
    #: recent runs pooled for the canary (until it has canary_min_articles articles)
    canary_runs: int = 3
    #: short/empty share that is alarming when the source usually has far fewer
    short_share: float = 0.5
    #: profile share below which a source that usually matches its profile is "layout"
    profile_share_low: float = 0.2
    #: usual profile share above which a source counts as matching its profile
    profile_share_usual: float = 0.5

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> Thresholds:
        """Thresholds from a config table, ignoring keys that are not thresholds."""
        data = data or {}
        names = {f for f in cls.__dataclass_fields__}
        kwargs = {k: type(getattr(cls(), k))(v) for k, v in data.items() if k in names}
        return cls(**kwargs)


@dataclass
class SourceHealth:
    source: str
    status: str = "unknown"
    #: condition ("failing", "silent", "layout") -> what was seen, in words
    reasons: dict[str, str] = field(default_factory=dict)
    runs: int = 0
    last_run_at: str | None = None
    last_success_at: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    new_last_run: int | None = None
    new_in_window: int = 0
    median_new: float | None = None
    mean_new: float | None = None
    #: runs the usual rate (median/mean) is computed from
    usual_runs: int = 0
    zero_new_runs: int = 0
    last_new_at: str | None = None
    recent_articles: int = 0
    short_share: float | None = None
    usual_short_share: float | None = None
    profile_share: float | None = None
    usual_profile_share: float | None = None
    title_profile_share: float | None = None
    usual_title_profile_share: float | None = None
    next_due: str | None = None
    updated_at: str | None = None

    @property
    def conditions(self) -> list[str]:
        return list(self.reasons)

    def row(self) -> dict[str, Any]:
        row = asdict(self)
        del row["reasons"]
        row["problems"] = "; ".join(self.reasons.values())
        row["conditions"] = json.dumps(self.conditions)
        return row


# --------------------------------------------------------------------------- schema
def migrate(db: sqlite_utils.Database) -> None:
    """Create the health and alert tables if missing, add missing columns (idempotent).

    They are schema v6 (:func:`store.migrations.v6_health`); ``open_db`` creates them.
    """
    migrations.v6_health(db)


# --------------------------------------------------------------------------- per-run rows
@dataclass(frozen=True)
class SourceFigures:
    """What one run did with one source, as the monitor counted it: one ``source_runs`` row."""

    source: str
    status: SourceStatus
    #: pages fetched and files read
    items: int = 0
    new: int = 0
    duplicates: int = 0
    errors: int = 0
    message: str = ""

    @property
    def tried(self) -> bool:
        """A source the run did not try (disabled, backing off) says nothing of its health."""
        return self.status not in NOT_TRIED


def _grouped(db: sqlite_utils.Database, sql: str, run_id: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in db.execute(sql, [run_id]).fetchall() if row[0]}


def source_runs_for(
    db: sqlite_utils.Database,
    run_id: str,
    figures: Sequence[SourceFigures] = (),
    *,
    short_chars: int = 200,
) -> list[dict[str, Any]]:
    """The (run, source) rows of one run: the monitor's figures, and the canary counted
    from the articles, sightings and errors the run left. A run that left no figures (it
    was killed) is judged from those rows alone."""
    run = db.execute("SELECT started_at, status FROM runs WHERE id = ?", [run_id]).fetchone()
    if run is None:
        return []
    started_at, run_status = run
    counted = {f.source: f for f in figures if f.tried}
    articles = _grouped(
        db,
        "SELECT source, count(*), "
        "sum(CASE WHEN coalesce(text, '') = '' THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN length(coalesce(text, '')) < {int(short_chars)} THEN 1 ELSE 0 END), "
        "sum(CASE WHEN json_extract(provenance, '$.text') LIKE 'profile:%' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN json_extract(provenance, '$.title') LIKE 'profile:%' THEN 1 ELSE 0 END) "
        "FROM articles WHERE run_id = ? AND json_valid(coalesce(provenance, '{}')) "
        "GROUP BY source",
        run_id,
    )
    sightings = _grouped(
        db, "SELECT source, count(*) FROM sightings WHERE run_id = ? GROUP BY source", run_id
    )
    errors = _grouped(
        db,
        "SELECT source, count(*), min(stage || ': ' || coalesce(item, '') || ': ' || message) "
        "FROM run_errors WHERE run_id = ? GROUP BY source",
        run_id,
    )
    rows = []
    for name in sorted(set(articles) | set(sightings) | set(errors) | set(counted)):
        n_art, empty, short, prof_body, prof_title = articles.get(name, (0, 0, 0, 0, 0))
        n_seen = sightings.get(name, (0,))[0]
        n_err, first_error = errors.get(name, (0, None))
        fig = counted.get(name)
        if fig is not None:
            new, dups, items = fig.new, fig.duplicates, fig.items
            n_err = max(n_err, fig.errors)
            # "partial" (some endpoints failed) is not a failure.
            failed = fig.status in FAILED
            first_error = fig.message or first_error
        else:
            new, dups = n_art, n_seen
            items = new + dups
            # Nothing obtained and something went wrong: the source failed this run.
            failed = n_err > 0 and items == 0
        rows.append(
            {
                "run_id": run_id,
                "source": name,
                "at": started_at,
                "run_status": run_status,
                "failed": int(failed),
                "items": items,
                "new": new,
                "duplicates": dups,
                "errors": n_err,
                "stored": n_art,
                "empty_bodies": empty or 0,
                "short_bodies": short or 0,
                "profile_bodies": prof_body or 0,
                "profile_titles": prof_title or 0,
                "first_error": first_error or None,
            }
        )
    return rows


def record_run(
    db: sqlite_utils.Database,
    run_id: str,
    figures: Sequence[SourceFigures],
    *,
    short_chars: int = 200,
) -> None:
    """Write a finished run's ``source_runs`` rows (what the health check reads)."""
    rows = source_runs_for(db, run_id, figures, short_chars=short_chars)
    with writing(db):
        db.execute("DELETE FROM source_runs WHERE run_id = ?", [run_id])
        if rows:
            db["source_runs"].insert_all(rows, pk=("run_id", "source"))


# --------------------------------------------------------------------------- fetch state
def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _fetch_state(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Per-source state kept by the monitor (store/fetchstate.py ``source_state``), if any."""
    if not db["source_state"].exists():
        return {}
    return {str(r["name"]): r for r in db["source_state"].rows if r.get("name")}


# --------------------------------------------------------------------------- health
def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def assess(
    source: str,
    history: Sequence[dict[str, Any]],
    thresholds: Thresholds,
    *,
    state: dict[str, Any] | None = None,
    uses_profile: bool | None = None,
    now: str | None = None,
) -> SourceHealth:
    """Health of one source from its ``source_runs`` rows, newest first."""
    t = thresholds
    h = SourceHealth(source=source, updated_at=now or utcnow())
    hist = list(history)[: t.window]
    h.runs = len(hist)
    if hist:
        h.last_run_at = hist[0]["at"]
        h.new_last_run = hist[0]["new"]
    h.new_in_window = sum(r["new"] for r in hist)
    successes = [r for r in hist if not r["failed"]]
    h.last_success_at = successes[0]["at"] if successes else None
    for r in hist:
        if not r["failed"]:
            break
        h.consecutive_failures += 1
    h.last_error = next((r["first_error"] for r in hist if r.get("first_error")), None)
    with_new = [r for r in hist if r["new"]]
    h.last_new_at = with_new[0]["at"] if with_new else None

    # Zero-new streak, among runs in which the source answered (failures are counted apart).
    streak = 0
    for r in successes:
        if r["new"]:
            break
        streak += 1
    h.zero_new_runs = streak
    before = successes[streak:]
    h.usual_runs = len(before)
    if before:
        news = [r["new"] for r in before]
        h.median_new = float(statistics.median(news))
        h.mean_new = round(sum(news) / len(news), 3)

    # Extraction canary: pool the latest runs that stored articles; older ones are "usual".
    stored = [r for r in successes if r["stored"]]
    recent: list[dict[str, Any]] = []
    arts = 0
    for r in stored:
        if len(recent) >= t.canary_runs or arts >= t.canary_min_articles:
            break
        recent.append(r)
        arts += r["stored"]
    older = stored[len(recent) :]
    h.recent_articles = arts
    if arts:
        h.short_share = _share(sum(r["short_bodies"] for r in recent), arts)
        h.profile_share = _share(sum(r["profile_bodies"] for r in recent), arts)
        h.title_profile_share = _share(sum(r["profile_titles"] for r in recent), arts)
    old_arts = sum(r["stored"] for r in older)
    if old_arts:
        h.usual_short_share = _share(sum(r["short_bodies"] for r in older), old_arts)
        h.usual_profile_share = _share(sum(r["profile_bodies"] for r in older), old_arts)
        h.usual_title_profile_share = _share(sum(r["profile_titles"] for r in older), old_arts)

    if state:
        # The monitor's own count is the authority (it knows runs that stored nothing).
        if state.get("consecutive_failures") is not None:
            h.consecutive_failures = _int(state["consecutive_failures"])
        last_ok = state.get("last_success_at")
        if last_ok and (h.last_success_at is None or str(last_ok) > h.last_success_at):
            h.last_success_at = str(last_ok)
        if state.get("last_error") and h.consecutive_failures:
            h.last_error = str(state["last_error"])
        h.next_due = state.get("next_due_at") or None

    _judge(h, t, uses_profile)
    return h


def _judge(h: SourceHealth, t: Thresholds, uses_profile: bool | None) -> None:
    if h.consecutive_failures >= t.failures:
        h.reasons["failing"] = f"failed {h.consecutive_failures} runs in a row" + (
            f" (last error: {h.last_error[:200]})" if h.last_error else ""
        )
    rate = h.mean_new
    if (
        rate
        and h.usual_runs >= t.min_history
        and h.zero_new_runs >= t.silent_min_runs
        and rate * h.zero_new_runs >= t.silent_expected
    ):
        h.reasons["silent"] = (
            f"no new articles in {h.zero_new_runs} runs; usually {rate:g} per run "
            f"(median {h.median_new:g})"
        )
    if h.recent_articles >= t.canary_min_articles:
        layout: list[str] = []
        matched_before = (
            h.usual_profile_share is not None and h.usual_profile_share >= t.profile_share_usual
        ) or (h.usual_profile_share is None and uses_profile)
        if matched_before and (h.profile_share or 0) < t.profile_share_low:
            layout.append(
                f"only {h.profile_share or 0:.0%} of recent bodies came from the site profile "
                + (
                    f"(usually {h.usual_profile_share:.0%})"
                    if h.usual_profile_share is not None
                    else "(it has one)"
                )
            )
        title_before = (
            h.usual_title_profile_share is not None
            and h.usual_title_profile_share >= t.profile_share_usual
        )
        if title_before and (h.title_profile_share or 0) < t.profile_share_low:
            layout.append(
                f"only {h.title_profile_share or 0:.0%} of recent titles came from the profile "
                f"(usually {h.usual_title_profile_share:.0%})"
            )
        usual_short = h.usual_short_share or 0.0
        if (h.short_share or 0) >= t.short_share and (h.short_share or 0) - usual_short >= 0.3:
            layout.append(
                f"{h.short_share:.0%} of recent bodies are empty or shorter than "
                f"{t.short_chars} characters (usually {usual_short:.0%})"
            )
        if layout:
            h.reasons["layout"] = "extraction canary: " + "; ".join(layout)
    if h.conditions:
        h.status = h.conditions[0]
    elif h.runs == 0:
        h.status = "unknown"
    elif h.runs < t.min_history:
        h.status = "new"
    else:
        h.status = "ok"


def _runs_in_scope(
    db: sqlite_utils.Database, flows: Sequence[str], include_run: str | None, limit: int
) -> list[str]:
    marks = ", ".join("?" for _ in flows)
    sql = (
        f"SELECT id FROM runs WHERE flow IN ({marks}) AND "
        f"(status IN ({', '.join('?' for _ in FINISHED)}) OR id = ?) "
        "ORDER BY started_at DESC, rowid DESC LIMIT ?"
    )
    return [r[0] for r in db.execute(sql, [*flows, *FINISHED, include_run or "", limit])]


def refresh(
    db: sqlite_utils.Database,
    *,
    thresholds: Thresholds | None = None,
    sources: Iterable[str] | None = None,
    profiles: dict[str, bool] | None = None,
    run_id: str | None = None,
    flows: Sequence[str] = HEALTH_FLOWS,
) -> list[SourceHealth]:
    """Rewrite ``source_health`` from the ``source_runs`` rows of recent runs.

    ``sources``: the configured sources (listed even before their first run; sources no
    longer configured keep their row while they have history). ``profiles``: which sources
    have a site profile, so the canary can speak before any history exists. ``run_id``: a
    run still marked 'running' to include (when called from inside that run).
    """
    t = thresholds or Thresholds()
    now = utcnow()
    # Enough runs for every source's window even when a run covers only some sources.
    run_ids = _runs_in_scope(db, flows, run_id, limit=max(t.window * 5, 100))
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    if run_ids:
        marks = ", ".join("?" for _ in run_ids)
        recorded = [
            dict(r)
            for r in db.query(f"SELECT * FROM source_runs WHERE run_id IN ({marks})", run_ids)
        ]
        have = {r["run_id"] for r in recorded}
        rows.extend(recorded)
        missing = [rid for rid in run_ids if rid not in have]
    fresh: list[dict[str, Any]] = []
    for rid in missing:
        # A run that recorded no figures (killed, or still going): what its rows say.
        fresh.extend(source_runs_for(db, rid, short_chars=t.short_chars))
    rows.extend(fresh)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    for hist in by_source.values():
        hist.sort(key=lambda r: r["at"] or "", reverse=True)
    names = set(by_source) | set(sources or ())
    state = _fetch_state(db)
    profiles = profiles or {}
    healths = [
        assess(
            name,
            by_source.get(name, []),
            t,
            state=state.get(name),
            uses_profile=profiles.get(name),
            now=now,
        )
        for name in sorted(names)
    ]
    with writing(db):
        if fresh:
            db["source_runs"].upsert_all(fresh, pk=("run_id", "source"))
        db.execute("DELETE FROM source_health")
        if healths:
            db["source_health"].insert_all([h.row() for h in healths], pk="source")
    return healths


def read_health(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The last refreshed health rows (for `newsmon status` without recomputing)."""
    if not db["source_health"].exists():
        return []
    return list(db["source_health"].rows_where(order_by="source"))


# --------------------------------------------------------------------------- alerts
@dataclass
class Alert:
    """A condition worth telling someone about, once, until it clears."""

    source: str
    condition: str
    title: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    opened_at: str | None = None
    sent_to: int = 0
    failed_to: int = 0
    delivery: list[dict[str, Any]] = field(default_factory=list)


def alert_for(h: SourceHealth, condition: str) -> Alert:
    """The words of an alert: what happened to which source, and what to look at."""
    what = {
        "failing": "is failing",
        "silent": "has gone quiet",
        "layout": "may have changed its layout",
    }[condition]
    problem = h.reasons.get(condition, condition)
    hints = {
        "failing": "Check the source's URL and the run_errors table.",
        "silent": "Check its feed or listing page, and whether its URLs moved.",
        "layout": "Open a recent article and compare it with the site profile's selectors.",
    }
    message = (
        f"{problem}.\n"
        f"Last success: {h.last_success_at or 'never'}; last new article: "
        f"{h.last_new_at or 'never'}.\n{hints[condition]}"
    )
    details = {
        k: v for k, v in asdict(h).items() if k not in ("reasons", "updated_at") and v is not None
    }
    return Alert(
        source=h.source,
        condition=condition,
        title=f"newsmon: {h.source} {what}",
        message=message,
        details=details,
    )


def open_alerts(db: sqlite_utils.Database) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r["source"], r["condition"]): r
        for r in db["alerts"].rows_where("state = 'open'", order_by="id")
    }


def plan_alerts(
    db: sqlite_utils.Database, healths: Sequence[SourceHealth]
) -> tuple[list[Alert], list[int]]:
    """Alerts to raise now (conditions without an open alert) and open alert ids now clear."""
    current = {(h.source, c): h for h in healths for c in h.conditions}
    known = {h.source for h in healths}
    already = open_alerts(db)
    to_raise = [alert_for(h, c) for (s, c), h in current.items() if (s, c) not in already]
    cleared = [
        row["id"]
        for key, row in already.items()
        if key not in current and key[0] in known  # a source with no data says nothing
    ]
    return to_raise, cleared


def record_alert(db: sqlite_utils.Database, alert: Alert, *, run_id: str | None = None) -> int:
    """Store an alert as open (before sending, so a crash never sends it twice)."""
    alert.opened_at = alert.opened_at or utcnow()
    with writing(db):
        cur = db.execute(
            "INSERT INTO alerts (source, condition, state, title, message, details, opened_at, "
            "run_id, sent_to, failed_to, delivery) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, 0, 0, ?)",
            [
                alert.source,
                alert.condition,
                alert.title,
                alert.message,
                json.dumps(alert.details, ensure_ascii=False, default=str),
                alert.opened_at,
                run_id,
                "[]",
            ],
        )
    alert.id = cur.lastrowid
    return alert.id


def record_delivery(db: sqlite_utils.Database, alert: Alert) -> None:
    with writing(db):
        db.execute(
            "UPDATE alerts SET sent_to = ?, failed_to = ?, delivery = ? WHERE id = ?",
            [
                alert.sent_to,
                alert.failed_to,
                json.dumps(alert.delivery, ensure_ascii=False),
                alert.id,
            ],
        )


def clear_alerts(db: sqlite_utils.Database, ids: Sequence[int]) -> None:
    """Close alerts whose condition has cleared, so a recurrence is sent again."""
    if not ids:
        return
    marks = ", ".join("?" for _ in ids)
    with writing(db):
        db.execute(
            f"UPDATE alerts SET state = 'cleared', cleared_at = ? WHERE id IN ({marks})",
            [utcnow(), *ids],
        )
