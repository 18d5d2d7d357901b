"""Block Kit of /sla incident: the uptime figure never reads as met when it is not, and long lists stay
inside Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.services.incidents import ClientUptime, IncidentView, Overview
from handlers.blocks.incidents import (
    credits_message,
    figure_line,
    incident_line,
    incident_notice,
    overview_message,
    uptime_percent,
)
from handlers.blocks.limits import check_blocks
from sla.periods import parse_period
from sla.uptime import Incident, uptime

NOW = datetime(2026, 12, 2, tzinfo=UTC)
NOV = parse_period("2026-11", now=NOW, tz="UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def figure(down_seconds: float, target: float | None = 99.95):
    start = datetime(2026, 11, 3, tzinfo=UTC)
    incidents = [Incident("API", start, start + timedelta(seconds=down_seconds))] if down_seconds else []
    return uptime("API", incidents, [], NOV, NOW, target_percent=target)


def test_a_figure_just_below_target_is_not_printed_as_the_target() -> None:
    # 1,297 s of 2,592,000 → 99.94996… %: two decimals would print 99.95 % (the target), which reads as met
    f = figure(1297)
    assert f.met is False
    assert uptime_percent(f) == "99.94996 %"
    assert figure_line(f) == f"API: {uptime_percent(f)} (target 99.95 %) ❌ missed — down 21m 37s, 1 incident"
    assert uptime_percent(figure(1296)) == "99.95 %" and figure(1296).met is True  # exactly the target


@given(st.integers(min_value=0, max_value=2_592_000), st.sampled_from([99.0, 99.5, 99.9, 99.95, 99.99]))
def test_the_printed_percent_agrees_with_met(down: int, target: float) -> None:
    f = figure(down, target)
    shown = Decimal(uptime_percent(f).removesuffix(" %"))
    assert (shown >= Decimal(repr(target))) == bool(f.met)


def view(n: int, **kw) -> IncidentView:
    base = dict(
        id=n,
        service="Platform support",
        client_key="acme",
        started_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
        ended_at=None,
        reason="<b>DNS</b> & more",
        source="alertmanager",
        planned=False,
        tz=BERLIN,
    )
    return IncidentView(**(base | kw))


def test_incident_lines_in_the_clients_zone() -> None:
    now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert incident_line(view(1), now) == (
        "Platform support (acme) down since Tue 24 Nov 10:00 CET, 1h 30m so far — <b>DNS</b> & more · from Alertmanager"
    )
    planned = view(
        2,
        planned=True,
        source="maintenance",
        ended_at=datetime(2026, 11, 24, 11, tzinfo=UTC),
        client_key=None,
        tz=ZoneInfo("UTC"),
    )
    assert incident_line(planned, now).startswith(
        "Platform support (shared) maintenance Tue 24 Nov 09:00 UTC → Tue 24 Nov 11:00 UTC (2h)"
    )


def test_a_long_overview_stays_inside_slacks_limits_and_escapes_reasons() -> None:
    uptimes = [ClientUptime(f"c{i}", f"Client {i}", NOV, 1, [figure(60 * i)]) for i in range(60)]
    overview = Overview(NOW, [view(i) for i in range(80)], [view(100, planned=True, ended_at=NOW)], uptimes)
    message = overview_message(overview)
    assert check_blocks(message.blocks) == []
    assert "… and 60 more" in str(message.blocks)
    assert "&lt;b&gt;DNS&lt;/b&gt; &amp; more" in str(message.blocks)
    assert message.text.count("down since") == 80 and "Client 59" in message.text  # the text is complete


def test_no_statements() -> None:
    assert credits_message([]).text == "No client has uptime or credit terms in the contract file."


def test_channel_notices_are_escaped_and_inside_the_limits() -> None:
    now = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    for event in ("opened", "resolved", "recorded", "maintenance"):
        message = incident_notice(view(1), event, now)
        assert check_blocks(message.blocks) == []
        assert "&lt;b&gt;DNS" in message.blocks[0]["text"]["text"]
    assert 'resolve "Platform support"` or the alert resolves' in incident_notice(view(1), "opened", now).text
