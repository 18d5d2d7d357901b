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

import copy
import itertools
import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
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
from bot.sandbox.emulator.methods import WebApiMethods
from bot.sandbox.emulator.records import (
    JSON_FIELD_ERRORS,
    JSON_FIELDS,
    MAX_TEXT,
    UPLOAD_CALL,
    RecordedCall,
    SlackError,
    UploadedFile,
    _Channel,
    _invalid_arguments,
    _RateLimit,
    check_blocks,
)
from bot.sandbox.emulator.spec import MethodSpec, load_methods

#: the emulator's records and errors are imported from here too
__all__ = ["UPLOAD_CALL", "RecordedCall", "SlackEmulator", "SlackError", "UploadedFile", "check_blocks"]


class SlackEmulator(WebApiMethods):
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
        scopes: Iterable[str] | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.tokens: set[str] | None = set(tokens) if tokens is not None else None
        #: the bot token's OAuth scopes: a call needing another one answers ``missing_scope`` like Slack
        #: (``None``: not checked). Tokens ``oauth.v2.access`` issues are granted these.
        self.scopes: frozenset[str] | None = frozenset(scopes) if scopes is not None else None
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
        self._init_installs_and_responses()
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
                    self._check_scope(spec, token)
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

    def _check_scope(self, spec: MethodSpec, token: str | None) -> None:
        if self.scopes is None or not (token or "").startswith("xoxb-") or not spec.lacks_scope(self.scopes):
            return
        raise SlackError(
            "missing_scope",
            extra={"needed": ",".join(sorted(spec.scopes)), "provided": ",".join(sorted(self.scopes))},
        )

    def _check_token(self, token: str | None) -> None:
        if token is None:
            raise SlackError("not_authed")
        if token in self._expired:
            raise SlackError("token_expired")
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
        if parts.path.startswith("/response/") and self.command == "POST":
            status, text = self.emulator.handle_response(parts.path.rsplit("/", 1)[-1], raw)
            self._send(status, text.encode(), "text/plain; charset=utf-8", {})
            return
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
