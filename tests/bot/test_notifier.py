"""Delivery faults through the Slack emulator: a 10-minute 5xx outage and a 10-minute 429 storm
(everything delivered afterwards, once, in order), permanent errors recorded and listed for admins,
a crash between the post and the bookkeeping (no second message), digests, and three sweeper+notifier
pairs racing on one PostgreSQL database."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.services.alerts import Sweeper, alert_key
from handlers.notifier import Notifier, failed_alerts, notifier_web_client
from sla.contracts import load_contracts_text
from storage.models import NotificationState
from tests.bot.conftest import ALERTS, CONTRACTS, MONDAY_9_BERLIN, SUPPORT, SWEEP, TEAM, TRIAGE, World, keys
from tests.support.notifier import killed_before_bookkeeping


def open_staggered(world: World, count: int, *, thread: bool = False) -> list[str]:
    refs = []
    for _ in range(count):
        refs.append(world.open("P1", thread=thread))
        world.clock.advance(timedelta(seconds=50))
    return refs


def expected_keys(refs: list[str]) -> set[str]:
    return {
        alert_key(TEAM, ref, f"first_response:1:{k}") for ref in refs for k in ("50%", "75%", "90%", "breach")
    }


@pytest.mark.parametrize("fault", ["outage", "ratelimit"])
def test_ten_minutes_of_5xx_or_429_then_everything_delivered_once_in_order(world: World, fault: str) -> None:
    refs = open_staggered(world, 5)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=8))
    if fault == "outage":
        world.slack.outage_for(600, status=503)
    else:
        world.slack.rate_limit_for(600, method="chat.postMessage", retry_after=30)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=17))
    assert world.deliveries(ALERTS) == []  # nothing got through during the fault ...
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=29))

    delivered = keys(world.deliveries(ALERTS))
    assert Counter(delivered) == Counter(expected_keys(refs))  # ... all of it afterwards, each once
    with world.uow.begin(read_only=True) as tx:
        rows = [tx.outbox.get_by_key(team_id=TEAM, idempotency_key=k) for k in delivered]
    created = [(r.created_at, r.id) for r in rows if r is not None]
    assert created == sorted(created), "the channel received its alerts in the order they fell due"
    assert all(r is not None and r.state == NotificationState.sent.value for r in rows)


def test_permanent_error_is_recorded_and_listed_for_admins_and_other_copies_still_go(world: World) -> None:
    world.slack.set_archived(ALERTS)
    ref = world.open("P1")
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=22))
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=24))

    failed = failed_alerts(world.uow, TEAM)
    assert sorted(f.kind for f in failed) == ["breach", "warning", "warning", "warning"]
    assert {f.error for f in failed} == {"is_archived"} and {f.ref for f in failed} == {ref}
    assert {f.channel_id for f in failed} == {ALERTS}
    posts_to_alerts = [c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == ALERTS]
    assert len(posts_to_alerts) == 4, "never retried"
    assert world.deliveries(SUPPORT) == []  # the ticket's thread is the client's: no copy goes there


def test_alert_without_any_destination_fails_visibly(world: World) -> None:
    book = load_contracts_text(CONTRACTS.replace("channel: C0ALERTS01", "channel: null"))
    world.tickets.book = world.sweeper.book = world.notifier.book = book
    ref = world.open("P1", thread=False)
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=21))
    assert [(f.ref, f.kind) for f in failed_alerts(world.uow, TEAM)] == [(ref, "breach")]
    assert failed_alerts(world.uow, TEAM)[0].error.startswith("no_alert_channel")


def test_crash_after_post_before_mark_sent_leaves_no_second_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = world.open("P1", thread=False)
    world.clock.advance(timedelta(minutes=10, seconds=30))
    world.sweeper.run_once()
    killed_before_bookkeeping(world.notifier, monkeypatch)
    assert len(world.deliveries(ALERTS)) == 1

    world.clock.advance(timedelta(seconds=30))
    world.notifier.run_once()  # still leased to the crashed attempt: nothing happens
    world.clock.advance(timedelta(seconds=31))  # lease expired
    world.notifier.run_once()
    messages = world.deliveries(ALERTS)
    assert len(messages) == 1
    with world.uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key=alert_key(TEAM, ref, "first_response:1:50%"))
    assert row is not None and row.state == NotificationState.sent.value and row.slack_ts == messages[0]["ts"]
    assert len(world.slack.calls_to("conversations.history")) == 1


def test_timeout_after_slack_posted_is_checked_before_retrying(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.open("P1", thread=False)
    world.clock.advance(timedelta(minutes=10, seconds=30))
    world.sweeper.run_once()
    client = world.notifier.clients(TEAM)
    real_post = client.chat_postMessage
    calls = []

    def post_then_time_out(**kwargs: Any) -> Any:
        response = real_post(**kwargs)
        calls.append(response["ts"])
        if len(calls) == 1:
            raise TimeoutError("read timed out")
        return response

    monkeypatch.setattr(client, "chat_postMessage", post_then_time_out)
    world.notifier.run_once()
    for _ in range(3):
        world.clock.advance(timedelta(seconds=5))
        world.notifier.run_once()
    assert len(world.deliveries(ALERTS)) == 1 and len(calls) == 1


def test_many_alerts_due_for_one_channel_become_one_digest(world: World) -> None:
    refs = [world.open("P1", thread=False) for _ in range(5)]
    world.clock.advance(timedelta(minutes=10, seconds=30))
    world.run()
    messages = world.deliveries(ALERTS)
    assert len(messages) == 1
    assert set(keys(messages)) == {alert_key(TEAM, r, "first_response:1:50%") for r in refs}
    assert messages[0]["text"].startswith("5 SLA alerts")
    with world.uow.begin(read_only=True) as tx:
        rows = [tx.outbox.get_by_key(team_id=TEAM, idempotency_key=k) for k in keys(messages)]
    assert {r.slack_ts for r in rows if r is not None} == {messages[0]["ts"]}


def test_per_channel_pacing_never_trips_slacks_posting_limit(world: World) -> None:
    world.slack.enforce_channel_rate(1.0, burst=3)
    refs = []
    for _ in range(3):  # three tickets each minute: 3 per sweep per channel, never digested
        refs += [world.open("P1", thread=True) for _ in range(3)]
        world.clock.advance(timedelta(seconds=20))
    world.step_until(MONDAY_9_BERLIN + timedelta(minutes=25), step=timedelta(seconds=10))
    statuses = [c.status for c in world.slack.calls_to("chat.postMessage")]
    assert 429 not in statuses
    assert Counter(keys(world.deliveries(ALERTS))) == Counter(expected_keys(refs))


def test_three_sweepers_and_notifiers_in_parallel_never_duplicate(world: World) -> None:
    pairs = [(world.sweeper, world.notifier)]
    for n in (2, 3):
        client = notifier_web_client("xoxb-test", base_url=world.slack.url)
        pairs.append(
            (
                Sweeper(
                    uow=world.uow,
                    book=world.book,
                    tickets=world.tickets,
                    clock=world.clock,
                    worker_id=f"sweep-{n}",
                    batch=3,
                ),
                Notifier(
                    uow=world.uow,
                    book=world.book,
                    tickets=world.tickets,
                    clients=lambda _team, c=client: c,
                    clock=world.clock,
                    worker_id=f"n-{n}",
                    batch=4,
                ),
            )
        )
    # in an internal channel's threads: each warning also has a thread copy, which must not double either
    refs = [world.open("P1", thread=True, channel=TRIAGE) for _ in range(12)]
    errors: list[BaseException] = []

    def work(sweeper: Sweeper, notifier: Notifier) -> None:
        try:
            for _ in range(2):
                sweeper.run_once()
                notifier.run_once()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    end = MONDAY_9_BERLIN + timedelta(minutes=26)
    while world.clock.now() < end:
        world.clock.advance(SWEEP)
        threads = [threading.Thread(target=work, args=pair) for pair in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert Counter(keys(world.deliveries(ALERTS))) == Counter(expected_keys(refs))
    thread_keys = keys(world.deliveries(TRIAGE))
    assert Counter(thread_keys) == Counter(
        alert_key(TEAM, r, f"first_response:1:{k}", "thread") for r in refs for k in ("50%", "75%", "90%")
    )
    cards = Counter(
        m["metadata"]["event_payload"]["key"]
        for m in world.slack.messages(TRIAGE)
        if ":status" in (m.get("metadata") or {}).get("event_payload", {}).get("key", "")
    )
    assert cards and max(cards.values()) == 1
