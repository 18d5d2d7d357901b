"""The Slack side of slabot's tests and demo: a Web API emulator, Slack-style request signing and
builders for the requests Slack sends to an app.

>>> with SlackEmulator() as slack:                       # doctest: +SKIP
...     slack.add_channel("C0SUPPORT1", "support-acme")
...     WebClient(base_url=slack.url, token="xoxb-test").chat_postMessage(channel="C0SUPPORT1", text="hi")
...     slack.messages("C0SUPPORT1")[0]["text"]
'hi'
"""

from __future__ import annotations

from bot.sandbox.emulator.server import (
    UPLOAD_CALL,
    RecordedCall,
    SlackEmulator,
    SlackError,
    UploadedFile,
    check_blocks,
)
from bot.sandbox.emulator.signing import sign_request
from bot.sandbox.emulator.spec import MethodSpec, load_methods

__all__ = [
    "UPLOAD_CALL",
    "MethodSpec",
    "RecordedCall",
    "SlackEmulator",
    "SlackError",
    "UploadedFile",
    "check_blocks",
    "load_methods",
    "sign_request",
]
