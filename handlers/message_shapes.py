"""Which Slack ``message`` events are a person writing: the intake model of Slack messages.

A pure function of the event (:func:`classify_message`); the listeners in ``handlers.events`` call
it first and act only on :attr:`MessageShape.is_person`. An **allow-list**: only the shapes below
are a person writing; every other subtype — the ones Slack documents today and any it adds
tomorrow — opens nothing and records nothing.

=================================================  ===============  ==============================
shape                                              writer           reason when ignored
=================================================  ===============  ==============================
no subtype, ``thread_broadcast``, ``file_share``,  person           —
``me_message`` (with ``user``, ``ts``, ``channel``)
any message with ``hidden: true``                  —                ``hidden``
``bot_id`` present, or ``bot_message``             bot              ``bot``
``message_changed``                                (the editor)     ``edited``
``message_deleted``                                —                ``deleted``
``message_replied`` (hidden; Slack sometimes       system           ``hidden``
omits its subtype: then ``hidden`` decides)
channel/group notices: ``channel_join``,           system           ``system_notice``
``channel_leave``, ``channel_topic``,
``channel_purpose``, ``channel_name``,
``channel_archive``, ``channel_unarchive``,
``channel_posting_permissions``,
``channel_convert_to_private``,
``channel_convert_to_public``, ``group_join``,
``group_leave``, ``group_topic``,
``group_purpose``, ``group_name``,
``group_archive``, ``group_unarchive``,
``pinned_item``, ``unpinned_item``,
``ekm_access_denied``, ``file_comment``,
``file_mention``, ``reminder_add``,
``document_mention``, ``message_locked``,
``assistant_app_thread``, ``reply_broadcast``
any other subtype                                  unknown          ``unknown_shape`` (warning)
a person shape without ``user``, ``ts`` or         unknown          ``malformed`` (warning)
``channel``
=================================================  ===============  ==============================

Whether the person is the client or an agent is not decided here (that is who they are, not
what the payload is: ``handlers.events`` asks the agent directory).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Writer(StrEnum):
    PERSON = "person"
    BOT = "bot"
    SYSTEM = "system"
    UNKNOWN = "unknown"


#: the subtypes that are a person writing (None: a plain message)
PERSON_SUBTYPES: frozenset[str | None] = frozenset({None, "thread_broadcast", "file_share", "me_message"})

#: notices Slack writes into a conversation (https://docs.slack.dev/reference/events/message#subtypes)
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_posting_permissions",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "ekm_access_denied",
        "file_comment",
        "file_mention",
        "reminder_add",
        "document_mention",  # a bot mentioned in a canvas (delivered as app_mention)
        "message_locked",
        "assistant_app_thread",
        "reply_broadcast",  # no longer served (replaced by thread_broadcast): never a request
    }
)
BOT_SUBTYPES = frozenset({"bot_message"})
EDIT_SUBTYPES = {"message_changed": "edited", "message_deleted": "deleted", "message_replied": "hidden"}

#: every subtype this module knows by name (the rest is ``unknown_shape``)
DOCUMENTED_SUBTYPES = frozenset(
    {s for s in PERSON_SUBTYPES if s} | SYSTEM_SUBTYPES | BOT_SUBTYPES | set(EDIT_SUBTYPES)
)


@dataclass(frozen=True)
class MessageShape:
    """What a ``message`` event is. ``reason`` is set exactly when it is not a person writing."""

    writer: Writer
    subtype: str | None
    reason: str | None = None
    user: str | None = None
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    text: str = ""

    @property
    def is_person(self) -> bool:
        return self.reason is None

    @property
    def is_reply(self) -> bool:
        """Written in a thread (a reply, not the thread's first message)."""
        return bool(self.thread_ts) and self.thread_ts != self.ts


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def classify_message(event: dict[str, Any]) -> MessageShape:
    """Decide from the event alone who wrote it and whether it is a person writing (see the table)."""
    raw_subtype = event.get("subtype")
    subtype = raw_subtype if isinstance(raw_subtype, str) and raw_subtype else None
    if raw_subtype is not None and not isinstance(raw_subtype, str):
        return MessageShape(Writer.UNKNOWN, None, "unknown_shape")
    user = _str(event.get("user"))

    def ignored(writer: Writer, reason: str) -> MessageShape:
        return MessageShape(writer, subtype, reason, user=user, channel=_str(event.get("channel")))

    if event.get("bot_id") or subtype in BOT_SUBTYPES:
        return ignored(Writer.BOT, "bot")
    if subtype in EDIT_SUBTYPES:
        return ignored(
            Writer.SYSTEM if subtype == "message_replied" else Writer.PERSON, EDIT_SUBTYPES[subtype]
        )
    if subtype in SYSTEM_SUBTYPES:
        return ignored(Writer.SYSTEM, "system_notice")
    if event.get("hidden") is True or str(event.get("hidden")).lower() == "true":
        return ignored(Writer.SYSTEM, "hidden")
    if subtype not in PERSON_SUBTYPES:
        return ignored(Writer.UNKNOWN, "unknown_shape")
    channel, ts = _str(event.get("channel")), _str(event.get("ts"))
    if user is None or channel is None or ts is None:
        return ignored(Writer.UNKNOWN, "malformed")
    text = event.get("text")
    return MessageShape(
        Writer.PERSON,
        subtype,
        None,
        user=user,
        channel=channel,
        ts=ts,
        thread_ts=_str(event.get("thread_ts")),
        text=text if isinstance(text, str) else "",
    )
