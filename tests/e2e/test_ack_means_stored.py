"""Ack means stored: a client message Slack delivers while the database is locked, restarting or full
is either stored before its 200 or refused with a 5xx (so Slack retries) — every message exists
afterwards, once. Slack is played by a sender that retries a non-200 with ``X-Slack-Retry-Num``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.clock import ManualClock
from bot.emulator import inbound
from storage.db import migrate
from tests.e2e.slack_harness import AGENTS, TUESDAY_10_BERLIN, SlackApp, running_app, support_app

SECRET = "ack-signing-secret"
CLIENT = "U0ACME0001"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID
USERS = (*AGENTS, CLIENT)
CHANNELS = {SUPPORT: ("acme-support", [AGENTS[0], CLIENT])}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:
    with support_app(tmp_path, monkeypatch, secret=SECRET) as app:
        yield app


class Sender:
    """Slack's side: each message is delivered until it gets a 200, a retry carrying X-Slack-Retry-Num."""

    def __init__(self, app: SlackApp) -> None:
        self.app = app
        self.pending: dict[str, tuple[tuple[str, str], int]] = {}
        self.statuses: list[int] = []

    def message(self, text: str) -> str:
        ts = self.app.slack.post_user_message(SUPPORT, CLIENT, text)["ts"]
        body = inbound.event_callback(
            inbound.message_event(SUPPORT, CLIENT, text, ts), TEAM, event_id=f"Ev{ts}"
        )
        self.pending[ts] = (body, 0)
        self.send(ts)
        return ts

    def send(self, ts: str) -> None:
        body, tries = self.pending[ts]
        status = self.app.post(body, retry_num=tries or None)[0]
        self.statuses.append(status)
        if status == 200:
            del self.pending[ts]
        else:
            self.pending[ts] = (body, tries + 1)

    def retry_all(self) -> None:
        for ts in list(self.pending):
            self.send(ts)


def _tickets_by_thread(app: SlackApp) -> dict[str, int]:
    with app.runtime.services.uow.begin(read_only=True) as tx:
        tickets = tx.tickets.page(team_id=TEAM, limit=1000)
    counts: dict[str, int] = {}
    for ticket in tickets:
        counts[ticket.thread_ts or ""] = counts.get(ticket.thread_ts or "", 0) + 1
    return counts


def _stored(app: SlackApp, count: int, timeout: float = 30) -> dict[str, int]:
    """Wait until ``count`` tickets exist, running the inbox job's pass between checks."""
    app.wait_for(lambda: (_settle(app), len(_tickets_by_thread(app)) >= count)[1], timeout=timeout)
    return _tickets_by_thread(app)


def _settle(app: SlackApp) -> None:
    """Let after-ack work finish, then the inbox job process again what failed (its lease run out)."""
    inbox = app.runtime.inbox
    assert inbox is not None
    app.clock.advance(timedelta(minutes=2))
    for _ in range(3):
        inbox.redeliver()
        app.clock.advance(timedelta(seconds=1))


@contextmanager
def failing_writes(engine: Engine, table: str, message: str = "database or disk is full") -> Iterator[None]:
    """Every INSERT into ``table`` fails as SQLite fails on a full disk (where a disk cannot be filled)."""

    def fail(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            raise sqlite3.OperationalError(message)

    event.listen(engine, "do_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "do_execute", fail)


def test_a_message_during_a_write_lock_is_refused_then_stored_once(app: SlackApp, tmp_path: Path) -> None:
    sender = Sender(app)
    before = sender.message("Before the lock")
    lock = sqlite3.connect(tmp_path / "e2e.db", timeout=1)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock longer than busy_timeout
    try:
        during = sender.message("During the lock")
    finally:
        lock.rollback()
        lock.close()
    assert sender.statuses == [200, 503]  # refused, so Slack retries: never a 200 for what was not stored
    sender.retry_all()
    sender.retry_all()  # a second retry of what was already stored changes nothing
    assert _stored(app, 2) == {before: 1, during: 1}


def test_a_full_disk_on_the_inbox_answers_503_and_the_retry_stores_once(app: SlackApp) -> None:
    sender = Sender(app)
    with failing_writes(app.runtime.engine, "slack_inbox"):
        lost = [sender.message(f"Disk full {n}") for n in range(3)]
    assert sender.statuses == [503, 503, 503]
    sender.retry_all()
    assert _stored(app, 3) == {ts: 1 for ts in lost}


def test_a_write_failing_after_the_ack_is_processed_again_from_the_inbox(app: SlackApp) -> None:
    sender = Sender(app)
    with failing_writes(app.runtime.engine, "tickets"):
        stored = [sender.message(f"Stored, then the disk filled {n}") for n in range(3)]
        assert sender.statuses == [200, 200, 200]  # stored in the inbox: the ack is honest
        inbox = app.runtime.inbox
        assert inbox is not None

        def failed() -> bool:
            with app.runtime.services.uow.begin(read_only=True) as tx:
                return all((tx.inbox.get(key=f"event:Ev{ts}").last_error or "") for ts in stored)

        app.wait_for(failed)  # each listener failed on the full disk: its row stays pending
        assert _tickets_by_thread(app) == {}
    sender.message("After the disk was cleaned")
    for ts in stored:  # Slack's own retries of what was acknowledged are recognised, not processed twice
        body = inbound.event_callback(
            inbound.message_event(SUPPORT, CLIENT, "x", ts), TEAM, event_id=f"Ev{ts}"
        )
        assert app.post(body, retry_num=1)[0] == 200
    counts = _stored(app, 4)
    assert all(counts[ts] == 1 for ts in stored) and sum(counts.values()) == 4


@pytest.mark.postgres
def test_messages_during_a_postgresql_restart_exist_afterwards_once(tmp_path: Path, pg_cluster: Any) -> None:
    url = pg_cluster.create_database()
    migrate(url)
    clock = ManualClock(TUESDAY_10_BERLIN)
    with running_app(
        tmp_path,
        clock=clock,
        secret=SECRET,
        users=USERS,
        channels=CHANNELS,
        database_url=url,
        SLABOT_HOME_REFRESH_SECONDS=0,
    ) as (runtime, slack, app_url):
        app = SlackApp(runtime, slack, app_url, clock, SECRET)
        sender = Sender(app)
        sender.message("Before the restart")
        app.wait_for(lambda: len(_tickets_by_thread(app)) == 1, timeout=20)
        pg_cluster.pause()
        try:
            down = [sender.message(f"While PostgreSQL is down {n}") for n in range(3)]
        finally:
            pg_cluster.resume()
        assert sender.statuses == [200, 503, 503, 503]
        for _ in range(3):
            sender.retry_all()
        assert not sender.pending
        counts = _stored(app, 4)
        assert all(counts[ts] == 1 for ts in down) and sum(counts.values()) == 4


def test_concurrent_redelivery_stores_one_inbox_row(app: SlackApp) -> None:
    ts = app.slack.post_user_message(SUPPORT, CLIENT, "Once")["ts"]
    body = inbound.event_callback(inbound.message_event(SUPPORT, CLIENT, "Once", ts), TEAM, event_id="EvOnce")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        statuses.append(app.post(body, retry_num=1)[0])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 8
    app.wait_for(lambda: _tickets_by_thread(app) == {ts: 1})
    with app.runtime.services.uow.begin(read_only=True) as tx:
        assert tx.inbox.counts() in ({"done": 1}, {"pending": 1})
