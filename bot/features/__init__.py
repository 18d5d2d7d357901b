"""Feature plug-ins: how a feature (feedback, reports, incidents, ticket sources, operations)
joins the app without editing the composition root.

Every module in this package may define any of:

- ``install(runtime: bot.runtime.Runtime) -> None`` — called once at the end of ``bootstrap()``:
  register ``/sla`` subcommands (``runtime.services.commands[g.X] = handler``), Bolt listeners
  (``runtime.app``), web routes (``runtime.web.route(...)``) and after-change hooks
  (``runtime.services.hooks``). Services a feature offers to others go into
  their typed field of :class:`bot.services.container.Services` (``services.reports``, ...).
- ``add_cli(subparsers) -> None`` — add ``slabot`` subcommands to the CLI's argparse subparsers
  (one :func:`bot.cli_parts.add_command` call each, with its options). A command that needs the
  app calls ``args.boot(settings=None)`` (given by ``bot.cli``), so no feature imports the
  composition root.
- ``jobs(runtime) -> list[bot.scheduler.ScheduledJob]`` — cron-style jobs for the scheduler
  (each idempotent per period: several processes may run them on PostgreSQL).

The features are listed in :data:`FEATURES`, explicitly: a new feature is a module here *and* a line
in that list (a test fails when a module of this package is not listed). ``bootstrap`` installs them
in that order; the CLI and the scheduler ask the same list. A feature's use cases live in
``bot/services/`` and its listeners and blocks in ``handlers/``; its module here only wires them.
Feature modules stay light to import (``slabot --help`` reads their ``add_cli``): they import what
their entry points need inside those entry points.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bot.features import export, feedback, inbox, incidents, ops, reports, reviews, sources

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob

#: every feature, in install order
FEATURES: tuple[ModuleType, ...] = (export, feedback, inbox, incidents, ops, reports, reviews, sources)


def modules() -> Iterator[ModuleType]:
    yield from FEATURES


def install_all(runtime: Runtime) -> None:
    for module in modules():
        install = getattr(module, "install", None)
        if install is not None:
            install(runtime)


def add_cli_all(subparsers: Any) -> None:
    for module in modules():
        add_cli = getattr(module, "add_cli", None)
        if add_cli is not None:
            add_cli(subparsers)


def jobs_all(runtime: Runtime) -> list[ScheduledJob]:
    found: list[ScheduledJob] = []
    for module in modules():
        jobs = getattr(module, "jobs", None)
        if jobs is not None:
            found.extend(jobs(runtime))
    return found
