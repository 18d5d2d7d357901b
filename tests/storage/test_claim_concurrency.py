"""Several workers claiming the same due rows at once: nothing is claimed twice, nothing deadlocks.

Runs on both backends: PostgreSQL exercises ``FOR UPDATE SKIP LOCKED``; SQLite the single-writer
``BEGIN IMMEDIATE`` path (threads queue on the write lock instead of deadlocking).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from storage.repositories import ALL_TEAMS
from storage.uow import UnitOfWork
from tests.support.stored import due_timer, stored_ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
WORKERS = 6


def run_workers(worker: Callable[[str], None], count: int = WORKERS) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(name: str) -> None:
        try:
            barrier.wait(10)
            worker(name)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(f"w{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    assert not errors, errors


def seed_due(uow: UnitOfWork, n: int) -> None:
    with uow.begin() as tx:
        for i in range(n):
            team = "TA" if i % 2 else "TB"
            first_alert = T0 + (i % 7) * timedelta(seconds=1)
            timer = due_timer("resolution", "running", started_at=T0, target=M, next_alert_at=first_alert)
            ticket = stored_ticket(tx, team, [timer], source="import", opened_at=T0)
            tx.outbox.enqueue(
                team_id=team,
                idempotency_key=f"n{i}",
                kind="warning",
                payload={"i": i},
                now=T0,
                ticket_id=ticket.id,
            )


def drain(uow: UnitOfWork, kind: str, now: datetime, lease: timedelta) -> Counter[int]:
    claimed: Counter[int] = Counter()
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with uow.begin() as tx:
                if kind == "timers":
                    rows = [
                        r.id
                        for r in tx.timers.claim_due(
                            team_id=ALL_TEAMS, now=now, worker=name, lease=lease, limit=7
                        )
                    ]
                else:
                    rows = [
                        r.id
                        for r in tx.outbox.claim_due(
                            team_id=ALL_TEAMS, now=now, worker=name, lease=lease, limit=7
                        )
                    ]
                time.sleep(0.002)  # hold the row locks a moment, as a real sweep would
            if not rows:
                return
            with lock:
                claimed.update(rows)

    run_workers(worker)
    return claimed


def test_concurrent_timer_claims_never_claim_one_twice_and_expired_leases_are_taken_over(
    uow: UnitOfWork,
) -> None:
    seed_due(uow, 120)
    first = drain(uow, "timers", T0 + M, lease=5 * M)
    assert len(first) == 120 and max(first.values()) == 1
    assert drain(uow, "timers", T0 + 2 * M, lease=5 * M) == Counter()  # all leased
    second = drain(uow, "timers", T0 + 7 * M, lease=5 * M)  # leases expired: taken over, once each
    assert set(second) == set(first) and max(second.values()) == 1


def test_concurrent_outbox_claims_never_claim_one_twice(uow: UnitOfWork) -> None:
    seed_due(uow, 120)
    first = drain(uow, "outbox", T0, lease=M)
    assert len(first) == 120 and max(first.values()) == 1
    with uow.begin() as tx:
        row = tx.outbox.get(team_id="TA", notification_id=min(first))
        row = row or tx.outbox.get(team_id="TB", notification_id=min(first))
        assert row is not None and row.state == "claimed"
    second = drain(uow, "outbox", T0 + 2 * M, lease=M)
    assert set(second) == set(first) and max(second.values()) == 1


def test_concurrent_ticket_creation_allocates_unique_refs(uow: UnitOfWork) -> None:
    refs: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        for _ in range(8):
            with uow.begin() as tx:
                ref = tx.tickets.create(team_id="TA", source="webhook", opened_at=T0).ref
            with lock:
                refs.append(ref)

    run_workers(worker)
    assert sorted(refs, key=lambda r: int(r[2:])) == [f"T-{n}" for n in range(1, WORKERS * 8 + 1)]


def test_report_run_is_claimed_once_across_workers(uow: UnitOfWork) -> None:
    wins: list[str] = []

    def worker(name: str) -> None:
        with uow.begin() as tx:
            if tx.report_runs.claim_report_run(team_id="TA", kind="weekly", period_key="2026-W10", now=T0):
                wins.append(name)

    run_workers(worker)
    assert len(wins) == 1


def test_concurrent_webhook_retries_append_one_event(uow: UnitOfWork) -> None:
    with uow.begin() as tx:
        ticket_id = tx.tickets.create(team_id="TA", source="webhook", opened_at=T0).id
    created: list[bool] = []

    def worker(name: str) -> None:
        with uow.begin() as tx:
            result = tx.events.append(
                team_id="TA",
                ticket_id=ticket_id,
                at=T0,
                kind="client_message",
                recorded_at=T0,
                source="zendesk",
                external_id="evt-42",
            )
        created.append(result.created)

    run_workers(worker)
    assert sorted(created) == [False] * (WORKERS - 1) + [True]
    with uow.begin() as tx:
        assert len(tx.events.list_for_ticket(team_id="TA", ticket_id=ticket_id)) == 1
