"""tickets: one ticket per source message (unique team, channel, source_ts); duplicates already stored are closed

Slack redelivers an event whose ack was late; before this revision a redelivery racing the first
delivery could open a second ticket for the same message. ``source_ts`` is the ts of the Slack message
a ticket was opened from (the thread's root for a ticket a client's message opened; a later reply for
a successor ticket in the same thread), filled from ``thread_ts`` for the Slack-thread tickets already
stored. A database may already hold several tickets for one message. The upgrade never fails on them:
the oldest ticket of each message stays as it is; every younger one is marked ``duplicate_of`` the
oldest, closed by a ``closed`` event (note: "duplicate of T-n"), its running timers cancelled and its
pending alerts cancelled, so no zombie warns, breaches or counts in credits. The unique index covers
the tickets that are not duplicates (a partial index, on SQLite and PostgreSQL alike).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = "source_ts IS NOT NULL AND channel_id IS NOT NULL AND duplicate_of IS NULL"

_tickets = sa.table(
    "tickets",
    sa.column("id", sa.BigInteger),
    sa.column("team_id", sa.String),
    sa.column("ref", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("thread_ts", sa.String),
    sa.column("source_ts", sa.String),
    sa.column("source", sa.String),
    sa.column("status", sa.String),
    sa.column("is_open", sa.Boolean),
    sa.column("closed_at", storage.types.UTCDateTime()),
    sa.column("updated_at", storage.types.UTCDateTime()),
    sa.column("next_due_at", storage.types.UTCDateTime()),
    sa.column("next_risk_at", storage.types.UTCDateTime()),
    sa.column("event_seq", sa.Integer),
    sa.column("duplicate_of", sa.BigInteger),
)
_events = sa.table(
    "ticket_events",
    sa.column("team_id", sa.String),
    sa.column("ticket_id", sa.BigInteger),
    sa.column("seq", sa.Integer),
    sa.column("at", storage.types.UTCDateTime()),
    sa.column("kind", sa.String),
    sa.column("actor", sa.String),
    sa.column("note", sa.Text),
    sa.column("source", sa.String),
    sa.column("external_id", sa.String),
    sa.column("recorded_at", storage.types.UTCDateTime()),
)
_timers = sa.table(
    "metric_timers",
    sa.column("ticket_id", sa.BigInteger),
    sa.column("state", sa.String),
    sa.column("stopped_at", storage.types.UTCDateTime()),
    sa.column("next_alert_at", storage.types.UTCDateTime()),
    sa.column("at_risk_at", storage.types.UTCDateTime()),
    sa.column("updated_at", storage.types.UTCDateTime()),
)
_notifications = sa.table(
    "notifications",
    sa.column("ticket_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("state", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("source_ts", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("duplicate_of", storage.types.BigId, nullable=True))
    conn = op.get_bind()
    conn.execute(
        sa.update(_tickets)
        .where(_tickets.c.source == "slack_thread", _tickets.c.thread_ts.is_not(None))
        .values(source_ts=_tickets.c.thread_ts)
    )
    close_duplicates(conn, datetime.now(UTC))
    op.create_index(
        "uq_tickets_source_message",
        "tickets",
        ["team_id", "channel_id", "source_ts"],
        unique=True,
        postgresql_where=sa.text(_WHERE),
        sqlite_where=sa.text(_WHERE),
    )


def close_duplicates(conn: sa.Connection, now: datetime) -> int:
    """Close every younger ticket of a source message that has several (the oldest is kept); the count closed."""
    t = _tickets
    groups = conn.execute(
        sa.select(t.c.team_id, t.c.channel_id, t.c.source_ts, sa.func.min(t.c.id))
        .where(t.c.source_ts.is_not(None), t.c.channel_id.is_not(None), t.c.duplicate_of.is_(None))
        .group_by(t.c.team_id, t.c.channel_id, t.c.source_ts)
        .having(sa.func.count() > 1)
    ).all()
    closed = 0
    for team_id, channel_id, source_ts, keeper_id in groups:
        keeper_ref = conn.execute(sa.select(t.c.ref).where(t.c.id == keeper_id)).scalar_one()
        younger = conn.execute(
            sa.select(t.c.id, t.c.status, t.c.event_seq).where(
                t.c.team_id == team_id,
                t.c.channel_id == channel_id,
                t.c.source_ts == source_ts,
                t.c.id != keeper_id,
            )
        ).all()
        for ticket_id, status, event_seq in younger:
            changes: dict[str, object] = {"duplicate_of": keeper_id}
            if status != "closed":
                seq = (event_seq or 0) + 1
                conn.execute(
                    sa.insert(_events).values(
                        team_id=team_id,
                        ticket_id=ticket_id,
                        seq=seq,
                        at=now,
                        kind="closed",
                        actor="slabot",
                        note=f"duplicate of {keeper_ref} (one ticket per message, migration 0007)",
                        source="migration",
                        external_id=f"0007:duplicate:{ticket_id}",
                        recorded_at=now,
                    )
                )
                changes |= {
                    "status": "closed",
                    "is_open": False,
                    "closed_at": now,
                    "updated_at": now,
                    "next_due_at": None,
                    "next_risk_at": None,
                    "event_seq": seq,
                }
                conn.execute(
                    sa.update(_timers)
                    .where(_timers.c.ticket_id == ticket_id, _timers.c.stopped_at.is_(None))
                    .values(state="cancelled", stopped_at=now, updated_at=now)
                )
                conn.execute(
                    sa.update(_timers)
                    .where(_timers.c.ticket_id == ticket_id)
                    .values(next_alert_at=None, at_risk_at=None)
                )
                conn.execute(
                    sa.update(_notifications)
                    .where(
                        _notifications.c.ticket_id == ticket_id,
                        _notifications.c.state.in_(("pending", "claimed")),
                    )
                    .values(state="cancelled")
                )
            conn.execute(sa.update(t).where(t.c.id == ticket_id).values(**changes))
            closed += 1
    return closed


def downgrade() -> None:
    op.drop_index("uq_tickets_source_message", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("duplicate_of")
        batch.drop_column("source_ts")
