"""``slabot import``'s batched path trusts its row ids (``RowIds``: made of the row, its ticket id
included, and distinct within a run): the events of a ticket that is not stored, or that the run opened
itself, cannot be stored already, so they are not looked up among the stored ones. A concurrent writer
that stores one of them after all makes the batch fail on the events' unique key; it is planned again
with the lookup and stored exactly once — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

import bot.sources.ingest as ingest_module
from bot.sources.importer import RowIds
from bot.sources.ingest import TicketIngest
from sla.replay import RowError, iter_events_csv
from storage.models import Ticket
from storage.uow import UnitOfWork
from tests.bot.test_import_batched import MIXED, ingest_for, reference, run, state

__all__ = ["reference"]  # the module-scoped fixture: the per-event path's final state


def test_only_events_of_tickets_stored_before_the_run_are_looked_up(
    uow: UnitOfWork, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row ids name their ticket (RowIds), so the events of a ticket that is not stored, or that
    this run opened, cannot be stored: only the events of tickets stored before the run are looked
    up — a new history none, a resumed one those that must be found to be skipped."""
    expected, _ = reference
    asked: list[str] = []
    lookup = ingest_module.stored_external_ids

    def recording(session: Any, **kw: Any) -> set[str]:
        asked.extend(kw["external_ids"])
        return lookup(session, **kw)

    monkeypatch.setattr(ingest_module, "stored_external_ids", recording)
    lines = MIXED.splitlines(keepends=True)
    head = "".join(lines[: len(lines) // 3])
    run(ingest_for(uow), head, batch=50)  # another run (the per-event path) stored the first third
    with uow.begin(read_only=True) as tx:
        before = set(tx.session.scalars(select(Ticket.external_ref)))
    ids = RowIds()
    ticket_of = {
        f"import:{ids(e)}": f"import:{e.ticket_id}"
        for _, e in iter_events_csv(io.StringIO(MIXED))
        if not isinstance(e, RowError)
    }
    asked.clear()
    summary = run(ingest_for(uow), MIXED, batch=20, batched=True)
    assert state(uow) == expected
    assert summary.duplicates > 0 and len(asked) >= summary.duplicates
    assert {ticket_of[x] for x in asked} <= before  # the others were never looked up
    assert len(asked) < len(ticket_of)


def test_a_new_history_is_imported_without_a_lookup(
    uow: UnitOfWork, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, _ = reference
    asked: list[str] = []
    lookup = ingest_module.stored_external_ids
    monkeypatch.setattr(
        ingest_module,
        "stored_external_ids",
        lambda session, **kw: asked.extend(kw["external_ids"]) or lookup(session, **kw),
    )
    run(ingest_for(uow), MIXED, batch=20, batched=True)
    assert asked == [] and state(uow) == expected
    again = run(ingest_for(uow), MIXED, batch=20, batched=True)  # every row is looked up and skipped
    assert again.events_created == 0 and len(asked) >= again.duplicates > 0
    assert state(uow) == expected


class CountsAttempts(TicketIngest):
    """Records, for each batch attempt, whether it trusted opened tickets and whether it failed."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.attempts: list[tuple[bool, bool]] = []

    def ingest_batch(self, **kw: Any):  # type: ignore[no-untyped-def,override]
        trusted = bool(kw.get("opened"))
        try:
            out = super().ingest_batch(**kw)
        except Exception:
            self.attempts.append((trusted, True))
            raise
        self.attempts.append((trusted, False))
        return out


def test_a_concurrent_writer_of_a_ticket_the_run_opened_costs_a_retry_not_a_double(
    uow: UnitOfWork, reference: Any
) -> None:
    """After the run's second batch another writer (the per-event path, same source and row ids)
    stores the next rows, events of tickets the run opened among them: the run's next batch fails on
    the unique key, is planned again with the lookup, finds them stored, and the state is the one of
    one import."""
    expected, _ = reference
    lines = MIXED.splitlines(keepends=True)
    importer = ingest_for(uow, CountsAttempts)
    batch = 30
    done: list[int] = []

    def someone_else_goes_on(summary: Any, line: int) -> None:
        if (
            len(done) == 1
        ):  # after the second batch: the rows of the next two batches, stored by another writer
            run(ingest_for(uow), "".join(lines[: line + 2 * batch]), batch=50)
        done.append(line)

    summary = run(importer, MIXED, batch=batch, batched=True, after_batch=someone_else_goes_on)
    failed = [trusted for trusted, failed in importer.attempts if failed]  # type: ignore[attr-defined]
    assert failed and all(failed)  # only attempts that trusted opened tickets failed...
    assert importer.attempts[importer.attempts.index((True, True)) + 1] == (False, False)  # type: ignore[attr-defined]
    assert summary.duplicates >= batch  # ...and the retry found the other writer's events
    assert state(uow) == expected
