"""Uptime use cases: downtime incidents, planned maintenance, monthly uptime and service credits.

- **Incidents** are recorded per covered service (a name in the contract's ``services``), by an
  agent (``/sla incident start|resolve``) or by Prometheus Alertmanager (``POST
  /webhooks/alertmanager``, see :func:`parse_alertmanager`). An incident belongs to the one client
  whose contract covers the service; when several clients' contracts name the same service it is
  recorded without a client and counts for each of them (a shared platform is down for everyone).
- **Planned maintenance** is declared before it starts (``/sla incident maintenance``) and is
  stored as a planned incident: ``sla.uptime`` leaves it out of the measured time, like the
  contract's own ``uptime.maintenance`` windows.
- **Uptime** per client, service and month is ``sla.uptime`` on the incidents of that month;
  **credits** are ``sla.credits.credits_for_month`` on those figures plus the ticket SLAs breached
  in the month (``ReportQueries.timers_in_period``).

Every change is audited. Months are calendar months in the client's time zone (the client's
``timezone``, else its contract calendar's). The contract version of a month is the one in force
at the month's first instant.

Other features use :class:`UptimeService` through ``runtime.services.uptime``.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.grammar import PeriodSpec, suggest
from bot.services.notices import enqueue_composed
from bot.services.tickets import TicketError
from sla import periods
from sla.contracts import Client, ContractBook, ContractVersion
from sla.credits import Breach, CreditStatement, credits_for_month
from sla.periods import Period, PeriodError
from sla.uptime import Incident as DomainIncident
from sla.uptime import UptimeFigure, uptime_for_version
from storage.models import Incident as IncidentRow
from storage.uow import Transaction, UnitOfWork

SOURCE_COMMAND = "slash_command"
SOURCE_MAINTENANCE = "maintenance"
SOURCE_ALERTMANAGER = "alertmanager"


class IncidentError(TicketError):
    """Something a user asked for that cannot be done; the message is written for that user."""


class AlertPayloadError(ValueError):
    """An Alertmanager payload that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# ---- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentView:
    id: int
    service: str
    client_key: str | None
    started_at: datetime
    ended_at: datetime | None
    reason: str | None
    source: str | None
    planned: bool
    tz: ZoneInfo = ZoneInfo("UTC")
    """The zone to show its times in (its client's; UTC when shared)."""

    def domain(self) -> DomainIncident:
        return DomainIncident(self.service, self.started_at, self.ended_at, self.planned, self.reason)


@dataclass(frozen=True)
class ClientUptime:
    """One client's services over one period."""

    client_key: str
    client_name: str
    period: Period
    version_number: int
    figures: list[UptimeFigure]

    @property
    def missed(self) -> list[UptimeFigure]:
        return [f for f in self.figures if f.met is False]


@dataclass(frozen=True)
class Overview:
    """What ``/sla incident list`` shows: open incidents, maintenance to come, the month's uptime."""

    now: datetime
    open: list[IncidentView]
    maintenance: list[IncidentView]
    uptimes: list[ClientUptime]


@dataclass(frozen=True)
class ServiceMatch:
    service: str
    clients: tuple[str, ...]
    rest: str | None = None
    """Words typed after the service name (the reason), when the name was typed unquoted."""

    @property
    def client_key(self) -> str | None:
        """The client the incident belongs to; None = shared by several clients' contracts."""
        return self.clients[0] if len(self.clients) == 1 else None


@dataclass(frozen=True)
class AlertInput:
    """One alert of an Alertmanager payload, checked and mapped to a covered service."""

    fingerprint: str
    status: Literal["firing", "resolved"]
    starts_at: datetime
    ends_at: datetime | None
    service: str
    client_key: str | None
    reason: str | None

    @property
    def external_key(self) -> str:
        """Fingerprint + start: the same alert firing again later is a new incident."""
        return f"{self.fingerprint}@{self.starts_at.astimezone(UTC).isoformat()}"


@dataclass
class AlertOutcome:
    opened: int = 0
    resolved: int = 0
    unchanged: int = 0
    incidents: list[IncidentView] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "opened": self.opened,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
            "incidents": [i.id for i in self.incidents],
        }


# ---- the use cases ------------------------------------------------------------------------------


NoticeEvent = Literal["opened", "resolved", "recorded", "maintenance"]
#: renders the channel notice of an incident event: (incident, event, now) → a message with ``text``
#: and ``blocks`` (``handlers.blocks.incidents.incident_notice``; injected to keep rendering out of here)
Notice = Callable[[IncidentView, NoticeEvent, datetime], Any]


class UptimeService:
    """Incidents, maintenance, uptime and credits of one installation (all keyword-only).

    With ``notice``, every incident opened, ended or declared is announced in the alert channel
    (``alerts.channel``) of each client concerned, through the outbox in the same transaction.
    """

    def __init__(
        self, *, uow: UnitOfWork, book: ContractBook, clock: Clock, notice: Notice | None = None
    ) -> None:
        self.uow = uow
        self.book = book
        self.clock = clock
        self.notice = notice

    # -- services and clients

    def catalogue(self, at: datetime | None = None) -> dict[str, tuple[str, ...]]:
        """Every covered service name → the clients whose contract (in force at ``at``) covers it."""
        at = at or self.clock.now()
        found: dict[str, list[str]] = {}
        for key in sorted(self.book.clients):
            for service in self.book.version_for(key, at).services:
                found.setdefault(service.name, []).append(key)
        return {name: tuple(keys) for name, keys in found.items()}

    def match_service(
        self, typed: str, rest: str | None = None, *, at: datetime | None = None
    ) -> ServiceMatch:
        """The covered service typed (case-insensitive). Unquoted words are tried longest first, so
        ``Platform support DNS down`` is the service *Platform support* with the reason *DNS down*."""
        catalogue = self.catalogue(at)
        by_low = {name.lower(): name for name in catalogue}
        head = typed.split()
        tail = rest.split() if rest else []
        words = head + tail
        for n in range(len(words), max(len(head), 1) - 1, -1):
            name = by_low.get(" ".join(words[:n]).lower())
            if name is not None:
                return ServiceMatch(name, catalogue[name], " ".join(words[n:]) or None)
        known = sorted(catalogue)
        near = near_service(typed, known)
        hint = f" — did you mean '{near}'?" if near else ""
        listing = ", ".join(f"`{k}`" for k in known[:20]) or "none"
        raise IncidentError(
            f"I don't know the service '{typed}'{hint} Services covered by the contracts: {listing}. "
            'Quote a name with spaces: `/sla incident start "Platform support" DNS outage`.'
        )

    def client_tz(self, client_key: str | None, at: datetime | None = None) -> ZoneInfo:
        """The client's ``timezone``, else its contract calendar's; UTC for no client."""
        if client_key is None or client_key not in self.book.clients:
            return ZoneInfo("UTC")
        client = self.book.clients[client_key]
        if client.timezone is not None:
            return client.timezone
        return self.book.version_for(client_key, at or self.clock.now()).calendar.timezone

    def require_client(self, key: str) -> Client:
        try:
            return self.book.client(key)
        except KeyError as exc:
            raise IncidentError(str(exc.args[0])) from None

    def month(self, client_key: str | None, spec: PeriodSpec | str | None = None) -> Period:
        """The whole calendar month typed (``2026-11``, ``last-month``; default this month) in the
        client's zone."""
        now = self.clock.now()
        tz = self.client_tz(client_key, now)
        text = spec.text if isinstance(spec, PeriodSpec) else (spec or "this-month")
        if text in ("this-month", "month-so-far"):
            return periods.window_period("month", at=now, tz=tz)
        try:
            found = periods.parse_period(text, now=now, tz=tz)
        except PeriodError as exc:
            raise IncidentError(str(exc)) from None
        if found.kind != "month":
            raise IncidentError(
                f"uptime and credits are per calendar month, not '{text}' — write 2026-11, this-month or last-month"
            )
        return periods.unit("month", found.first_day, tz)

    # -- changing

    def start(
        self, *, team_id: str, service: str, reason: str | None = None, actor: str | None = None
    ) -> IncidentView:
        """Open a downtime incident on ``service`` now (one open incident per service at a time)."""
        now = self.clock.now()
        match = self.match_service(service, reason, at=now)
        reason = match.rest
        with self.uow.begin() as tx:
            already = tx.incidents.open_unplanned(team_id=team_id, service=match.service)
            if already:
                first = self._view(already[0])
                raise IncidentError(
                    f"{match.service} is already down since {_when(first.started_at, first.tz)} "
                    f"({first.reason or 'no reason given'}). `/sla incident resolve {_quoted(match.service)}` ends it."
                )
            row = tx.incidents.record(
                team_id=team_id,
                service=match.service,
                started_at=now,
                client_key=match.client_key,
                reason=reason,
                source=SOURCE_COMMAND,
            )
            view = self._changed(tx, team_id, row, actor, "incident.start", "opened", now)
        return view

    def resolve(self, *, team_id: str, service: str, actor: str | None = None) -> list[IncidentView]:
        """End every open downtime incident of ``service`` now (manual and from alerts)."""
        now = self.clock.now()
        match = self.match_service(service, at=now)
        ended: list[IncidentView] = []
        with self.uow.begin() as tx:
            rows = tx.incidents.open_unplanned(team_id=team_id, service=match.service)
            if not rows:
                raise IncidentError(
                    f"No open incident on {match.service}. `/sla incident list` shows what is open."
                )
            for row in rows:
                tx.incidents.end(team_id=team_id, incident_id=row.id, ended_at=max(now, row.started_at))
                row.ended_at = max(now, row.started_at)
                ended.append(self._changed(tx, team_id, row, actor, "incident.resolve", "resolved", now))
        return ended

    def declare_maintenance(
        self,
        *,
        team_id: str,
        service: str,
        start: datetime,
        end: datetime,
        reason: str | None = None,
        actor: str | None = None,
    ) -> IncidentView:
        """Planned maintenance of ``service`` in [start, end), declared before it starts. Naive
        times are wall-clock times of the service's client (UTC for a shared service)."""
        now = self.clock.now()
        match = self.match_service(service, reason, at=now)
        reason = match.rest
        tz = self.client_tz(match.client_key, now)
        start, end = _aware(start, tz), _aware(end, tz)
        if end <= start:
            raise IncidentError("The maintenance window ends before it starts.")
        if start < now:
            raise IncidentError(
                f"Maintenance is declared before it starts, and {_when(start, tz)} has passed (now "
                f"{_when(now, tz)}). Downtime that already happened is an incident: "
                f"`/sla incident start {_quoted(match.service)}`."
            )
        with self.uow.begin() as tx:
            row = tx.incidents.record(
                team_id=team_id,
                service=match.service,
                started_at=start,
                ended_at=end,
                client_key=match.client_key,
                reason=reason,
                source=SOURCE_MAINTENANCE,
                planned=True,
            )
            view = self._changed(tx, team_id, row, actor, "incident.maintenance", "maintenance", now)
        return view

    def apply_alerts(self, *, team_id: str, alerts: Sequence[AlertInput]) -> AlertOutcome:
        """Open and close incidents from Alertmanager alerts, idempotently (fingerprint + start),
        all in one transaction. A stale ``firing`` never reopens an incident that has ended."""
        now = self.clock.now()
        outcome = AlertOutcome()
        with self.uow.begin() as tx:
            for alert in alerts:
                key = alert.external_key
                row = tx.incidents.get_by_external_key(
                    team_id=team_id, source=SOURCE_ALERTMANAGER, external_key=key
                )
                if row is not None and (alert.status == "firing" or row.ended_at is not None):
                    outcome.unchanged += 1
                    continue
                if row is None:
                    ended = alert.ends_at if alert.status == "resolved" else None
                    row = tx.incidents.record(
                        team_id=team_id,
                        service=alert.service,
                        started_at=alert.starts_at,
                        ended_at=ended,
                        client_key=alert.client_key,
                        reason=alert.reason,
                        source=SOURCE_ALERTMANAGER,
                        external_key=key,
                    )
                    action = "incident.alert_firing" if ended is None else "incident.alert_resolved"
                    event: NoticeEvent = "opened" if ended is None else "recorded"
                    if ended is None:
                        outcome.opened += 1
                    else:
                        outcome.resolved += 1
                else:
                    assert alert.ends_at is not None
                    ended_at = max(alert.ends_at, row.started_at)
                    tx.incidents.end(team_id=team_id, incident_id=row.id, ended_at=ended_at)
                    row.ended_at = ended_at
                    action, event = "incident.alert_resolved", "resolved"
                    outcome.resolved += 1
                outcome.incidents.append(
                    self._changed(tx, team_id, row, "alertmanager", action, event, now, extra={"alert": key})
                )
        return outcome

    # -- reading

    def open_incidents(self, *, team_id: str) -> list[IncidentView]:
        with self.uow.begin(read_only=True) as tx:
            return [self._view(r) for r in tx.incidents.open_unplanned(team_id=team_id)]

    def maintenance_ahead(self, *, team_id: str, within_days: int = 60) -> list[IncidentView]:
        """Planned maintenance running now or starting in the next ``within_days`` days."""
        now = self.clock.now()
        with self.uow.begin(read_only=True) as tx:
            rows = tx.incidents.overlapping(team_id=team_id, start=now, end=now + timedelta(days=within_days))
        return [self._view(r) for r in rows if r.planned]

    def uptime(self, *, team_id: str, client_key: str, period: Period) -> ClientUptime:
        """Uptime of each of the client's services with a target, over any period (measured up to now)."""
        client = self.require_client(client_key)
        version = self.book.version_for(client.key, period.start)
        now = self.clock.now()
        with self.uow.begin(read_only=True) as tx:
            incidents = self._incidents(tx, team_id, client.key, period)
        figures = uptime_for_version(version, incidents, period, now)
        return ClientUptime(client.key, client.name, period, version.number, figures)

    def credits(
        self, *, team_id: str, client_key: str, month: Period, breaches: Sequence[Breach] | None = None
    ) -> CreditStatement:
        """The credits owed to the client for one calendar month, line by line (``sla.credits``).

        ``breaches``: the client's breaches in the month when the caller has read them already (a
        report holds every timer decided in its period: the same rows ``breaches_in_period``
        returns, in the same order); read here otherwise."""
        client = self.require_client(client_key)
        version = self.book.version_for(client.key, month.start)
        now = self.clock.now()
        with self.uow.begin(read_only=True) as tx:
            incidents = self._incidents(tx, team_id, client.key, month)
            if breaches is None:
                found = tx.reports.breaches_in_period(
                    team_id=team_id, start=month.start, end=month.end, now=now, client_key=client.key
                )
                breaches = [Breach(b.ticket_ref, b.priority, b.metric, b.breached_at) for b in found]
        figures = uptime_for_version(version, incidents, month, now)
        return credits_for_month(client, version, month, figures, breaches, now)

    def credits_for_period(
        self,
        *,
        team_id: str,
        client_key: str,
        period: Period,
        breaches_in: Callable[[str, Period], Sequence[Breach] | None] | None = None,
    ) -> list[CreditStatement]:
        """One statement per calendar month (in the client's zone) the period touches — for
        quarterly reviews and reports over several months. ``breaches_in(client, month)``: the
        breaches the caller holds for a month (None where it holds none: read then)."""
        tz = self.client_tz(client_key, period.start)
        local = Period(period.start, period.end, period.label, tz, period.kind, period.complete)
        out = []
        for m in periods.months_in(local):
            month = periods.unit("month", m.first_day, tz)
            held = breaches_in(client_key, month) if breaches_in is not None else None
            out.append(self.credits(team_id=team_id, client_key=client_key, month=month, breaches=held))
        return out

    def client_keys(self, client_key: str | None = None, *, at: datetime | None = None) -> list[str]:
        """The one client asked for, or every client whose contract measures uptime or owes credits."""
        if client_key is not None:
            return [self.require_client(client_key).key]
        at = at or self.clock.now()
        return [key for key in sorted(self.book.clients) if _has_terms(self.book.version_for(key, at))]

    def overview(
        self, *, team_id: str, client_key: str | None = None, month: PeriodSpec | str | None = None
    ) -> Overview:
        keys = self.client_keys(client_key)
        uptimes = [
            self.uptime(team_id=team_id, client_key=k, period=self.month(k, month))
            for k in keys
            if client_key is not None or _has_uptime(self.book.version_for(k, self.clock.now()))
        ]
        open_now = self.open_incidents(team_id=team_id)
        ahead = self.maintenance_ahead(team_id=team_id)
        if client_key is not None:
            open_now = [i for i in open_now if i.client_key in (None, client_key)]
            ahead = [i for i in ahead if i.client_key in (None, client_key)]
        return Overview(self.clock.now(), open_now, ahead, uptimes)

    def statements(
        self, *, team_id: str, client_key: str | None = None, month: PeriodSpec | str | None = None
    ) -> list[CreditStatement]:
        return [
            self.credits(team_id=team_id, client_key=k, month=self.month(k, month))
            for k in self.client_keys(client_key)
        ]

    # -- internals

    def _incidents(
        self, tx: Transaction, team_id: str, client_key: str, period: Period
    ) -> list[DomainIncident]:
        rows = tx.incidents.overlapping(
            team_id=team_id, start=period.start, end=period.end, client_key=client_key
        )
        return [self._view(r).domain() for r in rows]

    def _view(self, row: IncidentRow) -> IncidentView:
        return IncidentView(
            id=row.id,
            service=row.service,
            client_key=row.client_key,
            started_at=row.started_at,
            ended_at=row.ended_at,
            reason=row.reason,
            source=row.source,
            planned=bool(row.planned),
            tz=self.client_tz(row.client_key, row.started_at),
        )

    def alert_channels(self, view: IncidentView, at: datetime) -> list[str]:
        """The alert channels of the clients an incident concerns (its client, or every client
        whose contract covers a shared service)."""
        keys = [view.client_key] if view.client_key else list(self.catalogue(at).get(view.service, ()))
        channels: list[str] = []
        for key in keys:
            if key in self.book.clients:
                channel = self.book.version_for(key, at).alerts.channel
                if channel and channel not in channels:
                    channels.append(channel)
        return channels

    def _changed(
        self,
        tx: Transaction,
        team_id: str,
        row: IncidentRow,
        actor: str | None,
        action: str,
        event: NoticeEvent,
        now: datetime,
        extra: Mapping[str, Any] | None = None,
    ) -> IncidentView:
        """An incident ``row`` just stored or changed: its audit record (``action``) and its
        announcement (``event``) in ``tx``; the view of it."""
        view = self._view(row)
        self._audit(tx, team_id, actor, action, view, now, extra)
        self._announce(tx, team_id, view, event, now)
        return view

    def _announce(
        self, tx: Transaction, team_id: str, view: IncidentView, event: NoticeEvent, now: datetime
    ) -> None:
        if self.notice is None:
            return
        channels = self.alert_channels(view, now)
        if not channels:
            return
        message = self.notice(view, event, now)
        for channel in channels:
            key = f"incident:{view.id}:{event}:{channel}"
            enqueue_composed(tx, message, team_id=team_id, key=key, channel_id=channel, now=now)

    def _audit(
        self,
        tx: Transaction,
        team_id: str,
        actor: str | None,
        action: str,
        view: IncidentView,
        now: datetime,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        tx.audit.record(
            team_id=team_id,
            actor=actor or "slabot",
            action=action,
            target=f"incident:{view.id}",
            after={
                "service": view.service,
                "client": view.client_key,
                "started_at": view.started_at.isoformat(),
                "ended_at": view.ended_at.isoformat() if view.ended_at else None,
                "planned": view.planned,
                "reason": view.reason,
                **(extra or {}),
            },
            at=now,
        )


# ---- Alertmanager -------------------------------------------------------------------------------

SERVICE_LABEL = "slabot_service"
CLIENT_LABEL = "slabot_client"


@dataclass
class AlertmanagerDelivery:
    """What one Alertmanager notification (a group of alerts) means: the alerts slabot records, and
    each one it leaves alone with an intake reason and the problem (``alerts[2].labels…: …``)."""

    alerts: list[AlertInput]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_alertmanager(
    payload: Any, *, catalogue: Mapping[str, Iterable[str]], clients: Iterable[str]
) -> AlertmanagerDelivery:
    """Read an Alertmanager webhook payload (version 4: ``{"version": "4", "status", "groupKey",
    "alerts": [...]}``) alert by alert; a bad alert never costs the others of its group.

    Each alert needs ``startsAt`` (RFC 3339), a resolved one an ``endsAt`` not before it, and the
    label ``slabot_service`` naming a service of the contracts (``catalogue``: service → clients
    covering it; case-insensitive). The optional label ``slabot_client`` names the client; without it
    the service's only client, or none when several contracts cover it. ``status`` defaults to the
    group's (Alertmanager before 0.20 sent none per alert), ``fingerprint`` to a hash of the labels
    (what Alertmanager's fingerprint is). Raises :class:`AlertPayloadError` only when the envelope
    itself cannot be read (not an object, no ``alerts`` list, another version)."""
    problems: list[str] = []
    if not isinstance(payload, dict):
        raise AlertPayloadError(["the body must be a JSON object (Alertmanager's webhook payload)"])
    version = payload.get("version")
    if version is not None and str(version) != "4":
        problems.append(f'version {version!r} is not supported (Alertmanager sends version "4")')
    raw_alerts = payload.get("alerts")
    if not isinstance(raw_alerts, list):
        problems.append("'alerts' must be a list")
    if problems:
        raise AlertPayloadError(problems)
    assert isinstance(raw_alerts, list)
    group_status = payload.get("status") if payload.get("status") in ("firing", "resolved") else None
    services = {name.lower(): (name, tuple(keys)) for name, keys in catalogue.items()}
    known_clients = {c.lower(): c for c in clients}
    delivery = AlertmanagerDelivery([])
    for n, alert in enumerate(raw_alerts):
        read = _read_alert(alert, f"alerts[{n}]", group_status, services, known_clients)
        if isinstance(read, AlertInput):
            delivery.alerts.append(read)
        else:
            delivery.skipped.append(read)
    return delivery


def _read_alert(
    alert: Any,
    where: str,
    group_status: Any,
    services: Mapping[str, tuple[str, tuple[str, ...]]],
    known_clients: Mapping[str, str],
) -> AlertInput | tuple[str, str]:
    """One alert of a group: what to record, or (reason, problem) when it is left out."""
    if not isinstance(alert, dict):
        return ("malformed", f"{where}: must be an object")
    mine: list[str] = []
    labels = alert.get("labels")
    annotations = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
    if not isinstance(labels, dict):
        mine.append(f"{where}.labels: must be an object")
        labels = {}
    status = alert.get("status", group_status)
    if status not in ("firing", "resolved"):
        mine.append(f"{where}.status: must be 'firing' or 'resolved', got {status!r}")
    fingerprint = alert.get("fingerprint")
    if fingerprint is None:
        fingerprint = _label_fingerprint(labels)
    if not isinstance(fingerprint, str) or not fingerprint.strip() or len(fingerprint) > 100:
        mine.append(f"{where}.fingerprint: missing (Alertmanager ≥ 0.20 sends one per alert)")
    starts = _instant(alert.get("startsAt"), f"{where}.startsAt", mine)
    ends = _instant(alert.get("endsAt"), f"{where}.endsAt", mine) if status == "resolved" else None
    if status == "resolved" and starts is not None and ends is not None and ends < starts:
        mine.append(f"{where}.endsAt: before startsAt")
    if mine:
        return ("malformed", "; ".join(mine))
    service_label = labels.get(SERVICE_LABEL)
    if not isinstance(service_label, str) or not service_label.strip():
        name = labels.get("alertname")
        return (
            "not_covered",
            f"{where}{f' ({name})' if name else ''}: no {SERVICE_LABEL} label — not about a covered service",
        )
    service = services.get(service_label.strip().lower())
    if service is None:
        near = near_service(service_label, [s for s, _ in services.values()])
        hint = f" — did you mean '{near}'?" if near else ""
        return (
            "unmapped_value",
            f"{where}.labels.{SERVICE_LABEL}: no contract covers '{service_label}'{hint}",
        )
    client_key: str | None = None
    client_label = labels.get(CLIENT_LABEL)
    if client_label is not None:
        client_key = known_clients.get(str(client_label).strip().lower())
        if client_key is None:
            near = suggest(str(client_label), list(known_clients.values()))
            hint = f" — did you mean '{near}'?" if near else ""
            return (
                "unmapped_value",
                f"{where}.labels.{CLIENT_LABEL}: unknown client '{client_label}'{hint}",
            )
        if client_key not in service[1]:
            return (
                "unmapped_value",
                f"{where}.labels.{CLIENT_LABEL}: {client_key}'s contract does not cover '{service[0]}'",
            )
    elif len(service[1]) == 1:
        client_key = service[1][0]
    assert starts is not None
    reason = annotations.get("summary") or labels.get("alertname")
    return AlertInput(
        fingerprint=str(fingerprint).strip(),
        status=status,  # type: ignore[arg-type]
        starts_at=starts,
        ends_at=ends,
        service=service[0],
        client_key=client_key,
        reason=str(reason)[:500] if reason else None,
    )


def parse_alertmanager(
    payload: Any, *, catalogue: Mapping[str, Iterable[str]], clients: Iterable[str]
) -> list[AlertInput]:
    """Like :func:`read_alertmanager`, but strict: :class:`AlertPayloadError` listing every alert it
    could not use (for callers that want all or nothing)."""
    delivery = read_alertmanager(payload, catalogue=catalogue, clients=clients)
    if delivery.skipped:
        raise AlertPayloadError([problem for _reason, problem in delivery.skipped])
    return delivery.alerts


def _label_fingerprint(labels: Mapping[str, Any]) -> str:
    """A stable id of an alert from its label set (Alertmanager's fingerprint hashes the same)."""
    text = "\x1f".join(f"{k}={labels[k]}" for k in sorted(labels, key=str))
    return "labels-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def near_service(typed: str, known: Sequence[str]) -> str | None:
    """The covered service ``typed`` probably means: a unique prefix, else the closest spelling of the
    whole name or of its first words (``Platfrom`` → ``Platform support``)."""
    found = suggest(typed, known)
    if found is not None:
        return found
    low = typed.lower()
    n = len(low.split())
    best, score = None, 0.6
    for name in known:
        head = " ".join(name.lower().split()[:n])
        ratio = difflib.SequenceMatcher(None, low, head).ratio()
        if ratio > score:
            best, score = name, ratio
    return best


def _instant(value: Any, where: str, problems: list[str]) -> datetime | None:
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: missing (RFC 3339 time)")
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        problems.append(f"{where}: {value[:40]!r} is not an RFC 3339 time")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: {value[:40]!r} has no offset")
        return None
    if parsed.year < 2000:
        problems.append(f"{where}: {value[:40]!r} is not a real time")
        return None
    return parsed.astimezone(UTC)


# ---- small helpers ------------------------------------------------------------------------------


def _aware(t: datetime, tz: ZoneInfo) -> datetime:
    return (t.replace(tzinfo=tz) if t.tzinfo is None else t).astimezone(UTC)


def _when(t: datetime, tz: ZoneInfo) -> str:
    local = t.astimezone(tz)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


def _has_uptime(version: ContractVersion) -> bool:
    return any(s.uptime_target is not None or version.uptime.target is not None for s in version.services)


def _has_terms(version: ContractVersion) -> bool:
    c = version.credits
    return _has_uptime(version) or bool(c.uptime_tiers) or bool(c.per_breach)
