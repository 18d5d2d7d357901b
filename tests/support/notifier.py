"""What the delivery tests share about the notifier."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.notifier import Notifier


def killed_before_bookkeeping(notifier: Notifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``notifier`` once and kill it between chat.postMessage and its bookkeeping (mark_sent)."""
    real_sent = notifier._sent

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed between chat.postMessage and mark_sent")

    monkeypatch.setattr(notifier, "_sent", crash)
    with pytest.raises(RuntimeError):
        notifier.run_once()
    monkeypatch.setattr(notifier, "_sent", real_sent)
