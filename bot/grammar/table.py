"""The ``/sla`` command table: one row per command — its syntax (usage, examples), its reader, its
help, its aliases and the command type its handler is found by — and :func:`parse`.

A command's handler lives in the Slack adapter (``handlers.commands``, or the feature that offers
it) and is looked up in the app instance's ``Services.commands`` by the row's ``produces`` type, so
two apps in one process never share one; a test checks that every row has a handler in a booted app.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.grammar import readers as rd
from bot.grammar import values as v
from bot.grammar.reader import _Fail, _Reader
from bot.grammar.words import _shorten, _unknown, parse_ticket, suggest, tokenize

CommandReader = Callable[[_Reader], v.Command]


@dataclass(frozen=True)
class SlaCommand:
    """One ``/sla`` command: everything about it but the handler's body."""

    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    #: reads the tokens after the command's name (None: ``help``, which reads this table)
    read: CommandReader | None
    #: the type of the command it reads: the key of its handler in ``Services.commands``
    produces: type
    aliases: tuple[str, ...] = ()

    @property
    def usage_line(self) -> str:
        """``Usage: `/sla pause T-12 [reason]` — e.g. `/sla pause T-12 waiting for logs```."""
        return f"Usage: `{self.usage}` — e.g. `{self.examples[0]}`"


#: the former name of a row (its help fields are the row's)
CommandHelp = SlaCommand


def _row(
    name: str,
    produces: type,
    read: CommandReader | None,
    usage: str,
    summary: str,
    *examples: str,
    aliases: tuple[str, ...] = (),
) -> SlaCommand:
    return SlaCommand(name, usage, summary, examples, read, produces, aliases)


#: every ``/sla`` command, in the order ``/sla help`` lists them
COMMANDS: tuple[SlaCommand, ...] = (
    _row(
        "help", v.Help, None,
        "/sla help [command]", "this list, or how to use one command",
        "/sla help status",
        aliases=("?",),
    ),
    _row(
        "status", v.Status, rd.read_status,
        "/sla status [T-12 | GLX-7 | @user | #channel | client acme | breached | at-risk | mine | all]",
        "open tickets with their countdowns (this channel's client, or yours in a DM)",
        "/sla status", "/sla status T-12", "/sla status ZD-35436", "/sla status breached",
        "/sla status client acme",
    ),
    _row(
        "start", v.Start, rd.read_start,
        "/sla start [T-12] [P1] [client] [title…]",
        "start the SLA clocks on a ticket (a new one gets the next number)",
        "/sla start P1 acme Printer on fire", "/sla start T-12 P2",
        aliases=("track",),
    ),
    _row(
        "reply", v.Reply, rd.ref_only(v.Reply),
        "/sla reply T-12", "record a response to the client",
        "/sla reply T-12",
    ),
    _row(
        "pause", v.Pause, rd.read_pause,
        "/sla pause T-12 [reason]", "stop the clocks while waiting on the client",
        "/sla pause T-12 waiting for logs",
    ),
    _row(
        "resume", v.Resume, rd.ref_only(v.Resume),
        "/sla resume T-12", "restart paused clocks",
        "/sla resume T-12",
        aliases=("unpause",),
    ),
    _row(
        "priority", v.Priority, rd.read_priority,
        "/sla priority T-12 P2", "change a ticket's priority (P1 most urgent)",
        "/sla priority T-12 P2",
        aliases=("prio",),
    ),
    _row(
        "assign", v.Assign, rd.read_assign,
        "/sla assign T-12 @user", "give a ticket to an agent",
        "/sla assign T-12 @maria", "/sla assign T-12 me",
    ),
    _row(
        "take", v.Assign, rd.read_take,
        "/sla take T-12", "assign a ticket to yourself",
        "/sla take T-12",
    ),
    _row(
        "resolve", v.Resolve, rd.ref_only(v.Resolve),
        "/sla resolve T-12", "resolve a ticket (stops its clocks)",
        "/sla resolve T-12",
    ),
    _row(
        "reopen", v.Reopen, rd.ref_only(v.Reopen),
        "/sla reopen T-12", "reopen a resolved ticket",
        "/sla reopen T-12",
    ),
    _row(
        "dismiss", v.Dismiss, rd.read_dismiss,
        "/sla dismiss T-12 [reason]", "not a ticket after all: cancels its clocks, leaves every report and credit",
        "/sla dismiss T-12 just a thank-you",
    ),
    _row(
        "explain", v.Explain, rd.ref_only(v.Explain),
        "/sla explain T-12", "why the clocks stand where they do, event by event",
        "/sla explain T-12",
    ),
    _row(
        "contract", v.Contract, rd.read_contract,
        "/sla contract [client]", "the contract in plain words",
        "/sla contract acme",
    ),
    _row(
        "report", v.Report, rd.read_report,
        "/sla report [week | month | last-week | quarter | 2026-11 | 2026-W47 | 2026-Q4 | 2026-11-01..2026-11-30] [client] [post]",
        "compliance, breaches, feedback and credits for a period (in a client's channel only you see it; `post` shows it there)",
        "/sla report last-week", "/sla report 2026-11 acme", "/sla report week post",
    ),
    _row(
        "review", v.Review, rd.read_review,
        "/sla review <client> [2026-Q4 | quarter | last-quarter]",
        "the SLA review: targets against actuals, with recommendations",
        "/sla review acme 2026-Q4",
    ),
    _row(
        "feedback", v.Feedback, rd.read_feedback,
        "/sla feedback [client] [period]", "CSAT, NPS and sentiment of client feedback",
        "/sla feedback acme month",
    ),
    _row(
        "incident", v.Incident, rd.read_incident,
        "/sla incident start <service> [reason] | resolve <service> | maintenance <service> <from>..<to> [reason]"
        " | list [client] [month] | credits [client] [month]",
        "downtime of a covered service, planned maintenance, monthly uptime and service credits",
        '/sla incident start "Platform support" DNS outage',
        "/sla incident resolve api",
        '/sla incident maintenance "Platform support" 2026-12-05T02:00..04:00 database upgrade',
        "/sla incident list",
        "/sla incident credits acme last-month",
    ),
    _row(
        "link", v.Link, rd.read_link,
        "/sla link #channel <client>", "make a channel a client's support channel (admins)",
        "/sla link #acme-support acme",
    ),
    _row(
        "admin", v.Admin, rd.read_admin,
        "/sla admin alerts", "alerts that could not be delivered (admins)",
        "/sla admin alerts",
    ),
)  # fmt: skip

_BY_NAME: Mapping[str, SlaCommand] = MappingProxyType({c.name: c for c in COMMANDS})
#: every row's aliases: alias → command name
ALIASES: Mapping[str, str] = MappingProxyType({a: c.name for c in COMMANDS for a in c.aliases})
COMMAND_NAMES: tuple[str, ...] = tuple(c.name for c in COMMANDS)
#: the rows as the help reads them (the same objects)
COMMAND_HELP: tuple[SlaCommand, ...] = COMMANDS
#: the command types of the table (each needs a handler in ``Services.commands``)
COMMAND_TYPES: frozenset[type] = frozenset(c.produces for c in COMMANDS)

HELP_TEXT: str = "\n".join(
    ["*/sla* — SLA clocks for your support tickets", ""] + [f"`{c.usage}` — {c.summary}" for c in COMMANDS]
)


def command(name: str) -> SlaCommand | None:
    """The row of a command by its name or one of its aliases."""
    return _BY_NAME.get(ALIASES.get(name, name))


def help_for(name: str) -> SlaCommand | None:
    return command(name)


def usage(name: str) -> str:
    """The usage line of a command (unknown: the command list)."""
    row = command(name)
    if row is None:
        return "Commands: " + ", ".join(f"`{n}`" for n in COMMAND_NAMES) + " — `/sla help` explains them."
    return row.usage_line


def _read_help(r: _Reader) -> v.Command:
    tok = r.peek()
    if tok is None:
        return v.Help()
    r.take()
    row = command(tok.low)
    if row is None:
        raise r.fail(_unknown("command", tok.text, list(COMMAND_NAMES)))
    r.done(f"help {row.name}")
    return v.Help(row.name)


def parse(text: str, *, clients: Collection[str] | None = None) -> v.Command | v.UsageError:
    """Parse the text after ``/sla`` (or after ``slabot cmd``) into a command or a usage error."""
    tokens = tokenize(text if isinstance(text, str) else "")
    if not tokens:
        return v.Help()
    head = tokens[0]
    word = head.low.lstrip("/")
    if word == "sla" and len(tokens) > 1:  # "/sla status" pasted whole
        tokens = tokens[1:]
        head = tokens[0]
        word = head.low
    row = command(word)
    if row is None:
        if (ref := parse_ticket(head.text)) is not None and len(tokens) == 1:
            return v.Status(v.TicketTarget(ref))
        near = suggest(word, COMMAND_NAMES)
        hint = f" — did you mean '{near}'?" if near else "."
        return v.UsageError(f"I don't know '{_shorten(head.text, 40)}'{hint}", usage(""))
    reader = _Reader(row, tokens[1:], clients)
    try:
        return (row.read or _read_help)(reader)
    except _Fail as fail:
        return fail.error


__all__ = [
    "ALIASES",
    "COMMAND_HELP",
    "COMMAND_NAMES",
    "COMMAND_TYPES",
    "COMMANDS",
    "HELP_TEXT",
    "CommandHelp",
    "SlaCommand",
    "command",
    "help_for",
    "parse",
    "usage",
]
