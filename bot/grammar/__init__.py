"""The ``/sla`` grammar: one parser for Slack's slash command and the terminal (``slabot cmd "status T-12"``).

``parse(text)`` never raises: it returns a typed, frozen :data:`Command` or a :class:`UsageError`
whose message is written for the person who typed the command (what was not understood, what
was probably meant, an example that works).

Text arrives as Slack sends it: mentions escaped (``<@U123|maria>``, ``<#C123|support>``,
``<!subteam^S123|@leads>``) and ``&``, ``<``, ``>`` typed by the user as ``&amp;``, ``&lt;``,
``&gt;``; free text (titles, reasons) is unescaped back. Quotes group words
(``incident start "Platform support" DNS down``); an unbalanced quote is taken literally.

Client keys are not part of the grammar; pass ``clients=`` (the contract book's keys) so that
``start P1 acme Printer on fire`` and ``status acme`` recognise ``acme``. Without it a client
is only recognised in the explicit ``client acme`` form (or where a command expects one).

The rooms: :mod:`~bot.grammar.values` (what a command is), :mod:`~bot.grammar.words` (tokens and
the small readers), :mod:`~bot.grammar.reader` (the cursor), :mod:`~bot.grammar.readers` (one reader
per command) and :mod:`~bot.grammar.table` (the command table — syntax, reader, help, aliases and
the handler's key, one row per command — and :func:`parse`).
"""

from __future__ import annotations

from bot.grammar.table import (
    ALIASES,
    COMMAND_HELP,
    COMMAND_NAMES,
    COMMAND_TYPES,
    COMMANDS,
    HELP_TEXT,
    CommandHelp,
    SlaCommand,
    command,
    help_for,
    parse,
    usage,
)
from bot.grammar.values import (
    Admin,
    AllTarget,
    Assign,
    AtRiskTarget,
    BreachedTarget,
    ChannelRef,
    ChannelTarget,
    ClientTarget,
    Command,
    Contract,
    DefaultTarget,
    Dismiss,
    Explain,
    Feedback,
    Help,
    Incident,
    Link,
    MaintenanceSpec,
    MineTarget,
    Pause,
    PeriodSpec,
    Priority,
    Reopen,
    Reply,
    Report,
    Resolve,
    Resume,
    Review,
    Start,
    Status,
    StatusTarget,
    TicketTarget,
    UsageError,
    UserRef,
    UserTarget,
)
from bot.grammar.words import (
    PERIOD_HINT,
    PRIORITY_HINT,
    WINDOW_HINT,
    Token,
    parse_channel,
    parse_period,
    parse_priority,
    parse_ticket_ref,
    parse_user,
    parse_window,
    suggest,
    tokenize,
)

__all__ = [
    "ALIASES",
    "Admin",
    "AllTarget",
    "Assign",
    "AtRiskTarget",
    "BreachedTarget",
    "COMMANDS",
    "COMMAND_HELP",
    "COMMAND_NAMES",
    "COMMAND_TYPES",
    "ChannelRef",
    "ChannelTarget",
    "ClientTarget",
    "Command",
    "CommandHelp",
    "Contract",
    "DefaultTarget",
    "Dismiss",
    "Explain",
    "Feedback",
    "HELP_TEXT",
    "Help",
    "Incident",
    "Link",
    "MaintenanceSpec",
    "MineTarget",
    "PERIOD_HINT",
    "PRIORITY_HINT",
    "Pause",
    "PeriodSpec",
    "Priority",
    "Reopen",
    "Reply",
    "Report",
    "Resolve",
    "Resume",
    "Review",
    "SlaCommand",
    "Start",
    "Status",
    "StatusTarget",
    "TicketTarget",
    "Token",
    "UsageError",
    "UserRef",
    "UserTarget",
    "WINDOW_HINT",
    "command",
    "help_for",
    "parse",
    "parse_channel",
    "parse_period",
    "parse_priority",
    "parse_ticket_ref",
    "parse_user",
    "parse_window",
    "suggest",
    "tokenize",
    "usage",
]
