"""The sweep and the notifier end to end through the Slack emulator, on SQLite and PostgreSQL:
warnings at 50/75/90 %, the breach and the escalation exactly once, in the right channel and thread,
within one sweep of their instant; nothing for a resolved ticket; restart catch-up; quiet hours."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.services.alerts import alert_key
from sla.contracts import load_contracts_text
from sla.timers import alert_points
from storage.models import NotificationState
from tests.bot.conftest import (
    ALERTS,
    CONTRACTS,
    MONDAY_9_BERLIN,
    SUPPORT,
    SWEEP,
    TEAM,
    TRIAGE,
    World,
    keys,
    posted_at,
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

    channel = world.deliveries(ALERTS)
    expected = [f"first_response:1:{k}" for k in ("50%", "75%", "90%", "breach", "escalation-1")]
    assert keys(channel) == [alert_key(TEAM, ref, k) for k in expected]
    for message, key in zip(channel, expected, strict=True):
        assert points[key] <= posted_at(message) < points[key] + SWEEP
    breach = channel[3]
    assert "<!subteam^S0LEADS001>" in breach["text"] and "<@U0LEAD0001>" in breach["text"]
    assert "<@U0MANAGER1>" in channel[4]["text"]

    # the ticket's thread is in the client's channel: no staff alert goes there (thread: true or not)
    assert world.deliveries(SUPPORT) == []
    for call in world.slack.calls_to("chat.postMessage") + world.slack.calls_to("chat.update"):
        if call.args.get("channel") == SUPPORT:
            said = str(call.args).lower()
            assert "take it" not in said and "unassigned" not in said and "escalation" not in said
            assert "S0LEADS001" not in said and "U0LEAD0001".lower() not in said


def test_warnings_copied_to_the_ticket_thread_only_when_it_is_internal(world: World) -> None:
    ref = world.open("P1", channel=TRIAGE)  # a thread in an internal channel (an alert channel)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25))
    thread_ts = world.tickets.state(team_id=TEAM, ref=ref).ticket.thread_ts
    in_thread = [m for m in world.deliveries(TRIAGE) if m.get("thread_ts") == thread_ts]
    assert keys(in_thread) == [
        alert_key(TEAM, ref, f"first_response:1:{k}", "thread") for k in ("50%", "75%", "90%")
    ]
    card = next(m for m in world.slack.messages(TRIAGE) if ":status" in str(m.get("metadata")))
    assert "Take it" in str(card["blocks"])  # staff read this card: it keeps the assignment prompt


def test_a_queued_thread_copy_in_a_client_channel_is_not_posted(world: World) -> None:
    """Rows queued before the visibility rule (a warning's copy addressed to the client's thread) are
    stopped by the notifier: cancelled, never posted."""
    ref = world.open("P1")
    ticket = world.tickets.state(team_id=TEAM, ref=ref).ticket
    world.clock.advance(timedelta(minutes=10, seconds=30))
    with world.uow.begin() as tx:
        tx.outbox.enqueue(
            team_id=TEAM,
            idempotency_key=alert_key(TEAM, ref, "first_response:1:50%", "thread"),
            kind="warning",
            payload={
                "ref": ref,
                "ticket_id": ticket.id,
                "metric": "first_response",
                "cycle": 1,
                "threshold": "50%",
                "point": "first_response:1:50%",
                "at": world.clock.now().isoformat(),
                "mention": [],
                "destination": "thread",
            },
            now=world.clock.now(),
            channel_id=SUPPORT,
            thread_ts=ticket.thread_ts,
            ticket_id=ticket.id,
        )
    world.run()
    assert world.deliveries(SUPPORT) == [] and len(world.deliveries(ALERTS)) == 1
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(
            team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:50%", "thread")
        )
    assert row is not None and row.state == NotificationState.cancelled.value
    assert "client-facing" in (row.last_error or "")


def test_client_thread_none_leaves_the_clients_thread_alone(world: World) -> None:
    book = load_contracts_text(
        CONTRACTS.replace("thread: true", "thread: true\n          client_thread: none")
    )
    world.tickets.book = world.sweeper.book = world.notifier.book = book
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25))
    ticket = world.tickets.state(team_id=TEAM, ref=ref).ticket
    assert [m for m in world.slack.thread(SUPPORT, ticket.thread_ts) if m["ts"] != ticket.thread_ts] == []
    assert ticket.status_message_ts is None
    assert len(world.deliveries(ALERTS)) == 4  # 50/75/90 % and the breach: staff are told as before


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
    assert world.deliveries(ALERTS) == []


def test_warning_enqueued_but_ticket_resolved_before_delivery_is_not_sent(world: World) -> None:
    ref = world.open("P1")
    world.clock.advance(timedelta(minutes=10, seconds=30))
    world.sweeper.run_once()  # the 50 % warning is in the outbox ...
    world.tickets.record(team_id=TEAM, ref=ref, kind="resolved", actor="U0AGENT001")
    world.notifier.run_once()  # ... and is not delivered
    assert world.deliveries(ALERTS) == []
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:50%"))
    assert row is not None and row.state == NotificationState.cancelled.value


def test_restart_catch_up_sends_one_late_warning_then_the_breach_once(world: World) -> None:
    ref = world.open("P2")  # first response 1h in office hours: 30m, 45m, 54m, breach at 60m
    world.clock.advance(timedelta(minutes=58))  # slabot was down through 50 %, 75 % and 90 %
    world.run()
    world.run()
    channel = world.deliveries(ALERTS)
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
    assert keys(world.deliveries(ALERTS)) == [
        alert_key(TEAM, ref, "first_response:1:90%"),
        alert_key(TEAM, ref, "first_response:1:breach"),
    ]


def test_restart_after_the_breach_sends_only_the_breach(world: World) -> None:
    ref = world.open("P1")
    world.clock.advance(timedelta(minutes=40))
    world.run()
    world.run()
    sent = keys(world.deliveries(ALERTS))
    assert sent == [alert_key(TEAM, ref, "first_response:1:breach")]
    assert "late by 20m" in str(world.deliveries(ALERTS)[0]["blocks"])


def test_quiet_hours_business_metric_waits_for_opening_but_24x7_alerts_at_night(world: World) -> None:
    # Monday 16:45 Berlin: a P2 (office hours, first response 1h) and a P1 (24x7, 20m)
    world.clock.set(datetime(2026, 3, 2, 15, 45, tzinfo=UTC))
    office = world.open("P2", thread=False)
    night = world.open("P1", thread=False)
    office_points = expected_points(world, office)
    world.step_until(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), step=timedelta(minutes=5))  # Tue 10:00 Berlin

    by_ref: dict[str, list[datetime]] = {}
    for message in world.deliveries(ALERTS):
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


def card_updates(world: World, ts: str) -> list[Any]:
    return [c for c in world.slack.calls_to("chat.update") if c.args["ts"] == ts]


def test_every_ticket_change_refreshes_the_one_card_in_place(world: World) -> None:
    ref = world.open("P1")
    world.notifier.run_once()  # opening posted the card at once, before any alert
    ticket = world.tickets.state(team_id=TEAM, ref=ref).ticket
    card_ts = ticket.status_message_ts
    assert card_ts is not None and world.deliveries(ALERTS) == []
    world.clock.advance(timedelta(seconds=5))
    world.tickets.assign(team_id=TEAM, ref=ref, assignee="U0AGENT001", actor="U0LEAD0001")
    world.notifier.run_once()
    assert len(card_updates(world, card_ts)) == 1
    # the card is in the client's thread: client-safe, so neither the assignee nor a prompt to take it
    updated = str(card_updates(world, card_ts)[-1].args)
    assert "U0AGENT001" not in updated and "ticket_take" not in updated and "unassigned" not in updated
    world.clock.advance(timedelta(seconds=5))
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.clock.advance(timedelta(seconds=1))
    world.tickets.record(team_id=TEAM, ref=ref, kind="resolved", actor="U0AGENT001")
    world.notifier.run_once()  # two pending refreshes of one ticket: one Slack call
    assert len(card_updates(world, card_ts)) == 2
    cards = [m for m in world.slack.messages(SUPPORT) if m["ts"] == card_ts]
    assert len(cards) == 1 and "first response met" in cards[0]["text"]
    statuses = [m for m in world.slack.messages(SUPPORT) if ":status" in str(m.get("metadata"))]
    assert len(statuses) == 1


def test_met_note_once_in_the_thread_when_the_contract_asks(world: World) -> None:
    book = load_contracts_text(CONTRACTS.replace("thread: true", "thread: true\n          met_note: true"))
    world.tickets.book = world.sweeper.book = world.notifier.book = book
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=3))
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=30))
    thread_ts = world.tickets.state(team_id=TEAM, ref=ref).ticket.thread_ts
    met = [m for m in world.deliveries(SUPPORT) if m["metadata"]["event_payload"]["key"].endswith(":met")]
    assert keys(met) == [alert_key(TEAM, ref, "first_response:1:met")]
    assert met[0]["thread_ts"] == thread_ts
    assert world.deliveries(ALERTS) == []  # met in time: no warning either


def test_no_met_note_by_default(world: World) -> None:
    ref = world.open("P1")
    world.tickets.record(team_id=TEAM, ref=ref, kind="agent_message", actor="U0AGENT001")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=3))
    assert [m for m in world.deliveries(SUPPORT) if ":met" in m["metadata"]["event_payload"]["key"]] == []


# --------------------------------------------------------------------------- one message per timer


def _timer_posts(world: World, ref: str, channel: str = ALERTS) -> list[Any]:
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.ok
        and c.args.get("channel") == channel
        and f":{ref}:first_response:1:" in str(c.args.get("metadata"))
    ]


def _timer_message(world: World, ref: str) -> Any:
    """The stored alert message of the ticket's first first-response timer in the alert channel."""
    with world.uow.begin(read_only=True) as tx:
        return tx.outbox.alert_message(
            team_id=TEAM,
            ticket_id=world.tickets.state(team_id=TEAM, ref=ref).ticket.id,
            metric="first_response",
            cycle=1,
            channel_id=ALERTS,
            thread_ts=None,
        )


def test_one_message_per_timer_updated_from_warning_to_breach(world: World) -> None:
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25))
    posts = _timer_posts(world, ref)
    # one post of the timer's message (the 50 % warning) and, for the breach, a page in its thread
    top = [c for c in posts if not c.args.get("thread_ts")]
    assert len(top) == 1 and "50 %" in str(top[0].args["blocks"])
    message_ts = top[0].response["ts"]
    updates = [c for c in world.slack.calls_to("chat.update") if c.args["ts"] == message_ts]
    assert [c.args["metadata"]["event_payload"]["key"] for c in updates] == [
        alert_key(TEAM, ref, f"first_response:1:{k}") for k in ("75%", "90%", "breach")
    ]
    (message,) = [m for m in world.alerts(ALERTS) if m["ts"] == message_ts]
    assert "SLA breached" in message["text"] and "<!subteam^S0LEADS001>" in message["text"]
    pages = [c for c in posts if c.args.get("thread_ts") == message_ts]
    assert len(pages) == 1 and "<!subteam^S0LEADS001>" in pages[0].args["text"]  # an edit pings nobody
    row = _timer_message(world, ref)
    assert row is not None and row.slack_ts == message_ts
    assert row.showing == alert_key(TEAM, ref, "first_response:1:breach")


def test_an_update_that_fails_is_retried_and_a_deleted_message_is_posted_anew(world: World) -> None:
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=11))  # 50 % posted
    (first,) = [c for c in _timer_posts(world, ref) if not c.args.get("thread_ts")]
    world.slack.fail_next("chat.update", "internal_error", count=2)  # Slack fails the 75 % update twice
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=19))
    updated = [
        c for c in world.slack.calls_to("chat.update") if c.args["ts"] == first.response["ts"] and c.ok
    ]
    assert [c.args["metadata"]["event_payload"]["key"] for c in updated][:1] == [
        alert_key(TEAM, ref, "first_response:1:75%")
    ]
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:75%"))
    assert row is not None and row.state == "sent" and row.attempts > 1  # retried, never dropped
    # someone deletes the alert message in Slack: the breach is posted anew, not lost
    WebClient(token="xoxb-test", base_url=world.slack.url).chat_delete(
        channel=ALERTS, ts=first.response["ts"]
    )
    world.slack.clear()
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=21))
    fresh = [c for c in _timer_posts(world, ref) if not c.args.get("thread_ts")]
    assert len(fresh) == 1 and "SLA breached" in fresh[0].args["text"]  # posted anew, with its mentions
    row = _timer_message(world, ref)
    assert row is not None and row.slack_ts == fresh[0].response["ts"]


def test_an_update_that_reached_slack_before_a_crash_is_recorded_not_repeated(
    world: World, monkeypatch: Any
) -> None:
    """The process dies between the 75 % chat.update and its bookkeeping: after the lease the retry reads
    that one message, sees the 75 % key in its metadata, and records it — no second update, and the
    later points still update the same message."""
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=11))  # 50 % posted
    (first,) = [c for c in _timer_posts(world, ref) if not c.args.get("thread_ts")]
    key_75 = alert_key(TEAM, ref, "first_response:1:75%")
    real_sent = world.notifier._sent

    def killed(jobs: Any, *args: Any, **kwargs: Any) -> Any:
        if any(job.key == key_75 for job in jobs):
            raise RuntimeError("killed between chat.update and mark_sent")
        return real_sent(jobs, *args, **kwargs)

    monkeypatch.setattr(world.notifier, "_sent", killed)
    while not [c for c in world.slack.calls_to("chat.update") if c.args["ts"] == first.response["ts"]]:
        world.clock.advance(timedelta(minutes=1))
        world.sweeper.run_once()
        try:
            world.notifier.run_once()
        except RuntimeError:
            break
    monkeypatch.setattr(world.notifier, "_sent", real_sent)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25))  # the lease expires; then 90 % and breach
    updates = [c for c in world.slack.calls_to("chat.update") if c.args["ts"] == first.response["ts"]]
    keys = [c.args["metadata"]["event_payload"]["key"] for c in updates if c.ok]
    assert keys == [key_75, *(alert_key(TEAM, ref, f"first_response:1:{k}") for k in ("90%", "breach"))]
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key_75)
    assert (
        row is not None and row.state == NotificationState.sent.value and row.slack_ts == first.response["ts"]
    )
    pages = [c for c in _timer_posts(world, ref) if c.args.get("thread_ts") == first.response["ts"]]
    assert len(pages) == 1  # the breach's page, once


# --------------------------------------------------------------------------- quiet hours


def test_quiet_hours_hold_warnings_until_morning_while_paging_alerts_go_out(world: World) -> None:
    quiet = 'thread: true\n          quiet_hours: {hours: "22:00-07:00", timezone: Europe/Berlin}'
    book = load_contracts_text(CONTRACTS.replace("thread: true", quiet))
    world.tickets.book = world.sweeper.book = world.notifier.book = book
    # Tuesday 02:50 in Berlin: a P1 (24x7, 20m); its warnings fall at 03:00-03:08, the breach at 03:10
    night = datetime(2026, 3, 3, 1, 50, tzinfo=UTC)
    world.clock.set(night)
    ref = world.open("P1")
    world.step_until(night + timedelta(minutes=55))  # the escalation is due at 03:40
    delivered = world.deliveries(ALERTS)
    kinds = [m["metadata"]["event_payload"]["key"].rsplit(":", 1)[-1] for m in delivered]
    assert kinds == ["breach", "escalation-1"]  # P1 is the most urgent priority: its breach pages
    with world.uow.begin(read_only=True) as tx:
        held = tx.outbox.get_by_key(
            team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:90%")
        )
    assert held is not None and held.state == "pending"
    assert held.not_before == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    world.step_until(datetime(2026, 3, 3, 6, 2, tzinfo=UTC))
    # by the morning the timer is breached: its held warnings say less than the breach, none is sent
    # (the resolution's 50 %, held since 06:50, goes out at 07:00)
    assert [m["metadata"]["event_payload"]["key"] for m in world.deliveries(ALERTS)] == [
        *(m["metadata"]["event_payload"]["key"] for m in delivered),
        alert_key(TEAM, ref, "resolution:1:50%"),
    ]
    assert world.deliveries(ALERTS)[-1]["ts"].startswith(
        str(int(datetime(2026, 3, 3, 6, 0, tzinfo=UTC).timestamp()))
    )
    with world.uow.begin(read_only=True) as tx:
        rows = [
            tx.outbox.get_by_key(team_id=TEAM, idempotency_key=alert_key(TEAM, ref, f"first_response:1:{k}"))
            for k in ("50%", "75%", "90%")
        ]
    assert {r.state for r in rows if r is not None} == {NotificationState.cancelled.value}


def test_a_held_warning_goes_out_once_at_the_end_of_quiet_hours(world: World) -> None:
    quiet = 'thread: true\n          quiet_hours: {hours: "22:00-07:00", timezone: Europe/Berlin, page: []}'
    book = load_contracts_text(CONTRACTS.replace("thread: true", quiet))
    world.tickets.book = world.sweeper.book = world.notifier.book = book
    assert book.contracts["gold"].versions[0].alerts.quiet_hours.page == frozenset()
    night = datetime(2026, 3, 3, 5, 45, tzinfo=UTC)  # 06:45 in Berlin: 50 % at 06:55, 75 % at 07:00
    world.clock.set(night)
    ref = world.open("P1")
    world.step_until(datetime(2026, 3, 3, 5, 59, tzinfo=UTC))
    assert world.deliveries(ALERTS) == []  # 06:59: nothing yet, not even with no priority paging
    world.step_until(datetime(2026, 3, 3, 6, 2, tzinfo=UTC))
    delivered = world.deliveries(ALERTS)
    # 07:00: the held 50 % is superseded by the 75 % due at the same delivery: one message
    assert [m["metadata"]["event_payload"]["key"] for m in delivered] == [
        alert_key(TEAM, ref, "first_response:1:75%")
    ]
    assert "late by" not in str(delivered[0]["blocks"])  # waiting was the point, not slabot catching up
