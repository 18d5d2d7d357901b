"""``/sla``: one grammar for Slack and the terminal (``slabot cmd "status T-12"``).

:func:`answer` parses the text, calls one use case and renders the result; the Bolt listener
acks with it (ephemeral) and then queues the short notes a change leaves in the ticket's thread
(:func:`queue_notes`: through the outbox, so a Slack outage delays them but loses none).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import grammar as g
from bot.services.alerts import QueuedMessage, queue_messages
from bot.services.tickets import TicketError, TicketState
from handlers.blocks import Block, Message, context, header, section
from handlers.blocks.help import help_message, usage_error_message
from handlers.blocks.limits import escape, truncate_text
from handlers.blocks.status import explain_message, status_message, status_text, ticket_detail
from handlers.blocks.tickets import Change, change_note
from sla.contracts import render_contract_plain
from sla.metrics import EventKind

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

STATUS_PAGE = 40


@dataclass(frozen=True)
class Caller:
    """Who typed the command, and where."""

    team_id: str
    user_id: str
    channel_id: str | None
    is_agent: bool

    @property
    def in_dm(self) -> bool:
        return bool(self.channel_id) and self.channel_id.startswith("D")


@dataclass(frozen=True)
class ThreadNote:
    channel_id: str
    thread_ts: str
    message: Message
    #: the note's idempotency key in the workspace, one per change (derived from the text when None)
    key: str | None = None
    ticket_id: int | None = None


@dataclass
class Answer:
    """What to show the caller (``text`` is complete on its own: the terminal prints it)."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[ThreadNote] = field(default_factory=list)
    #: the complete plain-text rendering when ``text`` is only Slack's short fallback (the terminal
    #: prints it; Slack shows the blocks, so it is not computed there)
    detail: Callable[[], str] | None = None

    def full_text(self) -> str:
        return self.detail() if self.detail is not None else self.text


def _plain(text: str) -> Answer:
    return Answer(text=text, blocks=[section(escape(text))])


def answer(services: Services, caller: Caller, text: str) -> Answer:
    """Parse and run one ``/sla`` command; never raises for anything a user can type."""
    command = g.parse(text or "", clients=list(services.book.clients))
    if isinstance(command, g.UsageError):
        return Answer(text=command.text, blocks=usage_error_message(command))
    handler = _HANDLERS.get(type(command))
    if handler is None:
        name = type(command).__name__.lower()
        return _plain(
            f"`/sla {name}` is not available in this version of slabot yet. `/sla help` lists what is."
        )
    try:
        return handler(services, caller, command)
    except TicketError as exc:
        return _plain(str(exc))


# ---- reading ------------------------------------------------------------------------------------


def _help(services: Services, caller: Caller, command: g.Help) -> Answer:
    return Answer(
        text=g.HELP_TEXT if not command.topic else g.usage(command.topic), blocks=help_message(command.topic)
    )


def _status(services: Services, caller: Caller, command: g.Status) -> Answer:
    target = command.target
    tickets = services.tickets
    if isinstance(target, g.TicketTarget):
        state = tickets.state(team_id=caller.team_id, ref=target.ref)
        _require_visible(caller, state)
        view = state.view(services.book)
        from handlers.blocks.status import status_text as _text

        return Answer(text=_text([view], state.now, title=view.ref), blocks=ticket_detail(view, state.now))
    filters: dict[str, Any] = {}
    title = "Open tickets"
    if not caller.is_agent:
        return _status_for_requester(services, caller)
    if isinstance(target, g.DefaultTarget):
        client = _client_of_channel(services, caller)
        if client is not None:
            filters["client_key"], title = client, f"Open tickets of {services.book.clients[client].name}"
        elif caller.in_dm or caller.channel_id is None:
            filters["assignee"], title = caller.user_id, "Your open tickets"
        else:
            filters["channel_id"], title = caller.channel_id, "Open tickets in this channel"
    elif isinstance(target, g.MineTarget):
        filters["assignee"], title = caller.user_id, "Your open tickets"
    elif isinstance(target, g.UserTarget):
        user = caller.user_id if target.user.me else target.user.user_id
        if not user:
            return _plain(f"I can't tell who @{target.user.name} is: pick them from Slack's @-autocomplete.")
        filters["assignee"], title = user, f"Open tickets of <@{user}>"
    elif isinstance(target, g.ChannelTarget):
        if not target.channel.channel_id:
            return _plain(
                f"I can't tell which channel #{target.channel.name} is: pick it from Slack's #-autocomplete."
            )
        filters["channel_id"], title = (
            target.channel.channel_id,
            f"Open tickets in <#{target.channel.channel_id}>",
        )
    elif isinstance(target, g.ClientTarget):
        client = _require_client(services, target.client)
        filters["client_key"], title = client, f"Open tickets of {services.book.clients[client].name}"
    elif isinstance(target, g.BreachedTarget):
        filters["state"], title = "breached", "Breached tickets"
    elif isinstance(target, g.AtRiskTarget):
        filters["state"], title = "at_risk", "Tickets at risk"
    views, total, now = tickets.open_tickets(team_id=caller.team_id, limit=STATUS_PAGE, **filters)
    plain_title = title.replace("<@", "@").replace("<#", "#").replace(">", "")
    more = f"\n… and {total - len(views)} more" if total > len(views) else ""
    return Answer(
        text=f"{plain_title}: {total} open",
        blocks=status_message(views, now, title=truncate_text(plain_title, 150), total=total),
        detail=lambda: status_text(views, now, title=plain_title) + more,
    )


def _status_for_requester(services: Services, caller: Caller) -> Answer:
    """Clients see their own tickets only."""
    views, total, now = services.tickets.open_tickets(team_id=caller.team_id, limit=STATUS_PAGE)
    own = [v for v in views if v.requester == caller.user_id]
    return Answer(
        text=status_text(own, now, title="Your open requests"),
        blocks=status_message(own, now, title="Your open requests"),
    )


def _explain(services: Services, caller: Caller, command: g.Explain) -> Answer:
    state = services.tickets.state(team_id=caller.team_id, ref=command.ref, timeline=True)
    _require_visible(caller, state)
    view = state.view(services.book)
    lines = [f"{e.at.astimezone(view.tz):%a %d %b %H:%M} · {e.detail}" for e in state.timeline]
    return Answer(
        text=f"{view.ref} — timeline\n" + "\n".join(lines),
        blocks=explain_message(view, state.timeline, view.tz),
    )


def _contract(services: Services, caller: Caller, command: g.Contract) -> Answer:
    key = command.client or _client_of_channel(services, caller)
    if key is None:
        names = ", ".join(sorted(services.book.clients))
        return _plain(
            f"Which client? This channel is not linked to one. Try `/sla contract <client>` with one of: {names}."
        )
    key = _require_client(services, key)
    lines = render_contract_plain(services.book, key, services.clock.now())
    blocks: list[Block] = [header(f"Contract of {services.book.clients[key].name}")]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section(escape("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section(escape("\n".join(chunk))))
    return Answer(text="\n".join(lines), blocks=blocks[:50])


# ---- changing -----------------------------------------------------------------------------------


def _require_agent(caller: Caller, what: str) -> None:
    if not caller.is_agent:
        raise TicketError(
            f"Only support agents can {what}. Ask an agent in this channel, or your account lead."
        )


def _require_visible(caller: Caller, state: TicketState) -> None:
    if not caller.is_agent and state.ticket.requester != caller.user_id:
        raise TicketError(f"I can't find ticket {state.ticket.ref} among your requests.")


def _changed(
    services: Services, caller: Caller, state: TicketState, change: Change, detail: str | None, headline: str
) -> Answer:
    view = state.view(services.book)
    notes = []
    if state.ticket.channel_id and state.ticket.thread_ts:
        notes.append(
            ThreadNote(
                state.ticket.channel_id,
                state.ticket.thread_ts,
                change_note(change, ref=view.ref, actor=caller.user_id, detail=detail),
                key=f"{caller.team_id}:{view.ref}:note:{change.value}@{state.now.isoformat()}",
                ticket_id=state.ticket.id,
            )
        )
    blocks = [section(escape(headline)), *ticket_detail(view, state.now)]
    return Answer(
        text=headline + "\n" + status_text([view], state.now, title=view.ref), blocks=blocks[:50], notes=notes
    )


def _start(services: Services, caller: Caller, command: g.Start) -> Answer:
    _require_agent(caller, "start SLA tickets")
    if command.ref is not None:
        state = services.tickets.state(team_id=caller.team_id, ref=command.ref)
        return _plain(
            f"{state.ticket.ref} is already tracked. `/sla status {state.ticket.ref}` shows its clocks."
        )
    client = command.client or _client_of_channel(services, caller)
    if client is None:
        names = ", ".join(sorted(services.book.clients))
        return _plain(
            f"For which client? Add it, e.g. `/sla start P2 {next(iter(sorted(services.book.clients)), 'acme')} Printer on fire` (clients: {names})."
        )
    client = _require_client(services, client)
    state = services.tickets.open(
        team_id=caller.team_id,
        client_key=client,
        source="slash_command",
        priority=command.priority,
        title=command.title,
        channel_id=caller.channel_id if caller.channel_id and not caller.in_dm else None,
        actor=caller.user_id,
    )
    return _changed(
        services,
        caller,
        state,
        Change.OPENED,
        command.title,
        f"Started {state.ticket.ref} ({state.ticket.priority}, {client}).",
    )


def _event(kind: EventKind, change: Change, verb: str) -> Callable[[Services, Caller, Any], Answer]:
    def run(services: Services, caller: Caller, command: Any) -> Answer:
        _require_agent(caller, f"{verb} tickets")
        extra: dict[str, Any] = {}
        detail = None
        if kind is EventKind.STATUS:
            extra["status"] = "waiting_on_client" if change is Change.PAUSED else "open"
            extra["note"] = detail = getattr(command, "reason", None)
        if kind is EventKind.PRIORITY:
            before = services.tickets.state(team_id=caller.team_id, ref=command.ref).ticket.priority
            extra["priority"] = command.priority
            detail = f"{before} → {command.priority}"
        state = services.tickets.record(
            team_id=caller.team_id, ref=command.ref, kind=kind, actor=caller.user_id, **extra
        )
        return _changed(services, caller, state, change, detail, f"{state.ticket.ref}: {change.value}.")

    return run


def _assign(services: Services, caller: Caller, command: g.Assign) -> Answer:
    _require_agent(caller, "assign tickets")
    user = caller.user_id if command.user.me else command.user.user_id
    if not user:
        return _plain(f"I can't tell who @{command.user.name} is: pick them from Slack's @-autocomplete.")
    state = services.tickets.assign(
        team_id=caller.team_id, ref=command.ref, assignee=user, actor=caller.user_id
    )
    change = Change.TAKEN if user == caller.user_id else Change.ASSIGNED
    return _changed(services, caller, state, change, user, f"{state.ticket.ref} assigned to <@{user}>.")


def _link(services: Services, caller: Caller, command: g.Link) -> Answer:
    _require_agent(caller, "link channels")
    client = _require_client(services, command.client)
    if not command.channel.channel_id:
        return _plain("Pick the channel from Slack's #-autocomplete so I get its id.")
    services.link_channel(
        team_id=caller.team_id, channel_id=command.channel.channel_id, client_key=client, actor=caller.user_id
    )
    return _plain(
        f"Linked <#{command.channel.channel_id}> to {services.book.clients[client].name}: new messages there open tickets."
    )


def _admin(services: Services, caller: Caller, command: g.Admin) -> Answer:
    _require_agent(caller, "see delivery problems")
    failed = services.failed_alerts(caller.team_id)
    if not failed:
        return _plain("No failed alert deliveries. 🎉")
    lines = [f"• {line}" for line in failed]
    return Answer(
        text="Failed alert deliveries:\n" + "\n".join(lines),
        blocks=[header("Failed alert deliveries"), section(escape("\n".join(lines[:40])))],
    )


# ---- shared -------------------------------------------------------------------------------------


def _client_of_channel(services: Services, caller: Caller) -> str | None:
    if not caller.channel_id:
        return None
    return services.client_for_channel(caller.team_id, caller.channel_id)


def _require_client(services: Services, key: str) -> str:
    try:
        return services.book.client(key).key
    except KeyError as exc:
        raise TicketError(str(exc.args[0])) from None


_HANDLERS: dict[type, Callable[[Services, Caller, Any], Answer]] = {
    g.Help: _help,
    g.Status: _status,
    g.Explain: _explain,
    g.Contract: _contract,
    g.Start: _start,
    g.Reply: _event(EventKind.AGENT_MESSAGE, Change.REPLIED, "answer"),
    g.Pause: _event(EventKind.STATUS, Change.PAUSED, "pause"),
    g.Resume: _event(EventKind.STATUS, Change.RESUMED, "resume"),
    g.Priority: _event(EventKind.PRIORITY, Change.PRIORITY, "re-prioritise"),
    g.Resolve: _event(EventKind.RESOLVED, Change.RESOLVED, "resolve"),
    g.Reopen: _event(EventKind.REOPENED, Change.REOPENED, "reopen"),
    g.Assign: _assign,
    g.Link: _link,
    g.Admin: _admin,
}


def register_extra(command_type: type, handler: Callable[[Services, Caller, Any], Answer]) -> None:
    """Features (reports, feedback, incidents) add their ``/sla`` subcommands here."""
    _HANDLERS[command_type] = handler


# ---- the Bolt listener ---------------------------------------------------------------------------


def queue_notes(services: Services, team_id: str, notes: list[ThreadNote]) -> None:
    """Hand the change notes to the outbox (kind ``message``): delivered by the notifier with retries,
    once per key, so a Slack outage loses none. The change itself is already stored."""
    messages = [
        QueuedMessage(
            key=note.key or _note_key(team_id, note),
            channel_id=note.channel_id,
            thread_ts=note.thread_ts,
            text=note.message.as_kwargs()["text"],
            blocks=note.message.blocks or None,
            ticket_id=note.ticket_id,
        )
        for note in notes
    ]
    try:
        queue_messages(services.uow, services.clock, team_id, messages)
    except Exception:  # the note is a courtesy; never turn a stored change into an error
        log.exception("could not queue %d change note(s)", len(messages))


def _note_key(team_id: str, note: ThreadNote) -> str:
    digest = hashlib.sha256(f"{note.thread_ts}\n{note.message.text}".encode()).hexdigest()[:20]
    return f"{team_id}:note:{note.channel_id}:{digest}"


def post_notes(client: WebClient, notes: list[ThreadNote]) -> None:
    """Post notes directly (no retry, lost if Slack is down). Prefer :func:`queue_notes`."""
    for note in notes:
        try:
            client.chat_postMessage(
                channel=note.channel_id, thread_ts=note.thread_ts, **note.message.as_kwargs()
            )
        except Exception:  # the note is a courtesy; the change itself is stored
            log.exception("could not post the change note in %s/%s", note.channel_id, note.thread_ts)


def register(app: App, services: Services) -> None:
    @app.command("/sla")
    def on_sla(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        caller = Caller(
            team_id=body.get("team_id") or "",
            user_id=body.get("user_id") or "",
            channel_id=body.get("channel_id"),
            is_agent=services.people.is_agent(body.get("team_id") or "", body.get("user_id")),
        )
        result = answer(services, caller, body.get("text") or "")
        ack(text=truncate_text(result.text, 3000), blocks=result.blocks, response_type="ephemeral")
        queue_notes(services, caller.team_id, result.notes)
        services.after_change(caller.team_id, result)


__all__ = ["Answer", "Caller", "ThreadNote", "answer", "context", "register", "register_extra"]
