"""Burn-rate warnings (episodes, once per episode through the outbox) and when the weekly summary is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.services.reports import ReportService, episode_start
from handlers.report_delivery import BurnRateJob, summary_due
from sla.metrics import EventKind
from sla.objectives import Objective
from sla.periods import window_period
from storage.uow import UnitOfWork
from tests.bot import reports_fixtures as F  # importlib mode: tests/ is a namespace package

P1_FR = Objective("first_response", "P1", 0.9, "month")
NOVEMBER = window_period("month", at=datetime(2026, 11, 23, tzinfo=UTC), tz="UTC")  # 30 days: rules unscaled


def t(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_an_episode_starts_when_the_rule_starts_firing() -> None:
    outcomes = [(t(7, 0), True), (t(9, 5), False), (t(9, 15), False), (t(9, 25), False), (t(9, 55), False)]
    # 6× over 6 h and 30 m: at 09:15 the long window first holds 3 decided (burn 6.7×, short 10×)
    assert episode_start(P1_FR, outcomes, NOVEMBER, t(10), 6.0) == t(9, 15)
    assert episode_start(P1_FR, outcomes, NOVEMBER, t(9, 50), 6.0) == t(9, 15)  # the same episode
    assert episode_start(P1_FR, outcomes, NOVEMBER, t(9, 10), 6.0) is None  # 2 decided: too few
    # 14.4× can never fire with a 10 % budget (the worst burn is 10×)
    assert episode_start(P1_FR, outcomes, NOVEMBER, t(10), 14.4) is None
    # six hours later the long window is empty: no episode
    assert episode_start(P1_FR, outcomes, NOVEMBER, t(16, 30), 6.0) is None
    # a new run of misses starts a new episode
    later = [*outcomes, (t(17, 0), False), (t(17, 10), False), (t(17, 20), False)]
    assert episode_start(P1_FR, later, NOVEMBER, t(17, 30), 6.0) == t(17, 20)


def test_summary_due_on_the_configured_day_and_time() -> None:
    berlin = {"day": "mon", "at": "09:00", "tz": "Europe/Berlin"}
    assert summary_due(datetime(2026, 11, 23, 7, 59, tzinfo=UTC), **berlin) is None  # 08:59 in Berlin
    label, due = summary_due(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), **berlin)  # type: ignore[misc]
    assert (label, due.astimezone(UTC)) == ("2026-W47", datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    # still the same week's summary later in the week (catch-up after a restart), never last week's
    assert summary_due(datetime(2026, 11, 29, 22, 0, tzinfo=UTC), **berlin)[0] == "2026-W47"  # type: ignore[index]
    assert summary_due(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), day="fri", at="17:30", tz="UTC") is None
    assert summary_due(datetime(2026, 11, 27, 17, 30, tzinfo=UTC), day="fri", at="17:30", tz="UTC")[0] == (  # type: ignore[index]
        "2026-W47"
    )


def _late_p1(tickets, clock: ManualClock, opened: datetime, replied: datetime) -> None:  # noqa: ANN001
    F.ticket(
        tickets,
        clock,
        client="acme",
        priority="P1",
        opened=opened,
        steps=[(replied, EventKind.AGENT_MESSAGE, {})],
    )


def test_the_lead_is_warned_once_per_episode(uow: UnitOfWork) -> None:
    clock = ManualClock(t(8))
    tickets = F.fortnight(uow, clock)
    for opened in (
        t(8, 35),
        t(8, 45),
        t(8, 55),
        t(9, 25),
    ):  # first responses due 30m later, all answered 09:58
        _late_p1(tickets, clock, opened, t(9, 58))
    clock.set(t(10))
    service = ReportService(uow=uow, book=F.book(), clock=clock)
    job = BurnRateJob(uow=uow, service=service, clock=clock, fallback_channel=None)
    first = job.run_once()
    assert (
        len(first) == 1
        and first[0].startswith("burn:acme:")
        and first[0].endswith(":2026-11:6x:20261123T092500")
    )
    assert job.run_once() == []  # same episode: nothing new
    clock.advance(timedelta(minutes=20))
    assert job.run_once() == []
    with uow.begin(read_only=True) as tx:
        row = tx.outbox.get_by_key(team_id=F.TEAM, idempotency_key=first[0])
    assert row is not None and row.kind == "message" and row.channel_id == "U0LEAD0001"  # a DM to the lead
    text = row.payload["text"]
    assert "Acme Corp — Objective at risk: 90 % of P1 first responses met per month" in text
    assert "burn rate 10.0× over the last 6h" in text
    # quiet for a while, then a new run of late answers: a second episode, a second warning
    for opened in (t(16, 30), t(16, 40), t(16, 50)):
        _late_p1(tickets, clock, opened, t(17, 25))
    clock.set(t(17, 30))
    second = job.run_once()
    assert len(second) == 1 and second[0] != first[0]
    status = next(s for s in service.objectives_now(team_id=F.TEAM) if s.client == "acme")
    assert status.attainment.total == 10 and status.attainment.met == 2  # W46's and T-2's; 8 misses


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_no_warning_while_the_objective_holds(uow: UnitOfWork) -> None:
    clock = ManualClock(t(8))
    F.fortnight(uow, clock)
    clock.set(t(10))
    job = BurnRateJob(
        uow=uow,
        service=ReportService(uow=uow, book=F.book(), clock=clock),
        clock=clock,
        fallback_channel=None,
    )
    assert job.run_once() == []
