"""tickets: index for `/sla status at-risk` (open tickets past their at-risk instant, not yet due)

Without it, counting a team's at-risk tickets walked every open ticket not yet due (the breach index
by due time) and read each one's row for ``next_risk_at``: 2 ms of SQLite per answer with 100,000
open tickets, against 0.15 ms on this index (it covers the count).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:35:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_risk_due",
        "tickets",
        ["team_id", "is_open", "has_breach", "next_risk_at", "next_due_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_risk_due", table_name="tickets")
