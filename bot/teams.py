"""The workspace a terminal command acts for when none is given (light: read at ``slabot --help``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the unit of work only as a type: this module is read at `slabot --help`
    from storage.uow import UnitOfWork

#: the demo's workspace, used when SLABOT_TEAM_ID is not set
DEMO_TEAM_ID = "T0SLABOT01"


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


#: what a terminal command asks for when the database holds several workspaces
CHOOSE_TEAM = "say which with --team (or SLABOT_TEAM_ID)"


class TeamError(ValueError):
    """Which workspace a command or a delivery is for cannot be told; the message says what to set."""


def resolve_team(configured: str | None, uow: UnitOfWork, *, choose: str = "set SLABOT_TEAM_ID") -> str:
    """``configured`` (``--team`` or ``SLABOT_TEAM_ID``) if set, else the database's one workspace, else
    (a database with none yet) the demo's. Several and none configured: :class:`TeamError`, whose
    message lists them and ends with ``choose`` (what the caller can set)."""
    teams = team_or_only(configured, uow)
    if isinstance(teams, str):
        return teams
    if not teams:
        return DEMO_TEAM_ID
    raise TeamError(f"the database holds {len(teams)} workspaces ({', '.join(sorted(teams))}): {choose}")


def command_team(command: str, configured: str | None, uow: UnitOfWork) -> str | None:
    """:func:`resolve_team` for the terminal command ``slabot <command>``: None after saying on stderr
    which workspaces there are and how to choose (the caller exits 2)."""
    try:
        return resolve_team(configured, uow, choose=CHOOSE_TEAM)
    except TeamError as exc:
        print(f"slabot {command}: {exc}", file=sys.stderr)
        return None
