"""What every source delivered that slabot did not turn into clock events, counted and logged.

Each source has an intake model (``handlers.message_shapes`` for Slack messages,
``bot.sources.jira`` / ``bot.sources.zendesk`` for the helpdesks, ``bot.services.incidents`` for
Alertmanager) that decides who wrote and what happened. What it decides to leave alone — a bot's
post, a channel notice, an edit, an event type no mapping understands — changes no clock and is
reported here: one log line and one increment of ``slabot_intake_ignored_total{source,reason}``
(``GET /metrics``). ``reason`` is a short fixed word (never user text), so the label set stays small:

====================  ======================================================================
reason                meaning
====================  ======================================================================
``bot``               written by a bot or an integration, not a person
``system_notice``     a notice the platform writes (joined, pinned, renamed, archived, ...)
``edited``            an edit of an earlier message (the original is what counted)
``deleted``           a deletion
``hidden``            a message Slack marks ``hidden`` (never shown as a new message)
``internal_note``     a helpdesk comment the client does not see
``other_event``       an event type or a change that moves no SLA clock (a Jira worklog, an
                      assignee or summary change, a deleted issue)
``unknown_shape``     a shape no mapping understands (an undocumented subtype, an event type
                      that is not handled): logged as a warning so a new shape is noticed
``malformed``         a payload missing what every delivery of its kind has (no user, no ts)
``unmapped_value``    one value of an otherwise understood delivery has no mapping (a Jira
                      priority or status the contract's mapping does not name); the rest of
                      the delivery is recorded
``not_covered``       an alert about nothing a contract covers (no ``slabot_service`` label)
``acknowledgement``   a client's "thanks", "ok 👍", emoji only or too short to be a request
                      (``sla.conversation``; a contract can switch the classifier off)
``staff``             written by our side (an agent at the top level; a lead, manager, admin
                      or a contract-listed internal user anywhere): never opens a ticket
``ticket_done``       an agent writing in the thread of a resolved, closed or dismissed ticket
====================  ======================================================================

Counts are per process (Prometheus sums them across instances) and start at zero on restart,
as every ``_total`` counter does.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping

log = logging.getLogger("slabot.intake")

REASONS = frozenset(
    {
        "bot",
        "system_notice",
        "edited",
        "deleted",
        "hidden",
        "internal_note",
        "other_event",
        "unknown_shape",
        "malformed",
        "unmapped_value",
        "not_covered",
        "acknowledgement",
        "staff",
        "ticket_done",
    }
)
#: reasons worth a warning: a shape slabot does not understand may be one it should
NOTEWORTHY = frozenset({"unknown_shape", "malformed", "unmapped_value"})


class IntakeLog:
    """Counts (and logs) ignored deliveries per ``(source, reason)``; thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def ignored(self, source: str, reason: str, detail: str = "", **context: object) -> None:
        """Record that ``source`` delivered something that changes no clock, and why.

        ``detail`` (e.g. the Slack subtype, the Jira event type) and ``context`` go to the log
        only, truncated: they may come from the sender."""
        if reason not in REASONS:
            raise ValueError(f"unknown intake reason {reason!r}")
        with self._lock:
            self._counts[(source, reason)] += 1
        level = logging.WARNING if reason in NOTEWORTHY else logging.DEBUG
        if log.isEnabledFor(level):
            extra = " ".join(f"{k}={_short(v)}" for k, v in context.items() if v is not None)
            log.log(
                level,
                "intake ignored source=%s reason=%s detail=%s%s",
                source,
                reason,
                _short(detail) or "-",
                f" {extra}" if extra else "",
            )

    def counts(self) -> Mapping[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def count(self, source: str, reason: str | None = None) -> int:
        with self._lock:
            return sum(n for (s, r), n in self._counts.items() if s == source and reason in (None, r))


def _short(value: object, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
