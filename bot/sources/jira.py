"""Jira Service Management: webhook payloads → slabot events.

Register a webhook (Jira settings → System → WebHooks) for *Issue created*, *Issue updated* and
*Comment created*, with a secret, pointing at ``https://<slabot>/webhooks/jira?client=<key>``
(``client`` may be left out when the project key, lower-cased, is a client key).

================================  =============================================================
Jira                              slabot
================================  =============================================================
``jira:issue_created``            ``opened`` (priority from ``fields.priority.name``, title from
                                  ``fields.summary``), then a ``status`` event if it starts paused
``jira:issue_updated``, changelog ``status`` → ``resolved`` / ``closed`` / ``reopened`` (from a
item ``status``                   resolved status back to an active one) / ``status`` (see
                                  :mod:`bot.sources.vocabulary`)
changelog item ``priority``       ``priority``
``comment_created``               ``client_message`` when the author is a JSM customer
                                  (``accountType: customer``) or the reporter, else
                                  ``agent_message``; internal notes (``jsdPublic: false``) are ignored
================================  =============================================================

An update for an issue slabot has never seen opens it first from the issue's fields. Event ids:
``issue-<id>-created``, ``changelog-<id>-<field>``, ``comment-<id>``: Jira's retries are no-ops.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from bot.sources.schema import PayloadError, SourceEvent
from bot.sources.vocabulary import CLOSED, OPEN, RESOLVED, map_status
from sla.metrics import EventKind

HANDLED = frozenset({"jira:issue_created", "jira:issue_updated", "comment_created"})


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("value")
    return str(value).strip() or None if value is not None else None


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


def jira_client(issue: dict[str, Any], query_client: str | None, clients: Collection[str]) -> str:
    if query_client:
        return query_client
    project = _obj(_obj(issue.get("fields")).get("project")).get("key")
    if isinstance(project, str) and project.lower() in clients:
        return project.lower()
    raise PayloadError(
        [
            f"client: cannot tell the client of {issue.get('key') or 'this issue'}: add ?client=<key> to the "
            "webhook URL (or name a client after the project key)"
        ]
    )


def jira_events(
    payload: Any,
    *,
    known: bool,
    client: str | None = None,
    clients: Collection[str] = (),
    statuses: Collection[str] = (),
) -> list[SourceEvent]:
    """The events of one Jira webhook call (``known``: slabot already has this issue)."""
    if not isinstance(payload, dict):
        raise PayloadError(["body: expected a Jira webhook JSON object"])
    kind = payload.get("webhookEvent")
    if kind not in HANDLED:
        return []  # other events (deleted, worklog, ...) do not move SLA clocks
    issue = _obj(payload.get("issue"))
    issue_id = issue.get("id") or issue.get("key")
    key = issue.get("key") or issue_id
    if not issue_id or not key:
        raise PayloadError(["issue: missing (id and key)"])
    fields = _obj(issue.get("fields"))
    stamp = payload.get("timestamp")
    at = (
        datetime.fromtimestamp(stamp / 1000, UTC)
        if isinstance(stamp, int | float) and not isinstance(stamp, bool)
        else _parse_time(fields.get("updated"))
    )
    actor = _account(payload.get("user"))
    out: list[SourceEvent] = []

    if kind == "jira:issue_created" or not known:
        opened_at = _parse_time(fields.get("created")) or at
        if opened_at is None:
            raise PayloadError(["timestamp: missing (neither the payload's timestamp nor fields.created)"])
        out.append(
            SourceEvent(
                event_id=f"issue-{issue_id}-created",
                ticket_id=str(key),
                at=opened_at,
                kind=EventKind.OPENED,
                priority=_name(fields.get("priority")),
                client=jira_client(issue, client, clients),
                actor=_account(fields.get("reporter")) or actor,
                title=(str(fields.get("summary")) if fields.get("summary") else None),
            )
        )
        start = map_status(_name(fields.get("status")), statuses)
        if kind == "jira:issue_created" and start not in (OPEN, RESOLVED, CLOSED):
            out.append(
                SourceEvent(
                    event_id=f"issue-{issue_id}-created-status",
                    ticket_id=str(key),
                    at=opened_at,
                    kind=EventKind.STATUS,
                    status=start,
                    actor=actor,
                )
            )
    if at is None:
        raise PayloadError(["timestamp: missing"])

    if kind == "jira:issue_updated":
        changelog = _obj(payload.get("changelog"))
        cid = changelog.get("id") or f"{issue_id}-{stamp}"
        for item in changelog.get("items") or []:
            item = _obj(item)
            field = str(item.get("field") or item.get("fieldId") or "").lower()
            base = {"ticket_id": str(key), "at": at, "actor": actor}
            if field == "status":
                before = map_status(item.get("fromString"), statuses)
                after = map_status(item.get("toString"), statuses)
                eid = f"changelog-{cid}-status"
                if after == RESOLVED and before not in (RESOLVED, CLOSED):
                    out.append(SourceEvent(event_id=eid, kind=EventKind.RESOLVED, **base))
                elif after == CLOSED:
                    if before not in (RESOLVED, CLOSED):
                        out.append(SourceEvent(event_id=eid + "-resolved", kind=EventKind.RESOLVED, **base))
                    out.append(SourceEvent(event_id=eid, kind=EventKind.CLOSED, **base))
                elif after not in (RESOLVED, CLOSED):
                    if before == RESOLVED:
                        out.append(SourceEvent(event_id=eid + "-reopened", kind=EventKind.REOPENED, **base))
                        before = OPEN
                    if after != before:
                        out.append(SourceEvent(event_id=eid, kind=EventKind.STATUS, status=after, **base))
            elif field == "priority" and item.get("toString"):
                out.append(
                    SourceEvent(
                        event_id=f"changelog-{cid}-priority",
                        kind=EventKind.PRIORITY,
                        priority=str(item["toString"]),
                        **base,
                    )
                )
    elif kind == "comment_created":
        comment = _obj(payload.get("comment"))
        if not comment.get("id"):
            raise PayloadError(["comment.id: missing"])
        if comment.get("jsdPublic") is False:
            return out  # an internal note: not a response the client sees
        author = _obj(comment.get("author"))
        reporter = _account(fields.get("reporter"))
        is_client = author.get("accountType") == "customer" or (
            reporter is not None and _account(author) == reporter
        )
        out.append(
            SourceEvent(
                event_id=f"comment-{comment['id']}",
                ticket_id=str(key),
                at=_parse_time(comment.get("created")) or at,
                kind=EventKind.CLIENT_MESSAGE if is_client else EventKind.AGENT_MESSAGE,
                actor=_account(author),
            )
        )
    return out
