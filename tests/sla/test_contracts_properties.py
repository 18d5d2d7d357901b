"""Round trips: any valid duration or threshold written in the file reads back as the same value."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.contract_file import hours_form, read_duration, read_percent, read_threshold
from sla.contracts import Threshold, load_contracts_text
from sla.durations import compact_duration
from sla.metrics import Metric

FILE = """\
clients: {{acme: {{channels: [C0SUPPORT1], contract: gold}}}}
contracts:
  gold:
    versions:
      - effective: 2026-01-01
        warn_at: ["{threshold}"]
        targets: {{P1: {{resolution: "{duration}"}}}}
"""

seconds = st.integers(min_value=1, max_value=400 * 86400)
percents = st.decimals(min_value="0.1", max_value="100", places=1).map(float)


@settings(deadline=None, max_examples=60)
@given(seconds)
def test_duration_forms_read_back(total: int) -> None:
    delta = timedelta(seconds=total)
    assert read_duration(compact_duration(delta)) == delta
    assert read_duration(hours_form(delta)) == delta
    assert "d" not in hours_form(delta)


@settings(deadline=None, max_examples=60)
@given(percents)
def test_percent_reads_back(p: float) -> None:
    assert read_percent(f"{p:g}%") == p
    assert read_percent(p) == p


@settings(deadline=None, max_examples=60)
@given(
    st.one_of(
        percents.map(lambda p: Threshold(percent=p)),
        seconds.map(lambda s: Threshold(before=timedelta(seconds=s))),
    )
)
def test_threshold_text_and_key_read_back(t: Threshold) -> None:
    assert Threshold.parse(t.text) == t
    if t.before is not None:
        assert Threshold.parse(f"{t.text} before") == t
        assert t.key == f"{t.text}-before"
    else:
        assert t.key == t.text
    assert read_threshold(t.text) == (t.percent, t.before)


@settings(deadline=None, max_examples=80)
@given(
    st.one_of(
        percents.map(lambda p: Threshold(percent=p)),
        seconds.map(lambda s: Threshold(before=timedelta(seconds=s))),
    ),
    seconds,
)
def test_threshold_fires_strictly_inside_the_target(t: Threshold, target_s: int) -> None:
    target = timedelta(seconds=target_s)
    at = t.elapsed_at(target)
    if at is None:
        expected = (
            round(target_s * t.percent / 100)
            if t.percent is not None
            else target_s - int(t.before.total_seconds())  # type: ignore[union-attr]
        )
        assert expected <= 0 or expected >= target_s
    else:
        assert timedelta(0) < at < target and at.microseconds == 0


@settings(deadline=None, max_examples=25)
@given(
    seconds,
    st.one_of(
        percents.map(lambda p: f"{p:g}%"), seconds.map(lambda s: compact_duration(timedelta(seconds=s)))
    ),
)
def test_values_round_trip_through_a_contract_file(total: int, threshold: str) -> None:
    duration = compact_duration(timedelta(seconds=total))
    book = load_contracts_text(FILE.format(threshold=threshold, duration=duration))
    version = book.contracts["gold"].versions[0]
    target = version.target_for("P1", Metric.RESOLUTION)
    assert target is not None and target.duration == timedelta(seconds=total)
    assert version.warn_at == (Threshold.parse(threshold),)
    again = (
        load_contracts_text(
            "clients: {acme: {channels: [C0SUPPORT1], contract: gold}}\ncontracts:\n  gold:\n    versions:\n"
            + "".join("      " + line + "\n" for line in version.to_yaml().splitlines())
        )
        .contracts["gold"]
        .versions[0]
    )
    assert again.sha256 == version.sha256 and again.warn_at == version.warn_at
