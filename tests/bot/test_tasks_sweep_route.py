"""POST /tasks/sweep: one sweep + notifier pass, only for App Engine's cron (on App Engine) or the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import tasks
from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator.inbound import DEFAULT_TEAM_ID as TEAM
from bot.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from tests.support.http import json_call
from tests.support.settings import example_settings


def _post(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    return json_call(url + tasks.PATH, data=b"", headers=headers)


def _runtime(tmp_path: Path, slack: SlackEmulator, clock: ManualClock, **extra: object) -> Runtime:
    settings = example_settings(
        tmp_path / "tasks.db",
        SLACK_BOT_TOKEN="xoxb-tasks",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=slack.url,
        **extra,
    )
    return bootstrap(settings, clock=clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(clock=clock, auto_create_channels=True) as emulator:
        yield emulator


def test_the_token_runs_one_sweep_that_delivers_due_alerts(
    tmp_path: Path, slack: SlackEmulator, clock: ManualClock
) -> None:
    runtime = _runtime(tmp_path, slack, clock, SLABOT_TASKS_TOKEN="cron-secret")
    runtime.services.tickets.open(
        team_id=TEAM, client_key="acme", source="import", priority="P1", title="Checkout down"
    )
    clock.advance(timedelta(hours=6))  # well past P1's first-response target: warnings and a breach are due
    with BackgroundServer(runtime.web) as server:
        assert _post(server.url, {})[0] == 401
        assert _post(server.url, {"Authorization": "Bearer wrong"})[0] == 401
        assert _post(server.url, {"X-Appengine-Cron": "true"})[0] == 401  # not on App Engine: not trusted
        assert slack.calls_to("chat.postMessage") == []
        status, body = _post(server.url, {"Authorization": "Bearer cron-secret"})
        assert status == 200 and body["ok"] and body["sweep"]["enqueued"] >= 1
        assert slack.calls_to("chat.postMessage")
        posted = len(slack.calls_to("chat.postMessage"))
        status, body = _post(server.url, {"Authorization": "Bearer cron-secret"})
        assert status == 200 and len(slack.calls_to("chat.postMessage")) == posted  # nothing twice


def test_app_engine_cron_header_is_trusted_only_on_app_engine(
    tmp_path: Path, slack: SlackEmulator, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAE_APPLICATION", "e~slabot-test")
    runtime = _runtime(tmp_path, slack, clock)
    with BackgroundServer(runtime.web) as server:
        assert _post(server.url, {})[0] == 401
        status, body = _post(server.url, {"X-Appengine-Cron": "true"})
        assert status == 200 and body["ok"]


def test_without_any_way_to_authenticate_the_route_is_closed(
    tmp_path: Path, slack: SlackEmulator, clock: ManualClock
) -> None:
    runtime = _runtime(tmp_path, slack, clock)
    with BackgroundServer(runtime.web) as server:
        status, body = _post(server.url, {"X-Appengine-Cron": "true"})
        assert status == 403 and "SLABOT_TASKS_TOKEN" in body["error"]


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict]:
    return json_call(url + tasks.PATH, headers=headers, method="GET")


def test_app_engine_cron_calls_with_get_and_only_it_may(
    tmp_path: Path, slack: SlackEmulator, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cron.yaml's jobs are GET requests (App Engine's cron never POSTs): the sweep runs for them; a GET
    without the cron header — even with the bearer token — is refused, state changes stay on POST."""
    monkeypatch.setenv("GAE_APPLICATION", "e~slabot-test")
    runtime = _runtime(tmp_path, slack, clock, SLABOT_TASKS_TOKEN="cron-secret")
    runtime.services.tickets.open(
        team_id=TEAM, client_key="acme", source="import", priority="P1", title="Checkout down"
    )
    clock.advance(timedelta(hours=6))
    with BackgroundServer(runtime.web) as server:
        assert _get(server.url, {})[0] == 405
        assert _get(server.url, {"Authorization": "Bearer cron-secret"})[0] == 405
        assert slack.calls_to("chat.postMessage") == []
        status, body = _get(server.url, {"X-Appengine-Cron": "true"})
        assert status == 200 and body["sweep"]["enqueued"] >= 1 and slack.calls_to("chat.postMessage")


def test_off_app_engine_the_cron_header_opens_no_get(
    tmp_path: Path, slack: SlackEmulator, clock: ManualClock
) -> None:
    runtime = _runtime(tmp_path, slack, clock, SLABOT_TASKS_TOKEN="cron-secret")
    with BackgroundServer(runtime.web) as server:
        assert _get(server.url, {"X-Appengine-Cron": "true"})[0] == 405
