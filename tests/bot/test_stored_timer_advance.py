"""The live advance (``sla.standing.advance``) and the stored timer it starts from
(``bot.services.tickets.stored_timer``) build their ``MetricTimer`` positionally, for speed: they must
equal the keyword / ``dataclasses.replace`` construction they stand for, field by field. A page of
``/sla status`` builds each live timer once (``bot.services.tickets.live_timer``): it must equal the
advance of the stored timer for every kind of row."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.services.ticket_keys import external_label
from bot.services.tickets import live_timer, stored_timer, ticket_view
from sla.calendar import BusinessCalendar
from sla.contracts import load_contracts
from sla.countdown import TicketView
from sla.metrics import Metric, TimerState
from sla.standing import advance
from sla.timers import MetricTimer
from storage.repositories.status import StatusTimer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts.yaml"
START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar.always()
OFFICE = BusinessCalendar.from_config(
    {"timezone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}}, name="office"
)


def test_metric_timer_fields_are_in_the_order_the_positional_builders_pass_them() -> None:
    assert [f.name for f in fields(MetricTimer)] == [
        "metric",
        "cycle",
        "priority",
        "target",
        "calendar_name",
        "started_at",
        "due_at",
        "stopped_at",
        "business_elapsed",
        "paused_for",
        "remaining",
        "percent_used",
        "state",
        "breached_at",
        "pause_reason",
        "resumed_at",
        "elapsed_at_resume",
        "ticket_id",
        "target_since",
        "stretches",
        "calendar",
    ]


def row(**changes: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "metric": "resolution",
        "cycle": 2,
        "priority": "P2",
        "target_seconds": 4 * 3600,
        "calendar_name": "24x7",
        "started_at": START,
        "due_at": START + timedelta(hours=4, minutes=10),
        "stopped_at": None,
        "business_elapsed_seconds": 600,
        "paused_for_seconds": 600,
        "state": "running",
        "breached_at": None,
        "pause_reason": None,
        "resumed_at": START + timedelta(minutes=20),
        "elapsed_at_resume_seconds": 600,
    }
    values.update(changes)
    return SimpleNamespace(**values)


def test_stored_timer_is_the_keyword_construction() -> None:
    stored = row(pause_reason="waiting_on_client", breached_at=START + timedelta(hours=5))
    expected = MetricTimer(
        metric=Metric.RESOLUTION,
        cycle=2,
        priority="P2",
        target=timedelta(hours=4),
        calendar_name="24x7",
        started_at=START,
        due_at=stored.due_at,
        stopped_at=None,
        business_elapsed=timedelta(minutes=10),
        paused_for=timedelta(minutes=10),
        remaining=timedelta(hours=4) - timedelta(minutes=10),
        percent_used=600 / (4 * 3600) * 100.0,
        state=TimerState.RUNNING,
        breached_at=stored.breached_at,
        pause_reason="waiting_on_client",
        resumed_at=stored.resumed_at,
        elapsed_at_resume=timedelta(minutes=10),
        ticket_id=None,
        calendar=CALENDAR,
    )
    built = stored_timer(stored, CALENDAR)
    assert built == expected
    assert built.calendar is CALENDAR and built.stretches == () and built.target_since is None


@pytest.mark.parametrize(
    ("now", "state"),
    [(NOW, TimerState.RUNNING), (START + timedelta(hours=6), TimerState.BREACHED)],
    ids=["running", "over its target"],
)
def test_advance_equals_replace_of_every_other_field(now: datetime, state: TimerState) -> None:
    timer = replace(
        stored_timer(row(), None),
        ticket_id="T-7",
        target_since=START + timedelta(minutes=5),
        stretches=(),
    )
    elapsed = timer.elapsed_at_resume + CALENDAR.elapsed(timer.resumed_at, now)  # type: ignore[arg-type]
    expected = replace(
        timer,
        business_elapsed=elapsed,
        remaining=timer.target - elapsed,
        percent_used=elapsed / timer.target * 100.0,
        state=state,
        breached_at=timer.due_at if state is TimerState.BREACHED else None,
        calendar=CALENDAR,
    )
    advanced = advance(timer, now, CALENDAR)
    assert advanced == expected
    assert advanced.calendar is CALENDAR
    assert (advanced.ticket_id, advanced.target_since) == ("T-7", START + timedelta(minutes=5))


LATER = {"now": START + timedelta(days=3, hours=1)}  # over every target below, on either calendar
ROWS = {
    "running": {},
    "running, over its target at now": LATER,
    "running, on its due second": {"now": START + timedelta(hours=4, minutes=10)},
    "running, before it resumed": {"now": START},
    "breached, still running": {"state": "breached", "breached_at": START + timedelta(hours=4, minutes=10)},
    "paused": {"state": "paused", "resumed_at": None, "pause_reason": "waiting_on_client", **LATER},
    "paused after its breach": {
        "state": "breached",
        "breached_at": START + timedelta(hours=1),
        "resumed_at": None,
        "pause_reason": "waiting_on_client",
        **LATER,
    },
    "met": {"state": "met", "stopped_at": START + timedelta(hours=1), **LATER},
    "breached and stopped": {
        "state": "breached",
        "stopped_at": START + timedelta(hours=5),
        "breached_at": START + timedelta(hours=4),
        **LATER,
    },
    "cancelled": {"state": "cancelled", "stopped_at": START + timedelta(hours=1), **LATER},
    "no target": {"target_seconds": 0, **LATER},
    "no elapsed at resume (older rows)": {
        "elapsed_at_resume_seconds": None,
        "business_elapsed_seconds": None,
    },
    "first response, no priority": {"metric": "first_response", "cycle": 1, "priority": None},
}


@pytest.mark.parametrize("calendar", [CALENDAR, OFFICE, None], ids=["24x7", "office hours", "no calendar"])
@pytest.mark.parametrize("changes", list(ROWS.values()), ids=list(ROWS))
def test_live_timer_is_the_advance_of_the_stored_timer(changes: dict[str, object], calendar: object) -> None:
    changes = dict(changes)
    now = changes.pop("now", NOW)
    stored = row(**changes)
    expected = advance(stored_timer(stored, calendar), now, calendar)  # type: ignore[arg-type]
    built = live_timer(stored, now, calendar)  # type: ignore[arg-type]
    assert built == expected
    assert built.calendar is calendar
    assert [type(getattr(built, f.name)) for f in fields(MetricTimer)] == [
        type(getattr(expected, f.name)) for f in fields(MetricTimer)
    ]


@pytest.mark.parametrize("changes", list(ROWS.values()), ids=list(ROWS))
def test_live_timer_reads_a_status_page_row_as_any_row(changes: dict[str, object]) -> None:
    """A page's rows are :class:`StatusTimer` tuples, read by position: the same timer as from the
    attributes of any other row (an ORM row, the namespace above)."""
    changes = dict(changes)
    now = changes.pop("now", NOW)
    stored = row(**changes)
    tuple_row = StatusTimer(
        id=7, ticket_id=3, **{name: getattr(stored, name) for name in StatusTimer._fields[2:]}
    )
    assert live_timer(tuple_row, now, OFFICE) == live_timer(stored, now, OFFICE)


def test_ticket_view_is_the_keyword_construction() -> None:
    """``ticket_view`` builds its ``TicketView`` positionally (one per ticket of a status page)."""
    book = load_contracts(EXAMPLES)
    ticket = SimpleNamespace(
        ref="T-12",
        title="Printer on fire",
        client_key="acme",
        priority="P1",
        status="open",
        assignee="U0AGENT001",
        channel_id="C0SUPPORT1",
        thread_ts="1764000000.000100",
        requester="U0ACME0001",
        external_system="zendesk",
        external_id="35436",
    )
    timer = stored_timer(row(), CALENDAR)
    view = ticket_view(ticket, [timer], book, None)  # type: ignore[arg-type]
    assert view == TicketView(
        ref="T-12",
        title="Printer on fire",
        client_name=book.clients["acme"].name,
        priority="P1",
        status="open",
        timers=(timer,),
        tz=view.tz,
        assignee="U0AGENT001",
        channel_id="C0SUPPORT1",
        thread_ts="1764000000.000100",
        client_key="acme",
        requester="U0ACME0001",
        external=external_label("zendesk", "35436"),
    )
    assert view.tz == (book.clients["acme"].timezone or view.tz) and view.permalink is None
