"""Slack Web API failures as types: permanent, transient, rate-limited (with ``retry_after``).

:func:`classify` maps what ``slack_sdk`` raises (``SlackApiError`` with Slack's error code and HTTP
status, request and network errors) to one of three exceptions, so code that calls Slack decides
on a type instead of matching error strings:

- :class:`PermanentSlackError` — retrying cannot help (``channel_not_found``, ``invalid_auth``, a
  malformed request, ...): record the failure and show it to admins;
- :class:`TransientSlackError` — Slack or the network is unwell (5xx, ``internal_error``, timeouts):
  retry later with backoff; the earlier attempt *may* have reached Slack;
- :class:`RateLimitedSlackError` — HTTP 429 / ``ratelimited``: wait ``retry_after`` seconds.

An error code Slack does not document as either is retried, and counts as permanent after
:data:`UNKNOWN_ERROR_ATTEMPTS` attempts.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError

#: errors that will not go away by retrying: the row is recorded as failed and shown to admins.
PERMANENT_ERRORS: Final = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_authed",
        "missing_scope",
        "no_permission",
        "ekm_access_denied",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        "thread_not_found",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "team_access_not_granted",
        "no_alert_channel",
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "invalid_message",
    }
)
#: errors Slack documents as temporary.
TRANSIENT_ERRORS: Final = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "ratelimited",
        "team_not_ready",
    }
)
#: an unknown error code is retried this many times before it counts as permanent.
UNKNOWN_ERROR_ATTEMPTS: Final = 5

FailureKind = Literal["permanent", "transient", "ratelimited"]


class SlackFailure(Exception):
    """A Slack call failed. ``error`` is Slack's error code (or a short description); ``kind`` says
    what to do about it."""

    kind: ClassVar[FailureKind]
    retry_after: float | None = None

    def __init__(self, error: str, *, code: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        #: Slack's own error code when Slack answered (``""`` if its answer had none); None when the
        #: call never got an answer (network, client errors)
        self.code = code


class PermanentSlackError(SlackFailure):
    kind = "permanent"


class TransientSlackError(SlackFailure):
    kind = "transient"


class RateLimitedSlackError(SlackFailure):
    kind = "ratelimited"

    def __init__(self, error: str, retry_after: float, *, code: str | None = None) -> None:
        super().__init__(error, code=code)
        self.retry_after = retry_after


def error_code(exc: SlackApiError) -> str:
    """Slack's ``error`` field of a failed call (``""`` when the response has none)."""
    response = exc.response
    try:
        return str(response.get("error") or "")
    except AttributeError:
        return ""


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list) else value)
    return None


def classify(exc: BaseException, attempts: int = 0) -> SlackFailure | None:
    """The failure ``exc`` stands for, or None when it is not a Slack or network failure (a bug).
    ``attempts`` is how often the call was tried before (for unknown error codes)."""
    if isinstance(exc, SlackFailure):
        return exc
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200) or 200
        raw = error_code(exc)
        code = raw or f"http_{status}"
        if status == 429 or code == "ratelimited":
            try:
                retry_after = float(_header(exc.response.headers, "Retry-After") or 1)
            except ValueError:
                retry_after = 1.0
            return RateLimitedSlackError(code, retry_after, code=raw)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return TransientSlackError(code, code=raw)
        if code in PERMANENT_ERRORS:
            return PermanentSlackError(code, code=raw)
        if attempts + 1 >= UNKNOWN_ERROR_ATTEMPTS:
            return PermanentSlackError(f"{code} (after {attempts + 1} attempts)", code=raw)
        return TransientSlackError(code, code=raw)
    if isinstance(exc, SlackRequestError):
        return PermanentSlackError(f"bad request: {exc}")
    if isinstance(
        exc, URLError | TimeoutError | ConnectionError | http.client.HTTPException | json.JSONDecodeError
    ):
        return TransientSlackError(f"network: {exc}")
    if isinstance(exc, SlackClientError | OSError):
        return TransientSlackError(f"client: {exc}")
    return None
