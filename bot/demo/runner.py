"""Moved to :mod:`bot.sandbox.demo.runner`; this import path is kept (the same module object)."""

import sys

from bot.sandbox.demo import runner

sys.modules[__name__] = runner
