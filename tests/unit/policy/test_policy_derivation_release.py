"""High-water mark on derivation, and the released copy with redactions applied."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from policy_world import DZ, FR, FR_LEVELS, MR, NOW, agreement

from liaison.errors import PolicyError
from liaison.markings import Granular, Handling
from liaison.markings.handling import GRADING_DESCRIPTION_SELECTOR
from liaison.markings.scale import most_restrictive
from liaison.policy import Decision, PolicyContext, check_derivation, release

CTX = PolicyContext(FR, FR_LEVELS, (agreement(DZ), agreement(MR)), (), NOW)
SOURCES = [
    Handling(classification="DIFFUSION RESTREINTE", scheme_owner=FR,
             releasable_to=frozenset({DZ, MR}), tlp="green"),
    Handling(classification="CONFIDENTIEL", scheme_owner=MR, releasable_to=frozenset({DZ, MR}),
             tlp="amber", originator_control=True, statement="pas d'usage judiciaire"),
]  # fmt: skip


def test_derivation_at_the_high_water_mark_is_accepted() -> None:
    hw = most_restrictive(SOURCES, scale=CTX.scale)
    assert (hw.classification, hw.tlp, hw.releasable_to) == ("CONFIDENTIEL", "amber", {DZ, MR})
    check_derivation(hw, SOURCES, scale=CTX.scale)
    stricter = Handling(classification="SECRET", scheme_owner=FR, releasable_to=frozenset({DZ}),
                        tlp="red", originator_control=True, no_evidence_use=True,
                        statement="pas d'usage judiciaire\nautre")  # fmt: skip
    check_derivation(stricter, SOURCES, scale=CTX.scale)


def test_less_restrictive_derivation_is_refused_naming_each_gap() -> None:
    weak = Handling(classification="DIFFUSION RESTREINTE", scheme_owner=FR,
                    releasable_to=frozenset({DZ, MR, "identity--x"}), tlp="green")  # fmt: skip
    with pytest.raises(PolicyError) as err:
        check_derivation(weak, SOURCES, scale=CTX.scale)
    text = str(err.value)
    assert text.startswith("derived product less restrictive than its sources: ")
    assert "classified DIFFUSION RESTREINTE, below CONFIDENTIEL" in text
    assert "releasable to identity--x, to whom its sources are not" in text
    assert "TLP:GREEN, below TLP:AMBER of its sources" in text
    assert "missing the originator-control caveat" in text
    assert 'missing the handling statement "pas d\'usage judiciaire"' in text
    assert err.value.details["high_water_mark"]["classification"] == "CONFIDENTIEL"


def test_unclassified_or_unmarked_derivation_is_refused() -> None:
    with pytest.raises(PolicyError, match="unclassified, but its sources reach CONFIDENTIEL"):
        check_derivation(Handling(tlp="amber"), SOURCES, scale=CTX.scale)


def test_granular_part_of_a_source_raises_the_mark() -> None:
    src = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}),
                   granular=(Granular(("description",), classification="SECRET",
                                      scheme_owner=FR),))  # fmt: skip
    same = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    with pytest.raises(PolicyError, match="below SECRET"):
        check_derivation(same, [src], scale=CTX.scale)


def test_source_with_unplaceable_classification_is_refused() -> None:
    alien = Handling(classification="COSMIC", scheme_owner="identity--alien")
    with pytest.raises(PolicyError, match="no equivalent"):
        check_derivation(alien, [alien], scale=CTX.scale)


def test_unstated_releasability_of_a_source_allows_no_partner() -> None:
    src = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR)
    with pytest.raises(PolicyError, match="releasable to"):
        check_derivation(
            Handling(
                classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ})
            ),
            [src],
            scale=CTX.scale,
        )


OBJ = {
    "type": "report",
    "id": "report--1",
    "name": "n",
    "description": "secret paragraph",
    "external_references": [{"source_name": "a"}, {"source_name": "b"}, {"source_name": "c"}],
    "extensions": {
        "extension-definition--c8320be8-8f1b-4c2c-8116-aaf0bbe827aa": {
            "extension_type": "property-extension",
            "source_reliability": "B",
            "information_credibility": "2",
            "source_description": "agent 12",
        }
    },
    "granular_markings": [
        {"marking_ref": "m1", "selectors": ["description"]},
        {"marking_ref": "m2", "selectors": ["external_references.[0]", "external_references.[2]"]},
        {"marking_ref": "m3", "selectors": ["name", "description"]},
    ],
}


def test_release_applies_redactions_and_fixes_granular_selectors() -> None:
    d = Decision(True, ("ok",), ("description", "external_references.[0]",
                                 GRADING_DESCRIPTION_SELECTOR))  # fmt: skip
    out = release(OBJ, d)
    assert "description" not in out
    assert out["external_references"] == [{"source_name": "b"}, {"source_name": "c"}]
    ext = out["extensions"]["extension-definition--c8320be8-8f1b-4c2c-8116-aaf0bbe827aa"]
    assert "source_description" not in ext and ext["source_reliability"] == "B"
    assert out["granular_markings"] == [
        {"marking_ref": "m2", "selectors": ["external_references.[1]"]},
        {"marking_ref": "m3", "selectors": ["name"]},
    ]
    assert OBJ["description"] == "secret paragraph"  # the original is untouched


def test_release_removes_emptied_lists_and_refuses_denials() -> None:
    d = Decision(True, ("ok",), tuple(f"external_references.[{i}]" for i in range(3)))
    out = release(OBJ, d)
    assert "external_references" not in out
    assert release(OBJ, Decision(True, ("ok",))) == OBJ
    with pytest.raises(PolicyError):
        release(OBJ, Decision(False, ("no",)))


@given(st.sets(st.sampled_from(["name", "description", "external_references.[0]",
                                "external_references.[1]", "external_references.[2]",
                                GRADING_DESCRIPTION_SELECTOR, "nonexistent.[4]"])))  # fmt: skip
def test_released_granular_markings_point_only_at_what_remains(redact: set[str]) -> None:
    out = release(OBJ, Decision(True, ("ok",), tuple(sorted(redact))))
    kept_refs = [r for i, r in enumerate(OBJ["external_references"])
                 if f"external_references.[{i}]" not in redact]  # fmt: skip
    assert out.get("external_references", []) == kept_refs
    for gm in out.get("granular_markings", []):
        assert gm["selectors"]
        for sel in gm["selectors"]:
            node = out
            for tok in sel.split("."):
                node = node[int(tok[1:-1])] if tok.startswith("[") else node[tok]
    for prop in ("name", "description"):
        assert (prop in out) is (prop not in redact)
