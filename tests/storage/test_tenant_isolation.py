"""Property: with two workspaces, no repository function returns or changes the other's rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import Base
from storage.repositories import NotFound
from storage.sources import contract_versions
from storage.uow import Transaction, UnitOfWork
from tests.support.stored import due_timer, stored_ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
TEAMS = ("TA", "TB")
TEAM_TABLES = [t for t in Base.metadata.sorted_tables if "team_id" in t.c and not t.name.startswith("slack_")]


def snapshot(tx: Transaction, team: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(
            (
                tuple(map(repr, row))
                for row in tx.session.execute(select(table).where(table.c.team_id == team))
            ),
        )
        for table in TEAM_TABLES
    }


def seed(uow: UnitOfWork, team: str) -> dict[str, int]:
    with uow.begin() as tx:
        timer = due_timer(
            "first_response",
            "breached",
            started_at=T0,
            target=M,
            breached_at=T0 + M,
            stopped_at=T0 + 2 * M,
            next_alert_at=T0,
        )
        ticket = stored_ticket(
            tx, team, [timer], source="slack_thread", opened_at=T0, channel_id="C1", assignee="U1"
        )
        tx.events.append(team_id=team, ticket_id=ticket.id, at=T0, kind="opened", recorded_at=T0)
        tx.outbox.enqueue(
            team_id=team,
            idempotency_key=f"k-{ticket.id}",
            kind="breach",
            payload={},
            now=T0,
            ticket_id=ticket.id,
        )
        notification = tx.outbox.get_by_key(team_id=team, idempotency_key=f"k-{ticket.id}")
        survey = tx.surveys.open(team_id=team, ticket_id=ticket.id, opened_at=T0, closes_at=T0)
        timer_id = tx.timers.list_for_ticket(team_id=team, ticket_id=ticket.id)[0].id
        version = tx.contracts.store_version(
            team_id=team,
            contract_key="acme",
            number=1,
            effective=T0.date(),
            sha256="same",
            content={},
            now=T0,
        )
        assert notification is not None and survey is not None
        return {
            "ticket": ticket.id,
            "timer": timer_id,
            "notification": notification.id,
            "survey": survey.id,
            "version": version.id,
        }


Op = Callable[[Transaction, str, dict[str, int]], Any]

OPS: dict[str, Op] = {
    "create_ticket": lambda tx, team, ids: tx.tickets.create(team_id=team, source="webhook", opened_at=T0),
    "get_ticket": lambda tx, team, ids: tx.tickets.get(team_id=team, ticket_id=ids["ticket"]),
    "get_by_ref": lambda tx, team, ids: tx.tickets.get_by_ref(team_id=team, ref="T-1"),
    "get_by_thread": lambda tx, team, ids: tx.tickets.get_by_thread(
        team_id=team, channel_id="C1", thread_ts="x"
    ),
    "update_ticket": lambda tx, team, ids: tx.tickets.update(
        team_id=team, ticket_id=ids["ticket"], now=T0, assignee="U9", closed_at=T0
    ),
    "append_event": lambda tx, team, ids: tx.events.append(
        team_id=team,
        ticket_id=ids["ticket"],
        at=T0,
        kind="agent_message",
        recorded_at=T0,
        source="hook",
        external_id="same-id",
    ),
    "list_events": lambda tx, team, ids: tx.events.list_for_ticket(team_id=team, ticket_id=ids["ticket"]),
    "replace_timers": lambda tx, team, ids: tx.timers.replace_for_ticket(
        team_id=team, ticket_id=ids["ticket"], timers=[], now=T0
    ),
    "list_timers": lambda tx, team, ids: tx.timers.list_for_ticket(team_id=team, ticket_id=ids["ticket"]),
    "contract_versions": lambda tx, team, ids: contract_versions(
        tx.session, team_id=team, ids=[ids["version"]]
    ),
    "claim_timers": lambda tx, team, ids: tx.timers.claim_due(team_id=team, now=T0 + M, worker="w", lease=M),
    "release_timer": lambda tx, team, ids: tx.timers.release(
        team_id=team, timer_id=ids["timer"], worker="w", next_alert_at=None, now=T0
    ),
    "set_next_alert": lambda tx, team, ids: tx.timers.set_next_alert(
        team_id=team, timer_id=ids["timer"], next_alert_at=T0 + M
    ),
    "enqueue": lambda tx, team, ids: tx.outbox.enqueue(
        team_id=team, idempotency_key="shared-key", kind="warning", payload={}, now=T0
    ),
    "claim_outbox": lambda tx, team, ids: tx.outbox.claim_due(team_id=team, now=T0 + M, worker="w", lease=M),
    "mark_sent": lambda tx, team, ids: tx.outbox.mark_sent(
        team_id=team, notification_id=ids["notification"], slack_ts="1", now=T0
    ),
    "mark_failed": lambda tx, team, ids: tx.outbox.mark_failed(
        team_id=team, notification_id=ids["notification"], error="x"
    ),
    "retry_later": lambda tx, team, ids: tx.outbox.retry_later(
        team_id=team, notification_id=ids["notification"], not_before=T0, error="x"
    ),
    "cancel": lambda tx, team, ids: tx.outbox.cancel_for_ticket(team_id=team, ticket_id=ids["ticket"]),
    "list_failed": lambda tx, team, ids: tx.outbox.list_failed(team_id=team),
    "get_notification": lambda tx, team, ids: tx.outbox.get(
        team_id=team, notification_id=ids["notification"]
    ),
    "status": lambda tx, team, ids: tx.status.open_tickets(team_id=team, now=T0, limit=5),
    "status_breached": lambda tx, team, ids: tx.status.open_tickets(team_id=team, now=T0, state="breached"),
    "counts": lambda tx, team, ids: tx.reports.compliance_counts(
        team_id=team, start=T0, end=T0 + 9 * M, now=T0 + 9 * M
    ),
    "period": lambda tx, team, ids: tx.reports.timers_in_period(
        team_id=team, start=T0, end=T0 + 9 * M, now=T0 + 9 * M
    ),
    "open_survey": lambda tx, team, ids: tx.surveys.open(team_id=team, ticket_id=ids["ticket"], opened_at=T0),
    "answer": lambda tx, team, ids: tx.surveys.answer(
        team_id=team, survey_id=ids["survey"], rating=1, comment="no", at=T0
    ),
    "close_survey": lambda tx, team, ids: tx.surveys.close(team_id=team, survey_id=ids["survey"]),
    "survey_for_ticket": lambda tx, team, ids: tx.surveys.get_for_ticket(
        team_id=team, ticket_id=ids["ticket"]
    ),
    "surveys_to_close": lambda tx, team, ids: tx.surveys.due_to_close(team_id=team, now=T0 + M),
    "link": lambda tx, team, ids: tx.channel_links.link(
        team_id=team, channel_id="C1", client_key=team, at=T0
    ),
    "unlink": lambda tx, team, ids: tx.channel_links.unlink(team_id=team, channel_id="C1"),
    "report_run": lambda tx, team, ids: tx.report_runs.claim_report_run(
        team_id=team, kind="weekly", period_key="W1", now=T0
    ),
    "audit": lambda tx, team, ids: tx.audit.record(team_id=team, action="x", at=T0),
    "list_audit": lambda tx, team, ids: tx.audit.list(team_id=team),
    "client": lambda tx, team, ids: tx.clients.upsert(team_id=team, key="acme", name=team, now=T0),
    "incident": lambda tx, team, ids: tx.incidents.record(
        team_id=team, service="api", started_at=T0, source="s", external_key="same"
    ),
    "end_incident": lambda tx, team, ids: tx.incidents.end(
        team_id=team, incident_id=ids["ticket"], ended_at=T0
    ),
}


def team_ids_in(value: Any) -> list[str]:
    """Every ``team_id`` reachable in a repository result (rows, lists, dataclasses)."""
    if isinstance(value, list | tuple):
        return [t for item in value for t in team_ids_in(item)]
    if isinstance(value, Base):
        return [value.team_id] if hasattr(value, "team_id") else []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [t for f in dataclasses.fields(value) for t in team_ids_in(getattr(value, f.name))]
    return []


steps = st.lists(
    st.tuples(st.sampled_from(TEAMS), st.sampled_from(sorted(OPS)), st.sampled_from(TEAMS)),
    min_size=1,
    max_size=8,
)


def check_steps(uow: UnitOfWork, steps: list[tuple[str, str, str]]) -> None:
    ids = {team: seed(uow, team) for team in TEAMS}
    for team, op_name, ids_from in steps:
        other = TEAMS[1 - TEAMS.index(team)]
        with uow.begin() as tx:
            before = snapshot(tx, other)
        try:
            with uow.begin() as tx:
                result = OPS[op_name](tx, team, ids[ids_from])
        except NotFound:
            assert ids_from != team, f"{op_name} did not find {team}'s own row"
            result = None
        with uow.begin() as tx:
            after = snapshot(tx, other)
        assert after == before, f"{op_name} by {team} changed {other}'s rows"
        assert set(team_ids_in(result)) <= {team}, f"{op_name} by {team} returned {other}'s rows"
        if ids_from != team and op_name in {
            "get_ticket",
            "get_notification",
            "survey_for_ticket",
            "list_events",
            "list_timers",
            "contract_versions",
        }:
            assert not result, f"{op_name} by {team} found {other}'s row by id"


def test_every_function_with_every_team_and_id_owner(uow: UnitOfWork) -> None:
    check_steps(uow, [(team, op, owner) for op in sorted(OPS) for team in TEAMS for owner in TEAMS])


@settings(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_sequence_of_repository_calls_reads_or_changes_another_workspace(
    uow: UnitOfWork, steps: list[tuple[str, str, str]]
) -> None:
    check_steps(uow, steps)


def test_the_same_keys_in_two_workspaces_do_not_collide(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        for team in ("TA", "TB"):  # TB's first use of each key TA used is new to TB
            assert tx.outbox.enqueue(team_id=team, idempotency_key="k", kind="w", payload={}, now=T0)
            assert tx.report_runs.claim_report_run(team_id=team, kind="weekly", period_key="W1", now=T0)
            ticket = tx.tickets.create(team_id=team, source="webhook", opened_at=T0)
            assert tx.events.append(
                team_id=team,
                ticket_id=ticket.id,
                at=T0,
                kind="opened",
                recorded_at=T0,
                source="hook",
                external_id="e1",
            ).created
