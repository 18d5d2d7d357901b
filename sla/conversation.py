"""What a person's message in a support conversation means: the helpdesk rules of a contract.

Pure: the Slack adapter (``handlers.events``) works out *who* wrote (an agent, other staff, or
the client) and *where* (a new top-level message, or the thread of a ticket in some state), and
asks :func:`top_level` or :func:`in_thread` what to do. Nothing here reads a clock or Slack.

The rules (``conversation:`` of a contract, docs/contracts.md#conversation), with their defaults:

- ``resume_on_client_reply`` (on): a client's message in the thread of a ticket that waits on the
  client (status ``waiting_on_client``) sets it back to ``open`` and then counts as the client's
  message, so ``next_response`` starts at once (Zendesk's "pending → open on requester reply").
- ``reopen_within`` (7 days): a client's message in the thread of a resolved ticket reopens it
  when it was resolved at most that long ago; later (or when the ticket is closed or was dismissed)
  it opens a **new** ticket in the same thread that links the old one.
- ``intake``: only the client opens tickets from a top-level message — never an agent, other
  staff (leads, managers, admins, the users and user groups listed in ``intake.internal``) or a
  bot (``handlers.message_shapes``). And an **acknowledgement** is not a request: ``thanks!``,
  ``ok 👍``, a message of emoji or punctuation only, or one with fewer than ``intake.min_chars``
  letters and digits opens nothing, reopens nothing, resumes nothing and starts no
  ``next_response`` (``intake.acknowledgements: false`` switches the classifier off).

============================  ===========================  =====================================
where                         writer                       what happens
============================  ===========================  =====================================
top level                     client, a request            ``open``
top level                     client, an acknowledgement   ``ignore`` (``acknowledgement``)
top level                     agent / staff                ``ignore`` (``staff``)
open ticket's thread          agent                        ``record`` (a response)
open ticket's thread          client, a request            ``record`` (starts next_response)
waiting on client             client, a request            ``resume`` then ``record``
any ticket's thread           client, an acknowledgement   ``ignore`` (``acknowledgement``)
resolved, within the window   client, a request            ``reopen`` then ``record``
resolved later, closed,       client, a request            ``successor`` (a new ticket linking
dismissed                                                  the old one)
resolved/closed/dismissed     agent                        ``ignore`` (``ticket_done``)
any ticket's thread           staff who is not an agent    ``ignore`` (``staff``)
============================  ===========================  =====================================
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: statuses in which the ticket waits on the client (a client's reply resumes it)
WAITING_ON_CLIENT = "waiting_on_client"
#: ticket statuses after which the thread's ticket is finished
DONE_STATUSES = frozenset({"resolved", "closed", "dismissed"})

DEFAULT_REOPEN_WITHIN = timedelta(days=7)
DEFAULT_MIN_CHARS = 4


@dataclass(frozen=True)
class IntakeRules:
    """Who opens a ticket from a top-level message, and what is not a request."""

    acknowledgements: bool = True
    min_chars: int = DEFAULT_MIN_CHARS
    internal_users: frozenset[str] = frozenset()
    internal_usergroups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConversationRules:
    """A contract's ``conversation:`` section (the defaults when it has none)."""

    resume_on_client_reply: bool = True
    reopen_within: timedelta = DEFAULT_REOPEN_WITHIN
    intake: IntakeRules = field(default_factory=IntakeRules)


class Writer(StrEnum):
    """Who wrote a message, as the conversation rules see it."""

    CLIENT = "client"
    AGENT = "agent"
    #: our side but not an agent: leads, managers, admins, internal users and groups
    STAFF = "staff"


class Action(StrEnum):
    OPEN = "open"
    RECORD = "record"
    RESUME = "resume"
    REOPEN = "reopen"
    SUCCESSOR = "successor"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Decision:
    action: Action
    #: why nothing happens (``ignore`` only): acknowledgement, staff, ticket_done
    reason: str | None = None

    @property
    def changes_something(self) -> bool:
        return self.action is not Action.IGNORE


# ---- the acknowledgement classifier ---------------------------------------------------------------

#: words that acknowledge (never "not", "no", "but", "again", "still", ...)
ACK_WORDS = frozenset(
    [
        "thanks",
        "thank",
        "thankyou",
        "thx",
        "thnx",
        "thanx",
        "tks",
        "ty",
        "tyvm",
        "tysm",
        "cheers",
        "ta",
        "merci",
        "danke",
        "gracias",
        "grazie",
        "ok",
        "okay",
        "okey",
        "oki",
        "okie",
        "k",
        "kk",
        "alright",
        "allright",
        "fine",
        "great",
        "cool",
        "perfect",
        "awesome",
        "nice",
        "excellent",
        "brilliant",
        "wonderful",
        "fantastic",
        "super",
        "splendid",
        "lovely",
        "amazing",
        "top",
        "neat",
        "sweet",
        "got",
        "noted",
        "understood",
        "roger",
        "ack",
        "acknowledged",
        "sure",
        "yes",
        "yep",
        "yeah",
        "yup",
        "sounds",
        "good",
        "works",
        "worked",
        "appreciated",
        "appreciate",
        "np",
        "lgtm",
    ]
)
#: words that may go with them ("thank you so much for your help") but acknowledge nothing alone
FILLER_WORDS = frozenset(
    [
        "you",
        "u",
        "so",
        "very",
        "much",
        "lots",
        "lot",
        "a",
        "all",
        "for",
        "the",
        "your",
        "help",
        "it",
        "that",
        "now",
        "this",
        "is",
    ]
)

#: ``:thumbsup:``-style emoji codes (Slack writes reactions and many emoji this way)
_SHORTCODE = re.compile(r":[a-z0-9_+\-']+:")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: more words than this is never a mere acknowledgement
_ACK_MAX_WORDS = 8


def _without_emoji(text: str) -> str:
    text = _SHORTCODE.sub(" ", text)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        # So: emoji and symbols; Sk: skin-tone modifiers; Mn: variation selectors; Cf: ZWJ
        if category in ("So", "Sk", "Cs") or ch in "\u200d\ufe0f\ufe0e\u20e3":
            kept.append(" ")
        else:
            kept.append(ch)
    return "".join(kept)


def not_a_request(text: str, rules: IntakeRules = IntakeRules()) -> str | None:
    """Why ``text`` is not a request (``"acknowledgement"``), or None when it is one.

    Always None when the contract switched the classifier off. A question (``?``) with words in
    it is always a request; so is anything longer than a few words, and words such as "help"
    alone."""
    if not rules.acknowledgements:
        return None
    plain = _without_emoji(text)
    words = [w.lower() for w in _WORD.findall(plain)]
    letters = sum(len(w) for w in words)
    if not words:
        return "acknowledgement"  # emoji, punctuation or nothing at all
    if "?" in plain:
        return None  # a question
    if letters < rules.min_chars:
        return "acknowledgement"
    if len(words) > _ACK_MAX_WORDS:
        return None
    if all(w in ACK_WORDS or w in FILLER_WORDS for w in words) and any(w in ACK_WORDS for w in words):
        return "acknowledgement"
    return None


# ---- decisions ------------------------------------------------------------------------------------


def top_level(rules: ConversationRules, *, writer: Writer, text: str) -> Decision:
    """A new top-level message in a client's channel."""
    if writer is not Writer.CLIENT:
        return Decision(Action.IGNORE, "staff")
    reason = not_a_request(text, rules.intake)
    if reason:
        return Decision(Action.IGNORE, reason)
    return Decision(Action.OPEN)


def in_thread(
    rules: ConversationRules,
    *,
    writer: Writer,
    text: str,
    status: str,
    resolved_at: datetime | None,
    now: datetime,
) -> Decision:
    """A message in the thread of a ticket whose status is ``status`` (``resolved``, ``closed``,
    ``dismissed`` or a status of an open ticket), resolved at ``resolved_at``."""
    done = status in DONE_STATUSES
    if writer is Writer.STAFF:
        return Decision(Action.IGNORE, "staff")
    if writer is Writer.AGENT:
        return Decision(Action.IGNORE, "ticket_done") if done else Decision(Action.RECORD)
    reason = not_a_request(text, rules.intake)
    if reason:
        return Decision(Action.IGNORE, reason)
    if not done:
        if status == WAITING_ON_CLIENT and rules.resume_on_client_reply:
            return Decision(Action.RESUME)
        return Decision(Action.RECORD)
    if status == "resolved" and resolved_at is not None and now - resolved_at <= rules.reopen_within:
        return Decision(Action.REOPEN)
    return Decision(Action.SUCCESSOR)
