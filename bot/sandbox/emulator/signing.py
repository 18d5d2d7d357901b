"""Sign a request body exactly as Slack signs the requests it sends to an app.

https://api.slack.com/authentication/verifying-requests-from-slack: the signature is
``v0=`` + hex HMAC-SHA256, keyed with the app's signing secret, of ``v0:{timestamp}:{body}``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
VERSION = "v0"


def signature(signing_secret: str, body: bytes | str, timestamp: int) -> str:
    """The ``X-Slack-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = f"{VERSION}:{timestamp}:".encode() + raw
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def sign_request(signing_secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request; ``timestamp`` defaults to now (Unix seconds).

    The default must be the real time: receivers (Bolt included) reject timestamps more than
    five minutes away from their own clock.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(signing_secret, body, ts)}
