"""Repository behaviour, on SQLite and PostgreSQL (every test runs on both)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storage.repositories import ALL_TEAMS, AppendResult, NotFound, SentimentValues, TimerRow
from storage.uow import Transaction, UnitOfWork
from tests.support.stored import stored_ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def timer(
    metric: str = "first_response",
    cycle: int = 1,
    *,
    state: str = "running",
    due: datetime | None = None,
    next_alert: datetime | None = None,
    risk: datetime | None = None,
    stopped: datetime | None = None,
    breached: datetime | None = None,
    priority: str = "P2",
) -> TimerRow:
    return TimerRow(
        metric=metric,
        cycle=cycle,
        state=state,
        target=H,
        started_at=T0,
        priority=priority,
        calendar_name="support",
        due_at=due,
        next_alert_at=next_alert,
        at_risk_at=risk,
        stopped_at=stopped,
        breached_at=breached,
    )


def append(tx: Transaction, ticket_id: int, at: datetime, kind: str, **kw: str | None) -> AppendResult:
    """Append one event to a ticket of T1, recorded when it happened."""
    return tx.events.append(team_id="T1", ticket_id=ticket_id, at=at, kind=kind, recorded_at=at, **kw)


def new_ticket(uow: UnitOfWork, team: str = "T1", **kw: object) -> int:
    with uow.begin() as tx:
        return tx.tickets.create(team_id=team, source="slack_thread", opened_at=T0, **kw).id  # type: ignore[arg-type]


# --- tickets and events --------------------------------------------------------------------------


def test_ticket_refs_are_sequential_per_team(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        refs = [
            tx.tickets.create(team_id=t, source="webhook", opened_at=T0).ref
            for t in ["A", "A", "B", "A", "B"]
        ]
    assert refs == ["T-1", "T-2", "T-1", "T-3", "T-2"]


def test_ticket_lookups_and_update(uow: UnitOfWork) -> None:
    tid = new_ticket(uow, channel_id="C1", thread_ts="111.1", external_ref="ZD-9", priority="P2")
    with uow.begin() as tx:
        assert tx.tickets.get_by_ref(team_id="T1", ref="t-1").id == tid  # type: ignore[union-attr]
        assert tx.tickets.get_by_thread(team_id="T1", channel_id="C1", thread_ts="111.1").id == tid  # type: ignore[union-attr]
        assert tx.tickets.get_by_external_ref(team_id="T1", external_ref="ZD-9").id == tid  # type: ignore[union-attr]
        assert tx.tickets.get_by_thread(team_id="T1", channel_id="C1", thread_ts="222.2") is None
        updated = tx.tickets.update(
            team_id="T1", ticket_id=tid, now=T0 + H, assignee="U7", resolved_at=T0 + H
        )
        assert updated.is_open is False and updated.assignee == "U7" and updated.updated_at == T0 + H
        with pytest.raises(TypeError):
            tx.tickets.update(team_id="T1", ticket_id=tid, now=T0, team_id_x="B")
    with uow.begin() as tx:
        reopened = tx.tickets.update(team_id="T1", ticket_id=tid, now=T0 + 2 * H, resolved_at=None)
        assert reopened.is_open is True
        with pytest.raises(NotFound):
            tx.tickets.update(team_id="OTHER", ticket_id=tid, now=T0, assignee="U1")


def test_events_get_consecutive_seq_and_are_idempotent_by_external_id(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        first = append(tx, tid, T0, "opened", priority="P2")
        second = append(tx, tid, T0 + M, "agent_message", actor="U2", source="zendesk", external_id="ev-1")
    with uow.begin() as tx:
        again = append(tx, tid, T0 + 2 * M, "agent_message", source="zendesk", external_id="ev-1")
        other_source = append(tx, tid, T0 + 2 * M, "client_message", source="jira", external_id="ev-1")
        events = tx.events.list_for_ticket(team_id="T1", ticket_id=tid)
    assert (first.seq, second.seq, other_source.seq) == (1, 2, 3)
    assert first.created and second.created and other_source.created
    assert not again.created and again.seq == 2 and again.event.at == T0 + M
    assert [(e.seq, e.kind) for e in events] == [(1, "opened"), (2, "agent_message"), (3, "client_message")]
    with pytest.raises(NotFound), uow.begin() as tx:
        append(tx, tid + 999, T0, "opened")


def test_event_append_rolls_back_with_its_transaction(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with pytest.raises(RuntimeError), uow.begin() as tx:
        append(tx, tid, T0, "opened")
        tx.timers.replace_for_ticket(team_id="T1", ticket_id=tid, timers=[timer(due=T0 + H)], now=T0)
        raise RuntimeError("crash before commit")
    with uow.begin() as tx:
        assert tx.events.list_for_ticket(team_id="T1", ticket_id=tid) == []
        assert tx.timers.list_for_ticket(team_id="T1", ticket_id=tid) == []
        assert append(tx, tid, T0, "opened").seq == 1


# --- timers ------------------------------------------------------------------------------------------


def test_replace_timers_upserts_drops_missing_and_keeps_leases(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        tx.timers.replace_for_ticket(
            team_id="T1",
            ticket_id=tid,
            now=T0,
            timers=[
                timer("first_response", due=T0 + H, next_alert=T0 + 30 * M),
                timer("resolution", due=T0 + 8 * H, next_alert=T0 + 4 * H),
            ],
        )
    with uow.begin() as tx:
        claimed = tx.timers.claim_due(team_id="T1", now=T0 + 31 * M, worker="w1", lease=M)
    assert [c.metric for c in claimed] == ["first_response"]
    with uow.begin() as tx:
        tx.timers.replace_for_ticket(
            team_id="T1",
            ticket_id=tid,
            now=T0 + 32 * M,
            timers=[
                timer("first_response", state="met", due=T0 + H, stopped=T0 + 32 * M),
                timer("next_response", due=T0 + 2 * H, next_alert=T0 + H),
            ],
        )
        rows = {r.metric: r for r in tx.timers.list_for_ticket(team_id="T1", ticket_id=tid)}
        ticket = tx.tickets.get(team_id="T1", ticket_id=tid)
    assert set(rows) == {"first_response", "next_response"}
    assert rows["first_response"].state == "met" and rows["first_response"].claimed_by == "w1"
    assert rows["first_response"].target_seconds == 3600 and rows["first_response"].started_at == T0
    assert ticket is not None and ticket.next_due_at == T0 + 2 * H and not ticket.has_breach


def test_claim_due_timers_respects_due_time_limit_and_lease(uow: UnitOfWork) -> None:
    ids = [new_ticket(uow) for _ in range(5)]
    with uow.begin() as tx:
        for i, tid in enumerate(ids):
            tx.timers.replace_for_ticket(
                team_id="T1", ticket_id=tid, now=T0, timers=[timer(due=T0 + H, next_alert=T0 + i * M)]
            )
    now = T0 + 3 * M  # 4 due (0..3 minutes)
    with uow.begin() as tx:
        first = tx.timers.claim_due(team_id="T1", now=now, worker="a", lease=5 * M, limit=3)
    with uow.begin() as tx:
        second = tx.timers.claim_due(team_id=ALL_TEAMS, now=now, worker="b", lease=5 * M)
        none_left = tx.timers.claim_due(team_id="T1", now=now, worker="c", lease=5 * M)
    assert [t.next_alert_at for t in first] == [T0, T0 + M, T0 + 2 * M]
    assert all(t.claimed_by == "a" and t.lease_until == now + 5 * M for t in first)
    assert [t.next_alert_at for t in second] == [T0 + 3 * M] and none_left == []
    with uow.begin() as tx:  # a's lease expired: c takes over; a can no longer release
        taken = tx.timers.claim_due(team_id="T1", now=now + 6 * M, worker="c", lease=5 * M)
    assert {t.id for t in taken} >= {t.id for t in first}
    with uow.begin() as tx:
        assert (
            tx.timers.release(team_id="T1", timer_id=first[0].id, worker="a", next_alert_at=None, now=now)
            is False
        )
        assert (
            tx.timers.release(
                team_id="T1", timer_id=first[0].id, worker="c", next_alert_at=T0 + 2 * H, now=now
            )
            is True
        )
    with uow.begin() as tx:
        again = tx.timers.claim_due(team_id="T1", now=now + 12 * M, worker="d", lease=M)
    assert first[0].id not in {t.id for t in again}


# --- outbox ------------------------------------------------------------------------------------------


def test_outbox_enqueue_is_idempotent_and_claims_oldest_due_first(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        assert (
            tx.outbox.enqueue(
                team_id="T1",
                idempotency_key="k1",
                kind="warning",
                payload={"p": 50},
                channel_id="C1",
                ticket_id=tid,
                now=T0,
            )
            is True
        )
        assert (
            tx.outbox.enqueue(team_id="T1", idempotency_key="k1", kind="warning", payload={"p": 99}, now=T0)
            is False
        )
        tx.outbox.enqueue(team_id="T1", idempotency_key="k2", kind="breach", payload={}, now=T0 + M)
        tx.outbox.enqueue(
            team_id="T1", idempotency_key="later", kind="breach", payload={}, now=T0, not_before=T0 + H
        )
    with uow.begin() as tx:
        claimed = tx.outbox.claim_due(team_id=ALL_TEAMS, now=T0 + 2 * M, worker="n1", lease=M)
        assert [c.idempotency_key for c in claimed] == ["k1", "k2"]
        assert claimed[0].payload == {"p": 50} and claimed[0].state == "claimed"
        assert tx.outbox.claim_due(team_id="T1", now=T0 + 2 * M, worker="n2", lease=M) == []
    with uow.begin() as tx:
        assert tx.outbox.mark_sent(
            team_id="T1", notification_id=claimed[0].id, slack_ts="1.2", now=T0 + 2 * M, worker="n1"
        )
        assert tx.outbox.retry_later(
            team_id="T1",
            notification_id=claimed[1].id,
            not_before=T0 + 10 * M,
            error="ratelimited",
            worker="n1",
        )
        assert not tx.outbox.mark_sent(team_id="T1", notification_id=claimed[0].id, slack_ts="9", now=T0)
    with uow.begin() as tx:
        assert tx.outbox.claim_due(team_id="T1", now=T0 + 9 * M, worker="n2", lease=M) == []
        retried = tx.outbox.claim_due(team_id="T1", now=T0 + 10 * M, worker="n2", lease=M)
        assert [r.idempotency_key for r in retried] == ["k2"] and retried[0].attempts == 1
        assert tx.outbox.mark_failed(team_id="T1", notification_id=retried[0].id, error="channel_not_found")
        failed = tx.outbox.list_failed(team_id="T1")
        assert [(f.idempotency_key, f.last_error, f.attempts) for f in failed] == [
            ("k2", "channel_not_found", 2)
        ]
        sent = tx.outbox.get_by_key(team_id="T1", idempotency_key="k1")
        assert (
            sent is not None
            and sent.state == "sent"
            and sent.slack_ts == "1.2"
            and sent.sent_at == T0 + 2 * M
        )


def test_outbox_expired_claim_is_taken_over_and_cancel_for_ticket(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        for key in ("a", "b", "c"):
            tx.outbox.enqueue(
                team_id="T1", idempotency_key=key, kind="warning", payload={}, ticket_id=tid, now=T0
            )
    with uow.begin() as tx:
        lost = tx.outbox.claim_due(team_id="T1", now=T0, worker="crashed", lease=M, limit=1)
    with uow.begin() as tx:
        assert tx.outbox.cancel_for_ticket(team_id="T1", ticket_id=tid, kinds=["breach"]) == 0
        assert tx.outbox.cancel_for_ticket(team_id="T1", ticket_id=tid) == 2  # the claimed one is in flight
        taken = tx.outbox.claim_due(team_id="T1", now=T0 + 2 * M, worker="new", lease=M)
    assert [t.id for t in taken] == [lost[0].id] and taken[0].claimed_by == "new"


def test_outbox_cancel_for_tickets_cancels_the_pending_ones_of_every_ticket_given(uow: UnitOfWork) -> None:
    tickets = [new_ticket(uow) for _ in range(3)]
    with uow.begin() as tx:
        for n, tid in enumerate(tickets):
            for kind in ("warning", "breach"):
                tx.outbox.enqueue(
                    team_id="T1", idempotency_key=f"{n}{kind}", kind=kind, payload={}, ticket_id=tid, now=T0
                )
    with uow.begin() as tx:
        sent = tx.outbox.claim_due(team_id="T1", now=T0, worker="w", lease=M, limit=1)[0]
        assert tx.outbox.mark_sent(team_id="T1", notification_id=sent.id, slack_ts="1.1", now=T0, worker="w")
        cancelled = tx.outbox.cancel_for_tickets(team_id="T1", ticket_ids=tickets[:2], kinds=["warning"])
        assert cancelled == (1 if sent.ticket_id in tickets[:2] and sent.kind == "warning" else 2)
        assert tx.outbox.cancel_for_tickets(team_id="T2", ticket_ids=tickets, kinds=None) == 0  # another team
        left = tx.outbox.claim_due(team_id="T1", now=T0, worker="w", lease=M)
    assert sorted((t.ticket_id, t.kind) for t in left) == sorted(
        {(tid, kind) for tid in tickets for kind in ("warning", "breach")}
        - {(tid, "warning") for tid in tickets[:2]}
        - {(sent.ticket_id, sent.kind)}
    )


# --- status ------------------------------------------------------------------------------------------


def test_status_lists_open_tickets_most_urgent_first_with_filters(uow: UnitOfWork) -> None:
    now = T0 + 2 * H
    specs = [  # (channel, assignee, client, timers)
        ("C1", "U1", "acme", [timer(due=now - 10 * M, state="breached", breached=now - 10 * M)]),
        ("C1", "U2", "acme", [timer(due=now + 30 * M, risk=now - M)]),
        ("C2", "U1", "beta", [timer(due=now + 5 * H)]),
        ("C2", None, "beta", [timer(state="paused")]),
        ("C1", "U1", "beta", [timer(due=now + 10 * M)]),
    ]
    ids = []
    with uow.begin() as tx:
        for channel, assignee, client, timers in specs:
            t = stored_ticket(
                tx,
                "T1",
                timers,
                source="slack_thread",
                opened_at=T0,
                channel_id=channel,
                assignee=assignee,
                client_key=client,
            )
            ids.append(t.id)
        done = tx.tickets.create(team_id="T1", source="slack_thread", opened_at=T0, channel_id="C1")
        tx.tickets.update(team_id="T1", ticket_id=done.id, now=T0, closed_at=T0)

    def ids_of(**kw: object) -> tuple[list[int], int]:
        with uow.begin(read_only=True) as tx:
            page = tx.status.open_tickets(team_id="T1", now=now, **kw)  # type: ignore[arg-type]
        return [item.ticket.id for item in page.items], page.total

    assert ids_of() == ([ids[0], ids[4], ids[1], ids[2], ids[3]], 5)
    assert ids_of(limit=2) == ([ids[0], ids[4]], 5)
    assert ids_of(channel_id="C1") == ([ids[0], ids[4], ids[1]], 3)
    assert ids_of(assignee="U1", client_key="beta") == ([ids[4], ids[2]], 2)
    assert ids_of(state="breached") == ([ids[0]], 1)
    assert ids_of(state="at_risk") == ([ids[1]], 1)  # past its at-risk instant; due soon is not enough
    with uow.begin() as tx:
        page = tx.status.open_tickets(team_id="T1", now=now, limit=1)
        capped = tx.status.open_tickets(team_id="T1", now=now, limit=1, count_limit=3)
        exact = tx.status.open_tickets(team_id="T1", now=now, limit=1, count_limit=5)
    assert (capped.total, capped.total_is_exact, exact.total, exact.total_is_exact) == (3, False, 5, True)
    assert page.total_is_exact
    assert [t.metric for t in page.items[0].timers] == ["first_response"]
    with pytest.raises(ValueError), uow.begin() as tx:
        tx.status.open_tickets(team_id="T1", now=now, state="bogus")  # type: ignore[arg-type]


def test_report_counts_and_period_timers(uow: UnitOfWork) -> None:
    week = (T0, T0 + timedelta(days=7))
    with uow.begin() as tx:
        for client, timers in [
            (
                "acme",
                [
                    timer("first_response", state="met", stopped=T0 + 10 * M),
                    timer("resolution", state="breached", breached=T0 + H, stopped=T0 + 2 * H),
                ],
            ),
            ("acme", [timer("first_response", state="breached", breached=T0 + H)]),
            (
                "beta",
                [
                    timer("first_response", state="met", stopped=T0 - H),  # before the period
                    timer("resolution", state="running", due=T0 + 9 * H),
                ],
            ),
        ]:
            stored_ticket(tx, "T1", timers, source="import", opened_at=T0, client_key=client)
    with uow.begin() as tx:
        counts = tx.reports.compliance_counts(team_id="T1", start=week[0], end=week[1], now=T0 + 8 * H)
        rows = tx.reports.timers_in_period(team_id="T1", start=week[0], end=week[1], now=T0 + 8 * H)
        # beta's resolution is due at T0 + 9h; past that instant it is breached, recorded or not
        later = dict(team_id="T1", start=week[0], end=week[1], now=T0 + 9 * H)
        counts_later = tx.reports.compliance_counts(**later)
        rows_later = tx.reports.timers_in_period(**later)
        before_due = tx.reports.timers_in_period(team_id="T1", start=week[0], end=week[1], now=T0 + 9 * H - M)
    assert [(c.client_key, c.metric, c.met, c.breached) for c in counts] == [
        ("acme", "first_response", 1, 1),
        ("acme", "resolution", 0, 1),
    ]
    assert sorted((r.ticket_ref, r.timer.metric) for r in rows) == [
        ("T-1", "first_response"),
        ("T-1", "resolution"),
        ("T-2", "first_response"),
    ]
    assert [(c.client_key, c.metric, c.met, c.breached) for c in counts_later] == [
        ("acme", "first_response", 1, 1),
        ("acme", "resolution", 0, 1),
        ("beta", "resolution", 0, 1),
    ]
    [overdue] = [r for r in rows_later if r.client_key == "beta"]
    assert (overdue.overdue, overdue.state, overdue.breached_at) == (True, "breached", T0 + 9 * H)
    assert overdue.timer.breached_at is None  # read, not written: the sweep records it
    assert len(before_due) == len(rows) == 3


def test_decided_rows_and_breaches_of_one_client_in_the_same_unit_of_work(uow: UnitOfWork) -> None:
    """What a report and a credit statement read: one client's timers decided in the period — a met
    one, two recorded breaches, one overdue and not yet swept — seen by the unit of work that just
    wrote them; a breach before the period and another client's are not."""
    week = (T0, T0 + timedelta(days=7))
    with uow.begin() as tx:
        for client, timers in [
            ("acme", [timer("first_response", state="met", stopped=T0 + 10 * M)]),
            ("acme", [timer("first_response", state="breached", breached=T0 - H, stopped=T0)]),  # before
            ("beta", [timer("first_response", state="breached", breached=T0 + H)]),
            (
                "acme",
                [
                    timer("first_response", state="breached", breached=T0 + 2 * H, stopped=T0 + 3 * H),
                    timer("resolution", state="running", due=T0 + 9 * H),
                ],
            ),
        ]:
            stored_ticket(tx, "T1", timers, source="import", opened_at=T0, client_key=client)
        span = dict(team_id="T1", start=week[0], end=week[1], client_key="acme")
        rows = tx.reports.decided_rows(**span, now=T0 + 9 * H)
        swept_not = tx.reports.decided_rows(**span, now=T0 + 9 * H - M)
        breaches = tx.reports.breaches_in_period(**span, now=T0 + 9 * H)
        breaches_before_due = tx.reports.breaches_in_period(**span, now=T0 + 9 * H - M)
        everyone = tx.reports.decided_rows(team_id="T1", start=week[0], end=week[1], now=T0 + 9 * H)
    assert [(r.ref, r.metric, r.state, r.state_now, r.overdue) for r in rows] == [
        ("T-1", "first_response", "met", "met", False),
        ("T-4", "first_response", "breached", "breached", False),
        ("T-4", "resolution", "running", "breached", True),
    ]
    overdue = rows[-1]
    assert (overdue.breached_at, overdue.breached_at_now) == (None, T0 + 9 * H)  # the sweep records it
    assert [r.ref for r in swept_not] == ["T-1", "T-4"]
    assert [(b.ticket_ref, b.metric, b.breached_at) for b in breaches] == [
        ("T-4", "first_response", T0 + 2 * H),
        ("T-4", "resolution", T0 + 9 * H),
    ]
    assert [b.breached_at for b in breaches_before_due] == [T0 + 2 * H]
    assert sorted({r.client_key for r in everyone}) == ["acme", "beta"]
    assert len(everyone) == 4


# --- the rest ----------------------------------------------------------------------------------------


def test_surveys_answer_once_and_close(uow: UnitOfWork) -> None:
    tid = new_ticket(uow)
    with uow.begin() as tx:
        survey = tx.surveys.open(team_id="T1", ticket_id=tid, opened_at=T0, requester="U9", closes_at=T0 + H)
        assert survey is not None and survey.state == "open"
        assert tx.surveys.open(team_id="T1", ticket_id=tid, opened_at=T0) is None
        assert tx.surveys.set_message(team_id="T1", survey_id=survey.id, channel_id="D1", message_ts="5.5")
        assert tx.surveys.answer(
            team_id="T1",
            survey_id=survey.id,
            rating=4,
            comment="quick, thanks",
            at=T0 + M,
            sentiment=SentimentValues(0.6, "positive", "textblob", "0.18"),
        )
        assert not tx.surveys.answer(team_id="T1", survey_id=survey.id, rating=1, comment=None, at=T0 + 2 * M)
        stored = tx.surveys.get_for_ticket(team_id="T1", ticket_id=tid)
        assert stored is not None and stored.rating == 4 and stored.sentiment_label == "positive"
        assert stored.message_ts == "5.5" and stored.answered_at == T0 + M
        assert [s.id for s in tx.surveys.answered_between(team_id="T1", start=T0, end=T0 + H)] == [survey.id]
        nps = tx.surveys.add_nps(team_id="T1", user_id="U1", score=9, at=T0)
        assert [n.id for n in tx.surveys.nps_between(team_id="T1", start=T0, end=T0 + M)] == [nps.id]
        with pytest.raises(ValueError):
            tx.surveys.add_nps(team_id="T1", user_id="U1", score=11, at=T0)


def test_surveys_due_to_close(uow: UnitOfWork) -> None:
    a, b = new_ticket(uow), new_ticket(uow)
    with uow.begin() as tx:
        sa = tx.surveys.open(team_id="T1", ticket_id=a, opened_at=T0, closes_at=T0 + H)
        tx.surveys.open(team_id="T1", ticket_id=b, opened_at=T0, closes_at=T0 + 3 * H)
        assert sa is not None
        assert [s.id for s in tx.surveys.due_to_close(team_id=ALL_TEAMS, now=T0 + 2 * H)] == [sa.id]
        assert tx.surveys.close(team_id="T1", survey_id=sa.id)
        assert tx.surveys.due_to_close(team_id="T1", now=T0 + 2 * H) == []


def test_incidents_report_runs_audit_links_clients_contracts(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        inc = tx.incidents.record(
            team_id="T1",
            service="api",
            client_key="acme",
            started_at=T0,
            source="statuspage",
            external_key="inc-1",
        )
        same = tx.incidents.record(
            team_id="T1",
            service="api",
            client_key="acme",
            started_at=T0,
            ended_at=T0 + H,
            source="statuspage",
            external_key="inc-1",
            reason="db",
        )
        assert same.id == inc.id and same.ended_at == T0 + H and same.reason == "db"
        open_ = tx.incidents.record(team_id="T1", service="web", started_at=T0 + 5 * H)
        assert [i.id for i in tx.incidents.overlapping(team_id="T1", start=T0 + 30 * M, end=T0 + 6 * H)] == [
            inc.id,
            open_.id,
        ]
        assert [i.id for i in tx.incidents.overlapping(team_id="T1", start=T0 + 2 * H, end=T0 + 3 * H)] == []
        assert tx.incidents.end(team_id="T1", incident_id=open_.id, ended_at=T0 + 6 * H)

        assert tx.report_runs.claim_report_run(team_id="T1", kind="weekly", period_key="2026-W10", now=T0)
        assert not tx.report_runs.claim_report_run(team_id="T1", kind="weekly", period_key="2026-W10", now=T0)
        assert tx.report_runs.claim_report_run(team_id="T1", kind="weekly", period_key="2026-W11", now=T0)
        assert tx.report_runs.complete(team_id="T1", kind="weekly", period_key="2026-W10", now=T0 + M)

        tx.audit.record(
            team_id="T1",
            actor="U1",
            action="ticket.priority",
            target="T-1",
            before={"p": "P3"},
            after={"p": "P1"},
            at=T0,
        )
        tx.audit.record(team_id="T1", actor="U1", action="link", target="C1", at=T0 + M)
        assert [(a.action, a.before) for a in tx.audit.list(team_id="T1", target="T-1")] == [
            ("ticket.priority", {"p": "P3"})
        ]
        assert [a.action for a in tx.audit.list(team_id="T1")] == ["link", "ticket.priority"]

        tx.channel_links.link(team_id="T1", channel_id="C1", client_key="acme", linked_by="U1", at=T0)
        tx.channel_links.link(team_id="T1", channel_id="C1", client_key="beta", at=T0 + M)
        assert tx.channel_links.client_for_channel(team_id="T1", channel_id="C1") == "beta"
        assert tx.channel_links.unlink(team_id="T1", channel_id="C1")
        assert tx.channel_links.client_for_channel(team_id="T1", channel_id="C1") is None

        client = tx.clients.upsert(team_id="T1", key="acme", name="Acme", contract_key="gold", now=T0)
        assert tx.clients.upsert(team_id="T1", key="acme", name="ACME Ltd", now=T0).id == client.id
        assert [c.name for c in tx.clients.list(team_id="T1")] == ["ACME Ltd"]

        gold_v1 = dict(
            team_id="T1", contract_key="gold", number=1, effective=date(2026, 1, 1), sha256="a" * 64
        )
        v1 = tx.contracts.store_version(**gold_v1, content={"targets": {}}, now=T0)
        again = tx.contracts.store_version(**gold_v1, content={}, now=T0)
        assert again.id == v1.id and again.content == {"targets": {}}
        assert tx.contracts.get(team_id="T2", version_id=v1.id) is None
        t = tx.tickets.create(team_id="T1", source="slash_command", opened_at=T0, contract_version_id=v1.id)
        assert t.contract_version_id == v1.id
        ws = tx.workspaces.upsert(team_id="T1", name="Acme Support", installed_at=T0 + H)
        assert ws.name == "Acme Support" and ws.installed_at == T0 and ws.ticket_seq == 1


def test_sqlite_datetime_bind_processor_writes_what_the_composed_one_writes() -> None:
    """UTCDateTime's one-step SQLite processor (every bulk write uses it) gives exactly the text of
    process_bind_param followed by SQLite's DATETIME processor, for every zone and instant."""
    import random
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.types import TypeDecorator

    from storage.types import UTCDateTime

    dialect = sqlite.dialect()
    adapted = UTCDateTime().dialect_impl(dialect)
    fast = adapted.bind_processor(dialect)
    composed = TypeDecorator.bind_processor(adapted, dialect)
    rnd = random.Random(7)
    values = [
        datetime(1, 1, 1, 12, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # a skipped hour
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # a repeated one
        None,
    ]
    for _ in range(2000):
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=rnd.randrange(10**17))
        values.append(instant)
        values.append(instant.astimezone(timezone(timedelta(minutes=rnd.randrange(-14 * 60, 14 * 60)))))
    assert [fast(v) for v in values] == [composed(v) for v in values]
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 3, 2, 9))
    with pytest.raises(TypeError):
        fast("2026-03-02")
