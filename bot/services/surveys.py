"""Client feedback use cases: the survey after resolution, its answers, reminders, NPS, figures.

How it holds together:

- :meth:`SurveyService.on_change` is a ``TicketService`` listener: when a ticket is resolved it
  decides, **in the resolution's transaction**, whether the requester gets a survey (contract
  ``survey:`` settings: enabled, sample rate — a hash of the ticket, so replays agree — and
  fatigue, ``min_interval`` per requester), opens the survey row and queues its message in the
  outbox (kind ``message``, key ``survey:<id>``) to the ticket's thread or by DM.
- Clicks and modal submissions are **not trusted**: the button value only names a survey; the
  survey is loaded again and the clicked message must be the one the outbox posted for it
  (``slack_ts`` of ``survey:<id>``), the person must be its requester (or one of the client's
  contacts when ``who: client``; never an agent) and the survey must still be open.
- An answer (rating or comment) can be changed until ``closes_at``. A rating of 2 or less, or a
  negative or mixed comment (``sla.sentiment.score``), alerts the lead once per survey (outbox, key
  ``survey:<id>:negative``) with how the ticket's SLA went.
- Jobs (:mod:`bot.features.feedback`): one reminder per survey after ``reminder_after``
  (``mark_reminded`` is the claim), closing expired surveys, and the NPS question to each client's
  contacts once per cadence period (``report_runs`` claim per client and period).
- :meth:`SurveyService.figures` returns :class:`sla.feedback.FeedbackFigures` for (team, client,
  period): ``/sla feedback``, the weekly report and the SLA review call it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.notices import enqueue_composed
from bot.services.permalinks import thread_link
from bot.services.tickets import TicketChange, TicketService
from bot.teams import team_ids
from sla import periods
from sla.contracts import Client, ContractBook, ContractVersion
from sla.feedback import (
    FeedbackFigures,
    SurveyAnswer,
    figures,
    is_negative,
    nps_period_kind,
    rating_value,
    rating_words,
    sampled,
    sla_outcome,
)
from sla.sentiment import score
from storage.models import NpsResponse, Survey, SurveyState, Ticket
from storage.repositories import ALL_TEAMS, SentimentValues
from storage.uow import Transaction, UnitOfWork

log = logging.getLogger(__name__)

NOT_OURS = "That button is not one of slabot's, or not for this message. Nothing was changed."
NPS_SCORE_FIRST = "Pick a score from 0 to 10 first, then add your comment."
AGENTS_MAY_NOT = "This survey is for the client: agents can't answer it. Nothing was changed."
NPS_ANSWER_WINDOW = timedelta(days=30)
"""An NPS question can be answered until this long after its period ends."""

_P = ParamSpec("_P")
_R = TypeVar("_R")
_Value = TypeVar("_Value")


def survey_key(survey_id: int) -> str:
    return f"survey:{survey_id}"


def nps_key(client_key: str, period_label: str, user_id: str) -> str:
    return f"nps:{client_key}:{period_label}:{user_id}"


class Rendered(Protocol):
    """A message as the adapter built it (``handlers.blocks.Message``)."""

    text: str
    blocks: list[dict[str, Any]]

    def as_kwargs(self) -> dict[str, Any]: ...


class SurveyValue(Protocol):
    """A survey button's value or a comment modal's metadata, as read (``handlers.ids.SurveyRef``)."""

    survey_id: str


class SurveyUI(Protocol):
    """What surveys look like in Slack and how their buttons are read: the Slack adapter's
    (:class:`handlers.survey_ui.SlackSurveyUI`). A reader returns None for a value that is not one
    of slabot's (a forged or stale button)."""

    def survey_message(self, **fields: Any) -> Rendered: ...

    def survey_reminder(self, **fields: Any) -> Rendered: ...

    def nps_message(self, **fields: Any) -> Rendered: ...

    def negative_alert(self, **fields: Any) -> Rendered: ...

    def comment_modal(self, **fields: Any) -> dict[str, Any]: ...

    def survey_rating(self, value: object) -> Any | None: ...

    def nps_rating(self, value: object) -> Any | None: ...

    def survey_ref(self, value: object) -> SurveyValue | None: ...


@dataclass(frozen=True)
class Reply:
    """What the listener does with the person's click or submission."""

    notice: str | None = None
    """Told only to the person (``chat.postEphemeral``), or the modal's error."""
    update: Rendered | None = None
    """The survey message as it should read now (``chat.update`` of ``channel_id`` / ``ts``)."""
    channel_id: str | None = None
    ts: str | None = None
    view: dict[str, Any] | None = None
    """A modal to open with the click's ``trigger_id``."""


class _Refused(Exception):
    """An answer slabot does not take: ``notice`` tells the person why (nothing was changed)."""

    def __init__(self, notice: str) -> None:
        super().__init__(notice)
        self.notice = notice


def _refusing(answer: Callable[[str], _R]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """A use case whose refusals (:class:`_Refused`) come back as ``answer(notice)``."""

    def decorate(method: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(method)
        def answering(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(*args, **kwargs)
            except _Refused as refused:
                return answer(refused.notice)

        return answering

    return decorate


def _notice(text: str) -> Reply:
    return Reply(notice=text)


@dataclass(frozen=True)
class _Located:
    survey: Survey
    ticket: Ticket
    version: ContractVersion


@dataclass(kw_only=True, eq=False)
class SurveyService:
    uow: UnitOfWork
    book: ContractBook
    clock: Clock
    tickets: TicketService
    is_agent: Callable[[str, str], bool]
    ui: SurveyUI

    #: how a survey's messages are queued (a seam: a test makes it fail to show a survey never blocks a
    #: resolution)
    _enqueue = staticmethod(enqueue_composed)

    # ------------------------------------------------------------------ after resolution

    def on_change(self, tx: Transaction, change: TicketChange) -> None:
        """``TicketService`` listener: offer a survey when a ticket is resolved.

        The survey's rows go in a savepoint of the resolution's transaction: a survey that cannot be
        offered (a bug, a bad row) is logged and left out, and never blocks the resolution itself."""
        if change.kind != "resolved":
            return
        try:
            with tx.session.begin_nested():
                self.offer(tx, change)
        except Exception:
            log.exception("could not offer a survey for %s; the resolution stands", change.ticket.ref)

    def offer(self, tx: Transaction, change: TicketChange) -> Survey | None:
        ticket, settings = change.ticket, change.version.survey
        requester = ticket.requester
        if not settings.enabled or not requester or self.is_agent(change.team_id, requester):
            return None
        if not sampled(change.team_id, ticket.ref, settings.sample_rate):
            return None
        now = change.now
        if tx.surveys.get_for_ticket(team_id=change.team_id, ticket_id=ticket.id) is not None:
            return None  # resolved again after a reopen: one survey per ticket
        if settings.min_interval is not None:
            recent = tx.surveys.latest_for_requester(
                team_id=change.team_id, requester=requester, since=now - settings.min_interval
            )
            if recent is not None:
                return None
        in_thread = settings.via == "thread" and bool(ticket.channel_id and ticket.thread_ts)
        channel_id = ticket.channel_id if in_thread else requester
        survey = tx.surveys.open(
            team_id=change.team_id,
            ticket_id=ticket.id,
            opened_at=now,
            requester=requester,
            channel_id=channel_id,
            closes_at=now + settings.window,
            scale=settings.scale,
        )
        if survey is None:
            return None
        message = self.ui.survey_message(
            survey_ref=str(survey.id),
            ref=ticket.ref,
            title=ticket.title or "",
            requester=requester,
            scale=settings.scale,
            closes_at=now + settings.window,
            tz=self._zone(ticket.client_key, change.version),
        )
        self._enqueue(
            tx,
            message,
            team_id=change.team_id,
            key=survey_key(survey.id),
            channel_id=channel_id or requester,
            thread_ts=ticket.thread_ts if in_thread else None,
            ticket_id=ticket.id,
            now=now,
        )
        return survey

    # ------------------------------------------------------------------ answers
    # Each answer runs in ``_answer``; what refuses it raises ``_Refused``, which the method's
    # ``@_refusing`` turns into what the listener shows (a notice, or the modal's error).

    @_refusing(_notice)
    def rate(self, *, team_id: str, user_id: str, channel_id: str, message_ts: str, value: object) -> Reply:
        """A rating button was clicked on the message ``(channel_id, message_ts)``."""
        with self._answer(self.ui.survey_rating(value)) as (clicked, tx, now):
            found = self._answerable(tx, team_id, user_id, clicked.survey_id, now, (channel_id, message_ts))
            try:
                rating = rating_value(clicked.rating, _scale(found))  # type: ignore[arg-type]
            except ValueError:
                raise _Refused(NOT_OURS) from None
            if not tx.surveys.set_rating(team_id=team_id, survey_id=found.survey.id, rating=rating, at=now):
                raise _Refused(self._closed_text(found))
            return self._answered(tx, team_id, found, now)

    @_refusing(_notice)
    def comment_form(
        self, *, team_id: str, user_id: str, channel_id: str, message_ts: str, value: object
    ) -> Reply:
        """ "Add a comment" was clicked: the modal to open, or why not."""
        with self._answer(self.ui.survey_ref(value)) as (ref, tx, now):
            found = self._answerable(tx, team_id, user_id, ref.survey_id, now, (channel_id, message_ts))
            view = self.ui.comment_modal(
                survey_ref=ref.survey_id, ref=found.ticket.ref, initial=found.survey.comment
            )
        return Reply(view=view)

    @_refusing(_notice)
    def submit_comment(
        self, *, team_id: str, user_id: str, metadata: object, comment: str, check_only: bool = False
    ) -> Reply:
        """Store the comment (checked again), scored by ``sla.sentiment``; the survey message to update.
        ``notice`` set = why nothing was stored."""
        with self._comment(metadata, comment, check_only) as (ref, values, tx, now):
            found = self._answerable(tx, team_id, user_id, ref.survey_id, now, None)
            if values is None:
                return Reply()
            if not tx.surveys.set_comment(
                team_id=team_id, survey_id=found.survey.id, comment=comment, at=now, sentiment=values
            ):
                raise _Refused(self._closed_text(found))
            return self._answered(tx, team_id, found, now)

    def check_comment(self, *, team_id: str, user_id: str, metadata: object, comment: str) -> str | None:
        """The quick checks a comment modal's submission must pass before the modal may close (Slack
        waits 3 s for the answer), :meth:`submit_comment`'s own: the error to show in the modal, or None."""
        checked = self.submit_comment(
            team_id=team_id, user_id=user_id, metadata=metadata, comment=comment, check_only=True
        )
        return checked.notice

    # ------------------------------------------------------------------ NPS

    @_refusing(_notice)
    def nps_rate(
        self, *, team_id: str, user_id: str, channel_id: str, message_ts: str, value: object
    ) -> Reply:
        with self._answer(self.ui.nps_rating(value)) as (clicked, tx, now):
            client, label = self._nps_locate(tx, team_id, user_id, clicked.survey_id, message_ts, now)
            tx.surveys.answer_nps(
                team_id=team_id,
                user_id=user_id,
                client_key=client.key,
                period_key=label,
                score=clicked.score,
                at=now,
            )
        message = self.ui.nps_message(
            survey_ref=clicked.survey_id,
            client_name=client.name,
            contact=user_id,
            period=label,
            score=clicked.score,
        )
        return Reply(update=message, channel_id=channel_id, ts=message_ts)

    @_refusing(_notice)
    def nps_comment_form(
        self, *, team_id: str, user_id: str, channel_id: str, message_ts: str, value: object
    ) -> Reply:
        with self._answer(self.ui.survey_ref(value)) as (ref, tx, now):
            _, label, answer = self._nps_scored(tx, team_id, user_id, ref.survey_id, message_ts, now)
            view = self.ui.comment_modal(
                survey_ref=ref.survey_id, ref=label, initial=answer.comment, nps=True
            )
        return Reply(view=view)

    @_refusing(_notice)
    def nps_submit_comment(
        self, *, team_id: str, user_id: str, metadata: object, comment: str, check_only: bool = False
    ) -> Reply:
        """Store the comment on an NPS score given before; ``notice`` set = why nothing was stored."""
        with self._comment(metadata, comment, check_only) as (ref, values, tx, now):
            client, label, _ = self._nps_scored(tx, team_id, user_id, ref.survey_id, None, now)
            if values is None:
                return Reply()
            tx.surveys.comment_nps(
                team_id=team_id,
                user_id=user_id,
                client_key=client.key,
                period_key=label,
                comment=comment,
                sentiment=values,
            )
        return Reply()

    def nps_check_comment(self, *, team_id: str, user_id: str, metadata: object, comment: str) -> str | None:
        """Quick checks of an NPS comment before the modal closes (:meth:`nps_submit_comment`'s own): the
        error to show, or None."""
        checked = self.nps_submit_comment(
            team_id=team_id, user_id=user_id, metadata=metadata, comment=comment, check_only=True
        )
        return checked.notice

    def send_nps(self) -> int:
        """Queue the NPS question to each client's contacts, once per client and cadence period."""
        now = self.clock.now()
        queued = 0
        for team_id in team_ids(self.uow):
            for client in self.book.clients.values():
                queued += self._send_nps_to(team_id, client, now)
        return queued

    def _send_nps_to(self, team_id: str, client: Client, now: datetime) -> int:
        if not client.contacts:
            return 0
        try:
            version = self.book.version_for(client.key, now)
        except KeyError:
            return 0
        settings = version.survey
        if not settings.enabled or settings.nps is None:
            return 0
        period = nps_period(settings.nps.cadence, now, self._zone(client.key, version))
        queued = 0
        run_key = _run_key(client.key, period.label)
        with self.uow.begin() as tx:
            if not tx.report_runs.claim_report_run(team_id=team_id, kind="nps", period_key=run_key, now=now):
                return 0
            for contact in client.contacts:
                if self.is_agent(team_id, contact):
                    continue
                message = self.ui.nps_message(
                    survey_ref=nps_ref(client.key, period.label),
                    client_name=client.name,
                    contact=contact,
                    period=period.label,
                )
                queued += self._enqueue(
                    tx,
                    message,
                    team_id=team_id,
                    key=nps_key(client.key, period.label, contact),
                    channel_id=contact,
                    thread_ts=None,
                    ticket_id=None,
                    now=now,
                )
            tx.report_runs.complete(team_id=team_id, kind="nps", period_key=run_key, now=now)
        return queued

    # ------------------------------------------------------------------ jobs

    def remind_due(self) -> int:
        """One reminder per unanswered survey once its contract's ``reminder_after`` has passed."""
        afters = [v.survey.reminder_after for v in self.book.all_versions() if v.survey.reminder_after]
        if not afters:
            return 0
        now = self.clock.now()
        sent = 0
        with self.uow.begin() as tx:
            for survey in tx.surveys.due_for_reminder(
                team_id=ALL_TEAMS, opened_before=now - min(afters), now=now
            ):
                found = self._load(tx, survey.team_id, str(survey.id))
                if found is None:
                    continue
                after = found.version.survey.reminder_after
                if after is None or survey.opened_at + after > now:
                    continue
                delivered = tx.outbox.get_by_key(
                    team_id=survey.team_id, idempotency_key=survey_key(survey.id)
                )
                if delivered is None or delivered.state != "sent":
                    continue  # the survey itself never arrived: a reminder would point at nothing
                if not tx.surveys.mark_reminded(team_id=survey.team_id, survey_id=survey.id, at=now):
                    continue
                ticket = found.ticket
                in_thread = bool(ticket.thread_ts) and survey.channel_id == ticket.channel_id
                message = self.ui.survey_reminder(
                    ref=ticket.ref,
                    requester=survey.requester,
                    closes_at=survey.closes_at or now,
                    tz=self._zone(ticket.client_key, found.version),
                )
                sent += self._enqueue(
                    tx,
                    message,
                    team_id=survey.team_id,
                    key=f"{survey_key(survey.id)}:reminder",
                    channel_id=survey.channel_id or survey.requester or "",
                    thread_ts=ticket.thread_ts if in_thread else None,
                    ticket_id=ticket.id,
                    now=now,
                )
        return sent

    def close_due(self) -> int:
        now = self.clock.now()
        closed = 0
        with self.uow.begin() as tx:
            for survey in tx.surveys.due_to_close(team_id=ALL_TEAMS, now=now):
                closed += tx.surveys.close(team_id=survey.team_id, survey_id=survey.id)
        return closed

    # ------------------------------------------------------------------ figures

    def figures(
        self, *, team_id: str, client_key: str | None, start: datetime, end: datetime
    ) -> FeedbackFigures:
        """CSAT, response rate, NPS, sentiment split and CSAT by SLA outcome for surveys sent in
        ``[start, end)`` and NPS answers given then (all clients when ``client_key`` is None)."""
        answers = []
        with self.uow.begin(read_only=True) as tx:
            for survey, ticket in tx.surveys.opened_between(
                team_id=team_id, start=start, end=end, client_key=client_key
            ):
                breached = None
                if survey.rating is not None:
                    timers = tx.timers.list_for_ticket(team_id=team_id, ticket_id=ticket.id)
                    breached = any(t.state == "breached" or t.breached_at is not None for t in timers)
                answers.append(
                    SurveyAnswer(
                        ticket_ref=ticket.ref,
                        client_key=ticket.client_key,
                        rating=survey.rating,
                        comment=survey.comment,
                        polarity=survey.sentiment_polarity,
                        label=survey.sentiment_label,
                        breached=breached,
                    )
                )
            scores = [
                r.score
                for r in tx.surveys.nps_between(team_id=team_id, start=start, end=end)
                if client_key is None or r.client_key == client_key
            ]
        return figures(answers, scores)

    def figures_for(self, team_id: str, client_key: str | None, period: periods.Period) -> FeedbackFigures:
        """The call other features make (weekly report, SLA review): ``extras["feedback"](...)``."""
        return self.figures(team_id=team_id, client_key=client_key, start=period.start, end=period.end)

    __call__ = figures_for

    # ------------------------------------------------------------------ internals

    def _load(self, tx: Transaction, team_id: str, survey_ref: str) -> _Located | None:
        if not survey_ref.isdigit() or len(survey_ref) > 18:
            return None
        survey = tx.surveys.get(team_id=team_id, survey_id=int(survey_ref))
        if survey is None:
            return None
        ticket = tx.tickets.get(team_id=team_id, ticket_id=survey.ticket_id)
        if ticket is None:
            return None
        try:
            version = self.tickets.version_of(tx, ticket)
        except Exception:
            log.warning("survey %s: ticket %s has no contract", survey.id, ticket.ref)
            return None
        return _Located(survey, ticket, version)

    def _locate(
        self, tx: Transaction, team_id: str, survey_ref: str, channel_id: str, message_ts: str
    ) -> _Located | None:
        """The survey a click names, only if the clicked message is the one slabot posted for it."""
        found = self._load(tx, team_id, survey_ref)
        if found is None:
            return None
        survey = found.survey
        posted_ts = survey.message_ts
        if posted_ts is None:
            row = tx.outbox.get_by_key(team_id=team_id, idempotency_key=survey_key(survey.id))
            posted_ts = row.slack_ts if row is not None else None
            if posted_ts is None or posted_ts != message_ts:
                return None
            in_thread = survey.channel_id == found.ticket.channel_id and bool(found.ticket.thread_ts)
            if in_thread and channel_id != survey.channel_id:
                return None
            tx.surveys.set_message(
                team_id=team_id, survey_id=survey.id, channel_id=channel_id, message_ts=posted_ts
            )
            survey = tx.surveys.get(team_id=team_id, survey_id=survey.id) or survey
            return _Located(survey, found.ticket, found.version)
        if posted_ts != message_ts or survey.channel_id != channel_id:
            return None
        return found

    @contextmanager
    def _answer(
        self, value: _Value | None, *, read_only: bool = False
    ) -> Iterator[tuple[_Value, Transaction, datetime]]:
        """An answer's transaction, for ``value`` as read from its button or modal (None: not one of
        slabot's, refused). A refusal raised inside still keeps what the transaction learnt on the way
        (the message a survey was posted as), then goes on to the method's ``@_refusing``."""
        if value is None:
            raise _Refused(NOT_OURS)
        now = self.clock.now()
        refused: _Refused | None = None
        with self.uow.begin(read_only=read_only) as tx:
            try:
                yield value, tx, now
            except _Refused as refusal:
                refused = refusal
        if refused is not None:
            raise refused

    @contextmanager
    def _comment(
        self, metadata: object, comment: str, check_only: bool
    ) -> Iterator[tuple[SurveyValue, SentimentValues | None, Transaction, datetime]]:
        """A comment modal's submission: the survey it was opened for, the comment's sentiment (None
        when it is only checked, in a read-only transaction, before Slack's 3 s are up) and the
        answer's transaction (:meth:`_answer`)."""
        ref = self._comment_ref(metadata, comment)
        values = None if check_only else _sentiment(comment)  # outside the transaction: it loads libraries
        with self._answer(ref, read_only=check_only) as (ref, tx, now):
            yield ref, values, tx, now

    def _answerable(
        self,
        tx: Transaction,
        team_id: str,
        user_id: str,
        survey_ref: str,
        now: datetime,
        clicked: tuple[str, str] | None,
    ) -> _Located:
        """The survey ``user_id`` answers, if they may answer it now (else :class:`_Refused`). A click's
        message, ``clicked`` = ``(channel_id, message_ts)``, must be the one slabot posted for it; a
        comment modal (``clicked`` None) is for a survey whose message is known (it was clicked)."""
        if clicked is not None:
            found = self._locate(tx, team_id, survey_ref, *clicked)
        else:
            found = self._load(tx, team_id, survey_ref)
        if found is None or not found.survey.message_ts:
            raise _Refused(NOT_OURS)
        survey = found.survey
        if self.is_agent(team_id, user_id):
            raise _Refused(AGENTS_MAY_NOT)
        allowed = user_id == survey.requester
        if not allowed and found.version.survey.who == "client":
            client = self.book.clients.get(found.ticket.client_key or "")
            allowed = client is not None and user_id in client.contacts
        if not allowed:
            asker = f"<@{survey.requester}>" if survey.requester else "the person who asked for help"
            raise _Refused(
                f"This survey is for {asker}, who asked for help with {found.ticket.ref}: only they can "
                "answer it. Nothing was changed."
            )
        if survey.state == SurveyState.closed.value or (
            survey.closes_at is not None and now >= survey.closes_at
        ):
            raise _Refused(self._closed_text(found))
        return found

    def _answered(self, tx: Transaction, team_id: str, found: _Located, now: datetime) -> Reply:
        """After an answer is stored (an alert raised if it is negative): the survey's message as it
        reads now, to update."""
        survey = tx.surveys.get(team_id=team_id, survey_id=found.survey.id)
        assert survey is not None
        located = _Located(survey, found.ticket, found.version)
        self._alert_if_negative(tx, located, now)
        return Reply(
            update=self._current_message(located), channel_id=survey.channel_id, ts=survey.message_ts
        )

    def _closed_text(self, found: _Located) -> str:
        closed = found.survey.closes_at
        tz = self._zone(found.ticket.client_key, found.version)
        when = f" on {closed.astimezone(tz):%a %d %b}" if closed else ""
        return (
            f"Thank you for wanting to tell us! The survey about {found.ticket.ref} closed{when}, so we "
            "can't record a new answer. If something still needs attention, write in the ticket's thread "
            "and we'll pick it up."
        )

    def _current_message(self, found: _Located) -> Rendered:
        survey = found.survey
        return self.ui.survey_message(
            survey_ref=str(survey.id),
            ref=found.ticket.ref,
            title=found.ticket.title or "",
            requester=survey.requester,
            scale=_scale(found),
            closes_at=survey.closes_at or self.clock.now(),
            tz=self._zone(found.ticket.client_key, found.version),
            rating=survey.rating,
            comment=survey.comment,
        )

    def _alert_if_negative(self, tx: Transaction, found: _Located, now: datetime) -> None:
        survey, ticket, version = found.survey, found.ticket, found.version
        if not is_negative(survey.rating, survey.sentiment_label):
            return
        client = self.book.clients.get(ticket.client_key or "")
        lead = version.alerts.lead or (client.lead if client else None)
        channel = version.alerts.channel or lead
        if channel is None:
            return
        clock, _ = self.tickets.fold(tx, ticket)
        outcome = sla_outcome(clock.timers(max(now, clock.last_at or now)))
        scale = _scale(found)
        message = self.ui.negative_alert(
            ref=ticket.ref,
            link=thread_link(ticket.channel_id, ticket.thread_ts),
            client_name=client.name if client else (ticket.client_key or "a client"),
            lead=lead,
            rating=rating_words(survey.rating, scale),
            comment=survey.comment,
            sentiment=survey.sentiment_label if survey.comment else None,
            sla=outcome.words(),
            complaint=survey.sentiment_complaint if survey.comment else None,
        )
        self._enqueue(
            tx,
            message,
            team_id=ticket.team_id,
            key=f"{survey_key(survey.id)}:negative",
            channel_id=channel,
            thread_ts=None,
            ticket_id=ticket.id,
            now=now,
        )

    def _nps_locate(
        self, tx: Transaction, team_id: str, user_id: str, ref: str, message_ts: str | None, now: datetime
    ) -> tuple[Client, str]:
        """(client, period label) of an NPS click, if ``user_id`` may answer it now (else
        :class:`_Refused`)."""
        client_key, sep, label = ref.rpartition("__")
        client = self.book.clients.get(client_key) if sep else None
        if client is None:
            raise _Refused(NOT_OURS)
        row = tx.outbox.get_by_key(team_id=team_id, idempotency_key=nps_key(client.key, label, user_id))
        if row is None:
            if self.is_agent(team_id, user_id):
                raise _Refused(AGENTS_MAY_NOT)
            raise _Refused(
                "This question was sent to someone else; only they can answer it. Nothing was changed."
            )
        if message_ts is not None and row.slack_ts != message_ts:
            raise _Refused(NOT_OURS)
        try:
            period = periods.parse_period(label, now=now, tz=self._zone(client.key, None))
        except periods.PeriodError:
            raise _Refused(NOT_OURS) from None
        if now >= period.end + NPS_ANSWER_WINDOW:
            raise _Refused(f"Thank you! The {label} question has closed; we'll ask again next time.")
        return client, label

    def _nps_scored(
        self, tx: Transaction, team_id: str, user_id: str, ref: str, message_ts: str | None, now: datetime
    ) -> tuple[Client, str, NpsResponse]:
        """(client, period label, answer) of an NPS question ``user_id`` has given a score, the one a
        comment goes with (else :class:`_Refused`)."""
        client, label = self._nps_locate(tx, team_id, user_id, ref, message_ts, now)
        answer = tx.surveys.nps_of(team_id=team_id, user_id=user_id, client_key=client.key, period_key=label)
        if answer is None:
            raise _Refused(NPS_SCORE_FIRST)
        return client, label, answer

    def _zone(self, client_key: str | None, version: ContractVersion | None) -> ZoneInfo:
        client = self.book.clients.get(client_key or "")
        if client is not None and client.timezone is not None:
            return client.timezone
        if version is not None:
            return version.calendar.timezone
        if client is not None:
            try:
                return self.book.version_for(client.key, self.clock.now()).calendar.timezone
            except KeyError:
                pass
        return ZoneInfo("UTC")

    def _comment_ref(self, metadata: object, comment: str) -> SurveyValue:
        """The survey a comment modal was opened for, if the comment can be taken (else
        :class:`_Refused`)."""
        ref = self.ui.survey_ref(metadata)
        if ref is None:
            raise _Refused(NOT_OURS)
        if not comment.strip():
            raise _Refused("Type a comment, or close this window.")
        return ref


def _sentiment(comment: str) -> SentimentValues:
    sentiment = score(comment)
    return SentimentValues(
        sentiment.polarity, sentiment.label, sentiment.scorer, sentiment.version, sentiment.complaint
    )


def _scale(found: _Located) -> str:
    return found.survey.scale or found.version.survey.scale


def nps_ref(client_key: str, period_label: str) -> str:
    """The NPS buttons' opaque reference: ``acme__2026-Q4`` (checked against the outbox on click)."""
    return f"{client_key}__{period_label}"


def nps_period(cadence: str, now: datetime, tz: ZoneInfo) -> periods.Period:
    kind = nps_period_kind(cadence)
    today = now.astimezone(tz).date()
    return periods.unit(kind, date(today.year, today.month, 1), tz)


def _run_key(client_key: str, label: str) -> str:
    key = f"{label}:{client_key}"
    if len(key) <= 32:
        return key
    return f"{label}:{hashlib.sha256(client_key.encode()).hexdigest()[: 31 - len(label)]}"
