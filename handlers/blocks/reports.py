"""Block Kit for reports: the ``/sla report`` acknowledgement and ephemeral summary, the full report
posted in a channel (split into as many messages as Slack's limits need), and the burn-rate warning.

Pure functions of :class:`sla.summary.Summary` and text lines. Limits (``handlers.blocks.limits``):
3,000 characters per section, 50 blocks per message, 40,000 characters of fallback text. A section
never cuts a line: the summary's own ``chunks`` pack whole lines, and the compliance table goes in
code blocks of whole rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.blocks import Block, Message, context, divider, escape, header, section
from handlers.blocks.limits import MESSAGE_TEXT_MAX, SECTION_TEXT_MAX, truncate_text
from sla.summary import Summary, pack_lines

MESSAGE_BLOCKS_MAX = 50
EPHEMERAL_LINES_PER_SECTION = 8
_FENCE = "```"


def _where(channel_id: str | None) -> str:
    """``in <#C1>``, ``in a direct message to you`` (a user id), or ``here``."""
    if not channel_id:
        return "here"
    return "in a direct message to you" if channel_id[:1] in ("U", "W") else f"in <#{channel_id}>"


PRIVATE_NOTE = "Only you can see it here (add `post` to show it to the channel)."
CLIENT_NOTE = "Only you can see it; the chart and the CSV come in a DM with slabot (`/sla report` there)."


def report_ack(period_text: str, channel_id: str | None, *, private: bool = False) -> list[Block]:
    """The immediate answer to ``/sla report`` (the report is built after the ack)."""
    if private and channel_id and channel_id[:1] in ("C", "G"):
        return [
            section(
                f":hourglass_flowing_sand: Building the SLA report for *{escape(period_text)}* — "
                "only you will see it, here."
            )
        ]
    return [
        section(
            f":hourglass_flowing_sand: Building the SLA report for *{escape(period_text)}* — the full report "
            f"with its chart and CSV will be posted {_where(channel_id)}."
        )
    ]


def report_ack_text(period_text: str, channel_id: str | None, *, private: bool = False) -> str:
    if private and channel_id and channel_id[:1] in ("C", "G"):
        return f"Building the SLA report for {escape(period_text)}; only you will see it, here."
    dest = _where(channel_id).replace("<#", "#").replace(">", "")
    return f"Building the SLA report for {escape(period_text)}; it will be posted {dest}."


def _section_text(heading: str, lines: Sequence[str], limit: int | None = None) -> str:
    shown = list(lines) if limit is None else list(lines)[:limit]
    more = len(lines) - len(shown)
    body = "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")
    return truncate_text(f"*{heading}*\n{body}", SECTION_TEXT_MAX)


def report_summary_blocks(summary: Summary, *, posted_in: str | None = None) -> list[Block]:
    """The short, ephemeral version: every section with at most a few lines each."""
    blocks: list[Block] = [header(escape(summary.title))]
    for heading, lines in summary.sections:
        blocks.append(section(_section_text(heading, lines, EPHEMERAL_LINES_PER_SECTION)))
    if posted_in:
        blocks.append(context(f"The full report with the chart and the CSV is posted {_where(posted_in)}."))
    return blocks[:MESSAGE_BLOCKS_MAX]


def table_blocks(table_lines: Sequence[str]) -> list[Block]:
    """The aligned table in code blocks of whole rows, each section within 3,000 characters."""
    room = SECTION_TEXT_MAX - 2 * len(_FENCE) - 2
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in table_lines:
        line = line[:room]
        if chunk and size + len(line) + 1 > room:
            blocks.append(section(f"{_FENCE}\n{chr(10).join(chunk)}\n{_FENCE}"))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section(f"{_FENCE}\n{chr(10).join(chunk)}\n{_FENCE}"))
    return blocks


def report_messages(
    summary: Summary, table_lines: Sequence[str] = (), *, footer: str | None = None
) -> list[Message]:
    """The full report as one or more messages (each ≤ 50 blocks); the first carries the header."""
    blocks: list[Block] = [header(escape(summary.title))]
    for heading, lines in summary.sections:
        text = "\n".join([f"*{heading}*", *lines])
        for chunk in _chunks(text):
            blocks.append(section(chunk))
    if table_lines:
        blocks.append(divider())
        blocks.append(
            section("*Compliance table* (business time to meet; trend against the previous period)")
        )
        blocks.extend(table_blocks(table_lines))
    if footer:
        blocks.append(context(footer))
    messages: list[Message] = []
    per = MESSAGE_BLOCKS_MAX
    for i in range(0, len(blocks), per):
        part = blocks[i : i + per]
        title = escape(summary.title)
        fallback = title if i == 0 else f"{title} (continued, {i // per + 1})"
        messages.append(Message(text=truncate_text(fallback, MESSAGE_TEXT_MAX), blocks=part))
    return messages


def _chunks(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Whole lines packed into pieces of at most ``limit`` characters (an overlong line is cut)."""
    return pack_lines(text.split("\n"), limit, truncate_text)


def burn_alert_message(text: str, *, lead: str | None = None) -> Message:
    """The warning to the account lead that a month's objective is burning its error budget."""
    who = f"<@{lead}> " if lead and lead[:1] in ("U", "W") else ""
    body = f":fire: {who}{escape(text)}"
    return Message(
        text=truncate_text(escape(text), MESSAGE_TEXT_MAX),
        blocks=[
            section(truncate_text(body, SECTION_TEXT_MAX)),
            context(
                "Burn-rate alert (multi-window, Google SRE workbook). `/sla report this-month` shows the detail."
            ),
        ],
    )


def report_failed_blocks(reason: str) -> list[Block]:
    return [section(f":warning: The report could not be posted: {escape(reason)}")]
