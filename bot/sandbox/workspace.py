"""The example workspace: the people, user groups and channels that ``examples/contracts.yaml`` names.

The demo plays its day in it, and ``python -m bot.emulator`` starts with it, so that ``slabot run``
against the emulator with the example contract file finds every user and channel it looks up.
"""

from __future__ import annotations

from typing import Any

#: the demo's workspace: user id → (display name, real name). Ids are those of examples/contracts.yaml.
PEOPLE: dict[str, tuple[str, str]] = {
    "U0AGENT001": ("Ana", "Ana Ortiz (support)"),
    "U0AGENT002": ("Ben", "Ben Okafor (support)"),
    "U0AGENT003": ("Chloé", "Chloé Martin (support, via the agents group)"),
    "U0ACME0001": ("Wile", "Wile E. Coyote (Acme)"),
    "U0ACME0002": ("Roadrunner", "Road Runner (Acme)"),
    "U0GLOBEX01": ("Hank", "Hank Scorpio (Globex)"),
    "U0INITECH1": ("Peter", "Peter Gibbons (Initech)"),
    "U0LEAD0001": ("Lena", "Lena Fischer (Acme account lead)"),
    "U0LEAD0002": ("Marco", "Marco Rossi (Globex account lead)"),
    "U0MANAGER1": ("Maya", "Maya Chen (support manager)"),
    "U0DIRECTOR": ("Dora", "Dora Ibsen (director)"),
}
#: user groups: id → (handle, members)
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "S0AGENTS01": ("support-agents", ("U0AGENT001", "U0AGENT002", "U0AGENT003")),
    "S0LEADS001": ("support-leads", ("U0LEAD0001", "U0LEAD0002", "U0MANAGER1")),
    "S0DIRECTOR": ("directors", ("U0DIRECTOR",)),
}
#: channels: id → (name, members)
CHANNELS: dict[str, tuple[str, tuple[str, ...]]] = {
    "C0SUPPORT1": ("acme-support", ("U0AGENT001", "U0AGENT002", "U0ACME0001", "U0ACME0002", "U0LEAD0001")),
    "C0GLOBEX01": ("globex-support", ("U0AGENT001", "U0AGENT002", "U0GLOBEX01", "U0LEAD0002")),
    "C0GLOBEX02": ("globex-ops", ("U0AGENT002", "U0GLOBEX01")),
    "C0INITECH1": ("initech-help", ("U0AGENT001", "U0AGENT003", "U0INITECH1")),
    "C0ALERTS01": ("sla-alerts-acme", ("U0AGENT001", "U0AGENT002", "U0LEAD0001", "U0MANAGER1")),
    "C0ALERTS02": ("sla-alerts-globex", ("U0AGENT001", "U0AGENT002", "U0LEAD0002")),
    "C0ALERTS03": ("sla-alerts-initech", ("U0AGENT001", "U0AGENT003")),
    "C0ESCALATE": ("escalations", ("U0MANAGER1", "U0DIRECTOR")),
    "C0REPORTS1": ("sla-reports", ("U0AGENT001", "U0LEAD0001", "U0MANAGER1", "U0DIRECTOR")),
}


def seed(emulator: Any, *, tz: str = "Europe/Berlin") -> None:
    """Add the example workspace's users, user groups and channels to a ``SlackEmulator``."""
    for user_id, (display, real) in PEOPLE.items():
        emulator.add_user(user_id, display, real_name=real, tz=tz)
    for group_id, (handle, members) in GROUPS.items():
        emulator.add_usergroup(group_id, handle, members)
    for channel_id, (name, members) in CHANNELS.items():
        emulator.add_channel(channel_id, name, members=members)
