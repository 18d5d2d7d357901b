"""A client's contract in plain words (``/sla contract``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sla.contracts.checks import _hours
from sla.contracts.model import AlertRouting, ContractBook, Target
from sla.durations import format_duration
from sla.metrics import Metric

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


def render_contract_plain(
    book: ContractBook, client_key: str, at: datetime, *, staff: bool = True
) -> list[str]:
    """The contract in force for a client at ``at``, in plain words (for ``/sla contract``).

    ``staff=False`` is the client's reading: what it was promised (services, targets, hours, pauses),
    without our side's parts (warning thresholds, alert channels, leads, escalation contacts)."""
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
    if not staff:
        return lines
    if version.warn_at:
        shares = [t.text for t in version.warn_at if t.percent is not None]
        befores = [t.text for t in version.warn_at if t.before is not None]
        said = []
        if shares:
            said.append(", ".join(shares) + " of each target")
        if befores:
            said.append(", ".join(befores) + " before it is due")
        lines.append("Warnings at " + " and ".join(said))
    lines.append("Alerts: " + "; ".join(_alert_places(version.alerts)))
    return lines


def _alert_places(a: AlertRouting) -> list[str]:
    """Where a version's alerts go and whom they call on (staff only: the client-safe rendering leaves
    the line out)."""
    places = [_mention(a.channel)] if a.channel else []
    if a.thread:
        places.append("the ticket's thread when it is internal")
    where = ["in " + " and ".join(places) if places else "nowhere (no alert channel)"]
    where.append(
        "a client's thread shows the ticket's status card"
        if a.client_thread == "status"
        else "nothing in a client's thread"
    )
    if a.quiet_hours is not None:
        pages = ", ".join(sorted(a.quiet_hours.page)) or "nothing"
        where.append(f"quiet {a.quiet_hours.text} {a.quiet_hours.timezone.key} (pages: {pages}, escalations)")
    if a.lead:
        where.append(f"lead {_mention(a.lead)}")
    if a.escalate_to:
        where.append(f"breaches notify {_mention(a.escalate_to)}")
    for level in a.escalation:
        where.append(
            f"{format_duration(level.after)} after a breach: " + ", ".join(_mention(n) for n in level.notify)
        )
    return where
