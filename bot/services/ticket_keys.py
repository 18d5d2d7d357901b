"""How a person names a ticket, and what the helpdesk it came from calls it.

A ticket is named by slabot's reference (``T-12``) or by its id in the helpdesk it came from:
Zendesk's ``35436`` (also ``ZD-35436`` or ``#35436``), a Jira key (``GLX-7``), the id a webhook or
an import gave it (``HD-42``, ``A-101``), or ``<system>:<id>`` (``zendesk:35436``). :func:`ticket_key`
reads what was typed (the ``/sla`` grammar's one reading of a ticket), :func:`lookup` says where to
look for it; ``TicketService.find`` is the one resolver every command goes through (team-scoped;
several matches are an error that lists them). :class:`ExternalKey` is the stored pair and its label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a typed prefix → the system whose ids it names (``ZD-35436`` is Zendesk's ticket 35436)
SYSTEM_PREFIXES: dict[str, str] = {"ZD": "zendesk"}
#: how a system's ids are shown (the prefix a person can type back)
_SHOWN_PREFIX: dict[str, str] = {system: prefix for prefix, system in SYSTEM_PREFIXES.items()}

_T_REF = re.compile(r"t-?0*([1-9][0-9]{0,8})", re.IGNORECASE | re.ASCII)
_NUMBER = re.compile(r"#?([0-9]{1,18})", re.ASCII)
#: a Jira-style key or a prefixed id: letters first, a dash, digits (``GLX-7``, ``ZD-35436``, ``HD-42``)
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,31})-([0-9][0-9A-Za-z]{0,40})", re.ASCII)
#: ``<system>:<id>`` as stored in ``external_ref``
_QUALIFIED = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]{0,39}):([^\s:<>|]{1,150})", re.ASCII)
#: words that read like keys but are priorities (``P-2``): never a ticket
_PRIORITYISH = re.compile(r"p-?[0-9]+", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class ExternalKey:
    """A ticket's id in the system it came from (``zendesk``, ``jira``, a webhook source, ``import``)."""

    system: str
    id: str

    @classmethod
    def of_ref(cls, external_ref: str | None) -> ExternalKey | None:
        """``zendesk:35436`` → ``ExternalKey("zendesk", "35436")``; None without a ``:``."""
        if not external_ref or ":" not in external_ref:
            return None
        system, _, ident = external_ref.partition(":")
        return cls(system, ident) if system and ident else None

    @classmethod
    def of(cls, system: str | None, ident: str | None) -> ExternalKey | None:
        return cls(system or "", ident) if ident else None

    @property
    def label(self) -> str:
        """How surfaces show it, in a form every command accepts back: ``ZD-35436``, ``GLX-7``."""
        prefix = _SHOWN_PREFIX.get(self.system)
        return f"{prefix}-{self.id}" if prefix and self.id.isdigit() else self.id


def external_label(system: str | None, ident: str | None) -> str | None:
    """The label of a stored (system, id) pair; None for a ticket that began in Slack."""
    key = ExternalKey.of(system, ident)
    return key.label if key is not None else None


def ticket_key(text: str) -> str | None:
    """What was typed, as a ticket key, or None when it cannot name a ticket.

    ``T-12``, ``t12``, ``T-012`` → ``T-12``; ``12``, ``#12`` → ``12`` (slabot's T-12 or a helpdesk's
    12: :func:`lookup` tries both); ``zd-35436`` → ``ZD-35436``; ``GLX-7``, ``HD-42`` and
    ``zendesk:35436`` as typed."""
    text = text.strip()
    if m := _T_REF.fullmatch(text):
        return f"T-{m.group(1)}"
    if m := _NUMBER.fullmatch(text):
        return m.group(1)
    if _PRIORITYISH.fullmatch(text):
        return None
    if m := _KEY.fullmatch(text):
        prefix = m.group(1).upper()
        return f"{prefix}-{m.group(2)}" if prefix in SYSTEM_PREFIXES else text
    if m := _QUALIFIED.fullmatch(text):
        return f"{m.group(1).lower()}:{m.group(2)}"
    return None


@dataclass(frozen=True)
class Lookup:
    """Where a key may point: slabot's ``ref``, and helpdesk ids (``(system or None for any, id)``)."""

    ref: str | None
    external: tuple[tuple[str | None, str], ...]
    #: the key is slabot's own form (``T-12``): its ticket wins over a helpdesk id spelled the same
    ref_first: bool = False

    @property
    def external_ids(self) -> list[str]:
        return list(dict.fromkeys(ident for _system, ident in self.external))

    def matches(self, system: str | None, ident: str | None) -> bool:
        return any(ident == want and (s is None or s == system) for s, want in self.external)


def lookup(key: str) -> Lookup:
    """Where :func:`ticket_key`'s ``key`` may point (module docstring)."""
    if m := _T_REF.fullmatch(key):
        return Lookup(f"T-{m.group(1)}", ((None, key),), ref_first=True)
    if _NUMBER.fullmatch(key):
        number = key.lstrip("0")
        return Lookup(f"T-{number}" if number and len(number) <= 9 else None, ((None, key),))
    if m := _KEY.fullmatch(key):
        prefix, ident = m.group(1).upper(), m.group(2)
        found: list[tuple[str | None, str]] = [(None, key), (None, key.upper())]
        if prefix in SYSTEM_PREFIXES:
            found.insert(0, (SYSTEM_PREFIXES[prefix], ident))
        return Lookup(None, tuple(dict.fromkeys(found)))
    if m := _QUALIFIED.fullmatch(key):
        return Lookup(None, ((m.group(1).lower(), m.group(2)),))
    return Lookup(None, ((None, key),))


__all__ = ["SYSTEM_PREFIXES", "ExternalKey", "Lookup", "external_label", "lookup", "ticket_key"]
