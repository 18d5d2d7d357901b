"""Surveys in Slack: the survey, reminder, NPS and negative-answer messages, the comment modal
(``handlers.blocks.surveys``), and how a survey button's value is read (``handlers.ids``).

:class:`SlackSurveyUI` is the ``ui`` port of :class:`bot.services.surveys.SurveyService`;
:class:`SlackSurveys` is that service with it.
"""

from __future__ import annotations

from typing import Any

from bot.services.surveys import SurveyService
from handlers.blocks import Message
from handlers.blocks.surveys import (
    comment_modal,
    negative_alert,
    nps_message,
    survey_message,
    survey_reminder,
)
from handlers.ids import InvalidValue, NpsRating, SurveyRating, SurveyRef


class SlackSurveyUI:
    def survey_message(self, **fields: Any) -> Message:
        return survey_message(**fields)

    def survey_reminder(self, **fields: Any) -> Message:
        return survey_reminder(**fields)

    def nps_message(self, **fields: Any) -> Message:
        return nps_message(**fields)

    def negative_alert(self, **fields: Any) -> Message:
        return negative_alert(**fields)

    def comment_modal(self, **fields: Any) -> dict[str, Any]:
        return comment_modal(**fields)

    def survey_rating(self, value: object) -> SurveyRating | None:
        try:
            return SurveyRating.decode(value)
        except InvalidValue:
            return None

    def nps_rating(self, value: object) -> NpsRating | None:
        try:
            return NpsRating.decode(value)
        except InvalidValue:
            return None

    def survey_ref(self, value: object) -> SurveyRef | None:
        try:
            return SurveyRef.decode(value)
        except InvalidValue:
            return None


class SlackSurveys(SurveyService):
    """:class:`SurveyService` rendering and reading its buttons the Slack way."""

    def __init__(self, *, ui: Any = None, **options: Any) -> None:
        super().__init__(ui=ui or SlackSurveyUI(), **options)
