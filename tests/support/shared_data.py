"""The files of ``../shared`` the tests read (see shared/README.md), and the 24x7 contract the
ServiceNow log is replayed through.

A test asks for a file with :func:`shared`: it skips with a clear message when the folder is absent
(someone cloning the project alone), except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TICKETS = SHARED / "data" / "tickets"
SERVICENOW = TICKETS / "servicenow_incident_event_log_sample.csv"
"""The UCI ServiceNow incident event log sample."""
BPIC = TICKETS / "bpic2013_volvo_incidents.xes.gz"
"""The BPI Challenge 2013 Volvo IT incident log."""

SERVICENOW_CONTRACT = """\
calendars: {always: {timezone: UTC, hours: 24x7}}
clients: {servicenow: {name: ServiceNow log, channels: [C0SN000001], contract: itsm}}
contracts:
  itsm:
    versions:
      - effective: 2010-01-01
        calendar: always
        pause_on: {waiting_on_client: all, on_hold: [resolution]}
        default_priority: P3
        targets:
          P1: {first_response: 30m, resolution: 4h}
          P2: {first_response: 1h, resolution: 8h}
          P3: {first_response: 4h, resolution: 3d}
          P4: {first_response: 8h, resolution: 5d}
"""
"""A 24x7 ITSM contract for the ServiceNow log (client ``servicenow``, as ``sla.datasets`` names it)."""


def shared(path: Path) -> Path:
    """``path`` (a file of ../shared) when it exists; else skip the test, or fail it in CI."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must provide ../shared/data (see its README.md)")
        pytest.skip(f"{path} is not available (the shared data sets live in ../shared/data)")
    return path
