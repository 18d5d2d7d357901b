"""The generic outbox kind ``message`` through the Slack emulator: posted verbatim to a channel, a
thread or a DM (user id), ``slack_ts`` recorded; 429 and 5xx retried, permanent errors recorded for
admins, and a crash between the post and the bookkeeping leaves no second message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.emulator import SlackEmulator
from bot.services.alerts import MESSAGE_KIND, enqueue_message
from bot.services.tickets import TicketService
from handlers.notifier import Notifier, failed_alerts, notifier_web_client
from sla.contracts import load_contracts_text
from storage.models import NotificationState
from storage.uow import UnitOfWork
from tests.support.contract_file import contract_file
from tests.support.notifier import killed_before_bookkeeping

TEAM = "T0TEAM0001"
CHANNEL = "C0ACME0001"
USER = "U0AGENT001"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONTRACTS = contract_file(
    gold="""
        calendar: 24x7
        targets:
          P1: {first_response: 20m}
    """
)
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Resolved* by <@U0AGENT001>"}}]


class Box:
    def __init__(self, uow: UnitOfWork, slack: SlackEmulator, clock: ManualClock) -> None:
        self.uow, self.slack, self.clock = uow, slack, clock
        book = load_contracts_text(CONTRACTS)
        client = notifier_web_client("xoxb-test", base_url=slack.url)
        self.notifier = Notifier(
            uow=uow,
            book=book,
            tickets=TicketService(uow=uow, book=book, clock=clock),
            clients=lambda _team: client,
            clock=clock,
            worker_id="n-1",
        )

    def enqueue(self, key: str, channel: str = CHANNEL, **kwargs: Any) -> bool:
        with self.uow.begin() as tx:
            return enqueue_message(
                tx,
                team_id=TEAM,
                key=key,
                channel_id=channel,
                text=kwargs.pop("text", f"note {key}"),
                now=self.clock.now(),
                **kwargs,
            )

    def row(self, key: str) -> Any:
        with self.uow.begin(read_only=True) as tx:
            return tx.outbox.get_by_key(team_id=TEAM, idempotency_key=key)

    def run_for(self, seconds: int, step: int = 1) -> None:
        for _ in range(0, seconds, step):
            self.notifier.run_once()
            self.clock.advance(timedelta(seconds=step))


def posted(slack: SlackEmulator, channel: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel) if m.get("bot_id") or m.get("metadata")]


@pytest.fixture
def box(uow: UnitOfWork) -> Iterator[Box]:
    clock = ManualClock(START)
    with SlackEmulator(clock=clock) as slack:
        slack.add_channel(CHANNEL, "support-acme")
        slack.add_user(USER, "agent")
        yield Box(uow, slack, clock)


def test_message_is_posted_verbatim_once_with_its_ts_recorded(box: Box) -> None:
    root = box.slack.post_user_message(CHANNEL, "U0CLIENT01", "help")["ts"]
    assert box.enqueue("notes:1", text="Resolved by agent", blocks=BLOCKS, thread_ts=root)
    assert not box.enqueue("notes:1", text="again")  # one key, one message, ever
    box.run_for(3)
    replies = [m for m in box.slack.thread(CHANNEL, root) if m["ts"] != root]
    assert len(replies) == 1
    reply = replies[0]
    assert reply["text"] == "Resolved by agent" and reply["blocks"] == BLOCKS
    assert reply["metadata"] == {"event_type": "slabot_message", "event_payload": {"key": "notes:1"}}
    row = box.row("notes:1")
    assert row.kind == MESSAGE_KIND and row.state == NotificationState.sent.value
    assert row.slack_ts == reply["ts"]
    call = box.slack.calls_to("chat.postMessage")[0]
    assert call.args["unfurl_links"] in (False, "false", "0", 0)


def test_user_id_as_channel_opens_the_dm(box: Box) -> None:
    box.enqueue("dm:1", channel=USER, text="You have been assigned T-1")
    box.enqueue("dm:2", channel=USER, text="and T-2")
    box.run_for(3)
    dm = box.slack.calls_to("conversations.open")[0]
    assert dm.args["users"] == USER
    dm_id = dm.response["channel"]["id"]
    assert [m["text"] for m in box.slack.messages(dm_id)] == ["You have been assigned T-1", "and T-2"]
    assert len(box.slack.calls_to("conversations.open")) == 1  # remembered
    assert box.row("dm:2").slack_ts == box.slack.messages(dm_id)[1]["ts"]


def test_caller_metadata_is_kept_and_carries_the_key(box: Box) -> None:
    meta = {"event_type": "slabot_survey", "event_payload": {"ticket": "T-9"}}
    box.enqueue("survey:T-9", metadata=meta)
    box.run_for(1)
    [message] = posted(box.slack, CHANNEL)
    assert message["metadata"] == {
        "event_type": "slabot_survey",
        "event_payload": {"ticket": "T-9", "slabot_key": "survey:T-9"},
    }


def test_429_then_delivered_in_order_after_retry_after(box: Box) -> None:
    box.slack.rate_limit(method="chat.postMessage", count=1, retry_after=5)
    for n in range(3):
        box.enqueue(f"m:{n}", text=f"line {n}")
    box.run_for(2)
    assert posted(box.slack, CHANNEL) == []
    box.run_for(10)
    assert [m["text"] for m in posted(box.slack, CHANNEL)] == ["line 0", "line 1", "line 2"]
    assert all(box.row(f"m:{n}").state == NotificationState.sent.value for n in range(3))


def test_5xx_outage_then_delivered_once(box: Box) -> None:
    box.enqueue("m:1", text="one")
    box.slack.outage_for(30, status=503)
    box.run_for(20)
    assert posted(box.slack, CHANNEL) == []
    box.run_for(120, step=5)
    assert [m["text"] for m in posted(box.slack, CHANNEL)] == ["one"]


def test_permanent_error_is_failed_and_listed_for_admins_never_retried(box: Box) -> None:
    box.slack.set_archived(CHANNEL)
    box.enqueue("m:archived", text="lost?")
    box.enqueue("dm:nobody", channel="U0NOBODY01", text="to nobody")
    box.run_for(30)
    assert len(box.slack.calls_to("chat.postMessage")) == 1
    failed = {f.idempotency_key: f for f in failed_alerts(box.uow, TEAM)}
    assert failed["m:archived"].error == "is_archived" and failed["m:archived"].kind == MESSAGE_KIND
    assert failed["dm:nobody"].error == "user_not_found"


def test_empty_message_fails_visibly(box: Box) -> None:
    box.enqueue("m:empty", text="  ")
    box.run_for(1)
    assert box.row("m:empty").state == NotificationState.failed.value
    assert box.slack.calls_to("chat.postMessage") == []


def test_crash_after_post_before_bookkeeping_leaves_no_second_message(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    box.enqueue("m:crash", text="once")
    killed_before_bookkeeping(box.notifier, monkeypatch)
    box.run_for(90, step=5)  # the lease expires; the retry looks in the history first
    messages = posted(box.slack, CHANNEL)
    assert [m["text"] for m in messages] == ["once"]
    assert box.row("m:crash").slack_ts == messages[0]["ts"]
    assert len(box.slack.calls_to("conversations.history")) == 1


@pytest.mark.parametrize("dead_worker_posted", [True, False])
def test_restart_reclaims_a_dead_workers_claims_at_once_without_a_second_post(
    box: Box, dead_worker_posted: bool
) -> None:
    box.enqueue("m:dead", text="once")
    with box.uow.begin() as tx:  # a process claimed it, maybe posted it, and was killed
        [row] = tx.outbox.claim_due(
            team_id=TEAM, now=box.clock.now(), worker="dead:1:x", lease=timedelta(seconds=60)
        )
    if dead_worker_posted:
        box.notifier.clients(TEAM).chat_postMessage(
            channel=CHANNEL,
            text="once",
            metadata={"event_type": "slabot_message", "event_payload": {"key": "m:dead"}},
        )
    box.clock.advance(timedelta(seconds=2))
    box.notifier.run_once()
    assert box.row("m:dead").state == NotificationState.claimed.value  # still leased to the dead one
    assert box.notifier.reclaim_after_restart() == 1
    box.notifier.run_once()  # at once, not after the 60 s lease
    messages = posted(box.slack, CHANNEL)
    assert [m["text"] for m in messages] == ["once"]
    row = box.row("m:dead")
    assert row.state == NotificationState.sent.value and row.slack_ts == messages[0]["ts"]
    assert len(box.slack.calls_to("conversations.history")) == 1  # checked before posting


def test_cancel_settles_only_pending_or_claimed_rows(box: Box) -> None:
    box.enqueue("m:a")
    box.enqueue("m:b")
    with box.uow.begin() as tx:
        assert tx.outbox.cancel(team_id=TEAM, idempotency_key="m:a", reason="not needed")
        assert not tx.outbox.cancel(team_id=TEAM, idempotency_key="m:a", reason="again")
        [claimed] = tx.outbox.claim_due(
            team_id=TEAM, now=box.clock.now(), worker="w1", lease=timedelta(seconds=60)
        )
        assert not tx.outbox.cancel(team_id=TEAM, notification_id=claimed.id, reason="x", worker="w2")
        assert tx.outbox.cancel(team_id=TEAM, notification_id=claimed.id, reason="stale", worker="w1")
        with pytest.raises(ValueError):
            tx.outbox.cancel(team_id=TEAM, reason="which?")
    assert (box.row("m:a").state, box.row("m:a").last_error) == ("cancelled", "not needed")
    assert (box.row("m:b").state, box.row("m:b").last_error) == ("cancelled", "stale")
    box.run_for(2)
    assert box.slack.calls_to("chat.postMessage") == []
