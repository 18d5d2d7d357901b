"""Moved to :mod:`bot.sandbox.demo.play`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.demo import play

sys.modules[__name__] = play
