"""Requests as Slack sends them to an app's Request URL (``POST /slack/events``).

Each builder returns ``(body, content_type)``: slash commands are form-encoded fields,
interactivity (``block_actions``, ``view_submission``, ``message_action``) is a form with one
``payload=`` field holding JSON, and the Events API posts a JSON envelope. Shapes follow Slack's
documentation and ``slack-api-specs/events-api/slack_common_event_wrapper_schema.json``.
:func:`post_to_app` signs a body with :mod:`bot.sandbox.emulator.signing` and sends it.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.sandbox.emulator.signing import sign_request
from bot.teams import DEMO_TEAM_ID

# The emulated workspace. SlackEmulator uses the same defaults, so builders and emulator agree; it is
# the demo's workspace, the one a terminal command acts for when none is given.
DEFAULT_TEAM_ID = DEMO_TEAM_ID
DEFAULT_TEAM_DOMAIN = "slabot-demo"
DEFAULT_TEAM_NAME = "Slabot Demo"
DEFAULT_APP_ID = "A0SLABOT01"
DEFAULT_BOT_USER_ID = "U0SLABOT01"
DEFAULT_BOT_ID = "B0SLABOT01"
VERIFICATION_TOKEN = "emulator-verification-token"  # deprecated by Slack, still sent in every payload

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_serial = itertools.count(1)


def _next_serial() -> int:
    return next(_serial)


def _trigger_id() -> str:
    n = _next_serial()
    return f"{1700000000 + n}.{4000000000 + n}.{n:032x}"


def _response_url(team_id: str) -> str:
    n = _next_serial()
    return f"https://hooks.slack.com/commands/{team_id}/{7000000000 + n}/emulated{n:08d}"


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": DEFAULT_TEAM_DOMAIN}


def _payload_form(payload: Mapping[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}), FORM


def slash_command(
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str = DEFAULT_TEAM_ID,
    *,
    command: str = "/sla",
    channel_name: str | None = None,
    user_name: str | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> tuple[str, str]:
    """A slash command invocation, form-encoded with the fields Slack sends (``enterprise_id``: the
    workspace is part of an Enterprise Grid; ``is_enterprise_install``: the app is installed org-wide)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": DEFAULT_TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name
        or ("directmessage" if channel_id.startswith("D") else channel_id.lower()),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url or _response_url(team_id),
        "trigger_id": trigger_id or _trigger_id(),
    }
    if enterprise_id:
        fields["enterprise_id"] = enterprise_id
        fields["enterprise_name"] = f"Org {enterprise_id}"
    return urlencode(fields), FORM


def block_actions(
    action_id: str,
    value: str | None,
    user_id: str,
    channel_id: str,
    message_ts: str,
    team_id: str = DEFAULT_TEAM_ID,
    trigger_id: str | None = None,
    *,
    block_id: str = "actions",
    action_type: str = "button",
    text: str = "Button",
    message: Mapping[str, Any] | None = None,
    thread_ts: str | None = None,
    selected_option: Mapping[str, Any] | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    response_url: str | None = None,
) -> tuple[str, str]:
    """A click on an interactive element of a message (``payload=`` JSON in a form); ``response_url``:
    one of the emulator's (:meth:`SlackEmulator.response_url`), so that ``respond()`` can be observed."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": text, "emoji": True}
        if value is not None:
            action["value"] = value
    elif selected_option is not None:
        action["selected_option"] = dict(selected_option)
    elif value is not None:
        action["value"] = value
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    msg = (
        dict(message)
        if message is not None
        else {"type": "message", "ts": message_ts, "text": "", "blocks": []}
    )
    payload = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": msg,
        "state": {"values": {}},
        "response_url": response_url
        or f"https://hooks.slack.com/actions/{team_id}/{_next_serial()}/emulated",
        "actions": [action],
    }
    return _payload_form(payload)


def view_submission(
    callback_id: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    private_metadata: str = "",
    user_id: str = "U0AGENT001",
    team_id: str = DEFAULT_TEAM_ID,
    *,
    view_id: str | None = None,
    title: str = "Slabot",
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
) -> tuple[str, str]:
    """Submission of a modal; ``values`` is ``view.state.values`` ({block_id: {action_id: {type, value...}}})."""
    vid = view_id or f"V{_next_serial():010d}"
    payload = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "view": {
            "id": vid,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in values.items()}},
            "hash": f"{_next_serial()}.emulated",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": vid,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": DEFAULT_BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def message_shortcut(
    callback_id: str,
    message: Mapping[str, Any],
    channel_id: str,
    user_id: str,
    team_id: str = DEFAULT_TEAM_ID,
    *,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> tuple[str, str]:
    """A message shortcut (``message_action``) on ``message`` (which needs at least ``ts``)."""
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url or f"https://hooks.slack.com/app/{team_id}/{_next_serial()}/emulated",
        "message_ts": message["ts"],
        "message": {"type": "message", **dict(message)},
    }
    return _payload_form(payload)


def event_callback(
    event: Mapping[str, Any],
    team_id: str = DEFAULT_TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    *,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    installed_team_id: str | None = None,
    is_ext_shared_channel: bool = False,
) -> tuple[str, str]:
    """The Events API envelope around ``event`` (JSON).

    ``team_id`` is the envelope's team (in a Slack Connect channel: the sender's organisation);
    ``authorizations[0]`` names the installation the event is delivered for: ``installed_team_id``
    (default ``team_id``), or, for an org-wide install (``is_enterprise_install``), the enterprise with
    no team. ``is_ext_shared_channel``: the channel is shared with another organisation."""
    n = _next_serial()
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{n:010d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if is_enterprise_install else (installed_team_id or team_id),
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": is_enterprise_install,
            }
        ],
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": f"4-emulated-{team_id}-{n}",
        "authed_users": [bot_user_id],
    }
    if enterprise_id:
        envelope["enterprise_id"] = enterprise_id
    return json.dumps(envelope, separators=(",", ":")), JSON


def url_verification(challenge: str) -> tuple[str, str]:
    """The handshake Slack sends when a Request URL is saved."""
    return json.dumps({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}), JSON


def message_event(
    channel: str,
    user: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    *,
    team_id: str = DEFAULT_TEAM_ID,
    channel_type: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``message`` event as posted by a person (no subtype)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "team": team_id,
        "event_ts": ts,
        "channel_type": channel_type or ("im" if channel.startswith("D") else "channel"),
        "client_msg_id": f"00000000-0000-4000-8000-{_next_serial():012d}",
    }
    if blocks is not None:
        event["blocks"] = blocks
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def reaction_added_event(
    user: str,
    reaction: str,
    channel: str,
    ts: str,
    item_user: str | None = None,
    event_ts: str | None = None,
) -> dict[str, Any]:
    """A ``reaction_added`` event for the message ``ts`` in ``channel`` (``reaction`` without colons)."""
    event: dict[str, Any] = {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction.strip(":"),
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts or f"{time.time():.6f}",
    }
    if item_user is not None:
        event["item_user"] = item_user
    return event


def app_home_opened_event(user: str, channel: str | None = None, tab: str = "home") -> dict[str, Any]:
    """An ``app_home_opened`` event (the user opened the app's Home tab)."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or "D" + user[1:],  # the app's DM with the user
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def post_to_app(
    base_url: str,
    body: str | bytes,
    content_type: str,
    signing_secret: str,
    retry_num: int | None = None,
    *,
    retry_reason: str = "http_timeout",
    timestamp: int | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], str]:
    """Sign ``body`` as Slack does and POST it; returns ``(status, headers, body)`` without raising on 4xx/5xx.

    ``base_url`` is either the full Request URL or the app's root (then ``/slack/events`` is used).
    ``retry_num`` adds Slack's ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason`` redelivery headers.
    """
    url = base_url if urlsplit(base_url).path not in ("", "/") else base_url.rstrip("/") + "/slack/events"
    raw = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"Content-Type": content_type, **sign_request(signing_secret, raw, timestamp)}
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    request = urllib.request.Request(url, data=raw, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode("utf-8")
