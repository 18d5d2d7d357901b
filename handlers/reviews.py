"""SLA reviews in Slack: ``/sla review <client> [quarter]`` and the "Propose revision", "Approve" and
"Discard" buttons (docs/reviews.md).

Listeners are thin: ack → decode the (untrusted) button value → one use case of
:class:`bot.services.reviews.ReviewService` → render with ``handlers.blocks.reviews`` → one Slack
call. Drafts are found again server-side by id *and* workspace, and must still be drafts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import grammar as g
from bot.services.container import Services
from bot.services.reviews import ReviewError, ReviewResult, ReviewService
from handlers.actions import caller_of, tell
from handlers.blocks import Message, escape, section, unformat
from handlers.blocks.reviews import (
    approved_message,
    approved_text,
    discarded_message,
    draft_message,
    review_message,
    review_text,
)
from handlers.commands import Answer, Caller
from handlers.ids import ActionId, InvalidValue, ReviewAction, ReviewPropose
from sla.roles import Action, Where, may, refusal


def review_command(services: Services, caller: Caller, command: g.Review) -> Answer:
    """``/sla review``: answered by the review service of the app instance that received it."""
    assert services.reviews is not None, "the reviews feature registers /sla review"
    return review_answer(services.reviews, caller, command)


def review_answer(svc: ReviewService, caller: Caller, command: g.Review) -> Answer:
    """Our side only (agents, admins, and the client's leads and managers: ``sla.roles``)."""
    if not (
        may(caller.person, Action.REVIEW, Where(client=command.client))
        or svc.is_admin(caller.user_id, caller.person)
    ):
        return _plain(refusal(Action.REVIEW))
    try:
        result = svc.run(team_id=caller.team_id, client_key=command.client, quarter=command.quarter)
    except ReviewError as exc:
        return _plain(str(exc))
    return _review_answer(result)


def _review_answer(result: ReviewResult) -> Answer:
    text = review_text(result.review, tickets=result.history.tickets)
    blocks = review_message(
        result.review,
        client_name=result.client.name,
        tickets=result.history.tickets,
        can_propose=bool(result.proposal),
    )
    return Answer(
        text=escape(f"SLA review — {result.client.name}, {result.period.label}"),
        blocks=blocks,
        detail=lambda: text,
    )


def _plain(text: str) -> Answer:
    return Answer(text=escape(text), blocks=[section(escape(text))])


def _draft_id(raw: Any) -> int:
    value = ReviewAction.decode(raw).review_id
    if not value.isdigit() or len(value) > 18:
        raise InvalidValue("not a draft id")
    return int(value)


def register_buttons(app: Any, services: Services, svc: ReviewService) -> None:
    def reply(respond: Any, client: Any, caller: Caller, text: str, blocks: list[Any]) -> None:
        """``text``: plain words (escaped here); the fallback of ``blocks``, or the whole answer."""
        tell(respond, client, caller, escape(text), blocks or [section(escape(text))])

    def answer(
        respond: Any, client: Any, caller: Caller, attempt: Callable[[], tuple[str, list[Any]]]
    ) -> None:
        """Reply with what ``attempt`` did (its text and blocks), or why it could not be done."""
        try:
            text, blocks = attempt()
        except InvalidValue:
            reply(respond, client, caller, "That button is not one of slabot's. Nothing was changed.", [])
            return
        except ReviewError as exc:
            reply(respond, client, caller, str(exc), [])
            return
        reply(respond, client, caller, text, blocks)

    def on_button(attempt: Callable[[Caller, Any], tuple[str, list[Any]]]) -> Callable[..., None]:
        """A button's listener: ack, then ``attempt(caller, the button's value)``, answered."""

        def listener(
            ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any, respond: Any
        ) -> None:
            ack()
            caller = caller_of(services, body, context)
            answer(respond, client, caller, lambda: attempt(caller, action.get("value")))

        return listener

    def propose(caller: Caller, raw: Any) -> tuple[str, list[Any]]:
        value = ReviewPropose.decode(raw)
        view = svc.propose(
            team_id=caller.team_id,
            client_key=value.client,
            quarter=value.quarter,
            actor=caller.user_id,
            is_agent=may(caller.person, Action.REVIEW_PROPOSE, Where()),
            notify=lambda v: Message(text=escape(draft_text(v)), blocks=draft_message(v)),
        )
        return draft_text(view), draft_message(view, decidable=svc.is_admin(caller.user_id, caller.person))

    app.action(ActionId.REVIEW_PROPOSE.value)(on_button(propose))
    app.action(ActionId.REVIEW_APPROVE.value)(
        on_button(lambda caller, raw: _approved(_decide(svc.approve, caller, raw)))
    )
    app.action(ActionId.REVIEW_REJECT.value)(
        on_button(lambda caller, raw: _discarded(_decide(svc.discard, caller, raw), caller.user_id))
    )


def _decide(decision: Callable[..., Any], caller: Caller, value: object) -> Any:
    """Approve or discard (``decision``) the draft a button's ``value`` names, as the caller:
    :class:`InvalidValue` when the value is not one of ours."""
    return decision(
        team_id=caller.team_id, draft_id=_draft_id(value), actor=caller.user_id, who=caller.person
    )


def _approved(view: Any) -> tuple[str, list[Any]]:
    return approved_text(view), approved_message(view)


def _discarded(view: Any, user_id: str) -> tuple[str, list[Any]]:
    blocks = discarded_message(view, user_id)
    return unformat(blocks[0]["text"]["text"]), blocks


def draft_text(view: Any) -> str:
    lines = [
        f"Proposed revision of {view.contract_key} (v{view.base_number} → v{view.new_number}, "
        f"effective {view.effective.isoformat()}) for {view.client_name}, from the {view.period_label} review "
        f"— draft #{view.id} ({view.state})",
        "",
        "What changes:",
        *(f"• {c}" for c in view.changes),
        "",
        "Targets diff:",
        view.diff.rstrip("\n"),
        "",
        f"Dry run on {view.period_label}'s tickets (as measured → with the new targets):",
        *(f"• {x}" for x in view.dry_run),
    ]
    return "\n".join(lines)
