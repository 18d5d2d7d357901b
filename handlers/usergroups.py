"""Reading a user group's members from Slack (``usergroups.users.list``) for the agent directory."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.people import MembersOf

log = logging.getLogger("bot.services.people")  # where operators have always found this warning


#: the roster is read inside listeners (a press's permission check): one try, a short timeout
ROSTER_TIMEOUT_SECONDS = 3


def usergroup_members(client_for: Callable[[str], WebClient | None]) -> MembersOf:
    """``members(team_id, usergroup)``: the group's user ids, or None when the workspace has no
    client or Slack could not be asked (logged; ``AgentDirectory`` keeps the last known members and
    asks again later).

    Asked once, without the retry handlers of the workspace's client: the roster is read inside a
    listener, where sleeping on a Retry-After of 20 s (three times) made button presses miss Bolt's
    3-second ack while Slack rate limited."""

    def members(team_id: str, usergroup: str) -> frozenset[str] | None:
        shared = client_for(team_id)
        if shared is None:
            return None
        client = WebClient(
            token=shared.token, base_url=shared.base_url, timeout=ROSTER_TIMEOUT_SECONDS, retry_handlers=[]
        )
        try:
            return frozenset(client.usergroups_users_list(usergroup=usergroup).get("users") or ())
        except (SlackApiError, OSError) as exc:
            log.warning("could not read agent user group %s of %s: %s", usergroup, team_id, exc)
            return None

    return members
