"""The conversation as people would see it in Slack, printed for a terminal.

:class:`Conversation` collects :class:`Entry` values — what people did (messages, reactions,
``/sla`` commands, button clicks, modal submissions) and what slabot did, taken from the Web API
calls the emulator recorded (``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``,
``views.open``, file uploads, …) — and prints them grouped under ``#channel › thread`` headers with
the time of each line, users by their display names and bot messages rendered from their blocks.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

#: the emoji slabot and the demo use, as a terminal shows them
EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "rotating_light": "🚨",
    "warning": "⚠️",
    "hourglass_flowing_sand": "⏳",
    "fire": "🔥",
    "star": "⭐",
    "thumbsup": "👍",
    "+1": "👍",
    "thumbsdown": "👎",
    "-1": "👎",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "tada": "🎉",
    "pause_button": "⏸",
    "arrow_forward": "▶️",
    "bell": "🔔",
    "eyes": "👀",
    "memo": "📝",
    "speech_balloon": "💬",
}
EPHEMERAL_LINES = 8  # an answer only its asker sees is cut here (the demo is about the channels)
RESPONSE_CALL = "POST response_url"  # bot.sandbox.emulator.records.RESPONSE_CALL: an answer through respond()
WRITES = {
    RESPONSE_CALL,
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.delete",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "reactions.add",
    "files.completeUploadExternal",
}


@dataclass
class Entry:
    """One line of the conversation: a person's action or something slabot posted."""

    at: datetime
    channel: str | None
    thread_ts: str | None
    who: str
    text: str
    kind: str  # message | update | ephemeral | reaction | command | click | submit | modal | file | error | home
    blocks: list[dict[str, Any]] = field(default_factory=list)
    to: str | None = None
    ts: str | None = None


NameOf = Callable[[str], str]


def render_mrkdwn(text: str, names: NameOf, channel_names: NameOf, groups: NameOf | None = None) -> str:
    """Slack's mrkdwn as plain text: mentions by name, links by label, emoji as characters."""

    def link(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + names(target[1:])
        if target.startswith("#"):
            return "#" + (label or channel_names(target[1:]))
        if target.startswith("!subteam^"):
            group = target[len("!subteam^") :]
            return label if label.startswith("@") else "@" + (label or (groups(group) if groups else group))
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        return label or target

    out = re.sub(r"<([^<>]+)>", link, text or "")
    out = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", out)
    out = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", out)
    out = re.sub(r"(?<![\w~])~([^~\n]+)~(?![\w~])", r"\1", out)
    out = re.sub(r":([a-z0-9_+\-]+):", lambda m: EMOJI.get(m.group(1), m.group(0)), out)
    return html.unescape(out)


def _text_of(obj: Any) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("text") or "")
    return ""


def render_blocks(
    blocks: Sequence[Mapping[str, Any]], fallback: str, render: Callable[[str], str]
) -> list[str]:
    """Block Kit as lines of text (header, sections and fields, context, buttons, inputs, images)."""
    if not blocks:
        return render(fallback).splitlines() or [""]
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(render(_text_of(block.get("text"))).upper())
        elif kind == "section":
            text = render(_text_of(block.get("text")))
            if text.strip():
                lines.extend(text.splitlines())
            fields = [render(_text_of(f)) for f in block.get("fields") or []]
            if fields:
                lines.append("  ·  ".join(f.replace("\n", " ") for f in fields))
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                lines.append(f"[{_text_of(accessory.get('text'))}]")
        elif kind == "context":
            parts = [
                render(_text_of(e)) if e.get("type") != "image" else "" for e in block.get("elements") or []
            ]
            text = " · ".join(p for p in parts if p)
            if text:
                lines.append(text)
        elif kind == "actions":
            buttons = []
            for element in block.get("elements") or []:
                label = _text_of(element.get("text") or element.get("placeholder"))
                buttons.append(f"[{label}]" if element.get("type") == "button" else f"[{label} ▾]")
            if buttons:
                lines.append(" ".join(buttons))
        elif kind == "divider":
            lines.append("─" * 24)
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text') or block.get('title', {}).get('text', '')}]")
        elif kind == "input":
            label = render(_text_of(block.get("label")))
            lines.append(f"{label}: [________]")
        elif kind == "rich_text":
            lines.append(render(_rich_text(block)))
        elif kind == "file":
            lines.append("[file]")
    return lines or render(fallback).splitlines() or [""]


def _rich_text(node: Any) -> str:
    if isinstance(node, Mapping):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "user":
            return f"<@{node.get('user_id')}>"
        if node.get("type") == "emoji":
            return f":{node.get('name')}:"
        return "".join(_rich_text(e) for e in node.get("elements") or [])
    return ""


class Conversation:
    """What happened, in order, and a printer that shows it as Slack would (see module docstring)."""

    def __init__(
        self,
        *,
        names: NameOf,
        channel_names: NameOf,
        groups: NameOf | None = None,
        tz: str = "Europe/Berlin",
        bot_user_id: str = "U0SLABOT01",
    ) -> None:
        self.names = names
        self.channel_names = channel_names
        self.groups = groups
        self.tz = ZoneInfo(tz)
        self.bot_user_id = bot_user_id
        self.entries: list[Entry] = []
        self._printed = 0
        #: the person whose click or command is being answered (a modal opens for them)
        self.actor: str | None = None
        self.printed: list[str] = []
        self._context: tuple[str | None, str | None, str | None] | None = None
        self._threads: dict[tuple[str, str], str] = {}  # (channel, ts) -> thread_ts
        self._texts: dict[tuple[str, str], str] = {}  # (channel, ts) -> text (thread titles)
        self._shown: dict[tuple[str, str], list[str]] = {}  # (channel, ts) -> lines last printed
        self._recent: dict[datetime, list[list[str]]] = {}  # bot posts per instant (same alert, two places)

    # ------------------------------------------------------------------ collecting

    def add(self, entry: Entry) -> None:
        if entry.channel and entry.ts:
            self._threads[(entry.channel, entry.ts)] = entry.thread_ts or entry.ts
            if entry.kind == "message":
                self._texts[(entry.channel, entry.ts)] = entry.text
        self.entries.append(entry)

    def add_call(self, call: Any) -> None:
        """Turn one recorded Web API call (``bot.sandbox.emulator.RecordedCall``) into an entry."""
        if call.method not in WRITES:
            return
        if not call.ok:
            channel = call.args.get("channel") or call.args.get("channel_id")
            failed = f"{call.method} failed: {call.error}"
            self.add(Entry(call.at, channel, call.args.get("thread_ts"), self.bot_user_id, failed, "error"))
            return
        read = _CALL_READERS.get("views.open" if call.method == "views.push" else call.method)
        entry = read(self, call.at, call.args, call.response) if read is not None else None
        if entry is not None:
            self.add(entry)

    def _posted(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        channel = response.get("channel") or args.get("channel")
        text = str(args.get("text") or "")
        return Entry(
            at, channel, args.get("thread_ts"), self.bot_user_id, text, "message",
            blocks=list(args.get("blocks") or []), ts=response.get("ts"),
        )  # fmt: skip

    def _updated(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        channel = response.get("channel") or args.get("channel")
        ts = str(args.get("ts") or "")
        thread = self._threads.get((channel, ts))
        return Entry(
            at, channel, thread if thread != ts else None, self.bot_user_id, str(args.get("text") or ""),
            "update", blocks=list(args.get("blocks") or []), ts=ts,
        )  # fmt: skip

    def _ephemeral(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        return Entry(
            at, args.get("channel"), args.get("thread_ts"), self.bot_user_id, str(args.get("text") or ""),
            "ephemeral", blocks=list(args.get("blocks") or []), to=args.get("user"),
        )  # fmt: skip

    def _responded(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry | None:
        """An answer through respond(): read like an ephemeral (the demo rewrites no clicked message)."""
        if (
            args.get("replace_original")
            or args.get("delete_original")
            or args.get("response_type") == "in_channel"
        ):
            return None
        return self._ephemeral(at, args, response)

    def _modal(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        view = args.get("view") or {}
        return Entry(
            at, None, None, self.bot_user_id, _text_of(view.get("title")), "modal",
            blocks=list(view.get("blocks") or []), to=self.actor,
        )  # fmt: skip

    def _file(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        files = args.get("files") or []
        titles = ", ".join(str(f.get("title") or f.get("id")) for f in files if isinstance(f, Mapping))
        comment = str(args.get("initial_comment") or "")
        text = f"📎 {titles}" + (f"\n{comment}" if comment else "")
        return Entry(at, args.get("channel_id"), args.get("thread_ts"), self.bot_user_id, text, "file")

    def _reaction(self, at: datetime, args: Mapping[str, Any], response: Mapping[str, Any]) -> Entry:
        channel, ts = args.get("channel"), str(args.get("timestamp") or "")
        thread = self._threads.get((channel, ts), ts)
        return Entry(at, channel, thread, self.bot_user_id, f":{args.get('name')}:", "reaction")

    # ------------------------------------------------------------------ printing

    def _render(self, text: str) -> str:
        return render_mrkdwn(text, self.names, self.channel_names, self.groups)

    def _where(self, entry: Entry) -> str:
        if entry.channel is None:
            return f"a modal for {self.names(entry.to)}" if entry.to else "a modal"
        channel = entry.channel
        if channel.startswith("D"):
            where = f"DM slabot ↔ {self.names('U' + channel[1:])}"
        else:
            where = "#" + self.channel_names(channel)
        if entry.thread_ts and entry.kind != "command":
            title = self._texts.get((channel, entry.thread_ts), "")
            title = " ".join(self._render(title).split())
            title = title if len(title) <= 48 else title[:47] + "…"
            where += f" › thread “{title}”" if title else " › thread"
        return where

    def lines(self, entries: Iterable[Entry]) -> list[str]:
        out: list[str] = []
        for entry in entries:
            context = (entry.channel, entry.thread_ts if entry.kind != "command" else None, entry.to)
            body = self._entry_lines(entry)
            if not body:
                continue
            if self._context is None or self._context[:2] != context[:2] or entry.kind == "modal":
                out.append(f"  {self._where(entry)}")
                self._context = context
            out.extend(body)
        return out

    def _entry_lines(self, entry: Entry) -> list[str]:
        when = entry.at.astimezone(self.tz).strftime("%H:%M")
        who = "slabot" if entry.who == self.bot_user_id else self.names(entry.who)
        body: list[str]
        kind = entry.kind
        if kind in ("message", "update", "ephemeral", "modal", "file"):
            body = render_blocks(entry.blocks, entry.text, self._render)
        else:
            body = self._render(entry.text).splitlines() or [""]
        label = who
        key = (entry.channel or "", entry.ts or "")
        if kind == "message" and entry.who == self.bot_user_id:
            self._shown[key] = body
            same_instant = self._recent.setdefault(entry.at, [])
            if body in same_instant and len(body) > 1:
                return [f"    {when}  {who}: (the same alert, posted here too)"]
            same_instant.append(body)
        if kind == "update":
            before = self._shown.get(key)
            self._shown[key] = body
            if before is not None:
                body = [line for line in body if line not in before]
                if not body:
                    return []
            label = f"{who} ✎ updated its message"
        elif kind == "ephemeral":
            label = f"{who} → {self.names(entry.to) if entry.to else 'you'} (only visible to you)"
            if len(body) > EPHEMERAL_LINES:
                body = [*body[: EPHEMERAL_LINES - 1], f"… ({len(body) - EPHEMERAL_LINES + 1} more lines)"]
        elif kind == "modal":
            label = f"{who} opens a modal “{entry.text}”"
            body = render_blocks(entry.blocks, "", self._render)
        elif kind == "reaction":
            label = f"{who} reacted"
        elif kind == "click":
            label = f"{who} clicked"
        elif kind == "submit":
            label = who
        elif kind == "error":
            label = f"⚠ {who}"
        head = f"    {when}  {label}"
        if kind in ("message", "command", "reaction", "click", "submit", "error") and len(body) == 1:
            return [f"{head}: {body[0]}"]
        wrapped = []
        for line in body:
            wrapped.extend(textwrap.wrap(line, 100, subsequent_indent="  ") or [""])
        return [head + ":", *(f"           {line}" for line in wrapped)]

    def flush(self, out: IO[str]) -> None:
        """Print the entries added since the last flush."""
        new = self.entries[self._printed :]
        self._printed = len(self.entries)
        self.say(out, *self.lines(new))

    def skip(self) -> None:
        """Leave the entries added since the last flush out of the printed conversation."""
        self._printed = len(self.entries)
        self._context = None

    def say(self, out: IO[str], *lines: str) -> None:
        """Print lines (and keep them for :meth:`text`)."""
        for line in lines:
            print(line, file=out)
        self.printed.extend(lines)
        out.flush()

    def heading(self, out: IO[str], start: datetime, end: datetime, title: str) -> None:
        """A step's heading: its time (the span of simulated time it covers) and what happens."""
        first, last = (t.astimezone(self.tz) for t in (start, end))
        span = last.strftime("%H:%M")
        if last.date() != first.date():
            span = last.strftime("%a %d %b, %H:%M")
        elif last - first >= timedelta(minutes=2):
            span = f"{first:%H:%M}–{last:%H:%M}"
        self.say(out, "", f"━━ {span} ━━ {title}")
        self._context = None

    def text(self) -> str:
        """Everything printed so far (for tests and saved copies)."""
        return "\n".join(self.printed)


#: how each Web API write becomes a transcript entry (views.push reads as views.open)
_CALL_READERS: dict[str, Callable[..., Entry | None]] = {
    "chat.postMessage": Conversation._posted,
    "chat.update": Conversation._updated,
    "chat.postEphemeral": Conversation._ephemeral,
    RESPONSE_CALL: Conversation._responded,
    "views.open": Conversation._modal,
    "files.completeUploadExternal": Conversation._file,
    "reactions.add": Conversation._reaction,
}
