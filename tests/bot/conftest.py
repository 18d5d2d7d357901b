"""Fixtures shared by the alert tests (test_alerts.py, test_notifier.py): a contract with warnings at
50/75/90 %, a breach and one escalation level, the Slack emulator on a :class:`ManualClock`, and a
:class:`World` holding the ticket service, a sweeper and a notifier (on SQLite and PostgreSQL through
the root ``uow`` fixture). Test modules import the names with ``from tests.bot.conftest import ...``
(pytest's importlib mode registers this module under that name)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.clock import ManualClock
from bot.emulator import SlackEmulator
from bot.services.alerts import Sweeper
from bot.services.tickets import TicketService
from handlers.notifier import Notifier, notifier_web_client
from sla.contracts import ContractBook, load_contracts_text
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0TEAM0001"
SUPPORT = "C0ACME0001"
ALERTS = "C0ALERTS01"
#: an internal channel (the alert channel of another contract): a ticket's thread there is staff-only
TRIAGE = "C0TRIAGE01"
SWEEP = timedelta(seconds=60)
# Monday 2026-03-02 08:00 UTC = 09:00 in Berlin (CET)
MONDAY_9_BERLIN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

CONTRACTS = contract_file(
    calendars='office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}',
    clients="""
        acme: {name: Acme, channels: [C0ACME0001], contract: gold}
        ours: {name: Our own, channels: [C0OURS0001], contract: internal}
    """,
    gold="""
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
    """,
    internal="""
        alerts: {channel: C0TRIAGE01}
        targets:
          P3: {first_response: 1d}
    """,
)


@dataclass
class World:
    clock: ManualClock
    slack: SlackEmulator
    uow: UnitOfWork
    book: ContractBook
    tickets: TicketService
    sweeper: Sweeper
    notifier: Notifier

    def open(self, priority: str, *, thread: bool = True, channel: str = SUPPORT) -> str:
        """An Acme ticket in a thread of ``channel`` (the client's own by default; :data:`TRIAGE`: internal)."""
        ts = None
        if thread:
            ts = self.slack.post_user_message(channel, "U0CLIENT01", "help, it's broken")["ts"]
        state = self.tickets.open(
            team_id=TEAM,
            client_key="acme",
            source="slack_thread",
            priority=priority,
            title="Printer on fire",
            channel_id=channel if thread else None,
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
        """slabot_alert messages in a channel (thread replies included) as they are now, oldest first —
        one per timer and place, since a timer's later alerts update its message (:meth:`deliveries`)."""
        return [
            m
            for m in self.slack.messages(channel)
            if (m.get("metadata") or {}).get("event_type") == "slabot_alert"
            and ":status" not in m["metadata"]["event_payload"]["key"]
            and not m["metadata"]["event_payload"]["key"].endswith("#page")
        ]

    def deliveries(self, channel: str = ALERTS) -> list[dict[str, Any]]:
        """Every alert as delivered to a channel, oldest first: each successful chat.postMessage or
        chat.update of a slabot_alert (status cards and breach pages left out) as a message dict whose
        ``ts`` is the instant of the call (an update's message keeps its first ts in Slack)."""
        out = []
        threads: dict[str, str | None] = {}  # a posted message's ts -> its thread_ts (updates carry none)
        for call in self.slack.calls:
            if call.method == "chat.postMessage" and call.ok:
                threads[str(call.response.get("ts"))] = call.args.get("thread_ts")
            if call.method not in ("chat.postMessage", "chat.update") or not call.ok:
                continue
            if call.args.get("channel") != channel:
                continue
            metadata = call.args.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            key = (metadata.get("event_payload") or {}).get("key", "")
            if metadata.get("event_type") != "slabot_alert" or ":status" in key or key.endswith("#page"):
                continue
            out.append(
                {
                    "ts": f"{call.at.timestamp():.6f}",
                    "metadata": metadata,
                    "text": call.args.get("text", ""),
                    "blocks": call.args.get("blocks"),
                    "thread_ts": call.args.get("thread_ts") or threads.get(str(call.args.get("ts"))),
                    "method": call.method,
                }
            )
        return out


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
        for channel, name in ((SUPPORT, "support-acme"), (ALERTS, "sla-alerts"), (TRIAGE, "triage")):
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
