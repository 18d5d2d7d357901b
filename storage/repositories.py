"""The queries the use cases need, one small repository per aggregate.

Rules every function follows: keyword-only arguments; a ``team_id`` that scopes every read and write
(a row of another workspace is "not found", never returned or changed); aware datetimes only (naive →
``ValueError``). The only cross-workspace reads are the sweep's claims, and they must be asked for
explicitly with :data:`ALL_TEAMS`.

Repositories never commit: :class:`storage.uow.UnitOfWork` owns the transaction, so an event append,
the timer projection and the outbox rows it causes commit together or not at all.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import Select, and_, case, delete, false, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    AuditEntry,
    ChannelLink,
    Client,
    ContractVersionRow,
    Incident,
    MetricTimerRow,
    Notification,
    NotificationState,
    NpsResponse,
    ReportRun,
    ReviewDraft,
    ReviewDraftState,
    Survey,
    SurveyState,
    Ticket,
    TicketEventRow,
    TicketSource,
    Workspace,
)
from storage.types import require_aware, require_aware_or_none


class AllTeams(enum.Enum):
    ALL_TEAMS = "all-teams"


#: Explicit opt-in for the sweep/notifier claims, which serve every workspace of the installation.
ALL_TEAMS: Final = AllTeams.ALL_TEAMS
TeamScope = str | AllTeams


class NotFound(LookupError):
    """No such row in this workspace."""


#: timer states that still count down (a breached timer keeps running until stopped).
ACTIVE_TIMER_STATES: Final = ("running", "breached")


def _insert(session: Session, model: type[Any]) -> Any:
    """INSERT with ``on_conflict_do_*`` for the session's dialect (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def _team(team_id: str) -> str:
    if not isinstance(team_id, str) or not team_id:
        raise ValueError(f"team_id must be a non-empty string, got {team_id!r}")
    return team_id


def _scope(column: Any, team_id: TeamScope) -> Any:
    if team_id is ALL_TEAMS:
        return true()
    return column == _team(team_id)  # type: ignore[arg-type]


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _ensure_workspace(self, team_id: str, now: datetime) -> None:
        stmt = _insert(self.session, Workspace).values(team_id=_team(team_id), installed_at=now, ticket_seq=0)
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=["team_id"]))


# --- workspaces, clients, contracts, channel links --------------------------------------------------


class WorkspaceRepository(_Repository):
    def upsert(self, *, team_id: str, name: str | None, installed_at: datetime) -> Workspace:
        installed_at = require_aware(installed_at, name="installed_at")
        stmt = _insert(self.session, Workspace).values(
            team_id=_team(team_id), name=name, installed_at=installed_at, ticket_seq=0
        )
        self.session.execute(stmt.on_conflict_do_update(index_elements=["team_id"], set_={"name": name}))
        return self.get(team_id=team_id)

    def get(self, *, team_id: str) -> Workspace:
        row = self.session.get(Workspace, _team(team_id), populate_existing=True)
        if row is None:
            raise NotFound(f"workspace {team_id}")
        return row

    def list_team_ids(self) -> list[str]:
        """Every installed workspace (for jobs that loop over teams)."""
        return list(self.session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))


class ClientRepository(_Repository):
    def upsert(
        self, *, team_id: str, key: str, name: str, contract_key: str | None = None, now: datetime
    ) -> Client:
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
        values = {
            "team_id": team_id,
            "key": key,
            "name": name,
            "contract_key": contract_key,
            "updated_at": now,
        }
        stmt = _insert(self.session, Client).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "key"],
            set_={"name": name, "contract_key": contract_key, "updated_at": now},
        )
        self.session.execute(stmt)
        client = self.get(team_id=team_id, key=key)
        assert client is not None
        return client

    def get(self, *, team_id: str, key: str) -> Client | None:
        stmt = select(Client).where(Client.team_id == _team(team_id), Client.key == key)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def list(self, *, team_id: str) -> list[Client]:
        stmt = select(Client).where(Client.team_id == _team(team_id)).order_by(Client.key)
        return list(self.session.scalars(stmt))


class ContractRepository(_Repository):
    def store_version(
        self,
        *,
        team_id: str,
        contract_key: str,
        number: int,
        effective: date,
        sha256: str,
        content: Any,
        now: datetime,
    ) -> ContractVersionRow:
        """Store a contract version once per (team, contract, hash); returns the stored row."""
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
        stmt = _insert(self.session, ContractVersionRow).values(
            team_id=team_id,
            contract_key=contract_key,
            number=number,
            effective=effective,
            sha256=sha256,
            content=content,
            stored_at=now,
        )
        self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["team_id", "contract_key", "sha256"])
        )
        row = self.session.scalars(
            select(ContractVersionRow).where(
                ContractVersionRow.team_id == team_id,
                ContractVersionRow.contract_key == contract_key,
                ContractVersionRow.sha256 == sha256,
            )
        ).one()
        return row

    def get(self, *, team_id: str, version_id: int) -> ContractVersionRow | None:
        row = self.session.get(ContractVersionRow, version_id)
        return row if row is not None and row.team_id == _team(team_id) else None

    def list_versions(self, *, team_id: str, contract_key: str) -> list[ContractVersionRow]:
        stmt = (
            select(ContractVersionRow)
            .where(
                ContractVersionRow.team_id == _team(team_id), ContractVersionRow.contract_key == contract_key
            )
            .order_by(ContractVersionRow.effective, ContractVersionRow.number)
        )
        return list(self.session.scalars(stmt))


class ChannelLinkRepository(_Repository):
    def link(
        self, *, team_id: str, channel_id: str, client_key: str, linked_by: str | None = None, at: datetime
    ) -> ChannelLink:
        at = require_aware(at, name="at")
        self._ensure_workspace(team_id, at)
        stmt = _insert(self.session, ChannelLink).values(
            team_id=team_id, channel_id=channel_id, client_key=client_key, linked_by=linked_by, linked_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={"client_key": client_key, "linked_by": linked_by, "linked_at": at},
        )
        self.session.execute(stmt)
        row = self._get(team_id, channel_id)
        assert row is not None
        return row

    def unlink(self, *, team_id: str, channel_id: str) -> bool:
        stmt = delete(ChannelLink).where(
            ChannelLink.team_id == _team(team_id), ChannelLink.channel_id == channel_id
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def client_for_channel(self, *, team_id: str, channel_id: str) -> str | None:
        row = self._get(team_id, channel_id)
        return row.client_key if row else None

    def list(self, *, team_id: str) -> list[ChannelLink]:
        stmt = (
            select(ChannelLink).where(ChannelLink.team_id == _team(team_id)).order_by(ChannelLink.channel_id)
        )
        return list(self.session.scalars(stmt))

    def _get(self, team_id: str, channel_id: str) -> ChannelLink | None:
        stmt = select(ChannelLink).where(
            ChannelLink.team_id == _team(team_id), ChannelLink.channel_id == channel_id
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


# --- tickets and events ----------------------------------------------------------------------------

TICKET_UPDATABLE: Final = frozenset(
    {
        "external_ref",
        "channel_id",
        "thread_ts",
        "requester",
        "assignee",
        "priority",
        "status",
        "client_key",
        "contract_version_id",
        "title",
        "resolved_at",
        "closed_at",
        "status_channel_id",
        "status_message_ts",
    }
)


class TicketRepository(_Repository):
    def create(
        self,
        *,
        team_id: str,
        source: TicketSource | str,
        opened_at: datetime,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        requester: str | None = None,
        assignee: str | None = None,
        priority: str | None = None,
        status: str = "open",
        client_key: str | None = None,
        contract_version_id: int | None = None,
        title: str | None = None,
        external_ref: str | None = None,
    ) -> Ticket:
        """A new ticket with the team's next reference ``T-<n>`` (allocated atomically, no gaps on commit)."""
        opened_at = require_aware(opened_at, name="opened_at")
        source = TicketSource(source)
        self._ensure_workspace(team_id, opened_at)
        number = self.session.execute(
            update(Workspace)
            .where(Workspace.team_id == team_id)
            .values(ticket_seq=Workspace.ticket_seq + 1)
            .returning(Workspace.ticket_seq)
        ).scalar_one()
        ticket = Ticket(
            team_id=team_id,
            number=number,
            ref=f"T-{number}",
            external_ref=external_ref,
            source=source.value,
            channel_id=channel_id,
            thread_ts=thread_ts,
            requester=requester,
            assignee=assignee,
            priority=priority,
            status=status,
            client_key=client_key,
            contract_version_id=contract_version_id,
            title=title,
            opened_at=opened_at,
            updated_at=opened_at,
            is_open=True,
            has_breach=False,
            event_seq=0,
        )
        self.session.add(ticket)
        self.session.flush()
        return ticket

    def get(self, *, team_id: str, ticket_id: int) -> Ticket | None:
        return self._one(select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id))

    def require(self, *, team_id: str, ticket_id: int) -> Ticket:
        ticket = self.get(team_id=team_id, ticket_id=ticket_id)
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        return ticket

    def get_by_ref(self, *, team_id: str, ref: str) -> Ticket | None:
        return self._one(select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.ref == ref.upper()))

    def get_by_thread(self, *, team_id: str, channel_id: str, thread_ts: str) -> Ticket | None:
        stmt = select(Ticket).where(
            Ticket.team_id == _team(team_id), Ticket.channel_id == channel_id, Ticket.thread_ts == thread_ts
        )
        return self._one(stmt.order_by(Ticket.id).limit(1))

    def get_by_external_ref(self, *, team_id: str, external_ref: str) -> Ticket | None:
        stmt = select(Ticket).where(Ticket.team_id == _team(team_id), Ticket.external_ref == external_ref)
        return self._one(stmt.order_by(Ticket.id).limit(1))

    def update(self, *, team_id: str, ticket_id: int, now: datetime, **changes: Any) -> Ticket:
        """Change some of :data:`TICKET_UPDATABLE`; keeps ``is_open`` and ``updated_at`` in step."""
        unknown = set(changes) - TICKET_UPDATABLE
        if unknown:
            raise TypeError(f"cannot update ticket field(s): {', '.join(sorted(unknown))}")
        for name in ("resolved_at", "closed_at"):
            if name in changes:
                changes[name] = require_aware_or_none(changes[name], name=name)
        ticket = self.require(team_id=team_id, ticket_id=ticket_id)
        for name, value in changes.items():
            setattr(ticket, name, value)
        ticket.is_open = ticket.resolved_at is None and ticket.closed_at is None
        ticket.updated_at = require_aware(now, name="now")
        self.session.flush()
        return ticket

    def _one(self, stmt: Select[tuple[Ticket]]) -> Ticket | None:
        return self.session.scalars(stmt.execution_options(populate_existing=True)).first()


@dataclass(frozen=True)
class AppendResult:
    event: TicketEventRow
    seq: int
    #: False when the external event id was seen before (the stored event is returned, nothing changed).
    created: bool


class EventRepository(_Repository):
    def append(
        self,
        *,
        team_id: str,
        ticket_id: int,
        at: datetime,
        kind: str,
        recorded_at: datetime,
        priority: str | None = None,
        status: str | None = None,
        client: str | None = None,
        actor: str | None = None,
        note: str | None = None,
        source: str | None = None,
        external_id: str | None = None,
    ) -> AppendResult:
        """Append one event with the ticket's next ``seq``; idempotent by (team, source, external_id)."""
        at = require_aware(at, name="at")
        recorded_at = require_aware(recorded_at, name="recorded_at")
        _team(team_id)
        if external_id is not None:
            seen = self._by_external_id(team_id, source, external_id)
            if seen is not None:
                return AppendResult(event=seen, seq=seen.seq, created=False)
        if external_id is None:  # nothing to deduplicate: no savepoint needed
            row = self._insert_next(
                team_id, ticket_id, at, kind, recorded_at, priority, status, client, actor, note, source, None
            )
            return AppendResult(event=row, seq=row.seq, created=True)
        try:
            with self.session.begin_nested():  # a concurrent duplicate only rolls back to here
                row = self._insert_next(
                    team_id,
                    ticket_id,
                    at,
                    kind,
                    recorded_at,
                    priority,
                    status,
                    client,
                    actor,
                    note,
                    source,
                    external_id,
                )
        except IntegrityError:
            seen = self._by_external_id(team_id, source, external_id)
            if seen is None:
                raise
            return AppendResult(event=seen, seq=seen.seq, created=False)
        return AppendResult(event=row, seq=row.seq, created=True)

    def _insert_next(
        self,
        team_id: str,
        ticket_id: int,
        at: datetime,
        kind: str,
        recorded_at: datetime,
        priority: str | None,
        status: str | None,
        client: str | None,
        actor: str | None,
        note: str | None,
        source: str | None,
        external_id: str | None,
    ) -> TicketEventRow:
        seq = self.session.execute(
            update(Ticket)
            .where(Ticket.team_id == team_id, Ticket.id == ticket_id)
            .values(event_seq=Ticket.event_seq + 1)
            .returning(Ticket.event_seq)
        ).scalar_one_or_none()
        if seq is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        row = TicketEventRow(
            team_id=team_id,
            ticket_id=ticket_id,
            seq=seq,
            at=at,
            kind=str(kind),
            priority=priority,
            status=status,
            client=client,
            actor=actor,
            note=note,
            source=source,
            external_id=external_id,
            recorded_at=recorded_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list_for_ticket(self, *, team_id: str, ticket_id: int) -> list[TicketEventRow]:
        stmt = (
            select(TicketEventRow)
            .where(TicketEventRow.team_id == _team(team_id), TicketEventRow.ticket_id == ticket_id)
            .order_by(TicketEventRow.seq)
        )
        return list(self.session.scalars(stmt))

    def _by_external_id(self, team_id: str, source: str | None, external_id: str) -> TicketEventRow | None:
        source_match = TicketEventRow.source.is_(None) if source is None else TicketEventRow.source == source
        stmt = select(TicketEventRow).where(
            TicketEventRow.team_id == team_id, source_match, TicketEventRow.external_id == external_id
        )
        return self.session.scalars(stmt).first()


# --- timers: projection and claims ------------------------------------------------------------------


@dataclass(frozen=True)
class TimerRow:
    """One row of the timer projection, as the use cases hand it to storage."""

    metric: str
    cycle: int
    state: str
    target: timedelta
    started_at: datetime
    priority: str | None = None
    calendar_name: str | None = None
    due_at: datetime | None = None
    stopped_at: datetime | None = None
    breached_at: datetime | None = None
    business_elapsed: timedelta = timedelta(0)
    paused_for: timedelta = timedelta(0)
    pause_reason: str | None = None
    resumed_at: datetime | None = None
    elapsed_at_resume: timedelta | None = None
    next_alert_at: datetime | None = None
    at_risk_at: datetime | None = None

    @classmethod
    def from_timer(
        cls, timer: Any, *, next_alert_at: datetime | None = None, at_risk_at: datetime | None = None
    ) -> TimerRow:
        """From an ``sla.timers.MetricTimer`` (read by attribute name, so storage does not import sla)."""
        return cls(
            metric=str(timer.metric),
            cycle=int(timer.cycle),
            state=str(timer.state),
            target=timer.target,
            started_at=timer.started_at,
            priority=timer.priority,
            calendar_name=timer.calendar_name,
            due_at=timer.due_at,
            stopped_at=timer.stopped_at,
            breached_at=timer.breached_at,
            business_elapsed=timer.business_elapsed,
            paused_for=timer.paused_for,
            pause_reason=timer.pause_reason,
            resumed_at=timer.resumed_at,
            elapsed_at_resume=timer.elapsed_at_resume,
            next_alert_at=next_alert_at,
            at_risk_at=at_risk_at,
        )

    def columns(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "cycle": self.cycle,
            "state": self.state,
            "priority": self.priority,
            "target_seconds": _seconds(self.target),
            "calendar_name": self.calendar_name,
            "started_at": require_aware(self.started_at, name="started_at"),
            "due_at": require_aware_or_none(self.due_at, name="due_at"),
            "stopped_at": require_aware_or_none(self.stopped_at, name="stopped_at"),
            "breached_at": require_aware_or_none(self.breached_at, name="breached_at"),
            "business_elapsed_seconds": _seconds(self.business_elapsed),
            "paused_for_seconds": _seconds(self.paused_for),
            "pause_reason": self.pause_reason,
            "resumed_at": require_aware_or_none(self.resumed_at, name="resumed_at"),
            "elapsed_at_resume_seconds": _seconds(self.elapsed_at_resume),
            "next_alert_at": require_aware_or_none(self.next_alert_at, name="next_alert_at"),
            "at_risk_at": require_aware_or_none(self.at_risk_at, name="at_risk_at"),
        }


_PROJECTION_COLUMNS: Final = tuple(TimerRow.__dataclass_fields__)


def ticket_due_fields(timers: Sequence[TimerRow]) -> dict[str, Any]:
    """A ticket's columns denormalised from its timer projection (``next_due_at``, ``next_risk_at``,
    ``has_breach``), as :meth:`TimerRepository.replace_for_ticket` keeps them (bulk writers too)."""
    active = [t for t in timers if t.state in ACTIVE_TIMER_STATES and t.stopped_at is None]
    dues = [t.due_at for t in active if t.due_at is not None]
    risks = [t.at_risk_at for t in active if t.at_risk_at is not None]
    return {
        "next_due_at": min(dues) if dues else None,
        "next_risk_at": min(risks) if risks else None,
        "has_breach": any(t.state == "breached" or t.breached_at is not None for t in timers),
    }


class TimerRepository(_Repository):
    def replace_for_ticket(
        self, *, team_id: str, ticket_id: int, timers: Sequence[TimerRow], now: datetime
    ) -> None:
        """Make the ticket's projection exactly ``timers`` (upsert by (metric, cycle), drop the rest).

        Leases (``lease_until``/``claimed_by``) of existing rows are kept. The ticket's denormalised
        ``next_due_at``/``next_risk_at``/``has_breach`` (used by /sla status) follow.
        """
        now = require_aware(now, name="now")
        ticket = self.session.execute(
            select(Ticket.id).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id)
        ).scalar_one_or_none()
        if ticket is None:
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        kept: list[int] = []
        if timers:
            rows = [
                {**t.columns(), "team_id": team_id, "ticket_id": ticket_id, "updated_at": now} for t in timers
            ]
            stmt = _insert(self.session, MetricTimerRow).values(rows)
            updated = {
                name: getattr(stmt.excluded, name)
                for name in rows[0]
                if name not in ("team_id", "ticket_id", "metric", "cycle")
            }
            stmt = stmt.on_conflict_do_update(index_elements=["ticket_id", "metric", "cycle"], set_=updated)
            kept = list(self.session.scalars(stmt.returning(MetricTimerRow.id)))
        self.session.execute(
            delete(MetricTimerRow).where(
                MetricTimerRow.team_id == team_id,
                MetricTimerRow.ticket_id == ticket_id,
                MetricTimerRow.id.not_in(kept),
            )
        )
        self.session.execute(
            update(Ticket)
            .where(Ticket.team_id == team_id, Ticket.id == ticket_id)
            .values(**ticket_due_fields(timers), updated_at=now)
        )
        self.session.expire_all()

    def list_for_ticket(self, *, team_id: str, ticket_id: int) -> list[MetricTimerRow]:
        stmt = (
            select(MetricTimerRow)
            .where(MetricTimerRow.team_id == _team(team_id), MetricTimerRow.ticket_id == ticket_id)
            .order_by(MetricTimerRow.metric, MetricTimerRow.cycle)
        )
        return list(self.session.scalars(stmt))

    def claim_due(
        self, *, team_id: TeamScope, now: datetime, worker: str, lease: timedelta, limit: int = 100
    ) -> list[MetricTimerRow]:
        """Lease up to ``limit`` timers whose ``next_alert_at <= now`` and whose lease is free or expired.

        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` then UPDATE in this transaction, so concurrent
        sweeps take disjoint rows. SQLite: the transaction began with ``BEGIN IMMEDIATE`` (single writer).
        The caller commits (leaving the unit of work) before doing slow work.
        """
        now = require_aware(now, name="now")
        m = MetricTimerRow
        ids = list(
            self.session.scalars(
                select(m.id)
                .where(
                    _scope(m.team_id, team_id),
                    m.next_alert_at <= now,
                    or_(m.lease_until.is_(None), m.lease_until <= now),
                )
                .order_by(m.next_alert_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        stmt = update(m).where(m.id.in_(ids)).values(lease_until=now + lease, claimed_by=worker).returning(m)
        rows = self.session.scalars(
            stmt, execution_options={"synchronize_session": False, "populate_existing": True}
        ).all()
        return sorted(rows, key=lambda r: (r.next_alert_at, r.id))  # type: ignore[arg-type,return-value]

    def expire_leases(self, *, now: datetime) -> int:
        """End every timer lease now (all workspaces): for the one SQLite scheduler at start-up, whose
        predecessor died holding them. Never on PostgreSQL, where other live processes hold leases."""
        m = MetricTimerRow
        now = require_aware(now, name="now")
        result = self.session.execute(update(m).where(m.lease_until > now).values(lease_until=now))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def release(
        self, *, team_id: str, timer_id: int, worker: str, next_alert_at: datetime | None, now: datetime
    ) -> bool:
        """Give a claimed timer back with its next alert instant. False if the lease was lost meanwhile."""
        next_alert_at = require_aware_or_none(next_alert_at, name="next_alert_at")
        m = MetricTimerRow
        result = self.session.execute(
            update(m)
            .where(m.team_id == _team(team_id), m.id == timer_id, m.claimed_by == worker)
            .values(
                next_alert_at=next_alert_at, lease_until=None, claimed_by=None, updated_at=require_aware(now)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def set_next_alert(self, *, team_id: str, timer_id: int, next_alert_at: datetime | None) -> bool:
        m = MetricTimerRow
        result = self.session.execute(
            update(m)
            .where(m.team_id == _team(team_id), m.id == timer_id)
            .values(next_alert_at=require_aware_or_none(next_alert_at, name="next_alert_at"))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the outbox --------------------------------------------------------------------------------------


class OutboxRepository(_Repository):
    def enqueue(
        self,
        *,
        team_id: str,
        idempotency_key: str,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        ticket_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a notification once per (team, idempotency key). True if this call created it."""
        now = require_aware(now, name="now")
        not_before = require_aware_or_none(not_before, name="not_before") or now
        self._ensure_workspace(team_id, now)
        stmt = _insert(self.session, Notification).values(
            team_id=team_id,
            idempotency_key=idempotency_key,
            kind=kind,
            ticket_id=ticket_id,
            channel_id=channel_id,
            thread_ts=thread_ts,
            payload=dict(payload),
            state=NotificationState.pending.value,
            attempts=0,
            not_before=not_before,
            created_at=now,
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "idempotency_key"])
        return self.session.execute(stmt.returning(Notification.id)).scalar_one_or_none() is not None

    def get(self, *, team_id: str, notification_id: int) -> Notification | None:
        stmt = select(Notification).where(
            Notification.team_id == _team(team_id), Notification.id == notification_id
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def get_by_key(self, *, team_id: str, idempotency_key: str) -> Notification | None:
        stmt = select(Notification).where(
            Notification.team_id == _team(team_id), Notification.idempotency_key == idempotency_key
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def claim_due(
        self, *, team_id: TeamScope, now: datetime, worker: str, lease: timedelta, limit: int = 50
    ) -> list[Notification]:
        """Lease due notifications (pending, or claimed with an expired lease; ``not_before <= now``),
        oldest first. Same locking as :meth:`TimerRepository.claim_due`."""
        now = require_aware(now, name="now")
        n = Notification
        due = or_(
            n.state == NotificationState.pending.value,
            and_(n.state == NotificationState.claimed.value, n.lease_until <= now),
        )
        ids = list(
            self.session.scalars(
                select(n.id)
                .where(_scope(n.team_id, team_id), due, n.not_before <= now)
                .order_by(n.created_at, n.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        stmt = (
            update(n)
            .where(n.id.in_(ids))
            .values(state=NotificationState.claimed.value, lease_until=now + lease, claimed_by=worker)
            .returning(n)
        )
        rows = self.session.scalars(
            stmt, execution_options={"synchronize_session": False, "populate_existing": True}
        ).all()
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    def mark_sent(
        self,
        *,
        team_id: str,
        notification_id: int,
        slack_ts: str | None,
        now: datetime,
        worker: str | None = None,
    ) -> bool:
        return self._finish(
            team_id,
            notification_id,
            worker,
            state=NotificationState.sent.value,
            slack_ts=slack_ts,
            sent_at=require_aware(now, name="now"),
            attempts=Notification.attempts + 1,
        )

    def mark_failed(
        self, *, team_id: str, notification_id: int, error: str, worker: str | None = None
    ) -> bool:
        """Permanent failure (e.g. ``channel_not_found``): kept for admins, never retried."""
        return self._finish(
            team_id,
            notification_id,
            worker,
            state=NotificationState.failed.value,
            last_error=error,
            attempts=Notification.attempts + 1,
        )

    def retry_later(
        self,
        *,
        team_id: str,
        notification_id: int,
        not_before: datetime,
        error: str,
        worker: str | None = None,
    ) -> bool:
        """Transient failure (429 Retry-After, 5xx, network): back to pending from ``not_before``."""
        return self._finish(
            team_id,
            notification_id,
            worker,
            state=NotificationState.pending.value,
            not_before=require_aware(not_before, name="not_before"),
            last_error=error,
            attempts=Notification.attempts + 1,
        )

    def expire_leases(self, *, now: datetime, error: str) -> int:
        """End every notification lease now (all workspaces), noting ``error`` (the outcome of the dead
        claim is unknown): for the one SQLite scheduler at start-up. Never on PostgreSQL."""
        n = Notification
        now = require_aware(now, name="now")
        stmt = update(n).where(n.state == NotificationState.claimed.value, n.lease_until > now)
        result = self.session.execute(stmt.values(lease_until=now, last_error=error))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def cancel(
        self,
        *,
        team_id: str,
        reason: str,
        notification_id: int | None = None,
        idempotency_key: str | None = None,
        worker: str | None = None,
    ) -> bool:
        """Settle one notification as ``cancelled`` (never sent, kept with ``reason`` for admins), by id
        or key, if it is still pending or claimed (by ``worker`` when given). True if this call did it."""
        if (notification_id is None) == (idempotency_key is None):
            raise ValueError("cancel needs exactly one of notification_id and idempotency_key")
        n = Notification
        stmt = update(n).where(
            n.team_id == _team(team_id),
            n.state.in_([NotificationState.pending.value, NotificationState.claimed.value]),
        )
        if notification_id is not None:
            stmt = stmt.where(n.id == notification_id)
        else:
            stmt = stmt.where(n.idempotency_key == idempotency_key)
        if worker is not None:
            stmt = stmt.where(n.claimed_by == worker)
        values = {"state": NotificationState.cancelled.value, "lease_until": None, "last_error": reason}
        result = self.session.execute(stmt.values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def keys_for_ticket(self, *, team_id: str, ticket_id: int, kinds: Iterable[str] | None = None) -> set[str]:
        """Idempotency keys of a ticket's notifications in any state (optionally of some kinds only)."""
        n = Notification
        stmt = select(n.idempotency_key).where(n.team_id == _team(team_id), n.ticket_id == ticket_id)
        if kinds is not None:
            stmt = stmt.where(n.kind.in_(list(kinds)))
        return set(self.session.scalars(stmt))

    def cancel_for_ticket(self, *, team_id: str, ticket_id: int, kinds: Iterable[str] | None = None) -> int:
        """Cancel the ticket's notifications not yet picked up (e.g. it was resolved). Returns how many."""
        n = Notification
        stmt = update(n).where(
            n.team_id == _team(team_id), n.ticket_id == ticket_id, n.state == NotificationState.pending.value
        )
        if kinds is not None:
            stmt = stmt.where(n.kind.in_(list(kinds)))
        result = self.session.execute(stmt.values(state=NotificationState.cancelled.value))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def list_failed(self, *, team_id: str, limit: int = 50) -> list[Notification]:
        stmt = (
            select(Notification)
            .where(
                Notification.team_id == _team(team_id), Notification.state == NotificationState.failed.value
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def _finish(self, team_id: str, notification_id: int, worker: str | None, **values: Any) -> bool:
        n = Notification
        stmt = update(n).where(
            n.team_id == _team(team_id),
            n.id == notification_id,
            n.state.in_([NotificationState.pending.value, NotificationState.claimed.value]),
        )
        if worker is not None:
            stmt = stmt.where(n.claimed_by == worker)
        result = self.session.execute(stmt.values(lease_until=None, **values))
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- /sla status and reports -------------------------------------------------------------------------

StatusFilter = Literal["all", "breached", "at_risk"]


@dataclass(frozen=True)
class TicketTimers:
    ticket: Ticket
    timers: list[MetricTimerRow]


@dataclass(frozen=True)
class StatusPage:
    items: list[TicketTimers]
    #: how many open tickets match the filters (``items`` holds at most ``limit`` of them), counted up
    #: to ``count_limit``: when ``total_is_exact`` is False there are at least ``total`` (show "1000+").
    total: int
    total_is_exact: bool = True


class StatusQueries(_Repository):
    def open_tickets(
        self,
        *,
        team_id: str,
        now: datetime,
        channel_id: str | None = None,
        assignee: str | None = None,
        client_key: str | None = None,
        requester: str | None = None,
        state: StatusFilter = "all",
        due_within: timedelta = timedelta(hours=1),
        limit: int = 20,
        count_limit: int | None = 1000,
    ) -> StatusPage:
        """Open tickets with their timers, most urgent (earliest running ``due_at``) first.

        ``breached``: a timer is or was breached, or a running one is past due at ``now``.
        ``at_risk``: not breached, and a timer reached its at-risk instant or falls due within ``due_within``.
        """
        now = require_aware(now, name="now")
        t = Ticket
        conditions: list[Any] = [t.team_id == _team(team_id), t.is_open == true()]
        if channel_id is not None:
            conditions.append(t.channel_id == channel_id)
        if assignee is not None:
            conditions.append(t.assignee == assignee)
        if client_key is not None:
            conditions.append(t.client_key == client_key)
        if requester is not None:
            conditions.append(t.requester == requester)
        if state == "breached":
            # two index ranges (ix_tickets_breach_due): tickets flagged breached, and unflagged ones whose
            # running clock is past due; an OR of both would make PostgreSQL scan every open ticket.
            flagged = [*conditions, t.has_breach == true()]
            overdue = [*conditions, t.has_breach == false(), t.next_due_at <= now]
            total = sum(self._count(c, count_limit) for c in (flagged, overdue))
            exact = count_limit is None or total <= count_limit
            total = total if exact else count_limit  # type: ignore[assignment]
            tickets = sorted(
                [*self._most_urgent(flagged, limit), *self._most_urgent(overdue, limit)],
                key=lambda ticket: (ticket.next_due_at, ticket.id),
            )[:limit]
            return StatusPage(items=self._with_timers(team_id, tickets), total=total, total_is_exact=exact)
        if state == "at_risk":
            conditions.append(t.has_breach == false())
            conditions.append(t.next_due_at > now)
            conditions.append(or_(t.next_risk_at <= now, t.next_due_at <= now + due_within))
        elif state != "all":
            raise ValueError(f"unknown status filter {state!r}")
        total = self._count(conditions, count_limit)
        exact = count_limit is None or total <= count_limit
        total = total if exact else count_limit  # type: ignore[assignment]
        tickets = self._most_urgent(conditions, limit)
        if len(tickets) < limit and state == "all":
            tickets += self.session.scalars(
                select(t)
                .where(*conditions, t.next_due_at.is_(None))
                .order_by(t.id)
                .limit(limit - len(tickets))
            )
        return StatusPage(items=self._with_timers(team_id, tickets), total=total, total_is_exact=exact)

    def _count(self, conditions: list[Any], count_limit: int | None) -> int:
        """Matching rows, up to ``count_limit + 1`` (an exact count of 100,000 costs more than the page)."""
        matching = select(Ticket.id).where(*conditions)
        if count_limit is not None:
            matching = matching.limit(count_limit + 1)
        return int(self.session.execute(select(func.count()).select_from(matching.subquery())).scalar_one())

    def _most_urgent(self, conditions: list[Any], limit: int) -> list[Ticket]:
        t = Ticket
        return list(
            self.session.scalars(
                select(t)
                .where(*conditions, t.next_due_at.is_not(None))
                .order_by(t.next_due_at, t.id)
                .limit(limit)
            )
        )

    def _with_timers(self, team_id: str, tickets: list[Ticket]) -> list[TicketTimers]:
        by_ticket: dict[int, list[MetricTimerRow]] = {ticket.id: [] for ticket in tickets}
        if tickets:
            m = MetricTimerRow
            timers = self.session.scalars(
                select(m)
                .where(m.team_id == team_id, m.ticket_id.in_(list(by_ticket)))
                .order_by(m.metric, m.cycle)
            )
            for timer in timers:
                by_ticket[timer.ticket_id].append(timer)
        return [TicketTimers(ticket, by_ticket[ticket.id]) for ticket in tickets]


@dataclass(frozen=True)
class ComplianceCount:
    client_key: str | None
    priority: str | None
    metric: str
    met: int
    breached: int


@dataclass(frozen=True)
class PeriodTimer:
    timer: MetricTimerRow
    ticket_ref: str
    client_key: str | None
    channel_id: str | None = None
    thread_ts: str | None = None
    """The ticket's Slack thread (for links in reports), when it has one."""


class ReportQueries(_Repository):
    def _settled_in(self, team_id: str, start: datetime, end: datetime) -> Any:
        m = MetricTimerRow
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        return and_(
            m.team_id == _team(team_id),
            or_(
                and_(m.state == "met", m.stopped_at >= start, m.stopped_at < end),
                and_(m.breached_at >= start, m.breached_at < end),
            ),
        )

    def compliance_counts(self, *, team_id: str, start: datetime, end: datetime) -> list[ComplianceCount]:
        """Met (stopped in time within [start, end)) and breached (breached within it) per client/priority/metric."""
        m, t = MetricTimerRow, Ticket
        met = func.sum(case((m.state == "met", 1), else_=0))
        breached = func.sum(case((m.breached_at.is_not(None), 1), else_=0))
        stmt = (
            select(t.client_key, m.priority, m.metric, met, breached)
            .join(t, and_(t.id == m.ticket_id, t.team_id == m.team_id))
            .where(self._settled_in(team_id, start, end))
            .group_by(t.client_key, m.priority, m.metric)
            .order_by(t.client_key, m.priority, m.metric)
        )
        return [
            ComplianceCount(client_key=c, priority=p, metric=metric, met=int(a or 0), breached=int(b or 0))
            for c, p, metric, a, b in self.session.execute(stmt)
        ]

    def timers_in_period(self, *, team_id: str, start: datetime, end: datetime) -> list[PeriodTimer]:
        """The timers settled (met or breached) in [start, end), with their ticket's client (for medians)."""
        m, t = MetricTimerRow, Ticket
        stmt = (
            select(m, t.ref, t.client_key, t.channel_id, t.thread_ts)
            .join(t, and_(t.id == m.ticket_id, t.team_id == m.team_id))
            .where(self._settled_in(team_id, start, end))
            .order_by(m.started_at, m.id)
        )
        return [
            PeriodTimer(timer=row, ticket_ref=ref, client_key=ck, channel_id=ch, thread_ts=ts)
            for row, ref, ck, ch, ts in self.session.execute(stmt)
        ]


# --- feedback, incidents, report runs, audit ---------------------------------------------------------


@dataclass(frozen=True)
class SentimentValues:
    polarity: float
    label: str
    scorer: str
    version: str


def _sentiment_values(sentiment: SentimentValues) -> dict[str, Any]:
    return {
        "sentiment_polarity": sentiment.polarity,
        "sentiment_label": sentiment.label,
        "sentiment_scorer": sentiment.scorer,
        "sentiment_version": sentiment.version,
    }


class SurveyRepository(_Repository):
    def open(
        self,
        *,
        team_id: str,
        ticket_id: int,
        opened_at: datetime,
        requester: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        closes_at: datetime | None = None,
        scale: str | None = None,
    ) -> Survey | None:
        """Open the ticket's survey; None if it already has one (one survey per ticket)."""
        opened_at = require_aware(opened_at, name="opened_at")
        if (
            self.session.execute(
                select(Ticket.id).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id)
            ).scalar_one_or_none()
            is None
        ):
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        stmt = _insert(self.session, Survey).values(
            team_id=team_id,
            ticket_id=ticket_id,
            requester=requester,
            channel_id=channel_id,
            message_ts=message_ts,
            state=SurveyState.open.value,
            opened_at=opened_at,
            closes_at=require_aware_or_none(closes_at, name="closes_at"),
            scale=scale,
        )
        new_id = self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["ticket_id"]).returning(Survey.id)
        ).scalar_one_or_none()
        return None if new_id is None else self.get(team_id=team_id, survey_id=new_id)

    def get(self, *, team_id: str, survey_id: int) -> Survey | None:
        stmt = select(Survey).where(Survey.team_id == _team(team_id), Survey.id == survey_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def get_for_ticket(self, *, team_id: str, ticket_id: int) -> Survey | None:
        stmt = select(Survey).where(Survey.team_id == _team(team_id), Survey.ticket_id == ticket_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def set_message(self, *, team_id: str, survey_id: int, channel_id: str, message_ts: str) -> bool:
        return self._update(team_id, survey_id, None, channel_id=channel_id, message_ts=message_ts)

    def answer(
        self,
        *,
        team_id: str,
        survey_id: int,
        rating: int | None,
        comment: str | None,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record the answer of an open survey. False if it was answered or closed already."""
        values: dict[str, Any] = {
            "state": SurveyState.answered.value,
            "rating": rating,
            "comment": comment,
            "answered_at": require_aware(at, name="at"),
        }
        if sentiment is not None:
            values.update(_sentiment_values(sentiment))
        return self._update(team_id, survey_id, SurveyState.open, **values)

    def set_rating(
        self,
        *,
        team_id: str,
        survey_id: int,
        rating: int,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record or change the rating while the survey is open (answered counts as open until
        ``closes_at``). False once it is closed or past ``closes_at``."""
        values: dict[str, Any] = {
            "state": SurveyState.answered.value,
            "rating": rating,
            "answered_at": require_aware(at, name="at"),
        }
        if sentiment is not None:
            values.update(_sentiment_values(sentiment))
        return self._update_while_open(team_id, survey_id, at, **values)

    def set_comment(
        self,
        *,
        team_id: str,
        survey_id: int,
        comment: str,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record or change the comment while the survey is open; False once it is closed."""
        values: dict[str, Any] = {
            "state": SurveyState.answered.value,
            "comment": comment,
            "answered_at": require_aware(at, name="at"),
        }
        if sentiment is not None:
            values.update(_sentiment_values(sentiment))
        return self._update_while_open(team_id, survey_id, at, **values)

    def latest_for_requester(self, *, team_id: str, requester: str, since: datetime) -> Survey | None:
        """The requester's most recent survey opened at or after ``since`` (survey fatigue)."""
        stmt = (
            select(Survey)
            .where(
                Survey.team_id == _team(team_id),
                Survey.requester == requester,
                Survey.opened_at >= require_aware(since, name="since"),
            )
            .order_by(Survey.opened_at.desc(), Survey.id.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).one_or_none()

    def due_for_reminder(
        self, *, team_id: TeamScope, opened_before: datetime, now: datetime, limit: int = 200
    ) -> list[Survey]:
        """Open, unanswered, never reminded surveys opened before ``opened_before`` that are still open
        at ``now`` (the caller checks each survey's own ``reminder_after``)."""
        stmt = (
            select(Survey)
            .where(
                _scope(Survey.team_id, team_id),
                Survey.state == SurveyState.open.value,
                Survey.reminded_at.is_(None),
                Survey.opened_at <= require_aware(opened_before, name="opened_before"),
                or_(Survey.closes_at.is_(None), Survey.closes_at > require_aware(now, name="now")),
            )
            .order_by(Survey.opened_at, Survey.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def opened_between(
        self, *, team_id: str, start: datetime, end: datetime, client_key: str | None = None
    ) -> list[tuple[Survey, Ticket]]:
        """Surveys opened in ``[start, end)`` with their tickets (optionally of one client)."""
        stmt = (
            select(Survey, Ticket)
            .join(Ticket, Ticket.id == Survey.ticket_id)
            .where(
                Survey.team_id == _team(team_id),
                Survey.opened_at >= require_aware(start, name="start"),
                Survey.opened_at < require_aware(end, name="end"),
            )
            .order_by(Survey.opened_at, Survey.id)
        )
        if client_key is not None:
            stmt = stmt.where(Ticket.client_key == client_key)
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def answer_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        client_key: str,
        period_key: str,
        score: int,
        at: datetime,
    ) -> NpsResponse:
        """One NPS answer per (person, client, period): a second click changes the score."""
        existing = self.nps_of(team_id=team_id, user_id=user_id, client_key=client_key, period_key=period_key)
        if existing is None:
            return self.add_nps(
                team_id=team_id, user_id=user_id, score=score, at=at, client_key=client_key, period_key=period_key
            )
        if not 0 <= score <= 10:
            raise ValueError(f"NPS score must be 0..10, got {score}")
        existing.score = score
        existing.at = require_aware(at, name="at")
        self.session.flush()
        return existing

    def comment_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        client_key: str,
        period_key: str,
        comment: str,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Attach a comment to the person's NPS answer of that period; False if there is none."""
        existing = self.nps_of(team_id=team_id, user_id=user_id, client_key=client_key, period_key=period_key)
        if existing is None:
            return False
        existing.comment = comment
        if sentiment is not None:
            for key, value in _sentiment_values(sentiment).items():
                setattr(existing, key, value)
        self.session.flush()
        return True

    def nps_of(self, *, team_id: str, user_id: str, client_key: str, period_key: str) -> NpsResponse | None:
        stmt = (
            select(NpsResponse)
            .where(
                NpsResponse.team_id == _team(team_id),
                NpsResponse.user_id == user_id,
                NpsResponse.client_key == client_key,
                NpsResponse.period_key == period_key,
            )
            .order_by(NpsResponse.id)
            .limit(1)
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def _update_while_open(self, team_id: str, survey_id: int, now: datetime, **values: Any) -> bool:
        stmt = update(Survey).where(
            Survey.team_id == _team(team_id),
            Survey.id == survey_id,
            Survey.state.in_([SurveyState.open.value, SurveyState.answered.value]),
            or_(Survey.closes_at.is_(None), Survey.closes_at > require_aware(now, name="now")),
        )
        return bool(self.session.execute(stmt.values(**values)).rowcount)  # type: ignore[attr-defined]

    def mark_reminded(self, *, team_id: str, survey_id: int, at: datetime) -> bool:
        return self._update(team_id, survey_id, SurveyState.open, reminded_at=require_aware(at, name="at"))

    def close(self, *, team_id: str, survey_id: int) -> bool:
        return self._update(team_id, survey_id, SurveyState.open, state=SurveyState.closed.value)

    def due_to_close(self, *, team_id: TeamScope, now: datetime, limit: int = 100) -> list[Survey]:
        now = require_aware(now, name="now")
        stmt = (
            select(Survey)
            .where(
                _scope(Survey.team_id, team_id),
                Survey.state == SurveyState.open.value,
                Survey.closes_at <= now,
            )
            .order_by(Survey.closes_at)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def answered_between(self, *, team_id: str, start: datetime, end: datetime) -> list[Survey]:
        stmt = (
            select(Survey)
            .where(
                Survey.team_id == _team(team_id),
                Survey.answered_at >= require_aware(start, name="start"),
                Survey.answered_at < require_aware(end, name="end"),
            )
            .order_by(Survey.answered_at)
        )
        return list(self.session.scalars(stmt))

    def add_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        score: int,
        at: datetime,
        comment: str | None = None,
        client_key: str | None = None,
        period_key: str | None = None,
    ) -> NpsResponse:
        if not 0 <= score <= 10:
            raise ValueError(f"NPS score must be 0..10, got {score}")
        at = require_aware(at, name="at")
        self._ensure_workspace(team_id, at)
        row = NpsResponse(
            team_id=team_id,
            user_id=user_id,
            score=score,
            at=at,
            comment=comment,
            client_key=client_key,
            period_key=period_key,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def nps_between(self, *, team_id: str, start: datetime, end: datetime) -> list[NpsResponse]:
        stmt = (
            select(NpsResponse)
            .where(
                NpsResponse.team_id == _team(team_id),
                NpsResponse.at >= require_aware(start, name="start"),
                NpsResponse.at < require_aware(end, name="end"),
            )
            .order_by(NpsResponse.at)
        )
        return list(self.session.scalars(stmt))

    def _update(self, team_id: str, survey_id: int, only_in: SurveyState | None, **values: Any) -> bool:
        stmt = update(Survey).where(Survey.team_id == _team(team_id), Survey.id == survey_id)
        if only_in is not None:
            stmt = stmt.where(Survey.state == only_in.value)
        return bool(self.session.execute(stmt.values(**values)).rowcount)  # type: ignore[attr-defined]


class IncidentRepository(_Repository):
    def record(
        self,
        *,
        team_id: str,
        service: str,
        started_at: datetime,
        ended_at: datetime | None = None,
        client_key: str | None = None,
        reason: str | None = None,
        source: str | None = None,
        external_key: str | None = None,
        planned: bool = False,
    ) -> Incident:
        """Record a downtime window; with (source, external_key) a repeat updates the same incident."""
        started_at = require_aware(started_at, name="started_at")
        ended_at = require_aware_or_none(ended_at, name="ended_at")
        self._ensure_workspace(team_id, started_at)
        values = {
            "client_key": client_key,
            "service": service,
            "started_at": started_at,
            "ended_at": ended_at,
            "reason": reason,
            "planned": planned,
        }
        stmt = _insert(self.session, Incident).values(
            team_id=team_id, source=source, external_key=external_key, **values
        )
        if external_key is not None:
            stmt = stmt.on_conflict_do_update(
                index_elements=["team_id", "source", "external_key"], set_=values
            )
        new_id = self.session.execute(stmt.returning(Incident.id)).scalar_one()
        incident = self.session.get(Incident, new_id, populate_existing=True)
        assert incident is not None
        return incident

    def end(self, *, team_id: str, incident_id: int, ended_at: datetime) -> bool:
        stmt = (
            update(Incident)
            .where(Incident.team_id == _team(team_id), Incident.id == incident_id)
            .values(ended_at=require_aware(ended_at, name="ended_at"))
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def overlapping(
        self, *, team_id: str, start: datetime, end: datetime, client_key: str | None = None
    ) -> list[Incident]:
        """Incidents that overlap [start, end) (open-ended ones count as ongoing)."""
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        i = Incident
        stmt = select(i).where(
            i.team_id == _team(team_id), i.started_at < end, or_(i.ended_at.is_(None), i.ended_at > start)
        )
        if client_key is not None:
            stmt = stmt.where(or_(i.client_key == client_key, i.client_key.is_(None)))
        return list(self.session.scalars(stmt.order_by(i.started_at, i.id)))

    def get_by_external_key(self, *, team_id: str, source: str, external_key: str) -> Incident | None:
        """The incident recorded from ``source`` under ``external_key`` (e.g. an alert's fingerprint)."""
        i = Incident
        stmt = select(i).where(
            i.team_id == _team(team_id), i.source == source, i.external_key == external_key
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def open_unplanned(self, *, team_id: str, service: str | None = None) -> list[Incident]:
        """Downtime incidents not ended yet (planned maintenance always has an end), oldest first."""
        i = Incident
        stmt = select(i).where(i.team_id == _team(team_id), i.ended_at.is_(None), i.planned.is_(False))
        if service is not None:
            stmt = stmt.where(i.service == service)
        return list(self.session.scalars(stmt.order_by(i.started_at, i.id)))


class ReportRunRepository(_Repository):
    def claim_report_run(self, *, team_id: str, kind: str, period_key: str, now: datetime) -> bool:
        """True for exactly one caller per (team, kind, period), across processes (unique constraint)."""
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
        stmt = _insert(self.session, ReportRun).values(
            team_id=team_id, kind=kind, period_key=period_key, claimed_at=now
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "kind", "period_key"])
        return self.session.execute(stmt.returning(ReportRun.id)).scalar_one_or_none() is not None

    def complete(self, *, team_id: str, kind: str, period_key: str, now: datetime) -> bool:
        r = ReportRun
        stmt = (
            update(r)
            .where(r.team_id == _team(team_id), r.kind == kind, r.period_key == period_key)
            .values(completed_at=require_aware(now, name="now"))
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def get(self, *, team_id: str, kind: str, period_key: str) -> ReportRun | None:
        r = ReportRun
        stmt = select(r).where(r.team_id == _team(team_id), r.kind == kind, r.period_key == period_key)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def lock_incomplete(self, *, team_id: str, kind: str, period_key: str) -> ReportRun | None:
        """The claimed, not yet completed run, locked for this transaction (``FOR UPDATE SKIP LOCKED``
        on PostgreSQL): None when it is completed, missing, or another process is finishing it."""
        r = ReportRun
        stmt = (
            select(r)
            .where(
                r.team_id == _team(team_id),
                r.kind == kind,
                r.period_key == period_key,
                r.completed_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


class AuditRepository(_Repository):
    def record(
        self,
        *,
        team_id: str,
        action: str,
        at: datetime,
        actor: str | None = None,
        target: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> AuditEntry:
        at = require_aware(at, name="at")
        self._ensure_workspace(team_id, at)
        row = AuditEntry(
            team_id=team_id, actor=actor, action=action, target=target, before=before, after=after, at=at
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list(self, *, team_id: str, target: str | None = None, limit: int = 50) -> list[AuditEntry]:
        stmt = select(AuditEntry).where(AuditEntry.team_id == _team(team_id))
        if target is not None:
            stmt = stmt.where(AuditEntry.target == target)
        return list(
            self.session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
        )


class ReviewRepository(_Repository):
    """SLA reviews (docs/reviews.md): the history of a client's quarter, and proposed revisions."""

    def tickets_opened(
        self, *, team_id: str, client_key: str, start: datetime, end: datetime
    ) -> list[tuple[Ticket, list[TicketEventRow]]]:
        """The client's tickets opened in [start, end), each with all its events in order (two queries)."""
        t, e = Ticket, TicketEventRow
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        tickets = list(
            self.session.scalars(
                select(t)
                .where(
                    t.team_id == _team(team_id),
                    t.client_key == client_key,
                    t.opened_at >= start,
                    t.opened_at < end,
                )
                .order_by(t.opened_at, t.id)
            )
        )
        events: dict[int, list[TicketEventRow]] = {ticket.id: [] for ticket in tickets}
        ids = list(events)
        for chunk in range(0, len(ids), 500):
            stmt = (
                select(e)
                .where(e.team_id == team_id, e.ticket_id.in_(ids[chunk : chunk + 500]))
                .order_by(e.ticket_id, e.seq)
            )
            for row in self.session.scalars(stmt):
                events[row.ticket_id].append(row)
        return [(ticket, events[ticket.id]) for ticket in tickets]

    def add_draft(
        self,
        *,
        team_id: str,
        client_key: str,
        contract_key: str,
        period_key: str,
        base_number: int,
        base_sha256: str,
        effective: date,
        proposal: Any,
        version_yaml: str,
        diff: str,
        dry_run: Any,
        created_by: str | None,
        now: datetime,
    ) -> ReviewDraft:
        now = require_aware(now, name="now")
        self._ensure_workspace(team_id, now)
        row = ReviewDraft(
            team_id=team_id,
            client_key=client_key,
            contract_key=contract_key,
            period_key=period_key,
            base_number=base_number,
            base_sha256=base_sha256,
            effective=effective,
            state=ReviewDraftState.draft.value,
            proposal=proposal,
            version_yaml=version_yaml,
            diff=diff,
            dry_run=dry_run,
            created_by=created_by,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get_draft(self, *, team_id: str, draft_id: int) -> ReviewDraft | None:
        """The draft if it belongs to ``team_id`` (a forged id of another workspace is "not found")."""
        stmt = select(ReviewDraft).where(ReviewDraft.team_id == _team(team_id), ReviewDraft.id == draft_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def decide_draft(
        self,
        *,
        team_id: str,
        draft_id: int,
        state: ReviewDraftState | str,
        by: str | None,
        at: datetime,
        contract_version_id: int | None = None,
    ) -> bool:
        """Move a draft out of ``draft`` (approved or discarded); False if it was no longer a draft."""
        r = ReviewDraft
        stmt = (
            update(r)
            .where(r.team_id == _team(team_id), r.id == draft_id, r.state == ReviewDraftState.draft.value)
            .values(
                state=ReviewDraftState(state).value,
                decided_by=by,
                decided_at=require_aware(at, name="at"),
                contract_version_id=contract_version_id,
            )
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


@dataclass
class Repositories:
    """Everything a use case can reach inside one transaction."""

    session: Session
    workspaces: WorkspaceRepository = field(init=False)
    clients: ClientRepository = field(init=False)
    contracts: ContractRepository = field(init=False)
    channel_links: ChannelLinkRepository = field(init=False)
    tickets: TicketRepository = field(init=False)
    events: EventRepository = field(init=False)
    timers: TimerRepository = field(init=False)
    outbox: OutboxRepository = field(init=False)
    status: StatusQueries = field(init=False)
    reports: ReportQueries = field(init=False)
    surveys: SurveyRepository = field(init=False)
    incidents: IncidentRepository = field(init=False)
    report_runs: ReportRunRepository = field(init=False)
    audit: AuditRepository = field(init=False)
    reviews: ReviewRepository = field(init=False)

    def __post_init__(self) -> None:
        s = self.session
        self.workspaces = WorkspaceRepository(s)
        self.clients = ClientRepository(s)
        self.contracts = ContractRepository(s)
        self.channel_links = ChannelLinkRepository(s)
        self.tickets = TicketRepository(s)
        self.events = EventRepository(s)
        self.timers = TimerRepository(s)
        self.outbox = OutboxRepository(s)
        self.status = StatusQueries(s)
        self.reports = ReportQueries(s)
        self.surveys = SurveyRepository(s)
        self.incidents = IncidentRepository(s)
        self.report_runs = ReportRunRepository(s)
        self.audit = AuditRepository(s)
        self.reviews = ReviewRepository(s)
