"""Optional libraries (pip extras) and the one message when one is missing.

``charts`` (matplotlib) draws the report's compliance chart; ``sentiment`` (TextBlob, VADER) adds two
signals to the survey-comment scorer. Without them slabot runs; what needs them says what to install.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec

#: extra -> the modules it brings (the ones slabot imports)
EXTRAS: dict[str, tuple[str, ...]] = {
    "charts": ("matplotlib",),
    "sentiment": ("textblob", "vaderSentiment"),
}


class ExtraMissing(ImportError):
    """A feature needs an optional extra that is not installed; the message says what to install."""

    def __init__(self, extra: str, purpose: str) -> None:
        self.extra = extra
        modules = ", ".join(EXTRAS[extra])
        super().__init__(f"{purpose} needs the '{extra}' extra ({modules}): pip install 'slabot[{extra}]'")


@cache
def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(extra: str) -> tuple[str, ...]:
    """The modules of ``extra`` that are not installed (empty when it is complete)."""
    return tuple(m for m in EXTRAS[extra] if not installed(m))
