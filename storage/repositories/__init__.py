"""The queries the use cases need, one small repository per aggregate.

Rules every function follows: keyword-only arguments; a ``team_id`` that scopes every read and write
(a row of another workspace is "not found", never returned or changed); aware datetimes only (naive →
``ValueError``). The only cross-workspace reads are the sweep's claims, and they must be asked for
explicitly with :data:`ALL_TEAMS`.

Repositories never commit: :class:`storage.uow.UnitOfWork` owns the transaction, so an event append,
the timer projection and the outbox rows it causes commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from storage.repositories._base import ACTIVE_TIMER_STATES, ALL_TEAMS, AllTeams, NotFound, TeamScope
from storage.repositories.audit import AuditRepository
from storage.repositories.clients import ChannelLinkRepository, ClientRepository
from storage.repositories.contracts import ContractRepository
from storage.repositories.events import Appended, AppendResult, EventRepository, NewEvent
from storage.repositories.inbox import InboxRepository
from storage.repositories.incidents import IncidentRepository
from storage.repositories.outbox import OutboxRepository, QueuedRow
from storage.repositories.reports import ComplianceCount, PeriodTimer, ReportQueries, ReportRunRepository
from storage.repositories.reviews import ReviewRepository
from storage.repositories.status import StatusFilter, StatusPage, StatusQueries, TicketTimers
from storage.repositories.surveys import SentimentValues, SurveyRepository
from storage.repositories.tickets import TICKET_UPDATABLE, TicketRepository
from storage.repositories.timers import BreachRecord, TimerRepository, TimerRow, ticket_due_fields
from storage.repositories.workspaces import WorkspaceRepository

__all__ = [
    "ACTIVE_TIMER_STATES",
    "ALL_TEAMS",
    "AllTeams",
    "AppendResult",
    "Appended",
    "AuditRepository",
    "ChannelLinkRepository",
    "ClientRepository",
    "ComplianceCount",
    "ContractRepository",
    "EventRepository",
    "InboxRepository",
    "IncidentRepository",
    "NewEvent",
    "NotFound",
    "OutboxRepository",
    "PeriodTimer",
    "QueuedRow",
    "ReportQueries",
    "ReportRunRepository",
    "Repositories",
    "ReviewRepository",
    "SentimentValues",
    "StatusFilter",
    "StatusPage",
    "StatusQueries",
    "SurveyRepository",
    "TICKET_UPDATABLE",
    "TeamScope",
    "TicketRepository",
    "TicketTimers",
    "TimerRepository",
    "TimerRow",
    "BreachRecord",
    "WorkspaceRepository",
    "ticket_due_fields",
]


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
    inbox: InboxRepository = field(init=False)

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
        self.inbox = InboxRepository(s)
