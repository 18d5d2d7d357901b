"""``python -m bot``: the ``slabot`` command without its console script (a buildpack's app folder)."""

from __future__ import annotations

import sys

from bot.cli import main

sys.exit(main())
