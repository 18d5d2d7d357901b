"""``Services``: what one app instance offers its listeners, commands and jobs.

``bot.app.bootstrap`` builds one per runtime; nothing here is shared between two runtimes in one
process. The core use cases are always present; a feature installed by ``bootstrap`` sets its own
typed field (``None`` until then). The ``/sla`` command table is the instance's too
(``commands``: command type → handler), so two runtimes never answer for each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock
from bot.services.answer_cache import AnswerCache
from bot.services.conversation import Conversations
from bot.services.delivery import failed_alerts
from bot.services.intake import IntakeLog
from bot.services.people import AgentDirectory
from bot.services.tickets import TicketService
from bot.settings import Settings
from sla.contracts import ContractBook
from storage.repositories import ComplianceCount
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.services.home_refresh import HomeRefresher
    from bot.services.incidents import UptimeService
    from bot.services.reports import PendingReports, ReportService
    from bot.services.reviews import ReviewService
    from bot.services.surveys import SurveyService
    from bot.sources.ingest import TicketIngest

log = logging.getLogger(__name__)

#: ``(services, caller, command) -> Answer``: one ``/sla`` subcommand (``handlers.commands``)
CommandHandler = Callable[["Services", Any, Any], Any]
#: called after a command or action changed something: ``(team_id, result)``
AfterChange = Callable[[str, Any], None]


class TicketWebhooks(Protocol):
    """The ticket webhooks (``bot.sources.webhooks.Webhooks``): routes over one ingest."""

    ingest: TicketIngest


class OperationsRoutes(Protocol):
    """A runtime's operations routes (``bot.ops.health.Operations``, part of the process shell)."""

    health: Any  # bot.ops.health.Health: readiness checks and the stopping flag
    metrics: Callable[[Any], Any]
    metrics_guarded: Callable[[Any], Any]


@dataclass
class Services:
    """Everything a listener may call: the use cases and what they share."""

    settings: Settings
    clock: Clock
    book: ContractBook
    uow: UnitOfWork
    tickets: TicketService
    people: AgentDirectory
    #: ``team_id -> slack_sdk.WebClient | None`` (None: the workspace has no installation)
    client_for: Callable[[str], Any]
    #: rendered ``/sla status`` answers for a few seconds, dropped when a ticket of the team changes
    answers: AnswerCache[Any]
    #: which client a channel belongs to, for a few seconds (``link_channel`` drops it at once)
    channel_clients: AnswerCache[str | None]
    hooks: list[AfterChange] = field(default_factory=list)
    #: deliveries of any source that changed no clock (bots, notices, unknown shapes), by reason
    intake: IntakeLog = field(default_factory=IntakeLog)
    #: this instance's ``/sla`` subcommands: grammar command type → handler
    commands: dict[type, CommandHandler] = field(default_factory=dict)
    #: what a person's message in a client's channel does (``bot.services.conversation``)
    conversations: Conversations = field(init=False)

    # ---- features (set by their ``install`` in bootstrap; None when not installed) ----------------
    #: App Home republishing (``handlers.home``)
    home_refresher: HomeRefresher | None = None
    #: CSAT/NPS surveys; called as ``feedback(team_id, client_key, period) -> FeedbackFigures``
    feedback: SurveyService | None = None
    #: incidents, uptime and credits
    uptime: UptimeService | None = None
    #: compliance reports
    reports: ReportService | None = None
    #: reports being built after their ack
    reports_pending: PendingReports | None = None
    #: SLA reviews and contract revisions
    reviews: ReviewService | None = None
    #: ticket sources (the webhooks' routes, :class:`bot.sources.webhooks.Webhooks`)
    sources: TicketWebhooks | None = None
    #: health checks and /metrics (``bot.features.ops``: a ``bot.ops.health.Operations``): what the ops
    #: listeners serve
    ops: OperationsRoutes | None = None

    def __post_init__(self) -> None:
        self.conversations = Conversations(
            tickets=self.tickets, people=self.people, book=self.book, intake=self.intake
        )

    @property
    def extras(self) -> Mapping[str, Any]:
        """The installed features by their documented names (``extras["feedback"]``, ``["uptime"]``,
        ``["reports"]``, ``["reviews"]``, ``["sources"]``, ``["home_refresher"]``): a live, read-only
        view of the typed fields, for code written against the earlier ``extras`` dict."""
        return FeatureView(self)

    def client_for_channel(self, team_id: str, channel_id: str) -> str | None:
        return self.channel_clients.get_or_compute(
            team_id, channel_id, lambda: self._client_for_channel(team_id, channel_id)
        )

    def _client_for_channel(self, team_id: str, channel_id: str) -> str | None:
        with self.uow.begin(read_only=True) as tx:
            linked = tx.channel_links.client_for_channel(team_id=team_id, channel_id=channel_id)
        if linked is not None:
            return linked
        client = self.book.client_for_channel(channel_id)
        return client.key if client else None

    def link_channel(self, *, team_id: str, channel_id: str, client_key: str, actor: str | None) -> None:
        now = self.clock.now()
        with self.uow.begin() as tx:
            tx.channel_links.link(
                team_id=team_id, channel_id=channel_id, client_key=client_key, linked_by=actor, at=now
            )
            tx.audit.record(
                team_id=team_id,
                actor=actor,
                action="channel.link",
                target=channel_id,
                after={"client": client_key},
                at=now,
            )
        self.channel_clients.invalidate(team_id)
        self.answers.invalidate(team_id)

    def compliance_counts(
        self, *, team_id: str, start: datetime, end: datetime, now: datetime
    ) -> list[ComplianceCount]:
        """Met/breached clocks decided in ``[start, end)`` as of ``now`` (an overdue running clock
        is breached, recorded or not) per client × priority × metric (App Home)."""
        with self.uow.begin(read_only=True) as tx:
            return tx.reports.compliance_counts(team_id=team_id, start=start, end=end, now=now)

    def failed_alerts(self, team_id: str) -> list[str]:
        """Failed alert deliveries and report jobs (``/sla admin alerts``)."""
        lines = [
            f"{a.kind} for {a.ref} to <#{a.channel_id}>: {a.error} (after {a.attempts} attempts)"
            for a in failed_alerts(self.uow, team_id)
        ]
        with self.uow.begin(read_only=True) as tx:
            runs = tx.report_runs.failures(team_id=team_id)
        for run in runs:
            what = run.kind.replace("_", " ")
            when = "given up" if run.failed_at is not None else "retried on the next run"
            lines.append(
                f"{what} {run.period_key} failed: {run.last_error} ({run.attempts} attempts, {when}; "
                f"`slabot report {run.period_key}` builds it by hand)"
            )
        return lines

    def after_change(self, team_id: str, result: Any) -> None:
        """Called after a command or action changed something (live status message, App Home)."""
        for hook in self.hooks:
            try:
                hook(team_id, result)
            except Exception:
                log.exception("after-change hook failed")


#: ``extras`` name → ``Services`` field
FEATURE_FIELDS: Mapping[str, str] = {
    "home_refresher": "home_refresher",
    "feedback": "feedback",
    "uptime": "uptime",
    "reports": "reports",
    "reports.pending": "reports_pending",
    "reviews": "reviews",
    "sources": "sources",
    "ops": "ops",
}


class FeatureView(Mapping[str, Any]):
    """The installed features of one :class:`Services`, by name (read-only, always current)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def __getitem__(self, name: str) -> Any:
        attribute = FEATURE_FIELDS.get(name)
        value = getattr(self._services, attribute) if attribute else None
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (
            name
            for name, attribute in FEATURE_FIELDS.items()
            if getattr(self._services, attribute) is not None
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)
