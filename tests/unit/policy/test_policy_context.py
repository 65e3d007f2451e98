"""What a policy context learns from agreements and consents, and the exact reason texts.

Written against mutation survivors of ``policy/`` (docs/mutation.md).
"""

from __future__ import annotations

from datetime import timedelta

from policy_world import DZ, FR, FR_LEVELS, KEYS, MR, NE, NOW, agreement, party

from liaison.agreements import Scope, deny, grant, propose, request, sign
from liaison.markings import Handling
from liaison.policy import Party, PolicyContext, Provenance, decide
from liaison.policy.acceptance import accept

P_DZ = Party(DZ, "DZ")
OID = "indicator--1"


def ctx(*agreements: object, consents: tuple[object, ...] = (), now=NOW) -> PolicyContext:  # type: ignore[no-untyped-def]
    return PolicyContext(FR, FR_LEVELS, tuple(agreements), tuple(consents), now)  # type: ignore[arg-type]


def test_keys_names_and_states_are_learnt_past_a_broken_agreement() -> None:
    partial = agreement(DZ, signers=(FR,))  # not signed by DZ: teaches nothing
    good = agreement(MR)
    c = ctx(partial, good)
    assert c.keys == {FR: KEYS[FR].public_key_b64, MR: KEYS[MR].public_key_b64}
    assert c.name(MR) == "MR" and c.name(DZ) == DZ
    assert c.states == {partial.id: "proposed", good.id: "in-force"}


def test_validity_is_judged_at_the_contexts_time_not_the_clock() -> None:
    """An agreement that ran a year before NOW is in force for a context set then."""
    old = agreement(DZ, valid_days=(-400, -300))
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    then = ctx(old, now=NOW - timedelta(days=350))
    assert then.states == {old.id: "in-force"}
    assert decide(P_DZ, "indicator", OID, h, Provenance.local(), then).allow
    assert ctx(old).states == {old.id: "expired"}


def _req(to: str = DZ, days: int = 5):  # type: ignore[no-untyped-def]
    return request(OID, originator=MR, recipient=to, requester=FR, requester_key=KEYS[FR],
                   now=NOW - timedelta(days=days))  # fmt: skip


H = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))


def allowed(*consents: object) -> bool:
    c = ctx(agreement(DZ), agreement(MR), consents=consents)
    return decide(P_DZ, "indicator", OID, H, Provenance.received(MR), c).allow


def test_the_newest_answer_counts_whatever_the_order() -> None:
    req = _req()
    granted = grant(req, KEYS[MR], now=NOW - timedelta(days=1))
    denied = deny(req, KEYS[MR], now=NOW - timedelta(days=3))
    assert allowed(granted, denied) and allowed(denied, granted)
    withdrawn = deny(req, KEYS[MR], now=NOW - timedelta(hours=1))
    assert not allowed(withdrawn, granted) and not allowed(granted, withdrawn)


def test_a_denial_wins_a_tie_whatever_the_order() -> None:
    """A grant and a denial with the same ``modified``: fail closed, in either order."""
    req = _req()
    at = NOW - timedelta(days=1)
    granted, denied = grant(req, KEYS[MR], now=at), deny(req, KEYS[MR], now=at)
    assert granted.modified == denied.modified
    assert not allowed(granted, denied) and not allowed(denied, granted)
    # ... and a later grant still overrides it
    regranted = grant(req, KEYS[MR], now=at + timedelta(seconds=1))
    assert allowed(granted, denied, regranted) and allowed(regranted, denied, granted)


def test_a_new_request_does_not_withdraw_a_grant() -> None:
    granted = grant(_req(days=5), KEYS[MR], now=NOW - timedelta(days=4))
    asked_again = _req(days=1)  # the requester's, newer than the grant
    assert allowed(granted, asked_again) and allowed(asked_again, granted)


def test_a_consent_nobody_can_check_is_skipped_not_the_rest() -> None:
    stranger = request(OID, originator=NE, recipient=DZ, requester=FR, requester_key=KEYS[FR],
                       now=NOW - timedelta(days=2))  # fmt: skip
    unknown = grant(stranger, KEYS[NE], now=NOW - timedelta(days=1))  # NE's key is unknown here
    granted = grant(_req(), KEYS[MR], now=NOW - timedelta(days=1))
    assert allowed(unknown, granted)


# --- definitions, and the reason texts -------------------------------------------------


def test_definitions_go_to_any_partner_under_an_agreement_unless_rel_excludes_it() -> None:
    a = agreement(DZ)
    c = ctx(a)
    d = decide(
        P_DZ, "marking-definition", "marking-definition--1", Handling(), Provenance.local(), c
    )
    assert (d.allow, d.reasons, d.redact, d.agreement_id) == (
        True,
        ("definition released to DZ under FR–DZ",),
        (),
        a.id,
    )
    other = Handling(releasable_to=frozenset({MR}))  # a marked definition: every rule applies
    d = decide(P_DZ, "marking-definition", "marking-definition--2", other, Provenance.local(), c)
    assert not d.allow and f"not releasable to DZ (REL TO {MR})" in d.reasons
    d = decide(P_DZ, "extension-definition", "extension-definition--1", Handling(),
               Provenance.local(), ctx(agreement(MR)))  # fmt: skip
    assert (d.allow, d.reasons) == (False, ("no agreement in force with DZ",))


def test_reason_texts_list_every_name() -> None:
    a = agreement(DZ, topics=("terrorism", "smuggling"), regions=("ML", "NE"))
    c = ctx(a, agreement(MR))
    local = Provenance.local()
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "indicator", OID, h, local, c, topics={"cyber", "drugs"}, regions={"BF", "TD"})
    assert d.reasons == (
        "FR–DZ covers topics smuggling, terrorism, not cyber, drugs",
        "FR–DZ covers regions ML, NE, not BF, TD",
    )
    d = decide(P_DZ, "indicator", OID, h, local, c)
    assert d.reasons[0] == "FR–DZ covers topics smuggling, terrorism, not none"
    plain = ctx(agreement(DZ), agreement(MR))
    for rel, listed in ((frozenset({MR, NE}), f"MR, {NE}"), (frozenset(), "nobody")):
        h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=rel)
        d = decide(P_DZ, "indicator", OID, h, local, plain)
        assert d.reasons == (f"not releasable to DZ (REL TO {listed})",)
    amber = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR,
                     releasable_to=frozenset({DZ}), tlp="amber")  # fmt: skip
    two = Provenance.derived({"a": Provenance.received(MR), "b": Provenance.received(NE)})
    reasons = decide(P_DZ, "indicator", OID, amber, two, plain).reasons
    assert (
        reasons[0] == f"TLP:AMBER material from MR, {NE}: not for release to another organisation"
    )


def test_a_redacting_release_still_says_under_which_agreement() -> None:
    from liaison.markings import Granular

    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}),
                 granular=(Granular(("name",), tlp="red"),))  # fmt: skip
    a = agreement(DZ)
    d = decide(P_DZ, "indicator", OID, h, Provenance.local(), ctx(a))
    assert (d.allow, d.reasons, d.redact, d.agreement_id) == (
        True,
        ("released to DZ under FR–DZ",),
        ("name",),
        a.id,
    )


def test_acceptance_decisions_redact_nothing_and_read_third_party_schemes() -> None:
    a = agreement(DZ)
    c = ctx(a, agreement(MR))
    fr = Handling(classification="CONFIDENTIEL", scheme_owner=FR)  # DZ sends it in our scheme
    d = accept(P_DZ, "indicator", fr, c)
    assert (d.allow, d.redact, d.agreement_id) == (True, (), a.id)
    d = accept(P_DZ, "marking-definition", Handling(), c)
    assert (d.allow, d.redact) == (True, ())
    secret = Handling(classification="SECRET", scheme_owner=FR)
    d = accept(P_DZ, "indicator", secret, c)
    assert not d.allow and d.reasons[0].startswith("SECRET (FR) ≡ TRES SECRET (DZ) exceeds")


def test_schemes_are_learnt_past_an_agreement_this_node_is_not_party_to() -> None:
    """DZ and MR's own agreement (no FR in it) comes first: FR still learns MR's scheme
    from FR–MR, so MR's levels can be placed."""
    between = propose(
        proposer=DZ,
        name="DZ–MR",
        parties=[party(DZ), party(MR)],
        scope=Scope(frozenset({"indicator"}), frozenset(), frozenset()),
        max_classification={DZ: "SECRET", MR: "CONFIDENTIEL"},
        equivalence=[{DZ: "NC", MR: "NC"}, {DZ: "SECRET", MR: "CONFIDENTIEL"}],
        retention_days=30,
        valid_from=NOW - timedelta(days=10),
        valid_until=NOW + timedelta(days=10),
        now=NOW - timedelta(days=20),
    )
    between = sign(sign(between, DZ, KEYS[DZ]), MR, KEYS[MR])
    c = ctx(between, agreement(MR))
    assert c.scale.rank(MR, "CONFIDENTIEL") == FR_LEVELS.index("CONFIDENTIEL")


# --- main's fail-closed and definition rules (survivors of the run on the merged code) ----


def test_a_releasability_definition_goes_only_to_those_it_names() -> None:
    a = agreement(DZ)
    c = ctx(a)
    local = Provenance.local()
    mdef = "marking-definition--2"
    d = decide(P_DZ, "marking-definition", mdef, Handling(), local, c, names=frozenset({DZ, MR}))
    assert (d.allow, d.reasons, d.agreement_id) == (
        True,
        ("definition released to DZ under FR–DZ",),
        a.id,
    )
    d = decide(P_DZ, "marking-definition", mdef, Handling(), local, c, names=frozenset({MR}))
    assert d.allow is False and d.reasons == ("a releasability marking that does not name DZ",)


def test_a_marked_definition_is_not_held_to_the_agreements_scope() -> None:
    a = agreement(DZ, topics=("terrorism",), regions=("ML",))
    h = Handling(classification="NON CLASSIFIÉ", scheme_owner=FR, releasable_to=frozenset({DZ}))
    d = decide(P_DZ, "marking-definition", "marking-definition--3", h, Provenance.local(), ctx(a))
    assert d.allow and d.agreement_id == a.id
    d = decide(P_DZ, "indicator", OID, h, Provenance.local(), ctx(a))
    assert not d.allow  # an intelligence object is


def test_unknown_markings_withhold_the_object_naming_them() -> None:
    x = "marking-definition--00000000-0000-4000-8000-0000000000bb"
    y = "marking-definition--00000000-0000-4000-8000-0000000000aa"
    h = Handling(
        classification="NON CLASSIFIÉ",
        scheme_owner=FR,
        releasable_to=frozenset({DZ}),
        unresolved_markings=frozenset({x, y}),
    )
    d = decide(P_DZ, "indicator", OID, h, Provenance.local(), ctx(agreement(DZ)))
    assert d.allow is False
    assert d.reasons == (
        f"unknown marking {y}, {x}: withheld from partners until its definition arrives",
    )
