"""``/sla incident start|resolve|maintenance|list|credits`` (agents only; errors are messages)."""

from __future__ import annotations

from bot import grammar as g
from bot.services.container import Services
from bot.services.incidents import IncidentError
from handlers.blocks import Message
from handlers.blocks import incidents as blocks
from handlers.commands import Answer, Caller
from sla.roles import Action, Where, may, refusal


def _answer(message: Message) -> Answer:
    return Answer(text=message.text, blocks=message.blocks)


def incident_command(services: Services, caller: Caller, command: g.Incident) -> Answer:
    """``/sla incident start|resolve|maintenance|list|credits`` — agents only; errors are messages."""
    uptime = services.uptime
    assert uptime is not None, "the incidents feature registers /sla incident"
    if not may(caller.person, Action.INCIDENT, Where()):
        return _answer(blocks.plain_message(refusal(Action.INCIDENT)))
    now = services.clock.now()
    try:
        if command.action == "start":
            view = uptime.start(
                team_id=caller.team_id,
                service=command.service or "",
                reason=command.reason,
                actor=caller.user_id,
            )
            return _answer(blocks.incident_started(view, now))
        if command.action == "resolve":
            views = uptime.resolve(
                team_id=caller.team_id, service=command.service or "", actor=caller.user_id
            )
            return _answer(blocks.incidents_resolved(views, now))
        if command.action == "maintenance":
            assert command.window is not None
            view = uptime.declare_maintenance(
                team_id=caller.team_id,
                service=command.service or "",
                start=command.window.start,
                end=command.window.end,
                reason=command.reason,
                actor=caller.user_id,
            )
            return _answer(blocks.maintenance_declared(view, now))
        client = command.client or _channel_client(services, caller)
        if command.action == "credits":
            statements = uptime.statements(team_id=caller.team_id, client_key=client, month=command.period)
            return _answer(blocks.credits_message(statements))
        overview = uptime.overview(team_id=caller.team_id, client_key=client, month=command.period)
        return _answer(blocks.overview_message(overview))
    except IncidentError as exc:
        return _answer(blocks.plain_message(str(exc)))


def _channel_client(services: Services, caller: Caller) -> str | None:
    if not caller.channel_id or caller.in_dm:
        return None
    return services.client_for_channel(caller.team_id, caller.channel_id)
