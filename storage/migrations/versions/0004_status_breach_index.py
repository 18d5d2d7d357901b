"""tickets: index for `/sla status breached` (open tickets with a breach, by due time)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 21:25:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_tickets_breach_due", "tickets", ["team_id", "is_open", "has_breach", "next_due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_breach_due", table_name="tickets")
