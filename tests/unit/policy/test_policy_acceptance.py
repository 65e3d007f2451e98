"""The receiving side: what this node stores when a partner hands it an object."""

from __future__ import annotations

import pytest
from policy_world import DZ, FR, FR_LEVELS, MR, NOW, agreement

from liaison.markings import Handling
from liaison.policy import Party, PolicyContext
from liaison.policy.acceptance import accept

P_DZ = Party(DZ, "DZ")


def ctx(*agreements: object) -> PolicyContext:
    return PolicyContext(FR, FR_LEVELS, tuple(agreements), (), NOW)  # type: ignore[arg-type]


def dz(level: str) -> Handling:
    return Handling(classification=level, scheme_owner=DZ)


def test_nothing_without_an_agreement_with_the_sender() -> None:
    d = accept(P_DZ, "indicator", dz("NC"), ctx(agreement(MR)))
    assert (d.allow, d.reasons) == (False, ("no agreement in force with DZ",))


def test_definitions_under_any_agreement_in_force() -> None:
    a = agreement(DZ, stix_types=("indicator",))
    d = accept(P_DZ, "marking-definition", Handling(), ctx(a))
    assert (d.allow, d.reasons, d.agreement_id) == (
        True,
        ("definition accepted under FR–DZ",),
        a.id,
    )


def test_a_type_the_agreement_does_not_cover() -> None:
    d = accept(P_DZ, "campaign", dz("NC"), ctx(agreement(DZ)))
    assert (d.allow, d.reasons) == (False, ("no agreement in force with DZ covers campaign",))


@pytest.mark.parametrize(
    ("level", "allowed"), [("NC", True), ("SECRET", True), ("TRES SECRET", False)]
)
def test_classification_in_the_senders_scheme_up_to_its_maximum(level: str, allowed: bool) -> None:
    """FR–DZ carries CONFIDENTIEL ≡ SECRET (DZ): DZ may send up to its SECRET."""
    a = agreement(DZ)
    d = accept(P_DZ, "indicator", dz(level), ctx(a))
    assert d.allow is allowed
    if allowed:
        assert d.reasons == ("accepted from DZ under FR–DZ",) and d.agreement_id == a.id
    else:
        assert d.reasons == ("TRES SECRET (DZ) exceeds the agreement maximum SECRET",)


def test_unclassified_material_is_not_accepted() -> None:
    d = accept(P_DZ, "indicator", Handling(), ctx(agreement(DZ)))
    assert (d.allow, d.reasons) == (
        False,
        ("no classification marking: not releasable to partners",),
    )


def test_scope_topics_and_regions() -> None:
    a = agreement(DZ, topics=("terrorism",), regions=("ML",))
    c = ctx(a)
    assert accept(P_DZ, "indicator", dz("NC"), c, topics={"terrorism"}, regions={"ML"}).allow
    d = accept(P_DZ, "indicator", dz("NC"), c, topics={"cyber"}, regions={"ML"})
    assert d.reasons == ("FR–DZ covers topics terrorism, not cyber",)
    d = accept(P_DZ, "indicator", dz("NC"), c, topics={"terrorism"})
    assert d.reasons == ("FR–DZ covers regions ML, not none",)


def test_several_agreements_one_suffices_and_reasons_name_each() -> None:
    narrow = agreement(DZ, stix_types=("indicator",), max_fr="NON CLASSIFIÉ")
    wide = agreement(DZ, stix_types=("indicator",), max_fr="CONFIDENTIEL")
    c = ctx(narrow, wide)
    assert accept(P_DZ, "indicator", dz("SECRET"), c).agreement_id == wide.id
    d = accept(P_DZ, "indicator", dz("TRES SECRET"), c)
    assert not d.allow and len(d.reasons) == 2
    assert all(r.startswith("FR–DZ: TRES SECRET (DZ) exceeds") for r in d.reasons)
