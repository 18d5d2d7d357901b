"""Slack's Block Kit limits, checked in one place, and the text rules that keep us inside them.

``check_blocks`` returns a list of human-readable problems (empty when the blocks are fine);
builders' tests run every output through it. ``truncate_text`` cuts text without breaking a
Slack entity (``<@U1>``, ``<url|label>``, ``&amp;``).

Text safety (DESIGN.md: no user text becomes a live mention or link):

- :func:`escape` is **the** escaping function: every string that did not come from slabot itself
  (titles, reasons, comments, names, service names, errors quoting what someone typed) goes through
  it before it lands in any field slabot writes to Slack — blocks, the fallback ``text``, App Home,
  modals, DMs, file titles and comments. Only slabot's own mentions (``mention(user_id)``) and links
  are written unescaped.
- :func:`unformat` turns the text of a Slack message as Slack sends it (``<@U1|ana>``,
  ``<!channel>``, ``<https://x|label>``, ``&lt;``) into what a person reads (``@ana``, ``@channel``,
  ``label (https://x)``, ``<``): intake stores that plain text, so stored text never carries a live
  entity, and the terminal prints answers with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[str, int] = {"message": 50, "modal": 100, "home": 100}
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
ID_MAX = 255
PLACEHOLDER_MAX = 150
LABEL_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
MODAL_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
MESSAGE_TEXT_MAX = 40000

_BLOCK_TYPES = {
    "section",
    "header",
    "context",
    "divider",
    "actions",
    "input",
    "image",
    "rich_text",
    "file",
    "video",
}
_INTERACTIVE = {
    "button",
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_users_select",
    "overflow",
    "datepicker",
    "timepicker",
    "checkboxes",
    "radio_buttons",
    "plain_text_input",
}

# Slack entities allowed (unescaped) in mrkdwn: mentions, channels, user groups, specials, dates, links.
_ENTITY = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^[A-Z0-9]+|!here|!channel|!everyone|!date\^[^<>|]*"
    r"|(?:https?|mailto|slack|tel):[^<>|\s]+)(?:\|[^<>]*)?>"
)
_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def escape(text: str) -> str:
    """Escape user-supplied text for any Slack text field: ``&`` → ``&amp;``, ``<`` → ``&lt;``,
    ``>`` → ``&gt;``. Slack decodes exactly these three for display, so the text reads as typed and
    no ``<!channel>``, ``<@U…>``, ``<#C…>``, ``<!subteam^…>`` or ``<url|label>`` in it is live."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_WIRE_ENTITY = re.compile(r"<([^<>\n]*)>")


def _readable(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target[:1] in ("@", "#"):
        return target[0] + (label.lstrip(target[0]) or target[1:])
    if target.startswith("!subteam^"):
        return "@" + (label.lstrip("@") or target[len("!subteam^") :])
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + (label.lstrip("@") or target[1:].split("^", 1)[0])
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    if label and label not in target:
        return f"{label} ({target})"
    return target


def unformat(text: str) -> str:
    """The plain text a person reads in a Slack message's wire text (mentions, links and Slack's
    ``&amp;``/``&lt;``/``&gt;`` resolved): ``"<!channel> see <https://x.io|docs> &lt;3"`` →
    ``"@channel see docs (https://x.io) <3"``. The result carries no live entity once escaped."""
    if "<" not in text and "&" not in text:
        return text
    return _WIRE_ENTITY.sub(_readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate_text(text: str, limit: int, *, suffix: str = "…") -> str:
    """``text`` if it fits in ``limit`` characters, else cut to fit with ``suffix``, never inside an entity."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit <= len(suffix):
        return suffix[:limit]
    cut = text[: limit - len(suffix)]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:  # inside <...>
        cut = cut[:lt]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp <= 5:  # inside &amp; &lt; &gt;
        cut = cut[:amp]
    if cut and 0xD800 <= ord(cut[-1]) <= 0xDBFF:
        cut = cut[:-1]
    return cut + suffix


def mrkdwn_problem(text: str) -> str | None:
    """Why ``text`` is not safe mrkdwn (an unescaped ``&``, ``<`` or ``>``), or None."""
    rest = _ENTITY.sub("", text)
    if "<" in rest or ">" in rest:
        return "unescaped '<' or '>' (escape user text with limits.escape)"
    if _AMP.search(rest):
        return "unescaped '&' (escape user text with limits.escape)"
    return None


def check_blocks(blocks: Sequence[Mapping[str, Any]], surface: Surface = "message") -> list[str]:
    """Every way ``blocks`` break Slack's limits for ``surface``; empty when they are fine."""
    problems: list[str] = []
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks; a {surface} allows {limit}")
    seen_block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(block, Mapping):
            problems.append(f"{where}: not an object")
            continue
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            problems.append(f"{where}: unknown block type {kind!r}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            _check_len(problems, f"{where}.block_id", block_id, ID_MAX)
            if block_id in seen_block_ids:
                problems.append(f"{where}.block_id: {block_id!r} used twice")
            seen_block_ids.add(block_id)
        action_ids: list[str] = []
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                _check_text(problems, f"{where}.text", block["text"], SECTION_TEXT_MAX)
            fields = block.get("fields", [])
            if len(fields) > SECTION_FIELDS_MAX:
                problems.append(f"{where}.fields: {len(fields)} fields; Slack allows {SECTION_FIELDS_MAX}")
            for j, f in enumerate(fields):
                _check_text(problems, f"{where}.fields[{j}]", f, FIELD_TEXT_MAX)
            if "accessory" in block:
                _check_element(problems, f"{where}.accessory", block["accessory"], action_ids)
        elif kind == "header":
            _check_text(problems, f"{where}.text", block.get("text"), HEADER_TEXT_MAX, plain_only=True)
        elif kind == "context":
            elements = _elements(problems, where, block, CONTEXT_ELEMENTS_MAX, "a context")
            for j, e in enumerate(elements):
                if isinstance(e, Mapping) and e.get("type") in ("mrkdwn", "plain_text"):
                    _check_text(problems, f"{where}.elements[{j}]", e, CONTEXT_TEXT_MAX)
        elif kind == "actions":
            elements = _elements(problems, where, block, ACTIONS_ELEMENTS_MAX, "an actions block")
            for j, e in enumerate(elements):
                _check_element(problems, f"{where}.elements[{j}]", e, action_ids)
        elif kind == "input":
            if surface == "message":
                problems.append(f"{where}: input blocks belong in modals")
            _check_text(problems, f"{where}.label", block.get("label"), LABEL_MAX, plain_only=True)
            if "hint" in block:
                _check_text(problems, f"{where}.hint", block["hint"], LABEL_MAX, plain_only=True)
            _check_element(problems, f"{where}.element", block.get("element"), action_ids)
        dupes = {a for a in action_ids if action_ids.count(a) > 1}
        for a in sorted(dupes):
            problems.append(f"{where}: action_id {a!r} used twice in one block")
    return problems


def check_view(view: Mapping[str, Any]) -> list[str]:
    """A modal or Home tab view: its blocks plus title, buttons, callback_id and private_metadata."""
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view: unknown type {kind!r}"]
    problems = check_blocks(view.get("blocks", []), surface=kind)
    if kind == "modal":
        _check_text(problems, "view.title", view.get("title"), MODAL_TITLE_MAX, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _check_text(problems, f"view.{key}", view[key], MODAL_TITLE_MAX, plain_only=True)
        if any(b.get("type") == "input" for b in view.get("blocks", [])) and "submit" not in view:
            problems.append("view: a modal with inputs needs a submit button")
    if "callback_id" in view:
        _check_len(problems, "view.callback_id", view["callback_id"], ID_MAX)
    if "private_metadata" in view:
        _check_len(problems, "view.private_metadata", view["private_metadata"], PRIVATE_METADATA_MAX)
    return problems


def check_message(text: str, blocks: Sequence[Mapping[str, Any]]) -> list[str]:
    """A message: its fallback ``text`` (required with blocks, ≤ 40,000 characters) and its blocks."""
    problems = check_blocks(blocks, surface="message")
    if not text.strip():
        problems.append("text: a message with blocks needs fallback text for notifications")
    if len(text) > MESSAGE_TEXT_MAX:
        problems.append(f"text: {len(text)} characters; Slack allows {MESSAGE_TEXT_MAX}")
    return problems


def _check_len(problems: list[str], where: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        problems.append(f"{where}: not a string")
    elif len(value) > limit:
        problems.append(f"{where}: {len(value)} characters; Slack allows {limit}")


def _elements(problems: list[str], where: str, block: Mapping[str, Any], most: int, what: str) -> Any:
    """The block's ``elements``, noting a problem unless there are 1 to ``most`` of them."""
    elements = block.get("elements", [])
    if not 1 <= len(elements) <= most:
        problems.append(f"{where}.elements: {len(elements)}; {what} takes 1 to {most}")
    return elements


def _check_text(
    problems: list[str],
    where: str,
    obj: object,
    limit: int,
    *,
    plain_only: bool = False,
    required: bool = True,
) -> None:
    if obj is None and not required:
        return
    if not isinstance(obj, Mapping) or obj.get("type") not in ("plain_text", "mrkdwn"):
        problems.append(f"{where}: not a text object")
        return
    if plain_only and obj["type"] != "plain_text":
        problems.append(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: empty text")
        return
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters; Slack allows {limit}")
    if obj["type"] == "mrkdwn" and (why := mrkdwn_problem(text)):
        problems.append(f"{where}: {why}")


def _check_element(problems: list[str], where: str, element: object, action_ids: list[str]) -> None:
    if not isinstance(element, Mapping):
        problems.append(f"{where}: not an element")
        return
    kind = element.get("type")
    if kind == "image":
        return
    if kind not in _INTERACTIVE:
        problems.append(f"{where}: unknown element type {kind!r}")
        return
    if "action_id" in element:
        _check_len(problems, f"{where}.action_id", element["action_id"], ID_MAX)
        action_ids.append(str(element["action_id"]))
    if "placeholder" in element:
        _check_text(
            problems, f"{where}.placeholder", element["placeholder"], PLACEHOLDER_MAX, plain_only=True
        )
    if kind == "button":
        _check_text(problems, f"{where}.text", element.get("text"), BUTTON_TEXT_MAX, plain_only=True)
        if "value" in element:
            _check_len(problems, f"{where}.value", element["value"], BUTTON_VALUE_MAX)
        if "url" in element:
            _check_len(problems, f"{where}.url", element["url"], URL_MAX)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}.style: {element.get('style')!r} is not primary or danger")
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    if len(options) > OPTIONS_MAX:
        problems.append(f"{where}.options: {len(options)}; Slack allows {OPTIONS_MAX}")
    if kind == "overflow" and not 2 <= len(options) <= 5:
        problems.append(f"{where}.options: an overflow menu takes 2 to 5 options")
    for j, option in enumerate(options):
        _check_text(problems, f"{where}.options[{j}].text", option.get("text"), OPTION_TEXT_MAX)
        _check_len(problems, f"{where}.options[{j}].value", option.get("value"), OPTION_VALUE_MAX)
