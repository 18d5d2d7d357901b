"""The files of ``../shared`` the tests and the benchmarks read (see shared/README.md), and the
contracts the real logs are replayed through.

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

ITSM_CONTRACTS = """\
calendars:
  always: {timezone: UTC, hours: 24x7}
  itsm-office:                    # ServiceNow's instance zone is not in the export: UTC
    timezone: UTC
    hours: {mon-fri: "08:00-18:00"}
  volvo-office:                   # Volvo IT, Gothenburg (the log's +01:00/+02:00 offsets)
    timezone: Europe/Stockholm
    hours: {mon-fri: "08:00-18:00"}
    holidays: {country: SE}
clients:
  servicenow: {name: ServiceNow log, channels: [C0SN000001], contract: itsm-24x7}
  servicenow-24x7: {name: ServiceNow log (24x7), channels: [C0SN000004], contract: itsm-24x7}
  servicenow-office: {name: ServiceNow log (office hours), channels: [C0SN000002], contract: itsm-office}
  servicenow-no-pause: {name: "ServiceNow log (24x7, no pauses)", channels: [C0SN000003], contract: itsm-24x7-no-pause}
  volvo-24x7: {name: Volvo IT log (24x7), channels: [C0VOLVO001], contract: itsm-24x7}
  volvo-office: {name: Volvo IT log (office hours), channels: [C0VOLVO002], contract: volvo-office}
contracts:
  itsm-24x7:
    versions:
      - &itsm-24x7
        effective: 2010-01-01
        services: [{name: Incident management, description: IT incidents from first report to resolution}]
        calendar: always
        pause_on: {waiting_on_client: all, on_hold: [resolution]}
        default_priority: P3
        targets:
          P1: {first_response: 30m, resolution: 4h}
          P2: {first_response: 1h, resolution: 8h}
          P3: {first_response: 4h, resolution: 3d}
          P4: {first_response: 8h, resolution: 5d}
  itsm-24x7-no-pause:             # the same targets, but waiting on the caller does not stop the clock
    versions: [{<<: *itsm-24x7, pause_on: []}]
  itsm-office:                    # business hours; P1 stays 24x7, as in most ITSM contracts
    versions:
      - &itsm-office
        <<: *itsm-24x7
        calendar: itsm-office
        targets:
          P1: {first_response: 30m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, resolution: 8h}
          P3: {first_response: 4h, resolution: 30h}
          P4: {first_response: 8h, resolution: 50h}
  volvo-office:
    versions: [{<<: *itsm-office, calendar: volvo-office}]
"""
"""ITSM contracts for the two shared logs, written for them (the targets behind ServiceNow's own
``made_sla`` column are not published): client ``servicenow`` (as ``sla.datasets`` names it) and
``servicenow-24x7`` / ``volvo-24x7`` on a 24x7 contract, ``servicenow-no-pause`` on the same targets
without pauses, ``servicenow-office`` / ``volvo-office`` on office hours (UTC; Stockholm with Swedish
public holidays)."""


def shared(path: Path) -> Path:
    """``path`` (a file of ../shared) when it exists; else skip the test, or fail it in CI."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must provide ../shared/data (see its README.md)")
        pytest.skip(f"{path} is not available (the shared data sets live in ../shared/data)")
    return path
