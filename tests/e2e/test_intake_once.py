"""Slack redelivers an event whose ack was late, sometimes while the first delivery is still being
handled: one client message delivered 10 times at once (and again with Slack's retry headers) through
the signed HTTP endpoint opens one ticket and posts one "Tracking as" note."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import inbound
from tests.e2e.slack_harness import SlackApp, support_app

SECRET = "intake-signing-secret"
AGENT, CLIENT = "U0AGENT001", "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(tmp_path, monkeypatch, secret=SECRET) as app:
        yield app


def _tickets(app: SlackApp) -> list:
    with app.runtime.services.uow.begin(read_only=True) as tx:
        return tx.tickets.page(team_id=TEAM)


def test_one_message_delivered_ten_times_at_once_is_one_ticket_and_one_note(app: SlackApp) -> None:
    text = "Exports fail for everyone"
    ts = app.slack.post_user_message(SUPPORT, CLIENT, text)["ts"]
    body = inbound.event_callback(inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM, event_id="EvDup1")
    start = threading.Barrier(10)
    statuses: list[int] = []

    def deliver(n: int) -> None:
        start.wait()
        statuses.append(app.post(body, retry_num=n if n else None)[0])

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 10
    app.wait_for(lambda: len(app.slack.thread(SUPPORT, ts)) >= 2, deliver=True)
    # and the late retries Slack sends after a minute, five minutes, half an hour
    for retry in (1, 2, 3):
        assert app.post(body, retry_num=retry)[0] == 200
    # a different event id for the same message (Slack can wrap one message in several deliveries)
    other = inbound.event_callback(inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM, event_id="EvDup2")
    assert app.post(other)[0] == 200
    for _ in range(3):
        app.deliver()
    assert [t.ref for t in _tickets(app)] == ["T-1"]
    replies = [m.get("text", "") for m in app.slack.thread(SUPPORT, ts)[1:]]
    assert sum("Tracking as" in text for text in replies) == 1, replies


def test_a_replayed_signed_sla_start_opens_one_ticket(app: SlackApp) -> None:
    body = inbound.slash_command("start P2 acme Printer on fire", AGENT, SUPPORT)
    stamp = int(time.time())
    first = app.post(body, timestamp=stamp)
    assert first[0] == 200 and "T-1" in first[1]
    for _ in range(3):  # the same signed request again within its five minutes: answered once
        status, text = app.post(body, timestamp=stamp)
        assert status == 200 and "T-" not in text
    assert app.post(body, timestamp=stamp + 1)[0] == 200  # a new request (a new signature) is a new command
    assert [t.ref for t in _tickets(app)] == ["T-1", "T-2"]
