"""slack_inbox: Slack requests stored before they are acknowledged (ack means stored)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_inbox",
        sa.Column("id", storage.types.BigId, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", storage.types.JSONDocument, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_inbox")),
        sa.UniqueConstraint("key", name=op.f("uq_slack_inbox_key")),
    )
    op.create_index("ix_slack_inbox_state_lease", "slack_inbox", ["state", "lease_until"], unique=False)
    op.create_index("ix_slack_inbox_received_at", "slack_inbox", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_slack_inbox_received_at", table_name="slack_inbox")
    op.drop_index("ix_slack_inbox_state_lease", table_name="slack_inbox")
    op.drop_table("slack_inbox")
