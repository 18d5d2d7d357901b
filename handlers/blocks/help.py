"""``/sla help`` and the answer to a command that could not be read, built from the grammar's own help."""

from __future__ import annotations

from bot.grammar import COMMANDS, UsageError, help_for
from handlers.blocks import Block, context, header, section
from handlers.blocks.limits import escape


def help_message(topic: str | None = None) -> list[Block]:
    """Every command with a one-line summary, or one command's usage and examples."""
    if topic:
        h = help_for(topic)
        if h is not None:
            examples = "\n".join(f"`{escape(e)}`" for e in h.examples)
            return [
                header(f"/sla {h.name}"),
                section(f"`{escape(h.usage)}`\n{escape(h.summary)}"),
                section(f"*Examples*\n{examples}"),
            ]
    lines = [f"`{escape(h.usage)}`\n      {escape(h.summary)}" for h in COMMANDS]
    half = (len(lines) + 1) // 2
    return [
        header("/sla — SLA clocks for your support tickets"),
        section("\n".join(lines[:half])),
        section("\n".join(lines[half:])),
        context(
            "Tickets are written `T-12`; priorities `P1` (most urgent) to `P9`. `/sla help &lt;command&gt;` for examples."
        ),
    ]


DM_ANSWER = (
    "Hi! I keep SLA clocks in your support channels, so I do not read direct messages. "
    "Type `/sla help` for what I can do, `/sla status` for the open tickets, "
    "or open my *Home* tab for yours."
)


def dm_answer() -> list[Block]:
    """The short answer to a direct message: where slabot works and the three ways in."""
    return [section(DM_ANSWER)]


def usage_error_message(error: UsageError) -> list[Block]:
    """A usage error as an ephemeral answer: what was not understood, then how to write it."""
    blocks = [section(f":thinking_face: {escape(error.message)}")]
    if error.usage:
        blocks.append(context(escape(error.usage)))
    return blocks
