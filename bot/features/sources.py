"""Ticket sources: the signed webhooks and ``slabot import`` (docs/sources.md).

- ``install``: ``POST /webhooks/tickets``, ``POST /webhooks/zendesk``, ``POST /webhooks/jira``
  (secrets from ``SLABOT_WEBHOOK_SECRETS``; tickets go to ``SLABOT_TEAM_ID`` or the database's
  only workspace). The ingest is offered to other features as ``services.sources``.
- ``add_cli``: ``slabot import EVENTS.csv [--batch 10000] [--source import] [--progress]``.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli_parts import TEAM, OneOf, Option, add_command
from bot.teams import TeamError

if TYPE_CHECKING:
    from bot.runtime import Runtime

SOURCES = "sources"

log = logging.getLogger(__name__)


def install(runtime: Runtime) -> None:
    from bot.sources.ingest import TicketIngest, resolve_team
    from bot.sources.signing import SecretsError, parse_secrets
    from bot.sources.webhooks import Webhooks

    settings = runtime.settings
    services = runtime.services
    secret_text = settings.webhook_secrets.get_secret_value() if settings.webhook_secrets else None
    try:
        secrets = parse_secrets(secret_text)
    except SecretsError as exc:  # Slack keeps working; the webhooks answer 503 with the reason
        log.error("ticket webhooks disabled: %s", exc)
        runtime.web.route("POST", "/webhooks/tickets", _misconfigured(str(exc)))
        runtime.web.route("POST", "/webhooks/zendesk", _misconfigured(str(exc)))
        runtime.web.route("POST", "/webhooks/jira", _misconfigured(str(exc)))
        return
    ingest = TicketIngest(services.tickets)
    webhooks = Webhooks(
        ingest=ingest,
        secrets=secrets,
        clock=runtime.clock,
        team=lambda: resolve_team(settings.team_id, services.uow),
        intake=services.intake,
    )
    services.sources = webhooks
    runtime.web.route("POST", "/webhooks/tickets", webhooks.tickets)
    runtime.web.route("POST", "/webhooks/zendesk", webhooks.zendesk)
    runtime.web.route("POST", "/webhooks/jira", webhooks.jira)


def _misconfigured(reason: str) -> Any:
    from bot.web import HttpRequest, HttpResponse

    def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse.json(503, {"ok": False, "error": f"webhooks not configured: {reason}"})

    return answer


def add_cli(subparsers: Any) -> None:
    add_command(
        subparsers,
        "import",
        _cmd_import,
        help="load a history of ticket events (the replay CSV format) into DATABASE_URL",
        description="""Load an events CSV (ticket_id,timestamp,event,priority,status,client[,actor,note];
            the same format as `slabot replay`) into DATABASE_URL. Resumable: after an interruption run the
            same command again — rows already stored are skipped as duplicates. Bad rows are listed with
            their line number and the rest is imported (exit status 1 when any row was rejected; 2 when
            nothing could be imported: a missing, empty or non-events file, a bad contract file). No survey
            or status card is sent for imported history. Each batch is stored in one transaction (an
            interruption loses at most the batch being written).""",
        options=(
            Option("events", type=Path, help="events CSV"),
            Option(
                "--batch",
                type=int,
                default=10_000,  # bot.sources.importer.DEFAULT_BATCH (not imported here: --help stays light)
                help="rows planned and stored together, in one transaction (default 10000)",
            ),
            Option(
                "--per-event",
                action="store_true",
                help="""store each event in its own transaction through the ticket service (the slow
                    reference path, ~100x slower; same final state)""",
            ),
            Option(
                "--source",
                default="import",
                help="""name of the system the ids come from (default: import); use the webhook's source
                    name (e.g. zendesk) to continue tickets that webhooks will update""",
            ),
            TEAM,
            Option("--contracts", type=Path, help="contract file (default: SLABOT_CONTRACTS)"),
            OneOf(
                Option(
                    "--progress",
                    dest="progress",
                    action="store_true",
                    default=None,
                    help="always show the progress bar",
                ),
                Option("--no-progress", dest="progress", action="store_false", help="never show it"),
            ),
        ),
    )


def _progress_bar(args: argparse.Namespace) -> Any:
    """A tqdm bar over the events file's rows on a terminal (or as ``--progress`` says), else None."""
    if not (sys.stderr.isatty() if args.progress is None else args.progress):
        return None
    from tqdm import tqdm

    with args.events.open(encoding="utf-8", newline="") as f:
        total = max(sum(1 for _ in f) - 1, 0)
    return tqdm(total=total, unit="row", file=sys.stderr, desc=args.events.name, dynamic_ncols=True)


def _cmd_import(args: argparse.Namespace) -> int:
    # start-up builds some 150,000 objects at once (SQLAlchemy, pydantic, the contract book, the
    # migrations): without the collector's passes over them it takes ~0.1 s less; the import itself
    # runs with the collector paused and collects every few batches (bot.sources.importer)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_history(args)
    finally:
        if enabled:
            gc.enable()


def _import_history(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.services.tickets import TicketService
    from bot.settings import Settings, load_contract_book
    from bot.sources.importer import import_events
    from bot.sources.ingest import TicketIngest, resolve_team
    from storage.db import BULK_CACHE_KIB, BULK_WAL_PAGES, is_sqlite, make_engine, migrate, redact_url
    from storage.models import TicketSource
    from storage.uow import UnitOfWork

    if args.batch < 1:
        print("slabot import: --batch must be at least 1", file=sys.stderr)
        return 2
    if not args.events.is_file():
        print(f"slabot import: {args.events}: no such file", file=sys.stderr)
        return 2
    settings = Settings()
    book = load_contract_book(
        args.contracts or settings.contracts, source="--contracts" if args.contracts else "SLABOT_CONTRACTS"
    )
    # batches of megabytes: SQLite's log is checkpointed (two fsyncs) every ~100 MB, not every 4 MB,
    # and its page cache holds more of the indexes of a large history (16 MiB, not 2)
    engine = make_engine(settings.database_url, wal_autocheckpoint=BULK_WAL_PAGES, cache_kib=BULK_CACHE_KIB)
    if is_sqlite(engine):
        migrate(engine)
    uow = UnitOfWork.from_engine(engine)
    try:
        team = resolve_team(args.team or settings.team_id, uow)
    except TeamError as exc:
        print(f"slabot import: {exc}", file=sys.stderr)
        return 2
    # a service of its own, without listeners: history sends no survey and refreshes no card
    service = TicketService(uow=uow, book=book, clock=SystemClock())
    service.listeners.clear()
    service.after_commit.clear()
    ingest = TicketIngest(service, kind=TicketSource.import_)
    bar = _progress_bar(args)
    last_line = 0

    def remember(summary: Any, line: int) -> None:
        nonlocal last_line
        last_line = line

    try:
        with args.events.open(encoding="utf-8-sig", newline="") as f:
            summary = import_events(
                f,
                ingest=ingest,
                team_id=team,
                source=args.source,
                batch=args.batch,
                progress=bar.update if bar is not None else None,
                after_batch=remember,
                batched=not args.per_event,
            )
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(
            f"\nslabot import: interrupted after line {last_line:,}; run the same command again to resume "
            "(stored rows are skipped)",
            file=sys.stderr,
        )
        return 130
    finally:
        engine.dispose()
    if bar is not None:
        bar.close()
    unusable = next((e for e in summary.rejected if e.file_level), None)
    if unusable is not None:  # empty, or not an events CSV at all: nothing to import
        print(f"{args.events}:{unusable.line}: {unusable.message}", file=sys.stderr)
        print(f"slabot import: {args.events} is not an events CSV; nothing was imported", file=sys.stderr)
        return 2
    print(
        f"imported {args.events} into {redact_url(settings.database_url)} (team {team}, source {args.source})"
    )
    print("\n".join(summary.lines()))
    return 0 if summary.ok else 1
