"""Converters from real-world ticket logs to slabot's event vocabulary (for replay).

Pure: each converter takes an open file object (or lines) and returns a
:class:`ConvertedLog` whose ``events`` can be written with ``sla.replay.write_events_csv``
or fed to ``sla.replay.replay`` directly. Output is deterministic: tickets in order of first
appearance, each ticket's events in time order (rows with equal timestamps keep file order;
rows out of order inside a ticket are sorted, not dropped).

Neither source log has message-level data (who wrote what to whom), so the converters
derive the events an SLA engine needs from state changes, as documented per converter.
Neither gives ``next_response``: there is no client message to answer.

**ServiceNow incident event log** (:func:`servicenow_events`, e.g. the UCI "Incident
management process enriched event log"): one CSV row per update of an incident.

- ``opened`` at ``opened_at`` (or the first update, if that is earlier: the log has a few
  incidents updated before their recorded opening), with the first row's priority and the
  client (a fixed key, or a slug of a column such as ``assignment_group``).
- Timestamps ``DD-MM-YYYY HH:MM`` carry no zone: pass ``timezone`` (default UTC).
- ``priority`` "1 - Critical" … "4 - Low" → P1 … P4; a change between rows → ``priority``.
- ``incident_state``: Active → ``status open`` (after a pause), Awaiting User Info →
  ``status waiting_on_client``, Awaiting Problem/Vendor/Evidence → ``status on_hold``,
  Resolved → ``resolved``, Closed → ``closed`` (preceded by ``resolved`` at the same instant
  when the incident was never resolved: closing answers it); any other state after
  Resolved (the ticket went back to work) → ``reopened``.
- **First response**: the first update that moves the incident out of New (to Active, an
  Awaiting state or Resolved) is taken as the agent's first response (``agent_message``):
  the log shows when an agent picked the incident up, not when someone wrote to the caller.
- Only an incident's last Closed is final: a Closed followed by more updates counts as
  ``resolved`` (the later work then reopens it). ``?`` means missing.
- ``made_sla`` (ServiceNow's own verdict, from each incident's last row) is returned in
  ``ConvertedLog.made_sla`` for comparison.

**BPIC 2013 Volvo IT incidents** (:func:`bpic2013_events`, XES; gzip detected): one trace
per incident, events with ``lifecycle:transition`` and ``impact``.

- ``opened`` at the first event; ``impact`` Major/High/Medium/Low → P1/P2/P3/P4; a change →
  ``priority``.
- In Progress / In Call → work: the first one is the first response (``agent_message``;
  often at the opening instant itself, when the service desk accepts the call) and ends a
  pause (``status open``). Assigned / Awaiting Assignment → ``status open`` after a pause.
- Wait - User / Wait - Customer → ``status waiting_on_client``; Wait, Wait - Implementation,
  Wait - Vendor (and any other "Wait - …") → ``status on_hold``.
- Resolved → ``resolved``; Closed → ``closed`` (with ``resolved`` first if it never was);
  Cancelled → ``closed`` alone (running clocks are cancelled); work, queueing or a wait
  after Resolved → ``reopened`` first. Only the last Closed/Cancelled is final: an earlier
  one followed by more events counts as ``resolved``. Unmatched is ignored (counted in ``notes``).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import IO
from zoneinfo import ZoneInfo

from sla.metrics import EventKind, TicketStatus
from sla.timers import TicketEvent

WAITING_ON_CLIENT = TicketStatus.WAITING_ON_CLIENT
ON_HOLD = TicketStatus.ON_HOLD
OPEN = TicketStatus.OPEN


@dataclass(slots=True)
class ConvertedLog:
    """The events of a converted log and what the conversion noticed."""

    events: list[TicketEvent]
    tickets: int
    source_rows: int
    notes: list[str] = field(default_factory=list)
    """Human-readable remarks (ignored rows, unknown states, …); never fatal."""
    made_sla: dict[str, bool] = field(default_factory=dict)
    """ServiceNow only: the source's own SLA verdict per ticket (its last row's ``made_sla``)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-") or "unknown"


class _TicketBuilder:
    """Turns one ticket's ordered state changes into events; shared by both converters."""

    __slots__ = ("ticket_id", "client", "events", "phase", "responded", "priority", "paused_as", "closed")

    def __init__(self, ticket_id: str, client: str, at: datetime, priority: str) -> None:
        self.ticket_id = ticket_id
        self.client = client
        self.events: list[TicketEvent] = [
            TicketEvent(ticket_id, at, EventKind.OPENED, priority=priority, client=client)
        ]
        self.phase = "new"  # new | open | paused | resolved | closed
        self.responded = False
        self.priority = priority
        self.paused_as: str | None = None
        self.closed = False

    def _add(self, at: datetime, kind: EventKind, **fields: str) -> None:
        self.events.append(TicketEvent(self.ticket_id, at, kind, **fields))

    def set_priority(self, at: datetime, priority: str | None) -> None:
        if priority and priority != self.priority:
            self.priority = priority
            self._add(at, EventKind.PRIORITY, priority=priority)

    def _reopen_if_resolved(self, at: datetime) -> None:
        if self.phase == "resolved":
            self._add(at, EventKind.REOPENED)
            self.phase = "open"

    def respond(self, at: datetime) -> None:
        if not self.responded:
            self.responded = True
            self._add(at, EventKind.AGENT_MESSAGE)

    def work(self, at: datetime, *, is_response: bool) -> None:
        self._reopen_if_resolved(at)
        if is_response:
            self.respond(at)
        if self.phase == "paused":
            self._add(at, EventKind.STATUS, status=OPEN)
            self.paused_as = None
            self.phase = "open"
        elif self.phase == "new" and is_response:
            self.phase = "open"

    def pause(self, at: datetime, status: str, *, is_response: bool) -> None:
        self._reopen_if_resolved(at)
        if is_response:
            self.respond(at)
        if self.paused_as != status:
            self._add(at, EventKind.STATUS, status=status)
            self.paused_as = status
        self.phase = "paused"

    def resolve(self, at: datetime, *, is_response: bool) -> None:
        if self.phase == "resolved":
            return
        if is_response:
            self.respond(at)
        self._add(at, EventKind.RESOLVED)
        self.phase = "resolved"
        self.paused_as = None

    def close(self, at: datetime, *, resolves: bool = True) -> None:
        if resolves and self.phase != "resolved":
            self.resolve(at, is_response=True)
        self._add(at, EventKind.CLOSED)
        self.phase = "closed"
        self.closed = True


# --------------------------------------------------------------------------------------------
# ServiceNow

SERVICENOW_PRIORITIES = {"1": "P1", "2": "P2", "3": "P3", "4": "P4", "5": "P4"}
SERVICENOW_PAUSES = {
    "Awaiting User Info": WAITING_ON_CLIENT,
    "Awaiting User": WAITING_ON_CLIENT,
    "Awaiting Caller": WAITING_ON_CLIENT,
    "Awaiting Problem": ON_HOLD,
    "Awaiting Vendor": ON_HOLD,
    "Awaiting Evidence": ON_HOLD,
    "Awaiting Change": ON_HOLD,
}
_SN_REQUIRED = ("number", "incident_state", "sys_updated_at", "opened_at", "priority")


def _sn_time(text: str, zone: tzinfo) -> datetime | None:
    text = text.strip()
    if not text or text == "?":
        return None
    # "29-02-2016 01:16" (DD-MM-YYYY HH:MM[:SS])
    try:
        day, month, rest = text.split("-", 2)
        year, clock = rest.split(" ", 1)
        parts = [int(p) for p in clock.split(":")]
        return datetime(int(year), int(month), int(day), *parts, tzinfo=zone)
    except (ValueError, TypeError):
        return None


def _sn_priority(text: str) -> str | None:
    text = text.strip()
    if not text or text == "?":
        return None
    return SERVICENOW_PRIORITIES.get(text.split("-", 1)[0].strip())


def servicenow_events(
    lines: Iterable[str],
    *,
    timezone: str | tzinfo = "UTC",
    client: str = "servicenow",
    client_column: str | None = None,
    default_priority: str = "P3",
) -> ConvertedLog:
    """Convert a ServiceNow incident event log (CSV text) to events; see the module docstring.

    ``timezone``: the zone the log's naive timestamps were recorded in (IANA name or tzinfo).
    ``client_column``: take each incident's client from this column (slugified, e.g.
    ``assignment_group`` "Group 56" → ``group-56``) instead of the fixed ``client`` key.
    """
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    reader = csv.DictReader(lines)
    fieldnames = reader.fieldnames or []
    missing = [c for c in _SN_REQUIRED if c not in fieldnames]
    if client_column and client_column not in fieldnames:
        missing.append(client_column)
    if missing:
        raise ValueError(f"not a ServiceNow incident log: missing column(s) {', '.join(missing)}")
    per_ticket: dict[str, list[tuple[datetime, int, dict[str, str]]]] = {}
    notes: list[str] = []
    rows = 0
    for row in reader:
        rows += 1
        number = (row.get("number") or "").strip()
        at = _sn_time(row.get("sys_updated_at") or "", zone)
        if not number or at is None:
            notes.append(f"row {rows + 1}: no incident number or no sys_updated_at — ignored")
            continue
        per_ticket.setdefault(number, []).append((at, rows, row))
    events: list[TicketEvent] = []
    made_sla: dict[str, bool] = {}
    after_close = 0
    unknown_states: dict[str, int] = {}
    for number, updates in per_ticket.items():
        updates.sort(key=lambda u: (u[0], u[1]))
        first = updates[0][2]
        opened_at = _sn_time(first.get("opened_at") or "", zone)
        start = updates[0][0] if opened_at is None or opened_at > updates[0][0] else opened_at
        who = _slug(first.get(client_column) or "") if client_column else client
        ticket = _TicketBuilder(number, who, start, _sn_priority(first["priority"]) or default_priority)
        last_close = max(
            (i for i, u in enumerate(updates) if (u[2].get("incident_state") or "").strip() == "Closed"),
            default=-1,
        )
        for i, (at, _, row) in enumerate(updates):
            if ticket.closed:
                after_close += 1
                continue
            ticket.set_priority(at, _sn_priority(row["priority"]))
            state = (row.get("incident_state") or "").strip()
            if state == "New":
                continue
            if state == "Active":
                ticket.work(at, is_response=True)
            elif state in SERVICENOW_PAUSES:
                ticket.pause(at, SERVICENOW_PAUSES[state], is_response=True)
            elif state == "Resolved":
                ticket.resolve(at, is_response=True)
            elif state == "Closed":
                if i == last_close:
                    ticket.close(at)
                else:  # closed, then worked on again: only the last Closed is final
                    ticket.resolve(at, is_response=True)
            else:
                unknown_states[state] = unknown_states.get(state, 0) + 1
        verdict = (updates[-1][2].get("made_sla") or "").strip().upper()
        if verdict in ("TRUE", "FALSE"):
            made_sla[number] = verdict == "TRUE"
        events.extend(ticket.events)
    if after_close:
        notes.append(f"{after_close} update(s) after an incident was Closed — ignored")
    for state, n in sorted(unknown_states.items()):
        notes.append(f"{n} update(s) with unknown incident_state {state!r} — ignored")
    return ConvertedLog(events, len(per_ticket), rows, notes, made_sla)


# --------------------------------------------------------------------------------------------
# BPIC 2013 (XES)

BPIC_PRIORITIES = {"Major": "P1", "High": "P2", "Medium": "P3", "Low": "P4"}
BPIC_WAITING_ON_CLIENT = frozenset({"Wait - User", "Wait - Customer"})
BPIC_WORK = frozenset({"In Progress", "In Call"})
BPIC_QUEUE = frozenset({"Assigned", "Awaiting Assignment"})
_XES = "{http://www.xes-standard.org/}"


def _open_xes(file: IO[bytes]) -> IO[bytes]:
    head = file.read(2)
    rest = file.read()
    data = head + rest
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=io.BytesIO(data))
    return io.BytesIO(data)


def _bpic_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None


def bpic2013_events(file: IO[bytes], *, client: str = "volvo", default_priority: str = "P3") -> ConvertedLog:
    """Convert a BPIC 2013 (Volvo IT) XES log, plain or gzip, to events; see the module docstring."""
    if file.seekable():
        head = file.read(2)
        file.seek(0)
        stream: IO[bytes] = gzip.GzipFile(fileobj=file) if head == b"\x1f\x8b" else file
    else:
        stream = _open_xes(file)
    events: list[TicketEvent] = []
    notes: list[str] = []
    tickets = 0
    rows = 0
    ignored_after_close = 0
    ignored_unknown: dict[str, int] = {}
    trace_tag = _XES + "trace"
    event_tag = _XES + "event"
    for _, element in ET.iterparse(stream, events=("end",)):
        if element.tag != trace_tag:
            continue
        ticket_id = ""
        raw: list[tuple[datetime, int, str, str | None]] = []
        for child in element:
            if child.tag == event_tag:
                rows += 1
                values = {a.get("key"): a.get("value") for a in child}
                at = _bpic_time(values.get("time:timestamp") or "")
                if at is None:
                    notes.append(f"event {rows}: no time-zone-aware time:timestamp — ignored")
                    continue
                raw.append((at, len(raw), values.get("lifecycle:transition") or "", values.get("impact")))
            elif child.get("key") == "concept:name":
                ticket_id = child.get("value") or ""
        element.clear()
        if not raw or not ticket_id:
            continue
        tickets += 1
        raw.sort(key=lambda r: (r[0], r[1]))
        first_at, _, _, first_impact = raw[0]
        ticket = _TicketBuilder(
            ticket_id, client, first_at, BPIC_PRIORITIES.get(first_impact or "", default_priority)
        )
        last_close = max((i for i, r in enumerate(raw) if r[2] in ("Closed", "Cancelled")), default=-1)
        for i, (at, _, transition, impact) in enumerate(raw):
            if ticket.closed:
                ignored_after_close += 1
                continue
            ticket.set_priority(at, BPIC_PRIORITIES.get(impact or ""))
            if transition in BPIC_WORK:
                ticket.work(at, is_response=True)
            elif transition in BPIC_QUEUE:
                ticket.work(at, is_response=False)
            elif transition in BPIC_WAITING_ON_CLIENT:
                ticket.pause(at, WAITING_ON_CLIENT, is_response=False)
            elif transition == "Wait" or transition.startswith("Wait - "):
                ticket.pause(at, ON_HOLD, is_response=False)
            elif transition == "Resolved":
                ticket.resolve(at, is_response=True)
            elif transition in ("Closed", "Cancelled"):
                if i == last_close:
                    ticket.close(at, resolves=transition == "Closed")
                else:  # closed, then worked on again: only the last Closed is final
                    ticket.resolve(at, is_response=True)
            else:
                ignored_unknown[transition] = ignored_unknown.get(transition, 0) + 1
        events.extend(ticket.events)
    if ignored_after_close:
        notes.append(f"{ignored_after_close} event(s) after an incident was Closed — ignored")
    for transition, n in sorted(ignored_unknown.items()):
        notes.append(f"{n} event(s) with lifecycle:transition {transition!r} — ignored")
    return ConvertedLog(events, tickets, rows, notes)
