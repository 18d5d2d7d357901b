"""The single-row insert-or-ignore / insert-or-update statements of the repositories
(``storage.repositories._base.upsert``): the same conflict handling as the dialect inserts they
replace, on SQLite and PostgreSQL, and each compiled once per engine instead of on every call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.models import AlertMessage, ContractVersionRow, Notification, Survey, Workspace
from storage.repositories import TimerRow
from storage.uow import Transaction, UnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
TEAM = "T0UPSERT01"


def new_ticket(uow: UnitOfWork) -> int:
    with uow.begin() as tx:
        return tx.tickets.create(team_id=TEAM, source="webhook", opened_at=T0).id


def count(tx: Transaction, model: type) -> int:
    return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


def timer(metric: str, due: datetime) -> TimerRow:
    return TimerRow(metric=metric, cycle=1, state="running", target=H, started_at=T0, due_at=due)


def test_enqueue_keeps_the_first_notification_of_a_key(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        first = tx.outbox.enqueue(
            team_id=TEAM, idempotency_key="k1", kind="warning", payload={"n": 1}, now=T0, ticket_id=tid
        )
        again = tx.outbox.enqueue(
            team_id=TEAM, idempotency_key="k1", kind="breach", payload={"n": 2}, now=T0 + H, ticket_id=tid
        )
        other = tx.outbox.enqueue(team_id=TEAM, idempotency_key="k2", kind="warning", payload={}, now=T0)
    assert (first, again, other) == (True, False, True)
    with uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=TEAM, idempotency_key="k1")
        assert row is not None and (row.kind, row.payload, row.not_before) == ("warning", {"n": 1}, T0)
        assert row.ticket_id == tid and row.state == "pending" and row.attempts == 0
        assert count(tx, Notification) == 2
        # the workspace row was there already: ensuring it changed nothing (its ticket numbers go on)
        assert tx.session.get(Workspace, TEAM).ticket_seq == 1  # type: ignore[union-attr]


def test_an_alert_message_is_moved_not_duplicated(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    place = {"team_id": TEAM, "ticket_id": tid, "metric": "first_response", "cycle": 1, "channel_id": "C1"}
    with uow.begin() as tx:
        tx.outbox.record_alert_message(**place, thread_ts=None, slack_ts="1.1", showing="n1", now=T0)
        tx.outbox.record_alert_message(**place, thread_ts=None, slack_ts="2.2", showing="n2", now=T0 + H)
        tx.outbox.record_alert_message(**place, thread_ts="9.9", slack_ts="3.3", showing="n3", now=T0)
    with uow.begin(read_only=True) as tx:
        moved = tx.outbox.alert_message(**place, thread_ts=None)
        assert moved is not None and (moved.slack_ts, moved.showing, moved.updated_at) == (
            "2.2",
            "n2",
            T0 + H,
        )
        assert count(tx, AlertMessage) == 2


def test_a_contract_version_is_stored_once(uow: UnitOfWork) -> None:
    version = {"contract_key": "acme", "number": 1, "effective": date(2026, 1, 1), "sha256": "ab" * 32}
    with uow.begin() as tx:
        first = tx.contracts.store_version(team_id=TEAM, **version, content={"v": 1}, now=T0).id
        again = tx.contracts.store_version(team_id=TEAM, **version, content={"v": 2}, now=T0 + H)
        assert again.id == first and again.content == {"v": 1} and again.stored_at == T0
        assert count(tx, ContractVersionRow) == 1


def test_a_ticket_has_one_survey(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        first = tx.surveys.open(team_id=TEAM, ticket_id=tid, opened_at=T0, requester="U1", scale="nps")
        again = tx.surveys.open(team_id=TEAM, ticket_id=tid, opened_at=T0 + H, requester="U2")
        assert first is not None and first.requester == "U1" and first.closes_at is None
        assert again is None and count(tx, Survey) == 1


def test_a_replaced_projection_is_read_in_the_same_transaction_and_after_it(uow: UnitOfWork) -> None:
    """The loaded ticket follows its new due columns, the loaded timer rows are read again, and the
    ticket stays readable after the commit (the unit of work keeps loaded rows)."""
    tid = new_ticket(uow)
    with uow.begin() as tx:
        ticket = tx.tickets.get(team_id=TEAM, ticket_id=tid)
        tx.timers.replace_for_ticket(
            team_id=TEAM, ticket_id=tid, timers=[timer("resolution", T0 + 8 * H)], now=T0
        )
        [row] = tx.timers.list_for_ticket(team_id=TEAM, ticket_id=tid)
        kept = row.id
        tx.timers.replace_for_ticket(
            team_id=TEAM,
            ticket_id=tid,
            timers=[timer("resolution", T0 + 9 * H), timer("first_response", T0 + H)],
            now=T0 + H,
        )
        assert ticket is not None and ticket.next_due_at == T0 + H and ticket.updated_at == T0 + H
        assert row.due_at == T0 + 9 * H and row.id == kept  # the same row, updated in place
        assert len(tx.timers.list_for_ticket(team_id=TEAM, ticket_id=tid)) == 2
    assert ticket.ref == "T-1" and ticket.next_due_at == T0 + H


def _compiled_once(
    uow: UnitOfWork, caplog: pytest.LogCaptureFixture, call: Callable[[Transaction, int], object]
) -> None:
    """``call`` made three times, each in a transaction of its own: every INSERT is compiled on the
    first only (SQLAlchemy logs a statement it takes from its cache as ``[cached since ...]``, beside
    a fresh one's ``[generated in ...]``)."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")
    try:
        for n in range(3):
            caplog.clear()
            with uow.begin() as tx:
                call(tx, n)
            messages = [r.getMessage() for r in caplog.records]
            after_insert = [b for a, b in zip(messages, messages[1:], strict=False) if a.startswith("INSERT")]
            assert after_insert, messages
            if n:
                assert all(m.startswith("[cached since") for m in after_insert), after_insert
    finally:
        caplog.set_level(logging.WARNING, logger="sqlalchemy.engine.Engine")


@pytest.mark.parametrize(
    "what",
    ["enqueue", "alert message", "contract version", "survey", "timer projection"],
)
def test_single_row_upserts_are_compiled_once(
    uow: UnitOfWork, caplog: pytest.LogCaptureFixture, what: str
) -> None:
    tid = new_ticket(uow)

    def call(tx: Transaction, n: int) -> object:
        if what == "enqueue":
            return tx.outbox.enqueue(
                team_id=TEAM, idempotency_key=f"k{n}", kind="warning", payload={}, now=T0
            )
        if what == "alert message":
            return tx.outbox.record_alert_message(
                team_id=TEAM,
                ticket_id=tid,
                metric="m",
                cycle=1,
                channel_id="C1",
                thread_ts=None,
                slack_ts=f"{n}.0",
                showing="x",
                now=T0,
            )
        if what == "contract version":
            return tx.contracts.store_version(
                team_id=TEAM,
                contract_key="acme",
                number=n,
                effective=date(2026, 1, 1),
                sha256=f"{n:064}",
                content={},
                now=T0,
            )
        if what == "survey":
            return tx.surveys.open(team_id=TEAM, ticket_id=new_ticket_in(tx), opened_at=T0)
        return tx.timers.replace_for_ticket(
            team_id=TEAM, ticket_id=tid, timers=[timer("resolution", T0 + n * H)], now=T0
        )

    _compiled_once(uow, caplog, call)


def new_ticket_in(tx: Transaction) -> int:
    return tx.tickets.create(team_id=TEAM, source="webhook", opened_at=T0).id
