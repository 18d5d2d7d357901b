"""`slabot contracts check` lists every error in one pass — fixing the listed ones reveals no new ones —
and no value in a contract file crashes the loader (`effective: 2026-13-01` raised a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.contracts import ContractFileError, format_check_report, load_contracts_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "contracts.yaml").read_text(encoding="utf-8")

#: one file with an error of every stage the loader used to report one after the other
STAGED = """\
calendars:
  office:
    timezone: Mars/Olympus
    hours: {mon-fri: "09:00-25:00"}
    colour: blue
clients:
  acme:
    contract: goldd
    timezone: Nowhere/Land
    channels: [C0SUPPORT1]
  globex:
    contract: gold
    channels: [C0SUPPORT1]
    monthly_fee: 100
contracts:
  gold:
    nmae: Gold
    versions:
      - effective: 2026-01-01
        calendar: us-suport
        warn_at: [abc]
        default_priority: P9
        targets:
          P1: {first_response: 15m}
          P2: nonsense
  silver:
    versions:
      - effective: 2026-13-01
        targets:
          P1: {first_response: 1h}
"""


def errors_of(text: str) -> list[str]:
    try:
        load_contracts_text(text, filename="c.yaml")
    except ContractFileError as exc:
        return [f"{e.line}:{e.path}" for e in exc.errors]
    return []


def test_every_stage_is_reported_in_one_pass() -> None:
    assert errors_of(STAGED) == [
        "3:calendars.office.timezone",  # a calendar's problems all at once, not the first one only
        "4:calendars.office.hours.mon-fri",
        "5:calendars.office.colour",
        "8:clients.acme.contract",  # a reference is checked although the client has a bad value too
        "9:clients.acme.timezone",
        "11:clients.globex",
        "13:clients.globex.channels[0]",  # the duplicate channel of a client whose fee lacks a currency
        "17:contracts.gold.nmae",  # a bad contract key no longer hides its versions
        "20:contracts.gold.versions[0].calendar",  # references of a version with field errors
        "21:contracts.gold.versions[0].warn_at[0]",
        "22:contracts.gold.versions[0].default_priority",
        "25:contracts.gold.versions[0].targets.P2",
        "28:contracts.silver.versions[0].effective",
    ]


def test_fixing_the_listed_errors_reveals_no_new_ones() -> None:
    fixed = (
        STAGED.replace("Mars/Olympus", "Europe/Berlin")
        .replace("25:00", "17:00")
        .replace("    colour: blue\n", "")
        .replace("goldd", "gold")
        .replace("Nowhere/Land", "Europe/Paris")
        .replace("    channels: [C0SUPPORT1]\n    monthly_fee: 100\n", "    channels: [C0SUPPORT2]\n")
        .replace("nmae", "name")
        .replace("us-suport", "office")
        .replace("[abc]", "[75%]")
        .replace("P9", "P2")
        .replace("P2: nonsense", "P2: {first_response: 4h}")
        .replace("2026-13-01", "2026-12-01")
    )
    assert errors_of(fixed) == []


def test_an_impossible_date_is_an_error_on_its_line_not_a_crash(tmp_path: Path) -> None:
    for bad in ("2026-13-01", "2026-02-30", "2026-00-10"):
        text = EXAMPLE.replace("effective: 2026-01-01", f"effective: {bad}", 1)
        assert text != EXAMPLE
        line = text.splitlines().index(next(x for x in text.splitlines() if bad in x)) + 1
        path = tmp_path / "c.yaml"
        path.write_text(text, encoding="utf-8")
        code, report = format_check_report(path)
        assert code == 1
        assert f"c.yaml:{line}: contracts.gold.versions[0].effective: expected a date" in report
        assert bad in report and "Traceback" not in report


# ----------------------------------------------------------------- no value crashes it

#: values as they would be typed into the file (raw YAML), the tricky ones first
RAW_VALUES = [
    "2026-13-01",
    "2026-02-30T25:61:00+01:00",
    "2026-01-01T09:00:00",
    "!!int x",
    "!!float x",
    "!!binary '%%%'",
    "!!timestamp nope",
    ".inf",
    "-.nan",
    "1e999",
    "0x1F",
    "99999999999999999999999999",
    "-1",
    "0",
    "~",
    "''",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "{a: {b: c}}",
    "yes",
    "'15'",
    "15m",
    "95%",
    "'#general'",
    "Europe/Nowhere",
    "'\\u0000'",
    "'∞'",
]


def _key_paths(node: object, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_key_paths(value, (*path, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_key_paths(value, (*path, i)))
    return out


DOC = yaml.safe_load(EXAMPLE)
PATHS = _key_paths(DOC)


def _replaced(path: tuple, raw: str) -> str:
    """The example with the value at ``path`` replaced by the raw YAML text ``raw``."""
    marker = "__SLABOT_FUZZ__"
    doc = yaml.safe_load(EXAMPLE)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = marker
    return (
        yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        .replace(f"'{marker}'", raw)
        .replace(marker, raw)
    )


def _loads_or_reports(text: str) -> None:
    try:
        load_contracts_text(text, filename="fuzz.yaml")
    except ContractFileError as exc:
        assert exc.errors and all(e.message for e in exc.errors)


SMALL = """\
clients:
  acme: {contract: gold, channels: [C0SUPPORT1]}
contracts:
  gold:
    versions:
      - effective: __VALUE__
        warn_at: [75%]
        targets:
          P1: {first_response: 15m}
"""


def test_every_tricky_value_as_an_effective_date_is_reported_not_raised() -> None:
    for raw in RAW_VALUES:
        _loads_or_reports(SMALL.replace("__VALUE__", raw))
        _loads_or_reports(
            SMALL.replace("effective: __VALUE__", f"effective: 2026-01-01\n        calendar: {raw}")
        )
        _loads_or_reports(SMALL.replace("15m", raw).replace("__VALUE__", "2026-01-01"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(RAW_VALUES)), min_size=1, max_size=3),
)
def test_no_value_anywhere_crashes_the_check(edits: list[tuple[tuple, str]]) -> None:
    text = EXAMPLE
    for path, raw in edits:
        try:
            text = _replaced(path, raw)
        except (KeyError, IndexError, TypeError):  # an earlier edit removed that path
            continue
    _loads_or_reports(text)


def test_a_pause_on_list_of_non_statuses_is_reported_not_raised() -> None:
    """Found by the fuzz test above: ``pause_on: [[]]`` raised TypeError (unhashable list)."""
    for raw in ("[[]]", "[{}]", "[1]", "[null]"):
        text = SMALL.replace("__VALUE__", "2026-01-01").replace(
            "        warn_at: [75%]", f"        warn_at: [75%]\n        pause_on: {raw}"
        )
        with pytest.raises(ContractFileError) as caught:
            load_contracts_text(text, filename="fuzz.yaml")
        assert any("pause_on" in str(e.path) for e in caught.value.errors), caught.value.errors
