"""TLP 2.0 objects as OASIS publishes them; Liaison's definitions are valid STIX 2.1."""

from __future__ import annotations

import json

import stix2.v21
from stix2validator import ValidationOptions, validate_instance

from liaison.markings import (
    CLASSIFICATION_EXT_ID,
    LIAISON_EXTENSION_DEFINITIONS,
    TLP_2_EXTENSION_ID,
    TLP_AMBER,
    TLP_AMBER_STRICT,
    TLP_CLEAR,
    TLP_GREEN,
    TLP_MARKINGS,
    TLP_RED,
    caveats_marking,
    classification_marking,
    releasability_marking,
    source_grading,
    statement_marking,
    tlp_of_definition,
)

FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"


def test_tlp2_ids_are_the_oasis_ones() -> None:
    # Literal values from the OASIS TLP 2.0 extension (cti-stix-common-objects).
    assert TLP_CLEAR["id"] == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert TLP_GREEN["id"] == "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    assert TLP_AMBER["id"] == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    assert TLP_AMBER_STRICT["id"] == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    assert TLP_RED["id"] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    assert TLP_2_EXTENSION_ID == "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
    assert TLP_AMBER_STRICT == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:AMBER+STRICT",
        "extensions": {
            TLP_2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}
        },
    }


def test_tlp1_ids_match_the_stix2_library() -> None:
    assert TLP_MARKINGS[stix2.v21.TLP_WHITE.id] == "clear"
    assert TLP_MARKINGS[stix2.v21.TLP_GREEN.id] == "green"
    assert TLP_MARKINGS[stix2.v21.TLP_AMBER.id] == "amber"
    assert TLP_MARKINGS[stix2.v21.TLP_RED.id] == "red"


def test_tlp_of_definition() -> None:
    assert tlp_of_definition(TLP_RED) == "red"
    assert tlp_of_definition({"id": "marking-definition--x", "definition_type": "tlp",
                              "definition": {"tlp": "white"}}) == "clear"  # fmt: skip
    assert tlp_of_definition(statement_marking("x")) is None


def _valid(obj: dict) -> list[str]:
    result = validate_instance(obj, ValidationOptions(strict=False))
    return [str(e) for e in result.errors]


def test_everything_liaison_defines_is_valid_stix() -> None:
    objs = [TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED]
    objs += LIAISON_EXTENSION_DEFINITIONS
    objs += [classification_marking("CONFIDENTIEL", FR), releasability_marking([FR, DZ])]
    objs += [caveats_marking(originator_control=True, no_evidence_use=True)]
    objs += [statement_marking("Ne pas diffuser hors cellule")]
    for obj in objs:
        assert _valid(obj) == [], obj["id"]
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "extensions": source_grading("B", "2", description="HUMINT, agent 12"),
    }
    assert _valid(indicator) == []


def test_extension_definitions_cover_each_liaison_concept() -> None:
    names = {d["name"] for d in LIAISON_EXTENSION_DEFINITIONS}
    assert names == {
        "liaison-classification",
        "liaison-releasability",
        "liaison-caveats",
        "liaison-source-grading",
        "liaison-agreement",
        "liaison-consent",
    }
    assert len({d["id"] for d in LIAISON_EXTENSION_DEFINITIONS}) == 6


def test_marking_ids_are_deterministic_and_distinct() -> None:
    a = classification_marking("SECRET", FR)
    assert a == classification_marking("SECRET", FR)
    assert a["id"] != classification_marking("SECRET", DZ)["id"]
    assert a["id"] != classification_marking("CONFIDENTIEL", FR)["id"]
    assert a["extensions"][CLASSIFICATION_EXT_ID]["level"] == "SECRET"
    assert releasability_marking([DZ, FR]) == releasability_marking([FR, DZ, FR])
    assert caveats_marking(originator_control=True, no_evidence_use=False)["name"] == "ORCON"


def test_a_tlp_definition_under_another_id_is_refused() -> None:
    from liaison.markings.definitions import definition_problem

    tlp1_white = json.loads(stix2.v21.TLP_WHITE.serialize())
    assert definition_problem(tlp1_white) is None  # the official TLP 1.0 id
    assert definition_problem(TLP_GREEN) is None
    planted = {**tlp1_white, "id": "marking-definition--00000000-0000-4000-8000-0000000000aa"}
    assert definition_problem(planted) == (
        "marking-definition--00000000-0000-4000-8000-0000000000aa: a TLP marking must use"
        " the official id of its level"
    )
    assert definition_problem({**TLP_GREEN, "id": planted["id"]}) is not None
    # a statement under a random id says nothing a release depends on: accepted
    assert definition_problem(statement_marking("Copyright MITRE")) is None
