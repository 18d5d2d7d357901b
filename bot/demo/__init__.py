"""Kept import path of :mod:`bot.sandbox.demo` (``slabot demo``). Submodules (``bot.demo.runner``,
``.script``, ``.play``, ``.transcript``) are the sandbox's own module objects."""

from bot.sandbox.demo import SPEEDS

__all__ = ["SPEEDS"]
