"""A collection's default handling: what it marks, with which definitions, and what not."""

from __future__ import annotations

import pytest

from liaison.errors import InvalidInputError
from liaison.markings import (
    TLP_AMBER,
    TLP_GREEN,
    classification_marking,
    handling_of,
    releasability_marking,
)
from liaison.markings.defaults import DefaultHandling, carries_markings

DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
OBJ = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--00000000-0000-4000-8000-000000000001",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-01T00:00:00.000Z",
    "pattern": "[ipv4-addr:value = '10.0.0.1']",
    "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00Z",
}


def test_the_default_marks_with_content_derived_definitions() -> None:
    d = DefaultHandling("DIFFUSION RESTREINTE", (MR,), "green")
    cls = classification_marking("DIFFUSION RESTREINTE", DZ)
    rel = releasability_marking([DZ, MR])
    assert d.definitions(DZ) == [cls, rel, TLP_GREEN]
    marked = d.apply(OBJ, DZ)
    assert marked["object_marking_refs"] == [cls["id"], rel["id"], TLP_GREEN["id"]]
    assert "object_marking_refs" not in OBJ  # a copy
    h = handling_of(marked, {m["id"]: m for m in d.definitions(DZ)}, scheme_owner=DZ)
    assert (h.classification, h.scheme_owner, h.tlp) == ("DIFFUSION RESTREINTE", DZ, "green")
    assert h.releasable_to == {DZ, MR}


def test_parts_left_out_are_not_marked() -> None:
    assert DefaultHandling(tlp="amber").refs(DZ) == [TLP_AMBER["id"]]
    only_rel = DefaultHandling(releasable_to=(MR,))
    assert only_rel.refs(DZ) == [releasability_marking([MR, DZ])["id"]]


def test_json_round_trip_and_checks() -> None:
    d = DefaultHandling("C", (MR, MR), "red")
    assert DefaultHandling.from_json(d.to_json()).to_json() == d.to_json()
    assert d.to_json() == {"classification": "C", "releasable_to": [MR], "tlp": "red"}
    with pytest.raises(InvalidInputError, match="unknown TLP level 'purple'"):
        DefaultHandling(tlp="purple")
    with pytest.raises(InvalidInputError, match="needs a classification"):
        DefaultHandling()
    with pytest.raises(InvalidInputError, match="identity ids"):
        DefaultHandling(releasable_to=("MR",))


def test_only_what_carries_no_markings_gets_the_default() -> None:
    d = DefaultHandling(tlp="green")
    assert d.applies_to(OBJ)
    own = {**OBJ, "object_marking_refs": [TLP_GREEN["id"]]}
    assert carries_markings(own) and not d.applies_to(own)
    granular = {
        **OBJ,
        "granular_markings": [{"marking_ref": TLP_GREEN["id"], "selectors": ["name"]}],
    }
    # granular markings alone are no object-level markings: the default applies, and
    # the granular restriction stays (it redacts its part wherever it is not released)
    assert not carries_markings(granular) and d.applies_to(granular)
    assert d.apply(granular, DZ)["granular_markings"] == granular["granular_markings"]
    # definitions carry no intelligence and are bound to their exact content
    assert not d.applies_to(classification_marking("C", DZ))
    assert not d.applies_to({"type": "extension-definition", "id": "extension-definition--1"})
