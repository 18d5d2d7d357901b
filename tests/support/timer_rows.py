"""Report rows built by hand for the tests of ``sla/`` that read timers (compliance, summaries,
reviews): anything with the attributes of ``sla.compliance.TimerRow`` will do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimerFields:
    """The fields every hand-built row gives, in this order; a test's ``Row`` adds the rest of
    ``sla.compliance.TimerRow`` (when it stopped, broke, started...) with its own defaults."""

    ticket_id: str
    client: str
    priority: str
    metric: str
    state: str
    business_elapsed_seconds: int
    target_seconds: int
