"""Moved to :mod:`bot.sandbox.demo.script`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.demo import script

sys.modules[__name__] = script
