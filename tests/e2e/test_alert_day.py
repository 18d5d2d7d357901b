"""A simulated day: 1,000 tickets over three clients, three priorities and three calendars (Berlin
office, New York office with a lunch break, 24x7). The sweep runs every simulated minute and the
notifier in between, against the Slack emulator. Every expected warning and breach — computed
independently from ``sla.timers.alert_points`` — appears exactly once, within one sweep interval of
its instant, and none falls outside business hours for business-hours metrics."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import SlackEmulator
from bot.services.alerts import Sweeper, alert_key
from bot.services.tickets import TicketService
from handlers.notifier import Notifier, notifier_web_client
from sla.contracts import load_contracts_text
from sla.timers import alert_points
from storage.db import make_engine
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file

TEAM = "T0TEAM0001"
SWEEP = timedelta(seconds=60)
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday
DAY = timedelta(hours=24)
TICKETS = 1000

CONTRACTS = contract_file(
    calendars="""
        berlin: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
        newyork: {timezone: America/New_York, hours: {mon-fri: ["08:00-12:00", "13:00-18:00"]}}
    """,
    clients="""
        acme: {name: Acme, channels: [C0ACME0001], contract: berlin}
        globex: {name: Globex, channels: [C0GLOBEX01], contract: newyork}
        initech: {name: Initech, channels: [C0INITECH1], contract: always}
    """,
    berlin="""
        calendar: berlin
        warn_at: ["50%", "75%", "90%"]
        alerts: {channel: C0ALERTSBE, lead: U0LEADBE01, thread: true}
        default_priority: P3
        targets:
          P1: {first_response: 15m, resolution: 3d, calendar: 24x7}
          P2: {first_response: 1h, resolution: 5d}
          P3: {first_response: 4h, resolution: 5d}
    """,
    newyork="""
        calendar: newyork
        warn_at: ["50%", "90%", "10m"]
        alerts: {channel: C0ALERTSNY, escalate_to: S0LEADSNY1, thread: false}
        default_priority: P3
        targets:
          P1: {first_response: 20m, resolution: 3d, calendar: 24x7}
          P2: {first_response: 2h, resolution: 5d}
          P3: {first_response: 8h, resolution: 5d}
    """,
    always="""
        calendar: 24x7
        warn_at: ["75%"]
        alerts: {channel: C0ALERTSIN, lead: U0LEADIN01, thread: true}
        default_priority: P2
        targets:
          P1: {first_response: 30m, resolution: 3d}
          P2: {first_response: 3h, resolution: 5d}
    """,
)
SUPPORT = {"acme": "C0ACME0001", "globex": "C0GLOBEX01", "initech": "C0INITECH1"}
ALERTS = ("C0ALERTSBE", "C0ALERTSNY", "C0ALERTSIN")


@pytest.mark.parametrize("count", [pytest.param(TICKETS, marks=pytest.mark.slow), 150])
def test_a_day_of_tickets(tmp_path: Any, count: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'day.db'}")
    from storage.db import migrate

    migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    clock = ManualClock(START)
    book = load_contracts_text(CONTRACTS)
    rng = random.Random(20260302)
    tickets = TicketService(uow=uow, book=book, clock=clock)

    # the day's plan: (open instant, client, priority, reply instant or None), opened between sweeps
    plan = []
    for _ in range(count):
        client = rng.choice(list(SUPPORT))
        priorities = book.version_for(client, START).priorities
        opened = START + timedelta(seconds=rng.randrange(int(DAY.total_seconds()) - 7200))
        reply = None
        if rng.random() < 0.5:  # half get a first reply, on a sweep instant, sometime in the next 3 hours
            reply = START + SWEEP * (int((opened - START) / SWEEP) + rng.randrange(1, 180))
        plan.append((opened, client, rng.choice(priorities), reply))
    opens = sorted(range(count), key=lambda i: plan[i][0])
    replies = sorted((p[3], i) for i, p in enumerate(plan) if p[3] is not None and p[3] < START + DAY)

    with SlackEmulator(clock=clock, auto_create_channels=True) as slack:
        client = notifier_web_client("xoxb-test", base_url=slack.url)
        sweeper = Sweeper(
            uow=uow, book=book, tickets=tickets, clock=clock, worker_id="s", sweep_interval=SWEEP
        )
        notifier = Notifier(
            uow=uow, book=book, tickets=tickets, clients=lambda _t: client, clock=clock, worker_id="n"
        )
        refs: dict[int, str] = {}
        next_open = next_reply = 0
        while clock.now() < START + DAY:
            tick = clock.now() + SWEEP
            while next_open < count and plan[opens[next_open]][0] < tick:
                i = opens[next_open]
                opened, key, priority, _ = plan[i]
                clock.set(opened)
                ts = slack.post_user_message(SUPPORT[key], "U0CLIENT01", f"ticket {i}")["ts"]
                refs[i] = tickets.open(
                    team_id=TEAM,
                    client_key=key,
                    source="slack_thread",
                    priority=priority,
                    title=f"ticket {i}",
                    channel_id=SUPPORT[key],
                    thread_ts=ts,
                ).ticket.ref
                next_open += 1
            clock.set(tick)
            sweeper.run_once()
            stats = notifier.run_once()
            for _ in range(59):  # the notifier runs every second between sweeps (paced messages)
                if not stats.deferred:
                    break
                clock.advance(timedelta(seconds=1))
                stats = notifier.run_once()
            clock.set(tick)
            while next_reply < len(replies) and replies[next_reply][0] <= tick:
                i = replies[next_reply][1]
                if i in refs:
                    tickets.record(team_id=TEAM, ref=refs[i], kind="agent_message", actor="U0AGENT001")
                next_reply += 1

        # ---- what should have happened, worked out from the plan and the pure engine
        expected: dict[str, datetime] = {}
        business: dict[str, Any] = {}
        for i, ref in refs.items():
            opened, key, priority, reply = plan[i]
            version = book.version_for(key, opened)
            timer = next(
                t
                for t in timers_at_open(version, ref, opened, key, priority)
                if str(t.metric) == "first_response"
            )
            stop = min(reply or START + DAY, START + DAY)
            points = [p for p in alert_points(timer, version) if p.at <= stop]
            for n, point in enumerate(points):
                if point.kind == "warning" and any(q.at <= _sweep_seeing(point.at) for q in points[n + 1 :]):
                    continue  # superseded: a later point was due at the same sweep
                # the tickets are in their clients' channels: no copy in the thread, whatever
                # alerts.thread says (staff alerts never go where a client reads: sla.visibility)
                k = alert_key(TEAM, ref, point.key)
                expected[k] = point.at
                if not version.calendar.is_24x7 and timer.calendar_name != "24x7":
                    business[k] = version.calendar

        with uow.begin(read_only=True) as tx:
            missing = {
                k: (row.state, row.last_error, row.attempts)
                for k in expected
                if (row := tx.outbox.get_by_key(team_id=TEAM, idempotency_key=k)) is not None
                and row.state != "sent"
            }
        # what reached Slack, call by call: a timer's warnings and breach update one message (its
        # metadata then names the latest point only), so the messages as they stand show the last
        # state; the posts and updates show each point once, when it was sent. A breach that updated
        # a message pages the lead in its thread (key ``…:breach#page``): one per such breach.
        delivered: dict[str, list[datetime]] = {}
        pages: list[str] = []
        places = {*ALERTS, *SUPPORT.values()}
        for call in sorted(
            slack.calls_to("chat.postMessage") + slack.calls_to("chat.update"), key=lambda c: c.at
        ):
            if not call.response.get("ok") or call.args.get("channel") not in places:
                continue
            body = (call.args.get("metadata") or {}).get("event_payload") or {}
            for k in body.get("keys") or [body.get("key")]:
                if isinstance(k, str) and k.endswith("#page"):
                    pages.append(k)
                elif isinstance(k, str) and ":status" not in k:
                    delivered.setdefault(k, []).append(call.at)

    engine.dispose()
    assert missing == {}
    assert len(expected) > count  # most tickets alert at least once (many several times)
    duplicates = {k: v for k, v in delivered.items() if len(v) > 1}
    assert duplicates == {}
    assert pages and len(pages) == len(set(pages))
    assert {k.removesuffix("#page") for k in pages} <= {k for k in delivered if k.endswith(":breach")}
    assert set(delivered) == set(expected), (
        f"missing {sorted(set(expected) - set(delivered))[:5]}, extra {sorted(set(delivered) - set(expected))[:5]}"
    )
    late = {
        k: (delivered[k][0] - at)
        for k, at in expected.items()
        if not at <= delivered[k][0] < at + SWEEP + timedelta(seconds=10)
    }
    assert late == {}
    closed = [
        k
        for k, cal in business.items()
        if not (cal.is_open(expected[k]) or cal.is_open(expected[k] - timedelta(seconds=1)))
    ]
    assert closed == []
    kinds = Counter(k.split(":")[-1].split("@")[0] for k in delivered)
    assert kinds["breach"] > count / 10 and kinds["50%"] > count / 10


def _sweep_seeing(at: datetime) -> datetime:
    """The sweep instant that first sees a point due at ``at`` (sweeps run on whole minutes from START)."""
    steps = -(-(at - START) // SWEEP)
    return START + SWEEP * steps


def timers_at_open(version: Any, ref: str, opened: datetime, client: str, priority: str) -> list[Any]:
    """The ticket's timers as folded from the planned ``opened`` event alone (before any reply stopped
    them): worked out from the plan, not read back from what slabot stored."""
    from sla.timers import TicketClock, TicketEvent

    clock = TicketClock(version)
    clock.apply(TicketEvent(ticket_id=ref, at=opened, kind="opened", priority=priority, client=client))
    return clock.timers(opened)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
