"""SMART checks: warnings about targets that cannot be met, thresholds that never fire, ... that never
make a file invalid; and the report ``slabot contracts check FILE`` prints."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from os import PathLike
from typing import Any

from sla.calendar import BusinessCalendar
from sla.contracts.build import load_contracts
from sla.contracts.file import (
    ConfigIssue,
    ContractFileError,
    KeyPath,
)
from sla.contracts.model import ContractBook, ContractVersion, Target
from sla.durations import compact_duration
from sla.metrics import Metric


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

    clients_channels = {c: key for key, client in book.clients.items() for c in client.channels}
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
            _check_alert_channels(version, vpath, clients_channels, warn)
            if version.alerts.channel is None:
                warn(
                    (*vpath, "alerts"),
                    "no alert channel: breach notices have nowhere to go",
                    "set alerts: {channel: C0123456789}",
                )
    return sorted(out, key=lambda i: (i.line or 0, i.path))


def _check_alert_channels(
    version: ContractVersion, vpath: KeyPath, clients_channels: Mapping[str, str], warn: Any
) -> None:
    """An alert channel that is also a client's channel would show staff alerts to the client: it is
    treated as the client's (sla.visibility), so the alerts meant for it are not posted there."""
    alerts = version.alerts
    named = [((*vpath, "alerts", "channel"), alerts.channel)]
    named += [
        ((*vpath, "alerts", "escalation", i, "channel"), e.channel) for i, e in enumerate(alerts.escalation)
    ]
    for path, channel in named:
        if channel and channel in clients_channels:
            warn(
                path,
                f"{channel} is also client '{clients_channels[channel]}''s channel: staff alerts are "
                "never posted where a client reads, so these alerts are not delivered",
                "use an internal channel only your team is in",
            )


def alert_lines(book: ContractBook) -> list[str]:
    """Where each contract's alerts go (its latest version), for ``contracts check``."""
    out = []
    for key, contract in book.contracts.items():
        a = contract.versions[-1].alerts
        staff = f"staff alerts in {a.channel}" if a.channel else "no alert channel"
        if a.thread:
            staff += " (warnings also in a ticket's thread when the thread is internal)"
        client = (
            "the ticket's status card (client-safe)"
            if a.client_thread == "status"
            else "nothing (client_thread: none)"
        )
        quiet = a.quiet_hours
        if quiet is not None:
            pages = ", ".join(sorted(quiet.page)) or "none"
            client += f"; quiet hours {quiet.text} {quiet.timezone.key} (breaches that page: {pages})"
        out.append(f"{key}: {staff}; a client's thread: {client}")
    return out


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
    lines.append("Conversation rules:")
    lines.extend(f"  {line}" for line in conversation_lines(book))
    lines.append("Roles (docs/contracts.md#roles):")
    lines.extend(f"  {line}" for line in role_lines(book))
    lines.append("Alerts:")
    lines.extend(f"  {line}" for line in alert_lines(book))
    n_versions = sum(len(c.versions) for c in book.contracts.values())
    n_clients, n_contracts, n_warn = len(book.clients), len(book.contracts), len(warnings)
    lines.append(
        f"{name}: {n_clients} client{'s' if n_clients != 1 else ''}, "
        f"{n_contracts} contract{'s' if n_contracts != 1 else ''} "
        f"({n_versions} version{'s' if n_versions != 1 else ''}) — valid, "
        f"{n_warn} warning{'s' if n_warn != 1 else ''}"
    )
    return 0, "\n".join(lines)


def _ids(ids: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(ids)) if ids else "none"


def role_lines(book: ContractBook) -> list[str]:
    """Who holds which role (``agents:``, ``roles:``, each client's ``lead``/``roles``/``contacts``)."""
    agents = set(book.agents.users) | ({book.agents.usergroup} if book.agents.usergroup else set())
    out = [
        f"agents: {_ids(agents)}",
        f"admins: {_ids(book.roles.admins)} (plus SLABOT_ADMINS"
        + (
            "; with none at all, agents link channels and see delivery problems, nobody approves)"
            if not book.roles.admins
            else ")"
        ),
        f"leads of every client: {_ids(book.roles.leads)}",
        f"managers of every client: {_ids(book.roles.managers)}",
    ]
    for key, client in book.clients.items():
        out.append(
            f"{key}: leads {_ids(client.leads)}, managers {_ids(client.managers)}, "
            f"clients {_ids(set(client.contacts))} and whoever writes in its channels"
        )
    return out


def conversation_lines(book: ContractBook) -> list[str]:
    """Each contract's conversation rules in one line (defaults included), for ``contracts check``."""
    out = []
    for key, contract in book.contracts.items():
        rules = contract.conversation
        intake = rules.intake
        internal = len(intake.internal_users) + len(intake.internal_usergroups)
        out.append(
            f"{key}: resume_on_client_reply {'on' if rules.resume_on_client_reply else 'off'}, "
            f"reopen_within {compact_duration(rules.reopen_within)}, acknowledgements "
            + (
                f"ignored (under {intake.min_chars} characters too)"
                if intake.acknowledgements
                else "open tickets"
            )
            + f", {internal} internal user{'s' if internal != 1 else ''}/group{'s' if internal != 1 else ''}"
        )
    return out
