"""surveys: the rating scale each survey was sent with; NPS comments scored for sentiment

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 20:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scale", sa.String(length=16), nullable=True))
    with op.batch_alter_table("nps_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment_polarity", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("sentiment_label", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sentiment_scorer", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sentiment_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nps_responses", schema=None) as batch_op:
        batch_op.drop_column("sentiment_version")
        batch_op.drop_column("sentiment_scorer")
        batch_op.drop_column("sentiment_label")
        batch_op.drop_column("sentiment_polarity")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("scale")
