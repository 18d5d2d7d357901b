"""A person's message in a client's channel, applied: the use case behind ``handlers.events``.

Who wrote it comes from the people directory (agent, other staff, client), what it means from
the contract's conversation rules (``sla.conversation``), and the change goes through
:class:`~bot.services.tickets.TicketService` like every other: one event at a time, each stored
with its projection. Idempotent per Slack message: each event carries the message's
``channel:ts`` (plus ``:resume`` / ``:reopen`` for the status change it causes), so a redelivery
changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.services.intake import IntakeLog
from bot.services.people import AgentDirectory
from bot.services.tickets import TicketError, TicketService, TicketState
from sla.contracts import ContractBook
from sla.conversation import Action, Decision, Writer, in_thread, top_level
from sla.metrics import EventKind


@dataclass(frozen=True)
class SlackMessage:
    """A person's message as the Slack adapter read it (``text``: plain, no live mention left)."""

    team_id: str
    channel_id: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    #: the ticket the message went to (the new one when it opened one)
    state: TicketState | None = None
    #: the ticket a successor follows
    follows: str | None = None


class Conversations:
    def __init__(
        self, *, tickets: TicketService, people: AgentDirectory, book: ContractBook, intake: IntakeLog
    ) -> None:
        self.tickets = tickets
        self.people = people
        self.book = book
        self.intake = intake

    def top_level(self, message: SlackMessage, client_key: str) -> Outcome:
        """A new top-level message in ``client_key``'s channel: open a ticket, or nothing."""
        writer = self.people.writer(message.team_id, message.user, client_key)
        decision = top_level(self.book.conversation_for(client_key), writer=writer, text=message.text)
        if not decision.changes_something:
            return self._ignored(decision, message)
        return Outcome(decision, self._open(message, client_key, thread_ts=message.ts))

    def in_thread(self, message: SlackMessage, state: TicketState) -> Outcome:
        """A reply in the thread of ``state``'s ticket (the thread's newest ticket)."""
        ticket = state.ticket
        client_key = ticket.client_key
        writer = self.people.writer(message.team_id, message.user, client_key)
        rules = self.book.conversation_for(client_key) if client_key in self.book.clients else None
        if rules is None:  # a client no longer in the contract file: only record as before
            return Outcome(Decision(Action.IGNORE, "ticket_done"))
        decision = in_thread(
            rules,
            writer=writer,
            text=message.text,
            status=ticket.status,
            resolved_at=ticket.resolved_at,
            now=message.at,
        )
        action = decision.action
        if action is Action.IGNORE:
            return self._ignored(decision, message)
        if action is Action.SUCCESSOR:
            assert client_key is not None
            new = self._open(message, client_key, thread_ts=ticket.thread_ts, follows=ticket.ref)
            return Outcome(decision, new, follows=ticket.ref)
        key = f"{message.channel_id}:{message.ts}"
        at = max(message.at, state.timers[0].started_at if state.timers else message.at)
        if action is Action.RESUME:
            self._apply(
                state, kind=EventKind.STATUS, status="open", message=message, at=at, key=f"{key}:resume"
            )
        elif action is Action.REOPEN:
            self._apply(state, kind=EventKind.REOPENED, message=message, at=at, key=f"{key}:reopen")
        kind = EventKind.AGENT_MESSAGE if writer is Writer.AGENT else EventKind.CLIENT_MESSAGE
        after = self._apply(state, kind=kind, message=message, at=at, key=key)
        return Outcome(decision, after or state)

    # ---- applying -------------------------------------------------------------------------------

    def _open(
        self, message: SlackMessage, client_key: str, *, thread_ts: str | None, follows: str | None = None
    ) -> TicketState:
        version = self.book.version_for(client_key, message.at)
        return self.tickets.open(
            team_id=message.team_id,
            client_key=client_key,
            source="slack_thread",
            priority=version.priority_for(message.text),
            title=" ".join(message.text.split())[:150] or "(no text)",
            channel_id=message.channel_id,
            thread_ts=thread_ts,
            requester=message.user,
            actor=message.user,
            at=message.at,
            external_id=f"{message.channel_id}:{message.ts}",
            follows=follows,
            source_ts=message.ts,  # one ticket per source message (a successor: the reply that opened it)
        )

    def _apply(
        self,
        state: TicketState,
        *,
        kind: EventKind,
        message: SlackMessage,
        at: datetime,
        key: str,
        status: str | None = None,
    ) -> TicketState | None:
        note = "the client replied" if kind in (EventKind.STATUS, EventKind.REOPENED) else None
        try:
            return self.tickets.record(
                team_id=message.team_id,
                ref=state.ticket.ref,
                kind=kind,
                status=status,
                actor=message.user,
                note=note,
                at=at,
                source="slack",
                external_id=key,
            )
        except TicketError as exc:
            logging.getLogger(__name__).info("thread message not applied to %s: %s", state.ticket.ref, exc)
            return None

    def _ignored(self, decision: Decision, message: SlackMessage) -> Outcome:
        self.intake.ignored("slack", decision.reason or "unknown_shape", channel=message.channel_id)
        return Outcome(decision)
