"""One test (at least) per policy rule, checking the decision and its reason text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from policy_world import DZ, FR, FR_LEVELS, KEYS, MR, NE, NOW, agreement

from liaison.agreements import grant, request, suspend
from liaison.markings import Granular, Handling
from liaison.markings.handling import GRADING_DESCRIPTION_SELECTOR
from liaison.policy import Party, PolicyContext, Provenance, decide

P_DZ = Party(DZ, "DZ")
P_MR = Party(MR, "MR")
OK = Handling(
    classification="DIFFUSION RESTREINTE", scheme_owner=FR, releasable_to=frozenset({DZ, MR})
)
LOCAL = Provenance.local()
OID = "indicator--1"


def ctx(*agreements, consents=(), now=NOW) -> PolicyContext:
    return PolicyContext(FR, FR_LEVELS, tuple(agreements), tuple(consents), now)


def test_allowed_common_case_names_agreement() -> None:
    a = agreement(DZ)
    d = decide(P_DZ, "indicator", "indicator--1", OK, LOCAL, ctx(a))
    assert d.allow
    assert d.reasons == ("released to DZ under FR–DZ",)
    assert d.agreement_id == a.id
    assert d.redact == ()


def test_internal_party_gets_everything() -> None:
    secret = Handling(classification="TRÈS SECRET", scheme_owner=FR, tlp="red")
    d = decide(
        Party("identity--analyst", "analyst", internal=True),
        "indicator",
        "x",
        secret,
        Provenance.received(MR),
        ctx(),
    )
    assert d.allow and d.redact == ()
    assert d.reasons == ("internal: this node's own organisation",)


def test_no_agreement_default_deny() -> None:
    d = decide(P_DZ, "indicator", "indicator--1", OK, LOCAL, ctx(agreement(MR)))
    assert not d.allow
    assert d.reasons == ("no agreement in force with DZ",)


def test_agreement_not_covering_type() -> None:
    d = decide(P_DZ, "campaign", "campaign--1", OK, LOCAL, ctx(agreement(DZ)))
    assert d.reasons == ("no agreement in force with DZ covers campaign",)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signers": (FR,)},  # partially signed
        {"valid_days": (-300, -1)},  # expired
        {"valid_days": (1, 300)},  # not yet valid
    ],
)
def test_agreement_not_in_force(kwargs: dict[str, object]) -> None:
    d = decide(P_DZ, "indicator", "indicator--1", OK, LOCAL, ctx(agreement(DZ, **kwargs)))
    assert d.reasons == ("no agreement in force with DZ",)


def test_suspended_agreement_denies() -> None:
    a = agreement(DZ)
    s = suspend(a, DZ, KEYS[DZ], reason="review", now=NOW - timedelta(hours=1))
    d = decide(P_DZ, "indicator", "indicator--1", OK, LOCAL, ctx(a, s))
    assert d.reasons == ("no agreement in force with DZ",)


def test_topics_and_regions_scope() -> None:
    a = agreement(DZ, topics=("terrorism",), regions=("ML", "NE"))
    c = ctx(a)
    ok = decide(P_DZ, "indicator", OID, OK, LOCAL, c, topics={"terrorism"}, regions={"ML"})
    assert ok.allow
    d = decide(P_DZ, "indicator", OID, OK, LOCAL, c, topics={"smuggling"}, regions={"TD"})
    assert d.reasons == (
        "FR–DZ covers topics terrorism, not smuggling",
        "FR–DZ covers regions ML, NE, not TD",
    )
    d = decide(P_DZ, "indicator", OID, OK, LOCAL, c)
    assert d.reasons[0] == "FR–DZ covers topics terrorism, not none"


def test_classification_exceeds_maximum_after_equivalence() -> None:
    a = agreement(DZ, max_fr="DIFFUSION RESTREINTE")
    h = Handling(classification="CONFIDENTIEL", scheme_owner=FR, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, LOCAL, ctx(a))
    assert d.reasons == ("CONFIDENTIEL (FR) ≡ SECRET (DZ) exceeds the agreement maximum RESTREINT",)


def test_classification_of_third_party_scheme_goes_through_node_scheme() -> None:
    # MR's CONFIDENTIEL ≡ FR CONFIDENTIEL ≡ DZ SECRET, over DZ's maximum RESTREINT.
    c = ctx(agreement(DZ, max_fr="DIFFUSION RESTREINTE"), agreement(MR))
    h = Handling(classification="CONFIDENTIEL", scheme_owner=MR, releasable_to=frozenset({DZ}))
    consent_ok = Provenance.local()  # classification only: no third-party rule here
    d = decide(P_DZ, "indicator", OID, h, consent_ok, c)
    assert d.reasons == ("CONFIDENTIEL (MR) ≡ SECRET (DZ) exceeds the agreement maximum RESTREINT",)
    low = Handling(classification="DR", scheme_owner=MR, releasable_to=frozenset({DZ}))
    assert decide(P_DZ, "indicator", OID, low, consent_ok, c).allow


def test_classification_in_recipients_own_scheme() -> None:
    c = ctx(agreement(DZ, max_fr="DIFFUSION RESTREINTE"))
    h = Handling(classification="SECRET", scheme_owner=DZ, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, LOCAL, c)
    assert d.reasons == ("SECRET (DZ) exceeds the agreement maximum RESTREINT",)


def test_unknown_scheme_and_unmapped_levels() -> None:
    c = ctx(agreement(DZ))
    h = Handling(classification="SECRET", scheme_owner=NE, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, LOCAL, c)
    assert d.reasons == (f"SECRET ({NE}) has no equivalent in this node's scheme",)
    # An equivalence table that stops at DIFFUSION RESTREINTE cannot place CONFIDENTIEL.
    c = ctx(
        agreement(
            DZ,
            equivalence=[("NON CLASSIFIÉ", "NC"), ("DIFFUSION RESTREINTE", "RESTREINT")],
            max_partner="RESTREINT",
        )
    )
    h = Handling(classification="CONFIDENTIEL", scheme_owner=FR, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, LOCAL, c)
    assert d.reasons == ("CONFIDENTIEL (FR) has no equivalent for DZ in FR–DZ",)


def test_unmapped_level_rounds_up() -> None:
    # NE's table skips DIFFUSION RESTREINTE: it is placed as CONFIDENTIEL, not NC.
    c = ctx(agreement(NE, max_fr="CONFIDENTIEL", max_partner="NC"))
    h = Handling(
        classification="DIFFUSION RESTREINTE", scheme_owner=FR, releasable_to=frozenset({NE})
    )
    d = decide(Party(NE, "NE"), "indicator", OID, h, LOCAL, c)
    assert d.reasons == (
        "DIFFUSION RESTREINTE (FR) ≡ CONFIDENTIEL (NE) exceeds the agreement maximum NC",
    )


def test_no_classification_marking() -> None:
    h = Handling(releasable_to=frozenset({DZ}), tlp="clear")
    d = decide(P_DZ, "indicator", OID, h, LOCAL, ctx(agreement(DZ)))
    assert d.reasons == ("no classification marking: not releasable to partners",)


def test_releasability() -> None:
    c = ctx(agreement(DZ), agreement(MR))
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR)
    assert decide(P_DZ, "indicator", OID, h, LOCAL, c).reasons == (
        "no releasability marking: not releasable to DZ",
    )
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({MR}))
    assert decide(P_DZ, "indicator", OID, h, LOCAL, c).reasons == (
        "not releasable to DZ (REL TO MR)",
    )


@pytest.mark.parametrize(
    ("tlp", "origins", "reason"),
    [
        ("red", (), "TLP:RED never leaves this organisation"),
        ("amber+strict", (), "TLP:AMBER+STRICT: this organisation only"),
        ("amber", (), None),
        ("amber", (DZ,), None),
        ("amber", (MR,), "TLP:AMBER material from MR: not for release to another organisation"),
        ("green", (), None),
        ("clear", (), None),
        (None, (), None),
    ],
)
def test_tlp(tlp: str | None, origins: tuple[str, ...], reason: str | None) -> None:
    h = Handling(
        classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}), tlp=tlp
    )
    prov = Provenance(frozenset(origins))
    consents = [_granted(OID, MR, DZ)] if MR in origins else []
    d = decide(
        P_DZ, "indicator", OID, h, prov, ctx(agreement(DZ), agreement(MR), consents=consents)
    )
    assert d.allow is (reason is None)
    if reason is not None:
        assert d.reasons == (reason,)


def _granted(object_id: str, origin: str, to: str, **kw: object):
    req = request(
        object_id,
        originator=origin,
        recipient=to,
        requester=FR,
        requester_key=KEYS[FR],
        now=NOW - timedelta(days=2),
    )
    return grant(req, KEYS[origin], now=NOW - timedelta(days=1), **kw)  # type: ignore[arg-type]


def test_third_party_rule_needs_signed_consent() -> None:
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    prov = Provenance.received(MR)
    c = ctx(agreement(DZ), agreement(MR))
    assert decide(P_DZ, "indicator", "indicator--9", h, prov, c).reasons == (
        "third-party rule: received from MR, no consent to release to DZ",
    )
    # Back to the originator itself: no consent needed.
    h2 = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({MR}))
    assert decide(P_MR, "indicator", "indicator--9", h2, prov, c).allow
    good = _granted("indicator--9", MR, DZ)
    c = ctx(agreement(DZ), agreement(MR), consents=[good])
    assert decide(P_DZ, "indicator", "indicator--9", h, prov, c).allow
    refused = ("third-party rule: received from MR, no consent to release to DZ",)
    # Consent for another object does not count ...
    assert decide(P_DZ, "indicator", "indicator--8", h, prov, c).reasons == refused
    # ... nor consent to another recipient: MR let the object go to NE, not to DZ.
    both = Handling(
        classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ, NE})
    )
    to_ne = ctx(
        agreement(DZ),
        agreement(MR),
        agreement(NE),
        consents=[_granted("indicator--9", MR, NE)],
    )
    d = decide(P_DZ, "indicator", "indicator--9", both, prov, to_ne)
    assert not d.allow and d.reasons == refused
    assert decide(Party(NE, "NE"), "indicator", "indicator--9", both, prov, to_ne).allow


def test_third_party_rule_forged_expired_withdrawn_consent() -> None:
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    prov = Provenance.received(MR)
    req = request(
        OID,
        originator=MR,
        recipient=DZ,
        requester=FR,
        requester_key=KEYS[FR],
        now=NOW - timedelta(days=3),
    )
    forged = grant(req, KEYS[DZ], now=NOW - timedelta(days=2))  # signed by the wrong key
    expired = grant(req, KEYS[MR], now=NOW - timedelta(days=2), valid_until=NOW)
    withdrawn = [
        grant(req, KEYS[MR], now=NOW - timedelta(days=2)),
        _deny(req, NOW - timedelta(days=1)),
    ]
    for consents in ([forged], [expired], withdrawn, [req]):
        c = ctx(agreement(DZ), agreement(MR), consents=consents)
        assert not decide(P_DZ, "indicator", OID, h, prov, c).allow


def _deny(req, when):
    from liaison.agreements import deny

    return deny(req, KEYS[MR], now=when)


def test_derived_product_needs_every_origins_consent() -> None:
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({NE}))
    prov = Provenance.derived({"a": Provenance.received(MR), "b": Provenance.received(DZ)})
    assert prov.origins == {MR, DZ}
    c = ctx(agreement(NE), agreement(DZ), agreement(MR), consents=[_granted("report--1", MR, NE)])
    d = decide(Party(NE, "NE"), "report", "report--1", h, prov, c)
    assert d.reasons == ("third-party rule: received from DZ, no consent to release to NE",)


def test_granular_redaction_instead_of_refusal() -> None:
    h = Handling(
        classification="DIFFUSION RESTREINTE",
        scheme_owner=FR,
        releasable_to=frozenset({DZ, MR}),
        granular=(
            Granular(("description",), classification="SECRET", scheme_owner=FR),
            Granular(("name",), releasable_to=frozenset({MR})),
            Granular(("labels",), tlp="red"),
            Granular(("pattern",), classification="NON CLASSIFIÉ", scheme_owner=FR),
        ),
        grading=("B", "2"),
        grading_description_local=True,
    )
    d = decide(P_DZ, "indicator", OID, h, LOCAL, ctx(agreement(DZ)))
    assert d.allow
    assert d.redact == ("description", "name", "labels", GRADING_DESCRIPTION_SELECTOR)


def test_several_agreements_any_one_suffices_and_reasons_are_prefixed() -> None:
    narrow = agreement(DZ, stix_types=("indicator",), max_fr="NON CLASSIFIÉ")
    wide = agreement(DZ, stix_types=("indicator",), max_fr="CONFIDENTIEL")
    c = ctx(narrow, wide)
    assert decide(P_DZ, "indicator", OID, OK, LOCAL, c).agreement_id == wide.id
    h = Handling(classification="SECRET", scheme_owner=FR, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, LOCAL, c)
    assert len(d.reasons) == 2 and all(r.startswith("FR–DZ: ") for r in d.reasons)


def test_unresolved_markings_withhold_from_every_partner() -> None:
    from dataclasses import replace

    a, b = agreement(DZ), agreement(MR)
    waiting = replace(OK, unresolved_markings=frozenset({"marking-definition--x"}))
    for p in (P_DZ, P_MR):
        assert decide(p, "indicator", OID, OK, LOCAL, ctx(a, b)).allow
        d = decide(p, "indicator", OID, waiting, LOCAL, ctx(a, b))
        assert not d.allow
        assert d.reasons == (
            "unknown marking marking-definition--x: withheld from partners until its "
            "definition arrives",
        )
    # ... this node's own parties still receive it
    internal = Party("identity--analyst", "analyst", internal=True)
    assert decide(internal, "indicator", OID, waiting, LOCAL, ctx(a)).allow
    broken = replace(OK, marking_problem="two TLP markings: TLP:GREEN and TLP:RED")
    d = decide(P_DZ, "indicator", OID, broken, LOCAL, ctx(a))
    assert d.reasons == ("markings cannot be read: two TLP markings: TLP:GREEN and TLP:RED",)
    # a definition with unreadable markings is not "unmarked": withheld too
    assert not decide(P_DZ, "marking-definition", "m", waiting, LOCAL, ctx(a)).allow
