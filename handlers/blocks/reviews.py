"""SLA review surfaces: the review itself, a proposed revision (diff + dry run), its approval,
and the account lead's reminder. Pure functions of the review use cases' values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.blocks import Block, Message, actions, button, context, header, mention, section
from handlers.blocks.limits import MAX_BLOCKS, SECTION_TEXT_MAX, escape, truncate_text
from handlers.ids import ActionId, BlockId, ReviewAction, ReviewPropose
from sla.durations import format_duration
from sla.review import Review, ReviewLine, feedback_lines, target_text

CHUNK = SECTION_TEXT_MAX - 100


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _line(line: ReviewLine) -> str:
    target = target_text(line.target) if line.target else "no target"  # the file's form: 40h, not 1d 16h
    if line.decided == 0:
        return f"• *{escape(line.label)}* — target {target}: no decided tickets"
    median = format_duration(line.median) if line.median is not None else "—"
    p90 = format_duration(line.p90) if line.p90 is not None else "—"
    mark = {"missed": " :warning:", "too_easy": " :arrow_down:"}.get(line.verdict, "")
    return (
        f"• *{escape(line.label)}* — target {target} · met {_pct(line.met_percent)} "
        f"({line.met}/{line.decided}) · median {median} · p90 {p90}{mark}"
    )


def chunked_sections(title: str, lines: Sequence[str], *, limit: int = CHUNK) -> list[Block]:
    """``title`` then ``lines`` in as many sections as Slack's 3,000-character limit needs."""
    blocks: list[Block] = []
    current = f"*{title}*" if title else ""
    for line in lines:
        line = truncate_text(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def code_sections(title: str, text: str, *, limit: int = CHUNK) -> list[Block]:
    """``text`` as code blocks (```), split on line boundaries to stay within a section's limit."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    first = True

    def flush() -> None:
        nonlocal chunk, size, first
        body = escape("\n".join(chunk)) or " "
        head = f"*{title}*\n" if first and title else ""
        blocks.append(section(f"{head}```{body}```"))
        chunk, size, first = [], 0, False

    for raw in text.splitlines() or [""]:
        line = raw if len(raw) < limit // 2 else raw[: limit // 2] + "…"
        cost = len(escape(line)) + 1
        if chunk and size + cost > limit - 50:
            flush()
        chunk.append(line)
        size += cost
    if chunk:
        flush()
    return blocks


def review_text(review: Review, *, tickets: int) -> str:
    """The whole review as plain text (the terminal, and Slack's notification fallback)."""
    parts = [review.text(), "", f"{tickets} ticket(s) opened in {review.period.describe()}."]
    notes = [*review.notes]
    if notes:
        parts += ["", "Notes:"] + [f"• {n}" for n in notes]
    return "\n".join(parts)


def review_message(
    review: Review,
    *,
    client_name: str,
    tickets: int,
    can_propose: bool,
) -> list[Block]:
    """``/sla review``: targets against actuals, breach pattern, feedback, credits, recommendations."""
    blocks: list[Block] = [
        header(escape(f"SLA review — {client_name}, {review.period.label}")),
        context(
            f"Contract {escape(review.contract)} v{review.version} · {tickets} ticket(s) opened in "
            f"{escape(review.period.describe())} · times are business time on each target's calendar"
        ),
    ]
    blocks += chunked_sections(
        "Targets against actuals", [_line(x) for x in review.lines] or ["• no targets"]
    )
    blocks += chunked_sections(
        f"Breaches by weekday and hour ({escape(str(review.timezone))})",
        [f"• {escape(x)}" for x in review.heatmap_lines()],
    )
    if review.feedback is not None:
        fb = [f"• {escape(x)}" for x in feedback_lines(review.feedback)]
        blocks += chunked_sections("Feedback", fb)
    if review.credits is not None:
        blocks += chunked_sections("Credits", [f"• {escape(x)}" for x in review.credits.explanation_lines])
    recs = [f"• {escape(r)}" for r in review.recommendations] or [
        "• none: every target is in line with the data"
    ]
    blocks += chunked_sections("Recommendations", recs)
    if review.proposals:
        blocks += chunked_sections("Proposed target changes", [f"• {escape(p)}" for p in review.proposals])
    if review.notes:
        blocks.append(context(*(escape(n) for n in review.notes[:10])))
    if can_propose:
        value = ReviewPropose(client=review.client, quarter=review.period.label).encode()
        blocks.append(
            actions(
                [button("Propose revision", ActionId.REVIEW_PROPOSE, value=value, style="primary")],
                block_id=BlockId.REVIEW_ACTIONS,
            )
        )
    return _fit(blocks)


def _fit(blocks: list[Block]) -> list[Block]:
    limit = MAX_BLOCKS["message"]
    if len(blocks) <= limit:
        return blocks
    tail = blocks[-1] if blocks[-1].get("type") == "actions" else None
    keep = blocks[: limit - (2 if tail else 1)]
    keep.append(context("… cut to fit one Slack message: `slabot review` prints everything."))
    return keep + ([tail] if tail else [])


def draft_message(view: Any, *, decidable: bool = True) -> list[Block]:
    """A proposed revision: what changes, the targets diff, the dry run, and Approve / Discard."""
    blocks: list[Block] = [
        header(
            escape(
                f"Proposed revision — {view.client_name}: {view.contract_key} "
                f"v{view.base_number} → v{view.new_number}"
            )
        ),
        context(
            f"From the {escape(view.period_label)} review · draft #{view.id} by "
            f"{mention(view.created_by) if view.created_by else 'the terminal'} · "
            f"effective {view.effective.isoformat()} · {view.state}"
        ),
    ]
    blocks += chunked_sections("What changes", [f"• {escape(c)}" for c in view.changes])
    blocks += code_sections("Targets diff", view.diff)
    dry = [f"• {escape(x)}" for x in view.dry_run] or ["• no decided timers in the period"]
    blocks += chunked_sections(
        f"Dry run on {escape(view.period_label)}'s tickets — compliance as measured → with the new targets",
        dry,
    )
    blocks.append(
        context(
            "Approving (admins only) records the new version with an audit entry and gives you the YAML "
            f"to paste into `{escape(view.contract_file)}`: the contract file stays the source of truth."
        )
    )
    if decidable and view.state == "draft":
        value = ReviewAction(review_id=str(view.id)).encode()
        blocks.append(
            actions(
                [
                    button(
                        "Approve",
                        ActionId.REVIEW_APPROVE,
                        value=value,
                        style="primary",
                        confirm=_confirm(
                            "Approve this revision?",
                            f"{view.contract_key} v{view.new_number} will be recorded from "
                            f"{view.effective.isoformat()}.",
                            "Approve",
                        ),
                    ),
                    button("Discard", ActionId.REVIEW_REJECT, value=value, style="danger"),
                ],
                block_id=BlockId.REVIEW_ACTIONS,
            )
        )
    return _fit(blocks)


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": truncate_text(title, 100)},
        "text": {"type": "mrkdwn", "text": truncate_text(escape(text), 300)},
        "confirm": {"type": "plain_text", "text": yes},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }


def approved_text(view: Any) -> str:
    return (
        f"Approved: {view.contract_key} v{view.new_number} (from {view.effective.isoformat()}) is recorded, "
        f"with an audit entry. Contracts are code: paste this version at the end of "
        f"contracts.{view.contract_key}.versions in {view.contract_file} and deploy it — the contract "
        "file stays the source of truth, and tickets follow it, not this approval."
    )


def approved_message(view: Any) -> list[Block]:
    blocks: list[Block] = [section(":white_check_mark: " + escape(approved_text(view)))]
    blocks += code_sections(f"contracts.{view.contract_key}.versions — append", view.version_yaml)
    return _fit(blocks)


def discarded_message(view: Any, actor: str | None) -> list[Block]:
    who = mention(actor) if actor else "the terminal"
    return [
        section(
            f"Discarded draft #{view.id} ({escape(view.contract_key)} v{view.base_number} → "
            f"v{view.new_number}) by {who}. The contract is unchanged."
        )
    ]


def reminder_message(client_name: str, client_key: str, cadence: str, period_label: str) -> Message:
    """The account lead's nudge when a review period starts."""
    command = f"/sla review {client_key}" + (f" {period_label}" if "-Q" in period_label else "")
    text = (
        f"Time for the {cadence} SLA review of {client_name} ({period_label}): run `{command}` to see "
        "targets against actuals and recommendations, and propose a revised contract if needed."
    )
    return Message(text=escape(text), blocks=[section(":calendar: " + escape(text))])
