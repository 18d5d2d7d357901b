from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from sla.datasets import bpic2013_events, servicenow_events
from sla.metrics import EventKind
from sla.replay import read_events_csv, write_events_csv
from tests.support.shared_data import BPIC, SERVICENOW, shared

E = EventKind


SN_HEADER = "number,incident_state,active,reopen_count,sys_mod_count,made_sla,caller_id,opened_at,sys_updated_by,sys_updated_at,priority,assignment_group"


def sn(*rows: str) -> str:
    return "\n".join([SN_HEADER, *rows]) + "\n"


def kinds(events, ticket: str) -> list[tuple]:  # noqa: ANN001
    return [(e.kind.value, e.status or e.priority or "") for e in events if e.ticket_id == ticket]


# ---------------------------------------------------------------------------- ServiceNow


def test_servicenow_mapping_on_a_small_log() -> None:
    text = sn(
        "INC1,New,TRUE,0,0,TRUE,Caller 1,29-02-2016 01:16,Updated by 1,29-02-2016 01:23,3 - Moderate,Group 56",
        "INC1,Active,TRUE,0,1,TRUE,Caller 1,29-02-2016 01:16,Updated by 2,29-02-2016 05:30,3 - Moderate,Group 56",
        "INC1,Awaiting User Info,TRUE,0,2,TRUE,Caller 1,29-02-2016 01:16,Updated by 2,29-02-2016 06:00,3 - Moderate,Group 56",
        "INC1,Active,TRUE,0,3,TRUE,Caller 1,29-02-2016 01:16,Updated by 2,01-03-2016 09:00,2 - High,Group 56",
        "INC1,Awaiting Vendor,TRUE,0,4,TRUE,Caller 1,29-02-2016 01:16,Updated by 2,01-03-2016 10:00,2 - High,Group 56",
        "INC1,Resolved,TRUE,0,5,TRUE,Caller 1,29-02-2016 01:16,Updated by 2,01-03-2016 12:00,2 - High,Group 56",
        "INC1,Active,TRUE,1,6,TRUE,Caller 1,29-02-2016 01:16,Updated by 3,02-03-2016 08:00,2 - High,Group 56",
        "INC1,Resolved,TRUE,1,7,TRUE,Caller 1,29-02-2016 01:16,Updated by 3,02-03-2016 09:00,2 - High,Group 56",
        "INC1,Closed,FALSE,1,8,FALSE,Caller 1,29-02-2016 01:16,Updated by 9,07-03-2016 12:00,2 - High,Group 56",
    )
    log = servicenow_events(io.StringIO(text))
    assert (log.tickets, log.source_rows, log.notes) == (1, 9, [])
    assert kinds(log.events, "INC1") == [
        ("opened", "P3"),
        ("agent_message", ""),  # leaving New = the first response
        ("status", "waiting_on_client"),
        ("priority", "P2"),
        ("status", "open"),
        ("status", "on_hold"),
        ("resolved", ""),
        ("reopened", ""),
        ("resolved", ""),
        ("closed", ""),
    ]
    assert log.events[0].at == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)
    assert log.events[0].client == "servicenow"
    assert log.made_sla == {"INC1": False}


def test_servicenow_zone_order_client_column_and_first_update_before_opening() -> None:
    text = sn(
        # out of order inside the ticket: sorted by time, ties keep file order
        "INC2,Resolved,TRUE,0,2,TRUE,Caller 1,01-03-2016 10:00,Updated by 1,01-03-2016 12:00,4 - Low,Group 7",
        "INC2,New,TRUE,0,0,TRUE,Caller 1,01-03-2016 10:00,Updated by 1,01-03-2016 09:50,4 - Low,Group 7",
        "INC3,?,TRUE,0,0,TRUE,Caller 1,?,Updated by 1,?,?,Group 8",
        "INC2,Closed,FALSE,0,3,TRUE,Caller 1,01-03-2016 10:00,Updated by 1,06-03-2016 12:00,4 - Low,Group 7",
    )
    log = servicenow_events(io.StringIO(text), timezone="Europe/Berlin", client_column="assignment_group")
    assert log.tickets == 1 and log.notes == ["row 4: no incident number or no sys_updated_at — ignored"]
    opened, response, resolved, closed = log.events
    # the first update (09:50) precedes opened_at (10:00): the ticket opens at the first sign of it
    assert opened.at == datetime(2016, 3, 1, 8, 50, tzinfo=UTC)
    assert (opened.client, opened.priority) == ("group-7", "P4")
    assert (response.kind, resolved.kind, closed.kind) == (E.AGENT_MESSAGE, E.RESOLVED, E.CLOSED)
    assert response.at == resolved.at == datetime(2016, 3, 1, 11, 0, tzinfo=UTC)


def test_servicenow_closed_without_resolution_and_early_closed() -> None:
    text = sn(
        "INC4,New,TRUE,0,0,TRUE,C,01-03-2016 10:00,U,01-03-2016 10:00,1 - Critical,G",
        "INC4,Closed,FALSE,0,1,TRUE,C,01-03-2016 10:00,U,01-03-2016 11:00,1 - Critical,G",
        "INC4,Active,TRUE,0,2,TRUE,C,01-03-2016 10:00,U,01-03-2016 12:00,1 - Critical,G",
        "INC4,Closed,FALSE,0,3,TRUE,C,01-03-2016 10:00,U,01-03-2016 13:00,1 - Critical,G",
        "INC4,Weird,FALSE,0,3,TRUE,C,01-03-2016 10:00,U,01-03-2016 14:00,1 - Critical,G",
    )
    log = servicenow_events(io.StringIO(text))
    # an early Closed followed by work is a resolution; only the last Closed is final
    assert kinds(log.events, "INC4") == [
        ("opened", "P1"),
        ("agent_message", ""),
        ("resolved", ""),
        ("reopened", ""),
        ("resolved", ""),  # closing an unresolved incident resolves it at that instant
        ("closed", ""),
    ]
    assert log.notes == ["1 update(s) after an incident was Closed — ignored"]


def test_servicenow_rejects_other_csvs() -> None:
    with pytest.raises(ValueError, match="missing column"):
        servicenow_events(io.StringIO("ticket_id,timestamp\nT,1\n"))


# ---------------------------------------------------------------------------- BPIC 2013


def xes(*traces: tuple[str, list[tuple[str, str, str]]]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8" ?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">'
    ]
    parts.append('<global scope="event"><string key="impact" value="UNKNOWN"/></global>')
    for name, events in traces:
        parts.append(f'<trace><string key="concept:name" value="{name}"/>')
        for transition, impact, stamp in events:
            parts.append(
                "<event>"
                '<string key="concept:name" value="Accepted"/>'
                f'<string key="impact" value="{impact}"/>'
                f'<string key="lifecycle:transition" value="{transition}"/>'
                f'<date key="time:timestamp" value="{stamp}"/>'
                "</event>"
            )
        parts.append("</trace>")
    parts.append("</log>")
    return "".join(parts).encode()


SAMPLE_XES = xes(
    (
        "1-100",
        [
            ("Awaiting Assignment", "Medium", "2012-05-02T09:00:00+02:00"),
            ("In Progress", "Medium", "2012-05-02T09:30:00+02:00"),
            ("Wait - User", "Medium", "2012-05-02T10:00:00+02:00"),
            ("In Progress", "High", "2012-05-03T10:00:00+02:00"),
            ("Wait - Vendor", "High", "2012-05-03T11:00:00+02:00"),
            ("Wait - Implementation", "High", "2012-05-03T11:30:00+02:00"),
            ("Assigned", "High", "2012-05-03T12:00:00+02:00"),
            ("Resolved", "High", "2012-05-03T15:00:00+02:00"),
            ("Closed", "High", "2012-05-10T15:00:00+02:00"),
        ],
    ),
    (
        "1-200",
        [
            ("Resolved", "Low", "2012-05-05T10:00:00+02:00"),  # out of order in the file
            ("In Progress", "Low", "2012-05-04T10:00:00+02:00"),
            ("Unmatched", "Low", "2012-05-05T10:30:00+02:00"),
            ("Awaiting Assignment", "Low", "2012-05-06T10:00:00+02:00"),  # back to the queue: reopen
            ("Wait - Customer", "Low", "2012-05-06T11:00:00+02:00"),
            ("Cancelled", "Low", "2012-05-07T10:00:00+02:00"),
        ],
    ),
)


def test_bpic_mapping_on_a_small_log() -> None:
    log = bpic2013_events(io.BytesIO(SAMPLE_XES))
    assert (log.tickets, log.source_rows) == (2, 15)
    assert log.notes == ["1 event(s) with lifecycle:transition 'Unmatched' — ignored"]
    assert kinds(log.events, "1-100") == [
        ("opened", "P3"),
        ("agent_message", ""),  # the first In Progress
        ("status", "waiting_on_client"),
        ("priority", "P2"),
        ("status", "open"),
        ("status", "on_hold"),  # Wait - Vendor and Wait - Implementation are one hold
        ("status", "open"),  # Assigned ends the hold
        ("resolved", ""),
        ("closed", ""),
    ]
    assert log.events[0].at == datetime(2012, 5, 2, 7, 0, tzinfo=UTC)
    assert kinds(log.events, "1-200") == [
        ("opened", "P4"),
        ("agent_message", ""),
        ("resolved", ""),
        ("reopened", ""),
        ("status", "waiting_on_client"),
        ("closed", ""),  # Cancelled: closed without resolving
    ]


def test_bpic_reads_gzip_and_non_seekable_streams() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._buf = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:  # noqa: ANN001
            chunk = self._buf.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    plain = bpic2013_events(io.BytesIO(SAMPLE_XES)).events
    assert bpic2013_events(io.BytesIO(gzip.compress(SAMPLE_XES))).events == plain
    assert bpic2013_events(Pipe(gzip.compress(SAMPLE_XES))).events == plain  # type: ignore[arg-type]


def test_converted_events_round_trip_through_the_events_csv() -> None:
    events = bpic2013_events(io.BytesIO(SAMPLE_XES)).events
    buf = io.StringIO()
    write_events_csv(events, buf)
    back, errors = read_events_csv(io.StringIO(buf.getvalue()))
    assert errors == [] and list(back) == events


# ---------------------------------------------------------------------------- the real logs


def _check_well_formed(events) -> None:  # noqa: ANN001
    by_ticket: dict[str, list] = {}
    for e in events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    for ticket_events in by_ticket.values():
        assert ticket_events[0].kind is E.OPENED
        assert all(a.at <= b.at for a, b in zip(ticket_events, ticket_events[1:], strict=False))
        assert sum(e.kind is E.OPENED for e in ticket_events) == 1
        assert sum(e.kind is E.CLOSED for e in ticket_events) <= 1
        assert ticket_events[-1].kind is E.CLOSED or E.CLOSED not in {e.kind for e in ticket_events}


def test_real_servicenow_log() -> None:
    path = shared(SERVICENOW)
    with path.open(newline="", encoding="utf-8") as f:
        numbers = {row["number"] for row in csv.DictReader(f)}
    with path.open(newline="", encoding="utf-8") as f:
        log = servicenow_events(f)
    assert log.tickets == len(numbers) == len({e.ticket_id for e in log.events})
    _check_well_formed(log.events)
    counts = Counter(e.kind for e in log.events)
    assert counts[E.OPENED] == log.tickets
    assert counts[E.REOPENED] > 0 and counts[E.STATUS] > 0 and counts[E.PRIORITY] > 0
    assert set(log.made_sla) == numbers
    assert {e.status for e in log.events if e.kind is E.STATUS} == {"open", "waiting_on_client", "on_hold"}


def test_real_bpic_log() -> None:
    path = shared(BPIC)
    with path.open("rb") as f:
        log = bpic2013_events(f)
    assert log.tickets == len({e.ticket_id for e in log.events}) > 7000
    assert log.source_rows > 60000
    _check_well_formed(log.events)
    statuses = Counter(e.status for e in log.events if e.kind is E.STATUS)
    assert statuses["waiting_on_client"] > 1000 and statuses["on_hold"] > 500  # pauses exist
    assert Counter(e.kind for e in log.events)[E.REOPENED] > 100
    assert all(e.at.tzinfo is not None for e in log.events)
    assert min(e.at for e in log.events) > datetime(2009, 1, 1, tzinfo=UTC) - timedelta(days=1)
