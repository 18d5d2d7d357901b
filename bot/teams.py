"""The workspace a terminal command acts for when none is given (light: read at ``slabot --help``)."""

from __future__ import annotations

import os

#: the demo's workspace, used when SLABOT_TEAM_ID is not set
DEMO_TEAM_ID = "T0SLABOT01"


def default_team_id() -> str:
    """``SLABOT_TEAM_ID``, else the demo's workspace."""
    return os.environ.get("SLABOT_TEAM_ID", DEMO_TEAM_ID)
