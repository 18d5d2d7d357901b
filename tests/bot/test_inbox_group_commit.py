"""Ack means stored, in shared transactions: concurrent Slack requests' inbox rows are committed
together (group commit), each request answered only once its own row is committed; a row the
database refuses fails its own request only; an unavailable database fails every waiting one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.clock import ManualClock
from bot.inbox import GroupCommit, Inbox, SlackRequest, StorageUnavailable
from storage.models import InboxItem
from storage.uow import Transaction, UnitOfWork

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


class GatedUow:
    """The first write transaction waits for ``gate``: the requests arriving meanwhile queue up."""

    def __init__(self, uow: UnitOfWork, *, fail_after_first: bool = False) -> None:
        self.uow = uow
        self.gate = threading.Event()
        self.writes = 0
        self.fail_after_first = fail_after_first

    def wait_for_the_first_write(self) -> None:
        """Until the first write transaction has begun (and waits for ``gate``)."""
        deadline = time.monotonic() + 10
        while self.writes == 0:
            assert time.monotonic() < deadline, "no write began"
            time.sleep(0.005)

    @contextmanager
    def begin(self, *, read_only: bool = False) -> Iterator[Transaction]:
        if not read_only:
            self.writes += 1
            if self.writes == 1:
                assert self.gate.wait(10)
            elif self.fail_after_first:
                raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        with self.uow.begin(read_only=read_only) as tx:
            yield tx


def row(key: str, *, kind: Any = "command") -> dict[str, Any]:
    return {
        "key": key,
        "team_id": "T0GROUP001",
        "kind": kind,
        "body": "",
        "headers": {},
        "now": NOW,
        "lease_until": NOW + timedelta(seconds=30),
        "max_attempts": 5,
        "state": "done",
    }


def queued(receiver: GroupCommit, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(receiver._queue) < count:  # the requests behind the first writer
        assert time.monotonic() < deadline, "requests did not queue"
        time.sleep(0.005)


def stored_keys(uow: UnitOfWork) -> list[str]:
    with uow.begin(read_only=True) as tx:
        return sorted(tx.session.scalars(select(InboxItem.key)))


@contextmanager
def held_first_write(
    uow: UnitOfWork, *, workers: int
) -> Iterator[tuple[GatedUow, GroupCommit, ThreadPoolExecutor, Future[Any]]]:
    """A group commit whose first request (``sig:first``) is writing, held until ``gated.gate`` is
    set; ``workers`` threads to send more requests with. The pool is shut down on the way out."""
    gated = GatedUow(uow)
    receiver = GroupCommit(gated)  # type: ignore[arg-type]
    with ThreadPoolExecutor(workers) as pool:
        first = pool.submit(receiver.receive, **row("sig:first"))
        gated.wait_for_the_first_write()
        yield gated, receiver, pool, first


def test_requests_waiting_behind_a_write_are_stored_in_one_transaction(uow: UnitOfWork) -> None:
    with held_first_write(uow, workers=16) as (gated, receiver, pool, first):
        rest = [pool.submit(receiver.receive, **row(f"sig:{i}")) for i in range(10)]
        # the same command twice while waiting (a replay): stored once, processed once
        twice = [pool.submit(receiver.receive, **row("sig:again")) for _ in range(2)]
        queued(receiver, 12)
        assert not any(f.done() for f in [first, *rest, *twice])  # nobody is answered before the commit
        gated.gate.set()
        results = [f.result(10) for f in [first, *rest]]
        again = [f.result(10) for f in twice]
    assert gated.writes == 2  # the first request's transaction, then one for the twelve queued behind it
    assert all(process for _id, process in results)
    assert len({row_id for row_id, _ in results}) == 11
    assert sorted(process for _id, process in again) == [False, True]
    assert again[0][0] == again[1][0]
    assert stored_keys(uow) == sorted(["sig:first", "sig:again", *(f"sig:{i}" for i in range(10))])


def test_a_row_the_database_refuses_fails_only_its_request(uow: UnitOfWork) -> None:
    with held_first_write(uow, workers=6) as (gated, receiver, pool, first):
        good = [pool.submit(receiver.receive, **row(f"sig:{i}")) for i in range(3)]
        bad = pool.submit(receiver.receive, **row("sig:bad", kind=None))  # kind is NOT NULL
        queued(receiver, 4)
        gated.gate.set()
        assert first.result(10)[1]
        assert all(f.result(10)[1] for f in good)
        with pytest.raises(Exception, match="(?i)null"):
            bad.result(10)
    assert stored_keys(uow) == ["sig:0", "sig:1", "sig:2", "sig:first"]


def test_an_unavailable_database_fails_every_waiting_request_and_the_inbox_answers_503(
    uow: UnitOfWork,
) -> None:
    gated = GatedUow(uow, fail_after_first=True)
    inbox = Inbox(gated, ManualClock(NOW))  # type: ignore[arg-type]
    ran: list[str] = []

    def dispatch(request: SlackRequest) -> tuple[int, dict[str, str], bytes]:
        ran.append(request.key)
        return 200, {}, b"ok"

    def command(key: str) -> SlackRequest:
        return SlackRequest("", {}, "", key, "command", "T0GROUP001")

    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(inbox.accept, command("sig:first"), dispatch)
        gated.wait_for_the_first_write()
        waiting = [pool.submit(inbox.accept, command(f"sig:{i}"), dispatch) for i in range(4)]
        queued(inbox._receiver, 4)
        gated.gate.set()
        assert first.result(10) == (200, {}, b"ok")
        for future in waiting:
            with pytest.raises(StorageUnavailable):
                future.result(10)
    assert ran == ["sig:first"]  # nothing runs that was not stored
    assert stored_keys(uow) == ["sig:first"]


def test_a_replayed_command_is_answered_once_without_a_read_first(uow: UnitOfWork) -> None:
    inbox = Inbox(uow, ManualClock(NOW))
    ran: list[str] = []

    def dispatch(request: SlackRequest) -> tuple[int, dict[str, str], bytes]:
        ran.append(request.key)
        return 200, {}, b"ok"

    request = SlackRequest("", {}, "", "sig:replayed", "command", "T0GROUP001")
    assert inbox.accept(request, dispatch) == (200, {}, b"ok")
    assert inbox.accept(request, dispatch) == (200, {}, b"")
    assert ran == ["sig:replayed"]
