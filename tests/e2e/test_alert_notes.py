"""Change notes go through the outbox: a command's note in the ticket's thread survives a Slack
outage (delivered once afterwards), and is not posted twice however often the notifier runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Runtime, bootstrap
from bot.clock import ManualClock
from bot.emulator import inbound
from bot.emulator.server import SlackEmulator
from bot.server import BackgroundServer
from bot.services.alerts import MESSAGE_KIND
from handlers.notifier import Notifier
from storage.models import Notification
from tests.e2e.slack_harness import emulator_workers
from tests.support.settings import example_settings

SECRET = "notes-signing-secret"
AGENT, CLIENT = "U0AGENT001", "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID


@dataclass
class Harness:
    runtime: Runtime
    slack: SlackEmulator
    url: str
    clock: ManualClock
    notifier: Notifier

    def command(self, text: str) -> dict:
        body, content_type = inbound.slash_command(text, AGENT, SUPPORT)
        status, _headers, answer = inbound.post_to_app(self.url, body, content_type, SECRET)
        assert status == 200, answer
        return json.loads(answer)

    def thread_ticket(self) -> str:
        ts = self.slack.post_user_message(SUPPORT, CLIENT, "The dashboard is down")["ts"]
        body, content_type = inbound.event_callback(
            inbound.message_event(SUPPORT, CLIENT, "The dashboard is down", ts), TEAM, event_id="Ev1"
        )
        inbound.post_to_app(self.url, body, content_type, SECRET)
        deadline = time.monotonic() + 5
        while (
            self.runtime.services.tickets.state_by_thread(team_id=TEAM, channel_id=SUPPORT, thread_ts=ts)
            is None
        ):
            assert time.monotonic() < deadline, "the thread did not open a ticket"
            time.sleep(0.02)
        return ts

    def notes(self, ts: str) -> list[dict]:
        return [
            m
            for m in self.slack.thread(SUPPORT, ts)
            if (m.get("metadata") or {}).get("event_type") == "slabot_message"
        ]

    def deliver(self, seconds: int, step: int = 1) -> None:
        for _ in range(0, seconds, step):
            self.clock.advance(timedelta(seconds=step))
            self.notifier.run_once()


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    clock = ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        for user in (AGENT, CLIENT):
            slack.add_user(user, user.lower())
        slack.add_channel(SUPPORT, "acme-support", members=[AGENT, CLIENT])
        settings = example_settings(
            tmp_path / "notes.db",
            SLACK_BOT_TOKEN="xoxb-notes",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
        )
        runtime = bootstrap(settings, clock=clock)
        _, notifier = emulator_workers(runtime, slack.url, worker_id="notes-1", token="xoxb-notes")
        with BackgroundServer(runtime.web) as server:
            yield Harness(runtime, slack, server.url, clock, notifier)


def test_a_commands_note_survives_a_slack_outage_and_is_posted_once(harness: Harness) -> None:
    ts = harness.thread_ticket()
    harness.deliver(2)
    opened = harness.notes(ts)  # the thread's own "opened" note goes through the outbox too
    assert len(opened) == 1 and "T-1" in opened[0]["text"]
    harness.slack.outage_for(300, status=503)
    answer = harness.command("pause T-1 waiting for logs")
    assert "paused" in answer["text"].lower()
    harness.deliver(240, step=10)
    assert harness.notes(ts) == opened  # Slack is down: the note waits in the outbox
    with harness.runtime.services.uow.begin(read_only=True) as tx:
        pending = list(tx.session.scalars(select(Notification).where(Notification.kind == MESSAGE_KIND)))
    waiting = [(r.state, "note:paused" in r.idempotency_key) for r in pending if r.state != "sent"]
    assert waiting == [("pending", True)]
    harness.deliver(600, step=10)
    notes = harness.notes(ts)[1:]
    assert [("Paused" in n["text"], n["thread_ts"]) for n in notes] == [(True, ts)]
    harness.deliver(120, step=10)
    assert len(harness.notes(ts)) == 2


def test_each_change_leaves_its_own_note_in_order(harness: Harness) -> None:
    ts = harness.thread_ticket()
    harness.command("take T-1")
    harness.clock.advance(timedelta(seconds=1))
    harness.command("pause T-1 waiting for logs")
    harness.clock.advance(timedelta(seconds=1))
    harness.command("resume T-1")
    harness.deliver(10)
    texts = [n["text"] for n in harness.notes(ts)][1:]  # after the thread's "opened" note
    assert len(texts) == 3
    assert "took" in texts[0] and "Paused" in texts[1] and "Resumed" in texts[2]
