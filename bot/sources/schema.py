"""The JSON event of ``POST /webhooks/tickets``: the replay CSV's vocabulary, one event or a batch.

One event::

    {"id": "evt-1", "ticket_id": "HD-42", "timestamp": "2026-03-02T09:00:00+01:00",
     "event": "opened", "priority": "P2", "client": "acme", "title": "Login fails"}

A batch: ``{"events": [ ... up to 1000 ... ]}``. Fields:

- ``id`` (required): the event's id in the sending system — a repeat is a no-op ("duplicate").
- ``ticket_id`` (required): the ticket's id in the sending system (``HD-42``); slabot gives it
  its own reference (``T-7``) on ``opened`` and remembers the pair.
- ``timestamp`` (required): ISO 8601 with a UTC offset.
- ``event`` (required): opened, client_message, agent_message, status, priority, resolved,
  reopened, closed.
- ``priority`` (opened: optional, the contract's default otherwise; priority: required),
  ``status`` (status: required), ``client`` (opened: required), ``actor``, ``note``.
- For ``opened`` only: ``title``, ``channel_id`` and ``thread_ts`` (link the ticket to a Slack
  channel/thread; by default it is linked to the client's first channel of the contract file).

Unknown fields are refused (a typo like ``"priorty"`` must not silently drop data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot.edge_text import decode_json
from sla.metrics import EventKind

MAX_BATCH = 1000


def _text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)]


# bounded by the columns they land in (ids get a "<source>:" prefix of at most 40 characters)
Id = _text(150)
Name = _text(100)
SlackId = _text(64)
Ts = _text(32)
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One ticket event from outside Slack, in slabot's vocabulary (whatever system it came from)."""

    event_id: str
    ticket_id: str  # the ticket's id in the sending system
    at: datetime
    kind: EventKind
    priority: str | None = None
    status: str | None = None
    client: str | None = None
    actor: str | None = None
    note: str | None = None
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    requester: str | None = None  # opened only: who asked, in the sending system (a Jira account id)
    #: opened only: what the ticket's helpdesk calls it, ``<system>:<id>`` (``zendesk:35436``) or an id;
    #: by default ``<source>:<ticket_id>`` (``TicketIngest.known_as``)
    known_as: str | None = None


@dataclass(frozen=True)
class KnownTicket:
    """What slabot already knows of an external ticket (None: never seen)."""

    status: str
    priority: str | None
    resolved: bool
    closed: bool
    requester: str | None = None
    client: str | None = None
    ticket_id: str | None = None  # the ticket's id in the sending system


@dataclass(frozen=True)
class Ignored:
    """Something of a delivery that changes no clock (an intake reason, see ``bot.services.intake``)
    and a short detail for the log and the answer (e.g. ``"priority 'Обычный' (id 10100)"``)."""

    reason: str
    detail: str = ""


@dataclass
class Intake:
    """What an adapter made of one delivery: the events to record, and what it left alone."""

    events: list[SourceEvent]
    ignored: list[Ignored]


#: the webhook models are built on their first validation, not when the module is imported: the
#: import CLI and the Slack app import this module for :class:`SourceEvent` and never validate a webhook
_LAZY_MODEL = ConfigDict(extra="forbid", defer_build=True)


class EventIn(BaseModel):
    model_config = _LAZY_MODEL

    id: Id
    ticket_id: Id
    timestamp: AwareDatetime
    event: EventKind
    priority: Name | None = None
    status: Name | None = None
    client: Name | None = None
    actor: SlackId | None = None
    note: Note | None = None
    title: Note | None = None
    channel_id: SlackId | None = None
    thread_ts: Ts | None = None

    @model_validator(mode="after")
    def _needs(self) -> EventIn:
        if self.event is EventKind.OPENED and not self.client:
            raise ValueError("an 'opened' event needs 'client' (a client key of the contract file)")
        if self.event is EventKind.STATUS and not self.status:
            raise ValueError("a 'status' event needs 'status'")
        if self.event is EventKind.PRIORITY and not self.priority:
            raise ValueError("a 'priority' event needs 'priority'")
        if self.event is not EventKind.OPENED and (self.title or self.channel_id or self.thread_ts):
            raise ValueError("'title', 'channel_id' and 'thread_ts' belong to an 'opened' event only")
        return self

    def to_event(self) -> SourceEvent:
        return SourceEvent(
            event_id=self.id,
            ticket_id=self.ticket_id,
            at=self.timestamp,
            kind=self.event,
            priority=self.priority,
            status=self.status,
            client=self.client,
            actor=self.actor,
            note=self.note,
            title=self.title,
            channel_id=self.channel_id,
            thread_ts=self.thread_ts,
        )


class BatchIn(BaseModel):
    model_config = _LAZY_MODEL

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class PayloadError(ValueError):
    """A bad payload (HTTP 400): ``errors`` lists every problem as ``"events[3].timestamp: ..."``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _messages(error: ValidationError, prefix: str) -> list[str]:
    out = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        out.append(f"{_loc(prefix, tuple(item['loc']))}: {message}")
    return out


def parse_body(body: bytes) -> list[SourceEvent]:
    """Every event of a request body, or :class:`PayloadError` naming every bad event and field."""
    try:
        data = decode_json(body)  # bounded depth; NUL and lone surrogates made storable
    except ValueError as exc:
        raise PayloadError([f"body: {exc}"]) from None
    if isinstance(data, dict) and "events" in data:
        try:
            batch = BatchIn.model_validate(data)
        except ValidationError as exc:
            raise PayloadError(_messages(exc, "")) from None
        items, prefix = batch.events, "events"
    elif isinstance(data, dict):
        items, prefix = [data], ""
    else:
        raise PayloadError(['body: expected one event object or {"events": [...]}'])
    events: list[SourceEvent] = []
    errors: list[str] = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]" if prefix else ""
        try:
            events.append(EventIn.model_validate(item).to_event())
        except ValidationError as exc:
            label = where
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label = f"{where}(id={item['id']})" if where else f"(id={item['id']})"
            errors.extend(_messages(exc, label))
    if errors:
        raise PayloadError(errors)
    return events
