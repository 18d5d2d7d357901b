"""Kept import path of :mod:`bot.sandbox.emulator` (the Slack Web API emulator, request signing and
builders for the requests Slack sends to an app). Submodules (``bot.emulator.server``,
``.signing``, ``.spec``, ``.inbound``) are the sandbox's own module objects."""

from __future__ import annotations

from bot.sandbox import emulator as _sandbox
from bot.sandbox.emulator import *  # noqa: F403  (the same names, listed once in bot.sandbox.emulator)

__all__ = list(_sandbox.__all__)
