"""The SLA review of a real log: the shared ServiceNow sample (UCI "Incident management process enriched
event log", Amaral et al., CC BY 4.0), replayed through a ServiceNow-like contract (24x7, and office
hours with P1 around the clock), reviewed for 2016-Q1, and every proposed change checked the way a
manager would: the revised file passes `slabot contracts check` without a warning, every change stands
on at least MIN_SAMPLE tickets, priorities stay ordered, and the dry run shows it helps."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main as slabot
from sla.contracts import ContractBook, load_contracts_text
from sla.datasets import servicenow_events
from sla.periods import parse_period
from sla.replay import replay
from sla.review import MIN_SAMPLE, Vetting, draft_revision, review, revised_file_text, vet_proposal
from tests.support.shared_data import SERVICENOW, shared

CONTRACT = """\
calendars:
  always: {timezone: UTC, hours: 24x7}
  office: {timezone: UTC, hours: {mon-fri: "08:00-18:00"}}
clients:
  sn-24x7: {name: ServiceNow sample (24x7), channels: [C0SN000001], contract: itsm-24x7}
  sn-office: {name: ServiceNow sample (office hours), channels: [C0SN000002], contract: itsm-office}
contracts:
  itsm-24x7:
    versions:
      - effective: 2016-01-01
        services: [{name: Incident management, description: IT incidents from first report to resolution}]
        calendar: always
        pause_on: {waiting_on_client: all, on_hold: [resolution]}
        default_priority: P3
        alerts: {channel: C0ALERTS01}
        targets:
          P1: {first_response: 30m, resolution: 4h}
          P2: {first_response: 1h, resolution: 8h}
          P3: {first_response: 4h, resolution: 72h}
          P4: {first_response: 8h, resolution: 120h}
        review: {cadence: quarterly, lead: U0LEAD0001}
  itsm-office:
    versions:
      - effective: 2016-01-01
        services: [{name: Incident management, description: IT incidents in office hours}]
        calendar: office
        pause_on: {waiting_on_client: all, on_hold: [resolution]}
        default_priority: P3
        alerts: {channel: C0ALERTS02}
        targets:
          P1: {first_response: 30m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, resolution: 8h}
          P3: {first_response: 4h, resolution: 24h}
          P4: {first_response: 8h, resolution: 40h}
        review: {cadence: quarterly, lead: U0LEAD0001}
"""
AS_OF = datetime(2016, 7, 1, tzinfo=UTC)
Q1 = parse_period("2016-Q1", now=AS_OF, tz="UTC")


def sample_lines() -> list[str]:
    return shared(SERVICENOW).read_text(encoding="utf-8").splitlines(keepends=True)


def check(path: Path) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = slabot(["contracts", "check", str(path)])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> ContractBook:
    path = tmp_path_factory.mktemp("contracts") / "servicenow.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    code, printed = check(path)
    assert (code, printed.splitlines()[-1].endswith("valid, 0 warnings")) == (0, True), printed
    return load_contracts_text(CONTRACT)


@pytest.mark.parametrize(("client", "contract"), [("sn-24x7", "itsm-24x7"), ("sn-office", "itsm-office")])
def test_every_proposal_on_the_servicenow_sample_passes_contracts_check(
    book: ContractBook, client: str, contract: str, tmp_path: Path
) -> None:
    log = servicenow_events(sample_lines(), client=client)
    result = replay(book, log.events, AS_OF)
    assert result.errors == []
    rows = [r for r in result.rows if Q1.start <= r.started_at < Q1.end]
    tickets = {r.ticket_id for r in rows}
    events = [e for e in log.events if e.ticket_id in tickets]
    assert len(tickets) > 800  # Feb-Mar 2016: the sample's incidents
    r = review(client, book.version_for(client, Q1.start), rows, None, None, Q1)
    # the raw recommendations would loosen every target (the sample misses most of them) ...
    assert sum(line.proposal is not None for line in r.lines) >= 6
    vetting: Vetting = vet_proposal(book, contract, r, events, rows, AS_OF, effective=date(2016, 7, 1))
    lines = vetting.lines()
    # ... but a signable proposal keeps only what passes every check, and says why for the rest
    assert len(vetting.declined) == sum(line.proposal is not None for line in r.lines) - len(vetting.changes)
    assert any("a change needs at least 20" in line for line in lines)  # P1: 16 decided timers
    for change in vetting.changes:
        assert change.decided >= MIN_SAMPLE
        assert change.after_percent is not None and change.after_percent >= 95
        assert change.breaches_after < change.breached or change.kind == "tighten"
    if not vetting.changes:
        assert lines[0] == "No change recommended: no target change passes the checks"
        return
    revision = draft_revision(book, contract, vetting.proposal, effective=date(2016, 7, 1))
    pasted = tmp_path / "revised.yaml"
    pasted.write_text(revised_file_text(book, revision), encoding="utf-8")
    code, printed = check(pasted)
    assert code == 0 and printed.splitlines()[-1].endswith("valid, 0 warnings"), printed
