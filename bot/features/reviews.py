"""SLA reviews (docs/reviews.md): ``/sla review <client> [quarter]``, the "Propose revision",
"Approve" and "Discard" buttons, the review-cadence reminder job and ``slabot review``.

Listeners are thin: ack → decode the (untrusted) button value → one use case of
:class:`bot.services.reviews.ReviewService` → render with ``handlers.blocks.reviews`` → one Slack
call. Drafts are found again server-side by id *and* workspace, and must still be drafts.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used (Bolt, pydantic, SQL...), so that `slabot --help` stays fast
    from bot import grammar as g
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob
    from bot.services.container import Services
    from bot.services.reviews import ReviewResult, ReviewService
    from handlers.commands import Answer, Caller

log = logging.getLogger(__name__)

NAME = "reviews"
REMINDER_JOB_ID = "slabot.reviews.remind"
REMINDER_EVERY_MINUTES = 15


def service_of(services: Services) -> ReviewService:
    from bot.services.reviews import ReviewService

    svc = services.reviews
    if svc is None:
        svc = ReviewService(
            uow=services.uow,
            book=services.book,
            clock=services.clock,
            tickets=services.tickets,
            admins=services.settings.admins,
            extras=services.extras,
        )
        services.reviews = svc
    return svc


# ---- /sla review -----------------------------------------------------------------------------------


def review_command(services: Services, caller: Caller, command: g.Review) -> Answer:
    """``/sla review``: answered by the review service of the app instance that received it."""
    return review_answer(service_of(services), caller, command)


def review_answer(svc: ReviewService, caller: Caller, command: g.Review) -> Answer:
    from bot.services.reviews import ReviewError

    if not (caller.is_agent or svc.is_admin(caller.user_id)):
        return _plain(
            "SLA reviews are for the support team: ask your account lead for this quarter's review."
        )
    try:
        result = svc.run(team_id=caller.team_id, client_key=command.client, quarter=command.quarter)
    except ReviewError as exc:
        return _plain(str(exc))
    return _review_answer(result)


def _review_answer(result: ReviewResult) -> Answer:
    from handlers.blocks.limits import escape
    from handlers.blocks.reviews import review_message, review_text
    from handlers.commands import Answer

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
    from handlers.blocks import section
    from handlers.blocks.limits import escape
    from handlers.commands import Answer

    return Answer(text=escape(text), blocks=[section(escape(text))])


# ---- buttons -------------------------------------------------------------------------------------------


def _draft_id(raw: Any) -> int:
    from handlers.ids import InvalidValue, ReviewAction

    value = ReviewAction.decode(raw).review_id
    if not value.isdigit() or len(value) > 18:
        raise InvalidValue("not a draft id")
    return int(value)


def register_buttons(app: Any, services: Services, svc: ReviewService) -> None:
    from bot.services.reviews import ReviewError
    from handlers.actions import caller_of, tell
    from handlers.blocks import Message, escape, section, unformat
    from handlers.blocks.reviews import approved_message, approved_text, discarded_message, draft_message
    from handlers.ids import ActionId, InvalidValue, ReviewPropose

    def reply(client: Any, caller: Caller, text: str, blocks: list[Any]) -> None:
        """``text``: plain words (escaped here); the fallback of ``blocks``, or the whole answer."""
        tell(client, caller, escape(text), blocks or [section(escape(text))])

    @app.action(ActionId.REVIEW_PROPOSE.value)
    def on_propose(ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any) -> None:
        ack()
        caller = caller_of(services, body, context)
        try:
            value = ReviewPropose.decode(action.get("value"))
            view = svc.propose(
                team_id=caller.team_id,
                client_key=value.client,
                quarter=value.quarter,
                actor=caller.user_id,
                is_agent=caller.is_agent,
                notify=lambda v: Message(text=escape(_draft_text(v)), blocks=draft_message(v)),
            )
        except InvalidValue:
            reply(client, caller, "That button is not one of slabot's. Nothing was changed.", [])
            return
        except ReviewError as exc:
            reply(client, caller, str(exc), [])
            return
        reply(client, caller, _draft_text(view), draft_message(view, decidable=svc.is_admin(caller.user_id)))

    @app.action(ActionId.REVIEW_APPROVE.value)
    def on_approve(ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any) -> None:
        ack()
        caller = caller_of(services, body, context)
        try:
            view = svc.approve(
                team_id=caller.team_id, draft_id=_draft_id(action.get("value")), actor=caller.user_id
            )
        except InvalidValue:
            reply(client, caller, "That button is not one of slabot's. Nothing was changed.", [])
            return
        except ReviewError as exc:
            reply(client, caller, str(exc), [])
            return
        reply(client, caller, approved_text(view), approved_message(view))

    @app.action(ActionId.REVIEW_REJECT.value)
    def on_discard(ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any) -> None:
        ack()
        caller = caller_of(services, body, context)
        try:
            view = svc.discard(
                team_id=caller.team_id, draft_id=_draft_id(action.get("value")), actor=caller.user_id
            )
        except InvalidValue:
            reply(client, caller, "That button is not one of slabot's. Nothing was changed.", [])
            return
        except ReviewError as exc:
            reply(client, caller, str(exc), [])
            return
        blocks = discarded_message(view, caller.user_id)
        reply(client, caller, unformat(blocks[0]["text"]["text"]), blocks)


def _draft_text(view: Any) -> str:
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


# ---- plug-in entry points ------------------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    from bot import grammar as g

    services = runtime.services
    svc = service_of(services)
    services.commands[g.Review] = review_command
    register_buttons(runtime.app, services, svc)


def remind_leads(runtime: Runtime) -> int:
    """Queue the account leads' review reminders that are due (idempotent per client and period)."""
    from handlers.blocks.reviews import reminder_message

    svc = service_of(runtime.services)
    with runtime.services.uow.begin(read_only=True) as tx:
        teams = tx.workspaces.list_team_ids()
    return svc.remind(
        teams, lambda client, cadence, label: reminder_message(client.name, client.key, cadence, label)
    )


def jobs(runtime: Runtime) -> list[ScheduledJob]:
    from apscheduler.triggers.interval import IntervalTrigger

    from bot.scheduler import ScheduledJob

    def run() -> None:
        try:
            remind_leads(runtime)
        except Exception:
            log.exception("review reminders failed")

    return [
        ScheduledJob(
            id=REMINDER_JOB_ID,
            func=run,
            trigger=IntervalTrigger(minutes=REMINDER_EVERY_MINUTES),
            name="SLA review reminders",
        )
    ]


# ---- slabot review -----------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "review",
        help="the SLA review of a client's quarter; propose or approve a revised contract",
        description="Print the SLA review of CLIENT for a quarter (targets against actuals, breach "
        "pattern, feedback, credits, recommendations) from DATABASE_URL. --propose drafts a revised "
        "contract version from the recommendations, with its YAML diff and a dry run on the quarter's "
        "tickets; --approve ID records draft ID as a new contract version (audit entry) and prints "
        "the YAML to paste into the contract file, which stays the source of truth.",
    )
    p.add_argument("client", help="client key from the contract file, e.g. acme")
    p.add_argument(
        "--quarter",
        default=None,
        help="2026-Q3, quarter or last-quarter (default: the last complete quarter)",
    )
    action = p.add_mutually_exclusive_group()
    action.add_argument(
        "--propose", action="store_true", help="draft a revised contract version and dry-run it"
    )
    action.add_argument(
        "--approve", type=int, metavar="ID", help="approve revision draft ID (from --propose)"
    )
    action.add_argument("--discard", type=int, metavar="ID", help="discard revision draft ID")
    from bot.cli import _default_team

    p.add_argument("--team", default=_default_team(), help="workspace (team) id (default: SLABOT_TEAM_ID)")
    p.add_argument("--user", help="record this Slack user id as the actor (default: the terminal)")
    p.set_defaults(handler=_cmd_review)


def _cmd_review(args: argparse.Namespace) -> int:
    from bot.app import bootstrap
    from bot.settings import Settings

    runtime = bootstrap(Settings())
    svc = service_of(runtime.services)
    return run_cli(svc, args, print)


def run_cli(svc: ReviewService, args: argparse.Namespace, out: Any) -> int:
    from bot.services.reviews import ReviewError
    from handlers.blocks.reviews import approved_text, review_text

    actor = args.user
    try:
        if args.approve is not None:
            view = svc.approve(team_id=args.team, draft_id=args.approve, actor=actor, via="cli")
            out(approved_text(view) + "\n\n" + view.version_yaml.rstrip("\n"))
        elif args.discard is not None:
            view = svc.discard(team_id=args.team, draft_id=args.discard, actor=actor, via="cli")
            out(f"Discarded draft #{view.id}; the contract is unchanged.")
        elif args.propose:
            view = svc.propose(
                team_id=args.team, client_key=args.client, quarter=args.quarter, actor=actor, is_agent=True
            )
            out(_draft_text(view) + f"\n\nApprove with: slabot review {args.client} --approve {view.id}")
        else:
            result = svc.run(team_id=args.team, client_key=args.client, quarter=args.quarter)
            out(review_text(result.review, tickets=result.history.tickets))
    except ReviewError as exc:
        out(str(exc))
        return 1
    return 0
