"""The contract as the domain sees it: clients, dated contract versions, targets, thresholds, alert
routing, uptime, credits, review and survey settings, and the :class:`ContractBook` that holds them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

from sla.calendar import BusinessCalendar
from sla.contracts.file import (
    BASE_STATUSES,
    BUILTIN_24X7,
    ConversationSpec,
    KeyPath,
    VersionSpec,
    YamlDocument,
    did_you_mean,
)
from sla.contracts.values import (
    read_threshold,
    threshold_text,
)
from sla.conversation import ConversationRules, IntakeRules
from sla.durations import compact_duration
from sla.metrics import Metric
from sla.quiet_hours import QuietHours
from sla.roles import ClientRoles, RoleTable


@dataclass(frozen=True)
class Agents:
    """Who counts as an agent: listed users, and/or the members of one Slack user group."""

    users: frozenset[str] = frozenset()
    usergroup: str | None = None


@dataclass(frozen=True)
class Roles:
    """``roles:`` — admins, leads and managers of every client (user or user-group ids)."""

    admins: frozenset[str] = frozenset()
    leads: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Client:
    """A client: its Slack channels and people, and the contract it is on."""

    key: str
    name: str
    channels: tuple[str, ...]
    contract: str
    contacts: tuple[str, ...] = ()
    lead: str | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    timezone: ZoneInfo | None = None
    #: this client's own leads (its ``lead`` among them) and managers (``clients.<key>.roles``)
    leads: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Service:
    """A service the contract covers; the description says what exactly is provided."""

    name: str
    description: str | None = None
    uptime_target: float | None = None  # percent, e.g. 99.9


@dataclass(frozen=True)
class Threshold:
    """When to warn: at a share of the target (``percent``) or some time before due (``before``)."""

    percent: float | None = None
    before: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.before is None):
            raise ValueError("a threshold has exactly one of percent and before")
        if self.percent is not None and not self.percent > 0:
            raise ValueError("a threshold percentage must be above 0")
        if self.before is not None and self.before <= timedelta(0):
            raise ValueError("a threshold's time before due must be positive")

    @classmethod
    def parse(cls, text: str) -> Threshold:
        """``"75%"`` or ``"15m"`` / ``"15m before"``; raises ``ValueError`` with a hint."""
        percent, before = read_threshold(text)
        return cls(percent=percent, before=before)

    @property
    def key(self) -> str:
        """Stable id, part of alert idempotency keys: ``"50%"`` or ``"15m-before"``."""
        if self.percent is not None:
            return f"{self.percent:g}%"
        assert self.before is not None
        return f"{compact_duration(self.before)}-before"

    @property
    def text(self) -> str:
        """The contract-file form: ``"50%"`` or ``"15m"``."""
        return threshold_text(self.percent, self.before)

    def elapsed_at(self, target: timedelta) -> timedelta | None:
        """Business time elapsed at which this warning fires for ``target``, whole seconds.

        ``None`` when it would fire at or before the start, or at or after the due instant.
        """
        total = int(target.total_seconds())
        if self.percent is not None:
            at = round(total * self.percent / 100)
        else:
            assert self.before is not None
            at = total - int(self.before.total_seconds())
        return timedelta(seconds=at) if 0 < at < total else None


@dataclass(frozen=True)
class Target:
    """A promise for one metric: met within ``duration`` of ``calendar`` time."""

    metric: Metric
    duration: timedelta
    calendar_name: str
    calendar: BusinessCalendar = field(compare=False, repr=False)


@dataclass(frozen=True)
class EscalationLevel:
    """After a breach has lasted ``after``, notify these users/groups (in ``channel`` if set)."""

    after: timedelta
    notify: tuple[str, ...]
    channel: str | None = None


@dataclass(frozen=True)
class AlertRouting:
    """Where warnings and breach notices go."""

    channel: str | None = None
    lead: str | None = None
    escalate_to: str | None = None
    thread: bool = True
    #: the thread of a ticket in a client's channel: "status" (the client-safe card) or "none" (nothing)
    client_thread: Literal["none", "status"] = "status"
    met_note: bool = False
    escalation: tuple[EscalationLevel, ...] = ()
    #: warnings and non-paging breaches wait while these last (None: alerts go out at any hour)
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True)
class PriorityRule:
    """Words or reactions that mark a new ticket as this priority."""

    priority: str
    keywords: tuple[str, ...] = ()
    emoji: tuple[str, ...] = ()


@dataclass(frozen=True)
class Objective:
    """An attainment objective: ``target`` percent of ``metric`` met per ``window``."""

    metric: Metric
    priority: str | None  # None = all priorities
    target: float  # percent
    window: Literal["week", "month", "quarter"] = "month"


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned maintenance, excluded from downtime; empty ``services`` = all services."""

    start: datetime
    end: datetime
    services: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class Uptime:
    target: float | None = None  # percent, for every service without its own uptime_target
    maintenance: tuple[MaintenanceWindow, ...] = ()


@dataclass(frozen=True)
class CreditTier:
    """Monthly uptime below ``below`` percent earns ``credit`` percent of the monthly fee."""

    below: float
    credit: float


@dataclass(frozen=True)
class Credits:
    uptime_tiers: tuple[CreditTier, ...] = ()  # sorted from the highest ``below`` down
    per_breach: Mapping[str, float] = field(default_factory=dict)  # priority -> percent of fee
    cap: float | None = None  # percent of the monthly fee
    claim_within: timedelta = timedelta(days=30)  # calendar time after the month ends


@dataclass(frozen=True)
class Review:
    cadence: Literal["monthly", "quarterly", "yearly"] = "quarterly"
    lead: str | None = None


@dataclass(frozen=True)
class NpsSurvey:
    cadence: Literal["monthly", "quarterly", "yearly"] = "quarterly"


@dataclass(frozen=True)
class Survey:
    enabled: bool = True
    via: Literal["thread", "dm"] = "thread"
    scale: Literal["1-5", "good-bad"] = "1-5"
    who: Literal["requester", "client"] = "requester"
    window: timedelta = timedelta(days=7)
    reminder_after: timedelta | None = timedelta(hours=24)
    min_interval: timedelta | None = None
    sample_rate: float = 1.0
    nps: NpsSurvey | None = None


@dataclass(frozen=True)
class SourceValues:
    """A contract's mapping of one ticket source's values (``sources.<source>`` in the file):
    ``priorities`` maps an id or a name the source sends to a contract priority, ``statuses`` to
    ``open`` / ``waiting_on_client`` / ``on_hold`` / a declared status / ``resolved`` / ``closed``.
    Integration settings, not a promise: a change does not make a new contract version."""

    priorities: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ContractVersion:
    """One dated version of a contract: everything promised from ``effective`` on."""

    contract_key: str
    number: int
    effective: date
    effective_from: datetime  # 00:00 of ``effective`` in the version calendar's zone, as UTC
    services: tuple[Service, ...]
    calendar_name: str
    calendar: BusinessCalendar = field(repr=False)
    statuses: tuple[str, ...] = BASE_STATUSES
    pause_on: Mapping[str, frozenset[Metric]] = field(default_factory=dict)
    warn_at: tuple[Threshold, ...] = ()
    alerts: AlertRouting = AlertRouting()
    default_priority: str = ""
    priorities: tuple[str, ...] = ()
    priority_rules: tuple[PriorityRule, ...] = ()
    targets: Mapping[str, Mapping[Metric, Target]] = field(default_factory=dict, repr=False)
    objectives: tuple[Objective, ...] = ()
    uptime: Uptime = Uptime()
    credits: Credits = Credits()
    review: Review = Review()
    survey: Survey = Survey()
    sha256: str = ""
    spec: VersionSpec | None = field(default=None, repr=False)
    #: the contract's ``sources`` mappings (the same for every version; not part of ``sha256``)
    sources: Mapping[str, SourceValues] = field(default_factory=dict, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContractVersion):
            return NotImplemented
        return (self.contract_key, self.number, self.sha256) == (
            other.contract_key,
            other.number,
            other.sha256,
        )

    def __hash__(self) -> int:
        return hash((self.contract_key, self.number, self.sha256))

    def target_for(self, priority: str, metric: Metric | str) -> Target | None:
        """The target of ``metric`` at ``priority``; None if not promised (or unknown priority)."""
        return self.targets.get(priority, {}).get(Metric(metric))

    def pauses(self, status: str, metric: Metric | str) -> bool:
        """Whether a ticket in ``status`` has its ``metric`` clock paused."""
        return Metric(metric) in self.pause_on.get(status, frozenset())

    def rank(self, priority: str) -> int:
        """0 for the most urgent priority; ``ValueError`` for an unknown one."""
        return self.priorities.index(priority)

    def priority_for(self, text: str = "", emoji: Iterable[str] = ()) -> str:
        """The most urgent priority whose keywords or emoji match, else ``default_priority``."""
        words = set(re.findall(r"[\w'-]+", text.lower()))
        lowered = text.lower()
        reactions = {e.strip(":") for e in emoji}
        for rule in self.priority_rules:
            for keyword in rule.keywords:
                k = keyword.lower()
                if (k in words) if " " not in k else (k in lowered):
                    return rule.priority
            if reactions & set(rule.emoji) or any(f":{e}:" in lowered for e in rule.emoji):
                return rule.priority
        return self.default_priority

    def to_dict(self, *, with_defaults: bool = False) -> dict[str, Any]:
        """The version in contract-file form (durations ``15m``, percentages ``95%``)."""
        if self.spec is None:
            raise ValueError("this version was not built from a contract file")
        return self.spec.model_dump(mode="json", exclude_defaults=not with_defaults)

    def to_yaml(self) -> str:
        """The version as a YAML list item for ``contracts.<key>.versions`` (re-loadable)."""
        data = self.to_dict()
        data["effective"] = self.effective  # a YAML date, not a quoted string
        return yaml.safe_dump([data], sort_keys=False, allow_unicode=True, width=100)


@dataclass(frozen=True, eq=False)
class Contract:
    key: str
    versions: tuple[ContractVersion, ...]
    name: str | None = None
    #: the helpdesk rules of the contract (``conversation:``; the same for every version)
    conversation: ConversationRules = ConversationRules()

    def version_for(self, at: datetime) -> ContractVersion:
        """The version in force at ``at`` (the earliest one if ``at`` precedes them all)."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("version_for needs a timezone-aware datetime")
        chosen = self.versions[0]
        for version in self.versions:
            if version.effective_from <= at:
                chosen = version
            else:
                break
        return chosen

    def version(self, number: int) -> ContractVersion:
        """Version ``number`` (1-based); ``KeyError`` if there is none."""
        if 1 <= number <= len(self.versions):
            return self.versions[number - 1]
        raise KeyError(f"contract '{self.key}' has no version {number}")


@dataclass(frozen=True, eq=False)
class ContractBook:
    """Everything in one contract file, validated."""

    calendars: Mapping[str, BusinessCalendar]
    clients: Mapping[str, Client]
    contracts: Mapping[str, Contract]
    agents: Agents
    source: str
    sha256: str
    document: YamlDocument = field(repr=False)
    roles: Roles = Roles()

    def client(self, key: str) -> Client:
        try:
            return self.clients[key]
        except KeyError:
            hint = did_you_mean(key, self.clients)
            raise KeyError(f"unknown client '{key}'" + (f" — {hint}" if hint else "")) from None

    def client_for_channel(self, channel_id: str) -> Client | None:
        for client in self.clients.values():
            if channel_id in client.channels:
                return client
        return None

    def version_for(self, client_key: str, at: datetime) -> ContractVersion:
        return self.contracts[self.client(client_key).contract].version_for(at)

    def conversation_for(self, client_key: str) -> ConversationRules:
        """The conversation rules of the client's contract."""
        return self.contracts[self.client(client_key).contract].conversation

    def calendar(self, name: str) -> BusinessCalendar:
        """A calendar by name (``24x7`` is built in); ``KeyError`` if unknown."""
        if name in self.calendars:
            return self.calendars[name]
        if name == BUILTIN_24X7:
            return _ALWAYS
        raise KeyError(f"unknown calendar '{name}'")

    def line_of(self, path: KeyPath) -> int:
        return self.document.line_of(path)

    def all_versions(self) -> list[ContractVersion]:
        return [v for c in self.contracts.values() for v in c.versions]

    def role_table(self, admins: Iterable[str] = ()) -> RoleTable:
        """The file's roles (``agents:``, ``roles:``, each client's ``lead``, ``roles`` and ``contacts``),
        with ``admins`` (``SLABOT_ADMINS``) added to ``roles.admins``."""
        agents = set(self.agents.users) | ({self.agents.usergroup} if self.agents.usergroup else set())
        return RoleTable(
            agents=frozenset(agents),
            admins=self.roles.admins | frozenset(admins),
            leads=self.roles.leads,
            managers=self.roles.managers,
            clients={
                key: ClientRoles(leads=c.leads, managers=c.managers, contacts=frozenset(c.contacts))
                for key, c in self.clients.items()
            },
        )


def conversation_rules(spec: ConversationSpec) -> ConversationRules:
    """The domain's rules from the file's ``conversation:`` section."""
    return ConversationRules(
        resume_on_client_reply=spec.resume_on_client_reply,
        reopen_within=spec.reopen_within,
        intake=IntakeRules(
            acknowledgements=spec.intake.acknowledgements,
            min_chars=spec.intake.min_chars,
            internal_users=frozenset(spec.intake.internal.users),
            internal_usergroups=frozenset(spec.intake.internal.usergroups),
        ),
    )


_ALWAYS = BusinessCalendar.always("UTC", name=BUILTIN_24X7)

#: the domain values of a contract (``sla.contracts`` offers each of them)
__all__ = [
    "Agents",
    "AlertRouting",
    "Client",
    "Contract",
    "ContractBook",
    "ContractVersion",
    "CreditTier",
    "Credits",
    "EscalationLevel",
    "MaintenanceWindow",
    "NpsSurvey",
    "Objective",
    "PriorityRule",
    "Review",
    "Roles",
    "Service",
    "SourceValues",
    "Survey",
    "Target",
    "Threshold",
    "Uptime",
]
