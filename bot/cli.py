"""The ``slabot`` command line.

Every subcommand is a thin shell around a use case: parse arguments, call one function,
print, exit with a meaningful status (0 ok, 1 the input had problems, 2 usage/config error).
Heavy imports happen inside the subcommand so ``slabot --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.cli_parts import DATABASE_URL, TEAM, Handler, Option, add_actions, add_command
from bot.teams import command_team


def _cmd_replay(args: argparse.Namespace) -> int:
    from bot.replay_command import run_replay

    return run_replay(
        contracts_path=_example_or(args.contracts),
        events_path=_example_or(args.events),
        out_path=args.out,
        as_of=args.as_of,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )


def _example_or(path: Path) -> Path:
    """``path``, or the shipped copy when ``path`` is a missing ``examples/…`` file (an installed copy)."""
    from bot.example_files import resolve

    found, note = resolve(path)
    if note:
        print(note, file=sys.stderr)
    return found


def _cmd_contracts_check(args: argparse.Namespace) -> int:
    from sla.contracts import format_check_report

    code, text = format_check_report(_example_or(args.file))
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _cmd_contracts_init(args: argparse.Namespace) -> int:
    from bot.example_files import example_text

    text = example_text("contracts.yaml")
    if str(args.file) == "-":
        sys.stdout.write(text)
        return 0
    path: Path = args.file
    if path.exists() and not args.force:
        print(f"slabot contracts init: {path} exists; keeping it (--force overwrites)", file=sys.stderr)
        return 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"slabot contracts init: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"{path}: the commented example contract file (fictional clients Acme, Globex and Initech). "
        f"Put in your clients, channel and user ids and targets, then: slabot contracts check {path}"
    )
    return 0


def _cmd_contracts_schema(args: argparse.Namespace) -> int:
    import json

    from sla.contracts.schema import contract_file_schema

    text = json.dumps(contract_file_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{args.out}: JSON Schema of the contract file", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def package_version() -> str:
    """The installed slabot's version (pyproject's), or "unknown" from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("slabot")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


class _Version(argparse._VersionAction):
    """``--version``, whose number is looked up only when asked: reading the installed package's
    metadata (importlib.metadata) is a good part of a short command's start-up (`slabot replay`)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        self.version = f"slabot {package_version()}"
        super().__call__(parser, *args, **kwargs)


def _database_url(args: argparse.Namespace) -> str:
    if getattr(args, "database_url", None):
        return args.database_url
    from bot.settings import Settings

    return Settings().database_url


def redact_url(url: str) -> str:
    """The database URL without its password, for messages (:func:`storage.db.redact_url`)."""
    from storage.db import redact_url as redact

    return redact(url)


def boot(settings: Any = None) -> Any:
    """The runtime a terminal command works with, from ``settings`` (default: the environment).
    Feature commands get it as ``args.boot`` (so that no feature imports the composition root)."""
    from bot.app import bootstrap
    from bot.settings import Settings

    return bootstrap(settings if settings is not None else Settings())


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import current_revision, migrate

    url = _database_url(args)
    migrate(url)
    print(f"{redact_url(url)}: at revision {current_revision(url)} (head)")
    return 0


def _cmd_db_current(args: argparse.Namespace) -> int:
    from storage.db import current_revision, head_revision

    url = _database_url(args)
    current = current_revision(url)
    head = head_revision()
    if current is None:
        print(f"{redact_url(url)}: empty (no migration applied); run `slabot db upgrade` to reach {head}")
        return 1
    state = "up to date" if current == head else f"behind head {head}: run `slabot db upgrade`"
    print(f"{redact_url(url)}: at revision {current} — {state}")
    return 0 if current == head else 1


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.logging_setup import configure_for
    from bot.processes import run_app
    from bot.settings import Settings

    settings = Settings()
    configure_for(settings)
    if not settings.has_slack_credentials:
        print(
            "slabot run needs Slack credentials: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one workspace)\n"
            "or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET/SLACK_SIGNING_SECRET (OAuth). "
            "Without Slack, try `slabot demo`.",
            file=sys.stderr,
        )
        return 2
    return run_app(settings)


def _cmd_worker(args: argparse.Namespace) -> int:
    from bot.logging_setup import configure_for
    from bot.processes import run_worker_process
    from bot.settings import Settings

    settings = Settings()
    configure_for(settings)
    return run_worker_process(settings)


def _alert_workers(runtime: Any) -> tuple[Any, Any]:
    from bot.scheduler import runtime_workers  # APScheduler: imported when used (`slabot --help`)

    return runtime_workers(runtime)


def _notifier_clients(runtime: Any) -> Any:
    from bot.scheduler import notifier_clients

    return notifier_clients(runtime)


def _cmd_cmd(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bot.app import bootstrap
    from bot.settings import Settings
    from handlers.commands import Caller, answer, caller_for
    from sla.roles import Role

    settings = Settings()
    runtime = bootstrap(settings)
    args.team = command_team("cmd", args.team or settings.team_id, runtime.services.uow)
    if args.team is None:
        return 2
    book = runtime.services.book
    if args.user:  # answered as that user would be (sla.roles): what a client or a lead sees
        caller = caller_for(runtime.services, args.team, args.user, args.channel)
    else:  # the terminal's operator: the first listed agent (an agent even when none is listed)
        user = next(iter(sorted(book.agents.users)), "U0TERMINAL")
        who = runtime.services.people.person(args.team, user)
        who = replace(who, roles=who.roles | {Role.AGENT})
        caller = Caller(team_id=args.team, user_id=user, channel_id=args.channel, is_agent=True, who=who)
    result = answer(runtime.services, caller, " ".join(args.text))
    print(result.full_text())
    return 0


def _top_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The ``slabot`` parser and its (still empty) table of commands."""
    parser = argparse.ArgumentParser(
        prog="slabot",
        description="slabot — run your support team's Service Level Agreements in Slack.",
        epilog="Run `slabot COMMAND --help` for the options of one command.",
    )
    parser.add_argument("--version", action=_Version, version="slabot")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    return parser, sub


def _add_replay(sub: Any) -> None:
    add_command(
        sub,
        "replay",
        _cmd_replay,
        help="dry-run contracts on an events CSV and print the compliance table",
        description="""Replay an events CSV through the contract file and print compliance per client x
            priority x metric. Bad rows are reported with their line number; the rest is still processed
            (exit status 1 when any row was rejected; 2 when nothing could be replayed: a bad contract file,
            an unreadable file, or one that is empty or not an events CSV).""",
        options=(
            Option("--contracts", type=Path, required=True, help="the contract file (YAML)"),
            Option(
                "--events",
                type=Path,
                required=True,
                help="events CSV: ticket_id,timestamp,event,priority,status,client",
            ),
            Option("--out", type=Path, help="write one row per ticket x metric x cycle to this CSV"),
            Option(
                "--as-of",
                dest="as_of",
                help="""ISO 8601 instant with offset at which still-running timers are evaluated (default:
                    the last event's timestamp)""",
            ),
        ),
    )


#: Commands whose parser can be built alone, with nothing of the other commands: the lazy imports of
#: start-up speed. A light command runs without importing the features, the sandbox or their
#: libraries (`slabot replay` is a dry run scripted over many files; its start-up is most of a small
#: one). build_parser adds each one the same way, so its --help and errors are the same.
_LIGHT_COMMANDS: dict[str, Callable[[Any], None]] = {"replay": _add_replay}


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``argv``: a light command's alone, otherwise every command's (:func:`build_parser`)."""
    add = _LIGHT_COMMANDS.get(argv[0]) if argv else None
    if add is None:
        return build_parser()
    parser, sub = _top_parser()
    add(sub)
    return parser


def _add_db(sub: Any) -> None:
    db = add_actions(sub, "db", help="database migrations (DATABASE_URL)", dest="db_command")
    for name, handler, text in (
        ("upgrade", _cmd_db_upgrade, "migrate the database to the latest schema"),
        ("current", _cmd_db_current, "tell which schema revision the database is at"),
    ):
        add_command(
            db,
            name,
            handler,
            help=text,
            description=text + " (DATABASE_URL unless --database-url).",
            options=(DATABASE_URL,),
        )


def build_parser() -> argparse.ArgumentParser:
    from bot import features  # (lazy: see _LIGHT_COMMANDS)
    from bot.sandbox.demo import command as demo

    parser, sub = _top_parser()
    _add_replay(sub)

    contracts = add_actions(
        sub, "contracts", help="write, validate and describe contract files", dest="contracts_command"
    )
    add_command(
        contracts,
        "check",
        _cmd_contracts_check,
        help="validate a contract file (exit 0 when valid, 1 with every error listed)",
        description="""Validate a contract file: every error names file:line, the field and a hint. Warnings
            point at targets that are not SMART but do not fail the check.""",
        options=(
            Option(
                "file",
                type=Path,
                help="""the contract file (YAML); examples/contracts.yaml works from any folder (the shipped
                    example)""",
            ),
        ),
    )
    add_command(
        contracts,
        "init",
        _cmd_contracts_init,
        help="write the commented example contract file to start from",
        description="""Write the commented example contract file (every key explained, three fictional
            clients) to FILE (default: contracts.yaml; - for stdout). An existing file is kept unless
            --force.""",
        options=(
            Option("file", type=Path, nargs="?", default=Path("contracts.yaml"), help="where to write it"),
            Option("--force", action="store_true", help="overwrite FILE if it exists"),
        ),
    )
    add_command(
        contracts,
        "schema",
        _cmd_contracts_schema,
        help="print the contract file's JSON Schema (for editors)",
        description="""Print the JSON Schema (draft 2020-12) of the contract file, generated from the models
            `slabot contracts check` validates with: point your editor's YAML support at it (e.g. a first
            line `# yaml-language-server: $schema=contracts.schema.json`) for completion and typo warnings.
            `slabot contracts check` stays the judge (references, dates, time zones, SMART warnings).""",
        options=(Option("--out", type=Path, help="write it to this file instead of stdout"),),
    )
    add_command(
        sub,
        "run",
        _cmd_run,
        help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)",
        description="""Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT
            (POST /slack/events, GET /slack/install and /slack/oauth_redirect with OAuth, GET /livez,
            /readyz, /metrics). Runs the alert scheduler too unless SLABOT_SCHEDULER=false. Needs
            SLABOT_CONTRACTS. A SQLite database is migrated on start. The app is built before it listens; on
            SIGTERM it stops accepting, finishes the requests and jobs in flight (SLABOT_SHUTDOWN_SECONDS)
            and exits 0.""",
    )
    add_command(
        sub,
        "worker",
        _cmd_worker,
        help="run only the alert jobs (sweep + notifier), for a separate worker process",
        description="""Run the sweep (due warnings, breaches, escalations → outbox) and the notifier (outbox
            → Slack) every SLABOT_SWEEP_SECONDS until SIGTERM. With SQLite exactly one scheduler runs (a
            lock file next to the database; exit 1 if another process holds it); with PostgreSQL run as many
            as you like. With PORT set it serves GET /livez, /readyz and /metrics on SLABOT_HOST:PORT for
            health checks. On SIGTERM the running jobs finish (SLABOT_SHUTDOWN_SECONDS) and it exits 0.""",
    )
    add_command(
        sub,
        "cmd",
        _cmd_cmd,
        help='run one /sla command from the terminal, e.g. slabot cmd "status T-12"',
        description="""Run one /sla command against DATABASE_URL and print the answer as text (the same
            grammar as in Slack; you act as an agent).""",
        options=(
            Option("text", nargs="+", help='the command, e.g. "status breached" or "explain T-12"'),
            TEAM,
            Option(
                "--user",
                help="""act as this Slack user id, with its roles (a client sees what a client sees;
                    default: the first agent of the contract file)""",
            ),
            Option("--channel", help="as if typed in this channel id (its client is the default for status)"),
        ),
    )
    _add_db(sub)
    features.add_cli_all(sub)
    demo.add_cli(sub)  # the sandbox's command (it drives the whole app, so it is not a feature)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = parser_for(argv)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    if not hasattr(args, "boot"):
        args.boot = boot
    try:
        return handler(args)
    except ValueError as exc:
        # bot.settings is not imported up front (pydantic-settings is a good part of a short command's
        # start-up, e.g. `slabot replay`): a command that never loaded it cannot have raised its error
        settings = sys.modules.get("bot.settings")
        if settings is None or not isinstance(exc, settings.SettingsError):
            raise
        for line in exc.problems:  # one line per bad setting, no traceback (docs: exit status 2)
            print(line, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
