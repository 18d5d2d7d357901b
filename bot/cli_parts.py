"""How a ``slabot`` subcommand is declared: once, with its options (light: read at ``slabot --help``).

Every command of ``bot.cli``, of a feature (``add_cli``) and of the sandbox is one
:func:`add_command` call: its name, its handler, its help and description, its options; the
argparse calls (``add_parser``, ``add_argument``, ``set_defaults``) are made here only. Help and
description texts are prose: written over as many lines as reads well, folded to single spaces
(as argparse prints them), so a paragraph cannot lose the space between two of its lines.

This module sits below the features and the sandbox (the process shell), so all of them and
``bot.cli`` can use it; it imports nothing but argparse's types.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def prose(text: str) -> str:
    """``text`` with its white space folded to single spaces (a paragraph written over lines)."""
    return " ".join(text.split())


class Option:
    """One argument of a command: the flags (or the positional name) and argparse's settings."""

    __slots__ = ("flags", "settings")

    def __init__(self, *flags: str, **settings: Any) -> None:
        if isinstance(settings.get("help"), str):
            settings["help"] = prose(settings["help"])
        self.flags = flags
        self.settings = settings

    def add_to(self, parser: Any) -> None:
        parser.add_argument(*self.flags, **self.settings)


class OneOf:
    """Options of which a command takes at most one (argparse's mutually exclusive group)."""

    __slots__ = ("options",)

    def __init__(self, *options: Option) -> None:
        self.options = options

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group()
        for one in self.options:
            one.add_to(group)


#: the options several commands share, worded the same in each
DATABASE_URL = Option("--database-url", help="override DATABASE_URL")
TEAM = Option("--team", help="workspace id (default: SLABOT_TEAM_ID, else the only one in the database)")


def add_command(
    subparsers: Any,
    name: str,
    handler: Handler,
    *,
    help: str,
    description: str | None = None,
    options: Iterable[Option | OneOf] = (),
) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` to ``subparsers``: ``handler(args)`` runs it (its exit status)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=prose(help), description=prose(description) if description is not None else None
    )
    for one in options:
        one.add_to(parser)
    parser.set_defaults(handler=handler)
    return parser


def add_actions(subparsers: Any, name: str, *, help: str, dest: str) -> Any:
    """Add the command ``name`` whose actions are subcommands of their own (``slabot db upgrade``):
    the subparsers to add them to (an action is required)."""
    parser = subparsers.add_parser(name, help=prose(help))
    return parser.add_subparsers(dest=dest, metavar="ACTION", required=True)
