"""The Slack inbox's job (``bot.inbox``): every 30 s, process again the stored Slack requests whose
processing failed or was cut short (a listener raised while the database was down, the process
died after the ack), and forget processed ones after two hours. Safe in any number of processes:
rows are claimed with a lease, and intake is idempotent per source message."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.scheduler import ScheduledJob

INBOX_JOB_ID = "slack-inbox"
INBOX_JOB_SECONDS = 30


def jobs(runtime: Runtime) -> list[ScheduledJob]:
    from bot.scheduler import ScheduledJob

    inbox = runtime.inbox
    if inbox is None:
        return []
    return [
        ScheduledJob.every(
            INBOX_JOB_SECONDS, INBOX_JOB_ID, inbox.run_job, name="Slack inbox: process again what failed"
        )
    ]
