"""Contracts as code: who the clients are, what was promised to them, and from when.

One YAML file (see ``docs/contracts.md``) holds ``agents``, ``calendars``, ``clients`` and
``contracts``; every contract has dated **versions** and a ticket keeps the version that was
in force when it opened. :func:`load_contracts` reads the file into an immutable
:class:`ContractBook` or raises :class:`ContractFileError` listing *every* problem with its
``file:line``, field path and a hint. :func:`check_contracts` adds SMART warnings (targets
that cannot be met, thresholds that never fire, ...) that never make a file invalid.

The package has one module per concern: :mod:`~sla.contracts.model` (the domain values),
:mod:`~sla.contracts.file` (the file as written: YAML with line numbers, the schema, issues),
:mod:`~sla.contracts.values` (how its values are read: ``15m``, ``95%``, ``"15m before"``, ...),
:mod:`~sla.contracts.build` (file -> ``ContractBook``), :mod:`~sla.contracts.checks` (SMART warnings and
the ``slabot contracts check`` report) and :mod:`~sla.contracts.render` (a contract in plain words).
"""

from __future__ import annotations

from sla.contracts import model
from sla.contracts.build import load_contracts, load_contracts_text
from sla.contracts.checks import check_contracts, format_check_report
from sla.contracts.file import ConfigIssue, ContractFileError
from sla.contracts.model import *  # noqa: F403  (the domain values, listed in model.__all__)
from sla.contracts.render import render_contract_plain

__all__ = [
    "ConfigIssue",
    "ContractFileError",
    "check_contracts",
    "format_check_report",
    "load_contracts",
    "load_contracts_text",
    "render_contract_plain",
]
__all__ += model.__all__
