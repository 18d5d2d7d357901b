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

from bot.grammar import table, values, words
from bot.grammar.table import *  # noqa: F403
from bot.grammar.values import *  # noqa: F403
from bot.grammar.words import *  # noqa: F403

__all__ = [*table.__all__, *values.__all__, *words.__all__]
