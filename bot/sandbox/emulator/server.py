"""A Slack Web API emulator that the real ``slack_sdk.WebClient`` talks to over HTTP.

``SlackEmulator`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0 by default) in a daemon
thread. Point a client at :attr:`SlackEmulator.url` (``WebClient(base_url=emulator.url)`` or
``SLACK_API_URL``). Every call is checked against Slack's method table (:mod:`bot.sandbox.emulator.spec`),
answered like Slack would (same error codes, same envelope), and recorded in :attr:`calls`
(and, optionally, as JSON lines in a transcript file).

Behind the methods sits a small stateful workspace: a team, a bot user, users, user groups,
channels with messages and threads, ephemeral messages, App Home and modal views, and files
uploaded through the ``files_upload_v2`` flow. Faults are injected on demand: an error for the
next call(s) of a method, HTTP 429 with ``Retry-After``, 5xx outages, and Slack's
one-message-per-second-per-channel limit measured on an injectable clock.

Deliberate strictness: real Slack quietly ignores most unknown arguments; the emulator answers
``invalid_arguments`` so a misspelt argument fails a test instead of being dropped in production.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import math
import mimetypes
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from bot.clock import Clock, SystemClock
from bot.sandbox.emulator.inbound import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_DOMAIN,
    DEFAULT_TEAM_ID,
    DEFAULT_TEAM_NAME,
)
from bot.sandbox.emulator.spec import MethodSpec, load_methods

UPLOAD_CALL = "POST upload_url"  # RecordedCall.method of the raw upload step of files_upload_v2
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


class SlackEmulator:
    """The emulated Slack: ``with SlackEmulator() as slack: WebClient(base_url=slack.url, token="xoxb-test")``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        tokens: Iterable[str] | None = None,
        transcript: str | Path | None = None,
        methods: Mapping[str, MethodSpec] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        team_id: str = DEFAULT_TEAM_ID,
        team_name: str = DEFAULT_TEAM_NAME,
        team_domain: str = DEFAULT_TEAM_DOMAIN,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        bot_id: str = DEFAULT_BOT_ID,
        app_id: str = DEFAULT_APP_ID,
        auto_create_channels: bool = False,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.tokens: set[str] | None = set(tokens) if tokens is not None else None
        self.methods: dict[str, MethodSpec] = dict(methods) if methods is not None else load_methods()
        self.transcript_path = Path(transcript) if transcript is not None else None
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.bot_user_id, self.bot_id, self.app_id = bot_user_id, bot_id, app_id
        self.auto_create_channels = auto_create_channels
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._transcript: IO[str] | None = None
        self._ids = itertools.count(1)
        self._last_ts_us = 0
        self._calls: list[RecordedCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, _Channel] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._files: dict[str, UploadedFile] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._oauth_codes: dict[str, dict[str, str]] = {}  # code -> team_id, team_name, user_id
        self._token_teams: dict[str, tuple[str, str]] = {}  # tokens issued by oauth.v2.access
        #: the WebSocket URL ``apps.connections.open`` hands out (None: Socket Mode not emulated)
        self.socket_mode_url: str | None = None
        self._home_views: dict[str, str] = {}
        self._fail_next: dict[str, deque[tuple[str, int]]] = {}
        self._rate_limits: list[_RateLimit] = []
        self._outage: tuple[int, int | None, datetime | None] | None = None
        self._channel_rate: tuple[float, float] | None = None
        self._buckets: dict[str, tuple[float, datetime]] = {}
        self.add_user(bot_user_id, "slabot", real_name="Slabot", is_bot=True)
        self._handlers: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self._oauth_v2_access,
        }

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        handler = type("BoundSlackHandler", (_SlackHandler,), {"emulator": self})
        self._server = _EmulatorHTTPServer((self._host, self._port), handler)
        if self.transcript_path is not None:
            self._transcript = self.transcript_path.open("a", encoding="utf-8")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
        with self._lock:
            if self._transcript is not None:
                self._transcript.close()
                self._transcript = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}/"

    @property
    def url(self) -> str:
        """Base URL of the Web API, for ``WebClient(base_url=...)`` and ``SLACK_API_URL``."""
        return f"{self.root_url}api/"

    # --- workspace fixtures -----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        tz: str = "UTC",
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "tz": tz,
            "is_admin": is_admin,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {
                "real_name": real_name or name,
                "display_name": name,
                "email": email,
                "team": self.team_id,
            },
        }
        if is_bot:
            user["profile"]["bot_id"] = self.bot_id
        with self._lock:
            self.users[user_id] = user
        return copy.deepcopy(user)

    def add_usergroup(
        self, group_id: str, handle: str, users: Iterable[str], *, name: str | None = None
    ) -> None:
        with self._lock:
            self.usergroups[group_id] = {
                "id": group_id,
                "team_id": self.team_id,
                "is_usergroup": True,
                "name": name or handle,
                "handle": handle,
                "date_delete": 0,
                "users": list(users),
            }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: Iterable[str] = (),
        archived: bool = False,
        *,
        is_private: bool = False,
        bot_is_member: bool = True,
        check_membership: bool = False,
    ) -> None:
        """A channel. The bot is a member unless ``bot_is_member=False``; with ``check_membership=True``
        the emulator answers ``not_in_channel`` where Slack requires the bot to be a member."""
        member_set = set(members)
        if bot_is_member:
            member_set.add(self.bot_user_id)
        with self._lock:
            self._channels[channel_id] = _Channel(
                id=channel_id,
                name=name.lstrip("#"),
                members=member_set,
                archived=archived,
                is_private=is_private,
                check_membership=check_membership,
            )

    def set_archived(self, channel_id: str, archived: bool = True) -> None:
        with self._lock:
            self._channels[channel_id].archived = archived

    def remove_bot_from(self, channel_id: str) -> None:
        """Take the bot out of a channel and turn membership checking on (to provoke ``not_in_channel``)."""
        with self._lock:
            channel = self._channels[channel_id]
            channel.members.discard(self.bot_user_id)
            channel.check_membership = True

    def post_user_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Put a person's message into a channel's history (as if typed in Slack); returns it with its ts."""
        with self._lock:
            conv = self._channel(channel, for_write=False, needs_member=False)
            message: dict[str, Any] = {"type": "message", "user": user, "text": text, "team": self.team_id}
            if blocks is not None:
                message["blocks"] = blocks
            return copy.deepcopy(self._append(conv, message, thread_ts))

    # --- inspection -----------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in the channel (top level and thread replies), oldest first."""
        with self._lock:
            conv = self._channels.get(channel)
            return copy.deepcopy(conv.messages) if conv else []

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """A thread's parent and replies, oldest first."""
        return [m for m in self.messages(channel) if m["ts"] == ts or m.get("thread_ts") == ts]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals if channel is None or e["channel"] == channel]

    @property
    def files(self) -> list[UploadedFile]:
        """Files shared with files.completeUploadExternal, in order."""
        with self._lock:
            return [f for f in self._files.values() if f.completed]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._lock:
            view_id = self._home_views.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id else None

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._views)

    def clear(self) -> None:
        """Forget recorded calls, posted messages, ephemerals, files, views and pending faults;
        keep the workspace (team, users, user groups, channels and their members)."""
        with self._lock:
            self._calls.clear()
            for conv in self._channels.values():
                conv.messages.clear()
            self._ephemerals.clear()
            self._files.clear()
            self._views.clear()
            self._home_views.clear()
            self.reset_faults()

    # --- fault injection ------------------------------------------------------------------------

    def fail_next(
        self, method: str, error: str = "internal_error", count: int = 1, *, status: int = 200
    ) -> None:
        """The next ``count`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        with self._lock:
            queue = self._fail_next.setdefault(method, deque())
            queue.extend([(error, status)] * count)

    def rate_limit(self, method: str | None = None, count: int = 1, retry_after: int = 1) -> None:
        """The next ``count`` calls (of ``method``, or of any method) answer HTTP 429 with ``Retry-After``."""
        with self._lock:
            self._rate_limits.append(_RateLimit(method, count, None, retry_after))

    def rate_limit_for(self, seconds: float, method: str | None = None, retry_after: int = 1) -> None:
        """Answer 429 for every call (of ``method``) during the next ``seconds`` of the emulator's clock."""
        with self._lock:
            until = self.clock.now() + timedelta(seconds=seconds)
            self._rate_limits.append(_RateLimit(method, None, until, retry_after))

    def outage(self, status: int = 500, count: int = 1) -> None:
        """The next ``count`` requests answer HTTP ``status`` (500 or 503)."""
        with self._lock:
            self._outage = (status, count, None)

    def outage_for(self, seconds: float, status: int = 503) -> None:
        """Every request answers HTTP ``status`` during the next ``seconds`` of the emulator's clock."""
        with self._lock:
            self._outage = (status, None, self.clock.now() + timedelta(seconds=seconds))

    def enforce_channel_rate(self, limit_per_second: float | None = 1.0, burst: float = 3.0) -> None:
        """Slack's posting limit: about ``limit_per_second`` chat.postMessage per channel, short bursts
        of ``burst`` allowed (a token bucket on the emulator's clock); ``None`` switches it off."""
        with self._lock:
            self._channel_rate = None if limit_per_second is None else (float(limit_per_second), float(burst))
            self._buckets.clear()

    def reset_faults(self) -> None:
        with self._lock:
            self._fail_next.clear()
            self._rate_limits.clear()
            self._outage = None
            self._channel_rate = None
            self._buckets.clear()

    # --- request pipeline -------------------------------------------------------------------------

    def handle_api(
        self, method: str, args: dict[str, Any], headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one Web API call: ``(HTTP status, JSON body, extra headers)``. Records it."""
        with self._lock:
            now = self.clock.now()
            recorded_args = {k: v for k, v in args.items() if k != "token"}
            try:
                self._check_outage(now)
                spec = self.methods.get(method)
                if spec is None:
                    raise SlackError("unknown_method", extra={"req_method": method})
                self._check_rate_limit(method, now)
                token = self._token(args, headers)
                if spec.needs_token:
                    self._check_token(token)
                queue = self._fail_next.get(method)
                if queue:
                    error, status = queue.popleft()
                    raise SlackError(error, status=status)
                self._decode_json_fields(recorded_args)
                unknown = spec.unknown(recorded_args)
                if unknown:
                    raise _invalid_arguments(*(f"[ERROR] unknown argument '{name}'" for name in unknown))
                missing = spec.missing(recorded_args)
                if missing:
                    raise _invalid_arguments(*(f"[ERROR] missing required field: {name}" for name in missing))
                handler = self._handlers.get(method)
                body = (
                    handler(recorded_args, token or "")
                    if handler
                    else {"ok": True, "warning": "emulator_stub"}
                )
                status, extra_headers = 200, {}
            except SlackError as failure:
                body = {"ok": False, "error": failure.error, **failure.extra}
                status, extra_headers = failure.status, failure.headers
            self._record(method, recorded_args, headers, now, body, status)
            return status, body, extra_headers

    def handle_upload(self, file_id: str, data: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        """Step 2 of files_upload_v2: the bytes POSTed to the URL from files.getUploadURLExternal."""
        with self._lock:
            now = self.clock.now()
            upload = self._files.get(file_id)
            if upload is None or upload.completed:
                status, text = 404, "Not Found"
            else:
                upload.content = bytes(data)
                status, text = 200, f"OK - {len(data)}"
            self._record(
                UPLOAD_CALL,
                {"file_id": file_id, "bytes": len(data)},
                headers,
                now,
                {"ok": status == 200},
                status,
            )
            return status, text

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        headers: Mapping[str, str],
        now: datetime,
        body: dict[str, Any],
        status: int,
    ) -> None:
        response = json.loads(json.dumps(body))
        args_copy = json.loads(json.dumps(args, default=str))
        self._calls.append(RecordedCall(method, args_copy, dict(headers), now, response, status))
        if self._transcript is not None:
            line = {
                "time": now.isoformat(),
                "method": method,
                "status": status,
                "args": args_copy,
                "response": response,
            }
            self._transcript.write(json.dumps(line, sort_keys=True) + "\n")
            self._transcript.flush()

    def _check_outage(self, now: datetime) -> None:
        if self._outage is None:
            return
        status, remaining, until = self._outage
        if until is not None and now >= until:
            self._outage = None
            return
        if remaining is not None:
            self._outage = (status, remaining - 1, None) if remaining > 1 else None
        error = "service_unavailable" if status == 503 else "internal_error"
        raise SlackError(error, status=status)

    def _check_rate_limit(self, method: str, now: datetime) -> None:
        for limit in list(self._rate_limits):
            if limit.until is not None and now >= limit.until:
                self._rate_limits.remove(limit)
                continue
            if limit.method not in (None, method):
                continue
            if limit.remaining is not None:
                limit.remaining -= 1
                if limit.remaining <= 0:
                    self._rate_limits.remove(limit)
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(limit.retry_after)})

    def _check_channel_rate(self, channel_id: str, now: datetime) -> None:
        if self._channel_rate is None:
            return
        rate, burst = self._channel_rate
        tokens, last = self._buckets.get(channel_id, (burst, now))
        tokens = min(burst, tokens + max(0.0, (now - last).total_seconds()) * rate)
        if tokens < 1.0:
            self._buckets[channel_id] = (tokens, now)
            retry_after = max(1, math.ceil((1.0 - tokens) / rate))
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        self._buckets[channel_id] = (tokens - 1.0, now)

    @staticmethod
    def _token(args: dict[str, Any], headers: Mapping[str, str]) -> str | None:
        for name, value in headers.items():
            if name.lower() == "authorization" and value.lower().startswith("bearer "):
                return value[7:].strip() or None
        token = args.get("token")
        return token if isinstance(token, str) and token else None

    def _check_token(self, token: str | None) -> None:
        if token is None:
            raise SlackError("not_authed")
        if self.tokens is not None and token not in self.tokens:
            raise SlackError("invalid_auth")

    @staticmethod
    def _decode_json_fields(args: dict[str, Any]) -> None:
        for name in JSON_FIELDS:
            value = args.get(name)
            if isinstance(value, str) and value.strip():
                try:
                    args[name] = json.loads(value)
                except json.JSONDecodeError as exc:
                    error = JSON_FIELD_ERRORS.get(name, "invalid_arguments")
                    raise SlackError(
                        error,
                        extra={"response_metadata": {"messages": [f"[ERROR] {name} is not valid JSON"]}},
                    ) from exc

    # --- state helpers ----------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    def _next_ts(self) -> str:
        now_us = int(round(self.clock.now().timestamp() * 1_000_000))
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def _channel(self, channel_id: Any, *, for_write: bool = True, needs_member: bool = True) -> _Channel:
        if not isinstance(channel_id, str) or not channel_id:
            raise SlackError("channel_not_found")
        key = channel_id.lstrip("#")
        conv = self._channels.get(key)
        if conv is None:
            conv = next((c for c in self._channels.values() if c.name == key and not c.is_im), None)
        if conv is None and key in self.users:
            conv = self._open_im(key)
        if conv is None and self.auto_create_channels and key[:1] in ("C", "G"):
            self.add_channel(key, key.lower())
            conv = self._channels[key]
        if conv is None:
            raise SlackError("channel_not_found")
        if for_write and conv.archived:
            raise SlackError("is_archived")
        if needs_member and conv.check_membership and self.bot_user_id not in conv.members:
            raise SlackError("not_in_channel")
        return conv

    def _open_im(self, user_id: str) -> _Channel:
        im_id = "D" + user_id[1:]
        conv = self._channels.get(im_id)
        if conv is None:
            conv = _Channel(id=im_id, name=user_id, members={user_id, self.bot_user_id}, is_im=True)
            self._channels[im_id] = conv
        return conv

    def _append(self, conv: _Channel, message: dict[str, Any], thread_ts: str | None) -> dict[str, Any]:
        if thread_ts:
            # A reply to a reply lands in the root's thread (Slack's advice: use the parent's ts).
            parent = conv.find(thread_ts)
            if parent is not None and parent.get("thread_ts", parent["ts"]) != parent["ts"]:
                thread_ts = parent["thread_ts"]
                parent = conv.find(thread_ts)
            if parent is None:
                raise SlackError("thread_not_found")
        ts = self._next_ts()
        message["ts"] = ts
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            users = parent.setdefault("reply_users", [])
            if message.get("user") and message["user"] not in users:
                users.append(message["user"])
            parent["reply_users_count"] = len(users)
            parent["latest_reply"] = ts
        conv.messages.append(message)
        return message

    def _message(self, conv: _Channel, ts: Any) -> dict[str, Any]:
        message = conv.find(ts) if isinstance(ts, str) else None
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _bot_message(self, args: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text") or args.get("markdown_text") or "",
        }
        for name in ("blocks", "attachments", "metadata"):
            if args.get(name):
                message[name] = args[name]
        return message

    @staticmethod
    def _check_message_content(args: Mapping[str, Any]) -> None:
        if not any(args.get(name) for name in ("text", "blocks", "attachments", "markdown_text")):
            raise SlackError("no_text")
        text = args.get("text") or args.get("markdown_text") or ""
        if isinstance(text, str) and len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        if args.get("blocks"):
            problems = check_blocks(args["blocks"])
            if problems:
                raise SlackError("invalid_blocks", extra={"response_metadata": {"messages": problems}})
        metadata = args.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and "event_payload" in metadata
        ):
            raise SlackError("invalid_metadata_format")

    @staticmethod
    def _shown(message: Mapping[str, Any], include_metadata: bool) -> dict[str, Any]:
        shown = copy.deepcopy(dict(message))
        if not include_metadata:
            shown.pop("metadata", None)
        return shown

    def _user(self, user_id: Any) -> dict[str, Any]:
        user = self.users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise SlackError("user_not_found")
        return user

    # --- methods ----------------------------------------------------------------------------------

    def _api_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if args.get("error"):
            raise SlackError(str(args["error"]), extra={"args": args})
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        team_id, team_name = self._token_teams.get(token, (self.team_id, self.team_name))
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": team_name,
            "user": self.users[self.bot_user_id]["name"],
            "team_id": team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if args.get("team") not in (None, self.team_id):
            raise SlackError("team_not_found")
        return {
            "ok": True,
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True},
            },
        }

    def _users_info(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        return {"ok": True, "user": copy.deepcopy(self._user(_need(args, "user")))}

    def _users_list(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        members = [copy.deepcopy(u) for u in self.users.values()]
        page, cursor = self._page(members, args, default_limit=0)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_lookup_by_email(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        email = str(args["email"]).lower()
        for user in self.users.values():
            if (user["profile"].get("email") or "").lower() == email:
                return {"ok": True, "user": copy.deepcopy(user)}
        raise SlackError("users_not_found")

    def _usergroups_list(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        groups = []
        for group in self.usergroups.values():
            shown = {k: v for k, v in group.items() if k != "users"}
            shown["user_count"] = len(group["users"])
            if _flag(args, "include_users"):
                shown["users"] = list(group["users"])
            groups.append(shown)
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        group = self.usergroups.get(args["usergroup"])
        if group is None:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(group["users"])}

    def _conversations_info(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"), for_write=False, needs_member=False)
        return {"ok": True, "channel": conv.info(self.bot_user_id)}

    def _conversations_members(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"), for_write=False, needs_member=False)
        page, cursor = self._page(sorted(conv.members), args, default_limit=100)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_join(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"), needs_member=False)
        if conv.is_private or conv.is_im or conv.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        already = self.bot_user_id in conv.members
        conv.members.add(self.bot_user_id)
        body: dict[str, Any] = {"ok": True, "channel": conv.info(self.bot_user_id)}
        if already:
            body["warning"] = "already_in_channel"
        return body

    def _conversations_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if args.get("channel"):
            conv = self._channel(args["channel"], for_write=False, needs_member=False)
            return {"ok": True, "channel": {"id": conv.id}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        for user in users:
            self._user(user)
        if len(users) == 1:
            conv = self._open_im(users[0])
        else:
            conv_id = "G" + base64.b32encode(",".join(sorted(users)).encode()).decode().rstrip("=")[:9]
            conv = self._channels.get(conv_id) or _Channel(
                id=conv_id,
                name="mpdm-" + "--".join(sorted(users)),
                members={*users, self.bot_user_id},
                is_mpim=True,
            )
            self._channels[conv_id] = conv
        if _flag(args, "return_im"):
            return {"ok": True, "channel": conv.info(self.bot_user_id)}
        return {"ok": True, "channel": {"id": conv.id}}

    @staticmethod
    def _page(items: list[Any], args: Mapping[str, Any], *, default_limit: int) -> tuple[list[Any], str]:
        try:
            limit = int(args.get("limit") or default_limit)
            start = (
                int(base64.b64decode(str(args["cursor"])).decode().split(":")[1]) if args.get("cursor") else 0
            )
        except (ValueError, IndexError) as exc:
            raise SlackError("invalid_cursor") from exc
        if limit <= 0:
            return items[start:], ""
        end = start + limit
        cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
        return items[start:end], cursor

    def _conversations_history(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"), for_write=False)
        inclusive = _flag(args, "inclusive")
        oldest = float(args.get("oldest") or 0)
        latest = float(args["latest"]) if args.get("latest") else math.inf
        selected = []
        for message in reversed(conv.messages):
            if (
                message.get("thread_ts", message["ts"]) != message["ts"]
                and message.get("subtype") != "thread_broadcast"
            ):
                continue
            ts = float(message["ts"])
            if (oldest < ts < latest) or (inclusive and ts in (oldest, latest)):
                selected.append(self._shown(message, _flag(args, "include_all_metadata")))
        limit = min(int(args.get("limit") or 100), 999)
        page, cursor = self._page(selected, {**args, "limit": limit}, default_limit=100)
        return {
            "ok": True,
            "messages": page,
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"), for_write=False)
        ts = _need(args, "ts")
        parent = conv.find(ts) if isinstance(ts, str) else None
        if parent is None:
            raise SlackError("thread_not_found")
        root = parent.get("thread_ts", parent["ts"])
        include = _flag(args, "include_all_metadata")
        thread = [
            self._shown(m, include) for m in conv.messages if m["ts"] == root or m.get("thread_ts") == root
        ]
        page, cursor = self._page(thread, args, default_limit=1000)
        return {
            "ok": True,
            "messages": page,
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _chat_post_message(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(args["channel"])
        self._check_message_content(args)
        self._check_channel_rate(conv.id, self.clock.now())
        message = self._bot_message(args)
        if _flag(args, "reply_broadcast") and args.get("thread_ts"):
            message["subtype"] = "thread_broadcast"
        self._append(conv, message, args.get("thread_ts") or None)
        return {"ok": True, "channel": conv.id, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_update(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(args["channel"])
        message = self._message(conv, args["ts"])
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        self._check_message_content(args)
        for name in ("blocks", "attachments", "metadata"):
            if name in args:
                message[name] = args[name]
        if "text" in args or "markdown_text" in args:
            message["text"] = args.get("text") or args.get("markdown_text") or ""
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": conv.id,
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"))
        message = self._message(conv, _need(args, "ts"))
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_delete_message")
        conv.messages.remove(message)
        return {"ok": True, "channel": conv.id, "ts": message["ts"]}

    def _chat_post_ephemeral(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(args["channel"])
        self._user(args["user"])
        if conv.check_membership and args["user"] not in conv.members:
            raise SlackError("user_not_in_channel")
        self._check_message_content(args)
        message = self._bot_message(args)
        message.update(channel=conv.id, recipient=args["user"], ts=self._next_ts())
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self._ephemerals.append(message)
        return {"ok": True, "message_ts": message["ts"]}

    def _chat_get_permalink(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(args["channel"], for_write=False, needs_member=False)
        message = self._message(conv, args["message_ts"])
        link = f"https://{self.team_domain}.slack.com/archives/{conv.id}/p{message['ts'].replace('.', '')}"
        root = message.get("thread_ts")
        if root and root != message["ts"]:
            link += f"?thread_ts={root}&cid={conv.id}"
        return {"ok": True, "channel": conv.id, "permalink": link}

    def _reactions_add(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(args["channel"])
        message = self._message(conv, args["timestamp"])
        name = str(args["name"]).strip(":")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            reactions.append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] = len(reaction["users"])
        return {"ok": True}

    def _reactions_remove(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        conv = self._channel(_need(args, "channel"))
        message = self._message(conv, _need(args, "timestamp"))
        name = str(args["name"]).strip(":")
        reactions = message.get("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name and self.bot_user_id in r["users"]), None)
        if reaction is None:
            raise SlackError("no_reaction")
        reaction["users"].remove(self.bot_user_id)
        reaction["count"] = len(reaction["users"])
        if not reaction["users"]:
            reactions.remove(reaction)
        return {"ok": True}

    def _checked_view(self, view: Any, allowed_types: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(view, dict):
            raise _invalid_arguments("[ERROR] expected object [json-pointer:/view]")
        problems = [
            f"[ERROR] missing required field: {name} [json-pointer:/view]"
            for name in ("type", "blocks")
            if name not in view
        ]
        if view.get("type") == "modal" and "title" not in view:
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        if "type" in view and view["type"] not in allowed_types:
            problems.append(f"[ERROR] must be one of {list(allowed_types)} [json-pointer:/view/type]")
        for path, limit in VIEW_MAX_CHARS:
            for value, where in _values_at(view, path, "/view"):
                if isinstance(value, str) and len(value) > limit:
                    problems.append(
                        f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}]"
                    )
        if "blocks" in view:
            problems += check_blocks(view["blocks"], max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
        if problems:
            raise _invalid_arguments(*problems)
        return view

    def _store_view(
        self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        vid = view_id or self._next_id("V")
        stored = {
            "id": vid,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{next(self._ids)}.{vid.lower()}",
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": None,
            "root_view_id": root or vid,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[vid] = stored
        return copy.deepcopy(stored)

    def _views_publish(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        self._user(args["user_id"])
        view = self._checked_view(args["view"], ("home",))
        current = self._home_views.get(args["user_id"])
        if args.get("hash") and current and self._views[current]["hash"] != args["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, view_id=current)
        self._home_views[args["user_id"]] = stored["id"]
        return {"ok": True, "view": stored}

    def _trigger(self, args: Mapping[str, Any]) -> None:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise SlackError("invalid_trigger_id")

    def _views_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        self._trigger(args)
        return {"ok": True, "view": self._store_view(self._checked_view(args["view"], ("modal",)))}

    def _views_push(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        self._trigger(args)
        return {"ok": True, "view": self._store_view(self._checked_view(args["view"], ("modal",)))}

    def _views_update(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        view = self._checked_view(_need(args, "view"), ("modal", "home"))
        if args.get("view_id"):
            current = self._views.get(args["view_id"])
        elif args.get("external_id"):
            current = next((v for v in self._views.values() if v["external_id"] == args["external_id"]), None)
        else:
            raise _invalid_arguments("[ERROR] missing required field: view_id")
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return {
            "ok": True,
            "view": self._store_view(view, view_id=current["id"], root=current["root_view_id"]),
        }

    def _files_get_upload_url(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        try:
            length = int(args["length"])
        except (TypeError, ValueError) as exc:
            raise _invalid_arguments("[ERROR] length must be an integer") from exc
        if length <= 0:
            raise SlackError("invalid_length")
        file_id = self._next_id("F")
        self._files[file_id] = UploadedFile(
            id=file_id,
            filename=str(args["filename"]),
            length=length,
            alt_txt=args.get("alt_txt") or args.get("alt_text"),
            snippet_type=args.get("snippet_type"),
        )
        return {"ok": True, "upload_url": f"{self.root_url}upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        entries = args["files"]
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise _invalid_arguments("[ERROR] files must be a non-empty array of objects")
        uploads = []
        for entry in entries:
            upload = self._files.get(str(entry.get("id")))
            if upload is None or upload.content is None or upload.completed:
                raise SlackError("file_not_found")
            uploads.append((upload, entry))
        targets = [args["channel_id"]] if args.get("channel_id") else []
        targets += [c for c in str(args.get("channels") or "").split(",") if c]
        convs = [self._channel(target) for target in targets]
        thread_ts = args.get("thread_ts") or None
        for upload, entry in uploads:
            upload.title = entry.get("title") or upload.filename
            upload.channels = [conv.id for conv in convs]
            upload.thread_ts = thread_ts
            upload.initial_comment = args.get("initial_comment")
            upload.completed = True
        shown = [upload.to_slack(self.team_id, self.bot_user_id) for upload, _ in uploads]
        for conv in convs:
            message = self._bot_message({"text": args.get("initial_comment") or ""})
            message.update(files=copy.deepcopy(shown), upload=True)
            self._append(conv, message, thread_ts)
        return {"ok": True, "files": shown}

    def grant_oauth_code(
        self,
        code: str,
        *,
        team_id: str | None = None,
        team_name: str | None = None,
        user_id: str = "U0INSTALL1",
    ) -> None:
        """What Slack does when a user approves the install: ``code`` (sent to the app's redirect URL)
        can be exchanged once by ``oauth.v2.access`` for a bot token of ``team_id`` (default: the emulated team)."""
        with self._lock:
            self._oauth_codes[code] = {
                "team_id": team_id or self.team_id,
                "team_name": team_name or self.team_name,
                "user_id": user_id,
            }

    def _oauth_v2_access(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        grant = self._oauth_codes.pop(str(args.get("code")), None)
        if grant is None:
            raise SlackError("invalid_code")
        issued = f"xoxb-{grant['team_id']}-{next(self._ids)}"
        self._token_teams[issued] = (grant["team_id"], grant["team_name"])
        if self.tokens is not None:
            self.tokens.add(issued)
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant["user_id"]},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": issued,
            "bot_user_id": self.bot_user_id,
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        if self.socket_mode_url:  # a test's WebSocket server stands in for Slack's
            return {"ok": True, "url": self.socket_mode_url}
        raise SlackError("socket_mode_not_emulated")


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops concurrent connects, which then retry after 1 s


class _SlackHandler(BaseHTTPRequestHandler):
    emulator: SlackEmulator
    server_version = "SlackEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch(b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, raw: bytes) -> None:
        parts = urlsplit(self.path)
        headers = {k: v for k, v in self.headers.items()}
        if parts.path.startswith("/upload/v1/") and self.command == "POST":
            status, text = self.emulator.handle_upload(parts.path.rsplit("/", 1)[-1], raw, headers)
            self._send(status, text.encode(), "text/plain; charset=utf-8", {})
            return
        if not parts.path.startswith("/api/"):
            self._send(404, b'{"ok":false,"error":"not_found"}', "application/json; charset=utf-8", {})
            return
        method = parts.path[len("/api/") :]
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            if raw and content_type == "application/json":
                decoded = json.loads(raw.decode("utf-8"))
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body must be an object")
                args.update(decoded)
            elif raw and content_type in ("application/x-www-form-urlencoded", ""):
                args.update(
                    {k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
                )
            elif raw:
                raise ValueError(f"unsupported content type {content_type}")
        except (ValueError, UnicodeDecodeError):
            error = "invalid_json" if content_type == "application/json" else "invalid_form_data"
            self._send(
                200, json.dumps({"ok": False, "error": error}).encode(), "application/json; charset=utf-8", {}
            )
            return
        status, body, extra = self.emulator.handle_api(method, args, headers)
        self._send(status, json.dumps(body).encode("utf-8"), "application/json; charset=utf-8", extra)

    def _send(self, status: int, payload: bytes, content_type: str, extra: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
