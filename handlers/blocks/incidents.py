"""Block Kit for ``/sla incident``: incident changes, open incidents with the month's uptime, and
service credits line by line. Pure functions of the uptime use cases' values; each returns a
:class:`~handlers.blocks.Message` whose ``text`` is the complete plain rendering (the terminal
prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.services.incidents import ClientUptime, IncidentView, Overview
from handlers.blocks import Block, Message, context, escape, header, section
from sla.credits import CreditStatement
from sla.durations import format_duration
from sla.uptime import UptimeFigure

MAX_LISTED = 20


def when(t: datetime, tz: ZoneInfo) -> str:
    """``Tue 24 Nov 10:00 CET``."""
    local = t.astimezone(tz)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def uptime_percent(figure: UptimeFigure, value: Decimal | None = None) -> str:
    """Two decimals, or as many more as it takes not to print a missed target as met
    (99.9499… is ``99.9499 %``, never ``99.95 %``). ``value``: another figure of the service
    (the whole month's), default its uptime to date."""
    value = figure.exact_percent if value is None else value
    target = None if figure.target_percent is None else Decimal(repr(float(figure.target_percent)))
    for places in range(2, 7):
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if target is None or ((shown < target) == (value < target) and (shown != target or value == target)):
            return f"{shown} %"
    return f"{value.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP)} %"


def _target(value: float) -> str:
    return f"{Decimal(repr(float(value))).normalize():f} %"


def _who(view: IncidentView) -> str:
    return view.client_key or "shared"


def _source(view: IncidentView) -> str:
    return {"alertmanager": " · from Alertmanager"}.get(view.source or "", "")


def incident_line(view: IncidentView, now: datetime) -> str:
    """``Platform support (acme) down since Tue 24 Nov 10:00 CET, 1h 20m so far — DNS outage``."""
    reason = f" — {view.reason}" if view.reason else ""
    if view.planned:
        end = view.ended_at or now
        return (
            f"{view.service} ({_who(view)}) maintenance {when(view.started_at, view.tz)} → "
            f"{when(end, view.tz)} ({format_duration(end - view.started_at)}){reason}"
        )
    if view.ended_at is None:
        return (
            f"{view.service} ({_who(view)}) down since {when(view.started_at, view.tz)}, "
            f"{format_duration(max(now - view.started_at, timedelta(0)))} so far{reason}{_source(view)}"
        )
    return (
        f"{view.service} ({_who(view)}) down {when(view.started_at, view.tz)} → {when(view.ended_at, view.tz)} "
        f"({format_duration(view.ended_at - view.started_at)}){reason}{_source(view)}"
    )


def figure_line(figure: UptimeFigure) -> str:
    """``Platform support: 99.97 % (target 99.95 %) ✅ — down 12m 58s, maintenance 2h not measured``;
    while the month runs ``Platform support: 98.01 % to date · 99.896 % for the month if nothing
    else goes down (target 99.9 %) ❌ missed — down 45m, 1 incident``."""
    met = figure.period_met if figure.provisional else figure.met
    if figure.target_percent is None:
        verdict = ""
    else:
        verdict = f" (target {_target(figure.target_percent)}) " + ("✅" if met else "❌ missed")
    if figure.provisional:  # to date, and the whole month's figure it is heading for
        verdict = (
            f" to date · {uptime_percent(figure, figure.period_percent)} for the month if nothing else "
            f"goes down{verdict}"
        )
    down = format_duration(figure.downtime) if figure.downtime_seconds > 0 else "no downtime"
    parts = [down if down == "no downtime" else f"down {down}"]
    if figure.excluded_maintenance_seconds > 0:
        parts.append(
            f"maintenance {format_duration(timedelta(seconds=figure.excluded_maintenance_seconds))} not measured"
        )
    unplanned = [i for i in figure.incidents if not i.planned]
    if unplanned:
        parts.append(f"{len(unplanned)} incident" + ("s" if len(unplanned) != 1 else ""))
    return f"{figure.service}: {uptime_percent(figure)}{verdict} — " + ", ".join(parts)


def client_uptime_lines(uptime: ClientUptime, now: datetime) -> list[str]:
    so_far = " (so far)" if now < uptime.period.end else ""
    title = f"{uptime.client_name} — {uptime.period.label}{so_far}, contract v{uptime.version_number}"
    if not uptime.figures:
        return [title, "no uptime target in the contract"]
    return [title, *(figure_line(f) for f in uptime.figures)]


def incident_started(view: IncidentView, now: datetime) -> Message:
    text = f"Incident opened: {incident_line(view, now)}. `/sla incident resolve {_quote(view.service)}` ends it."
    return Message(escape(text), [section(escape(text))])


def incidents_resolved(views: Sequence[IncidentView], now: datetime) -> Message:
    lines = [f"Resolved: {incident_line(v, now)}" for v in views]
    text = "\n".join(lines)
    return Message(escape(text), [section(escape(text))])


def maintenance_declared(view: IncidentView, now: datetime) -> Message:
    text = (
        f"Planned maintenance recorded: {incident_line(view, now)}. "
        "It is left out of the uptime measurement of that service."
    )
    return Message(escape(text), [section(escape(text))])


_NOTICE = {
    "opened": ("🔴", "Incident"),
    "resolved": ("✅", "Resolved"),
    "recorded": ("⚠️", "Incident recorded"),
    "maintenance": ("🛠", "Planned maintenance"),
}


def incident_notice(view: IncidentView, event: str, now: datetime) -> Message:
    """The alert channel's notice of an incident opened, ended, recorded after the fact, or of
    maintenance declared (``UptimeService(notice=...)``)."""
    icon, title = _NOTICE.get(event, ("ℹ️", "Incident"))
    line = incident_line(view, now)
    text = f"{title}: {line}"
    if event == "maintenance":
        note = "Not counted as downtime."
    elif event == "opened":
        note = (
            f"Counts as downtime until `/sla incident resolve {_quote(view.service)}` or the alert resolves."
        )
    else:
        note = "`/sla incident list` shows this month's uptime."
    return Message(
        escape(f"{text}. {note}"),
        [section(f"{icon} *{escape(title)}:* {escape(line)}"), context(escape(note))],
    )


def overview_message(overview: Overview) -> Message:
    now = overview.now
    lines: list[str] = []
    blocks: list[Block] = [header("Incidents and uptime")]
    open_lines = [incident_line(v, now) for v in overview.open]
    if open_lines:
        lines += ["Open incidents:", *(f"• {x}" for x in open_lines)]
        shown = open_lines[:MAX_LISTED]
        more = f"\n… and {len(open_lines) - len(shown)} more" if len(open_lines) > len(shown) else ""
        blocks.append(section("*Open incidents*\n" + "\n".join(f"🔴 {escape(x)}" for x in shown) + more))
    else:
        lines.append("No open incident.")
        blocks.append(section("*Open incidents*\nNone. ✅"))
    if overview.maintenance:
        maint = [incident_line(v, now) for v in overview.maintenance]
        lines += ["Planned maintenance:", *(f"• {x}" for x in maint)]
        blocks.append(
            section("*Planned maintenance*\n" + "\n".join(f"🛠 {escape(x)}" for x in maint[:MAX_LISTED]))
        )
    for uptime in overview.uptimes:
        title, *rest = client_uptime_lines(uptime, now)
        lines += [title, *(f"• {x}" for x in rest)]
        body = "\n".join(("❌ " if "missed" in x else "• ") + escape(x) for x in rest)
        blocks.append(section(f"*{escape(title)}*\n{body}"))
    if not overview.uptimes:
        lines.append("No contract sets an uptime target.")
    blocks = blocks[:49]
    blocks.append(
        context(
            "Downtime is the union of incidents; planned maintenance is not measured. "
            "`/sla incident credits [client] [month]` shows the credits owed."
        )
    )
    return Message(escape("\n".join(lines)), blocks)


def credits_message(statements: Sequence[CreditStatement]) -> Message:
    if not statements:
        text = "No client has uptime or credit terms in the contract file."
        return Message(text, [section(text)])
    lines: list[str] = []
    blocks: list[Block] = [header("Service credits")]
    for s in statements:
        lines += [*s.explanation_lines, ""]
        first, *rest = s.explanation_lines
        blocks.append(section(f"*{escape(first)}*\n" + "\n".join(escape(x) for x in rest)))
    return Message(escape("\n".join(lines).rstrip()), blocks[:50])


def _quote(name: str) -> str:
    return f'"{name}"' if " " in name else name


def plain_message(text: str) -> Message:
    return Message(escape(text), [section(escape(text))])
