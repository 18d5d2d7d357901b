"""``/sla``: one grammar for Slack and the terminal (``slabot cmd "status T-12"``).

:func:`answer` parses the text, calls one use case and renders the result; the Bolt listener
acks with it (ephemeral) and then queues the short notes a change leaves in the ticket's thread
(:func:`queue_notes`: through the outbox, so a Slack outage delays them but loses none).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from bot import grammar as g
from bot.services.alerts import QueuedMessage, queue_messages
from bot.services.tickets import AmbiguousTicket, TicketError, TicketState, ambiguity_message
from handlers.blocks import Block, Message, channel_mention, context, header, section
from handlers.blocks.help import help_message, usage_error_message
from handlers.blocks.limits import escape, truncate_text, unformat
from handlers.blocks.status import explain_message, status_message, status_text, ticket_detail
from handlers.blocks.tickets import Change, change_note
from handlers.workspace import team_of
from sla.contracts import render_contract_plain
from sla.metrics import EventKind, TicketStatus
from sla.roles import STAFF, Action, Person, Role, Where, may, refusal

if TYPE_CHECKING:
    from bot.services.container import CommandHandler, Services

log = logging.getLogger(__name__)

STATUS_PAGE = 40
#: most tickets the terminal lists for one `slabot cmd "status …"`
TERMINAL_LIMIT = 10_000


@dataclass(frozen=True)
class Caller:
    """Who typed the command, and where."""

    team_id: str
    user_id: str
    channel_id: str | None
    is_agent: bool
    #: the caller's roles (``services.people.person``); None: an agent or not, as ``is_agent`` says
    who: Person | None = None

    @property
    def in_dm(self) -> bool:
        return bool(self.channel_id) and self.channel_id.startswith("D")

    @property
    def person(self) -> Person:
        if self.who is not None:
            return self.who
        return Person(self.user_id, roles=frozenset({Role.AGENT}) if self.is_agent else frozenset())

    @property
    def is_staff(self) -> bool:
        return self.person.is_staff


def caller_for(services: Services, team_id: str, user_id: str | None, channel_id: str | None) -> Caller:
    """The caller with its roles, as the role table (``sla.roles``) sees them."""
    who = services.people.person(team_id, user_id)
    return Caller(team_id, user_id or "", channel_id, who.is_agent, who)


def where(services: Services, caller: Caller, client: str | None = None, **ticket: Any) -> Where:
    """Where ``caller`` asks (the client of the channel) about ``client`` (or a ticket: requester=...)."""
    return Where(client=client, channel_client=_client_of_channel(services, caller), **ticket)


def require(services: Services, caller: Caller, action: Action, at: Where | None = None) -> None:
    """Refuse (a :class:`TicketError` for the user) unless the role table allows ``action`` here."""
    if not may(caller.person, action, at if at is not None else where(services, caller)):
        raise TicketError(refusal(action))


def own_client(services: Services, caller: Caller) -> str | None:
    """The client a request is about by default: the channel's, else (a client's DM) the one client
    that lists the caller in ``contacts``."""
    channel_client = _client_of_channel(services, caller)
    if channel_client is not None or caller.is_staff:
        return channel_client
    mine = caller.person.contact_of
    return next(iter(mine)) if len(mine) == 1 else None


def visible_clients(services: Services, caller: Caller) -> list[str]:
    """The clients ``caller`` may name: all for our side; a client's own (its channel's, its contacts')."""
    if caller.is_staff:
        return list(services.book.clients)
    own = set(caller.person.contact_of)
    channel_client = _client_of_channel(services, caller)
    if channel_client:
        own.add(channel_client)
    return [k for k in services.book.clients if k in own]


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
    """What to show the caller.

    ``text`` is Slack mrkdwn, complete on its own (the fallback of the blocks): user-supplied parts in
    it are escaped like everywhere else. The terminal prints :meth:`full_text`, its plain reading."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[ThreadNote] = field(default_factory=list)
    #: the complete plain-text rendering when ``text`` is only Slack's short fallback (the terminal
    #: prints it; Slack shows the blocks, so it is not computed there)
    detail: Callable[[], str] | None = None
    _ack_json: str | None = field(default=None, repr=False, compare=False)

    def full_text(self) -> str:
        return self.detail() if self.detail is not None else unformat(self.text)

    def ack_body(self) -> str:
        """The JSON of the ephemeral ack (computed once: cached answers are acked many times)."""
        if self._ack_json is None:
            self._ack_json = json.dumps(
                {"text": truncate_text(self.text, 3000), "response_type": "ephemeral", "blocks": self.blocks}
            )
        return self._ack_json


def _plain(text: str) -> Answer:
    """An answer of plain words (which may quote what someone typed): escaped everywhere."""
    return Answer(text=escape(text), blocks=[section(escape(text))])


def answer(services: Services, caller: Caller, text: str) -> Answer:
    """Parse and run one ``/sla`` command; never raises for anything a user can type."""
    # a client names only its own client: another's name is unknown (no "did you mean" either)
    command = g.parse(text or "", clients=visible_clients(services, caller))
    if isinstance(command, g.UsageError):
        return Answer(text=escape(command.text), blocks=usage_error_message(command))
    handler = services.commands.get(type(command))
    if handler is None:
        name = type(command).__name__.lower()
        return _plain(
            f"`/sla {name}` is not available in this version of slabot yet. `/sla help` lists what is."
        )
    try:
        return handler(services, caller, command)
    except AmbiguousTicket as exc:
        return _plain(_ambiguity_for(caller, exc))
    except TicketError as exc:
        return _plain(str(exc))


def _ambiguity_for(caller: Caller, exc: AmbiguousTicket) -> str:
    """The tickets a key names, only those the caller may see (a client never learns of another's)."""
    seen = [
        c
        for c in exc.candidates
        if may(caller.person, Action.STATUS, Where(client=c.client_key, ticket=True, requester=c.requester))
    ]
    if not seen:
        return f"I can't find ticket {exc.typed.upper()} among your requests."
    return str(exc) if len(seen) == len(exc.candidates) else ambiguity_message(exc.typed, seen)


# ---- reading ------------------------------------------------------------------------------------


def _help(services: Services, caller: Caller, command: g.Help) -> Answer:
    return Answer(
        text=g.HELP_TEXT if not command.topic else g.usage(command.topic), blocks=help_message(command.topic)
    )


def _status(services: Services, caller: Caller, command: g.Status) -> Answer:
    target = command.target
    if isinstance(target, g.TicketTarget):
        scope = _scope(caller)
        return services.answers.get_or_compute(
            caller.team_id,
            ("ticket", target.ref.upper(), scope),
            lambda: _status_of_ticket(services, caller, target.ref),
        )
    if not caller.is_staff:  # clients see their own tickets only
        filters: dict[str, Any] = {"requester": caller.user_id}
        title = "Your open requests"
    else:
        found = _status_filters(services, caller, target)
        if isinstance(found, Answer):
            return found
        filters, title = found
    if "client_key" in filters:  # a lead or manager of some clients only: theirs
        require(services, caller, Action.STATUS, where(services, caller, filters["client_key"]))
    elif caller.is_staff and filters != {"assignee": caller.user_id}:  # one's own are always one's own
        require(services, caller, Action.STATUS, where(services, caller, None))
    key = ("list", tuple(sorted(filters.items())), _scope(caller))
    return services.answers.get_or_compute(
        caller.team_id, key, lambda: _status_list(services, caller.team_id, filters, title)
    )


def _scope(caller: Caller) -> str:
    """Whose cached answers ``caller`` may share: our side with a role for every client, or its own."""
    return "agent" if caller.person.roles & STAFF else caller.user_id


def _status_of_ticket(services: Services, caller: Caller, ref: str) -> Answer:
    state = services.tickets.state(team_id=caller.team_id, ref=ref)
    _require_visible(caller, state)
    view = state.view(services.book)
    return Answer(
        text=escape(status_text([view], state.now, title=view.ref)),
        blocks=ticket_detail(view, state.now),
        detail=lambda: status_text([view], state.now, title=view.ref),
    )


def _status_filters(
    services: Services, caller: Caller, target: g.StatusTarget
) -> tuple[dict[str, Any], str] | Answer:
    """The query an agent's ``/sla status <target>`` stands for, and its title."""
    if isinstance(target, g.DefaultTarget):
        client = _client_of_channel(services, caller)
        if client is not None:
            return {"client_key": client}, f"Open tickets of {services.book.clients[client].name}"
        if caller.in_dm or caller.channel_id is None:
            return {"assignee": caller.user_id}, "Your open tickets"
        return {"channel_id": caller.channel_id}, "Open tickets in this channel"
    if isinstance(target, g.MineTarget):
        return {"assignee": caller.user_id}, "Your open tickets"
    if isinstance(target, g.UserTarget):
        user = caller.user_id if target.user.me else target.user.user_id
        if not user:
            return _plain(f"I can't tell who @{target.user.name} is: pick them from Slack's @-autocomplete.")
        return {"assignee": user}, f"Open tickets of <@{user}>"
    if isinstance(target, g.ChannelTarget):
        channel = target.channel.channel_id
        if not channel:
            return _plain(
                f"I can't tell which channel #{target.channel.name} is: pick it from Slack's #-autocomplete."
            )
        return {"channel_id": channel}, f"Open tickets in <#{channel}>"
    if isinstance(target, g.ClientTarget):
        client = _require_client(services, target.client)
        return {"client_key": client}, f"Open tickets of {services.book.clients[client].name}"
    if isinstance(target, g.BreachedTarget):
        return {"state": "breached"}, "Breached tickets"
    if isinstance(target, g.AtRiskTarget):
        return {"state": "at_risk"}, "Tickets at risk"
    return {}, "All open tickets"


def _status_list(services: Services, team_id: str, filters: dict[str, Any], title: str) -> Answer:
    page = services.tickets.open_page(team_id=team_id, limit=STATUS_PAGE, **filters)
    plain_title = title.replace("<@", "@").replace("<#", "#").replace(">", "")
    total = f"{page.total}" if page.total_is_exact else f"{page.total}+"
    more = f"\n… and {total} in all" if page.total > len(page.views) else ""

    def full_listing() -> str:  # the terminal (`slabot cmd "status …"`) lists them all
        every = services.tickets.open_page(team_id=team_id, limit=TERMINAL_LIMIT, count_limit=None, **filters)
        cut = f"\n… and {every.total - len(every.views)} more" if every.total > len(every.views) else ""
        return status_text(every.views, every.now, title=plain_title) + cut

    return Answer(
        text=escape(f"{plain_title}: {total} open"),
        blocks=status_message(
            page.views,
            page.now,
            title=truncate_text(plain_title, 150),
            total=page.total,
            total_is_exact=page.total_is_exact,
        ),
        detail=full_listing if more else (lambda: status_text(page.views, page.now, title=plain_title)),
    )


def _explain(services: Services, caller: Caller, command: g.Explain) -> Answer:
    state = services.tickets.state(team_id=caller.team_id, ref=command.ref, timeline=True)
    _require_visible(caller, state, Action.EXPLAIN)
    view = state.view(services.book)
    lines = [f"{e.at.astimezone(view.tz):%a %d %b %H:%M} · {e.detail}" for e in state.timeline]
    plain = f"{view.ref} — timeline\n" + "\n".join(lines)
    return Answer(
        text=escape(plain), blocks=explain_message(view, state.timeline, view.tz), detail=lambda: plain
    )


def _contract(services: Services, caller: Caller, command: g.Contract) -> Answer:
    """The contract in plain words: a client sees its own client's only, without the staff-only parts
    (alert channels, leads, escalation, warnings); the answer is ephemeral like every ``/sla`` answer."""
    key = command.client or own_client(services, caller)
    if key is None:
        names = ", ".join(visible_clients(services, caller)) or "none you can see from here"
        return _plain(
            f"Which client? This channel is not linked to one. Try `/sla contract <client>` with one of: {names}."
        )
    if not may(caller.person, Action.CONTRACT, where(services, caller, key)):
        raise TicketError(refusal(Action.CONTRACT))
    key = _require_client(services, key)
    full = may(caller.person, Action.CONTRACT_FULL, where(services, caller, key))
    lines = render_contract_plain(services.book, key, services.clock.now(), staff=full)
    blocks: list[Block] = [header(escape(f"Contract of {services.book.clients[key].name}"))]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section(escape("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section(escape("\n".join(chunk))))
    return Answer(text=escape("\n".join(lines)), blocks=blocks[:50], detail=lambda: "\n".join(lines))


# ---- changing -----------------------------------------------------------------------------------


def _require_agent(caller: Caller, what: str, action: Action = Action.TICKET_WORK) -> None:
    if not may(caller.person, action, Where()):
        raise TicketError(
            f"Only support agents can {what}. Ask an agent in this channel, or your account lead."
        )


def _require_visible(caller: Caller, state: TicketState, action: Action = Action.STATUS) -> None:
    """A client sees its own requests; a lead or manager of some clients, their tickets."""
    at = Where(client=state.ticket.client_key, ticket=True, requester=state.ticket.requester)
    if not may(caller.person, action, at):
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
    # the headline is mrkdwn built from trusted parts (refs, priorities, client keys, <@user> mentions)
    blocks = [section(headline), *ticket_detail(view, state.now)]
    plain = status_text([view], state.now, title=view.ref)
    return Answer(
        text=headline + "\n" + escape(plain),
        blocks=blocks[:50],
        notes=notes,
        detail=lambda: unformat(headline) + "\n" + plain,
    )


def _start(services: Services, caller: Caller, command: g.Start) -> Answer:
    _require_agent(caller, "start SLA tickets", Action.TICKET_START)
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
            extra["status"] = TicketStatus.WAITING_ON_CLIENT if change is Change.PAUSED else TicketStatus.OPEN
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


def _dismiss(services: Services, caller: Caller, command: g.Dismiss) -> Answer:
    _require_agent(caller, "dismiss tickets", Action.TICKET_DISMISS)
    state = services.tickets.record(
        team_id=caller.team_id,
        ref=command.ref,
        kind=EventKind.DISMISSED,
        actor=caller.user_id,
        note=command.reason,
    )
    return _changed(
        services,
        caller,
        state,
        Change.DISMISSED,
        command.reason,
        f"{state.ticket.ref}: not a ticket — its clocks are cancelled and it leaves every report and credit.",
    )


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
    # admins only (SLABOT_ADMINS, roles.admins); with no admin at all, any agent may
    require(services, caller, Action.CHANNEL_LINK, Where())
    client = _require_client(services, command.client)
    if not command.channel.channel_id:
        return _plain("Pick the channel from Slack's #-autocomplete so I get its id.")
    services.link_channel(
        team_id=caller.team_id, channel_id=command.channel.channel_id, client_key=client, actor=caller.user_id
    )
    text = (
        f"Linked {channel_mention(command.channel.channel_id)} to {escape(services.book.clients[client].name)}: "
        "new messages there open tickets."
    )
    return Answer(text=text, blocks=[section(text)])


def _admin(services: Services, caller: Caller, command: g.Admin) -> Answer:
    require(services, caller, Action.ADMIN_ALERTS, Where())
    failed = services.failed_alerts(caller.team_id)
    if not failed:
        return _plain("No failed alert deliveries or report jobs. 🎉")
    lines = [f"• {line}" for line in failed]
    return Answer(
        text=escape("Failed alert deliveries and report jobs:\n" + "\n".join(lines)),
        blocks=[header("Failed alert deliveries and report jobs"), section(escape("\n".join(lines[:40])))],
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


#: the core ``/sla`` subcommands (read-only); each app instance starts its own table from these and
#: its features add theirs (``services.commands[g.Review] = ...`` in their ``install``)
BASE_COMMANDS: Mapping[type, CommandHandler] = MappingProxyType(
    {
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
        g.Dismiss: _dismiss,
        g.Assign: _assign,
        g.Link: _link,
        g.Admin: _admin,
    }
)


def command_table() -> dict[type, CommandHandler]:
    """A fresh ``/sla`` command table for one app instance (``Services.commands``)."""
    return dict(BASE_COMMANDS)


# ---- the Bolt listener ---------------------------------------------------------------------------

#: Slack wants the ack within 3 s; an answer not ready after this many seconds is acked with a
#: placeholder and sent through the command's ``response_url`` when it is ready.
ACK_BUDGET_SECONDS = 2.0
WORKING_TEXT = "Working on it… the answer follows in a moment."
SORRY_TEXT = (
    "Something went wrong on my side (it is logged). Try again in a moment; `/sla help` lists the commands."
)


class AckDeadline:
    """One daemon thread that fires callbacks at deadlines (cheaper than a Timer thread per request)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def at(self, seconds: float, callback: Callable[[], None]) -> int:
        with self._cond:
            token = next(self._seq)
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, callback))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="slabot-ack-deadline", daemon=True)
                self._thread.start()
            if self._heap[0][1] == token:  # only an earlier deadline needs to wake the thread
                self._cond.notify()
            return token

    def cancel(self, token: int) -> None:
        with self._cond:
            self._cancelled.add(token)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, token, callback = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if token in self._cancelled:
                    self._cancelled.discard(token)
                    continue
            try:
                callback()
            except Exception:
                log.exception("ack deadline callback failed")


class _OneAck:
    """Whoever comes first acks: the answer, or the placeholder at the deadline."""

    def __init__(self, ack: Ack) -> None:
        self._ack = ack
        self._lock = threading.Lock()
        self.placeholder_sent = False
        self.answered = False

    def placeholder(self) -> None:
        with self._lock:
            if self.answered:
                return
            self.placeholder_sent = True
        self._ack(text=WORKING_TEXT, response_type="ephemeral")

    def answer(self, result: Answer) -> bool:
        """Ack with ``result``; False when the placeholder went first (send it another way)."""
        with self._lock:
            if self.placeholder_sent:
                return False
            self.answered = True
        # the rendered body is cached on the answer: a cached /sla status costs no JSON encoding
        self._ack.response = BoltResponse(status=200, body=result.ack_body())
        return True


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


def register(app: App, services: Services) -> None:
    deadlines = AckDeadline()  # this app's: its thread starts with the first /sla

    @app.command("/sla")
    def on_sla(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        once = _OneAck(ack)
        token = deadlines.at(ACK_BUDGET_SECONDS, once.placeholder)
        team_id = team_of(context)
        try:
            caller = caller_for(services, team_id, body.get("user_id"), body.get("channel_id"))
            result = answer(services, caller, body.get("text") or "")
        except Exception:  # a bug, not a user's mistake: a short apology instead of Slack's timeout
            log.exception("/sla %r failed", body.get("text"))
            result = _plain(SORRY_TEXT)
        deadlines.cancel(token)
        if not once.answer(result):
            respond(
                text=truncate_text(result.text, 3000),
                blocks=result.blocks,
                response_type="ephemeral",
                replace_original=True,
            )
        queue_notes(services, team_id, result.notes)
        services.after_change(team_id, result)


__all__ = [
    "BASE_COMMANDS",
    "Answer",
    "Caller",
    "ThreadNote",
    "answer",
    "caller_for",
    "command_table",
    "context",
    "own_client",
    "register",
    "require",
    "visible_clients",
    "where",
]
