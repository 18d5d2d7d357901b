"""The workspace a terminal command acts for when none is given (light: read at ``slabot --help``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the unit of work only as a type: this module is read at `slabot --help`
    from storage.uow import UnitOfWork

#: the demo's workspace, used when SLABOT_TEAM_ID is not set
DEMO_TEAM_ID = "T0SLABOT01"


def default_team_id() -> str:
    """``SLABOT_TEAM_ID``, else the demo's workspace."""
    return os.environ.get("SLABOT_TEAM_ID", DEMO_TEAM_ID)


def team_ids(uow: UnitOfWork) -> list[str]:
    """Every workspace the database holds, in order (the jobs go through each)."""
    with uow.begin(read_only=True) as tx:
        return tx.workspaces.list_team_ids()


def team_or_only(given: str | None, uow: UnitOfWork) -> str | list[str]:
    """``given`` when set, else the database's only workspace; else (none, or several) the list of
    the workspaces it holds, for the caller to say which to choose from."""
    if given:
        return given
    teams = team_ids(uow)
    return teams[0] if len(teams) == 1 else teams
