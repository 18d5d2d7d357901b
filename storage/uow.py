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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY_OPTION, make_session_factory
from storage.repositories import Repositories


class Transaction(Repositories):
    """The repositories bound to one open transaction (see :class:`storage.repositories.Repositories`)."""


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    @classmethod
    def from_engine(cls, engine: Engine) -> UnitOfWork:
        return cls(make_session_factory(engine))

    @contextmanager
    def begin(self, *, read_only: bool = False) -> Iterator[Transaction]:
        with self.session_factory() as session, session.begin():
            if read_only:
                session.connection(execution_options={READ_ONLY_OPTION: True})
            yield Transaction(session)
