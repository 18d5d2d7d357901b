"""``tx.tickets.read_many``: the tickets of ``get_many`` as read-only tuples (the sweep reads a thousand
at a time), the same values column by column, scoped to the workspace."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Ticket
from storage.uow import UnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_read_many_has_every_column_of_get_many_and_only_the_teams_tickets(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        mine = [
            tx.tickets.create(
                team_id="T1", source="slack_thread", opened_at=T0, title=f"t{i}", client_key="acme"
            ).id
            for i in range(3)
        ]
        other = tx.tickets.create(team_id="T2", source="slack_thread", opened_at=T0).id
    with uow.begin(read_only=True) as tx:
        loaded = tx.tickets.get_many(team_id="T1", ticket_ids=[*mine, other, 999_999])
        expected = {tid: {c.name: getattr(t, c.key) for c in Ticket.__table__.c} for tid, t in loaded.items()}
    with uow.begin(read_only=True) as tx:
        read = tx.tickets.read_many(team_id="T1", ticket_ids=[*mine, other, 999_999, mine[0]])
        assert len(tx.session.identity_map) == 0  # nothing loaded into the session
    assert set(read) == set(mine)
    assert {tid: row._asdict() for tid, row in read.items()} == expected
    assert read[mine[1]].title == "t1" and read[mine[1]].opened_at == T0
