"""Report lines name a ticket from a helpdesk by both ids (``T-3 · ZD-35436``, issue 13 item 5); an id
that is not plain text is left out of the mrkdwn line rather than risk becoming markup there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.services.reports import ReportService
from storage.uow import UnitOfWork
from tests.bot import reports_fixtures as F  # importlib mode: tests/ is a namespace package

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _known_as(uow: UnitOfWork, ref: str, system: str, ident: str) -> None:
    with uow.begin() as tx:
        ticket = tx.tickets.get_by_ref(team_id=F.TEAM, ref=ref)
        assert ticket is not None
        tx.tickets.update(
            team_id=F.TEAM, ticket_id=ticket.id, now=MONDAY, external_system=system, external_id=ident
        )


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_breach_lines_show_the_helpdesk_id(uow: UnitOfWork) -> None:
    clock = ManualClock(F.at(9, 8))
    F.fortnight(uow, clock)
    clock.set(MONDAY)
    service = ReportService(uow=uow, book=F.book(), clock=clock)
    plain = service.build(team_id=F.TEAM, period="week")
    breached = [line for line in plain.summary.sections[1].lines if line.startswith(("T-", "<"))]
    assert breached and any("T-3" in line for line in breached)
    _known_as(uow, "T-3", "zendesk", "35436")
    lines = "\n".join(service.build(team_id=F.TEAM, period="week").summary.sections[1].lines)
    assert "T-3 · ZD-35436" in lines
    _known_as(uow, "T-3", "import", "<!channel> x")
    lines = "\n".join(service.build(team_id=F.TEAM, period="week").summary.sections[1].lines)
    assert "<!channel>" not in lines and "T-3" in lines
