"""surveys, nps_responses: the clause a mixed or negative comment was flagged for; a longer scorer version

The sentiment scorer (issue 17) records the part of a comment that reads as a complaint, quoted to the
lead, and its version now names the word model too ("2 (textblob 0.20.1, vader 3.3.2, words 181ffad6af17)",
52 characters: more than the 32 the column had).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("surveys", "nps_responses")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("sentiment_complaint", sa.Text(), nullable=True))
            batch_op.alter_column(
                "sentiment_version", existing_type=sa.String(length=32), type_=sa.String(length=96)
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                "sentiment_version", existing_type=sa.String(length=96), type_=sa.String(length=32)
            )
            batch_op.drop_column("sentiment_complaint")
