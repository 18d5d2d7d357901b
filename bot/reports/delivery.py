"""Kept import path of :mod:`handlers.report_delivery` (getting reports to Slack); the same module object."""

import sys

from handlers import report_delivery

sys.modules[__name__] = report_delivery
