"""Moved to :mod:`bot.sandbox.emulator.server`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.emulator import server

sys.modules[__name__] = server
