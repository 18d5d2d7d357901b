"""``/sla report``: answered at once ("building…"); the report itself is built and posted after the
ack (``bot.features.reports`` hooks :func:`handlers.report_delivery.deliver_on_demand` in).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import grammar as g
from bot.services.container import Services
from bot.services.reports import ReportError
from handlers.blocks import escape, section
from handlers.blocks.reports import report_ack, report_ack_text
from handlers.commands import Answer, Caller, _client_of_channel
from handlers.report_delivery import OnDemand


@dataclass
class ReportAnswer(Answer):
    """The ack of ``/sla report``, carrying the work to do after it."""

    report_job: OnDemand | None = None


def report_answer_type() -> type[ReportAnswer]:
    """Kept for callers written before :class:`ReportAnswer` was a plain class."""
    return ReportAnswer


def _destination(services: Services, caller: Caller) -> str:
    channel = caller.channel_id
    if channel and not channel.startswith("D"):
        return channel
    return services.settings.summary_channel or caller.user_id


def report_command(services: Services, caller: Caller, command: g.Report) -> Answer:
    """``/sla report [period] [client]`` (agents only)."""
    if not caller.is_agent:
        return Answer(
            text="Reports are for the support team. Ask your account lead for the SLA report.",
            blocks=[],
        )
    service = services.reports
    assert service is not None, "the reports feature registers /sla report"
    client = command.client or _client_of_channel(services, caller)
    period_text = command.period.text if command.period else None
    try:
        client = service.client_key(client)
        period = service.period(period_text, client)
    except ReportError as exc:
        return Answer(text=escape(str(exc)), blocks=[section(escape(str(exc)))])
    who = f"{services.book.clients[client].name}, " if client else ""
    label = f"{who}{period.describe()}"
    destination = _destination(services, caller)
    job = OnDemand(caller.team_id, caller.user_id, caller.channel_id, destination, period_text, client)
    return ReportAnswer(
        text=report_ack_text(label, destination),
        blocks=report_ack(label, destination),
        detail=lambda: service.build(team_id=caller.team_id, period=period, client=client).text(),
        report_job=job,
    )
