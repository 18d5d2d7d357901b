"""Zendesk: a trigger's webhook body → slabot events.

A Zendesk trigger sends whatever JSON its body template renders; slabot expects this one
(docs/sources.md shows the two triggers to create)::

    {
      "ticket_id": "{{ticket.id}}",
      "title": "{{ticket.title}}",
      "status": "{{ticket.status}}",
      "priority": "{{ticket.priority}}",
      "created_at": "{{ticket.created_at_with_timestamp}}",
      "updated_at": "{{ticket.updated_at_with_timestamp}}",
      "client": "{{ticket.organization.external_id}}",
      "actor": "{{current_user.email}}",
      "actor_role": "{{current_user.role}}",
      "comment": false
    }

``comment`` is ``true`` in the body of the trigger whose condition is "Comment is Public"
(a public comment: ``agent_message`` when ``actor_role`` is agent/admin, ``client_message``
for an end-user). Zendesk sends a snapshot, not a change, so the adapter compares it with what
slabot knows of the ticket: unknown → ``opened``; status solved → ``resolved``; closed →
``closed``; a solved ticket back to open/pending → ``reopened``; pending/hold → a ``status``
event; another priority → a ``priority`` event. Event ids are ``<ticket>:<updated_at>:<kind>``,
so a redelivery, or both triggers firing for one update, records each change once.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from bot.sources.schema import KnownTicket, PayloadError, SourceEvent
from bot.sources.vocabulary import CLOSED, OPEN, RESOLVED, map_status
from sla.metrics import EventKind

AGENT_ROLES = frozenset({"agent", "admin", "administrator", "owner", "light_agent"})
CLIENT_ROLES = frozenset({"end-user", "end_user", "enduser", "end user", "customer", "requester"})


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _when(payload: dict[str, Any], key: str) -> datetime:
    text = _text(payload, key)
    if text is None:
        raise PayloadError([f"{key}: missing (use {{{{ticket.{key}_with_timestamp}}}})"])
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError([f"{key}: {text!r} is not an ISO 8601 date-time"]) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def zendesk_events(
    payload: Any,
    known: KnownTicket | None,
    *,
    client: str | None = None,
    statuses: Collection[str] = (),
) -> list[SourceEvent]:
    """The events one Zendesk trigger call means. ``client`` is the fallback client key
    (``?client=`` on the webhook URL) when the body names none."""
    if not isinstance(payload, dict):
        raise PayloadError(["body: expected a JSON object (see the body template in docs/sources.md)"])
    ticket_id = _text(payload, "ticket_id") or _text(payload, "id")
    if ticket_id is None:
        raise PayloadError(["ticket_id: missing (use {{ticket.id}})"])
    updated = _when(payload, "updated_at")
    stamp = updated.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    status = map_status(_text(payload, "status"), statuses)
    priority = _text(payload, "priority")
    actor = (_text(payload, "actor") or "")[:64] or None
    role = (_text(payload, "actor_role") or "").lower()

    def event(kind: EventKind, at: datetime = updated, **fields: Any) -> SourceEvent:
        return SourceEvent(
            event_id=f"{ticket_id}:{stamp}:{kind.value}",
            ticket_id=ticket_id,
            at=at,
            kind=kind,
            actor=actor,
            **fields,
        )

    out: list[SourceEvent] = []
    resolved = closed = False
    current_status = OPEN
    if known is None:
        body_client = _text(payload, "client") or client
        if not body_client:
            raise PayloadError(
                [
                    f'client: ticket {ticket_id} names no client: add "client" to the trigger body or ?client=<key> to the URL'
                ]
            )
        created = _when(payload, "created_at") if payload.get("created_at") else updated
        out.append(
            SourceEvent(
                event_id=f"{ticket_id}:opened",
                ticket_id=ticket_id,
                at=min(created, updated),
                kind=EventKind.OPENED,
                priority=priority,
                client=body_client,
                actor=actor,
                title=_text(payload, "title"),
            )
        )
    else:
        resolved, closed, current_status = known.resolved, known.closed, known.status
        if known.priority is not None and priority is not None:
            out.append(event(EventKind.PRIORITY, priority=priority))  # dropped by the ingest when unchanged
    if closed:
        return out  # closed is final in Zendesk too
    if _truthy(payload.get("comment")):
        if role in AGENT_ROLES:
            out.append(event(EventKind.AGENT_MESSAGE))
        elif role in CLIENT_ROLES or not role:  # unknown author: never stop a response clock by mistake
            out.append(event(EventKind.CLIENT_MESSAGE))
        else:
            raise PayloadError([f"actor_role: {role!r} is neither an agent nor an end-user role"])
    if status == RESOLVED:
        if not resolved:
            out.append(event(EventKind.RESOLVED))
    elif status == CLOSED:
        if not resolved:
            out.append(event(EventKind.RESOLVED))
        out.append(event(EventKind.CLOSED))
    else:
        if resolved:
            out.append(event(EventKind.REOPENED))
            current_status = OPEN
        if status != current_status:
            out.append(event(EventKind.STATUS, status=status))
    return out
