"""Building many objects at once: the replay, the import and the report each make hundreds of
thousands of small, acyclic objects (events, clocks, rows) in one go."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused inside the block, on again after (unless it was off).

    Reference counting still frees every acyclic object, but the collector would walk the growing
    heap again at each of its passes: about a fifth of a large replay or import, a quarter of a
    month's report at 100,000 tickets (``bench/report_bench.py``). Only cycles made meanwhile wait
    for the next collection (the import collects by itself every few batches)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
