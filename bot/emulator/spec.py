"""Moved to :mod:`bot.sandbox.emulator.spec`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.emulator import spec

sys.modules[__name__] = spec
