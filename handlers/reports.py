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
from handlers.commands import Answer, Caller, _client_of_channel, own_client, where
from handlers.report_delivery import OnDemand
from sla.roles import Action, may, refusal


@dataclass
class ReportAnswer(Answer):
    """The ack of ``/sla report``, carrying the work to do after it."""

    report_job: OnDemand | None = None


def report_answer_type() -> type[ReportAnswer]:
    """Kept for callers written before :class:`ReportAnswer` was a plain class."""
    return ReportAnswer


def _destination(services: Services, caller: Caller, *, private: bool) -> str:
    """Where the full report goes; ``private``: only the asker sees it, in the conversation asked in."""
    channel = caller.channel_id
    if private:
        return channel if channel and not channel.startswith("D") else caller.user_id
    if channel and not channel.startswith("D"):
        return channel
    return services.settings.summary_channel or caller.user_id


def _refused(text: str) -> Answer:
    return Answer(text=escape(text), blocks=[section(escape(text))])


def report_command(services: Services, caller: Caller, command: g.Report) -> Answer:
    """``/sla report [period] [client] [post]`` (docs/contracts.md#roles).

    A client reads its own client's report only, and only it sees it (ephemeral, without feedback
    figures or credits). Our side asking in a client's channel sees it alone too, unless it asks to
    ``post`` it there; in an internal channel the report is posted as before."""
    service = services.reports
    assert service is not None, "the reports feature registers /sla report"
    channel_client = _client_of_channel(services, caller)
    client = command.client or own_client(services, caller)
    if not may(caller.person, Action.REPORT, where(services, caller, client)):
        if not caller.is_staff and client is None:
            return _refused("Which client? Ask in your support channel: `/sla report week`.")
        return _refused(refusal(Action.REPORT))
    for_client = not caller.is_staff
    if command.post and not may(caller.person, Action.REPORT_POST, where(services, caller, client)):
        return _refused(refusal(Action.REPORT_POST))
    private = for_client or (channel_client is not None and not command.post)
    period_text = command.period.text if command.period else None
    try:
        client = service.client_key(client)
        period = service.period(period_text, client)
    except ReportError as exc:
        return Answer(text=escape(str(exc)), blocks=[section(escape(str(exc)))])
    who = f"{services.book.clients[client].name}, " if client else ""
    label = f"{who}{period.describe()}"
    destination = _destination(services, caller, private=private)
    job = OnDemand(
        caller.team_id,
        caller.user_id,
        caller.channel_id,
        destination,
        period_text,
        client,
        private=private,
        for_client=for_client,
    )
    return ReportAnswer(
        text=report_ack_text(label, destination, private=private),
        blocks=report_ack(label, destination, private=private),
        detail=lambda: service.build(
            team_id=caller.team_id, period=period, client=client, for_client=for_client
        ).text(),
        report_job=job,
    )
