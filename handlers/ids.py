"""Every ``action_id``, ``block_id`` and ``callback_id`` slabot uses, and the typed values its buttons carry.

Builders and listeners import the same members, so a renamed id cannot silently orphan a
button. Values arrive back from Slack **untrusted** (anyone can forge an interaction payload
with a valid signature of *their* workspace, and values are visible to clients): decoding is
strict — unknown keys, wrong types, odd ticket refs or oversized values are rejected with
:class:`InvalidValue` — and the server looks the ticket or survey up again before acting.

Slack requires ``action_id`` to be unique within a block; buttons of one kind repeated in one
block (survey ratings 1–5, NPS 0–10) get an index suffix: :func:`indexed` builds it,
:func:`pattern` is what ``app.action(...)`` registers.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ActionId(StrEnum):
    """``action_id`` of interactive elements."""

    TAKE_IT = "ticket_take"
    PAUSE = "ticket_pause"
    RESUME = "ticket_resume"
    RESOLVE = "ticket_resolve"
    REOPEN = "ticket_reopen"
    DISMISS = "ticket_dismiss"
    EXPLAIN = "ticket_explain"
    OPEN_THREAD = "ticket_open_thread"
    STATUS_MORE = "status_more"
    HOME_REFRESH = "home_refresh"
    SURVEY_RATE = "survey_rate"
    """Prefix: ``survey_rate_1`` … ``survey_rate_5`` / ``survey_rate_good``."""
    SURVEY_COMMENT = "survey_comment"
    NPS_RATE = "nps_rate"
    """Prefix: ``nps_rate_0`` … ``nps_rate_10``."""
    NPS_COMMENT = "nps_comment"
    REVIEW_PROPOSE = "review_propose"
    REVIEW_APPROVE = "review_approve"
    REVIEW_REJECT = "review_reject"
    # inputs inside modals
    START_TITLE = "start_title"
    START_CLIENT = "start_client"
    START_PRIORITY = "start_priority"
    START_ASSIGNEE = "start_assignee"
    COMMENT_TEXT = "comment_text"


class BlockId(StrEnum):
    """``block_id`` of blocks whose values or actions listeners read."""

    TICKET_ACTIONS = "ticket_actions"
    ALERT_ACTIONS = "alert_actions"
    STATUS_MORE = "status_more"
    SURVEY_RATING = "survey_rating"
    NPS_RATING = "nps_rating"
    REVIEW_ACTIONS = "review_actions"
    START_TITLE = "start_title"
    START_CLIENT = "start_client"
    START_PRIORITY = "start_priority"
    START_ASSIGNEE = "start_assignee"
    COMMENT = "comment"


class CallbackId(StrEnum):
    """``callback_id`` of shortcuts and modals."""

    TRACK_SHORTCUT = "track_as_sla_ticket"
    START_MODAL = "start_modal"
    SURVEY_COMMENT_MODAL = "survey_comment_modal"
    NPS_COMMENT_MODAL = "nps_comment_modal"
    REVIEW_APPROVE_MODAL = "review_approve_modal"


def indexed(action: ActionId, suffix: str | int) -> str:
    """``indexed(ActionId.SURVEY_RATE, 3)`` → ``"survey_rate_3"``."""
    return f"{action}_{suffix}"


def pattern(action: ActionId) -> re.Pattern[str]:
    """The regex a listener registers to receive every indexed variant of ``action``."""
    return re.compile(rf"^{re.escape(str(action))}_[A-Za-z0-9]+$")


# --------------------------------------------------------------------------- values

BUTTON_VALUE_MAX = 2000
PRIVATE_METADATA_MAX = 3000

TicketRef = Annotated[str, Field(pattern=r"^T-[1-9][0-9]{0,8}$")]
SlackId = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,32}$")]
MessageTs = Annotated[str, Field(pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")]
OpaqueId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]


class InvalidValue(ValueError):
    """A button value or ``private_metadata`` that is not what slabot put there."""


class SlackValue(BaseModel):
    """Base of typed values: compact JSON with one-letter keys, strict both ways."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)
    max_length: ClassVar[int] = BUTTON_VALUE_MAX

    def encode(self) -> str:
        text = self.model_dump_json(by_alias=True, exclude_none=True)
        if len(text) > self.max_length:
            raise InvalidValue(
                f"{type(self).__name__} is {len(text)} characters; Slack allows {self.max_length}"
            )
        return text

    @classmethod
    def decode(cls, raw: object) -> Self:
        """Parse an untrusted value; raises :class:`InvalidValue` for anything malformed."""
        if not isinstance(raw, str) or not raw or len(raw) > cls.max_length:
            raise InvalidValue(f"not a {cls.__name__} value")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidValue(f"not a {cls.__name__} value") from exc
        if not isinstance(data, dict):
            raise InvalidValue(f"not a {cls.__name__} value")
        try:
            return cls.model_validate(data, strict=True, by_alias=True, by_name=False)
        except ValidationError as exc:
            raise InvalidValue(f"not a {cls.__name__} value: {exc.error_count()} problem(s)") from exc


class TicketAction(SlackValue):
    """Value of Take it / Pause / Resume / Resolve / Reopen / Explain buttons."""

    ticket_ref: TicketRef = Field(alias="t")


class StatusMore(SlackValue):
    """Value of "Show more" on a cut status list: the status text to run again and where to continue."""

    target: Annotated[str, Field(max_length=200)] = Field(alias="q")
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = Field(alias="o")


class SurveyRating(SlackValue):
    """Value of a CSAT rating button (``1``–``5`` or ``good``/``bad``)."""

    survey_id: OpaqueId = Field(alias="s")
    rating: Annotated[str, Field(pattern=r"^(?:[1-5]|good|bad)$")] = Field(alias="r")


class NpsRating(SlackValue):
    survey_id: OpaqueId = Field(alias="s")
    score: Annotated[int, Field(ge=0, le=10)] = Field(alias="n")


class SurveyRef(SlackValue):
    """Value of "Add a comment" and ``private_metadata`` of the comment modals."""

    survey_id: OpaqueId = Field(alias="s")


class ReviewAction(SlackValue):
    """Value of Approve / Discard on a proposed revision: the draft's id (looked up again server-side)."""

    review_id: OpaqueId = Field(alias="r")


class ReviewPropose(SlackValue):
    """Value of "Propose revision" under an SLA review: the client and quarter to review again."""

    client: Annotated[str, Field(min_length=1, max_length=100)] = Field(alias="c")
    quarter: Annotated[str, Field(pattern=r"^[0-9]{4}-Q[1-4]$")] = Field(alias="q")


class StartModalMeta(SlackValue):
    """``private_metadata`` of the "Track as SLA ticket" modal: the message it was opened on."""

    max_length: ClassVar[int] = PRIVATE_METADATA_MAX
    channel_id: SlackId | None = Field(default=None, alias="c")
    message_ts: MessageTs | None = Field(default=None, alias="m")
    thread_ts: MessageTs | None = Field(default=None, alias="th")
    requester: SlackId | None = Field(default=None, alias="u")
