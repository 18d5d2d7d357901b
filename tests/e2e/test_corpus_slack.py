"""Every Slack ``message`` shape of the real-payload corpus (``tests/payloads/slack``) through the real
app: signed as Slack signs, posted to ``POST /slack/events``, and the clock events that result.

Only a person writing opens or answers a ticket (plain, ``thread_broadcast``, ``file_share`` —
with or without its subtype —, ``me_message``). Every notice, bot post, edit, deletion and hidden
message leaves every clock as it was and is counted in ``slabot_intake_ignored_total`` (the
counter is also how the test knows the listener has run). What the test changes in a file before
sending it is listed in ``tests/payloads/slack/SOURCES.md``.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.clock import ManualClock
from bot.sandbox.emulator import inbound
from handlers.message_shapes import DOCUMENTED_SUBTYPES
from storage.models import Ticket, TicketEventRow
from tests.e2e.slack_harness import SlackApp, running_app
from tests.payloads.corpus import payloads

SECRET = "corpus-signing-secret"
SUPPORT, TEAM = "C0SUPPORT1", inbound.DEFAULT_TEAM_ID
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin
CORPUS = payloads("slack")

# file → (where its parent message is — a ticket is opened there first —, the parent ticket's
# events afterwards / the events of the ticket the file opens, the intake reason when ignored)
OPENS = ("opened",)
NOTHING: tuple[str, ...] = ()
EXPECTED: dict[str, tuple[str | None, tuple[str, ...], str | None]] = {
    # a person writing, at the top of the channel: a ticket opens
    "docs_message.json": (None, OPENS, None),
    "docs_message_channels.json": (None, OPENS, None),
    "docs_me_message.json": (None, OPENS, None),
    "docs_file_share.json": (None, OPENS, None),
    "bolt_python_user_message.json": (None, OPENS, None),
    "bolt_python_file_share.json": (None, OPENS, None),
    # a person writing in a ticket's thread: the client's message is recorded
    "docs_thread_broadcast.json": ("thread_ts", ("opened", "client_message"), None),
    "bolt_python_thread_broadcast.json": ("thread_ts", ("opened", "client_message"), None),
    # edits, deletions, reply notices of a ticket's own message: the ticket's clocks stay as they were
    "docs_message_changed.json": ("message.ts", OPENS, "edited"),
    "bolt_python_message_changed.json": ("previous_message.ts", OPENS, "edited"),
    "docs_assistant_app_thread.json": ("message.ts", OPENS, "edited"),
    "docs_message_deleted.json": ("deleted_ts", OPENS, "deleted"),
    "bolt_python_message_deleted.json": ("deleted_ts", OPENS, "deleted"),
    "docs_message_replied.json": ("message.ts", OPENS, "hidden"),
    "docs_message_replied_without_subtype.json": ("message.ts", OPENS, "hidden"),
    # bots
    "docs_bot_message.json": (None, NOTHING, "bot"),
    "bolt_python_bot_message_bot_id.json": (None, NOTHING, "bot"),
    "bolt_python_classic_bot_message.json": (None, NOTHING, "bot"),
    # notices Slack writes: nothing opens
    **{
        f"docs_{subtype}.json": (None, NOTHING, "system_notice")
        for subtype in (
            "channel_archive",
            "channel_convert_to_private",
            "channel_convert_to_public",
            "channel_join",
            "channel_leave",
            "channel_name",
            "channel_posting_permissions",
            "channel_purpose",
            "channel_topic",
            "channel_unarchive",
            "document_mention",
            "ekm_access_denied",
            "file_comment",
            "file_mention",
            "group_archive",
            "group_join",
            "group_leave",
            "group_name",
            "group_purpose",
            "group_topic",
            "group_unarchive",
            "pinned_item",
            "reminder_add",
            "unpinned_item",
        )
    },
}

TS_KEYS = frozenset({"ts", "thread_ts", "event_ts", "deleted_ts", "latest_reply"})
_case = itertools.count()


def _ts_values(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TS_KEYS and isinstance(value, str):
                out.add(value)
            else:
                _ts_values(value, out)
    elif isinstance(node, list):
        for item in node:
            _ts_values(item, out)


def _replace_ts(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: (mapping[v] if k in TS_KEYS and isinstance(v, str) else _replace_ts(v, mapping))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_replace_ts(item, mapping) for item in node]
    return node


def _at(event: dict[str, Any], path: str) -> str:
    node: Any = event
    for part in path.split("."):
        node = node[part]
    return str(node)


class Corpus(SlackApp):
    WAIT_SECONDS = 15.0  # listeners run after the ack; a loaded machine can take a while

    def delivery(self, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The payload as the test sends it (see SOURCES.md) and its ts mapping."""
        body = copy.deepcopy(payload)
        case = next(_case)
        values: set[str] = set()
        _ts_values(body["event"], values)
        base = int((START - timedelta(hours=3)).timestamp()) + case * 120
        mapping = {v: f"{base + rank}.{rank + 1:06d}" for rank, v in enumerate(sorted(values, key=float))}
        body["event"] = _replace_ts(body["event"], mapping)
        body["event"]["channel"] = SUPPORT
        body["team_id"] = TEAM
        body["event_id"] = f"EvCorpus{case:06d}"
        for authorization in body.get("authorizations") or []:
            authorization["team_id"] = TEAM
        return body, mapping

    def send(self, body: dict[str, Any]) -> None:
        status, text = self.post((json.dumps(body), inbound.JSON))
        assert status == 200, text

    def events(self, thread_ts: str) -> tuple[str, ...] | None:
        with self.runtime.services.uow.begin(read_only=True) as tx:
            ticket = tx.session.scalar(
                select(Ticket).where(Ticket.channel_id == SUPPORT, Ticket.thread_ts == thread_ts)
            )
            if ticket is None:
                return None
            kinds = tx.session.scalars(
                select(TicketEventRow.kind)
                .where(TicketEventRow.ticket_id == ticket.id)
                .order_by(TicketEventRow.seq)
            )
            return tuple(kinds)

    def ignored(self, reason: str) -> int:
        return self.runtime.services.intake.count("slack", reason)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    clock = ManualClock(START)
    with running_app(
        tmp_path_factory.mktemp("corpus"),
        clock=clock,
        secret=SECRET,
        users=("U0AGENT001", "U0AGENT002"),
        channels={SUPPORT: ("acme-support", ["U0AGENT001"])},
        SLABOT_HOME_REFRESH_SECONDS=0,
        SLABOT_METRICS_TOKEN="corpus-scraper",
    ) as (runtime, slack, url):
        yield Corpus(runtime, slack, url, clock, SECRET)


def test_every_corpus_file_has_an_expectation_and_every_documented_subtype_a_file() -> None:
    assert set(EXPECTED) == set(CORPUS)
    covered = {CORPUS[f].json()["event"].get("subtype") for f in CORPUS} | {
        CORPUS[f].json()["event"].get("message", {}).get("subtype") for f in CORPUS
    }
    # Slack's subtype table (docs.slack.dev/reference/events/message) minus the two with no public example
    assert DOCUMENTED_SUBTYPES - covered == {"reply_broadcast", "message_locked"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_payload_through_the_app(corpus: Corpus, name: str) -> None:
    parent_path, expected, reason = EXPECTED[name]
    body, mapping = corpus.delivery(CORPUS[name].json())
    event = body["event"]
    parent_ts = _at(event, parent_path) if parent_path else None
    if parent_ts is not None:  # the ticket the payload refers to, opened by a plain message first
        opener, _ = corpus.delivery(CORPUS["docs_message.json"].json())
        opener["event"].update(ts=parent_ts, event_ts=parent_ts)
        corpus.send(opener)
        corpus.wait_for(lambda: corpus.events(parent_ts) == OPENS)
    before = corpus.ignored(reason) if reason else 0

    corpus.send(body)

    thread = parent_ts or event["ts"]
    if reason is None:
        corpus.wait_for(lambda: corpus.events(thread) == expected)
    else:
        corpus.wait_for(lambda: corpus.ignored(reason) == before + 1)
        assert corpus.events(thread) == (expected or None)
        for ts in mapping.values():  # nothing opened anywhere for any of its instants
            if ts != parent_ts:
                assert corpus.events(ts) is None


def test_ignored_shapes_are_counted_in_metrics(corpus: Corpus) -> None:
    body, _ = corpus.delivery(CORPUS["docs_pinned_item.json"].json())
    before = corpus.ignored("system_notice")
    corpus.send(body)
    corpus.wait_for(lambda: corpus.ignored("system_notice") == before + 1)
    scrape = urllib.request.Request(
        corpus.url + "/metrics", headers={"Authorization": "Bearer corpus-scraper"}
    )
    with urllib.request.urlopen(scrape) as response:
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    key = ("slabot_intake_ignored_total", (("reason", "system_notice"), ("source", "slack")))
    assert samples[key] == before + 1


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_an_undocumented_subtype_is_ignored_and_logged(corpus: Corpus) -> None:
    body, _ = corpus.delivery(CORPUS["docs_message.json"].json())
    body["event"]["subtype"] = "huddle_thread"  # a subtype Slack does not document on the message page
    before = corpus.ignored("unknown_shape")
    records = _Records()
    logger = logging.getLogger("slabot.intake")  # its own handler: the root's may be another test's
    logger.addHandler(records)
    try:
        corpus.send(body)
        corpus.wait_for(lambda: corpus.ignored("unknown_shape") == before + 1, timeout=20)
    finally:
        logger.removeHandler(records)
    assert corpus.events(body["event"]["ts"]) is None
    assert any("huddle_thread" in m and "unknown_shape" in m for m in records.messages), records.messages
