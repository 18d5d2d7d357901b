"""Survey listeners: rating and NPS buttons, "Add a comment", the comment modals, ``/sla feedback``.

Thin: ack → read the payload → one :class:`bot.services.surveys.SurveyService` call → one Slack
call (update the survey message, open the modal, or tell only the person who clicked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import grammar as g
from bot.services.surveys import Reply, SurveyService
from handlers.actions import answer_privately, thread_of
from handlers.blocks.limits import escape
from handlers.blocks.surveys import feedback_report, feedback_titles, read_comment
from handlers.commands import Answer, Caller
from handlers.ids import ActionId, BlockId, CallbackId, pattern
from handlers.workspace import team_of
from sla.periods import PeriodError, last_days
from sla.roles import Action, Where, may, refusal

if TYPE_CHECKING:
    from bot.services.container import Services

DEFAULT_DAYS = 30


def _click(body: dict[str, Any], context: BoltContext) -> dict[str, str]:
    container = body.get("container") or {}
    return {
        "team_id": team_of(context),
        "user_id": (body.get("user") or {}).get("id") or "",
        "channel_id": container.get("channel_id") or (body.get("channel") or {}).get("id") or "",
        "message_ts": container.get("message_ts") or (body.get("message") or {}).get("ts") or "",
    }


def _show(
    client: WebClient, respond: Respond | None, body: dict[str, Any], context: BoltContext, reply: Reply
) -> None:
    where = _click(body, context)
    if reply.view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=reply.view)
    elif reply.update is not None and reply.channel_id and reply.ts:
        client.chat_update(channel=reply.channel_id, ts=reply.ts, **reply.update.as_kwargs())
    elif reply.notice:  # where it was clicked (respond()), in its thread
        answer_privately(
            respond,
            client,
            channel_id=where["channel_id"],
            user_id=where["user_id"],
            thread_ts=thread_of(body),
            text=reply.notice,
        )


def register(app: App, surveys: SurveyService) -> None:
    clicks: list[tuple[Any, Callable[..., Reply]]] = [
        (pattern(ActionId.SURVEY_RATE), surveys.rate),
        (ActionId.SURVEY_COMMENT.value, surveys.comment_form),
        (pattern(ActionId.NPS_RATE), surveys.nps_rate),
        (ActionId.NPS_COMMENT.value, surveys.nps_comment_form),
    ]
    for constraint, use_case in clicks:
        app.action(constraint)(_on_click(use_case))
    app.view(CallbackId.SURVEY_COMMENT_MODAL.value)(_on_submit(surveys.check_comment, surveys.submit_comment))
    app.view(CallbackId.NPS_COMMENT_MODAL.value)(
        _on_submit(surveys.nps_check_comment, surveys.nps_submit_comment)
    )


def _on_click(use_case: Callable[..., Reply]) -> Callable[..., None]:
    """A button listener: ack, then ``use_case`` on the click, its reply shown."""

    def on_click(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        ack()
        _show(client, respond, body, context, use_case(**_click(body, context), value=action.get("value")))

    return on_click


def _on_submit(check: Callable[..., str | None], submit: Callable[..., Reply]) -> Callable[..., None]:
    """A comment modal's listener: ``check`` before the ack (Slack's 3 s), ``submit`` after it."""

    def on_submit(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        submitted = _submission(body, view, context)
        error = check(**submitted)  # quick, before Slack's 3 s are up
        if error:
            ack(response_action="errors", errors={BlockId.COMMENT.value: error})
            return
        ack()
        reply = submit(**submitted)
        if reply.update is not None and reply.channel_id and reply.ts:
            client.chat_update(channel=reply.channel_id, ts=reply.ts, **reply.update.as_kwargs())

    return on_submit


def _submission(body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    return {
        "team_id": team_of(context),
        "user_id": (body.get("user") or {}).get("id") or "",
        "metadata": view.get("private_metadata"),
        "comment": read_comment((view.get("state") or {}).get("values") or {}),
    }


def feedback_command(services: Services, caller: Caller, command: g.Feedback) -> Answer:
    """``/sla feedback [client] [period]`` (our side: figures across the client's people; a lead or
    manager of some clients, theirs — ``sla.roles``)."""
    surveys = services.feedback
    assert surveys is not None, "the feedback feature registers /sla feedback"
    client_key = command.client
    if client_key is None and caller.channel_id:
        client_key = services.client_for_channel(caller.team_id, caller.channel_id)
    if not may(caller.person, Action.FEEDBACK, Where(client=client_key)):
        return Answer(text=escape(refusal(Action.FEEDBACK)))
    client = services.book.clients.get(client_key or "")
    if client_key is not None and client is None:
        return Answer(text=f"I don't know the client '{escape(client_key)}'.")
    now = services.clock.now()
    tz = client.timezone if client and client.timezone else "UTC"
    try:
        period = (
            command.period.resolve(now, tz)
            if command.period is not None
            else last_days(DEFAULT_DAYS, now=now, tz=tz)
        )
    except PeriodError as exc:
        return Answer(text=escape(str(exc)))
    figures = surveys.figures_for(caller.team_id, client_key, period)
    message = feedback_report(feedback_titles(client.name if client else None, period.label), figures)
    return Answer(text=message.text, blocks=message.blocks)
