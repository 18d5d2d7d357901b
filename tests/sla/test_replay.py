from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.contracts import ContractBook, load_contracts_text
from sla.metrics import EventKind
from sla.replay import (
    EVENTS_HEADER,
    RESULTS_HEADER,
    EventLog,
    ReplayRow,
    RowError,
    read_events_csv,
    replay,
    replay_csv,
    timer_row,
    write_events_csv,
    write_results_csv,
)
from sla.timers import EventError, TicketClock, TicketEvent

CONTRACTS = """
calendars:
  berlin-office:
    timezone: Europe/Berlin
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"], thu: ["09:00-17:00"], fri: ["09:00-17:00"]}
    holidays: {country: DE, subdivision: BE}
  always: {timezone: UTC, hours: 24x7}
clients:
  acme: {name: Acme Corp, channels: [C0SUPPORT1], contract: gold}
  globex: {name: Globex, channels: [C0GLOBEX01], contract: silver}
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        services: [{name: Platform support, description: Slack and e-mail support}]
        calendar: berlin-office
        pause_on: [waiting_on_client]
        default_priority: P3
        targets:
          P1: {first_response: 15m, resolution: 4h, calendar: always}
          P2: {first_response: 1h, next_response: 2h, resolution: 1d}
          P3: {first_response: 4h, resolution: 3d}
      - effective: 2026-04-01
        services: [{name: Platform support, description: Slack and e-mail support}]
        calendar: berlin-office
        pause_on: [waiting_on_client]
        default_priority: P3
        targets:
          P1: {first_response: 10m, resolution: 4h, calendar: always}
          P2: {first_response: 30m, next_response: 2h, resolution: 1d}
          P3: {first_response: 2h, resolution: 3d}
  silver:
    versions:
      - effective: 2026-01-01
        services: [{name: Support, description: e-mail support}]
        calendar: always
        pause_on: [waiting_on_client, on_hold]
        default_priority: P3
        targets:
          P1: {first_response: 1h, resolution: 8h}
          P2: {first_response: 2h, resolution: 1d}
          P3: {first_response: 8h, resolution: 3d}
"""

HEADER = "ticket_id,timestamp,event,priority,status,client\n"


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return load_contracts_text(CONTRACTS, "contracts.yaml")


def read(text: str) -> tuple[EventLog, list[RowError]]:
    return read_events_csv(io.StringIO(text))


def rows_of(result, ticket: str, metric: str) -> list[ReplayRow]:  # noqa: ANN001
    return [r for r in result.rows if r.ticket_id == ticket and r.metric == metric]


# ---------------------------------------------------------------------------- parsing


def test_reads_good_rows_in_utc_with_their_lines() -> None:
    events, errors = read(
        HEADER + "T-1,2026-03-02T09:00:00+01:00,opened,P2,,acme\n"
        "\n"
        "T-1,2026-03-02T08:30:00Z,agent_message,,,\n"
        "T-1,2026-03-02T09:00:00+00:00,status,,waiting_on_client,\n"
    )
    assert errors == []
    assert [e.kind for e in events] == [EventKind.OPENED, EventKind.AGENT_MESSAGE, EventKind.STATUS]
    assert events.lines == [2, 4, 5]  # the blank line 3 still counts
    assert events[0].at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert (events[0].priority, events[0].client, events[0].status) == ("P2", "acme", None)
    assert events[2].status == "waiting_on_client"


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)),
            st.integers(-14 * 60, 14 * 60).map(lambda m: m * 60),
            st.sampled_from([k.value for k in EventKind]),
            st.sampled_from(["", "P1", "P2"]),
            st.sampled_from(["", "open", "on_hold"]),
            st.sampled_from(["", "acme", " globex "]),
        ),
        max_size=20,
    )
)
def test_parsed_events_equal_the_checked_constructor(rows: list[tuple]) -> None:  # noqa: ANN001
    """The reader builds events without re-running TicketEvent's checks: they must equal checked ones."""
    from datetime import timezone

    lines = [HEADER.strip()]
    for local, offset, kind, priority, status, client in rows:
        zone = timezone(timedelta(seconds=offset))
        lines.append(f"T-1,{local.replace(tzinfo=zone).isoformat()},{kind},{priority},{status},{client}")
    events, _ = read_events_csv(io.StringIO("\n".join(lines) + "\n"))
    for event, line in zip(events, events.lines, strict=True):
        local, offset, kind, priority, status, client = rows[line - 2]
        at = local.replace(tzinfo=timezone(timedelta(seconds=offset)))
        checked = TicketEvent(
            "T-1",
            at,
            kind,
            priority or None,
            status or None,
            client.strip() or None,  # type: ignore[arg-type]
        )
        assert event == checked and hash(event) == hash(checked)
        assert event.at.tzinfo is UTC and type(event.kind) is EventKind


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["T-1", "T-2"]),
            st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
            st.sampled_from([k.value for k in EventKind] + ["opend"]),
            st.sampled_from(["", "P1", "P2"]),
            st.sampled_from(["", "open", "on_hold"]),
            st.sampled_from(["", "acme"]),
            st.sampled_from(["", "U1", "'=1+1"]),
        ),
        max_size=20,
    ),
    padded=st.lists(st.booleans(), min_size=20, max_size=20),
    with_actor=st.booleans(),
)
def test_plain_rows_and_rows_with_stray_spaces_and_case_read_the_same(
    rows: list[tuple],
    padded: list[bool],
    with_actor: bool,  # noqa: ANN001
) -> None:
    """The reader takes a short cut for rows written exactly (no stray spaces, the event in lower case);
    every other row is read the long way. Both ways give the same events, lines and bad rows."""

    def text(pad: list[bool]) -> str:
        lines = [HEADER.strip() + (",actor" if with_actor else "")]
        for (tid, at, kind, priority, status, client, actor), p in zip(rows, pad, strict=False):
            cells = [tid, at.isoformat(), kind, priority, status, client] + ([actor] if with_actor else [])
            if p:
                cells = [f" {c} " if c else c for c in cells]
                cells[2] = cells[2].upper()
            lines.append(",".join(cells))
        return "\n".join(lines) + "\n"

    plain_events, plain_errors = read(text([False] * 20))
    events, errors = read(text(padded))
    assert list(events) == list(plain_events) and events.lines == plain_events.lines
    assert [e.line for e in errors] == [
        e.line for e in plain_errors
    ]  # (a message quotes the cell as written)


BAD_ROWS = [
    ("T-1,2026-03-02T09:00:00+00:00,opend,P2,,acme", "unknown event 'opend' — did you mean 'opened'?"),
    ("T-1,2026-03-02T09:00:00,opened,P2,,acme", "has no UTC offset"),
    ("T-1,yesterday,opened,P2,,acme", "timestamp 'yesterday' is not an ISO 8601 date-time"),
    ("T-1,,opened,P2,,acme", "timestamp is empty"),
    ("T-1,2026-03-02T09:00:00+00:00,opened,,,acme", "a opened row needs priority (empty here)"),
    ("T-1,2026-03-02T09:00:00+00:00,opened,P2,,", "a opened row needs client (empty here)"),
    ("T-1,2026-03-02T09:00:00+00:00,opened,,,", "needs priority and client"),
    ("T-1,2026-03-02T09:00:00+00:00,status,,,", "a status row needs status"),
    ("T-1,2026-03-02T09:00:00+00:00,priority,,,", "a priority row needs priority"),
    (",2026-03-02T09:00:00+00:00,agent_message,,,", "ticket_id is empty"),
    ("T-1,2026-03-02T09:00:00+00:00,opened", "3 column(s), expected 6"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS)
def test_each_bad_row_is_reported_with_its_line_and_the_rest_is_read(bad: str, message: str) -> None:
    good = "T-9,2026-03-02T10:00:00+00:00,opened,P2,,acme\n"
    events, errors = read(HEADER + good + bad + "\n" + good.replace("T-9", "T-10"))
    assert [e.ticket_id for e in events] == ["T-9", "T-10"]
    assert events.lines == [2, 4]
    assert len(errors) == 1
    assert errors[0].line == 3
    assert message in errors[0].message
    assert str(errors[0]).startswith("line 3: ")


def test_unknown_event_lists_the_vocabulary() -> None:
    _, [error] = read(HEADER + "T-1,2026-03-02T09:00:00+00:00,escalated,P2,,acme\n")
    assert error.message.startswith("unknown event 'escalated'")
    assert (
        "opened, client_message, agent_message, status, priority, resolved, reopened, closed" in error.message
    )


def test_cells_are_trimmed_and_event_names_case_insensitive() -> None:
    events, errors = read(HEADER + " T-1 , 2026-03-02T09:00:00+00:00 , Opened , P2 ,, acme \n")
    assert errors == []
    assert (events[0].ticket_id, events[0].kind, events[0].priority, events[0].client) == (
        "T-1",
        EventKind.OPENED,
        "P2",
        "acme",
    )


def test_header_problems_stop_at_line_one() -> None:
    events, [error] = read("ticket,timestamp,event,priority,status,client\nT-1,x,opened,P2,,acme\n")
    assert events == [] and error.line == 1
    assert "header lacks column(s) ticket_id" in error.message and error.file_level
    empty = RowError(1, "the file is empty — expected the header " + ",".join(EVENTS_HEADER), file_level=True)
    assert read("")[1] == [empty]


def test_bom_reordered_and_extra_columns() -> None:
    text = (
        "\ufeffclient,ticket_id,event,timestamp,priority,status,actor,note,source\n"
        'acme,T-1,opened,2026-03-02T09:00:00+00:00,P2,,U0CLIENT1,"printer, on fire",zendesk\n'
    )
    [event], errors = read(text)
    assert errors == []
    assert (event.ticket_id, event.client, event.actor, event.note) == (
        "T-1",
        "acme",
        "U0CLIENT1",
        "printer, on fire",
    )


def test_write_then_read_round_trips() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    events = [
        TicketEvent(
            "T-1", at, EventKind.OPENED, priority="P2", client="acme", actor="U1", note='a "quoted", note'
        ),
        TicketEvent("T-1", at + timedelta(minutes=5), EventKind.STATUS, status="on_hold"),
    ]
    for extended in (False, True):
        buf = io.StringIO()
        assert write_events_csv(events, buf, with_actor_note=extended) == 2
        back, errors = read_events_csv(io.StringIO(buf.getvalue()))
        assert errors == []
        if extended:
            assert list(back) == events
        else:
            assert buf.getvalue().splitlines()[0] == ",".join(EVENTS_HEADER)
            assert [(e.kind, e.at, e.status) for e in back] == [(e.kind, e.at, e.status) for e in events]


# ---------------------------------------------------------------------------- replay


def test_out_of_order_row_is_rejected_and_the_rest_replayed(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acme\n"  # Monday, 10:00 Berlin
        "T-2,2026-03-02T09:00:00+00:00,opened,P2,,acme\n"
        "T-1,2026-03-02T09:40:00+00:00,agent_message,,,\n"
        "T-1,2026-03-02T09:10:00+00:00,client_message,,,\n"  # line 5: earlier than line 4
        "T-1,2026-03-02T10:00:00+00:00,resolved,,,\n"
        "T-2,2026-03-02T08:00:00+00:00,agent_message,,,\n"  # line 7: before T-2's opening
    )
    events, parse_errors = read(text)
    result = replay(book, events)
    assert parse_errors == []
    assert [e.line for e in result.errors] == [5, 7]
    assert "ticket T-1: this row (2026-03-02T09:10:00+00:00) is earlier than its previous row (line 4" in str(
        result.errors[0]
    )
    assert result.events == 4 and result.tickets == 2
    [fr] = rows_of(result, "T-1", "first_response")
    assert (fr.state, fr.business_elapsed_seconds) == ("met", 40 * 60)
    [res] = rows_of(result, "T-1", "resolution")
    assert res.state == "met" and res.stopped_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_unknown_client_rejects_the_ticket(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acmee\n"
        "T-1,2026-03-02T09:30:00+00:00,agent_message,,,\n"
        "T-2,2026-03-02T09:00:00+00:00,opened,P2,,acme\n"
    )
    result = replay(book, read(text)[0])
    assert [(e.line, e.message) for e in result.errors] == [
        (
            2,
            "ticket T-1: unknown client 'acmee' — did you mean 'acme'? (clients in the contract file: acme, globex)",
        ),
        (3, "ticket T-1 was not opened (its opened row, line 2, was rejected)"),
    ]
    assert {r.ticket_id for r in result.rows} == {"T-2"}
    assert result.tickets == 1


def test_rows_before_opened_and_engine_rejections_keep_their_lines(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,agent_message,,,\n"  # 2: no opened yet
        "T-1,2026-03-02T09:01:00+00:00,opened,P2,,acme\n"  # 3
        "T-1,2026-03-02T09:02:00+00:00,priority,P9,,\n"  # 4: unknown priority (engine)
        "T-1,2026-03-02T09:03:00+00:00,status,,sleeping,\n"  # 5: unknown status (engine)
        "T-1,2026-03-02T09:04:00+00:00,resolved,,,\n"  # 6
        "T-1,2026-03-02T09:05:00+00:00,resolved,,,\n"  # 7: already resolved (engine)
        "T-1,2026-03-02T09:06:00+00:00,agent_message,,,globex\n"  # 8: another client
        "T-3,2026-03-02T09:00:00+00:00,opened,P7,,acme\n"  # 9: opened with unknown priority
        "T-3,2026-03-02T09:10:00+00:00,agent_message,,,\n"  # 10
    )
    result = replay(book, read(text)[0])
    by_line = {e.line: e.message for e in result.errors}
    assert sorted(by_line) == [2, 4, 5, 7, 8, 9, 10]
    assert "ticket T-1 has no opened row before this agent_message row" in by_line[2]
    assert "unknown priority 'P9'" in by_line[4] and by_line[4].startswith("ticket T-1")
    assert "unknown status 'sleeping'" in by_line[5]
    assert "already resolved" in by_line[7]
    assert "client 'globex' differs from the ticket's client 'acme'" in by_line[8]
    assert "P7" in by_line[9]
    assert by_line[10] == "ticket T-3 was not opened (its opened row, line 9, was rejected)"
    assert result.tickets == 1 and result.events == 2


def test_contract_version_in_force_at_opening_is_kept(book: ContractBook) -> None:
    text = (
        HEADER + "OLD,2026-03-31T08:00:00+00:00,opened,P2,,acme\n"  # Tuesday: version 1 (1h)
        "NEW,2026-04-07T08:00:00+00:00,opened,P2,,acme\n"  # after 2026-04-01: version 2 (30m)
        "OLD,2026-04-07T08:45:00+00:00,agent_message,,,\n"
        "NEW,2026-04-07T08:45:00+00:00,agent_message,,,\n"
    )
    result = replay(book, read(text)[0])
    assert result.errors == []
    [old] = rows_of(result, "OLD", "first_response")
    [new] = rows_of(result, "NEW", "first_response")
    assert (old.version, old.target_seconds) == (1, 3600)
    assert (new.version, new.target_seconds) == (2, 1800)
    assert old.contract == new.contract == "gold"
    assert new.state == "breached" and new.breached_at == datetime(2026, 4, 7, 8, 30, tzinfo=UTC)
    # OLD: opened Tue 31 Mar 10:00 Berlin; business time runs on Mon-Fri 9-17 (Good Friday 3 Apr
    # and Easter Monday 6 Apr are Berlin holidays) -> 1h due on Tue 31 Mar 11:00 Berlin: breached too
    assert old.state == "breached"
    assert old.due_at == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)


def test_business_hours_pause_and_weekend(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-06T15:30:00+00:00,opened,P2,,acme\n"  # Fri 16:30 Berlin
        "T-1,2026-03-09T08:20:00+00:00,agent_message,,,\n"  # Mon 09:20 Berlin -> 50m business
        "T-1,2026-03-09T08:30:00+00:00,status,,waiting_on_client,\n"
        "T-1,2026-03-09T12:30:00+00:00,client_message,,,\n"
        "T-1,2026-03-09T12:30:00+00:00,status,,open,\n"
        "T-1,2026-03-09T13:00:00+00:00,agent_message,,,\n"
        "T-1,2026-03-09T14:00:00+00:00,resolved,,,\n"
    )
    result = replay(book, read(text)[0])
    assert result.errors == []
    [fr] = rows_of(result, "T-1", "first_response")
    assert (fr.state, fr.business_elapsed_seconds) == ("met", 50 * 60)
    [nr] = rows_of(result, "T-1", "next_response")
    assert (nr.state, nr.business_elapsed_seconds) == ("met", 30 * 60)
    [res] = rows_of(result, "T-1", "resolution")
    # 30m Friday + 30m Monday until the pause (09:30 Berlin) + 1h30m after it; 4h paused
    assert res.business_elapsed_seconds == (30 + 30 + 90) * 60
    assert res.paused_seconds == 4 * 3600


def test_as_of_defaults_to_the_last_row_and_can_cut_history(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,opened,P1,,acme\n"
        "T-2,2026-03-02T09:30:00+00:00,opened,P1,,acme\n"
        "T-2,2026-03-02T09:35:00+00:00,agent_message,,,\n"
    )
    events = read(text)[0]
    result = replay(book, events)
    assert result.as_of == datetime(2026, 3, 2, 9, 35, tzinfo=UTC)
    [fr] = rows_of(result, "T-1", "first_response")
    assert (fr.state, fr.business_elapsed_seconds, fr.stopped_at) == ("breached", 35 * 60, None)
    cut = replay(book, events, as_of=datetime(2026, 3, 2, 9, 10, tzinfo=UTC))
    assert cut.skipped_after_as_of == 2 and cut.errors == [] and cut.tickets == 1
    [fr] = rows_of(cut, "T-1", "first_response")
    assert (fr.state, fr.business_elapsed_seconds) == ("running", 10 * 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        replay(book, events, as_of=datetime(2026, 3, 2, 9, 10))
    assert replay(book, []).rows == []


def test_reopen_gives_a_second_resolution_cycle(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,opened,P2,,globex\n"
        "T-1,2026-03-02T09:30:00+00:00,agent_message,,,\n"
        "T-1,2026-03-02T12:00:00+00:00,resolved,,,\n"
        "T-1,2026-03-03T09:00:00+00:00,reopened,,,\n"
        "T-1,2026-03-04T12:00:00+00:00,resolved,,,\n"
        "T-1,2026-03-05T12:00:00+00:00,closed,,,\n"
    )
    result = replay(book, read(text)[0])
    cycles = [(r.cycle, r.state, r.business_elapsed_seconds) for r in rows_of(result, "T-1", "resolution")]
    assert cycles == [(1, "met", 3 * 3600), (2, "breached", 27 * 3600)]


def test_plain_event_lists_report_positions(book: ContractBook) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    events = [
        TicketEvent("T-1", at, EventKind.OPENED, priority="P2", client="acme"),
        TicketEvent("T-1", at, EventKind.REOPENED),
    ]
    [error] = replay(book, events).errors
    assert error.line == 2 and "not resolved" in error.message


def test_streaming_replay_equals_read_then_replay(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acme\n"
        "T-1,oops,agent_message,,,\n"
        "T-2,2026-03-02T09:00:00+00:00,opened,P3,,globex\n"
        "T-1,2026-03-02T08:00:00+00:00,agent_message,,,\n"
        "T-2,2026-03-02T10:00:00+00:00,agent_message,,,\n"
    )
    events, parse_errors = read(text)
    batch = replay(book, events)
    streamed = replay_csv(book, io.StringIO(text))
    assert streamed.rows == batch.rows
    assert streamed.errors == sorted(parse_errors + batch.errors, key=lambda e: e.line)
    assert [e.line for e in streamed.errors] == [3, 5]


def test_results_csv_has_exact_columns_and_utc_instants(book: ContractBook) -> None:
    text = (
        HEADER + "T-1,2026-03-02T10:00:00+01:00,opened,P2,,acme\n"
        "T-1,2026-03-02T10:20:00+01:00,agent_message,,,\n"
        "T-1,2026-03-02T10:30:00+01:00,status,,waiting_on_client,\n"
    )
    result = replay(book, read(text)[0])
    buf = io.StringIO()
    assert write_results_csv(result.rows, buf) == len(result.rows) == 2
    lines = buf.getvalue().splitlines()
    assert lines[0] == (
        "ticket_id,metric,cycle,target_seconds,started_at,due_at,stopped_at,"
        "business_elapsed_seconds,state,breached_at"
    )
    assert tuple(lines[0].split(",")) == RESULTS_HEADER
    records = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert records[0] == {
        "ticket_id": "T-1",
        "metric": "first_response",
        "cycle": "1",
        "target_seconds": "3600",
        "started_at": "2026-03-02T09:00:00+00:00",
        "due_at": "2026-03-02T10:00:00+00:00",
        "stopped_at": "2026-03-02T09:20:00+00:00",
        "business_elapsed_seconds": "1200",
        "state": "met",
        "breached_at": "",
    }
    assert records[1]["metric"] == "resolution"
    assert records[1]["state"] == "paused" and records[1]["due_at"] == "" and records[1]["stopped_at"] == ""


# ---------------------------------------------------------------------------- properties

_T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _ticket_script(tid: str, client: str, gaps: list[int]) -> list[TicketEvent]:
    kinds = [EventKind.AGENT_MESSAGE, EventKind.CLIENT_MESSAGE, EventKind.AGENT_MESSAGE, EventKind.RESOLVED]
    at = _T0
    out = [TicketEvent(tid, at, EventKind.OPENED, priority="P2", client=client)]
    for kind, gap in zip(kinds, gaps, strict=False):
        at = at + timedelta(minutes=gap)
        out.append(TicketEvent(tid, at, kind))
    return out


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.lists(st.integers(0, 600), min_size=0, max_size=4), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_interleaving_tickets_does_not_change_the_result(gap_lists: list[list[int]], rnd) -> None:  # noqa: ANN001
    book = load_contracts_text(CONTRACTS)
    scripts = [_ticket_script(f"T-{i}", ("acme", "globex")[i % 2], gaps) for i, gaps in enumerate(gap_lists)]
    sequential = [e for script in scripts for e in script]
    # a random merge that keeps each ticket's own order
    queues = [list(s) for s in scripts]
    merged: list[TicketEvent] = []
    while any(queues):
        q = rnd.choice([q for q in queues if q])
        merged.append(q.pop(0))
    as_of = _T0 + timedelta(days=2)
    a = replay(book, sequential, as_of)
    b = replay(book, merged, as_of)
    assert a.errors == b.errors == []
    assert sorted(a.rows, key=lambda r: (r.ticket_id, r.metric, r.cycle)) == sorted(
        b.rows, key=lambda r: (r.ticket_id, r.metric, r.cycle)
    )
    assert a.events == len(sequential)


_STEP = st.one_of(
    st.tuples(
        st.sampled_from(["client_message", "agent_message", "resolved", "reopened", "closed"]), st.none()
    ),
    st.tuples(st.just("status"), st.sampled_from(["open", "waiting_on_client", "on_hold"])),
    st.tuples(st.just("priority"), st.sampled_from(["P1", "P2", "P3"])),
)


@settings(deadline=None, max_examples=80)
@given(
    st.sampled_from(["acme", "globex"]),
    st.integers(0, 200 * 24 * 60),
    st.lists(st.tuples(_STEP, st.integers(0, 3 * 24 * 60)), max_size=14),
    st.integers(0, 5 * 24 * 60),
)
def test_replay_rows_are_the_timer_rows_of_the_ticket_clock(
    client: str,
    start: int,
    steps: list,
    later: int,  # noqa: ANN001
) -> None:
    """The replay builds its rows from the clocks' plain standings; they equal :func:`timer_row` of the
    clock's :class:`MetricTimer` values (both contract versions, both calendars, rejected events too)."""
    book = load_contracts_text(CONTRACTS)
    at = _T0 + timedelta(minutes=start)
    events = [TicketEvent("T-1", at, EventKind.OPENED, priority="P2", client=client)]
    for (kind, value), gap in steps:
        at += timedelta(minutes=gap)
        field = {"priority": value} if kind == "priority" else {"status": value} if kind == "status" else {}
        events.append(TicketEvent("T-1", at, EventKind(kind), **field))
    as_of = at + timedelta(minutes=later)
    version = book.version_for(client, events[0].at)
    clock = TicketClock(version, record_timeline=False)
    rejected = 0
    for event in events:
        try:
            clock.apply(event)
        except EventError:
            rejected += 1
    result = replay(book, events, as_of)
    assert len(result.errors) == rejected
    assert result.rows == [timer_row("T-1", client, version, t) for t in clock.timers(as_of)]
