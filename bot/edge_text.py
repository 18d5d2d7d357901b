"""Text the databases refuse, replaced where it enters slabot.

PostgreSQL refuses a NUL character in text; neither PostgreSQL nor SQLite (nor UTF-8 itself) can
store a lone surrogate (``"\\ud83d"`` without its pair), which JSON can still carry. A client's
message or a ``/sla start`` title holding one used to be dropped with an error. Every payload a
source sends (Slack requests, webhooks) passes :func:`storable_payload` before anything reads it:
each such character becomes its escape as visible text (``\\u0000``, ``\\ud83d``), so the message
is kept, the original stays readable, and both backends store the same thing.
"""

from __future__ import annotations

import json
import re
from typing import Any

_REFUSED = re.compile("[\x00\ud800-\udfff]")
#: brackets inside each other a JSON body may have (Slack's and the helpdesks' payloads need about 10)
MAX_JSON_DEPTH = 64


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates written as their ``\\uXXXX`` escape."""
    if not _REFUSED.search(text):
        return text
    # a well-formed pair inside a str is already one code point; what matches here is unpaired
    return _REFUSED.sub(_escape, text)


def storable_payload(value: Any) -> tuple[Any, bool]:
    """A decoded JSON value with every string (keys included) made :func:`storable`; and whether
    anything changed. Iterative, so a deeply nested payload cannot exhaust the stack."""
    changed = False

    def fix(text: str) -> str:
        nonlocal changed
        fixed = storable(text)
        if fixed is not text:
            changed = True
        return fixed

    if isinstance(value, str):
        return fix(value), changed
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = fix(item)
        elif isinstance(item, list):
            stack.extend((item, i) for i in range(len(item)))
        elif isinstance(item, dict):
            if any(isinstance(k, str) and _REFUSED.search(k) for k in item):
                renamed = {fix(k) if isinstance(k, str) else k: v for k, v in item.items()}
                item.clear()
                item.update(renamed)
            stack.extend((item, k) for k in item)
    return root[0], changed


def json_depth_ok(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests at most ``limit`` brackets deep (strings skipped), before parsing it
    (the parser recurses per level: 100,000 ``[`` raised RecursionError)."""
    if text.count("[") + text.count("{") <= limit:
        return True
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def decode_json(body: bytes | str) -> Any:
    """A request body as JSON whose strings are all :func:`storable`; ``ValueError`` (with a reason
    written for the sender) when it is not UTF-8, not JSON, or nested too deep."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    if not json_depth_ok(text):
        raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON ({str(exc)[:80]})") from None
    return storable_payload(value)[0]
