"""Which workspace a request is for: read from Bolt's ``context``, never re-parsed from the body.

Bolt resolves the ids once per request (``slack_bolt.request.internals.build_context``), and gets
Slack Connect right: an event from a channel shared with another organisation names the sender's
team in ``team_id`` but the installing workspace in ``authorizations[0]``, and a modal opened from
a shared channel carries ``view.app_installed_team_id``. Every listener asks here.
"""

from __future__ import annotations

from typing import NamedTuple

from slack_bolt import BoltContext


class WorkspaceIds(NamedTuple):
    team_id: str
    enterprise_id: str | None


def workspace_of(context: BoltContext) -> WorkspaceIds:
    """The installing workspace of this request (``team_id`` is ``""`` when Slack sent none)."""
    return WorkspaceIds(context.team_id or "", context.enterprise_id or None)


def team_of(context: BoltContext) -> str:
    """The installing workspace's team id (``""`` when Slack sent none)."""
    return workspace_of(context).team_id
