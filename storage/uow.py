"""The unit of work: one transaction, all repositories.

    uow = UnitOfWork(make_session_factory(engine))      # or UnitOfWork.from_engine(engine)
    with uow.begin() as tx:                             # commits on exit, rolls back on an exception
        ticket = tx.tickets.create(team_id=..., source="slack_thread", opened_at=now)
        tx.events.append(team_id=..., ticket_id=ticket.id, at=now, kind="opened", recorded_at=now)
        tx.timers.replace_for_ticket(team_id=..., ticket_id=ticket.id, timers=rows, now=now)
        tx.outbox.enqueue(team_id=..., idempotency_key=..., kind="warning", payload={...}, now=now)

Rows returned stay readable after the block (``expire_on_commit=False``). On SQLite every transaction
starts with ``BEGIN IMMEDIATE`` (one writer at a time, no lock-upgrade deadlocks) unless it is
declared ``read_only=True``, which uses a deferred ``BEGIN`` so readers never queue behind writers.

A short read that a busy workspace repeats (a ``/sla status`` page, App Home) is also declared
``serial=True``: on SQLite such reads run one at a time in the process. CPython's ``sqlite3`` lets go
of the GIL around every row it steps to, so sixteen threads reading pages at once hand the GIL back
and forth on each row: three times the CPU of one reader, and slower answers (``bench/http_bench.py``,
answer cache off). PostgreSQL readers wait on the network, where reading together pays: there
``serial`` changes nothing.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY_OPTION, make_session_factory
from storage.repositories import Repositories


class Turns:
    """A lock whose waiters go in the order they came. ``threading.Lock`` lets in whichever waiter
    the scheduler wakes: with sixteen status pages queued, some waited many turns while others went
    straight in (p99 132 ms against p50 85 ms; in arrival order 108 ms, ``bench/http_bench.py``)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._held = False

    def __enter__(self) -> Turns:
        with self._mutex:
            if not self._held:
                self._held = True
                return self
            turn = threading.Event()
            self._waiting.append(turn)
        try:
            turn.wait()
        except BaseException:  # interrupted while waiting: leave the queue, or pass on a turn given
            with self._mutex:
                given = turn.is_set()
                if not given:
                    self._waiting.remove(turn)
            if given:
                self.__exit__()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # the next waiter holds it now
            else:
                self._held = False


class Transaction(Repositories):
    """The repositories bound to one open transaction (see :class:`storage.repositories.Repositories`)."""


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        dialect = getattr(session_factory.kw.get("bind"), "dialect", None)
        on_sqlite = dialect is not None and dialect.name == "sqlite"
        #: what ``serial`` reads hold (on SQLite, their turn in arrival order; nothing elsewhere)
        self._serial: Any = Turns() if on_sqlite else nullcontext()

    @classmethod
    def from_engine(cls, engine: Engine) -> UnitOfWork:
        return cls(make_session_factory(engine))

    @contextmanager
    def begin(self, *, read_only: bool = False, serial: bool = False) -> Iterator[Transaction]:
        """One transaction; ``serial`` (with ``read_only``): one such read at a time on SQLite."""
        if serial and not read_only:
            raise ValueError("serial applies to read-only transactions")
        with self._serial if serial else nullcontext(), self.session_factory() as session, session.begin():
            if read_only:
                session.connection(execution_options={READ_ONLY_OPTION: True})
            yield Transaction(session)
