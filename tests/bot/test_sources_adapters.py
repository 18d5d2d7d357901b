"""Zendesk and Jira payloads (shaped as their documentation shows) → slabot events; the vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.sources.jira import ValueMap, issue_ref, jira_events, project_client
from bot.sources.schema import KnownTicket, PayloadError
from bot.sources.vocabulary import map_priority, map_status
from bot.sources.zendesk import zendesk_events

GOLD = ("P1", "P2", "P3", "P4")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("New", "open"),
        ("Open", "open"),
        ("Pending", "waiting_on_client"),
        ("On-hold", "on_hold"),
        ("Hold", "on_hold"),
        ("Waiting for customer", "waiting_on_client"),
        ("Waiting for support", "open"),
        ("In Progress", "open"),
        ("Solved", "resolved"),
        ("Resolved", "resolved"),
        ("Done", "resolved"),
        ("Closed", "closed"),
        ("Something custom", "open"),
        ("waiting_on_vendor", "waiting_on_vendor"),  # a status the contract names is kept
    ],
)
def test_status_names(name: str, expected: str) -> None:
    assert map_status(name, {"open", "waiting_on_client", "on_hold", "waiting_on_vendor"}) == expected


@pytest.mark.parametrize(
    ("name", "priorities", "expected"),
    [
        ("P2", GOLD, "P2"),
        ("p2", GOLD, "P2"),
        ("Urgent", GOLD, "P1"),
        ("Highest", GOLD, "P1"),
        ("High", GOLD, "P2"),
        ("normal", GOLD, "P3"),
        ("Medium", GOLD, "P3"),
        ("Low", GOLD, "P4"),
        ("Lowest", GOLD, "P4"),  # capped at the last priority
        ("Low", ("P1", "P2", "P3"), "P3"),
        ("-", GOLD, None),
        ("", GOLD, None),
        ("Sev9", GOLD, "Sev9"),  # unknown: left for the contract check to refuse with the list
    ],
)
def test_priority_names(name: str, priorities: tuple[str, ...], expected: str | None) -> None:
    assert map_priority(name, priorities) == expected


# ---------------------------------------------------------------------------------------- Zendesk


def zendesk_body(**overrides: object) -> dict:
    """The body docs/sources.md recommends, as Zendesk renders its placeholders."""
    body = {
        "ticket_id": "35436",
        "title": "Help, my printer is on fire!",
        "status": "Open",
        "priority": "High",
        "created_at": "2026-03-02T09:00Z",
        "updated_at": "2026-03-02T09:00Z",
        "client": "acme",
        "actor": "jdoe@example.com",
        "actor_role": "end-user",
        "comment": False,
    }
    body.update(overrides)
    return body


def kinds(events) -> list[str]:
    return [e.kind.value for e in events]


def zd(payload: object, known: KnownTicket | None, **kw: object) -> list:
    kw.setdefault("priorities", GOLD)
    return zendesk_events(payload, known, **kw).events  # type: ignore[arg-type]


def test_zendesk_new_ticket_opens_it() -> None:
    events = zd(zendesk_body(), None)
    assert kinds(events) == ["opened"]
    opened = events[0]
    assert (opened.ticket_id, opened.priority, opened.client, opened.title) == (
        "35436",
        "P2",
        "acme",
        "Help, my printer is on fire!",
    )
    assert opened.at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert opened.event_id == "35436:opened"


def test_zendesk_new_pending_ticket_opens_then_pauses() -> None:
    events = zd(zendesk_body(status="Pending", updated_at="2026-03-02T09:05Z"), None)
    assert kinds(events) == ["opened", "status"]
    assert events[1].status == "waiting_on_client"


KNOWN = KnownTicket(status="open", priority="P2", resolved=False, closed=False)


def test_zendesk_public_comments_by_role() -> None:
    agent = zd(zendesk_body(comment=True, actor_role="Agent", updated_at="2026-03-02T09:10Z"), KNOWN)
    assert "agent_message" in kinds(agent)
    client = zd(zendesk_body(comment="true", actor_role="end-user"), KNOWN)
    assert "client_message" in kinds(client)
    robot = zendesk_events(zendesk_body(comment=True, actor_role="robot"), KNOWN, priorities=GOLD)
    assert "client_message" in kinds(robot.events)  # an author nothing tells: never a response
    assert [i.reason for i in robot.ignored] == ["unmapped_value"]


def test_zendesk_status_changes() -> None:
    assert kinds(zd(zendesk_body(status="Solved"), KNOWN)) == ["priority", "resolved"]
    assert kinds(zd(zendesk_body(status="Closed"), KNOWN)) == ["priority", "resolved", "closed"]
    solved = KnownTicket(status="resolved", priority="P2", resolved=True, closed=False)
    assert kinds(zd(zendesk_body(status="Pending"), solved)) == ["priority", "reopened", "status"]
    assert kinds(zd(zendesk_body(status="Open"), KNOWN)) == ["priority"]  # nothing moved
    closed = KnownTicket(status="closed", priority="P2", resolved=True, closed=True)
    assert kinds(zd(zendesk_body(status="Open", comment=True), closed)) == ["priority"]


def test_zendesk_a_requesters_reply_reopens_before_it_counts() -> None:
    """The reply that reopens a solved ticket comes after the reopening: next-response starts."""
    solved = KnownTicket(status="resolved", priority="P2", resolved=True, closed=False)
    events = zd(zendesk_body(status="Open", comment=True, actor_role="end-user"), solved)
    assert kinds(events) == ["priority", "reopened", "client_message"]


def test_zendesk_event_ids_distinguish_changes_and_collapse_redeliveries() -> None:
    pending = zendesk_body(status="Pending", updated_at="2026-03-02T10:00Z")
    reply = zendesk_body(status="Open", comment=True, updated_at="2026-03-02T10:00Z")  # the same minute
    waiting = KnownTicket(status="waiting_on_client", priority="P2", resolved=False, closed=False)
    first, again = zd(pending, KNOWN), zd(pending, KNOWN)
    assert [e.event_id for e in first] == [e.event_id for e in again]  # a redelivery: the same ids
    after = zd(reply, waiting)
    assert kinds(after) == ["priority", "client_message", "status"] and after[-1].status == "open"
    assert not {e.event_id for e in first} & {e.event_id for e in after}
    # Zendesk's invocation id names the delivery when it is sent (its retries keep it)
    assert zd(pending, KNOWN, delivery_id="01HX")[0].event_id == "35436:01HX:priority"


def test_zendesk_signed_timestamp_gives_the_seconds() -> None:
    body = zendesk_body(status="Pending", updated_at="2026-03-02T10:00Z")
    signed = datetime(2026, 3, 2, 10, 0, 41, tzinfo=UTC)
    assert zd(body, KNOWN, signed_at=signed)[-1].at == signed
    late = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)  # a retry minutes later: the change's own minute
    assert zd(body, KNOWN, signed_at=late)[-1].at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_zendesk_unknown_words_are_reported_not_refused() -> None:
    intake = zendesk_events(zendesk_body(status="Gelöst", priority="Dringend"), KNOWN, priorities=GOLD)
    assert kinds(intake.events) == [] and sorted(i.reason for i in intake.ignored) == ["unmapped_value"] * 2
    mapped = zd(
        zendesk_body(status="Gelöst", priority="Dringend"),
        KNOWN,
        mapping=ValueMap(priorities={"Dringend": "P1"}, statuses={"Gelöst": "resolved"}),
    )
    assert kinds(mapped) == ["priority", "resolved"] and mapped[0].priority == "P1"


def test_zendesk_refuses_what_it_cannot_read() -> None:
    with pytest.raises(PayloadError, match="client"):
        zd(zendesk_body(client=""), None)
    assert kinds(zd(zendesk_body(client=""), None, client="globex")) == ["opened"]
    with pytest.raises(PayloadError, match="updated_at"):
        zd(zendesk_body(updated_at="last tuesday"), KNOWN)
    with pytest.raises(PayloadError, match="ticket_id"):
        zd(zendesk_body(ticket_id=""), KNOWN)
    with pytest.raises(PayloadError):
        zd(["not", "an", "object"], KNOWN)


def zendesk_event(kind: str, event: dict, **detail: object) -> dict:
    """An event webhook delivery, in the envelope Zendesk documents (Webhook event types)."""
    return {
        "type": f"zen:event-type:{kind}",
        "account_id": 12514403,
        "id": "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
        "time": "2026-03-02T10:00:41Z",
        "zendesk_event_version": "2022-11-06",
        "subject": "zen:ticket:35436",
        "detail": {
            "id": "35436",
            "status": "OPEN",
            "priority": "HIGH",
            "subject": "Printer on fire",
            "created_at": "2026-03-02T09:00:00Z",
            "requester_id": "8447388090495",
            **detail,
        },
        "event": event,
    }


def test_zendesk_event_webhooks_for_tickets() -> None:
    created = zd(zendesk_event("ticket.created", {}), None, client="acme")
    assert (
        kinds(created) == ["opened"]
        and created[0].priority == "P2"
        and created[0].requester == "8447388090495"
    )
    solved = zd(zendesk_event("ticket.status_changed", {"current": "SOLVED", "previous": "OPEN"}), KNOWN)
    assert kinds(solved) == ["resolved"] and solved[0].at == datetime(2026, 3, 2, 10, 0, 41, tzinfo=UTC)
    done = KnownTicket(status="resolved", priority="P2", resolved=True, closed=False)
    reopened = zd(zendesk_event("ticket.status_changed", {"current": "PENDING", "previous": "SOLVED"}), done)
    assert kinds(reopened) == ["reopened", "status"]
    comment = {
        "comment": {
            "id": "10001",
            "body": "Thanks",
            "is_public": True,
            "author": {"id": "1", "is_staff": True},
        }
    }
    agent = zd(zendesk_event("ticket.comment_added", comment), KNOWN)
    assert kinds(agent) == ["agent_message"] and agent[0].event_id == "comment-10001"
    note = zendesk_events(
        zendesk_event("ticket.comment_added", {"comment": {**comment["comment"], "is_public": False}}), KNOWN
    )
    assert note.events == [] and note.ignored[0].reason == "internal_note"
    other = zendesk_events(
        {**zendesk_event("user.active_changed", {"current": False}), "subject": "zen:user:1"}, None
    )
    assert other.events == [] and other.ignored[0].reason == "other_event"


# ------------------------------------------------------------------------------------------- Jira

REPORTER = {
    "accountId": "5b10ac8d82e05b22cc7d4ef5",
    "displayName": "Customer Carla",
    "accountType": "customer",
}
AGENT = {"accountId": "5b10a2844c20165700ede21g", "displayName": "Agent Alex", "accountType": "atlassian"}


def jira_issue(status: str = "Waiting for support", priority: str = "High") -> dict:
    return {
        "id": "10002",
        "self": "https://example.atlassian.net/rest/api/2/issue/10002",
        "key": "ACME-12",
        "fields": {
            "summary": "Export fails",
            "created": "2026-03-02T09:00:00.000+0100",
            "updated": "2026-03-02T09:00:00.000+0100",
            "status": {"name": status, "id": "10001"},
            "priority": {"name": priority, "id": "2"},
            "project": {"key": "ACME", "name": "Acme support"},
            "reporter": REPORTER,
        },
    }


def issue_created(**kw: str) -> dict:
    return {
        "timestamp": 1772438400000,  # 2026-03-02T08:00:00Z
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": REPORTER,
        "issue": jira_issue(**kw),
    }


def issue_updated(items: list[dict], changelog_id: str = "10090") -> dict:
    return {
        "timestamp": 1772442000000,  # 09:00Z
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": AGENT,
        "issue": jira_issue(),
        "changelog": {"id": changelog_id, "items": items},
    }


def status_item(before: str, after: str) -> dict:
    return {
        "field": "status",
        "fieldtype": "jira",
        "from": "1",
        "fromString": before,
        "to": "2",
        "toString": after,
    }


def comment_created(author: dict, *, public: bool = True, comment_id: str = "10100") -> dict:
    return {
        "timestamp": 1772443800000,
        "webhookEvent": "comment_created",
        "comment": {
            "id": comment_id,
            "author": author,
            "body": "Any news?",
            "created": "2026-03-02T10:30:00.000+0100",
            "updated": "2026-03-02T10:30:00.000+0100",
            "jsdPublic": public,
        },
        "issue": jira_issue(),
    }


CLIENTS = frozenset({"acme", "globex"})
KNOWN_ISSUE = KnownTicket(
    status="open", priority="P2", resolved=False, closed=False, requester=REPORTER["accountId"], client="acme"
)


def jira(payload: dict, known: KnownTicket | None = KNOWN_ISSUE, **kw: object) -> list:
    kw.setdefault("client", project_client(payload, None, CLIENTS) or (known.client if known else None))
    kw.setdefault("priorities", GOLD)
    return jira_events(payload, known=known, **kw).events  # type: ignore[arg-type]


def test_jira_issue_created_opens_with_the_project_as_client() -> None:
    events = jira(issue_created(), known=None)
    assert kinds(events) == ["opened"]
    opened = events[0]
    assert (opened.ticket_id, opened.client, opened.priority, opened.title, opened.requester) == (
        "ACME-12",
        "acme",
        "P2",  # "High" is the contract's 2nd priority
        "Export fails",
        REPORTER["accountId"],
    )
    assert opened.at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert opened.event_id == "issue-10002-created"
    assert project_client(issue_created(), "globex", CLIENTS) == "globex"
    assert project_client(issue_created(), None, frozenset({"initech"})) is None
    with pytest.raises(PayloadError, match=r"\?client="):
        jira_events(issue_created(), known=None, client=None, priorities=GOLD)


def test_jira_issue_created_waiting_for_customer_starts_paused() -> None:
    events = jira(issue_created(status="Waiting for customer"), known=None)
    assert kinds(events) == ["opened", "status"]
    assert events[1].status == "waiting_on_client"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("Waiting for support", "Waiting for customer", ["status"]),
        ("Waiting for customer", "In Progress", ["status"]),
        ("In Progress", "Resolved", ["resolved"]),
        ("In Progress", "Closed", ["resolved", "closed"]),
        ("Resolved", "Closed", ["closed"]),
        ("Resolved", "Waiting for support", ["reopened"]),
        ("Resolved", "Waiting for customer", ["reopened", "status"]),
        ("Waiting for support", "In Progress", []),  # both active: no change of SLA status
    ],
)
def test_jira_status_transitions(before: str, after: str, expected: list[str]) -> None:
    state = map_status(before)  # what slabot stored before the change (it decides, not the changelog's from)
    known = KnownTicket(
        status="open" if state == "resolved" else state,
        priority="P2",
        resolved=state == "resolved",
        closed=False,
        requester=REPORTER["accountId"],
        client="acme",
    )
    events = jira(issue_updated([status_item(before, after)]), known=known)
    assert kinds(events) == expected
    assert all(e.at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC) for e in events)
    assert len({e.event_id for e in events}) == len(events)


def test_jira_status_in_another_language_by_category_or_mapping() -> None:
    done = {**status_item("В работе", "Готово"), "to": "10001"}  # the issue's current status: category done
    payload = issue_updated([done])
    payload["issue"]["fields"]["status"] = {
        "id": "10001",
        "name": "Готово",
        "statusCategory": {"key": "done"},
    }
    assert kinds(jira(payload)) == ["resolved"]
    waiting = {**status_item("В работе", "Ожидание клиента"), "to": "10200"}
    intake = jira_events(issue_updated([waiting]), known=KNOWN_ISSUE, client="acme", priorities=GOLD)
    assert intake.events == [] and [i.reason for i in intake.ignored] == ["unmapped_value"]
    assert "Ожидание клиента" in intake.ignored[0].detail and "10200" in intake.ignored[0].detail
    mapped = jira(issue_updated([waiting]), mapping=ValueMap(statuses={"10200": "waiting_on_client"}))
    assert kinds(mapped) == ["status"] and mapped[0].status == "waiting_on_client"


def test_jira_priority_by_id_and_an_unmapped_one_is_reported_not_refused() -> None:
    items = [
        {
            "field": "priority",
            "fieldtype": "jira",
            "from": "3",
            "fromString": "Medium",
            "to": "1",
            "toString": "Highest",
        },
        {"field": "summary", "fieldtype": "jira", "fromString": "a", "toString": "b"},
    ]
    events = jira(issue_updated(items))
    assert kinds(events) == ["priority"] and events[0].priority == "P1"
    russian = issue_created()
    russian["issue"]["fields"]["priority"] = {"name": "Обычный", "id": "3"}  # Jira's default id 3: Medium
    assert jira(russian, known=None)[0].priority == "P3"
    custom = issue_created()
    custom["issue"]["fields"]["priority"] = {"name": "Срочно", "id": "10100"}
    intake = jira_events(custom, known=None, client="acme", priorities=GOLD)
    assert kinds(intake.events) == ["opened"] and intake.events[0].priority is None  # the contract's default
    assert [i.reason for i in intake.ignored] == ["unmapped_value"]
    assert jira(custom, known=None, mapping=ValueMap(priorities={"10100": "P1"}))[0].priority == "P1"


def test_jira_update_of_an_unknown_issue_opens_it_first() -> None:
    events = jira(issue_updated([status_item("In Progress", "Resolved")]), known=None)
    assert kinds(events) == ["opened", "resolved"]


def test_jira_comments_customer_agent_internal_and_apps() -> None:
    assert kinds(jira(comment_created(REPORTER))) == ["client_message"]
    agent = jira(comment_created(AGENT))
    assert kinds(agent) == ["agent_message"]
    assert agent[0].at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC) and agent[0].event_id == "comment-10100"
    internal = jira_events(
        comment_created(AGENT, public=False), known=KNOWN_ISSUE, client="acme", priorities=GOLD
    )
    assert internal.events == [] and [i.reason for i in internal.ignored] == ["internal_note"]
    app = {"accountId": "557058:automation", "accountType": "app", "displayName": "Automation for Jira"}
    assert jira_events(comment_created(app), known=KNOWN_ISSUE, client="acme").ignored[0].reason == "bot"
    # a reporter who is not a JSM customer account still counts as the client
    reporter = {**REPORTER, "accountType": "atlassian"}
    assert kinds(jira(comment_created(reporter))) == ["client_message"]


def test_jira_comment_without_a_reporter_uses_the_stored_requester() -> None:
    """Cloud's comment_created carries no fields.reporter: the requester slabot stored decides."""
    payload = comment_created({**REPORTER, "accountType": "atlassian"})
    del payload["issue"]["fields"]["reporter"]
    assert kinds(jira(payload)) == ["client_message"]
    agent = comment_created(AGENT)
    del agent["issue"]["fields"]["reporter"]
    assert kinds(jira(agent)) == ["agent_message"]
    # nothing tells who wrote (no reporter, no stored requester, no accountType): never a response
    unknown = comment_created({"accountId": "5b10a2844c20165700ede21g"})
    del unknown["issue"]["fields"]["reporter"]
    nobody = KnownTicket(status="open", priority="P2", resolved=False, closed=False, client="acme")
    assert kinds(jira(unknown, known=nobody)) == ["client_message"]


def test_jira_data_center_comment_inside_issue_updated() -> None:
    payload = issue_updated([])
    del payload["changelog"]
    payload["issue_event_type_name"] = "issue_commented"
    payload["comment"] = comment_created(AGENT)["comment"]
    events = jira(payload)
    assert kinds(events) == ["agent_message"] and events[0].event_id == "comment-10100"  # as comment_created
    payload["issue_event_type_name"] = "issue_comment_edited"
    assert jira_events(payload, known=KNOWN_ISSUE, client="acme").ignored[0].reason == "edited"


def test_jira_other_events_are_ignored_with_a_reason() -> None:
    assert (
        jira_events({"webhookEvent": "jira:issue_deleted", "issue": jira_issue()}, known=KNOWN_ISSUE)
        .ignored[0]
        .reason
        == "other_event"
    )
    assert jira_events({"webhookEvent": "comment_updated"}, known=None).ignored[0].reason == "edited"
    assert jira_events({"timestamp": 1}, known=None).ignored[0].reason == "unknown_shape"
    summary_only = issue_updated([{"field": "summary", "fromString": "a", "toString": "b"}])
    assert jira_events(summary_only, known=KNOWN_ISSUE, client="acme").ignored[0].reason == "other_event"
    # a Server comment_created without the issue, for an issue slabot never saw
    orphan = {
        "webhookEvent": "comment_created",
        "comment": {"id": "1", "self": "http://j/rest/api/2/issue/77/comment/1"},
    }
    assert issue_ref(orphan) == (None, "77")
    assert jira_events(orphan, known=None).ignored[0].reason == "not_covered"
    with pytest.raises(PayloadError):
        jira_events({"webhookEvent": "jira:issue_updated"}, known=KNOWN_ISSUE)
