"""Redaction paths a partner's granular markings can name, and the derivation texts.

Written against mutation survivors of ``policy/`` (docs/mutation.md): list elements
removed in the right order, selectors renumbered in the right list only, paths that
lead nowhere, hostile selectors -- none may crash ``release`` or remove the wrong thing.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from policy_world import DZ, FR, FR_LEVELS, KEYS, MR, NOW, agreement

from liaison.agreements import grant, request
from liaison.errors import PolicyError
from liaison.markings import Granular, Handling
from liaison.policy import (
    Decision,
    Party,
    PolicyContext,
    Provenance,
    check_derivation,
    decide,
    release,
)

OBJ: dict[str, Any] = {
    "type": "report",
    "id": "report--1",
    "name": "n",
    "a12b": "a custom property whose name holds digits",
    "external_references": [
        {"source_name": "a", "url": "https://a.example"},
        {"source_name": "b", "url": "https://b.example"},
        {"source_name": "c"},
    ],
    "kill_chain_phases": [
        {"kill_chain_name": "k", "phase_name": "p0"},
        {"kill_chain_name": "k", "phase_name": "p1"},
    ],
    "x_items": [{"tags": ["only"], "keep": True}, {"tags": ["t0", "t1", "t2"]}],
    "extensions": {"x-ext": {"extension_type": "property-extension", "v": 1}},
    "granular_markings": [
        {"marking_ref": "m-list", "selectors": ["external_references"]},
        {"marking_ref": "m-kcp", "selectors": ["kill_chain_phases.[1]"]},
        {"marking_ref": "m-ref2", "selectors": ["external_references.[2].source_name"]},
        {"marking_ref": "m-tag1", "selectors": ["x_items.[1].tags.[1]"]},
        {"marking_ref": "m-tag2", "selectors": ["x_items.[1].tags.[2]"]},
        {"marking_ref": "m-odd", "selectors": ["[abc]", "name"]},
    ],
}


def released(*redact: str) -> dict[str, Any]:
    original = copy.deepcopy(OBJ)
    out = release(OBJ, Decision(True, ("ok",), redact))
    assert original == OBJ  # never changes its argument
    return out


def selectors(out: dict[str, Any]) -> dict[str, list[str]]:
    return {gm["marking_ref"]: gm["selectors"] for gm in out.get("granular_markings", [])}


def test_an_element_out_of_the_middle_renumbers_only_its_own_list() -> None:
    out = released("external_references.[1]")
    assert [r["source_name"] for r in out["external_references"]] == ["a", "c"]
    got = selectors(out)
    assert got["m-ref2"] == ["external_references.[1].source_name"]
    assert got["m-list"] == ["external_references"]  # the list itself is still marked
    assert got["m-kcp"] == ["kill_chain_phases.[1]"]  # another list: untouched
    assert got["m-tag2"] == ["x_items.[1].tags.[2]"]
    assert got["m-odd"] == ["[abc]", "name"]


def test_elements_of_one_list_go_from_the_end_whatever_the_order_given() -> None:
    for order in (("[0]", "[2]"), ("[2]", "[0]")):
        out = released(*(f"external_references.{i}" for i in order))
        assert [r["source_name"] for r in out["external_references"]] == ["b"]
        assert "m-ref2" not in selectors(out)


def test_a_nested_list_element_renumbers_the_nested_selectors() -> None:
    out = released("x_items.[1].tags.[0]")
    assert out["x_items"][1]["tags"] == ["t1", "t2"]
    assert selectors(out)["m-tag1"] == ["x_items.[1].tags.[0]"]
    assert selectors(out)["m-tag2"] == ["x_items.[1].tags.[1]"]


def test_a_path_through_a_list_element() -> None:
    out = released("external_references.[1].url")
    assert out["external_references"][1] == {"source_name": "b"}
    assert out["external_references"][0]["url"] == "https://a.example"


def test_emptied_containers_are_pruned_up_the_path() -> None:
    out = released("x_items.[0].tags.[0]", "x_items.[0].keep", "x_items.[1]")
    assert "x_items" not in out  # tags emptied, x_items[0] emptied, x_items emptied


@pytest.mark.parametrize(
    "path",
    [
        "external_references.[3]",  # one past the end
        "external_references.[3].url",
        "external_references.url",  # a name where the list has indexes
        "external_references.url.x",
        "extensions.[0]",  # an index where the dictionary has names
        "name.n",  # into a string
        "nothing.[0].here",
        "[abc]",
    ],
)
def test_paths_that_lead_nowhere_remove_nothing(path: str) -> None:
    out = released(path, "external_references.[1]")
    assert [r["source_name"] for r in out["external_references"]] == ["a", "c"]
    assert out["name"] == "n" and out["extensions"] == OBJ["extensions"]


def test_a_property_named_with_digits_is_a_name() -> None:
    out = released("a12b")
    assert "a12b" not in out and out["name"] == "n"


def test_a_granular_marking_without_selectors_is_dropped() -> None:
    obj = {**OBJ, "granular_markings": [{"marking_ref": "m", "lang": "fr"}]}
    out = release(obj, Decision(True, ("ok",), ("name",)))
    assert "granular_markings" not in out and "name" not in out


def test_a_denial_cannot_be_released() -> None:
    with pytest.raises(PolicyError) as info:
        release(OBJ, Decision(False, ("no",)))
    assert str(info.value) == "this object is not released to this party"


def test_a_granular_amber_part_of_a_third_partys_object_is_redacted() -> None:
    """Received from MR, released to DZ with MR's consent: MR's AMBER paragraph stays."""
    h = Handling(
        classification="NON CLASSIFIÉ",
        scheme_owner=FR,
        releasable_to=frozenset({DZ, MR}),
        granular=(Granular(("description",), tlp="amber"),),
    )
    req = request("indicator--1", originator=MR, recipient=DZ, requester=FR,
                  requester_key=KEYS[FR], now=NOW - timedelta(days=2))  # fmt: skip
    consent = grant(req, KEYS[MR], now=NOW - timedelta(days=1))
    ctx = PolicyContext(FR, FR_LEVELS, (agreement(DZ), agreement(MR)), (consent,), NOW)
    prov = Provenance.received(MR)
    d = decide(Party(DZ, "DZ"), "indicator", "indicator--1", h, prov, ctx)
    assert d.allow and d.redact == ("description",)
    d = decide(Party(MR, "MR"), "indicator", "indicator--1", h, prov, ctx)
    assert d.allow and d.redact == ()  # back to its originator: nothing to hold back
    derived = Provenance.derived({"a": prov, "b": Provenance.local()})
    assert derived.derived_from == ("a", "b") and derived.origins == {MR}


# --- derivation: the texts, and the edges -------------------------------------------------

SOURCES = [
    Handling(classification="CONFIDENTIEL", scheme_owner=FR, releasable_to=frozenset({DZ}),
             tlp="amber", originator_control=True, no_evidence_use=True,
             statement="ligne un\nligne deux"),
]  # fmt: skip
SCALE = PolicyContext(FR, FR_LEVELS, (agreement(DZ),), (), NOW).scale


def test_every_gap_is_named_in_one_message() -> None:
    weak = Handling(classification="DIFFUSION RESTREINTE", scheme_owner=FR,
                    releasable_to=frozenset({DZ, MR}), statement="ligne un")  # fmt: skip
    with pytest.raises(PolicyError) as info:
        check_derivation(weak, SOURCES, scale=SCALE)
    assert str(info.value) == (
        "derived product less restrictive than its sources: "
        "classified DIFFUSION RESTREINTE, below CONFIDENTIEL (the highest classification "
        f"of its sources); releasable to {MR}, to whom its sources are not; "
        "no TLP, below TLP:AMBER of its sources; "
        "missing the originator-control caveat of its sources; "
        "missing the not-for-use-as-evidence caveat of its sources; "
        "missing the handling statement 'ligne deux' of its sources"
    )


def test_releasable_to_several_extra_parties_lists_them_all() -> None:
    src = [Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset())]
    wide = Handling(
        classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({MR, DZ})
    )
    with pytest.raises(PolicyError) as info:
        check_derivation(wide, src, scale=SCALE)
    assert str(info.value).endswith(f"releasable to {', '.join(sorted({MR, DZ}))}, to whom its "
                                    "sources are not")  # fmt: skip


def test_a_product_as_restricted_as_its_sources_passes() -> None:
    same = Handling(classification="CONFIDENTIEL", scheme_owner=FR, releasable_to=frozenset({DZ}),
                    tlp="amber", originator_control=True, no_evidence_use=True,
                    statement="ligne deux\nligne un")  # fmt: skip
    check_derivation(same, SOURCES, scale=SCALE)
    plain = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset())
    check_derivation(plain, [plain], scale=SCALE)  # no statement on either side
