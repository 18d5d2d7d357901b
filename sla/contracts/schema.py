"""The contract file's JSON Schema, for editors (``slabot contracts schema``).

Generated from the same pydantic models that validate the file (:mod:`sla.contracts.file`), with each
section typed as it is validated: ``clients`` entries are ``ClientSpec``, each contract's ``versions``
are ``VersionSpec``. An editor (VS Code's YAML extension, JetBrains, Neovim's yaml-language-server)
offers the keys, their descriptions and allowed values and flags a typo while typing;
``slabot contracts check`` stays the judge (cross-references such as an unknown calendar name, dates,
time zones and SMART warnings are checked there only).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sla.contracts.file import AgentsSpec, ClientSpec, ContractSpec, RolesSpec, Spec, VersionSpec

SCHEMA_ID = "https://slabot.dev/schemas/contracts.schema.json"

_CALENDAR = {
    "type": "object",
    "description": "a business calendar: when the clock runs (docs/contracts.md#calendars)",
    "properties": {
        "timezone": {"type": "string", "description": "an IANA time zone such as Europe/Berlin"},
        "hours": {
            "description": 'opening hours: 24x7, or {mon-fri: "09:00-17:00"} (a list of windows per day)',
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": {
                        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
                    },
                },
            ],
        },
        "holidays": {
            "type": "object",
            "properties": {
                "country": {"type": "string", "description": "ISO country code, e.g. DE"},
                "subdivision": {"type": "string", "description": "e.g. BY, NY, ENG"},
                "dates": {"type": "array", "items": {"type": "string"}},
                "special": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "description": {"type": "string"},
    },
    "required": ["timezone", "hours"],
    "additionalProperties": False,
}


class _ContractShape(ContractSpec):
    versions: list[VersionSpec] = Field(min_length=1)  # type: ignore[assignment]


class _FileShape(Spec):
    agents: AgentsSpec | None = None
    roles: RolesSpec | None = None
    calendars: dict[str, Any] = {}
    clients: dict[str, ClientSpec]
    contracts: dict[str, _ContractShape]


def contract_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a contract file."""
    schema = _FileShape.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    for name in ("_ContractShape", "_FileShape"):
        defs.pop(name, None)
    contract = _ContractShape.model_json_schema(mode="validation")
    contract.pop("$defs", None)
    contract["title"] = "Contract"
    defs["Contract"] = contract
    schema["properties"]["contracts"]["additionalProperties"] = {"$ref": "#/$defs/Contract"}
    schema["properties"]["calendars"]["additionalProperties"] = _CALENDAR
    schema["properties"]["agents"] = {"anyOf": [{"$ref": "#/$defs/AgentsSpec"}, {"type": "null"}]}
    schema["properties"]["roles"] = {"anyOf": [{"$ref": "#/$defs/RolesSpec"}, {"type": "null"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "slabot contract file",
        "description": "agents, roles, calendars, clients and contracts with dated versions (docs/contracts.md)",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
