"""``slabot import``'s row ids are a contract across versions: a file imported by an older slabot and
imported again by a newer one must get the same ids (the stored events are the checkpoint), so the
id of a row stays the SHA-256 of its cells, its instant written by ``datetime.isoformat``."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta, timezone

from bot.sources.importer import RowIds, _isoformat
from sla.metrics import EventKind
from sla.timers import TicketEvent

OPENED = TicketEvent(
    ticket_id="INC-1",
    at=datetime(2010, 3, 31, 14, 59, 42, tzinfo=UTC),
    kind=EventKind.OPENED,
    priority="P3",
    client="volvo-24x7",
)
MESSAGE = TicketEvent(
    ticket_id="INC-1",
    at=datetime(2010, 3, 31, 15, 0, 0, 250, tzinfo=UTC),
    kind=EventKind.AGENT_MESSAGE,
    actor="U1",
    note="hi",
)


def test_row_ids_are_the_ones_earlier_versions_gave() -> None:
    ids = RowIds()
    assert [ids(OPENED), ids(MESSAGE), ids(OPENED)] == [
        "ec62b6189e70f691bedb8fba3570e0f7",
        "c93da9a395323689dc3e12de865fb1a2",
        "ec62b6189e70f691bedb8fba3570e0f7-1",
    ]


def test_a_row_id_hashes_the_isoformat_of_its_instant() -> None:
    rng = random.Random(16)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    instants = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)] + [
        start
        + timedelta(seconds=rng.randrange(3 * 10**9), microseconds=rng.choice((0, rng.randrange(10**6))))
        for _ in range(3_000)
    ]
    for at in instants:
        assert _isoformat(at) == at.isoformat()
    ids = RowIds()
    for at in (*instants[:20], instants[5].astimezone(timezone(timedelta(hours=-3)))):
        event = TicketEvent(ticket_id="T9", at=at, kind=EventKind.CLIENT_MESSAGE)
        cells = ("T9", event.at.isoformat(), "client_message", "", "", "", "", "")
        expected = hashlib.sha256("\x1f".join(cells).encode("utf-8")).digest()[:16].hex()
        assert ids(event).split("-")[0] == expected
