"""Every surface asks the one role table (sla.roles): no listener, feature or CLI command decides a
permission with an agent check of its own."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: `services.people.is_agent(...)` or `if not caller.is_agent` in an adapter is a permission of its own
OWN_CHECK = re.compile(r"people\.is_agent\(|if not caller\.is_agent|caller\.user_id not in .*admins")


def test_no_adapter_decides_a_permission_outside_the_role_table() -> None:
    places = [
        *(ROOT / "handlers").rglob("*.py"),
        *(ROOT / "bot" / "features").glob("*.py"),
        ROOT / "bot" / "cli.py",
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in places
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OWN_CHECK.search(line)
    ]
    assert offenders == []


def test_every_action_of_the_table_is_asked_somewhere() -> None:
    from sla.roles import Action

    code = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [*(ROOT / "handlers").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]
    )
    unasked = [a.name for a in Action if f"Action.{a.name}" not in code]
    # help is everyone's; the survey buttons: the survey service checks the asked person itself
    assert unasked == ["HELP", "SURVEY_ANSWER"]
