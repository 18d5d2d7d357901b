"""A request Slack waits on is answered the moment its listener acks (``bot.inbox.answer_on_ack``),
not when the listener ends and not at the next tick of Bolt's 10 ms poll; other requests are handed
to the pool and left to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltResponse

from bot.emulator import inbound
from bot.inbox import CURRENT, AnsweredAck, Delivery, TrackingExecutor
from handlers import commands
from tests.e2e.slack_harness import AGENTS, SUPPORT, SlackApp, support_app

HELD = 10.0


def test_the_ack_tells_when_called_or_assigned() -> None:
    answered = threading.Event()
    ack = AnsweredAck(answered)
    assert ack.response is None and not answered.is_set()
    response = ack(text="done")
    assert answered.is_set() and ack.response is response and response.status == 200

    answered = threading.Event()
    ack = AnsweredAck(answered)
    ack.response = BoltResponse(status=200, body="{}")  # handlers.commands sets a rendered body
    assert answered.is_set() and ack.response.body == "{}"


@pytest.fixture
def executor() -> Iterator[TrackingExecutor]:
    pool = TrackingExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True)


def submitted(executor: TrackingExecutor, kind: str, job: Any) -> tuple[threading.Event, Delivery]:
    """``executor.submit(job)`` from a request thread of a ``kind`` delivery: set once submit returned."""
    returned = threading.Event()
    delivery = Delivery(inbox=None, item_id=None, kind=kind)  # type: ignore[arg-type]

    def request_thread() -> None:
        token = CURRENT.set(delivery)
        try:
            executor.submit(job)
        finally:
            CURRENT.reset(token)
            returned.set()

    threading.Thread(target=request_thread, daemon=True).start()
    return returned, delivery


def test_a_command_request_returns_once_its_listener_acked(executor: TrackingExecutor) -> None:
    acked, release, ended = threading.Event(), threading.Event(), threading.Event()
    acks: list[AnsweredAck] = []

    def listener() -> None:
        acked.wait(HELD)
        acks[0](text="ok")
        release.wait(HELD)  # work after the ack (a change note queued, say)
        ended.set()

    returned, delivery = submitted(executor, "command", listener)
    acks.append(AnsweredAck(delivery.answered))
    assert not returned.wait(0.2), "the request thread went on before the listener acked"
    acked.set()
    assert returned.wait(HELD), "the request thread was not let go when the listener acked"
    assert not ended.is_set()
    release.set()
    assert ended.wait(HELD)


def test_a_listener_that_ends_without_acking_lets_the_request_go(executor: TrackingExecutor) -> None:
    returned, _ = submitted(executor, "command", lambda: None)
    assert returned.wait(HELD)


def test_an_event_delivery_is_left_to_the_pool(executor: TrackingExecutor) -> None:
    release = threading.Event()
    returned, _ = submitted(executor, "event_callback", lambda: release.wait(HELD))
    try:
        assert returned.wait(HELD), "an Events API request waited for its listener"
    finally:
        release.set()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(tmp_path, monkeypatch, secret="answer-on-ack") as app:
        yield app


def test_slash_command_answer_goes_out_before_the_listener_ends(
    app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the signed HTTP endpoint: ``/sla status`` is answered while its listener is still busy
    after the ack (queueing its change notes), and the listener then ends normally."""
    release, queued = threading.Event(), threading.Event()
    original = commands.queue_notes

    def slow_queue(*args: Any, **kwargs: Any) -> None:
        release.wait(HELD)
        original(*args, **kwargs)
        queued.set()

    monkeypatch.setattr(commands, "queue_notes", slow_queue)
    try:
        status, body = app.post(inbound.slash_command("status", AGENTS[0], SUPPORT))
        assert status == 200 and "Open tickets" in body
        assert not queued.is_set()
    finally:
        release.set()
    assert queued.wait(HELD)


def test_the_sla_listener_acks_through_the_waiting_ack(
    app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's middleware hands ``/sla`` an :class:`AnsweredAck` (else the request thread would wait for
    the listener's end, or Bolt's poll)."""
    seen: list[Any] = []
    original = commands._OneAck

    def recording(ack: Any) -> Any:
        seen.append(ack)
        return original(ack)

    monkeypatch.setattr(commands, "_OneAck", recording)
    status, _ = app.post(inbound.slash_command("status", AGENTS[0], SUPPORT))
    assert status == 200
    assert len(seen) == 1 and isinstance(seen[0], AnsweredAck)
