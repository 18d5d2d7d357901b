"""What the emulated Slack keeps and checks: Block Kit limits, the records of calls and files, a
channel's state, Slack's error envelope and the small argument readers every method uses."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

UPLOAD_CALL = "POST upload_url"  # RecordedCall.method of the raw upload step of files_upload_v2
RESPONSE_CALL = "POST response_url"  # RecordedCall.method of an app's answer to an interaction (respond())
MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files")
JSON_FIELD_ERRORS = {"blocks": "invalid_blocks_format", "attachments": "invalid_attachments"}

# --- Block Kit limits (https://api.slack.com/reference/block-kit) -------------------------------
# (block or element type, path inside it, max characters); "*" = any type, "*" in a path = each item.
MAX_CHARS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("*", ("block_id",), 255),
    ("*", ("action_id",), 255),
    ("section", ("text", "text"), 3000),
    ("section", ("fields", "*", "text"), 2000),
    ("header", ("text", "text"), 150),
    ("button", ("text", "text"), 75),
    ("button", ("value",), 2000),
    ("button", ("url",), 3000),
    ("image", ("alt_text",), 2000),
    ("image", ("image_url",), 3000),
    ("input", ("label", "text"), 2000),
    ("input", ("hint", "text"), 2000),
    ("static_select", ("placeholder", "text"), 150),
    ("static_select", ("options", "*", "text", "text"), 75),
    ("static_select", ("options", "*", "value"), 150),
    ("overflow", ("options", "*", "text", "text"), 75),
    ("overflow", ("options", "*", "value"), 150),
)
# (block or element type, path of a list, max items)
MAX_ITEMS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("section", ("fields",), 10),
    ("actions", ("elements",), 25),
    ("context", ("elements",), 10),
    ("static_select", ("options",), 100),
    ("overflow", ("options",), 5),
)
# Modal/home view fields: (path, max characters)
VIEW_MAX_CHARS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("title", "text"), 24),
    (("submit", "text"), 24),
    (("close", "text"), 24),
    (("callback_id",), 255),
    (("external_id",), 255),
    (("private_metadata",), 3000),
)


def _values_at(node: Any, path: tuple[str, ...], pointer: str) -> Iterable[tuple[Any, str]]:
    if not path:
        yield node, pointer
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _values_at(item, rest, f"{pointer}/{i}")
    elif isinstance(node, dict) and head in node:
        yield from _values_at(node[head], rest, f"{pointer}/{head}")


def _check_node(node: Any, pointer: str) -> list[str]:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return [f"[ERROR] missing required field: type [json-pointer:{pointer}]"]
    kind = node["type"]
    problems = []
    for rule_type, path, limit in MAX_CHARS:
        if rule_type in ("*", kind):
            for value, where in _values_at(node, path, pointer):
                if isinstance(value, str) and len(value) > limit:
                    problems.append(
                        f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}]"
                    )
    for rule_type, path, limit in MAX_ITEMS:
        if rule_type == kind:
            for value, where in _values_at(node, path, pointer):
                if isinstance(value, list) and len(value) > limit:
                    problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{where}]")
    for key in ("accessory", "element"):
        if key in node:
            problems += _check_node(node[key], f"{pointer}/{key}")
    if kind in ("actions", "input") and isinstance(node.get("elements"), list):
        for i, element in enumerate(node["elements"]):
            problems += _check_node(element, f"{pointer}/elements/{i}")
    return problems


def check_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks") -> list[str]:
    """Slack-style ``[ERROR] ... [json-pointer:...]`` messages for Block Kit limit violations (empty = fine)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] expected array [json-pointer:{pointer}]"]
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks):
        problems += _check_node(block, f"{pointer}/{i}")
    return problems


# --- Records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedCall:
    """One request as the emulator saw it: JSON-ish arguments already decoded, and the answer sent."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: datetime
    response: dict[str, Any]
    status: int = 200

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error")


@dataclass
class UploadedFile:
    """A file from ``files_upload_v2``: declared with getUploadURLExternal, bytes POSTed, then completed."""

    id: str
    filename: str
    length: int
    title: str | None = None
    content: bytes | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False

    @property
    def size(self) -> int:
        return len(self.content or b"")

    @property
    def channel(self) -> str | None:
        return self.channels[0] if self.channels else None

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.filename)[0] or "application/octet-stream"

    def to_slack(self, team_id: str, user_id: str) -> dict[str, Any]:
        ext = Path(self.filename).suffix.lstrip(".").lower()
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": self.mimetype,
            "filetype": ext or "binary",
            "size": self.size,
            "user": user_id,
            "user_team": team_id,
            "channels": list(self.channels),
            "initial_comment": {"comment": self.initial_comment} if self.initial_comment else None,
        }


@dataclass
class _Channel:
    id: str
    name: str
    members: set[str]
    archived: bool = False
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    check_membership: bool = False
    created: int = 1_700_000_000
    messages: list[dict[str, Any]] = field(default_factory=list)

    def info(self, bot_user_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not (self.is_private or self.is_im or self.is_mpim),
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_im or self.is_mpim,
            "is_archived": self.archived,
            "is_general": False,
            "is_member": bot_user_id in self.members,
            "created": self.created,
            "num_members": len(self.members),
        }

    def find(self, ts: str) -> dict[str, Any] | None:
        for message in self.messages:
            if message["ts"] == ts:
                return message
        return None


@dataclass
class _RateLimit:
    method: str | None
    remaining: int | None
    until: datetime | None
    retry_after: int


class SlackError(Exception):
    """An answer other than ``{"ok": true}``: Slack's error code, HTTP status and extra fields."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def _invalid_arguments(*messages: str) -> SlackError:
    return SlackError("invalid_arguments", extra={"response_metadata": {"messages": list(messages)}})


def _flag(args: Mapping[str, Any], name: str) -> bool:
    value = args.get(name)
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _need(args: Mapping[str, Any], name: str) -> Any:
    if name not in args:
        raise _invalid_arguments(f"[ERROR] missing required field: {name}")
    return args[name]
