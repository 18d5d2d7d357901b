"""How helpdesk words become slabot's: status names and priority names.

Statuses (after lower-casing, ``-``/spaces → ``_``):

======================================================  ==========================================
helpdesk status                                         slabot
======================================================  ==========================================
a status the contract names (``waiting_on_vendor``)     that status
new, open, in progress, waiting for support, escalated  ``open`` (clocks run)
pending, waiting for customer, awaiting customer        ``waiting_on_client`` (pauses what ``pause_on`` says)
hold, on-hold, on hold, waiting for third party         ``on_hold``
solved, resolved, done, canceled, cancelled, declined   the ``resolved`` event
closed                                                  the ``closed`` event
anything else                                           ``open``
======================================================  ==========================================

Priorities: a name the contract knows (``P2``) is kept; otherwise by rank, most urgent first:
urgent/highest/critical/blocker → the contract's 1st priority, high → 2nd, normal/medium → 3rd,
low/minor → 4th, lowest/trivial → 5th (capped at the contract's last). Empty or ``-`` → the
contract's default.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sla.metrics import TicketStatus

OPEN, WAITING, ON_HOLD, RESOLVED, CLOSED = (
    TicketStatus.OPEN,
    TicketStatus.WAITING_ON_CLIENT,
    TicketStatus.ON_HOLD,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)

_STATUS: dict[str, str] = {
    "new": OPEN,
    "open": OPEN,
    "reopened": OPEN,
    "in_progress": OPEN,
    "work_in_progress": OPEN,
    "waiting_for_support": OPEN,
    "escalated": OPEN,
    "to_do": OPEN,
    "pending": WAITING,
    "waiting_for_customer": WAITING,
    "awaiting_customer": WAITING,
    "waiting_on_customer": WAITING,
    "waiting_on_client": WAITING,
    "hold": ON_HOLD,
    "on_hold": ON_HOLD,
    "waiting_for_third_party": ON_HOLD,
    "waiting_for_vendor": ON_HOLD,
    "solved": RESOLVED,
    "resolved": RESOLVED,
    "done": RESOLVED,
    "canceled": RESOLVED,
    "cancelled": RESOLVED,
    "declined": RESOLVED,
    "closed": CLOSED,
}

_RANK: dict[str, int] = {
    "urgent": 0,
    "highest": 0,
    "critical": 0,
    "blocker": 0,
    "high": 1,
    "major": 1,
    "normal": 2,
    "medium": 2,
    "low": 3,
    "minor": 3,
    "lowest": 4,
    "trivial": 4,
}


def slug(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def map_status(name: str | None, known: Collection[str] = ()) -> str:
    """A helpdesk status → ``open``/``waiting_on_client``/``on_hold``/a contract status, or the
    events ``resolved``/``closed`` (see the table above)."""
    if not name:
        return OPEN
    key = slug(name)
    if key in known and key not in (RESOLVED, CLOSED):
        return key
    return _STATUS.get(key, OPEN)


def status_word(name: str | None, known: Collection[str] = ()) -> str | None:
    """Like :func:`map_status`, but None for a word the table does not know (instead of ``open``):
    for adapters that have a language-independent fallback (Jira's status category)."""
    if not name:
        return None
    key = slug(name)
    if key in known and key not in (RESOLVED, CLOSED):
        return key
    return _STATUS.get(key)


def priority_word(name: str | None, priorities: Sequence[str]) -> str | None:
    """A helpdesk priority name → one of ``priorities`` when the name is one of them or a word of
    the table above; None otherwise (the caller decides what an unknown word means)."""
    if name is None or not name.strip() or name.strip() == "-":
        return None
    mapped = map_priority(name, priorities)
    return mapped if mapped in priorities else None


def map_priority(name: str | None, priorities: Sequence[str]) -> str | None:
    """A helpdesk priority → one of ``priorities`` (None: use the contract's default)."""
    if name is None or not name.strip() or name.strip() == "-":
        return None
    text = name.strip()
    if text in priorities:
        return text
    for p in priorities:
        if p.lower() == text.lower():
            return p
    rank = _RANK.get(slug(text))
    if rank is None or not priorities:
        return text  # unknown: the contract check rejects it with the list of valid priorities
    return priorities[min(rank, len(priorities) - 1)]
