"""Reading a user group's members from Slack (``usergroups.users.list``) for the agent directory."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.people import MembersOf

log = logging.getLogger("bot.services.people")  # where operators have always found this warning


def usergroup_members(client_for: Callable[[str], WebClient | None]) -> MembersOf:
    """``members(team_id, usergroup)``: the group's user ids, or None when the workspace has no
    client or Slack could not be asked (logged)."""

    def members(team_id: str, usergroup: str) -> frozenset[str] | None:
        client = client_for(team_id)
        if client is None:
            return None
        try:
            return frozenset(client.usergroups_users_list(usergroup=usergroup).get("users") or ())
        except (SlackApiError, OSError) as exc:
            log.warning("could not read agent user group %s of %s: %s", usergroup, team_id, exc)
            return None

    return members
