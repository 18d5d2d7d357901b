"""``UnitOfWork.begin(read_only=True, serial=True)``: on SQLite such reads take turns in the process
(CPython's sqlite3 lets go of the GIL on every row it steps to: interleaved page reads cost three
times the CPU, bench/http_bench.py); on PostgreSQL they run together; other reads never wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from storage.uow import UnitOfWork

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
