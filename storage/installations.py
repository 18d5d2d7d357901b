"""Slack installations and OAuth states, stored by slack_sdk's own SQLAlchemy stores in our database.

This is the one module of ``storage/`` allowed to import ``slack_sdk`` (only its storage classes).
Importing it registers the stores' tables on :data:`storage.models.Base.metadata`, so that the
migrations create them and the model/migration comparison covers them. The table definitions come
from the store classes themselves (``build_*_table``), so they cannot drift from what slack_sdk queries.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table
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


def make_installation_store(engine: Engine, *, client_id: str) -> SQLAlchemyInstallationStore:
    """slack_sdk's installation store on our engine (tables come from our migrations)."""
    return SQLAlchemyInstallationStore(client_id=client_id, engine=engine)


def make_oauth_state_store(engine: Engine, *, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """slack_sdk's OAuth state store on our engine (tables come from our migrations)."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine)
