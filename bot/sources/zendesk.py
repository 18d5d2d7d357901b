"""Zendesk: a trigger's webhook body, or an event webhook's event → slabot events.

**Trigger bodies** (the webhook is connected to triggers; docs/sources.md shows the two to
create). A trigger sends whatever JSON its body template renders; slabot expects this one::

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
(``agent_message`` when ``actor_role`` is agent/admin, ``client_message`` for an end-user).
Zendesk sends a snapshot, not a change, so the adapter compares it with what slabot knows of the
ticket: unknown → ``opened``; solved → ``resolved``; closed → ``closed``; a solved ticket back to
open/pending → ``reopened``; pending/hold → a ``status`` event; another priority → ``priority``.
The events of one delivery are ordered as they happened to the clocks: the priority, a reopening,
then the comment (so a requester's reply that reopens a solved ticket starts next-response), then
the new status.

Zendesk's ``*_with_timestamp`` placeholders render minutes only (``2013-12-12T05:35Z``): the
event time is the delivery's signed timestamp (``X-Zendesk-Webhook-Signature-Timestamp``, with
seconds) when it falls within two minutes after ``updated_at``, else ``updated_at``. Event ids
are ``<ticket>:<delivery>:<kind>`` where the delivery is Zendesk's invocation id
(``X-Zendesk-Webhook-Invocation-Id``: retries keep it) or, without it, a hash of the body — so two
updates in one minute are two changes, and a redelivery is one.

**Event webhooks** (the webhook is subscribed to Zendesk events, ``type: zen:event-type:…``):
``ticket.created``, ``ticket.status_changed``, ``ticket.priority_changed`` and
``ticket.comment_added`` (``is_public``; ``author.is_staff`` tells agent from requester) move
clocks; every other event type is acknowledged and ignored (``other_event``). Their ids are
Zendesk's event ``id`` (and the comment id for comments).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sources.jira import ValueMap
from bot.sources.schema import Ignored, Intake, KnownTicket, PayloadError, SourceEvent
from bot.sources.vocabulary import CLOSED, OPEN, RESOLVED, priority_word, status_word
from sla.metrics import EventKind

__all__ = ["AGENT_ROLES", "CLIENT_ROLES", "KnownTicket", "zendesk_events"]

AGENT_ROLES = frozenset({"agent", "admin", "administrator", "owner", "light_agent"})
CLIENT_ROLES = frozenset({"end-user", "end_user", "enduser", "end user", "customer", "requester"})
EVENT_PREFIX = "zen:event-type:"
#: how long after ``updated_at`` (minute precision) a signed timestamp still dates the change
SIGNED_TIME_WINDOW = timedelta(minutes=2)


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or isinstance(value, dict | list):
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


def zendesk_ticket_id(payload: Any) -> str | None:
    """The ticket a delivery is about: a trigger body's ``ticket_id``, an event's ``detail.id``."""
    if not isinstance(payload, dict):
        return None
    detail = payload.get("detail") if isinstance(payload.get("detail"), dict) else {}
    for value in (
        payload.get("ticket_id"),
        detail.get("id") if payload.get("type") else None,
        payload.get("id"),
    ):
        if value is not None and not isinstance(value, dict | list) and str(value).strip():
            return str(value).strip()
    return None


def body_fingerprint(payload: Any) -> str:
    """A short hash of a delivery's content (the delivery id when Zendesk sends none)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


class _Values:
    """Status and priority words of one delivery → slabot's, with the contract's mapping."""

    def __init__(
        self, mapping: ValueMap | None, priorities: Sequence[str], statuses: Collection[str]
    ) -> None:
        self.mapping = mapping or ValueMap()
        self.priorities = priorities
        self.statuses = statuses
        self.ignored: list[Ignored] = []

    def status(self, word: str | None) -> str | None:
        if not word:
            return None
        mapped = self.mapping.statuses.get(word) or self.mapping.statuses.get(word.lower())
        found = mapped or status_word(word, self.statuses)
        if found is None:
            self.ignored.append(
                Ignored("unmapped_value", f"status {word!r}: add it to sources.zendesk.statuses")
            )
        return found

    def priority(self, word: str | None) -> str | None:
        if not word or word.strip() == "-":
            return None
        mapped = self.mapping.priorities.get(word) or self.mapping.priorities.get(word.lower())
        if mapped:
            return mapped
        found = priority_word(word, self.priorities) if self.priorities else word
        if found is None:
            self.ignored.append(
                Ignored("unmapped_value", f"priority {word!r}: add it to sources.zendesk.priorities")
            )
        return found


def _events_of(prefix: str, ticket_id: str, at: datetime, actor: str | None) -> Callable[..., SourceEvent]:
    """Events of one delivery: ``<prefix>:<kind>`` ids, its ticket, instant and actor."""

    def event(kind: EventKind, **fields: Any) -> SourceEvent:
        return SourceEvent(
            event_id=f"{prefix}:{kind.value}", ticket_id=ticket_id, at=at, kind=kind, actor=actor, **fields
        )

    return event


def _transition(
    target: str | None, event: Any, *, resolved: bool, closed: bool, current: str
) -> list[SourceEvent]:
    """The events that take a ticket (resolved/closed/current status) to ``target``."""
    out: list[SourceEvent] = []
    if target is None or closed:
        return out
    if target == RESOLVED:
        if not resolved:
            out.append(event(EventKind.RESOLVED))
    elif target == CLOSED:
        if not resolved:
            out.append(event(EventKind.RESOLVED))
        out.append(event(EventKind.CLOSED))
    elif target != current:
        out.append(event(EventKind.STATUS, status=target))
    return out


def zendesk_events(
    payload: Any,
    known: KnownTicket | None,
    *,
    client: str | None = None,
    statuses: Collection[str] = (),
    priorities: Sequence[str] = (),
    mapping: ValueMap | None = None,
    delivery_id: str | None = None,
    signed_at: datetime | None = None,
) -> Intake:
    """The events one Zendesk delivery means, and what of it changes no clock. ``client`` is the
    fallback client key (``?client=`` on the webhook URL) when the body names none;
    ``delivery_id`` Zendesk's invocation id; ``signed_at`` the signed timestamp header."""
    if not isinstance(payload, dict):
        raise PayloadError(["body: expected a JSON object (see the body template in docs/sources.md)"])
    values = _Values(mapping, priorities, statuses)
    kind = payload.get("type")
    if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
        events = _event_webhook(payload, known, kind, values, client=client)
        return Intake(events, values.ignored)
    ticket_id = _text(payload, "ticket_id") or _text(payload, "id")
    if ticket_id is None:
        raise PayloadError(
            [
                "ticket_id: missing (use {{ticket.id}}); slabot reads the trigger body of docs/sources.md "
                "or Zendesk event webhooks (type zen:event-type:ticket.*)"
            ]
        )
    updated = _when(payload, "updated_at")
    at = updated
    if signed_at is not None and updated.second == 0 and updated <= signed_at < updated + SIGNED_TIME_WINDOW:
        at = signed_at  # the same change, with its seconds
    delivery = delivery_id or body_fingerprint(payload)
    actor = (_text(payload, "actor") or "")[:64] or None

    event = _events_of(f"{ticket_id}:{delivery}", ticket_id, at, actor)

    out: list[SourceEvent] = []
    resolved = closed = False
    current_status = OPEN
    priority = values.priority(_text(payload, "priority"))
    if known is None:
        out.append(_trigger_opening(payload, ticket_id, at, updated, priority, client=client, actor=actor))
    else:
        resolved, closed, current_status = known.resolved, known.closed, known.status
        if known.priority is not None and priority is not None:
            out.append(event(EventKind.PRIORITY, priority=priority))  # dropped by the ingest when unchanged
    if closed:
        return Intake(out, values.ignored)  # closed is final in Zendesk too
    status = values.status(_text(payload, "status"))
    if resolved and status not in (None, RESOLVED, CLOSED):
        out.append(event(EventKind.REOPENED))  # before the comment: the reply starts next-response
        resolved, current_status = False, OPEN
    if _truthy(payload.get("comment")):
        out.append(_trigger_comment(payload, event, values))
    out.extend(_transition(status, event, resolved=resolved, closed=closed, current=current_status))
    return Intake(out, values.ignored)


def _trigger_opening(
    payload: dict[str, Any],
    ticket_id: str,
    at: datetime,
    updated: datetime,
    priority: str | None,
    *,
    client: str | None,
    actor: str | None,
) -> SourceEvent:
    """The opening of a ticket slabot has not seen, from a trigger body."""
    body_client = _text(payload, "client") or client
    if not body_client:
        raise PayloadError(
            [
                f'client: ticket {ticket_id} names no client: add "client" to the trigger body or ?client=<key> to the URL'
            ]
        )
    created = _when(payload, "created_at") if payload.get("created_at") else updated
    return SourceEvent(
        event_id=f"{ticket_id}:opened",
        ticket_id=ticket_id,
        at=min(created, at),
        kind=EventKind.OPENED,
        priority=priority,
        client=body_client,
        actor=actor,
        title=_text(payload, "title"),
        known_as=f"zendesk:{ticket_id}",
    )


def _trigger_comment(payload: dict[str, Any], event: Any, values: _Values) -> SourceEvent:
    """A trigger body's public comment: an agent's, or else the requester's."""
    role = (_text(payload, "actor_role") or "").lower()
    if role in AGENT_ROLES:
        return event(EventKind.AGENT_MESSAGE)
    # an end-user, or an author nothing tells: never stop a response clock by mistake
    if role and role not in CLIENT_ROLES:
        values.ignored.append(Ignored("unmapped_value", f"actor_role {role!r}: counted as the requester's"))
    return event(EventKind.CLIENT_MESSAGE)


# --------------------------------------------------------------------------- event webhooks


def _event_time(payload: dict[str, Any], detail: dict[str, Any]) -> datetime:
    for text in (payload.get("time"), detail.get("updated_at")):
        if isinstance(text, str) and text.strip():
            try:
                at = datetime.fromisoformat(text.strip())
            except ValueError:
                continue
            return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    raise PayloadError(["time: missing (Zendesk event webhooks carry an ISO 8601 'time')"])


def _event_webhook(
    payload: dict[str, Any], known: KnownTicket | None, kind: str, values: _Values, *, client: str | None
) -> list[SourceEvent]:
    name = kind.removeprefix(EVENT_PREFIX)
    handled = ("ticket.created", "ticket.status_changed", "ticket.priority_changed", "ticket.comment_added")
    if name not in handled:
        values.ignored.append(Ignored("other_event", kind))
        return []
    detail = payload.get("detail") if isinstance(payload.get("detail"), dict) else {}
    change = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    ticket_id = _text(detail, "id") or str(payload.get("subject") or "").removeprefix("zen:ticket:") or None
    event_id = _text(payload, "id")
    if not ticket_id or not event_id:
        raise PayloadError(["detail.id and id: missing (a Zendesk ticket event carries both)"])
    at = _event_time(payload, detail)
    actor = (_text(detail, "actor_id") or "")[:64] or None

    event = _events_of(f"evt-{event_id}", ticket_id, at, actor)

    out: list[SourceEvent] = []
    if known is None:
        if not client:
            if name != "ticket.created":
                values.ignored.append(
                    Ignored("not_covered", f"{kind} for ticket {ticket_id}, which slabot has not seen")
                )
                return []
            raise PayloadError([f"client: ticket {ticket_id}: add ?client=<key> to the webhook URL"])
        out, current = _event_opening(detail, ticket_id, at, event, values, client=client, actor=actor)
        if name == "ticket.created":
            return out
        resolved, closed = False, False
    else:
        resolved, closed, current = known.resolved, known.closed, known.status
    if name == "ticket.created" or closed:
        return out
    if name == "ticket.priority_changed":
        priority = values.priority(_text(change, "current"))
        if priority is not None:
            out.append(event(EventKind.PRIORITY, priority=priority))
    elif name == "ticket.status_changed":
        target = values.status(_text(change, "current"))
        if resolved and target not in (None, RESOLVED, CLOSED):
            out.append(event(EventKind.REOPENED))
            resolved, current = False, OPEN
        out.extend(_transition(target, event, resolved=resolved, closed=closed, current=current))
    else:  # ticket.comment_added
        out.extend(_event_comment(change, ticket_id, at, values))
    return out


def _event_opening(
    detail: dict[str, Any],
    ticket_id: str,
    at: datetime,
    event: Any,
    values: _Values,
    *,
    client: str,
    actor: str | None,
) -> tuple[list[SourceEvent], str]:
    """The opening of a ticket slabot has not seen, from any of its events (and its first status
    when that is not open); and the status it is in after them."""
    created = _text(detail, "created_at")
    opened_at = datetime.fromisoformat(created) if created else at
    out = [
        SourceEvent(
            event_id=f"{ticket_id}:opened",
            ticket_id=ticket_id,
            at=min(opened_at, at),
            kind=EventKind.OPENED,
            priority=values.priority(_text(detail, "priority")),
            client=client,
            actor=_text(detail, "requester_id") or actor,
            title=_text(detail, "subject"),
            requester=_text(detail, "requester_id"),
            known_as=f"zendesk:{ticket_id}",
        )
    ]
    start = values.status(_text(detail, "status"))
    if start in (None, OPEN, RESOLVED, CLOSED):
        return out, OPEN
    out.append(event(EventKind.STATUS, status=start))
    return out, start


def _event_comment(
    change: dict[str, Any], ticket_id: str, at: datetime, values: _Values
) -> list[SourceEvent]:
    """``ticket.comment_added``: a public comment, the staff's or else the requester's."""
    comment = change.get("comment") if isinstance(change.get("comment"), dict) else {}
    comment_id = _text(comment, "id")
    if comment_id is None:
        raise PayloadError(["event.comment.id: missing"])
    if comment.get("is_public") is False:
        values.ignored.append(Ignored("internal_note", f"comment {comment_id}"))
        return []
    author = comment.get("author") if isinstance(comment.get("author"), dict) else {}
    staff = author.get("is_staff") is True
    return [
        SourceEvent(
            event_id=f"comment-{comment_id}",
            ticket_id=ticket_id,
            at=at,
            kind=EventKind.AGENT_MESSAGE if staff else EventKind.CLIENT_MESSAGE,
            actor=(_text(author, "id") or "")[:64] or None,
        )
    ]
