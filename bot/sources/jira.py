"""Jira (Cloud, Service Management, Server and Data Center): webhook deliveries → slabot events.

Register a webhook (Jira settings → System → WebHooks) for *Issue created*, *Issue updated* and
*Comment created*, with a secret, pointing at ``https://<slabot>/webhooks/jira?client=<key>``
(``client`` may be left out when the project key, lower-cased, is a client key). docs/sources.md has
the table this module implements; in short:

- **What happened** is read from ``webhookEvent``, ``issue_event_type_name`` (Server/Data Center
  send comments as ``jira:issue_updated`` + ``issue_commented``) and the changelog. A delivery
  that carries no ``issue`` (Server's ``comment_created``) is matched to the ticket through the
  issue id in ``comment.self``.
- **Who wrote a comment** never depends on one field a delivery may omit (Cloud's
  ``comment_created`` has no ``fields.reporter``): an ``app`` account is a bot (ignored); a JSM
  ``customer`` account, the issue's reporter, the requester slabot stored when the issue opened,
  or a request participant is the **client**; anyone else is an **agent** when slabot knows who
  the requester is; when nothing tells, the comment counts as the client's (a response is never
  counted by mistake). Internal notes (``jsdPublic: false``) are ignored.
- **Priorities and statuses** are read language-independently: the contract's ``sources.jira``
  mapping (by ``priority.id`` / status id, or name), then the English words of
  :mod:`bot.sources.vocabulary`, then Jira's default priority ids (1 Highest … 5 Lowest) and the
  status category (``new``/``indeterminate`` → open, ``done`` → resolved). A value none of these
  maps is reported (``unmapped_value``) and the rest of the delivery is still recorded.

Event ids: ``issue-<id>-created``, ``changelog-<id>-<field>``, ``comment-<id>``: Jira's retries,
and the two deliveries Jira sends for one comment (``comment_created`` and ``jira:issue_updated``),
record it once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.sources.schema import Ignored, Intake, KnownTicket, PayloadError, SourceEvent
from bot.sources.vocabulary import CLOSED, OPEN, RESOLVED, priority_word, status_word
from sla.metrics import EventKind

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated"})
COMMENT_EVENTS = frozenset({"comment_created"})
#: Server/Data Center ``issue_event_type_name`` values that are not a new comment
_COMMENT_CHANGES = {"issue_comment_edited": "edited", "issue_comment_deleted": "deleted"}
_OTHER_COMMENT_EVENTS = {"comment_updated": "edited", "comment_deleted": "deleted"}
#: Jira's default priority ids (every new Jira site, Cloud and Data Center): 1 Highest … 5 Lowest
DEFAULT_PRIORITY_IDS = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4}
_CATEGORY = {"new": OPEN, "indeterminate": OPEN, "done": RESOLVED}
_ISSUE_IN_URL = re.compile(r"/issue/(\d+)/comment/")


@dataclass(frozen=True)
class ValueMap:
    """A contract's mapping of one source's values (``sources.<name>`` in the contract file):
    ``priorities`` maps an id or a name to a contract priority, ``statuses`` an id or a name to
    ``open``/``waiting_on_client``/``on_hold``/a contract status/``resolved``/``closed``."""

    priorities: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _account(user: Any) -> str | None:
    user = _obj(user)
    value = user.get("accountId") or user.get("key") or user.get("name")
    return str(value)[:64] if value else None


def issue_ref(payload: Any) -> tuple[str | None, str | None]:
    """(issue key, issue id) a delivery is about; the id alone when it carries no issue (a
    Server ``comment_created``: the id is in ``comment.self``)."""
    if not isinstance(payload, dict):
        return None, None
    issue = _obj(payload.get("issue"))
    key, issue_id = _str(issue.get("key")), _str(issue.get("id"))
    if key or issue_id:
        return key or issue_id, issue_id
    match = _ISSUE_IN_URL.search(str(_obj(payload.get("comment")).get("self") or ""))
    return None, match.group(1) if match else None


def project_client(payload: Any, query_client: str | None, clients: Collection[str]) -> str | None:
    """``?client=`` on the URL, else the project key lower-cased when it is a client key."""
    if query_client:
        return query_client
    fields = _obj(_obj(_obj(payload).get("issue")).get("fields"))
    project = _obj(fields.get("project")).get("key")
    if isinstance(project, str) and project.lower() in clients:
        return project.lower()
    return None


@dataclass
class _Reader:
    """Maps one delivery's values with the contract's mapping; collects what it cannot map."""

    mapping: ValueMap
    priorities: Sequence[str]
    statuses: Collection[str]
    ignored: list[Ignored] = field(default_factory=list)

    def priority(self, pid: Any, name: Any, what: str) -> str | None:
        pid, name = _str(pid), _str(name)
        word = _mapped(self.mapping.priorities, pid, name) or priority_word(name, self.priorities)
        if word:
            return word
        if pid in DEFAULT_PRIORITY_IDS and self.priorities:
            return self.priorities[min(DEFAULT_PRIORITY_IDS[pid], len(self.priorities) - 1)]
        return self._unmapped("priorities", what, pid, name)

    def status(self, sid: Any, name: Any, category: Any, what: str, *, report: bool = True) -> str | None:
        sid, name = _str(sid), _str(name)
        word = _mapped(self.mapping.statuses, sid, name) or status_word(name, self.statuses)
        if word:
            return word
        by_category = _CATEGORY.get(str(category or "").lower())
        if by_category:
            return by_category
        return self._unmapped("statuses", what, sid, name) if report else None

    def _unmapped(self, table: str, what: str, value_id: str | None, name: str | None) -> None:
        """Note a value the delivery names (by id or name) that nothing maps (``sources.jira.<table>``)."""
        if value_id or name:
            self.ignored.append(
                Ignored("unmapped_value", f"{what} {name!r} (id {value_id}): add it to sources.jira.{table}")
            )


def _mapped(table: Mapping[str, str], value_id: str | None, name: str | None) -> str | None:
    """What the contract's mapping says for a Jira value: by its id first, then by its name."""
    for value in (value_id, name):
        mapped = table.get(value) if value else None
        if mapped:
            return mapped
    return None


def _status_of(fields: dict[str, Any]) -> tuple[Any, Any, Any]:
    status = _obj(fields.get("status"))
    return status.get("id"), status.get("name"), _obj(status.get("statusCategory")).get("key")


def _participants(fields: dict[str, Any]) -> set[str]:
    """Accounts of Service Management's *Request participants* (a list of users in a custom field)."""
    found: set[str] = set()
    for name, value in fields.items():
        if name.startswith("customfield_") and isinstance(value, list):
            for user in value:
                if isinstance(user, dict) and user.get("accountType") == "customer" and _account(user):
                    found.add(str(_account(user)))
    return found


@dataclass(frozen=True)
class _Delivery:
    """What one delivery is about, read once for the parts that turn it into events."""

    payload: dict[str, Any]
    kind: str  # webhookEvent
    type_name: str | None  # issue_event_type_name (Server/Data Center)
    key: str
    issue_id: str
    fields: dict[str, Any]
    stamp: Any
    at: datetime | None  # the delivery's time: its timestamp, else fields.updated
    actor: str | None
    comment: dict[str, Any]
    reporter: str | None
    known: KnownTicket | None


def jira_events(
    payload: Any,
    *,
    known: KnownTicket | None,
    client: str | None = None,
    priorities: Sequence[str] = (),
    statuses: Collection[str] = (),
    mapping: ValueMap | None = None,
) -> Intake:
    """The events of one Jira webhook delivery, and what of it changes no clock.

    ``known``: what slabot knows of the issue (None: never seen); ``client``: the client key
    (``?client=``, the project key, or the stored ticket's); ``priorities``: the contract's, most
    urgent first. Raises :class:`PayloadError` only for a delivery slabot cannot use at all."""
    if not isinstance(payload, dict):
        raise PayloadError(["body: expected a Jira webhook JSON object"])
    kind = payload.get("webhookEvent")
    skipped = _skipped(kind)
    if skipped is not None:
        return Intake([], [skipped])
    issue = _obj(payload.get("issue"))
    key, issue_id = issue_ref(payload)
    if key is None and known is not None and known.ticket_id:
        key = known.ticket_id
    if key is None or issue_id is None:
        if not issue and known is None:
            return Intake(
                [], [Ignored("not_covered", f"{kind} for issue {issue_id or '?'}, which slabot has not seen")]
            )
        raise PayloadError(["issue: missing (id and key)"])
    delivery = _delivery(payload, kind, key, issue_id, known)
    reader = _Reader(mapping or ValueMap(), priorities, statuses)
    out: list[SourceEvent] = []
    if known is None:
        if not issue:
            return Intake(
                [], [Ignored("not_covered", f"{kind} for issue {issue_id}, which slabot has not seen")]
            )
        out.extend(_opened(delivery, reader, client))
    if delivery.at is None:
        raise PayloadError(["timestamp: missing"])
    out.extend(_updates(delivery, reader, delivery.at))
    if not out and not reader.ignored:
        reader.ignored.append(_why_nothing(delivery))
    return Intake(out, reader.ignored)


def _skipped(kind: Any) -> Ignored | None:
    """Why a delivery of this ``webhookEvent`` is not read at all (None: it is read)."""
    if not isinstance(kind, str) or not kind:
        return Ignored("unknown_shape", "no webhookEvent")
    if kind in _OTHER_COMMENT_EVENTS:
        return Ignored(_OTHER_COMMENT_EVENTS[kind], kind)
    if kind not in ISSUE_EVENTS | COMMENT_EVENTS:
        return Ignored("other_event", kind)
    return None


def _delivery(
    payload: dict[str, Any], kind: str, key: str, issue_id: str, known: KnownTicket | None
) -> _Delivery:
    fields = _obj(_obj(payload.get("issue")).get("fields"))
    stamp = payload.get("timestamp")
    at = (
        datetime.fromtimestamp(stamp / 1000, UTC)
        if isinstance(stamp, int | float) and not isinstance(stamp, bool)
        else _parse_time(fields.get("updated"))
    )
    return _Delivery(
        payload=payload,
        kind=kind,
        type_name=_str(payload.get("issue_event_type_name")),
        key=key,
        issue_id=issue_id,
        fields=fields,
        stamp=stamp,
        at=at,
        actor=_account(payload.get("user")),
        comment=_obj(payload.get("comment")),
        reporter=_account(fields.get("reporter")),
        known=known,
    )


def _opened(d: _Delivery, reader: _Reader, client: str | None) -> list[SourceEvent]:
    """The opening of an issue slabot has not seen, and its first status when Jira created it in
    one that is not open."""
    if not client:
        raise PayloadError(
            [
                f"client: cannot tell the client of {d.key}: add ?client=<key> to the webhook URL "
                "(or name a client after the project key)"
            ]
        )
    fields = d.fields
    opened_at = _parse_time(fields.get("created")) or d.at
    if opened_at is None:
        raise PayloadError(["timestamp: missing (neither the payload's timestamp nor fields.created)"])
    priority_field = fields.get("priority")
    priority = (
        reader.priority(_obj(priority_field).get("id"), _obj(priority_field).get("name"), "priority")
        if isinstance(priority_field, dict)
        else reader.priority(None, priority_field, "priority")
    )
    requester = d.reporter
    author = _obj(d.comment.get("author"))
    if requester is None and d.kind in COMMENT_EVENTS and author.get("accountType") == "customer":
        requester = _account(author)
    out = [
        SourceEvent(
            event_id=f"issue-{d.issue_id}-created",
            ticket_id=d.key,
            at=opened_at,
            kind=EventKind.OPENED,
            priority=priority,
            client=client,
            actor=d.reporter or d.actor,
            title=_str(fields.get("summary")),
            requester=requester,
            known_as=f"jira:{d.key}",
        )
    ]
    start = reader.status(*_status_of(fields), "status") if fields.get("status") else OPEN
    if d.kind == "jira:issue_created" and start not in (None, OPEN, RESOLVED, CLOSED):
        out.append(
            SourceEvent(
                event_id=f"issue-{d.issue_id}-created-status",
                ticket_id=d.key,
                at=opened_at,
                kind=EventKind.STATUS,
                status=start,
                actor=d.actor,
            )
        )
    return out


def _updates(d: _Delivery, reader: _Reader, at: datetime) -> list[SourceEvent]:
    """The changelog's status and priority changes, and the comment (once, however it came)."""
    out: list[SourceEvent] = []
    is_comment = d.kind in COMMENT_EVENTS or (d.kind == "jira:issue_updated" and bool(d.comment))
    if d.kind == "jira:issue_updated" and d.type_name in _COMMENT_CHANGES:
        reader.ignored.append(Ignored(_COMMENT_CHANGES[d.type_name], d.type_name))
        is_comment = False
    if d.kind == "jira:issue_updated":
        out.extend(_changelog(d, reader, at))
    if is_comment:
        out.extend(_comment(d, reader, at))
    return out


def _why_nothing(d: _Delivery) -> Ignored:
    """Why a delivery that maps to no event (and was refused for no other reason) changes nothing."""
    items = [str(_obj(i).get("field") or "?") for i in _obj(d.payload.get("changelog")).get("items") or []]
    if items or d.type_name:  # a change that moves no clock (summary, assignee, ...)
        detail = d.type_name or "changed " + ", ".join(items[:5])
        return Ignored("other_event", f"{d.kind}: {detail}")
    return Ignored("unknown_shape", f"{d.kind} with neither a changelog nor a comment")


def _changelog(d: _Delivery, reader: _Reader, at: datetime) -> list[SourceEvent]:
    changelog = _obj(d.payload.get("changelog"))
    cid = changelog.get("id") or f"{d.issue_id}-{d.stamp}"
    current_id, _name, current_category = _status_of(d.fields)
    out: list[SourceEvent] = []
    base = {"ticket_id": d.key, "at": at, "actor": d.actor}
    for item in changelog.get("items") or []:
        item = _obj(item)
        name = str(item.get("field") or item.get("fieldId") or "").lower()
        if name == "status":
            to_category = current_category if _str(item.get("to")) == _str(current_id) else None
            after = reader.status(item.get("to"), item.get("toString"), to_category, "status")
            if after is None:
                continue
            # the delivery's own "from" (so a retry repeats its events, recorded once); what
            # slabot stored when Jira's word for it maps to nothing
            before = reader.status(item.get("from"), item.get("fromString"), None, "", report=False)
            before = before or _before(d.known) or OPEN
            eid = f"changelog-{cid}-status"
            if after == RESOLVED and before not in (RESOLVED, CLOSED):
                out.append(SourceEvent(event_id=eid, kind=EventKind.RESOLVED, **base))
            elif after == CLOSED:
                if before not in (RESOLVED, CLOSED):
                    out.append(SourceEvent(event_id=eid + "-resolved", kind=EventKind.RESOLVED, **base))
                out.append(SourceEvent(event_id=eid, kind=EventKind.CLOSED, **base))
            elif after not in (RESOLVED, CLOSED):
                if before in (RESOLVED, CLOSED):
                    out.append(SourceEvent(event_id=eid + "-reopened", kind=EventKind.REOPENED, **base))
                    before = OPEN
                if after != before:
                    out.append(SourceEvent(event_id=eid, kind=EventKind.STATUS, status=after, **base))
        elif name == "priority" and (item.get("to") or item.get("toString")):
            priority = reader.priority(item.get("to"), item.get("toString"), "priority")
            if priority is not None:
                out.append(
                    SourceEvent(
                        event_id=f"changelog-{cid}-priority",
                        kind=EventKind.PRIORITY,
                        priority=priority,
                        **base,
                    )
                )
    return out


def _before(known: KnownTicket | None) -> str | None:
    """The ticket's state before a change, as slabot stored it (None: opened by this delivery)."""
    if known is None:
        return None
    if known.closed:
        return CLOSED
    return RESOLVED if known.resolved else known.status


def _comment(d: _Delivery, reader: _Reader, at: datetime) -> list[SourceEvent]:
    comment, known = d.comment, d.known
    if not comment.get("id"):
        raise PayloadError(["comment.id: missing"])
    if comment.get("jsdPublic") is False:
        reader.ignored.append(Ignored("internal_note", f"comment {comment['id']}"))
        return []
    author = _obj(comment.get("author"))
    author_id = _account(author)
    account_type = str(author.get("accountType") or "").lower()
    if account_type == "app":
        reader.ignored.append(Ignored("bot", f"comment {comment['id']} by an app"))
        return []
    requesters = {r for r in (d.reporter, known.requester if known else None) if r}
    if account_type == "customer" or (
        author_id is not None and author_id in requesters | _participants(d.fields)
    ):
        kind = EventKind.CLIENT_MESSAGE
    elif requesters and author_id is not None:
        kind = EventKind.AGENT_MESSAGE  # someone other than the requester: the support team
    else:
        kind = EventKind.CLIENT_MESSAGE  # nothing tells: never count a response by mistake
    return [
        SourceEvent(
            event_id=f"comment-{comment['id']}",
            ticket_id=d.key,
            at=_parse_time(comment.get("created")) or at,
            kind=kind,
            actor=author_id,
        )
    ]
