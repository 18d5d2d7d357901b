"""Kept import path of :mod:`bot.sandbox.emulator` (the Slack Web API emulator, request signing and
builders for the requests Slack sends to an app). Submodules (``bot.emulator.server``,
``.signing``, ``.spec``, ``.inbound``) are the sandbox's own module objects."""

from __future__ import annotations

from bot.sandbox.emulator import (
    UPLOAD_CALL,
    MethodSpec,
    RecordedCall,
    SlackEmulator,
    SlackError,
    UploadedFile,
    check_blocks,
    load_methods,
    sign_request,
)

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
