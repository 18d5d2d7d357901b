"""Satisfaction surveys and NPS responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from storage.models import NpsResponse, Survey, SurveyState, Ticket
from storage.repositories._base import NotFound, TeamScope, _Repository, _scope, _team, upsert
from storage.types import require_aware, require_aware_or_none


@dataclass(frozen=True)
class SentimentValues:
    polarity: float
    label: str
    scorer: str
    version: str
    complaint: str | None = None


def _sentiment_values(sentiment: SentimentValues) -> dict[str, Any]:
    return {
        "sentiment_polarity": sentiment.polarity,
        "sentiment_label": sentiment.label,
        "sentiment_scorer": sentiment.scorer,
        "sentiment_version": sentiment.version,
        "sentiment_complaint": sentiment.complaint,
    }


#: one survey per ticket: the id when this statement opened it
_OPEN_SURVEY = upsert(
    Survey.__table__,  # type: ignore[arg-type]
    (
        "team_id",
        "ticket_id",
        "requester",
        "channel_id",
        "message_ts",
        "state",
        "opened_at",
        "closes_at",
        "scale",
    ),
    ("ticket_id",),
    returning=("id",),
)


class SurveyRepository(_Repository):
    def open(
        self,
        *,
        team_id: str,
        ticket_id: int,
        opened_at: datetime,
        requester: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        closes_at: datetime | None = None,
        scale: str | None = None,
    ) -> Survey | None:
        """Open the ticket's survey; None if it already has one (one survey per ticket)."""
        opened_at = require_aware(opened_at, name="opened_at")
        if (
            self.session.execute(
                select(Ticket.id).where(Ticket.team_id == _team(team_id), Ticket.id == ticket_id)
            ).scalar_one_or_none()
            is None
        ):
            raise NotFound(f"ticket {ticket_id} in {team_id}")
        values = {
            "team_id": team_id,
            "ticket_id": ticket_id,
            "requester": requester,
            "channel_id": channel_id,
            "message_ts": message_ts,
            "state": SurveyState.open.value,
            "opened_at": opened_at,
            "closes_at": require_aware_or_none(closes_at, name="closes_at"),
            "scale": scale,
        }
        new_id = self.session.execute(_OPEN_SURVEY, values).scalar_one_or_none()
        return None if new_id is None else self.get(team_id=team_id, survey_id=new_id)

    def get(self, *, team_id: str, survey_id: int) -> Survey | None:
        stmt = select(Survey).where(Survey.team_id == _team(team_id), Survey.id == survey_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def get_for_ticket(self, *, team_id: str, ticket_id: int) -> Survey | None:
        stmt = select(Survey).where(Survey.team_id == _team(team_id), Survey.ticket_id == ticket_id)
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def set_message(self, *, team_id: str, survey_id: int, channel_id: str, message_ts: str) -> bool:
        return self._update(team_id, survey_id, None, channel_id=channel_id, message_ts=message_ts)

    def answer(
        self,
        *,
        team_id: str,
        survey_id: int,
        rating: int | None,
        comment: str | None,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record the answer of an open survey. False if it was answered or closed already."""
        values: dict[str, Any] = {
            "state": SurveyState.answered.value,
            "rating": rating,
            "comment": comment,
            "answered_at": require_aware(at, name="at"),
        }
        if sentiment is not None:
            values.update(_sentiment_values(sentiment))
        return self._update(team_id, survey_id, SurveyState.open, **values)

    def set_rating(
        self,
        *,
        team_id: str,
        survey_id: int,
        rating: int,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record or change the rating while the survey is open (answered counts as open until
        ``closes_at``). False once it is closed or past ``closes_at``."""
        return self._answer(team_id, survey_id, at, sentiment, rating=rating)

    def set_comment(
        self,
        *,
        team_id: str,
        survey_id: int,
        comment: str,
        at: datetime,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Record or change the comment while the survey is open; False once it is closed."""
        return self._answer(team_id, survey_id, at, sentiment, comment=comment)

    def _answer(
        self, team_id: str, survey_id: int, at: datetime, sentiment: SentimentValues | None, **answer: Any
    ) -> bool:
        """Record ``answer`` (the rating or the comment) while the survey is open (answered counts as
        open until ``closes_at``), with its sentiment; False once it is closed."""
        values: dict[str, Any] = {
            "state": SurveyState.answered.value,
            **answer,
            "answered_at": require_aware(at, name="at"),
        }
        if sentiment is not None:
            values.update(_sentiment_values(sentiment))
        return self._update_while_open(team_id, survey_id, at, **values)

    def latest_for_requester(self, *, team_id: str, requester: str, since: datetime) -> Survey | None:
        """The requester's most recent survey opened at or after ``since`` (survey fatigue)."""
        stmt = (
            select(Survey)
            .where(
                Survey.team_id == _team(team_id),
                Survey.requester == requester,
                Survey.opened_at >= require_aware(since, name="since"),
            )
            .order_by(Survey.opened_at.desc(), Survey.id.desc())
            .limit(1)
        )
        return self.session.scalars(stmt).one_or_none()

    def due_for_reminder(
        self, *, team_id: TeamScope, opened_before: datetime, now: datetime, limit: int = 200
    ) -> list[Survey]:
        """Open, unanswered, never reminded surveys opened before ``opened_before`` that are still open
        at ``now`` (the caller checks each survey's own ``reminder_after``)."""
        stmt = (
            select(Survey)
            .where(
                _scope(Survey.team_id, team_id),
                Survey.state == SurveyState.open.value,
                Survey.reminded_at.is_(None),
                Survey.opened_at <= require_aware(opened_before, name="opened_before"),
                or_(Survey.closes_at.is_(None), Survey.closes_at > require_aware(now, name="now")),
            )
            .order_by(Survey.opened_at, Survey.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def opened_between(
        self, *, team_id: str, start: datetime, end: datetime, client_key: str | None = None
    ) -> list[tuple[Survey, Ticket]]:
        """Surveys opened in ``[start, end)`` with their tickets (optionally of one client)."""
        stmt = (
            select(Survey, Ticket)
            .join(Ticket, Ticket.id == Survey.ticket_id)
            .where(
                Survey.team_id == _team(team_id),
                Survey.opened_at >= require_aware(start, name="start"),
                Survey.opened_at < require_aware(end, name="end"),
            )
            .order_by(Survey.opened_at, Survey.id)
        )
        if client_key is not None:
            stmt = stmt.where(Ticket.client_key == client_key)
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def answer_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        client_key: str,
        period_key: str,
        score: int,
        at: datetime,
    ) -> NpsResponse:
        """One NPS answer per (person, client, period): a second click changes the score."""
        existing = self.nps_of(team_id=team_id, user_id=user_id, client_key=client_key, period_key=period_key)
        if existing is None:
            return self.add_nps(
                team_id=team_id,
                user_id=user_id,
                score=score,
                at=at,
                client_key=client_key,
                period_key=period_key,
            )
        if not 0 <= score <= 10:
            raise ValueError(f"NPS score must be 0..10, got {score}")
        existing.score = score
        existing.at = require_aware(at, name="at")
        self.session.flush()
        return existing

    def comment_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        client_key: str,
        period_key: str,
        comment: str,
        sentiment: SentimentValues | None = None,
    ) -> bool:
        """Attach a comment to the person's NPS answer of that period; False if there is none."""
        existing = self.nps_of(team_id=team_id, user_id=user_id, client_key=client_key, period_key=period_key)
        if existing is None:
            return False
        existing.comment = comment
        if sentiment is not None:
            for key, value in _sentiment_values(sentiment).items():
                setattr(existing, key, value)
        self.session.flush()
        return True

    def nps_of(self, *, team_id: str, user_id: str, client_key: str, period_key: str) -> NpsResponse | None:
        stmt = (
            select(NpsResponse)
            .where(
                NpsResponse.team_id == _team(team_id),
                NpsResponse.user_id == user_id,
                NpsResponse.client_key == client_key,
                NpsResponse.period_key == period_key,
            )
            .order_by(NpsResponse.id)
            .limit(1)
        )
        return self.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()

    def _update_while_open(self, team_id: str, survey_id: int, now: datetime, **values: Any) -> bool:
        stmt = update(Survey).where(
            Survey.team_id == _team(team_id),
            Survey.id == survey_id,
            Survey.state.in_([SurveyState.open.value, SurveyState.answered.value]),
            or_(Survey.closes_at.is_(None), Survey.closes_at > require_aware(now, name="now")),
        )
        return bool(self.session.execute(stmt.values(**values)).rowcount)  # type: ignore[attr-defined]

    def mark_reminded(self, *, team_id: str, survey_id: int, at: datetime) -> bool:
        return self._update(team_id, survey_id, SurveyState.open, reminded_at=require_aware(at, name="at"))

    def close(self, *, team_id: str, survey_id: int) -> bool:
        return self._update(team_id, survey_id, SurveyState.open, state=SurveyState.closed.value)

    def due_to_close(self, *, team_id: TeamScope, now: datetime, limit: int = 100) -> list[Survey]:
        now = require_aware(now, name="now")
        stmt = (
            select(Survey)
            .where(
                _scope(Survey.team_id, team_id),
                Survey.state == SurveyState.open.value,
                Survey.closes_at <= now,
            )
            .order_by(Survey.closes_at)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def answered_between(self, *, team_id: str, start: datetime, end: datetime) -> list[Survey]:
        return self._between(Survey, Survey.answered_at, team_id=team_id, start=start, end=end)

    def add_nps(
        self,
        *,
        team_id: str,
        user_id: str,
        score: int,
        at: datetime,
        comment: str | None = None,
        client_key: str | None = None,
        period_key: str | None = None,
    ) -> NpsResponse:
        if not 0 <= score <= 10:
            raise ValueError(f"NPS score must be 0..10, got {score}")
        at = self._in_workspace(team_id, at, name="at")
        return self._stored(
            NpsResponse(
                team_id=team_id,
                user_id=user_id,
                score=score,
                at=at,
                comment=comment,
                client_key=client_key,
                period_key=period_key,
            )
        )

    def nps_between(self, *, team_id: str, start: datetime, end: datetime) -> list[NpsResponse]:
        return self._between(NpsResponse, NpsResponse.at, team_id=team_id, start=start, end=end)

    def _between(self, model: Any, column: Any, *, team_id: str, start: datetime, end: datetime) -> list[Any]:
        """The team's ``model`` rows whose ``column`` is in ``[start, end)``, in its order."""
        stmt = (
            select(model)
            .where(
                model.team_id == _team(team_id),
                column >= require_aware(start, name="start"),
                column < require_aware(end, name="end"),
            )
            .order_by(column)
        )
        return list(self.session.scalars(stmt))

    def _update(self, team_id: str, survey_id: int, only_in: SurveyState | None, **values: Any) -> bool:
        stmt = update(Survey).where(Survey.team_id == _team(team_id), Survey.id == survey_id)
        if only_in is not None:
            stmt = stmt.where(Survey.state == only_in.value)
        return bool(self.session.execute(stmt.values(**values)).rowcount)  # type: ignore[attr-defined]
