"""TLP 2.0 marking-definitions, exactly as OASIS publishes them.

The ids, ``created`` timestamp and extension come from the OASIS TLP 2.0 extension
(``cti-stix-common-objects/extension-definition-specifications/tlp-2.0``). TLP 1.0
marking-definitions (predefined by STIX 2.1 §7.2.1.4) are still recognised on input,
with TLP:WHITE read as TLP:CLEAR.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TLP_2_EXTENSION_ID",
    "TLP_AMBER",
    "TLP_AMBER_STRICT",
    "TLP_CLEAR",
    "TLP_GREEN",
    "TLP_LEVELS",
    "TLP_MARKINGS",
    "TLP_RED",
    "official_tlp",
    "tlp_id",
    "tlp_of_definition",
]

TLP_2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

#: Least to most restrictive.
TLP_LEVELS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")

_TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

_TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}


def _tlp2(level: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _TLP2_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:" + level.upper(),
        "extensions": {
            TLP_2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }


TLP_CLEAR = _tlp2("clear")
TLP_GREEN = _tlp2("green")
TLP_AMBER = _tlp2("amber")
TLP_AMBER_STRICT = _tlp2("amber+strict")
TLP_RED = _tlp2("red")

#: marking-definition id -> TLP level, for TLP 2.0 and TLP 1.0 ids.
TLP_MARKINGS: dict[str, str] = {v: k for k, v in _TLP2_IDS.items()} | _TLP1_IDS


_OFFICIAL = {d["id"]: d for d in (TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED)}


def official_tlp(marking_id: str) -> dict[str, Any] | None:
    """The official OASIS TLP 2.0 definition under this id (a copy), or None."""
    found = _OFFICIAL.get(marking_id)
    return None if found is None else {**found, "extensions": dict(found["extensions"])}


def tlp_id(level: str) -> str:
    """The OASIS TLP 2.0 marking-definition id of ``level`` ("clear" … "red")."""
    return _TLP2_IDS[level]


def tlp_of_definition(marking: dict[str, Any]) -> str | None:
    """The TLP level a marking-definition expresses, or None if it is not a TLP marking."""
    known = TLP_MARKINGS.get(str(marking.get("id", "")))
    if known is not None:
        return known
    ext = (marking.get("extensions") or {}).get(TLP_2_EXTENSION_ID)
    if isinstance(ext, dict) and ext.get("tlp_2_0") in TLP_LEVELS:
        return str(ext["tlp_2_0"])
    if marking.get("definition_type") == "tlp":
        level = str((marking.get("definition") or {}).get("tlp", "")).lower()
        level = "clear" if level == "white" else level
        if level in TLP_LEVELS:
            return level
    return None
