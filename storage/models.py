"""The schema of slabot, as SQLAlchemy 2 typed models.

Every table that belongs to a workspace carries ``team_id``; the repositories scope every query by
it. Ticket events are the truth (append-only); metric timers are a projection of them that can be
rebuilt; notifications are the outbox the notifier drains.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import BigId, JSONDocument, UTCDateTime

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TicketSource(StrEnum):
    slack_thread = "slack_thread"
    slash_command = "slash_command"
    webhook = "webhook"
    import_ = "import"


class NotificationState(StrEnum):
    pending = "pending"
    claimed = "claimed"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class SurveyState(StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"


TEAM = String(32)
SLACK_ID = String(64)
TS = String(32)
#: the columns every table of a workspace's rows starts with (all but ``workspaces``): its own id, and
#: the workspace it belongs to (deleted with it)
RowId = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
TeamId = Annotated[str, mapped_column(TEAM, ForeignKey("workspaces.team_id", ondelete="CASCADE"))]
#: the tickets the one-ticket-per-source-message unique index covers
ONE_TICKET_PER_MESSAGE = "source_ts IS NOT NULL AND channel_id IS NOT NULL AND duplicate_of IS NULL"


class Workspace(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(TEAM, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: last allocated ticket number ("T-<n>"); bumped atomically by ``TicketRepository.create``.
    ticket_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    contract_key: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractVersionRow(Base):
    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("team_id", "contract_key", "sha256"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    contract_key: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    effective: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[Any] = mapped_column(JSONDocument)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        UniqueConstraint("team_id", "ref"),
        Index("ix_tickets_thread", "team_id", "channel_id", "thread_ts"),
        Index("ix_tickets_external_ref", "team_id", "external_ref"),
        # `/sla status 35436`: a ticket by what its helpdesk calls it
        Index("ix_tickets_external_id", "team_id", "external_id"),
        # /sla status: open tickets of a team, most urgent first, optionally by channel/assignee/client.
        Index("ix_tickets_open_due", "team_id", "is_open", "next_due_at"),
        Index("ix_tickets_channel_due", "team_id", "channel_id", "is_open", "next_due_at"),
        Index("ix_tickets_assignee_due", "team_id", "assignee", "is_open", "next_due_at"),
        Index("ix_tickets_client_due", "team_id", "client_key", "is_open", "next_due_at"),
        # /sla status breached: tickets with a breach, most urgent first, without scanning the others.
        Index("ix_tickets_breach_due", "team_id", "is_open", "has_breach", "next_due_at"),
        # /sla status at-risk: past the at-risk instant and not yet due, counted on the index alone (0011)
        Index("ix_tickets_risk_due", "team_id", "is_open", "has_breach", "next_risk_at", "next_due_at"),
        # one ticket per source message: a concurrent redelivery of the opening message cannot open a second
        # (duplicates stored before migration 0007 are closed and marked ``duplicate_of``, outside the index)
        Index(
            "uq_tickets_source_message",
            "team_id",
            "channel_id",
            "source_ts",
            unique=True,
            postgresql_where=text(ONE_TICKET_PER_MESSAGE),
            sqlite_where=text(ONE_TICKET_PER_MESSAGE),
        ),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    number: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(32))
    #: ``<source>:<its id there>`` (``zendesk:35436``): the intake's idempotency key for the ticket
    external_ref: Mapped[str | None] = mapped_column(String(200))
    #: what the helpdesk the ticket came from calls it — its system (``zendesk``, ``jira``, a webhook
    #: source's or the import's name) and its id there (``35436``, ``GLX-7``): shown on every surface,
    #: accepted by every command that takes a ticket (``bot.services.ticket_keys``)
    external_system: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    thread_ts: Mapped[str | None] = mapped_column(TS)
    requester: Mapped[str | None] = mapped_column(SLACK_ID)
    assignee: Mapped[str | None] = mapped_column(SLACK_ID)
    priority: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="open")
    client_key: Mapped[str | None] = mapped_column(String(100))
    contract_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contract_versions.id", ondelete="SET NULL")
    )
    title: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: neither resolved nor closed (kept in step by the repository; indexed for /sla status).
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    #: denormalised from the timer projection: earliest due_at of a running timer / earliest at-risk instant.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: some timer of the ticket is (or was) breached.
    has_breach: Mapped[bool] = mapped_column(Boolean, default=False)
    #: last event sequence number handed out for this ticket.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    #: the one live status message of the ticket (updated in place with chat.update).
    status_channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    status_message_ts: Mapped[str | None] = mapped_column(TS)
    #: the ts of the Slack message the ticket was opened from (the thread's root, or a later reply in the
    #: thread for a successor ticket): with team and channel, the ticket's unique source message
    source_ts: Mapped[str | None] = mapped_column(TS)
    #: a younger ticket of a message that already had one (closed by migration 0007): the ticket kept
    duplicate_of: Mapped[int | None] = mapped_column(BigId)


class TicketEventRow(Base):
    __tablename__ = "ticket_events"
    __table_args__ = (
        UniqueConstraint("ticket_id", "seq"),
        UniqueConstraint("team_id", "source", "external_id"),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    client: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str | None] = mapped_column(SLACK_ID)
    note: Mapped[str | None] = mapped_column(Text)
    #: where the event came from (e.g. "slack", a webhook source name) and its id there: idempotency.
    source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MetricTimerRow(Base):
    __tablename__ = "metric_timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "metric", "cycle"),
        Index(
            "ix_metric_timers_next_alert_at",
            "next_alert_at",
            postgresql_where=text("next_alert_at IS NOT NULL"),
            sqlite_where=text("next_alert_at IS NOT NULL"),
        ),
        Index("ix_metric_timers_team_stopped", "team_id", "stopped_at"),
        Index("ix_metric_timers_team_breached", "team_id", "breached_at"),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[float] = mapped_column(Float)
    calendar_name: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    business_elapsed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    paused_for_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    pause_reason: Mapped[str | None] = mapped_column(String(100))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    elapsed_at_resume_seconds: Mapped[float | None] = mapped_column(Float)
    #: instant from which /sla status counts the timer as at risk (e.g. its first warning threshold).
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key"),
        Index("ix_notifications_state_not_before", "state", "not_before"),
        Index("ix_notifications_ticket", "team_id", "ticket_id", "state"),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    idempotency_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="SET NULL"))
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    thread_ts: Mapped[str | None] = mapped_column(TS)
    payload: Mapped[Any] = mapped_column(JSONDocument)
    state: Mapped[str] = mapped_column(String(16), default=NotificationState.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    slack_ts: Mapped[str | None] = mapped_column(TS)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertMessage(Base):
    """The one Slack message of a ticket's timer (metric, cycle) in one place (channel, thread): its
    warnings and its breach update this message instead of posting a new one (docs/alerts.md)."""

    __tablename__ = "alert_messages"
    __table_args__ = (
        UniqueConstraint(
            "team_id",
            "ticket_id",
            "metric",
            "cycle",
            "channel_id",
            "thread_ts",
            name="uq_alert_messages_place",
        ),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(SLACK_ID)
    #: "" for a top-level message (a unique key treats NULLs as distinct)
    thread_ts: Mapped[str] = mapped_column(TS, default="")
    slack_ts: Mapped[str] = mapped_column(TS)
    #: the notification the message shows now (its idempotency key)
    showing: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("ticket_id"),
        Index("ix_surveys_state_closes", "state", "closes_at"),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    requester: Mapped[str | None] = mapped_column(SLACK_ID)
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    message_ts: Mapped[str | None] = mapped_column(TS)
    state: Mapped[str] = mapped_column(String(16), default=SurveyState.open.value)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    sentiment_polarity: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_scorer: Mapped[str | None] = mapped_column(String(64))
    sentiment_version: Mapped[str | None] = mapped_column(String(96))
    #: the part of a mixed or negative comment that reads as a complaint (quoted to the lead)
    sentiment_complaint: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the rating scale the survey was sent with (``1-5`` or ``good-bad``; good = 5, bad = 1)
    scale: Mapped[str | None] = mapped_column(String(16))


class NpsResponse(Base):
    __tablename__ = "nps_responses"
    __table_args__ = (Index("ix_nps_responses_team_at", "team_id", "at"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    user_id: Mapped[str] = mapped_column(SLACK_ID)
    client_key: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    period_key: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    sentiment_polarity: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_scorer: Mapped[str | None] = mapped_column(String(64))
    sentiment_version: Mapped[str | None] = mapped_column(String(96))
    #: the part of a mixed or negative comment that reads as a complaint (quoted to the lead)
    sentiment_complaint: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("team_id", "source", "external_key"),
        Index("ix_incidents_team_client_started", "team_id", "client_key", "started_at"),
    )

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    client_key: Mapped[str | None] = mapped_column(String(100))
    service: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64))
    external_key: Mapped[str | None] = mapped_column(String(200))
    planned: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("team_id", "kind", "period_key"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    kind: Mapped[str] = mapped_column(String(32))
    period_key: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: failed attempts to build the report, the last reason, and when the job gave up (no more retries).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_team_at", "team_id", "at"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    actor: Mapped[str | None] = mapped_column(SLACK_ID)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JSONDocument)
    after: Mapped[Any | None] = mapped_column(JSONDocument)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelLink(Base):
    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    channel_id: Mapped[str] = mapped_column(SLACK_ID)
    client_key: Mapped[str] = mapped_column(String(100))
    linked_by: Mapped[str | None] = mapped_column(SLACK_ID)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewDraftState(StrEnum):
    draft = "draft"
    approved = "approved"
    discarded = "discarded"


class ReviewDraft(Base):
    """A contract revision proposed from an SLA review (docs/reviews.md): draft → approved | discarded."""

    __tablename__ = "review_drafts"
    __table_args__ = (Index("ix_review_drafts_team_client", "team_id", "client_key", "created_at"),)

    id: Mapped[RowId]
    team_id: Mapped[TeamId]
    client_key: Mapped[str] = mapped_column(String(100))
    contract_key: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(32))
    #: the version the revision starts from (number and content hash in the contract file)
    base_number: Mapped[int] = mapped_column(Integer)
    base_sha256: Mapped[str] = mapped_column(String(64))
    effective: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=ReviewDraftState.draft.value)
    #: {priority: {metric: seconds}} — the targets that change
    proposal: Mapped[Any] = mapped_column(JSONDocument)
    version_yaml: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text)
    #: the dry run on the period's history: {"before": [...], "after": [...], "lines": [...]}
    dry_run: Mapped[Any] = mapped_column(JSONDocument)
    created_by: Mapped[str | None] = mapped_column(SLACK_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(SLACK_ID)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contract_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contract_versions.id", ondelete="SET NULL")
    )


class InboxItem(Base):
    """A verified Slack request, stored before Slack got its 200 (``bot.inbox``): processed right
    after, processed again when that failed, kept (without its body) to recognise redeliveries."""

    __tablename__ = "slack_inbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_slack_inbox_state_lease", "state", "lease_until"),
        Index("ix_slack_inbox_received_at", "received_at"),
    )

    id: Mapped[RowId]
    #: ``event:<event_id>`` (Events API) or ``sig:<signature>`` (commands, interactivity)
    key: Mapped[str] = mapped_column(String(200))
    #: the workspace the payload names (not yet verified by an installation: no foreign key)
    team_id: Mapped[str | None] = mapped_column(TEAM)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[Any] = mapped_column(JSONDocument)
    #: pending (stored, not yet processed or processing failed) → done | failed (gave up)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
