"""POST /webhooks/alertmanager through the real WSGI app on a real socket: authentication, bad
payloads (400, nothing stored), idempotent repeats, firing → resolved, and the result in /sla."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.server import BackgroundServer
from bot.services.incidents import UptimeService
from bot.settings import Settings
from handlers.commands import Caller, answer
from tests.support.http import json_call

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "am-webhook-secret-0123"
TEAM = "T0ALERTS01"
PATH = "/webhooks/alertmanager"


@dataclass
class Web:
    runtime: Runtime
    url: str
    clock: ManualClock

    @property
    def uptime(self) -> UptimeService:
        return self.runtime.services.extras["uptime"]

    def post(
        self, payload: Any, *, auth: str | None = f"Bearer {TOKEN}", query: str = ""
    ) -> tuple[int, dict]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth
        return json_call(self.url + PATH + query, data=body, headers=headers, timeout=10)

    def incidents(self) -> list:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            return tx.incidents.overlapping(
                team_id=TEAM, start=datetime(2000, 1, 1, tzinfo=UTC), end=datetime(2100, 1, 1, tzinfo=UTC)
            )


def _runtime(tmp_path: Path, clock: ManualClock, **env: str) -> Runtime:
    settings = Settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'am.db'}",
        SLABOT_CONTRACTS=str(ROOT / "examples" / "contracts.yaml"),
        SLABOT_SCHEDULER=False,
        **env,
    )
    return bootstrap(settings, clock=clock)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    clock = ManualClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    runtime = _runtime(tmp_path, clock, SLABOT_ALERTMANAGER_TOKEN=TOKEN, SLABOT_ALERTMANAGER_TEAM=TEAM)
    with BackgroundServer(runtime.web) as server:
        yield Web(runtime, server.url, clock)


@pytest.fixture(scope="module")
def refusing_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """One app for the tests that must store nothing (401s, 400s): each checks the store stays empty."""
    clock = ManualClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    runtime = _runtime(
        tmp_path_factory.mktemp("refusing"),
        clock,
        SLABOT_ALERTMANAGER_TOKEN=TOKEN,
        SLABOT_ALERTMANAGER_TEAM=TEAM,
    )
    with BackgroundServer(runtime.web) as server:
        yield Web(runtime, server.url, clock)


def am_alert(status: str = "firing", *, fingerprint: str = "c0ffee1234abcd", **labels: str) -> dict:
    alert = {
        "status": status,
        "labels": {"alertname": "PlatformDown", "severity": "critical", "slabot_service": "Platform support"}
        | labels,
        "annotations": {"summary": "Platform health check failing"},
        "startsAt": "2026-11-24T09:00:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-24T09:45:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up%3D%3D0",
        "fingerprint": fingerprint,
    }
    return alert


def payload(*alerts: dict, status: str = "firing") -> dict:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="PlatformDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "slabot",
        "groupLabels": {"alertname": "PlatformDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


def test_firing_then_resolved_opens_and_closes_one_incident_idempotently(web: Web) -> None:
    status, body = web.post(payload(am_alert()))
    assert (status, body["opened"], body["unchanged"]) == (200, 1, 0)
    assert web.post(payload(am_alert()))[1] == {
        "ok": True,
        "opened": 0,
        "resolved": 0,
        "unchanged": 1,
        "incidents": [],
    }
    (incident,) = web.incidents()
    assert (incident.service, incident.client_key, incident.ended_at) == ("Platform support", "acme", None)
    assert incident.started_at == datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=UTC)
    assert incident.reason == "Platform health check failing" and incident.source == "alertmanager"

    web.clock.advance(timedelta(minutes=20))
    status, body = web.post(payload(am_alert("resolved"), status="resolved"))
    assert (status, body["resolved"]) == (200, 1)
    assert (
        web.post(payload(am_alert("resolved"), status="resolved"))[1]["unchanged"] == 1
    )  # Alertmanager repeats
    assert web.post(payload(am_alert()))[1]["unchanged"] == 1  # a late firing does not reopen it
    (incident,) = web.incidents()
    assert incident.ended_at == datetime(2026, 11, 24, 9, 45, tzinfo=UTC)
    with web.runtime.services.uow.begin(read_only=True) as tx:
        actions = [e.action for e in tx.audit.list(team_id=TEAM, target=f"incident:{incident.id}")]
    assert actions == ["incident.alert_resolved", "incident.alert_firing"]
    with web.runtime.services.uow.begin(read_only=True) as tx:  # acme's alert channel told once of each
        notices = {
            event: tx.outbox.get_by_key(
                team_id=TEAM, idempotency_key=f"incident:{incident.id}:{event}:C0ALERTS01"
            )
            for event in ("opened", "resolved", "recorded")
        }
    assert notices["opened"] is not None and notices["opened"].channel_id == "C0ALERTS01"
    assert notices["resolved"] is not None and notices["recorded"] is None
    assert (
        notices["opened"]
        .payload["text"]
        .startswith("Incident: Platform support (acme) down since Tue 24 Nov 10:00 CET")
    )

    # and /sla incident list shows the month's uptime with it: 45 min down of 24 days 9.5 h so far
    caller = Caller(team_id=TEAM, user_id="U0AGENT001", channel_id="C0SUPPORT1", is_agent=True)
    text = answer(web.runtime.services, caller, "incident list").text
    measured = (
        web.clock.now() - datetime(2026, 10, 31, 23, tzinfo=UTC)
    ).total_seconds()  # Berlin month start
    percent = (measured - (45 * 60 - 0.123456)) / measured * 100
    assert f"Platform support: {percent:.2f} %" in text and "No open incident." in text


def test_basic_auth_with_the_token_as_password_is_accepted(web: Web) -> None:
    basic = "Basic " + base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()
    assert web.post(payload(am_alert()), auth=basic)[0] == 200


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        f"Token {TOKEN}",
        "Basic " + base64.b64encode(b"alertmanager:nope").decode(),
        "Basic not-base64!!",
    ],
)
def test_without_the_token_it_is_401_and_nothing_is_stored(refusing_web: Web, auth: str | None) -> None:
    status, body = refusing_web.post(payload(am_alert()), auth=auth)
    assert status == 401 and body["ok"] is False
    assert refusing_web.incidents() == []


def test_an_unconfigured_webhook_refuses_everything(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, ManualClock(datetime(2026, 11, 24, tzinfo=UTC)))
    with BackgroundServer(runtime.web) as server:
        status, body = Web(runtime, server.url, ManualClock(datetime(2026, 11, 24, tzinfo=UTC))).post(
            payload(am_alert()), auth="Bearer "
        )
    assert status == 401 and "SLABOT_ALERTMANAGER_TOKEN" in body["error"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"version": "4"}, "'alerts' must be a list"),
        ({**payload(am_alert()), "version": "3"}, "version '3' is not supported"),
    ],
)
def test_an_unreadable_payload_is_400_with_the_reason_and_nothing_is_stored(
    refusing_web: Web, body: Any, reason: str
) -> None:
    status, answer_body = refusing_web.post(body)
    assert status == 400, answer_body
    assert reason in json.dumps(answer_body, ensure_ascii=False)
    assert refusing_web.incidents() == []


@pytest.mark.parametrize(
    ("bad", "reason", "problem"),
    [
        (am_alert("pending", fingerprint="b1"), "malformed", "alerts[1].status"),
        (
            am_alert(slabot_service="Platfrom support", fingerprint="b2"),
            "unmapped_value",
            "did you mean 'Platform support'",
        ),
        (
            am_alert(slabot_client="globex", fingerprint="b3"),
            "unmapped_value",
            "globex's contract does not cover 'Platform support'",
        ),
        (am_alert(slabot_client="acne", fingerprint="b4"), "unmapped_value", "did you mean 'acme'"),
        (am_alert(fingerprint=""), "malformed", "alerts[1].fingerprint"),
        ({**am_alert(fingerprint="b5"), "startsAt": "yesterday"}, "malformed", "alerts[1].startsAt"),
        (
            {**am_alert("resolved", fingerprint="b6"), "endsAt": "2026-11-24T08:00:00Z"},
            "malformed",
            "before startsAt",
        ),
        (
            {**am_alert(fingerprint="b7"), "labels": {"alertname": "DiskFull"}},
            "not_covered",
            "no slabot_service label",
        ),
    ],
)
def test_a_bad_alert_is_reported_and_the_rest_of_its_group_recorded(
    web: Web, bad: dict, reason: str, problem: str
) -> None:
    status, answer_body = web.post(payload(am_alert(fingerprint="good"), bad))
    assert status == 200, answer_body
    assert answer_body["opened"] == 1  # the good alert of the group
    (ignored,) = answer_body["ignored"]
    assert ignored["reason"] == reason and problem in ignored["detail"], ignored
    assert len(web.incidents()) == 1
    assert web.runtime.services.intake.count("alertmanager", reason) == 1


def test_a_shared_service_without_client_label_counts_for_every_client(web: Web) -> None:
    alert = am_alert(slabot_service="data exports", fingerprint="dd01")
    assert web.post(payload(alert))[0] == 200
    (incident,) = web.incidents()
    assert (incident.service, incident.client_key) == (
        "Data exports",
        "acme",
    )  # only acme's contract covers it


def test_the_workspace_comes_from_the_url_or_the_only_one_known(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    runtime = _runtime(tmp_path, clock, SLABOT_ALERTMANAGER_TOKEN=TOKEN)
    with BackgroundServer(runtime.web) as server:
        web = Web(runtime, server.url, clock)
        status, body = web.post(payload(am_alert()))
        assert status == 400 and "?team=" in body["error"]  # no workspace yet
        assert web.post(payload(am_alert()), query="?team=T0NOSUCH1")[0] == 400
        with runtime.services.uow.begin() as tx:
            tx.workspaces.upsert(team_id=TEAM, name="Acme support", installed_at=clock.now())
        assert web.post(payload(am_alert()))[0] == 200  # the only workspace
        assert web.post(payload(am_alert(fingerprint="beef")), query=f"?team={TEAM}")[1]["opened"] == 1
    assert len(web.incidents()) == 2
