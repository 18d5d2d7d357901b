"""Uptime and service credits: ``/sla incident …``, ``POST /webhooks/alertmanager`` and ``slabot uptime``.

``install`` puts :class:`bot.services.incidents.UptimeService` in ``runtime.services.uptime``
for the report and review features (uptime per client and period, credits per month).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import re
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from bot.cli_parts import DATABASE_URL, TEAM, Option, add_command
from bot.teams import team_ids, team_or_only

if TYPE_CHECKING:  # imported where used (Bolt, SQL, ...), so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.services.incidents import UptimeService
    from bot.services.intake import IntakeLog
    from bot.settings import Settings
    from bot.web import HttpRequest, HttpResponse
    from storage.uow import UnitOfWork

WEBHOOK_PATH = "/webhooks/alertmanager"
EXTRA_NAME = "uptime"
_TEAM_ID = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}", re.ASCII)


def install(runtime: Runtime) -> None:
    from bot import grammar as g
    from bot.services.incidents import UptimeService
    from handlers.blocks import incidents as blocks
    from handlers.incidents import incident_command

    service = UptimeService(
        uow=runtime.services.uow,
        book=runtime.services.book,
        clock=runtime.clock,
        notice=blocks.incident_notice,
    )
    runtime.services.uptime = service
    runtime.services.commands[g.Incident] = incident_command
    runtime.web.route(
        "POST", WEBHOOK_PATH, alertmanager_webhook(service, runtime.settings, runtime.services.intake)
    )


# ---- /sla incident ------------------------------------------------------------------------------


# ---- POST /webhooks/alertmanager ----------------------------------------------------------------


def _error(status: int, message: str, **extra: Any) -> HttpResponse:
    from bot.web import HttpResponse

    response = HttpResponse.json(status, {"ok": False, "error": message, **extra})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="slabot", Basic realm="slabot"'
    return response


def authorised(headers: dict[str, str], token: str) -> bool:
    """``Authorization: Bearer <token>``, or basic auth whose password is the token (any user name).
    Compared in constant time."""
    value = headers.get("authorization", "").strip()
    scheme, _, credentials = value.partition(" ")
    credentials = credentials.strip()
    given: str | None = None
    if scheme.lower() == "bearer":
        given = credentials
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        given = decoded.partition(":")[2]
    if not given or not token:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def _team(request: HttpRequest, settings: Settings, uow: UnitOfWork) -> str | HttpResponse:
    asked = parse_qs(request.query).get("team", [None])[0]
    known = team_ids(uow)
    if asked is not None:
        if not _TEAM_ID.fullmatch(asked) or (asked not in known and asked != settings.alertmanager_team):
            return _error(400, f"unknown workspace {asked[:40]!r} in ?team=")
        return asked
    if settings.alertmanager_team:
        return settings.alertmanager_team
    if len(known) == 1:
        return known[0]
    return _error(
        400,
        "which workspace? add ?team=T… to the webhook URL or set SLABOT_ALERTMANAGER_TEAM "
        f"({len(known)} workspaces in the database)",
    )


def alertmanager_webhook(service: UptimeService, settings: Settings, intake: IntakeLog | None = None) -> Any:
    from bot.services.incidents import AlertPayloadError, read_alertmanager
    from bot.services.intake import IntakeLog
    from bot.web import HttpResponse

    log = intake if intake is not None else IntakeLog()

    def handle(request: HttpRequest) -> HttpResponse:
        token = settings.alertmanager_token.get_secret_value() if settings.alertmanager_token else ""
        if not token:
            return _error(401, "the Alertmanager webhook is disabled: set SLABOT_ALERTMANAGER_TOKEN")
        if not authorised(request.headers, token):
            return _error(401, "missing or wrong credentials (Authorization: Bearer <token>)")
        try:
            payload = request.json()
        except (UnicodeDecodeError, ValueError):
            return _error(400, "the body is not JSON")
        team = _team(request, settings, service.uow)
        if isinstance(team, HttpResponse):
            return team
        try:
            delivery = read_alertmanager(payload, catalogue=service.catalogue(), clients=service.book.clients)
        except AlertPayloadError as exc:
            return _error(400, "bad Alertmanager payload: nothing was recorded", problems=exc.problems)
        for reason, problem in delivery.skipped:  # the rest of the group is recorded
            log.ignored("alertmanager", reason, problem)
        outcome = service.apply_alerts(team_id=team, alerts=delivery.alerts)
        body = outcome.as_json()
        if delivery.skipped:
            body["ignored"] = [{"reason": r, "detail": p} for r, p in delivery.skipped]
        return HttpResponse.json(200, body)

    return handle


# ---- slabot uptime --------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
    add_command(
        subparsers,
        "uptime",
        _cmd_uptime,
        help="monthly uptime per service and the service credits owed, computation shown",
        description="""Print each client's monthly uptime per covered service against the contract's target,
            and the service credits owed for that month line by line (uptime tiers, per-breach penalties,
            cap, claim deadline). Reads DATABASE_URL and the contract file (SLABOT_CONTRACTS).""",
        options=(
            Option("--month", help="2026-11, this-month (default) or last-month; in each client's time zone"),
            Option("--client", help="one client key (default: every client with uptime or credit terms)"),
            TEAM,
            Option("--contracts", help="the contract file (default: SLABOT_CONTRACTS)"),
            DATABASE_URL,
            Option("--as-of", dest="as_of", help="ISO 8601 instant with offset to compute at (default: now)"),
        ),
    )


def _cmd_uptime(args: argparse.Namespace) -> int:
    from datetime import datetime

    from bot.clock import Clock, ManualClock, SystemClock
    from bot.services.incidents import IncidentError, UptimeService
    from bot.settings import Settings, load_contract_book
    from storage.db import is_sqlite, make_engine, migrate
    from storage.uow import UnitOfWork

    settings = Settings()
    book = load_contract_book(
        args.contracts or settings.contracts, source="--contracts" if args.contracts else "SLABOT_CONTRACTS"
    )
    clock: Clock = SystemClock()
    if args.as_of:
        try:
            at = datetime.fromisoformat(args.as_of)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            print(f"--as-of {args.as_of!r}: give an ISO 8601 instant with offset", file=sys.stderr)
            return 2
        clock = ManualClock(at)
    engine = make_engine(args.database_url or settings.database_url)
    try:
        if is_sqlite(engine):
            migrate(engine)
        uow = UnitOfWork.from_engine(engine)
        team = team_or_only(args.team or settings.alertmanager_team, uow)
        if isinstance(team, list):
            print(f"which workspace? pass --team ({len(team)} in the database)", file=sys.stderr)
            return 2
        service = UptimeService(uow=uow, book=book, clock=clock)
        try:
            print(uptime_report_text(service, team_id=team, client_key=args.client, month=args.month))
        except IncidentError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    finally:
        engine.dispose()
    return 0


def uptime_report_text(
    service: UptimeService, *, team_id: str, client_key: str | None = None, month: str | None = None
) -> str:
    """The terminal's report: per client, the month's uptime lines then the credit computation."""
    from handlers.blocks import incidents as blocks

    now = service.clock.now()
    out: list[str] = []
    for key in service.client_keys(client_key):
        period = service.month(key, month)
        out += blocks.client_uptime_lines(service.uptime(team_id=team_id, client_key=key, period=period), now)
        out += service.credits(team_id=team_id, client_key=key, month=period).explanation_lines
        out.append("")
    return "\n".join(out).rstrip() or "No client has uptime or credit terms in the contract file."
