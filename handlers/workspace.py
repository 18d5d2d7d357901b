"""Which workspace a request is for: read from Bolt's ``context``, never re-parsed from the body.

Bolt resolves the ids once per request (``slack_bolt.request.internals.build_context``), and gets
Slack Connect right: an event from a channel shared with another organisation names the sender's
team in ``team_id`` but the installing workspace in ``authorizations[0]``, and a modal opened from
a shared channel carries ``view.app_installed_team_id``. Every listener asks here.

**Owner.** slabot's rows belong to the installation the request came through: the workspace's team
id, or, for an org-wide install on an Enterprise Grid (``context.is_enterprise_install``), the
enterprise id — one set of tickets, contracts' channels and reports for the whole organisation
(channel ids are unique across it; Slack's events for an org-wide install name no workspace in their
authorization). :func:`team_of` returns that owner.
"""

from __future__ import annotations

from typing import NamedTuple

from slack_bolt import BoltContext


class WorkspaceIds(NamedTuple):
    team_id: str
    enterprise_id: str | None
    is_enterprise_install: bool = False

    @property
    def owner(self) -> str:
        """The id slabot's rows are stored under (see the module's docstring)."""
        return (self.enterprise_id or self.team_id) if self.is_enterprise_install else self.team_id


def workspace_of(context: BoltContext) -> WorkspaceIds:
    """The installing workspace of this request (``team_id`` is ``""`` when Slack sent none)."""
    return WorkspaceIds(
        context.team_id or "", context.enterprise_id or None, bool(context.is_enterprise_install)
    )


def team_of(context: BoltContext) -> str:
    """The owner of this request's rows: the installing workspace's team id, or the enterprise id of
    an org-wide install (``""`` when Slack sent neither)."""
    return workspace_of(context).owner
