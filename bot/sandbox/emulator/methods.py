"""The Web API methods the emulator answers, one method each (``chat.postMessage`` → ``_chat_post_message``).

:class:`WebApiMethods` is a mix-in of :class:`bot.sandbox.emulator.server.SlackEmulator`: the
methods read and change the emulator's workspace through its state helpers (``_channel``,
``_append``, ``_user``...), which the server defines."""

from __future__ import annotations

import base64
import copy
import json
import math
from collections.abc import Mapping
from typing import Any

from bot.sandbox.emulator.records import (
    MAX_VIEW_BLOCKS,
    RESPONSE_CALL,
    VIEW_MAX_CHARS,
    SlackError,
    UploadedFile,
    _Channel,
    _flag,
    _invalid_arguments,
    _need,
    _values_at,
    check_blocks,
)


class WebApiMethods:
    """Slack's Web API methods over the emulator's state (see :class:`SlackEmulator`)."""

    def _api_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if args.get("error"):
            raise SlackError(str(args["error"]), extra={"args": args})
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        team_id, team_name = self._token_teams.get(token, (self.team_id, self.team_name))
        enterprise_id = self._token_orgs.get(token)
        # an org-wide install answers from the enterprise's host, and names the enterprise
        org = ".enterprise" if enterprise_id else ""
        return {
            "ok": True,
            "url": f"https://{self.team_domain}{org}.slack.com/",
            "team": team_name,
            "user": self.users[self.bot_user_id]["name"],
            "team_id": team_id,
            **({"enterprise_id": enterprise_id} if enterprise_id else {}),
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": bool(enterprise_id),
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
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        org_wide: bool = False,
    ) -> None:
        """What Slack does when a user approves the install: ``code`` (sent to the app's redirect URL)
        can be exchanged once by ``oauth.v2.access`` for a bot token of ``team_id`` (default: the emulated team).
        ``enterprise_id``: the workspace is part of that Enterprise Grid; ``org_wide``: an admin installed
        the app for the whole organisation (Slack then names no team)."""
        with self._lock:
            self._oauth_codes[code] = {
                "team_id": team_id or self.team_id,
                "team_name": team_name or self.team_name,
                "user_id": user_id,
                "enterprise_id": enterprise_id,
                "enterprise_name": enterprise_name or (f"Org {enterprise_id}" if enterprise_id else None),
                "org_wide": bool(org_wide and enterprise_id),
            }

    def enable_token_rotation(self, lifetime_seconds: int = 43_200) -> None:
        """Slack's *Token Rotation*: bot tokens issued from now on expire (12 hours by default) and come
        with a refresh token that ``oauth.v2.access`` (``grant_type=refresh_token``) exchanges once."""
        with self._lock:
            self.token_lifetime = lifetime_seconds

    def expire_token(self, token: str) -> None:
        """``token``'s lifetime is over: calls with it answer ``token_expired``."""
        with self._lock:
            self._expired.add(token)

    def _oauth_v2_access(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if args.get("grant_type") == "refresh_token":
            grant = self._refresh_tokens.pop(str(args.get("refresh_token")), None)
            if grant is None:
                raise SlackError("invalid_refresh_token")
        else:
            grant = self._oauth_codes.pop(str(args.get("code")), None)
            if grant is None:
                raise SlackError("invalid_code")
        serial = next(self._ids)
        owner = grant["enterprise_id"] if grant.get("org_wide") else grant["team_id"]
        issued = f"xoxe.xoxb-{owner}-{serial}" if self.token_lifetime else f"xoxb-{owner}-{serial}"
        self._token_teams[issued] = (grant["team_id"], grant["team_name"])
        if grant.get("org_wide"):
            self._token_orgs[issued] = grant["enterprise_id"]
        if self.tokens is not None:
            self.tokens.add(issued)
        enterprise = (
            {"id": grant["enterprise_id"], "name": grant["enterprise_name"]}
            if grant.get("enterprise_id")
            else None
        )
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant["user_id"]},
            "scope": ",".join(sorted(self.scopes)) if self.scopes is not None else "commands,chat:write",
            "token_type": "bot",
            "access_token": issued,
            "bot_user_id": self.bot_user_id,
            "team": None if grant.get("org_wide") else {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": enterprise,
            "is_enterprise_install": bool(grant.get("org_wide")),
        }
        if self.token_lifetime:
            refresh = f"xoxe-1-{owner}-{serial}"
            self._refresh_tokens[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=self.token_lifetime)
        return answer

    def _init_installs_and_responses(self) -> None:
        """State of token rotation, org-wide installs and response URLs (called by ``__init__``)."""
        self._token_orgs: dict[str, str] = {}  # token -> enterprise id (org-wide installs)
        #: token rotation (Slack's "Token Rotation" setting): issued bot tokens live this many seconds
        #: and come with a refresh token (``None``: long-lived tokens, no refresh token)
        self.token_lifetime: int | None = None
        self._refresh_tokens: dict[str, dict[str, Any]] = {}  # refresh token -> its grant (used once)
        self._expired: set[str] = set()
        self._response_urls: dict[str, dict[str, Any]] = {}  # id -> where an interaction happened
        #: what apps POSTed to response URLs, in order: {"url_id", "payload", "status"}
        self.responses: list[dict[str, Any]] = []

    def response_url(
        self, *, channel: str, user: str, message_ts: str | None = None, thread_ts: str | None = None
    ) -> str:
        """A response URL as Slack puts in an interaction payload (``respond()`` posts to it): an
        ephemeral answer lands where the interaction happened — in its thread when it was in one —
        and ``replace_original``/``delete_original`` change the message that was clicked."""
        with self._lock:
            url_id = f"R{next(self._ids):010d}"
            self._response_urls[url_id] = {
                "channel": channel,
                "user": user,
                "message_ts": message_ts,
                "thread_ts": thread_ts,
                "uses": 0,
            }
            return f"{self.root_url}response/{url_id}"

    def handle_response(self, url_id: str, raw: bytes) -> tuple[int, str]:
        """A POST to a response URL: Slack answers ``ok`` or an error text (not the Web API's envelope)."""
        with self._lock:
            where = self._response_urls.get(url_id)
            try:
                payload = json.loads(raw.decode("utf-8") or "{}")
            except (ValueError, UnicodeDecodeError):
                payload = None
            status, text = 200, "ok"
            if where is None:
                status, text = 404, "no_such_url"
            elif not isinstance(payload, dict):
                status, text = 400, "invalid_payload"
            elif where["uses"] >= 5:  # Slack: up to 5 times within 30 minutes
                status, text = 404, "used_up"
            else:
                where["uses"] += 1
                problems = self._response_problems(payload)
                if problems:
                    status, text = 400, "invalid_blocks"
                elif payload.get("delete_original"):
                    conv = self._channels.get(where["channel"])
                    message = conv.find(where["message_ts"]) if conv and where["message_ts"] else None
                    if message is not None:
                        conv.messages.remove(message)
                elif payload.get("replace_original"):
                    conv = self._channels.get(where["channel"])
                    message = conv.find(where["message_ts"]) if conv and where["message_ts"] else None
                    if message is not None:
                        message.update({k: payload[k] for k in ("text", "blocks") if k in payload})
                elif payload.get("response_type") == "in_channel":
                    conv = self._channel(where["channel"], needs_member=False)
                    self._append(conv, self._bot_message(payload), where["thread_ts"])
                else:  # ephemeral (Slack's default): only the user sees it, in the thread if any
                    message = self._bot_message(payload)
                    message.update(channel=where["channel"], recipient=where["user"], ts=self._next_ts())
                    if where["thread_ts"]:
                        message["thread_ts"] = where["thread_ts"]
                    message["via_response_url"] = True
                    self._ephemerals.append(message)
            self.responses.append({"url_id": url_id, "payload": payload, "status": status})
            where_args = {k: where[k] for k in ("channel", "user", "thread_ts")} if where else {}
            body = payload if isinstance(payload, dict) else {}
            self._record(
                RESPONSE_CALL,
                {**where_args, **body},
                {},
                self.clock.now(),
                {"ok": status == 200} if status == 200 else {"ok": False, "error": text},
                status,
            )
            return status, text

    @staticmethod
    def _response_problems(payload: Mapping[str, Any]) -> list[str]:
        blocks = payload.get("blocks")
        return check_blocks(blocks) if blocks is not None else []

    def _apps_connections_open(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        if self.socket_mode_url:  # a test's WebSocket server stands in for Slack's
            return {"ok": True, "url": self.socket_mode_url}
        raise SlackError("socket_mode_not_emulated")
