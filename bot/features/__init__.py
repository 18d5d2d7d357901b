"""Feature plug-ins: how a feature (feedback, reports, incidents, ticket sources, operations)
joins the app without editing the composition root.

Every module in this package may define any of:

- ``install(runtime: bot.runtime.Runtime) -> None`` — called once at the end of ``bootstrap()``:
  register ``/sla`` subcommands (``runtime.services.commands[g.X] = handler``), Bolt listeners
  (``runtime.app``), web routes (``runtime.web.route(...)``) and after-change hooks
  (``runtime.services.hooks``). Services a feature offers to others go into
  their typed field of :class:`bot.services.container.Services` (``services.reports``, ...).
- ``add_cli(subparsers) -> None`` — add ``slabot`` subcommands to the CLI's argparse subparsers.
- ``jobs(runtime) -> list[bot.scheduler.ScheduledJob]`` — cron-style jobs for the scheduler
  (each idempotent per period: several processes may run them on PostgreSQL).

Modules are found by listing the package (sorted by name), so a feature is one new file here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob


def modules() -> Iterator[ModuleType]:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{__name__}.{info.name}")


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
