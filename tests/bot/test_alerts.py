"""The sweep and the notifier end to end through the Slack emulator, on SQLite and PostgreSQL:
warnings at 50/75/90 %, the breach and the escalation exactly once, in the right channel and thread,
within one sweep of their instant; nothing for a resolved ticket; restart catch-up; quiet hours."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.clock import ManualClock
from bot.emulator import SlackEmulator
from bot.services.alerts import Sweeper, alert_key
from bot.services.notifier import Notifier, notifier_web_client
from bot.services.tickets import TicketService
from sla.contracts import ContractBook, load_contracts_text
from sla.timers import alert_points
from storage.models import NotificationState
from storage.uow import UnitOfWork

TEAM = "T0TEAM0001"
SUPPORT = "C0ACME0001"
ALERTS = "C0ALERTS01"
SWEEP = timedelta(seconds=60)
# Monday 2026-03-02 08:00 UTC = 09:00 in Berlin (CET)
MONDAY_9_BERLIN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

CONTRACTS = """
calendars:
  office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
clients:
  acme: {name: Acme, channels: [C0ACME0001], contract: gold}
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        calendar: 24x7
        warn_at: ["50%", "75%", "90%"]
        alerts:
          channel: C0ALERTS01
          lead: U0LEAD0001
          escalate_to: S0LEADS001
          thread: true
          escalation:
            - {after: 30m, notify: [U0MANAGER1]}
        default_priority: P2
        targets:
          P1: {first_response: 20m, resolution: 8h}
          P2: {first_response: 1h, resolution: 16h, calendar: office}
"""


@dataclass
class World:
    clock: ManualClock
    slack: SlackEmulator
    uow: UnitOfWork
    book: ContractBook
    tickets: TicketService
    sweeper: Sweeper
    notifier: Notifier

    def open(self, priority: str, *, thread: bool = True) -> str:
        ts = None
        if thread:
            ts = self.slack.post_user_message(SUPPORT, "U0CLIENT01", "help, it's broken")["ts"]
        state = self.tickets.open(
            team_id=TEAM,
            client_key="acme",
            source="slack_thread",
            priority=priority,
            title="Printer on fire",
            channel_id=SUPPORT if thread else None,
            thread_ts=ts,
        )
        return state.ticket.ref

    def run(self) -> None:
        self.sweeper.run_once()
        self.notifier.run_once()

    def step_until(self, end: datetime, step: timedelta = SWEEP) -> None:
        while self.clock.now() < end:
            self.clock.advance(step)
            self.run()

    def alerts(self, channel: str = ALERTS) -> list[dict[str, Any]]:
        """slabot_alert messages in a channel (thread replies included), oldest first."""
        return [
            m
            for m in self.slack.messages(channel)
            if (m.get("metadata") or {}).get("event_type") == "slabot_alert"
            and ":status" not in m["metadata"]["event_payload"]["key"]
        ]


def keys(messages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for m in messages:
        body = m["metadata"]["event_payload"]
        out.extend(body.get("keys") or [body["key"]])
    return out


def posted_at(message: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(message["ts"]), UTC)


@pytest.fixture
def world(uow: UnitOfWork) -> Iterator[World]:
    clock = ManualClock(MONDAY_9_BERLIN)
    book = load_contracts_text(CONTRACTS)
    with SlackEmulator(clock=clock) as slack:
        for channel, name in ((SUPPORT, "support-acme"), (ALERTS, "sla-alerts")):
            slack.add_channel(channel, name)
        tickets = TicketService(uow=uow, book=book, clock=clock)
        client = notifier_web_client("xoxb-test", base_url=slack.url)
        clients: dict[str, WebClient] = {TEAM: client}
        yield World(
            clock,
            slack,
            uow,
            book,
            tickets,
            Sweeper(
                uow=uow, book=book, tickets=tickets, clock=clock, worker_id="sweep-1", sweep_interval=SWEEP
            ),
            Notifier(
                uow=uow, book=book, tickets=tickets, clients=clients.__getitem__, clock=clock, worker_id="n-1"
            ),
        )


def expected_points(world: World, ref: str) -> dict[str, datetime]:
    state = world.tickets.state(team_id=TEAM, ref=ref)
    return {p.key: p.at for t in state.timers for p in alert_points(t, state.version)}


def test_warnings_breach_and_escalation_once_each_in_their_places(world: World) -> None:
    ref = world.open("P1")
    points = expected_points(world, ref)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=55))
    for _ in range(3):  # more sweeps at the same instant change nothing
        world.run()

    channel = world.alerts(ALERTS)
    expected = [f"first_response:1:{k}" for k in ("50%", "75%", "90%", "breach", "escalation-1")]
    assert keys(channel) == [alert_key(TEAM, ref, k) for k in expected]
    for message, key in zip(channel, expected, strict=True):
        assert points[key] <= posted_at(message) < points[key] + SWEEP
    breach = channel[3]
    assert "<!subteam^S0LEADS001>" in breach["text"] and "<@U0LEAD0001>" in breach["text"]
    assert "<@U0MANAGER1>" in channel[4]["text"]

    thread_ts = world.tickets.state(team_id=TEAM, ref=ref).ticket.thread_ts
    in_thread = [m for m in world.alerts(SUPPORT) if m.get("thread_ts") == thread_ts]
    assert keys(in_thread) == [
        alert_key(TEAM, ref, f"first_response:1:{k}", "thread") for k in ("50%", "75%", "90%")
    ]


def test_one_live_status_card_per_ticket_updated_in_place(world: World) -> None:
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25))
    ticket = world.tickets.state(team_id=TEAM, ref=ref).ticket
    cards = [
        m
        for m in world.slack.messages(SUPPORT)
        if (m.get("metadata") or {}).get("event_payload", {}).get("key") == f"{TEAM}:{ref}:status"
    ]
    assert len(cards) == 1
    assert ticket.status_message_ts == cards[0]["ts"] and ticket.status_channel_id == SUPPORT
    assert cards[0]["thread_ts"] == ticket.thread_ts
    updates = [c for c in world.slack.calls_to("chat.update") if c.args["ts"] == cards[0]["ts"]]
    assert len(updates) >= 2  # the 75 %, 90 % and breach alerts each refreshed it in place
    assert "breached" in cards[0]["text"]


def test_nothing_for_a_ticket_resolved_before_its_thresholds(world: World) -> None:
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=9))
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.tickets.record(team_id=TEAM, ref=ref, kind="resolved", actor="U0AGENT001")
    world.step_until(MONDAY_9_BERLIN + timedelta(hours=10))
    assert world.alerts(ALERTS) == []


def test_warning_enqueued_but_ticket_resolved_before_delivery_is_not_sent(world: World) -> None:
    ref = world.open("P1")
    world.clock.advance(timedelta(minutes=10, seconds=30))
    world.sweeper.run_once()  # the 50 % warning is in the outbox ...
    world.tickets.record(team_id=TEAM, ref=ref, kind="resolved", actor="U0AGENT001")
    world.notifier.run_once()  # ... and is not delivered
    assert world.alerts(ALERTS) == []
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:50%"))
    assert row is not None and row.state == NotificationState.cancelled.value


def test_restart_catch_up_sends_one_late_warning_then_the_breach_once(world: World) -> None:
    ref = world.open("P2")  # first response 1h in office hours: 30m, 45m, 54m, breach at 60m
    world.clock.advance(timedelta(minutes=58))  # slabot was down through 50 %, 75 % and 90 %
    world.run()
    world.run()
    channel = world.alerts(ALERTS)
    assert keys(channel) == [alert_key(TEAM, ref, "first_response:1:90%")]
    assert "late by 4m" in str(channel[0]["blocks"])
    with world.uow.begin(read_only=True) as tx:
        for skipped in ("50%", "75%"):
            row = tx.outbox.get_by_key(
                team_id=TEAM, idempotency_key=alert_key(TEAM, ref, f"first_response:1:{skipped}")
            )
            assert row is not None and row.state == NotificationState.cancelled.value
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=65))
    # an unrelated change rewrites the projection (next_alert_at back to the earliest point): still nothing twice
    world.tickets.record(team_id=TEAM, ref=ref, kind="client_message", actor="U0CLIENT01")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=68))
    assert keys(world.alerts(ALERTS)) == [
        alert_key(TEAM, ref, "first_response:1:90%"),
        alert_key(TEAM, ref, "first_response:1:breach"),
    ]


def test_restart_after_the_breach_sends_only_the_breach(world: World) -> None:
    ref = world.open("P1")
    world.clock.advance(timedelta(minutes=40))
    world.run()
    world.run()
    sent = keys(world.alerts(ALERTS))
    assert sent == [alert_key(TEAM, ref, "first_response:1:breach")]
    assert "late by 20m" in str(world.alerts(ALERTS)[0]["blocks"])


def test_quiet_hours_business_metric_waits_for_opening_but_24x7_alerts_at_night(world: World) -> None:
    # Monday 16:45 Berlin: a P2 (office hours, first response 1h) and a P1 (24x7, 20m)
    world.clock.set(datetime(2026, 3, 2, 15, 45, tzinfo=UTC))
    office = world.open("P2", thread=False)
    night = world.open("P1", thread=False)
    office_points = expected_points(world, office)
    world.step_until(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), step=timedelta(minutes=5))  # Tue 10:00 Berlin

    by_ref: dict[str, list[datetime]] = {}
    for message in world.alerts(ALERTS):
        ref = message["metadata"]["event_payload"]["key"].split(":")[1]
        by_ref.setdefault(ref, []).append(posted_at(message))
    closed_from, closed_until = (
        datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
    )
    assert by_ref[office], "the office-hours ticket warned in the morning"
    assert not [t for t in by_ref[office] if closed_from <= t < closed_until]
    # 50 % = 30 business minutes: 15 on Monday, 15 on Tuesday from 09:00 Berlin
    assert office_points["first_response:1:50%"] == datetime(2026, 3, 3, 8, 15, tzinfo=UTC)
    assert [t for t in by_ref[night] if closed_from <= t < closed_until], "24x7 alerts at any hour"


def test_each_key_is_enqueued_once_however_often_the_sweep_runs(world: World) -> None:
    world.open("P1")
    world.clock.advance(timedelta(minutes=21))
    for _ in range(5):
        world.sweeper.run_once()
    with world.uow.begin(read_only=True) as tx:
        rows = tx.outbox.claim_due(
            team_id=TEAM, now=world.clock.now(), worker="probe", lease=SWEEP, limit=100
        )
    counts = Counter(r.idempotency_key for r in rows)
    assert counts and max(counts.values()) == 1
