"""SLA reviews (docs/reviews.md): ``/sla review <client> [quarter]``, the "Propose revision",
"Approve" and "Discard" buttons, the review-cadence reminder job and ``slabot review``.

Listeners are thin: ack → decode the (untrusted) button value → one use case of
:class:`bot.services.reviews.ReviewService` → render with ``handlers.blocks.reviews`` → one Slack
call. Drafts are found again server-side by id *and* workspace, and must still be drafts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from bot.cli_parts import TEAM, OneOf, Option, add_command
from bot.teams import command_team, team_ids

if TYPE_CHECKING:  # imported where used (Bolt, pydantic, SQL...), so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob
    from bot.services.container import Services
    from bot.services.reviews import ReviewService

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


# ---- buttons -------------------------------------------------------------------------------------------


# ---- plug-in entry points ------------------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    from bot import grammar as g
    from handlers.reviews import register_buttons, review_command

    services = runtime.services
    svc = service_of(services)
    services.commands[g.Review] = review_command
    register_buttons(runtime.app, services, svc)


def remind_leads(runtime: Runtime) -> int:
    """Queue the account leads' review reminders that are due (idempotent per client and period)."""
    from handlers.blocks.reviews import reminder_message

    svc = service_of(runtime.services)
    return svc.remind(
        team_ids(runtime.services.uow),
        lambda client, cadence, label: reminder_message(client.name, client.key, cadence, label),
    )


def jobs(runtime: Runtime) -> list[ScheduledJob]:
    from bot.scheduler import CRON_MISFIRE_GRACE_SECONDS, ScheduledJob

    def run() -> None:
        try:
            remind_leads(runtime)
        except Exception:
            log.exception("review reminders failed")

    return [
        ScheduledJob.every(
            REMINDER_EVERY_MINUTES * 60,
            REMINDER_JOB_ID,
            run,
            name="SLA review reminders",
            grace=CRON_MISFIRE_GRACE_SECONDS,
        )
    ]


# ---- slabot review -----------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
    add_command(
        subparsers,
        "review",
        _cmd_review,
        help="the SLA review of a client's quarter; propose or approve a revised contract",
        description="""Print the SLA review of CLIENT for a quarter (targets against actuals, breach
            pattern, feedback, credits, recommendations) from DATABASE_URL. --propose drafts a revised
            contract version from the recommendations, with its YAML diff and a dry run on the quarter's
            tickets; --approve ID records draft ID as a new contract version (audit entry) and prints the
            YAML to paste into the contract file, which stays the source of truth.""",
        options=(
            Option("client", help="client key from the contract file, e.g. acme"),
            Option(
                "--quarter",
                default=None,
                help="2026-Q3, quarter or last-quarter (default: the last complete quarter)",
            ),
            OneOf(
                Option(
                    "--propose", action="store_true", help="draft a revised contract version and dry-run it"
                ),
                Option(
                    "--approve", type=int, metavar="ID", help="approve revision draft ID (from --propose)"
                ),
                Option("--discard", type=int, metavar="ID", help="discard revision draft ID"),
            ),
            TEAM,
            Option(
                "--by",
                "--user",
                dest="user",
                metavar="USER_ID",
                help="""your Slack user id, recorded as the actor; --approve needs an admin's (SLABOT_ADMINS
                    or the contract file's roles.admins), --discard an admin's or the proposer's""",
            ),
        ),
    )


def _cmd_review(args: argparse.Namespace) -> int:
    from bot.settings import Settings

    settings = Settings()
    runtime = args.boot(settings)
    args.team = command_team("review", args.team or settings.team_id, runtime.services.uow)
    if args.team is None:
        return NOT_ALLOWED
    svc = service_of(runtime.services)
    return run_cli(svc, args, print, lambda line: print(line, file=sys.stderr))


#: exit code of a decision the user is not allowed to make (as argparse's usage errors)
NOT_ALLOWED = 2


def run_cli(svc: ReviewService, args: argparse.Namespace, out: Any, err: Any = None) -> int:
    """``slabot review``; a refused approval or discard prints one line (to ``err``) and returns 2."""
    from bot.services.reviews import NotAllowed, ReviewError
    from handlers.blocks.reviews import approved_text, review_text
    from handlers.reviews import draft_text

    say_err = err or out
    actor = args.user
    deciding = args.approve is not None or args.discard is not None
    if deciding and not actor:
        which = "--approve" if args.approve is not None else "--discard"
        say_err(
            f"slabot review: {which} needs --by <your Slack user id> (an admin's: SLABOT_ADMINS or roles.admins)"
        )
        return NOT_ALLOWED
    try:
        if args.approve is not None:
            view = svc.approve(team_id=args.team, draft_id=args.approve, actor=actor, via="cli")
            out(approved_text(view) + "\n\n" + view.version_yaml.rstrip("\n"))
        elif args.discard is not None:
            view = svc.discard(team_id=args.team, draft_id=args.discard, actor=actor, via="cli")
            out(f"Discarded draft #{view.id}; the contract is unchanged.")
        elif args.propose:
            view = svc.propose(
                team_id=args.team,
                client_key=args.client,
                quarter=args.quarter,
                actor=actor,
                # the terminal proposes as its operator; --by someone: as their roles say (sla.roles)
                is_agent=not actor or actor in svc.book.role_table(svc.admins).agents,
            )
            out(
                draft_text(view)
                + f"\n\nApprove with: slabot review {args.client} --approve {view.id} --by <an admin's user id>"
            )
        else:
            result = svc.run(team_id=args.team, client_key=args.client, quarter=args.quarter)
            out(review_text(result.review, tickets=result.history.tickets))
    except NotAllowed as exc:
        say_err(f"slabot review: {actor} may not do this. {exc}")
        return NOT_ALLOWED
    except ReviewError as exc:
        out(str(exc))
        return 1
    return 0
