"""Reports: ``/sla report``, ``slabot report``, the weekly summary and burn-rate warnings.

- ``install``: the ``/sla report`` handler (agents only). It answers at once ("building…"); the
  report is built and posted after the ack by an after-change hook, in a thread of its own, so
  the 3-second ack never waits for SQL, matplotlib or Slack. The report service is offered to
  other features as ``services.reports``.
- ``jobs``: the weekly summary (checked every ``SLABOT_BURN_CHECK_SECONDS``, posted once per
  workspace and week at ``SLABOT_SUMMARY_DAY``/``SLABOT_SUMMARY_TIME`` in ``SLABOT_SUMMARY_TZ``
  to ``SLABOT_SUMMARY_CHANNEL``) and the burn-rate check.
- ``add_cli``: ``slabot report [period] [--client acme] [--format text|csv|png] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from bot.cli_parts import TEAM, Option, add_command
from bot.teams import command_team
from sla.extras import ExtraMissing

if TYPE_CHECKING:  # imported where used (Bolt, SQL, matplotlib...), so that `slabot --help` stays fast
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob
    from bot.services.container import Services
    from bot.services.reports import ReportService

log = logging.getLogger(__name__)

REPORTS = "reports"
WEEKLY_JOB_ID = "slabot.reports.weekly"
BURN_JOB_ID = "slabot.reports.burn"


def report_service(services: Services) -> ReportService:
    from bot.services.reports import ReportService

    existing = services.reports
    if isinstance(existing, ReportService):
        return existing
    service = ReportService(
        uow=services.uow,
        book=services.book,
        clock=services.clock,
        extras=services.extras,
        default_tz=services.settings.summary_tz,
    )
    services.reports = service
    return service


def install(runtime: Runtime) -> None:
    from bot import grammar as g
    from bot.services.reports import PendingReports
    from handlers.report_delivery import deliver_on_demand
    from handlers.reports import ReportAnswer, report_command

    services = runtime.services
    service = report_service(services)
    pending = PendingReports()
    services.reports_pending = pending

    def after_ack(team_id: str, result: Any) -> None:
        if not isinstance(result, ReportAnswer) or result.report_job is None:
            return
        job = result.report_job
        client = services.client_for(team_id)
        if client is None:
            log.warning("no Slack client for %s: report not posted", team_id)
            return
        pending.start(deliver_on_demand, service, client, job)

    services.hooks.append(after_ack)
    services.commands[g.Report] = report_command


def jobs(runtime: Runtime) -> list[ScheduledJob]:
    from bot.scheduler import ScheduledJob
    from handlers.report_delivery import BurnRateJob, WeeklySummaryJob

    services, settings = runtime.services, runtime.settings
    service = report_service(services)
    weekly = WeeklySummaryJob(
        uow=services.uow,
        service=service,
        clock=runtime.clock,
        clients=services.client_for,
        channel=settings.summary_channel,
        day=settings.summary_day,
        at=settings.summary_time,
        tz=settings.summary_tz,
    )
    burn = BurnRateJob(
        uow=services.uow, service=service, clock=runtime.clock, fallback_channel=settings.summary_channel
    )
    seconds = float(settings.burn_check_seconds)
    out = [ScheduledJob.every(seconds, BURN_JOB_ID, burn.run_once, name="objective burn-rate check")]
    if settings.summary_channel:
        out.append(
            ScheduledJob.every(
                min(seconds, 60.0), WEEKLY_JOB_ID, weekly.run_once, name="weekly SLA summary", grace=60
            )
        )
    return out


# ---- slabot report ----------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
    add_command(
        subparsers,
        "report",
        _cmd_report,
        help="print an SLA report for a period (text, CSV or the PNG chart)",
        description="""Build the SLA report of a period from DATABASE_URL: compliance per client x priority
            x metric (tickets, cycles, met, breached, %, median and p90 business time to meet, paused time,
            trend against the previous period), top breaches, what is at risk now, objectives with their
            error budget, and feedback, uptime and credits when those features are installed. Periods: week
            (last complete week), this-week, month, this-month, quarter, 2026-11, 2026-W47, 2026-Q4,
            2026-11-01..2026-11-30.""",
        options=(
            Option(
                "period", nargs="?", default="week", help="the period (default: week, the last complete week)"
            ),
            Option("--client", help="one client's report (its key in the contract file)"),
            Option(
                "--format",
                choices=("text", "csv", "png"),
                default="text",
                help="text (default), csv (the compliance table) or png (the chart; needs --out)",
            ),
            Option("--out", help="write to this file instead of standard output"),
            TEAM,
        ),
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services.reports import ReportError
    from bot.settings import Settings

    if args.format == "png" and not args.out:
        print("slabot report --format png needs --out FILE (a PNG is not for the terminal)", file=sys.stderr)
        return 2
    settings = Settings()
    runtime = args.boot(settings)
    service = report_service(runtime.services)
    team = command_team("report", args.team or settings.team_id, runtime.services.uow)
    if team is None:
        return 2
    try:
        report = service.build(team_id=team, period=args.period, client=args.client)
    except ReportError as exc:
        print(f"slabot report: {exc}", file=sys.stderr)
        return 2
    if args.format == "png":
        try:
            png = report.chart()
        except ExtraMissing as exc:
            print(f"slabot report: {exc}", file=sys.stderr)
            return 2
        Path(args.out).write_bytes(png)
        print(f"{args.out}: chart of {report.period.describe()}", file=sys.stderr)
        return 0
    out = report.csv() if args.format == "csv" else report.text() + "\n"
    if args.out:
        Path(args.out).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0
