"""tickets: external_system and external_id — what the helpdesk a ticket came from calls it

Zendesk's ticket 35436 became T-199 and `/sla status 35436` answered "can't find": the id was kept
only inside ``external_ref`` (``zendesk:35436``, the intake's idempotency key), which a command cannot
search by the id alone without scanning. The two new columns hold the system and the id, indexed
by (team, id); the tickets already stored get them from ``external_ref`` (split at its first ``:``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("external_system", sa.String(length=64), nullable=True))
    op.add_column("tickets", sa.Column("external_id", sa.String(length=200), nullable=True))
    op.create_index("ix_tickets_external_id", "tickets", ["team_id", "external_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        colon = "strpos(external_ref, ':')"
    else:
        colon = "instr(external_ref, ':')"
    op.execute(
        "UPDATE tickets SET "
        f"external_system = substr(external_ref, 1, {colon} - 1), "
        f"external_id = substr(external_ref, {colon} + 1) "
        f"WHERE external_ref IS NOT NULL AND {colon} > 1"
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_external_id", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("external_id")
        batch.drop_column("external_system")
