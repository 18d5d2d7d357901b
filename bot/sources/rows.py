"""The rows a stored batch appends (:meth:`bot.sources.ingest.TicketIngest.ingest_batch` and
``store``): its events as they are stored and folded again later, and the audit entries of its
dismissals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.sources.plan import Plan, Step
from bot.sources.schema import SourceEvent
from sla.metrics import EventKind
from sla.timers import TicketEvent, trusted_event


def event_rows(
    plan: Plan,
    changed: dict[str, list[Step]],
    base: dict[str, int],
    *,
    team_id: str,
    kind: str,
    prefix: str,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """The rows of the events to append (``storage.sources.EVENT_COLUMNS``) of each ticket's steps in
    ``changed``, numbered on from its last seq in ``base``; ``kind``: the stored ``source`` (the kind
    of source), ``prefix``: of the external ids."""
    events: list[tuple[Any, ...]] = []
    sims = plan.sims
    for tid, steps in changed.items():
        sim = sims[tid]
        assert sim is not None, tid
        ticket_id = sim.db_id
        seq = base[tid]
        for step in steps:
            seq += 1
            stored = step.domain or domain_event(
                step.event, sim.clock.ticket_id or tid
            )  # ticket_id: not stored
            events.append(
                (
                    team_id,
                    ticket_id,
                    seq,
                    stored.at,
                    stored.kind._value_,  # the member's value (``.value`` is a Python-level property)
                    stored.priority,
                    stored.status,
                    stored.client,
                    stored.actor,
                    stored.note,
                    kind,
                    prefix + step.event.event_id,
                    now,
                )
            )
    return events


def dismissal_audit(
    plan: Plan, changed: dict[str, list[Step]], refs: dict[str, str], *, team_id: str, now: datetime
) -> list[dict[str, Any]]:
    """The audit rows of the dismissed events (as ``TicketService.record`` writes them: who, why and
    the status before)."""
    out = []
    for tid, steps in changed.items():
        if not any(step.event.kind is EventKind.DISMISSED for step in steps):
            continue
        sim = plan.sims[tid]
        ticket = sim.ticket if sim is not None else None
        status = ticket.status if ticket is not None else "open"
        for step in steps:
            if step.event.kind is EventKind.DISMISSED:
                out.append(
                    {
                        "team_id": team_id,
                        "actor": step.event.actor or "slabot",
                        "action": "ticket.dismiss",
                        "target": refs[tid],
                        "before": {"status": status},
                        "after": {"status": "dismissed", "reason": (step.domain or step.event).note},
                        "at": now,
                    }
                )
            status = (step.changes or {}).get("status", status)
    return out


def domain_event(event: SourceEvent, ticket_id: str) -> TicketEvent:
    """The event as it is stored (and folded again later): what ``TicketService.open`` / ``record``
    keep of it — an opening's priority and client, a change's new priority or status, the note."""
    kind = event.kind if event.kind.__class__ is EventKind else EventKind(event.kind)
    opened = kind is EventKind.OPENED
    at = event.at
    if at.__class__ is not datetime or at.tzinfo is not UTC:
        return TicketEvent(  # checks and converts what the source handed over
            ticket_id=ticket_id,
            at=at,
            kind=kind,
            priority=event.priority if opened or kind is EventKind.PRIORITY else None,
            status=event.status if kind is EventKind.STATUS else None,
            client=event.client if opened else None,
            actor=event.actor,
            note=None if opened else event.note,
        )
    return trusted_event(  # the same event, for an instant already in UTC
        ticket_id,
        at,
        kind,
        event.priority if opened or kind is EventKind.PRIORITY else None,
        event.status if kind is EventKind.STATUS else None,
        event.client if opened else None,
        event.actor,
        None if opened else event.note,
    )
