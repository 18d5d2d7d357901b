"""Contract files for tests, written without the frame every one of them repeats.

A test names what its file holds and writes each part in the file's own YAML::

    CONTRACTS = contract_file(
        calendars='office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}',
        gold='''
            calendar: office
            targets:
              P1: {first_response: 20m, resolution: 8h}
        ''',
    )

is the file ``calendars: office: ...``, ``clients: acme: ...`` (the default client, :data:`ACME`) and
``contracts: gold: versions: [{effective: 2026-01-01, calendar: office, targets: ...}]``. Each part
may be written at any indent (start it on a new line when it has several).
"""

from __future__ import annotations

import textwrap

ACME = "acme: {name: Acme, channels: [C0ACME0001], contract: gold}"
"""The client most tests serve: ``acme`` on channel C0ACME0001, on contract ``gold``."""


def contract_file(
    *,
    agents: str | None = None,
    calendars: str | None = None,
    clients: str = ACME,
    effective: str = "2026-01-01",
    **contracts: str,
) -> str:
    """A contract file: ``agents`` (the value of the key), ``calendars`` and ``clients`` (the lines
    under the key), then one contract per other keyword argument, named by it, with one version in
    force from ``effective`` whose other keys are the argument's text."""
    lines = [] if agents is None else [f"agents: {agents}"]
    if calendars is not None:
        lines += ["calendars:", _indented(calendars, 2)]
    lines += ["clients:", _indented(clients, 2), "contracts:"]
    for name, version in contracts.items():
        lines += [f"  {name}:", "    versions:", f"      - effective: {effective}", _indented(version, 8)]
    return "\n".join(lines) + "\n"


def _indented(text: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n").rstrip(), " " * spaces)
