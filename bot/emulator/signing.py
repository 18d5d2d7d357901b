"""Moved to :mod:`bot.sandbox.emulator.signing`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.emulator import signing

sys.modules[__name__] = signing
