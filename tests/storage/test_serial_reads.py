"""``UnitOfWork.begin(read_only=True, serial=True)``: on SQLite such reads take turns in the process
(CPython's sqlite3 lets go of the GIL on every row it steps to: interleaved page reads cost three
times the CPU, bench/http_bench.py); on PostgreSQL they run together; other reads never wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from storage.uow import Turns, UnitOfWork

HELD = 5.0  # how long a test waits for something that must happen
NOT_YET = 0.3  # how long it watches for something that must not


@contextmanager
def holding(uow: UnitOfWork, **begin: bool) -> Iterator[None]:
    """A thread inside ``uow.begin(**begin)`` until the block ends."""
    inside, release = threading.Event(), threading.Event()

    def read() -> None:
        with uow.begin(**begin) as tx:
            tx.session.connection()
            inside.set()
            release.wait(HELD)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert inside.wait(HELD), "the first reader never started"
    try:
        yield
    finally:
        release.set()
        thread.join(HELD)


def entered(uow: UnitOfWork, timeout: float, **begin: bool) -> tuple[threading.Event, threading.Thread]:
    """A second reader started in a thread: its event is set once it is inside its transaction."""
    inside = threading.Event()

    def read() -> None:
        with uow.begin(**begin) as tx:
            tx.session.connection()
            inside.set()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    inside.wait(timeout)
    return inside, thread


def test_serial_reads_take_turns_on_sqlite_and_run_together_on_postgresql(
    uow: UnitOfWork, db_backend: str
) -> None:
    with holding(uow, read_only=True, serial=True):
        second, thread = entered(
            uow, NOT_YET if db_backend == "sqlite" else HELD, read_only=True, serial=True
        )
        if db_backend == "sqlite":
            assert not second.is_set(), "a second serial read ran beside the first on SQLite"
        else:
            assert second.is_set(), "PostgreSQL's serial reads waited for each other"
    assert second.wait(HELD), "the second serial read never ran after the first ended"
    thread.join(HELD)


@pytest.mark.parametrize("begin", [{"read_only": True}, {}], ids=["plain read", "write"])
def test_other_transactions_never_wait_for_a_serial_read(uow: UnitOfWork, begin: dict[str, bool]) -> None:
    with holding(uow, read_only=True, serial=True):
        other, thread = entered(uow, HELD, **begin)
        assert other.is_set(), f"a {begin or 'write'} transaction waited for a serial read"
    thread.join(HELD)


def test_the_turns_belong_to_one_unit_of_work(uow: UnitOfWork, engine: Engine) -> None:
    """Two runtimes in one process (two units of work) do not take turns with each other."""
    with holding(uow, read_only=True, serial=True):
        other, thread = entered(UnitOfWork.from_engine(engine), HELD, read_only=True, serial=True)
        assert other.is_set()
    thread.join(HELD)


def test_serial_is_for_reads(uow: UnitOfWork) -> None:
    with pytest.raises(ValueError, match="read-only"), uow.begin(serial=True):
        pass


def _queued(turns: Turns, count: int) -> None:
    """Wait until ``count`` threads wait on ``turns``."""
    deadline = time.monotonic() + HELD
    while len(turns._waiting) < count:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.005)


def test_turns_go_in_arrival_order() -> None:
    turns, order, threads = Turns(), [], []
    with turns:
        for name in "abcdef":
            thread = threading.Thread(
                target=lambda name=name: _enter_and_note(turns, order, name), daemon=True
            )
            thread.start()
            threads.append(thread)
            _queued(turns, len(threads))  # each one arrives after the one before
    for thread in threads:
        thread.join(HELD)
    assert order == list("abcdef")
    with turns:  # free again: entered at once
        assert not turns._waiting


def _enter_and_note(turns: Turns, order: list[str], name: str) -> None:
    with turns:
        order.append(name)


class Interrupted(BaseException):
    pass


@pytest.mark.parametrize("given", [False, True], ids=["still queued", "turn already given"])
def test_a_waiter_interrupted_while_waiting_never_leaves_the_lock_held(given: bool) -> None:
    """An exception while waiting (a KeyboardInterrupt) gives up the place in the queue, or passes on
    the turn it was just given: afterwards nobody holds the lock."""
    turns = Turns()
    turns.__enter__()

    def interrupted_wait(_event: threading.Event, timeout: float | None = None) -> bool:
        if given:
            turns.__exit__()  # the holder leaves: the turn goes to this waiter, then the interrupt
        raise Interrupted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Event, "wait", interrupted_wait)
        with pytest.raises(Interrupted):
            turns.__enter__()
    assert not turns._waiting
    if not given:
        assert turns._held
        turns.__exit__()
    assert not turns._held
