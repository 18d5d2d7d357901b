"""``timer_rows`` (the projection rows the import, the sweep and every ticket change store) equals
its reference: each row ``TimerRow.from_timer`` with the first of ``alert_points`` and ``at_risk_at``,
on random ticket histories under contracts with and without warnings and escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.services.tickets import timer_rows
from sla.contracts import load_contracts_text
from sla.standing import at_risk_at
from sla.timers import alert_points
from storage.repositories import TimerRow
from tests.sla import timers_fakes as _fakes
from tests.sla.test_timers_properties import PROPERTY, VERSION, accepted, histories
from tests.support.shared_data import ITSM_CONTRACTS

_TARGETS = {
    "P1": {"first_response": "15m", "periodic_update": "2h", "resolution": "4h", "calendar": "always"},
    "P2": {"first_response": "1h", "next_response": "2h", "resolution": "1d", "calendar": "office"},
    "P3": {"first_response": "4h", "resolution": "3d", "calendar": "berlin"},
}
_PAUSES = {"waiting_on_client": _fakes.ALL_PAUSE, "on_hold": ("resolution",)}
VERSIONS = [
    VERSION,  # warnings at 50/75/90 % and 15 minutes before, two escalation steps
    _fakes.make_version(_TARGETS, pause_on=_PAUSES),  # no warnings, no escalations
    _fakes.make_version(_TARGETS, pause_on=_PAUSES, warn_at=("2h", "90%"), escalation=("1s",)),
    load_contracts_text(ITSM_CONTRACTS, "shared_data").version_for(
        "volvo-office", datetime(2026, 1, 1, tzinfo=UTC)
    ),
]


def reference_rows(timers: list, version: object) -> list[TimerRow]:
    rows = []
    for timer in timers:
        points = alert_points(timer, version)
        first = points[0].at if points else None
        rows.append(TimerRow.from_timer(timer, next_alert_at=first, at_risk_at=at_risk_at(timer, version)))
    return rows


@PROPERTY
@given(histories(), st.integers(0, 4), st.integers(0, 20 * 24 * 60))
def test_timer_rows_equal_the_rows_of_every_alert_point(events: list, which: int, later: int) -> None:
    version = VERSIONS[which % len(VERSIONS)]
    if which == 3:  # the shared contract knows P1-P4 and its own statuses
        events = [e for e in events if e.status in (None, "open", "waiting_on_client", "on_hold")]
    clock, kept = accepted(events, version)
    if not kept:
        return
    now = kept[-1].at + timedelta(minutes=later)
    timers = clock.timers(now)
    assert timer_rows(timers, version, now) == reference_rows(timers, version)  # type: ignore[arg-type]
