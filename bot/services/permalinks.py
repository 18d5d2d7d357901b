"""Where a ticket lives in Slack: the permalink of its thread (for reports and surveys)."""

from __future__ import annotations

import re


def thread_link(channel_id: str | None, thread_ts: str | None) -> str | None:
    """Slack's permalink form for a message (``/archives/<channel>/p<ts without the dot>``), which works
    in any workspace the reader belongs to; None without a plain channel id and a ts."""
    if not channel_id or not thread_ts or not re.fullmatch(r"[A-Z0-9]+", channel_id):
        return None
    return f"https://slack.com/archives/{channel_id}/p{thread_ts.replace('.', '')}"
