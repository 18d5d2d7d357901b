"""``slabot export``: the ticket events of a workspace (or one client, a period) as the replay CSV.

What is exported is described in :mod:`bot.services.export`; the CSV is the one ``slabot replay``
and ``slabot import`` read (``ticket_id,timestamp,event,priority,status,client,actor,note``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli_parts import DATABASE_URL, TEAM, Option, add_command
from bot.teams import team_ids


def add_cli(subparsers: Any) -> None:
    add_command(
        subparsers,
        "export",
        _cmd_export,
        help="the ticket events as the replay CSV (dry-run them with slabot replay, or take them with you)",
        description="""Write the ticket events of a workspace from DATABASE_URL as the events CSV that
            `slabot replay` and `slabot import` read (ticket_id,timestamp,event,priority,status,client, plus
            actor,note). With --period: the tickets that matter to that period (opened before its end, open
            at its start or with an event in it), each with its whole history up to the period's end, so
            `slabot replay --as-of <period end>` gives the timers the period's report counts. Periods are
            read in each client's time zone (2026-11, 2026-W47, 2026-Q4, this-month, 2026-11-01..2026-11-30,
            last-30-days).""",
        options=(
            Option("--client", help="one client's tickets (its key in the contract file)"),
            Option("--period", help="only the tickets that matter to this period (default: every ticket)"),
            Option("--out", help="write to this file (default: standard output)"),
            TEAM,
            Option(
                "--contracts",
                help="the contract file, for the clients' time zones (default: SLABOT_CONTRACTS)",
            ),
            DATABASE_URL,
        ),
    )


def _fail(message: str) -> int:
    print(f"slabot export: {message}", file=sys.stderr)
    return 2


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.clock import SystemClock
    from bot.services.export import write_export
    from bot.services.reports import ReportError, ReportService
    from bot.settings import Settings
    from sla.contracts import ContractFileError, load_contracts
    from storage.db import make_engine
    from storage.uow import UnitOfWork

    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the variable
        return _fail(f"bad settings: {exc}")
    try:
        book = load_contracts(Path(args.contracts) if args.contracts else settings.contracts)
    except ContractFileError as exc:
        print("\n".join(str(e) for e in exc.errors), file=sys.stderr)
        return 2
    except OSError as exc:
        return _fail(f"cannot read the contract file: {exc}")
    engine = make_engine(args.database_url or settings.database_url)
    uow = UnitOfWork.from_engine(engine)
    clock = SystemClock()
    reports = ReportService(uow=uow, book=book, clock=clock, default_tz=settings.summary_tz)
    team = args.team or settings.team_id
    teams = team_ids(uow)
    if team is None or team not in teams:
        if args.team or len(teams) != 1:
            return _fail(f"which workspace? use --team (workspaces: {', '.join(teams) or 'none'})")
        team = teams[0]
    period = None
    try:
        client = reports.client_key(args.client)
        if args.period:
            now = clock.now()
            period = reports.periods_of(reports.period(args.period, client, now=now), client, now)
    except ReportError as exc:
        return _fail(str(exc))
    try:
        if args.out:
            with open(args.out, "w", newline="", encoding="utf-8") as file:
                rows = write_export(uow, file, team_id=team, client_key=client, period=period)
            print(f"{args.out}: {rows} events", file=sys.stderr)
        else:
            write_export(uow, sys.stdout, team_id=team, client_key=client, period=period)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc}")
    finally:
        engine.dispose()
    return 0
