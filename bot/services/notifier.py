"""Kept import path of the notifier: :mod:`handlers.notifier` (Slack rendering and errors) over
:mod:`bot.services.delivery` (the delivery use case). This module is that one object."""

import sys

from handlers import notifier

sys.modules[__name__] = notifier
