"""Contracts as code: who the clients are, what was promised to them, and from when.

One YAML file (see ``docs/contracts.md``) holds ``agents``, ``calendars``, ``clients`` and
``contracts``; every contract has dated **versions** and a ticket keeps the version that was
in force when it opened. :func:`load_contracts` reads the file into an immutable
:class:`ContractBook` or raises :class:`ContractFileError` listing *every* problem with its
``file:line``, field path and a hint. :func:`check_contracts` adds SMART warnings (targets
that cannot be met, thresholds that never fire, ...) that never make a file invalid.

Reading the file (YAML with line numbers, the schema) lives in :mod:`sla.contract_file`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from sla.calendar import BusinessCalendar, CalendarConfigError
from sla.contract_file import (
    BASE_STATUSES,
    BUILTIN_24X7,
    AgentsSpec,
    ClientSpec,
    ConfigIssue,
    ContractFileError,
    ContractSpec,
    FileSpec,
    KeyPath,
    VersionSpec,
    YamlDocument,
    did_you_mean,
    issues_from_validation,
    read_threshold,
    read_yaml,
    suggestion,
    threshold_text,
)
from sla.durations import compact_duration, format_duration
from sla.metrics import Metric

__all__ = [
    "Agents",
    "AlertRouting",
    "Client",
    "ConfigIssue",
    "Contract",
    "ContractBook",
    "ContractFileError",
    "ContractVersion",
    "CreditTier",
    "Credits",
    "EscalationLevel",
    "MaintenanceWindow",
    "NpsSurvey",
    "Objective",
    "PriorityRule",
    "Review",
    "Service",
    "Survey",
    "Target",
    "Threshold",
    "Uptime",
    "check_contracts",
    "format_check_report",
    "load_contracts",
    "load_contracts_text",
    "render_contract_plain",
]


# --------------------------------------------------------------------------- domain values


@dataclass(frozen=True)
class Agents:
    """Who counts as an agent: listed users, and/or the members of one Slack user group."""

    users: frozenset[str] = frozenset()
    usergroup: str | None = None


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
    met_note: bool = False
    escalation: tuple[EscalationLevel, ...] = ()


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


_ALWAYS = BusinessCalendar.always("UTC", name=BUILTIN_24X7)


# --------------------------------------------------------------------------- loading


def load_contracts(path: str | PathLike[str]) -> ContractBook:
    """Read and validate a contract file; raises :class:`ContractFileError` listing every problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractFileError(
            [
                ConfigIssue(
                    name, None, "(file)", "no such file", "check the path, e.g. examples/contracts.yaml"
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractFileError(
            [ConfigIssue(name, None, "(file)", f"cannot read the file: {exc}", None)]
        ) from None
    return load_contracts_text(text, filename=name)


def load_contracts_text(text: str, filename: str = "<string>") -> ContractBook:
    """Validate contract-file text; raises :class:`ContractFileError` listing every problem."""
    doc, issues = read_yaml(text, filename)
    if doc is None:
        raise ContractFileError(issues)
    book = _Builder(doc, issues, hashlib.sha256(text.encode("utf-8")).hexdigest()).build()
    if issues or book is None:
        raise ContractFileError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return book


class _Builder:
    """Validates section by section so that every problem is reported, then links references."""

    def __init__(self, doc: YamlDocument, issues: list[ConfigIssue], sha256: str) -> None:
        self.doc = doc
        self.issues = issues
        self.sha256 = sha256

    def error(self, path: KeyPath, message: str, hint: str | None = None) -> None:
        self.issues.append(self.doc.issue(path, message, hint))

    def build(self) -> ContractBook | None:
        data = self.doc.data
        if not isinstance(data, Mapping):
            self.error(
                (),
                f"the top level must be a mapping, got {type(data).__name__}",
                "start with the keys agents:, calendars:, clients: and contracts: (see examples/contracts.yaml)",
            )
            return None
        try:
            FileSpec.model_validate(data)
        except ValidationError as exc:
            self.issues.extend(issues_from_validation(exc, self.doc, (), FileSpec))

        agents = self._agents(data.get("agents"))
        raw_calendars = data.get("calendars") if isinstance(data.get("calendars"), Mapping) else {}
        raw_contracts = data.get("contracts") if isinstance(data.get("contracts"), Mapping) else {}
        raw_clients = data.get("clients") if isinstance(data.get("clients"), Mapping) else {}
        calendars = self._calendars(raw_calendars)
        calendar_names = set(raw_calendars) | {BUILTIN_24X7}
        contracts = self._contracts(raw_contracts, calendars, calendar_names)
        clients = self._clients(raw_clients, raw_contracts)
        if self.issues:
            return None
        return ContractBook(
            calendars=calendars,
            clients=clients,
            contracts=contracts,
            agents=agents,
            source=self.doc.filename,
            sha256=self.sha256,
            document=self.doc,
        )

    # -- sections

    def _agents(self, raw: Any) -> Agents:
        if raw is None:
            return Agents()
        try:
            spec = AgentsSpec.model_validate(raw)
        except ValidationError as exc:
            self.issues.extend(issues_from_validation(exc, self.doc, ("agents",), AgentsSpec))
            return Agents()
        return Agents(users=frozenset(spec.users), usergroup=spec.usergroup)

    def _calendars(self, raw: Mapping[Any, Any]) -> dict[str, BusinessCalendar]:
        out: dict[str, BusinessCalendar] = {}
        for key, entry in raw.items():
            path: KeyPath = ("calendars", key)
            if not isinstance(key, str):
                self.error(path, f"a calendar name must be text, got {key!r}", "put the name in quotes")
                continue
            try:
                out[key] = BusinessCalendar.from_config(entry, name=key)
            except CalendarConfigError as exc:
                self.error(path + tuple(exc.path), exc.problem, exc.hint)
            except (ValueError, TypeError, KeyError) as exc:
                self.error(path, f"cannot use this calendar: {exc}", "see docs/contracts.md#calendars")
        return out

    def _clients(self, raw: Mapping[Any, Any], raw_contracts: Mapping[Any, Any]) -> dict[str, Client]:
        out: dict[str, Client] = {}
        owner_of_channel: dict[str, str] = {}
        for key, entry in raw.items():
            path: KeyPath = ("clients", key)
            if not isinstance(key, str):
                self.error(path, f"a client key must be text, got {key!r}", "put the key in quotes")
                continue
            try:
                spec = ClientSpec.model_validate(entry)
            except ValidationError as exc:
                self.issues.extend(issues_from_validation(exc, self.doc, path, ClientSpec))
                continue
            if spec.contract not in raw_contracts:
                self.error(
                    (*path, "contract"),
                    f"unknown contract '{spec.contract}'",
                    suggestion(spec.contract, [str(k) for k in raw_contracts], "contracts defined"),
                )
            for i, channel in enumerate(spec.channels):
                other = owner_of_channel.get(channel)
                if other is not None and other != key:
                    self.error(
                        (*path, "channels", i),
                        f"channel {channel} is already listed for client '{other}'",
                        "a support channel belongs to exactly one client — remove it from one of them",
                    )
                owner_of_channel.setdefault(channel, key)
            out[key] = Client(
                key=key,
                name=spec.name or key,
                channels=tuple(dict.fromkeys(spec.channels)),
                contract=spec.contract,
                contacts=tuple(spec.contacts),
                lead=spec.lead,
                monthly_fee=spec.monthly_fee,
                currency=spec.currency,
                timezone=ZoneInfo(spec.timezone) if spec.timezone else None,
            )
        return out

    def _contracts(
        self,
        raw: Mapping[Any, Any],
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> dict[str, Contract]:
        out: dict[str, Contract] = {}
        for key, entry in raw.items():
            path: KeyPath = ("contracts", key)
            if not isinstance(key, str):
                self.error(path, f"a contract key must be text, got {key!r}", "put the key in quotes")
                continue
            try:
                shell = ContractSpec.model_validate(entry)
            except ValidationError as exc:
                self.issues.extend(issues_from_validation(exc, self.doc, path, ContractSpec))
                continue
            specs: list[tuple[int, VersionSpec]] = []
            for i, raw_version in enumerate(shell.versions):
                vpath = (*path, "versions", i)
                try:
                    specs.append((i, VersionSpec.model_validate(raw_version)))
                except ValidationError as exc:
                    self.issues.extend(issues_from_validation(exc, self.doc, vpath, VersionSpec))
            previous: tuple[int, date] | None = None
            for i, spec in specs:
                if previous is not None and spec.effective <= previous[1]:
                    same = spec.effective == previous[1]
                    self.error(
                        (*path, "versions", i, "effective"),
                        f"version {i + 1} takes effect on {spec.effective}, "
                        + ("the same day as" if same else "before")
                        + f" version {previous[0] + 1} ({previous[1]})",
                        "give each version its own effective date and list them oldest first",
                    )
                previous = (i, spec.effective)
            versions: list[ContractVersion] = []
            for i, spec in specs:
                version = self._version(key, i, spec, calendars, calendar_names)
                if version is not None:
                    versions.append(version)
            if len(versions) == len(shell.versions):
                out[key] = Contract(key=key, versions=tuple(versions), name=shell.name)
        return out

    def _calendar_ref(
        self,
        name: str,
        path: KeyPath,
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> BusinessCalendar | None:
        if name in calendars:
            return calendars[name]
        if name == BUILTIN_24X7:
            return _ALWAYS
        if name not in calendar_names:
            self.error(
                path,
                f"unknown calendar '{name}'",
                suggestion(name, [str(c) for c in calendar_names], "calendars defined"),
            )
        return None  # defined but invalid: its own error is already reported

    def _version(
        self,
        contract_key: str,
        index: int,
        spec: VersionSpec,
        calendars: Mapping[str, BusinessCalendar],
        calendar_names: set[Any],
    ) -> ContractVersion | None:
        vpath: KeyPath = ("contracts", contract_key, "versions", index)
        before = len(self.issues)
        main = self._calendar_ref(spec.calendar, (*vpath, "calendar"), calendars, calendar_names)
        priorities = tuple(spec.targets)

        def known_priority(name: str, path: KeyPath, *, allow_all: bool = False) -> None:
            if name in spec.targets or (allow_all and name == "all"):
                return
            choices = [*priorities, "all"] if allow_all else list(priorities)
            self.error(path, f"unknown priority '{name}'", suggestion(name, choices, "priorities in targets"))

        if spec.default_priority is not None:
            known_priority(spec.default_priority, (*vpath, "default_priority"))
        for p in spec.priority_rules:
            known_priority(p, (*vpath, "priority_rules", p))
        for p in spec.credits.per_breach:
            known_priority(p, (*vpath, "credits", "per_breach", p))
        for i, objective in enumerate(spec.objectives):
            known_priority(objective.priority, (*vpath, "objectives", i, "priority"), allow_all=True)

        statuses = tuple(dict.fromkeys([*BASE_STATUSES, *spec.statuses]))
        for status in spec.pause_on:
            spath = (*vpath, "pause_on", status)
            if status == "open":
                self.error(
                    spath, "the 'open' status cannot pause clocks", "pause on waiting_on_client or on_hold"
                )
            elif status not in statuses:
                self.error(
                    spath,
                    f"unknown status '{status}'",
                    did_you_mean(status, statuses)
                    or f"add it to statuses: [{status}] or use one of: " + ", ".join(statuses),
                )

        service_names = [s.name for s in spec.services]
        for i, service in enumerate(spec.services):
            if service.name in service_names[:i]:
                self.error((*vpath, "services", i, "name"), f"service '{service.name}' is listed twice", None)
        for i, window in enumerate(spec.uptime.maintenance):
            for j, name in enumerate(window.services):
                if name not in service_names:
                    self.error(
                        (*vpath, "uptime", "maintenance", i, "services", j),
                        f"unknown service '{name}'",
                        suggestion(name, service_names, "services of this version"),
                    )

        targets: dict[str, dict[Metric, Target]] = {}
        for priority, ptargets in spec.targets.items():
            ppath = (*vpath, "targets", priority)
            pcal_name = ptargets.calendar or spec.calendar
            pcal = (
                self._calendar_ref(ptargets.calendar, (*ppath, "calendar"), calendars, calendar_names)
                if ptargets.calendar
                else main
            )
            targets[priority] = {}
            for metric, tspec in ptargets.metric_targets().items():
                if tspec.calendar:
                    cal_name = tspec.calendar
                    cal = self._calendar_ref(
                        tspec.calendar, (*ppath, metric.value, "calendar"), calendars, calendar_names
                    )
                else:
                    cal_name, cal = pcal_name, pcal
                if cal is not None:
                    targets[priority][metric] = Target(metric, tspec.target, cal_name, cal)

        if len(self.issues) > before or main is None:
            return None

        default_priority = spec.default_priority or priorities[-1]
        spec = spec.model_copy(update={"default_priority": default_priority})
        referenced = {spec.calendar} | {t.calendar_name for p in targets.values() for t in p.values()}
        raw_calendars = self.doc.value_at(("calendars",)) or {}
        canonical = {
            "version": spec.model_dump(mode="json"),
            "calendars": {n: raw_calendars.get(n, n) for n in sorted(referenced)},
        }
        digest = hashlib.sha256(
            json.dumps(canonical, sort_keys=True, default=str, separators=(",", ":")).encode("utf-8")
        ).hexdigest()
        effective_from = datetime.combine(spec.effective, time(0), tzinfo=main.timezone).astimezone(
            ZoneInfo("UTC")
        )
        return ContractVersion(
            contract_key=contract_key,
            number=index + 1,
            effective=spec.effective,
            effective_from=effective_from,
            services=tuple(Service(s.name, s.description, s.uptime_target) for s in spec.services),
            calendar_name=spec.calendar,
            calendar=main,
            statuses=statuses,
            pause_on={status: frozenset(metrics) for status, metrics in spec.pause_on.items()},
            warn_at=tuple(Threshold.parse(t) for t in spec.warn_at),
            alerts=AlertRouting(
                channel=spec.alerts.channel,
                lead=spec.alerts.lead,
                escalate_to=spec.alerts.escalate_to,
                thread=spec.alerts.thread,
                met_note=spec.alerts.met_note,
                escalation=tuple(
                    EscalationLevel(e.after, tuple(e.notify), e.channel)
                    for e in sorted(spec.alerts.escalation, key=lambda e: e.after)
                ),
            ),
            default_priority=default_priority,
            priorities=priorities,
            priority_rules=tuple(
                PriorityRule(p, tuple(r.keywords), tuple(r.emoji))
                for p in priorities
                if (r := spec.priority_rules.get(p)) is not None
            ),
            targets=targets,
            objectives=tuple(
                Objective(o.metric, None if o.priority == "all" else o.priority, o.target, o.window)
                for o in spec.objectives
            ),
            uptime=Uptime(
                target=spec.uptime.target,
                maintenance=tuple(
                    MaintenanceWindow(m.start, m.end, tuple(m.services), m.reason)
                    for m in spec.uptime.maintenance
                ),
            ),
            credits=Credits(
                uptime_tiers=tuple(
                    CreditTier(t.below, t.credit)
                    for t in sorted(spec.credits.uptime_tiers, key=lambda t: -t.below)
                ),
                per_breach=dict(spec.credits.per_breach),
                cap=spec.credits.cap,
                claim_within=spec.credits.claim_within,
            ),
            review=Review(spec.review.cadence, spec.review.lead),
            survey=Survey(
                enabled=spec.survey.enabled,
                via=spec.survey.via,
                scale=spec.survey.scale,
                who=spec.survey.who,
                window=spec.survey.window,
                reminder_after=spec.survey.reminder_after,
                min_interval=spec.survey.min_interval,
                sample_rate=spec.survey.sample_rate,
                nps=NpsSurvey(spec.survey.nps.cadence) if spec.survey.nps else None,
            ),
            sha256=digest,
            spec=spec,
        )


# --------------------------------------------------------------------------- SMART checks


def _open_per_week(calendar: BusinessCalendar) -> timedelta | None:
    for name in ("min_open_per_week", "open_per_week"):
        method = getattr(calendar, name, None)
        if callable(method):
            value = method()
            return value if isinstance(value, timedelta) else timedelta(seconds=float(value))
    return None


_DAYS_UNIT = re.compile(r"\d\s*[dw]", re.IGNORECASE)


def check_contracts(
    book: ContractBook, *, sweep_interval: timedelta = timedelta(seconds=10)
) -> list[ConfigIssue]:
    """SMART warnings: promises that are vague, unreachable or that alerts cannot keep. Never fatal."""
    doc = book.document
    out: list[ConfigIssue] = []

    def warn(path: KeyPath, message: str, hint: str | None = None) -> None:
        out.append(doc.issue(path, message, hint, severity="warning"))

    for key, client in book.clients.items():
        if not client.channels:
            warn(
                ("clients", key, "channels"),
                f"client '{key}' has no channel, so no ticket can reach its contract",
                "add the Slack id of its support channel, e.g. channels: [C0123456789]",
            )

    for contract in book.contracts.values():
        for index, version in enumerate(contract.versions):
            vpath: KeyPath = ("contracts", contract.key, "versions", index)
            _check_services(version, vpath, warn)
            _check_order(version, vpath, warn)
            _check_thresholds(version, vpath, warn)
            for priority, metrics in version.targets.items():
                for metric, target in metrics.items():
                    tpath = (*vpath, "targets", priority, metric.value)
                    _check_target(book, version, target, tpath, sweep_interval, warn)
            if version.alerts.channel is None:
                warn(
                    (*vpath, "alerts"),
                    "no alert channel: breach notices have nowhere to go",
                    "set alerts: {channel: C0123456789}",
                )
    return sorted(out, key=lambda i: (i.line or 0, i.path))


def _check_services(version: ContractVersion, vpath: KeyPath, warn: Any) -> None:
    if not version.services:
        warn(
            (*vpath, "services"),
            "no services described: the contract does not say what is supported",
            "add services: [{name: ..., description: what exactly is provided}]",
        )
    for i, service in enumerate(version.services):
        if not (service.description or "").strip():
            warn(
                (*vpath, "services", i),
                f"service '{service.name}' has no description",
                "say what exactly is provided (channels, hours, scope) to avoid ambiguity",
            )


def _check_order(version: ContractVersion, vpath: KeyPath, warn: Any) -> None:
    """A more urgent priority must not get a longer target than a less urgent one."""
    for metric in Metric:
        seen: list[tuple[str, timedelta]] = []
        for priority in version.priorities:
            target = version.target_for(priority, metric)
            if target is None:
                continue
            tighter = [(p, d) for p, d in seen if d > target.duration]
            if tighter:
                urgent, longer = tighter[0]
                warn(
                    (*vpath, "targets", urgent, metric.value),
                    f"{urgent} {metric.value} ({compact_duration(longer)}) is looser than "
                    f"{priority}'s ({compact_duration(target.duration)})",
                    "priorities are listed most urgent first — give a more urgent priority the shorter target",
                )
            seen.append((priority, target.duration))


def _check_thresholds(version: ContractVersion, vpath: KeyPath, warn: Any) -> None:
    """A warning that falls at or after the due instant (or before the start) never fires."""
    for i, threshold in enumerate(version.warn_at):
        if threshold.percent is not None:
            if threshold.percent >= 100:
                warn(
                    (*vpath, "warn_at", i),
                    f"warning '{threshold.text}' falls at or after the due instant, so it never warns",
                    "use a percentage below 100%; the breach notice covers the due instant",
                )
            continue
        missed = [
            f"{priority} {metric.value} ({compact_duration(target.duration)})"
            for priority, metrics in version.targets.items()
            for metric, target in metrics.items()
            if threshold.elapsed_at(target.duration) is None
        ]
        if missed:
            warn(
                (*vpath, "warn_at", i),
                f"warning '{threshold.text}' before due never fires for "
                + ", ".join(missed)
                + ": it would fall at or before the clock starts",
                "use a shorter time before due, or rely on the percentage warnings for short targets",
            )


def _check_target(
    book: ContractBook,
    version: ContractVersion,
    target: Target,
    tpath: KeyPath,
    sweep_interval: timedelta,
    warn: Any,
) -> None:
    what = f"{tpath[-2]} {target.metric.value} target of {compact_duration(target.duration)}"
    if target.duration < sweep_interval:
        warn(
            tpath,
            f"the {what} is shorter than the sweep interval ({compact_duration(sweep_interval)})",
            "alerts may come too late: lengthen the target or lower SLABOT_SWEEP_SECONDS",
        )
    if target.calendar.is_24x7:
        return
    raw = book.document.value_at(tpath)
    written = raw.get("target") if isinstance(raw, Mapping) else raw
    if isinstance(written, str) and _DAYS_UNIT.search(written):
        warn(
            tpath,
            f"the {what} is written in days on business-hours calendar '{target.calendar_name}'",
            "1d = 24 business hours, i.e. 3 working days of 8h — write 8h for one working day",
        )
    week = _open_per_week(target.calendar)
    if week is not None and week > timedelta(0) and target.duration > week:
        warn(
            tpath,
            f"the {what} is longer than a week of open hours of '{target.calendar_name}' "
            f"({_hours(week)}), so it cannot be met within one week",
            f"write it in business hours, at most {_hours(week)}",
        )
    elif week == timedelta(0):
        warn(tpath, f"calendar '{target.calendar_name}' is never open, so the {what} can never run", None)


def _hours(delta: timedelta) -> str:
    """Business time as hours (``40h``, ``37h30m``): days would read as calendar days."""
    minutes = int(delta.total_seconds()) // 60
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest}m" if rest else f"{hours}h"


# --------------------------------------------------------------------------- plain words


_METRIC_WORDS = {
    Metric.FIRST_RESPONSE: "first response",
    Metric.NEXT_RESPONSE: "next response",
    Metric.PERIODIC_UPDATE: "an update every",
    Metric.RESOLUTION: "resolution",
}


def _calendar_words(target: Target) -> str:
    return "around the clock" if target.calendar.is_24x7 else f"business hours: {target.calendar_name}"


def _duration_words(target: Target) -> str:
    if target.calendar.is_24x7:
        return format_duration(target.duration, precision=3)
    text = _hours(target.duration)
    return f"{text} of business hours" if target.duration >= timedelta(days=1) else text


def _mention(slack_id: str) -> str:
    if slack_id[:1] in ("C", "G"):
        return f"<#{slack_id}>"
    if slack_id[:1] == "S":
        return f"<!subteam^{slack_id}>"
    return f"<@{slack_id}>"


def render_contract_plain(book: ContractBook, client_key: str, at: datetime) -> list[str]:
    """The contract in force for a client at ``at``, in plain words (for ``/sla contract``)."""
    client = book.client(client_key)
    contract = book.contracts[client.contract]
    version = contract.version_for(at)
    lines = [
        f"{client.name} — contract {contract.name or contract.key}, version {version.number} "
        f"of {len(contract.versions)}, in force since {version.effective.isoformat()}",
    ]
    if version.services:
        lines.append("Services:")
        for s in version.services:
            extra = f" (uptime target {s.uptime_target:g}%)" if s.uptime_target else ""
            lines.append(f"• {s.name}: {s.description or 'no description'}{extra}")
    lines.append("Targets (most urgent first):")
    for priority in version.priorities:
        metrics = version.targets.get(priority, {})
        if not metrics:
            lines.append(f"• {priority}: no targets")
            continue
        calendars = {t.calendar_name for t in metrics.values()}
        shared = len(calendars) == 1 and next(iter(calendars)) != version.calendar_name
        parts = []
        for metric, target in metrics.items():
            words = f"{_METRIC_WORDS[metric]} {'' if metric == Metric.PERIODIC_UPDATE else 'within '}"
            part = words + _duration_words(target)
            if not shared and target.calendar_name != version.calendar_name:
                part += f" ({_calendar_words(target)})"
            parts.append(part)
        label = f"{priority} ({_calendar_words(next(iter(metrics.values())))})" if shared else priority
        default = " — the default" if priority == version.default_priority else ""
        lines.append(f"• {label}: " + ", ".join(parts) + default)
    lines.append(f"Hours ({version.calendar_name}): " + "; ".join(version.calendar.describe()))
    if version.pause_on:
        paused = []
        for status, metrics in version.pause_on.items():
            which = (
                ""
                if set(metrics) == set(Metric)
                else " (" + ", ".join(sorted(m.value for m in metrics)) + ")"
            )
            paused.append(status.replace("_", " ") + which)
        lines.append("Clocks pause while a ticket is: " + ", ".join(paused))
    else:
        lines.append("Clocks never pause")
    if version.warn_at:
        shares = [t.text for t in version.warn_at if t.percent is not None]
        befores = [t.text for t in version.warn_at if t.before is not None]
        said = []
        if shares:
            said.append(", ".join(shares) + " of each target")
        if befores:
            said.append(", ".join(befores) + " before it is due")
        lines.append("Warnings at " + " and ".join(said))
    a = version.alerts
    places = [_mention(a.channel)] if a.channel else []
    if a.thread:
        places.append("the ticket's thread")
    where = ["in " + " and ".join(places) if places else "nowhere (no alert channel)"]
    if a.lead:
        where.append(f"lead {_mention(a.lead)}")
    if a.escalate_to:
        where.append(f"breaches notify {_mention(a.escalate_to)}")
    for level in a.escalation:
        where.append(
            f"{format_duration(level.after)} after a breach: " + ", ".join(_mention(n) for n in level.notify)
        )
    lines.append("Alerts: " + "; ".join(where))
    return lines


# --------------------------------------------------------------------------- CLI report


def format_check_report(path: str | PathLike[str]) -> tuple[int, str]:
    """For ``slabot contracts check FILE``: (exit code 0 valid / 1 invalid, text to print)."""
    name = str(path)
    try:
        book = load_contracts(path)
    except ContractFileError as exc:
        n = len(exc.errors)
        lines = ["Errors:", *(f"  {e}" for e in exc.errors)]
        lines.append(f"{name}: invalid, {n} error{'s' if n != 1 else ''}")
        return 1, "\n".join(lines)
    warnings = check_contracts(book)
    lines = []
    if warnings:
        lines.append("Warnings:")
        lines.extend(f"  {w}" for w in warnings)
    n_versions = sum(len(c.versions) for c in book.contracts.values())
    n_clients, n_contracts, n_warn = len(book.clients), len(book.contracts), len(warnings)
    lines.append(
        f"{name}: {n_clients} client{'s' if n_clients != 1 else ''}, "
        f"{n_contracts} contract{'s' if n_contracts != 1 else ''} "
        f"({n_versions} version{'s' if n_versions != 1 else ''}) — valid, "
        f"{n_warn} warning{'s' if n_warn != 1 else ''}"
    )
    return 0, "\n".join(lines)
