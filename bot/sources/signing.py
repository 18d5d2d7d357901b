"""Who may send ticket events: HMAC-SHA256 signatures per source secret.

Three schemes, one per endpoint, all compared in constant time:

- ``POST /webhooks/tickets`` (ours): ``X-Slabot-Timestamp: <unix seconds>`` and
  ``X-Slabot-Signature: sha256=<hex>`` where the hex is HMAC-SHA256(secret, ``timestamp + "." + body``);
  ``X-Slabot-Source: <name>`` names the secret (without it every configured secret is tried).
  A timestamp more than :data:`WINDOW` away from now is refused, so a captured request cannot
  be replayed later (and inside the window the event ids make a replay a no-op).
- ``POST /webhooks/zendesk``: Zendesk's ``X-Zendesk-Webhook-Signature`` =
  base64(HMAC-SHA256(secret, timestamp + body)) with ``X-Zendesk-Webhook-Signature-Timestamp``
  (ISO 8601); same window.
- ``POST /webhooks/jira``: Jira's ``X-Hub-Signature: sha256=<hex>`` = HMAC-SHA256(secret, body)
  (Jira signs no timestamp: replays are absorbed by the event ids).

Secrets come from ``SLABOT_WEBHOOK_SECRETS`` (``name=secret,...`` or a JSON object) as
``SecretStr`` and are never logged; a verification failure says which check failed, never the
expected signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

#: how far a signed timestamp may be from now (either way) before the request is refused.
WINDOW = timedelta(minutes=5)

SLABOT_SIGNATURE = "x-slabot-signature"
SLABOT_TIMESTAMP = "x-slabot-timestamp"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
SLABOT_SOURCE = "x-slabot-source"
ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
JIRA_SIGNATURE = "x-hub-signature"


class SecretsError(ValueError):
    """``SLABOT_WEBHOOK_SECRETS`` could not be read; the message says how to write it."""


def parse_secrets(text: str | None) -> dict[str, SecretStr]:
    """``"zendesk=s1,jira=s2"`` or ``'{"zendesk": "s1"}'`` → ``{name: SecretStr}``."""
    if not text or not text.strip():
        return {}
    text = text.strip()
    pairs: list[tuple[str, str]]
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SecretsError(f"SLABOT_WEBHOOK_SECRETS is not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise SecretsError('SLABOT_WEBHOOK_SECRETS as JSON must map names to strings: {"zendesk": "..."}')
        pairs = [(str(k), v) for k, v in data.items()]
    else:
        pairs = []
        for i, item in enumerate(p for p in text.split(",") if p.strip()):
            name, sep, secret = item.partition("=")
            if not sep or not name.strip() or not secret.strip():
                raise SecretsError(
                    f"SLABOT_WEBHOOK_SECRETS item {i + 1} is not name=secret (write e.g. zendesk=s3cret,jira=0ther)"
                )
            pairs.append((name.strip(), secret.strip()))
    out: dict[str, SecretStr] = {}
    for name, secret in pairs:
        if not name or len(name) > 40 or any(c in name for c in " :,"):
            raise SecretsError(
                f"source name {name!r} must be a word of at most 40 characters without spaces, ':' or ','"
            )
        if not secret:
            raise SecretsError(f"the secret of source {name!r} is empty")
        out[name] = SecretStr(secret)
    return out


@dataclass(frozen=True)
class Verified:
    """A request whose signature matched the secret of ``source``."""

    source: str


class SignatureError(Exception):
    """Refused (HTTP 401); the message says which check failed and never reveals a secret."""


def _mac(secret: SecretStr, message: bytes) -> bytes:
    return hmac.new(secret.get_secret_value().encode("utf-8"), message, hashlib.sha256).digest()


def sign_slabot(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers a client sends to ``POST /webhooks/tickets`` (used by tests and the docs' example)."""
    digest = _mac(SecretStr(secret), f"{timestamp}.".encode() + body).hex()
    return {"X-Slabot-Timestamp": str(timestamp), "X-Slabot-Signature": f"sha256={digest}"}


def sign_zendesk(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    signature = base64.b64encode(_mac(SecretStr(secret), timestamp.encode() + body)).decode()
    return {"X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": timestamp}


def sign_jira(secret: str, body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature": "sha256=" + _mac(SecretStr(secret), body).hex()}


def _in_window(at: datetime, now: datetime) -> None:
    if abs(now - at) > WINDOW:
        raise SignatureError(
            f"the signed timestamp is {abs(now - at).total_seconds():.0f}s away from now "
            f"(at most {WINDOW.total_seconds():.0f}s): refused as a possible replay"
        )


def _hex_digest(header: str | None, name: str) -> bytes:
    if not header:
        raise SignatureError(f"missing {name} header")
    algo, sep, value = header.strip().partition("=")
    if not sep or algo.lower() != "sha256":
        raise SignatureError(f"{name} must look like sha256=<hex>")
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise SignatureError(f"{name} is not hexadecimal") from None


def _match(candidates: Mapping[str, SecretStr], message: bytes, given: bytes) -> str | None:
    found = None
    for name, secret in candidates.items():  # try every candidate: no early exit to time
        if hmac.compare_digest(_mac(secret, message), given) and found is None:
            found = name
    return found


def verify_slabot(
    secrets: Mapping[str, SecretStr], headers: Mapping[str, str], body: bytes, now: datetime
) -> Verified:
    """Check ``POST /webhooks/tickets`` (headers lower-cased). Raises :class:`SignatureError`."""
    if not secrets:
        raise SignatureError("no webhook secret is configured (set SLABOT_WEBHOOK_SECRETS)")
    given = _hex_digest(headers.get(SLABOT_SIGNATURE), "X-Slabot-Signature")
    stamp = headers.get(SLABOT_TIMESTAMP, "").strip()
    if not _UNIX_SECONDS.fullmatch(stamp):  # ASCII digits, at most 12 (a 30-digit stamp overflowed datetime)
        raise SignatureError("missing or non-numeric X-Slabot-Timestamp header (unix seconds)")
    _in_window(datetime.fromtimestamp(int(stamp), UTC), now)
    name = headers.get(SLABOT_SOURCE, "").strip()
    if name:
        if name not in secrets:
            raise SignatureError("unknown X-Slabot-Source")
        candidates = {name: secrets[name]}
    else:
        candidates = dict(secrets)
    source = _match(candidates, stamp.encode() + b"." + body, given)
    if source is None:
        raise SignatureError("signature mismatch")
    return Verified(source)


def verify_zendesk(
    secret: SecretStr | None, headers: Mapping[str, str], body: bytes, now: datetime, *, source: str
) -> Verified:
    if secret is None:
        raise SignatureError(f"no webhook secret named {source!r} is configured (SLABOT_WEBHOOK_SECRETS)")
    signature = headers.get(ZENDESK_SIGNATURE, "").strip()
    stamp = headers.get(ZENDESK_TIMESTAMP, "").strip()
    if not signature or not stamp:
        raise SignatureError("missing X-Zendesk-Webhook-Signature or its -Timestamp header")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not ISO 8601") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    _in_window(at, now)
    try:
        given = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature is not base64") from None
    if _match({source: secret}, stamp.encode() + body, given) is None:
        raise SignatureError("signature mismatch")
    return Verified(source)


def zendesk_timestamp(headers: Mapping[str, str]) -> datetime | None:
    """The signed ``X-Zendesk-Webhook-Signature-Timestamp`` (verified by :func:`verify_zendesk`)."""
    stamp = headers.get(ZENDESK_TIMESTAMP, "").strip()
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def verify_jira(
    secret: SecretStr | None, headers: Mapping[str, str], body: bytes, *, source: str
) -> Verified:
    if secret is None:
        raise SignatureError(f"no webhook secret named {source!r} is configured (SLABOT_WEBHOOK_SECRETS)")
    given = _hex_digest(headers.get(JIRA_SIGNATURE), "X-Hub-Signature")
    if _match({source: secret}, body, given) is None:
        raise SignatureError("signature mismatch")
    return Verified(source)
