"""Moved to :mod:`bot.sandbox.emulator.inbound`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.emulator import inbound

sys.modules[__name__] = inbound
