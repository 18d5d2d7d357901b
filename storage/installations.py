"""Slack installations and OAuth states, stored by slack_sdk's own SQLAlchemy stores in our database.

This is the one module of ``storage/`` allowed to import ``slack_sdk`` (only its storage classes).
Importing it registers the stores' tables on :data:`storage.models.Base.metadata`, so that the
migrations create them and the model/migration comparison covers them. The table definitions come
from the store classes themselves (``build_*_table``), so they cannot drift from what slack_sdk queries.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table, desc, select
from sqlalchemy.engine import Engine

from storage.models import Base

BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name


def _register(metadata_tables: dict[str, Table]) -> tuple[Table, Table, Table]:
    metadata = Base.metadata
    bots = metadata_tables.get(BOTS_TABLE) or SQLAlchemyInstallationStore.build_bots_table(
        metadata, BOTS_TABLE
    )
    installations = metadata_tables.get(
        INSTALLATIONS_TABLE
    ) or SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    states = metadata_tables.get(OAUTH_STATES_TABLE) or SQLAlchemyOAuthStateStore.build_oauth_states_table(
        metadata, OAUTH_STATES_TABLE
    )
    return bots, installations, states


slack_bots, slack_installations, slack_oauth_states = _register(dict(Base.metadata.tables))


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, plus the one lookup slabot needs that it lacks: the bot of a data owner.

    Rows of slabot belong to an *owner*: the workspace's team id, or, for an org-wide install on an
    Enterprise Grid, the enterprise id (one set of tickets for the whole organisation: channel ids are
    unique across it). A workspace install inside a Grid is stored by slack_sdk under
    (enterprise id, team id), and background work (the notifier, App Home refreshes) knows only the
    team id: :meth:`find_bot_of` finds its enterprise id first."""

    def find_bot_of(self, owner: str) -> Bot | None:
        if owner.startswith("E"):
            return self.find_bot(enterprise_id=owner, team_id=None, is_enterprise_install=True)
        c = self.bots.c
        latest = (
            select(c.enterprise_id)
            .where(c.client_id == self.client_id, c.team_id == owner, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as conn:
            enterprise_id = conn.execute(latest).scalar()
        return self.find_bot(enterprise_id=enterprise_id, team_id=owner)


def make_installation_store(engine: Engine, *, client_id: str) -> InstallationStore:
    """slack_sdk's installation store on our engine (tables come from our migrations)."""
    return InstallationStore(client_id=client_id, engine=engine)


def make_oauth_state_store(engine: Engine, *, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store on our engine (tables come from our migrations)."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine)
