"""One HTTP call to a server a test started, answered in JSON: (status, body), error statuses included
(``urllib`` raises for those; a test asserts on them like on a 200)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def json_call(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    timeout: float = 30,
) -> tuple[int, Any]:
    """``method`` ``url`` with ``data``: the status and the JSON body (a body that is no JSON fails)."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
