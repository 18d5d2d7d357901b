"""Moved to :mod:`bot.sandbox.demo.transcript`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.demo import transcript

sys.modules[__name__] = transcript
