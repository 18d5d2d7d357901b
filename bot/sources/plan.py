"""The plan of a delivery or import batch (:meth:`bot.sources.ingest.TicketIngest.plan`): what becomes
of each event, and the touched tickets' clocks while it is planned and stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.sources.schema import SourceEvent
from sla.contracts import ContractVersion
from sla.timers import TicketClock, TicketEvent

Status = Literal["created", "duplicate", "unchanged", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """What became of one event (``index`` = its position in the request or batch)."""

    index: int
    event_id: str
    ticket_id: str
    status: Status
    ref: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"id": self.event_id, "ticket_id": self.ticket_id, "status": self.status}
        if self.ref:
            out["ref"] = self.ref
        if self.message:
            out["error"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class Step:
    """What the plan does with one event: open a ticket, record on one, or nothing (and why)."""

    index: int
    event: SourceEvent
    action: Literal["open", "record", "duplicate", "unchanged"]
    ref: str | None  # the existing ticket's reference (None for a ticket this batch opens)
    changes: dict[str, Any] | None = None  # the ticket columns a recorded event changes
    domain: TicketEvent | None = None  # the event as stored and folded (rows.domain_event)


@dataclass
class Plan:
    """The steps of a delivery or batch, its problems and the touched tickets' clocks."""

    steps: list[Step] = field(default_factory=list)
    problems: list[Outcome] = field(default_factory=list)
    #: each touched ticket's clock after the planned events (keyed by the source's ticket id)
    sims: dict[str, Sim | None] = field(default_factory=dict, repr=False)
    #: the reference of each stored ticket with no new event (not folded: every event a duplicate)
    refs: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Sim:
    """A touched ticket while planning and storing a batch: its clock after the planned events."""

    clock: TicketClock
    version: ContractVersion
    ref: str | None  # None: opened by this batch
    #: the stored ticket (None: opened by this batch): a row of ``storage.sources.TICKET_PLAN_COLUMNS``
    ticket: Any = None
    rows: list[Any] = field(default_factory=list)  # its timer projection, once stored (``written``)
    written: bool = False  # its projection was written by this batch
    stored: list[Any] | None = None  # its projection as a previous batch stored it (None: not known)
    db_id: int | None = None  # the ticket's row id and last event seq, once stored
    seq: int = 0
