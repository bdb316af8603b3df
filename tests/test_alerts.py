"""Alerts through Apprise to a real HTTP endpoint on 127.0.0.1: payload, once per condition."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlite_utils

import store
from flows import alerts
from flows.config import parse_config
from store import health, schema
from tests.test_health import Runs


class Inbox:
    """A tiny webhook receiver: every POST body is kept; status can be switched to 500."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                inbox.received.append(
                    {"path": self.path, "json": json.loads(body), "headers": dict(self.headers)}
                )
                self.send_response(inbox.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "hooks/newsmon") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inbox():
    box = Inbox()
    yield box
    box.close()


@pytest.fixture
def db(tmp_path) -> sqlite_utils.Database:
    schema.register(health.migrate)
    database = store.open_db(tmp_path / "alerts.db")
    yield database
    database.close()


CONFIG = """
[settings]
db = "data/x.db"

[[sources]]
name = "report"
feeds = ["https://report.example/rss"]

[[sources]]
name = "trend"
feeds = ["https://trend.example/rss"]
profile = "trend"
"""


def _fail(runs: Runs, n: int) -> None:
    for _ in range(n):
        runs.run({"report": {"errors": 1, "items": 0}, "trend": {"new": 2}})


def test_failing_source_is_alerted_once_until_it_clears(db, inbox, monkeypatch):
    monkeypatch.delenv(alerts.ENV_URLS, raising=False)
    config = parse_config(CONFIG)
    runs = Runs(db)
    _fail(runs, 2)
    assert alerts.check_and_alert(db, config, urls=[inbox.url()]) == []
    assert inbox.received == []

    _fail(runs, 1)
    raised = alerts.check_and_alert(db, config, urls=[inbox.url()])
    assert [(a.source, a.condition) for a in raised] == [("report", "failing")]
    assert len(inbox.received) == 1
    hit = inbox.received[0]
    assert hit["path"] == "/hooks/newsmon"
    payload = hit["json"]
    assert payload["title"] == "newsmon: report is failing"
    assert payload["type"] == "warning"
    assert "failed 3 runs in a row" in payload["message"]
    assert "connection refused" in payload["message"]
    assert "Last success: never" in payload["message"]
    row = db["alerts"].get(raised[0].id)
    assert (row["state"], row["sent_to"], row["failed_to"]) == ("open", 1, 0)
    delivery = json.loads(row["delivery"])
    assert delivery[0]["ok"] is True and delivery[0]["url"].startswith("json://127.0.0.1")

    # Still failing: nothing more is sent.
    _fail(runs, 2)
    assert alerts.check_and_alert(db, config, urls=[inbox.url()]) == []
    assert len(inbox.received) == 1

    # It recovers: the alert is closed, quietly.
    runs.run({"report": {"new": 1}, "trend": {"new": 2}})
    assert alerts.check_and_alert(db, config, urls=[inbox.url()]) == []
    assert db["alerts"].get(raised[0].id)["state"] == "cleared"
    assert len(inbox.received) == 1

    # And fails again: a new alert is sent.
    _fail(runs, 3)
    again = alerts.check_and_alert(db, config, urls=[inbox.url()])
    assert [(a.source, a.condition) for a in again] == [("report", "failing")]
    assert len(inbox.received) == 2
    assert db["alerts"].count == 2


def test_failed_delivery_is_recorded_and_not_retried_every_run(db, inbox):
    runs = Runs(db)
    _fail(runs, 3)
    inbox.status = 500
    raised = alerts.check_and_alert(db, None, urls=[inbox.url(), "notascheme://x"])
    assert len(raised) == 1
    row = db["alerts"].get(raised[0].id)
    assert (row["sent_to"], row["failed_to"]) == (0, 2)
    errors = [d["error"] for d in json.loads(row["delivery"])]
    assert errors == ["delivery failed", "not a valid Apprise URL"]
    # The alert is on record (status, Datasette): the next run does not resend it.
    inbox.status = 200
    assert alerts.check_and_alert(db, None, urls=[inbox.url()]) == []


def test_layout_alert_for_a_profile_that_stopped_matching(db, inbox):
    runs = Runs(db)
    for _ in range(4):
        runs.run({"trend": {"new": 3, "via": "profile:trend"}})
    runs.run({"trend": {"new": 3, "via": "trafilatura"}})
    raised = alerts.check_and_alert(db, parse_config(CONFIG), urls=[inbox.url()])
    assert [(a.source, a.condition) for a in raised] == [("trend", "layout")]
    assert inbox.received[0]["json"]["title"] == "newsmon: trend may have changed its layout"
    assert "site profile" in inbox.received[0]["json"]["message"]


def test_urls_come_from_the_environment(monkeypatch, inbox, tmp_path):
    monkeypatch.setenv(alerts.ENV_URLS, f"{inbox.url('a')}, {inbox.url('b')}")
    assert alerts.alert_urls(None) == [inbox.url("a"), inbox.url("b")]
    schema.register(health.migrate)
    path = tmp_path / "env.db"
    database = store.open_db(path)
    _fail(Runs(database), 3)
    database.close()
    raised = alerts.check_and_alert(str(path), None)
    assert raised[0].sent_to == 2
    assert sorted(h["path"] for h in inbox.received) == ["/a", "/b"]


def test_alerts_without_urls_are_still_recorded(db, monkeypatch):
    monkeypatch.delenv(alerts.ENV_URLS, raising=False)
    _fail(Runs(db), 3)
    raised = alerts.check_and_alert(db, None)
    assert len(raised) == 1 and raised[0].sent_to == 0
    assert db["alerts"].get(raised[0].id)["state"] == "open"


def test_secrets_do_not_reach_the_store():
    shown = alerts._redacted("json://user:sekrit-password@127.0.0.1:9/x")
    assert "sekrit-password" not in shown
