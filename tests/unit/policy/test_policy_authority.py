"""Write authority (ADR 0005), rule by rule: ``authorize`` and ``definition_body``.

Each rule is shown on both sides, with the exact refusal text, so that changing any
comparison or branch of ``policy/authority.py`` fails a test here (docs/mutation.md).
The property test ``tests/integration/security/test_write_invariant.py`` checks the
invariant end to end; these pin the rules themselves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_world import DZ, FR, FR_LEVELS, KEYS, MR, NE, NOW, agreement

from liaison.agreements import grant, request
from liaison.agreements.consent import Consent
from liaison.markings import Handling
from liaison.markings.extensions import (
    CLASSIFICATION_EXT_ID,
    LIAISON_EXTENSION_DEFINITIONS,
    classification_marking,
    releasability_marking,
)
from liaison.markings.tlp import official_tlp, tlp_id
from liaison.policy import Party, PolicyContext
from liaison.policy.authority import (
    RESERVED_EXTENSIONS,
    Authorities,
    Authority,
    Write,
    authorize,
    definition_body,
)
from liaison.signing import canonical
from liaison.signing.objects import SIGNATURE_EXT_ID
from suite_support import examples

OID = "indicator--00000000-0000-4000-8000-000000000001"
P_DZ = Party(DZ, "DZ")
LOCAL = Party("identity--00000000-0000-4000-8000-00000000c1e7", "analyst", internal=True)
REL_FR = Handling(releasable_to=frozenset({FR}))
SIG = {SIGNATURE_EXT_ID: {"signature": "anything: strip_signature drops it"}}


def _consent(obj: str = OID, originator: str = MR, recipient: str = FR) -> Consent:
    req = request(obj, originator=originator, recipient=recipient, requester=DZ,
                  requester_key=KEYS[DZ], now=NOW - timedelta(days=2))  # fmt: skip
    return grant(req, KEYS[originator], now=NOW - timedelta(days=1))


def ctx(*consents: Consent) -> PolicyContext:
    return PolicyContext(FR, FR_LEVELS, (agreement(DZ), agreement(MR)), consents, NOW)


CTX = ctx()
CONSENTED = ctx(_consent())


def write(**kw: Any) -> Write:
    """DZ sends its own indicator, signed by DZ, never held here."""
    base = Write(object_id=OID, obj_type="indicator", version_key="v1", sender=P_DZ,
                 signer=DZ, origin=DZ, created_by=None, handling=Handling())  # fmt: skip
    return replace(base, **kw)


def refused(reason: str) -> Authority:
    return Authority(False, (reason,))


# --- definition_body --------------------------------------------------------------------


def test_definition_body_is_the_canonical_form_without_the_origin_signature() -> None:
    md = classification_marking("SECRET", MR)
    assert definition_body(md) == canonical(md)
    signed = {**md, "extensions": {**md["extensions"], **SIG}}
    assert definition_body(signed) == canonical(md)
    assert definition_body({**md, "name": "other"}) != definition_body(md)


# --- origin: a partner's own object, a relay, this node's own object --------------------


def test_a_partners_own_object_is_its_own() -> None:
    assert authorize(write(), CTX) == Authority(True, ("DZ's own object",), DZ, frozenset({DZ}))


def test_an_object_signed_by_neither_the_originator_nor_the_sender_is_refused() -> None:
    # MR signs DZ's object: MR is not its originator, and DZ does not vouch for it.
    assert authorize(write(signer=MR), CTX) == refused(
        "signed by MR for DZ: neither the originator nor DZ vouches for it"
    )
    got = authorize(write(signer=MR, origin=NE), CTX)  # NE is unknown here: named by its id
    assert got == refused(f"signed by MR for {NE}: neither the originator nor DZ vouches for it")


def test_this_nodes_own_version_comes_back_only_as_a_copy_of_one_held() -> None:
    mine = write(signer=FR, origin=FR, held=frozenset({"v0", "v1"}))
    assert authorize(mine, CTX) == Authority(
        True, ("this node's own version, already held",), FR, copy_only=True
    )
    # a copy is nothing to store: whoever the store names as owner
    assert authorize(replace(mine, owner=MR), CTX).allow
    assert authorize(replace(mine, held=frozenset({"v0"})), CTX) == refused(
        "this node's own object, in a version it does not hold: not taken from DZ"
    )
    assert not authorize(replace(mine, held=frozenset()), CTX).allow
    # signed by the sender for this node: same rule
    assert not authorize(write(signer=DZ, origin=FR), CTX).allow


def test_a_relay_needs_the_originators_consent_to_release_it_to_this_node() -> None:
    relay = write(signer=MR, origin=MR, handling=REL_FR)
    assert authorize(relay, CTX) == refused(
        "relayed by DZ: MR's object, without MR's signed consent to release it to this node"
    )
    ok = Authority(True, ("MR's object relayed by DZ with MR's consent",), MR, frozenset({MR, DZ}))
    assert authorize(relay, CONSENTED) == ok
    # signed by the sender instead of the originator: the sender vouches for it
    assert authorize(replace(relay, signer=DZ), CONSENTED) == ok


@pytest.mark.parametrize(
    "consent",
    [
        _consent(obj="indicator--00000000-0000-4000-8000-000000000002"),  # another object
        _consent(recipient=DZ),  # released to the sender, not to this node
        _consent(originator=DZ, recipient=FR),  # the sender's consent, not the originator's
    ],
    ids=["other-object", "other-recipient", "other-originator"],
)
def test_a_consent_about_something_else_does_not_count(consent: Consent) -> None:
    relay = write(signer=MR, origin=MR, handling=REL_FR)
    assert authorize(relay, ctx(consent)).reasons == (
        "relayed by DZ: MR's object, without MR's signed consent to release it to this node",
    )


@pytest.mark.parametrize(
    "h",
    [Handling(), Handling(releasable_to=frozenset()), Handling(releasable_to=frozenset({DZ, MR}))],
    ids=["no-rel", "rel-nobody", "rel-others"],
)
def test_a_consented_relay_still_needs_markings_releasing_it_to_this_node(h: Handling) -> None:
    relay = write(signer=MR, origin=MR, handling=h)
    assert authorize(relay, CONSENTED) == refused(
        "relayed by DZ: MR's markings do not release it to this node"
    )


@pytest.mark.parametrize("obj_type", ["marking-definition", "extension-definition"])
def test_an_unmarked_definition_is_relayed_without_consent(obj_type: str) -> None:
    oid = f"{obj_type}--00000000-0000-4000-8000-000000000003"
    relay = write(object_id=oid, obj_type=obj_type, signer=MR, origin=MR)
    assert authorize(relay, CTX) == Authority(
        True, ("MR's definition relayed by DZ",), MR, frozenset({MR, DZ})
    )


@pytest.mark.parametrize(
    "h",
    [
        Handling(tlp="clear"),
        Handling(releasable_to=frozenset({FR})),
        Handling(classification="NC", scheme_owner=MR),
    ],
    ids=["tlp", "rel", "classification"],
)
def test_a_marked_definition_is_relayed_like_any_object(h: Handling) -> None:
    oid = "marking-definition--00000000-0000-4000-8000-000000000003"
    relay = write(object_id=oid, obj_type="marking-definition", signer=MR, origin=MR, handling=h)
    assert authorize(relay, CTX).reasons == (
        "relayed by DZ: MR's object, without MR's signed consent to release it to this node",
    )


def test_an_unmarked_object_that_is_no_definition_needs_consent() -> None:
    assert not authorize(write(signer=MR, origin=MR), CTX).allow


# --- origin: a local client ------------------------------------------------------------


def test_a_local_client_creates_this_nodes_objects() -> None:
    mine = write(sender=LOCAL, signer=FR, origin=FR)
    assert authorize(mine, CTX) == Authority(True, ("created by this node",), FR)
    # the version rule holds for them too: an id first held from DZ stays DZ's
    assert authorize(replace(mine, owner=FR), CTX).allow
    assert authorize(replace(mine, owner=DZ), CTX) == refused(
        f"{OID} belongs to another originator: only it may version it"
    )


def test_a_local_client_reposts_a_partners_signed_object_as_the_partners() -> None:
    repost = write(sender=LOCAL, signer=MR, origin=MR)
    assert authorize(repost, CTX) == Authority(
        True, ("MR's object, re-posted unchanged",), MR, frozenset({MR})
    )
    # signed by a third party for the originator: both are its provenance
    assert authorize(replace(repost, signer=DZ), CTX).origins == frozenset({MR, DZ})
    # signed by this node for the originator (a redacted copy): not this node's material
    assert authorize(replace(repost, signer=FR), CTX).origins == frozenset({MR})
    # ... but never versions it when the id belongs to someone else
    assert authorize(replace(repost, owner=MR), CTX).allow
    assert authorize(replace(repost, owner=FR), CTX) == refused(
        f"{OID} belongs to another originator: only it may version it"
    )


# --- only the originator versions an id ------------------------------------------------


def test_only_the_originator_of_an_id_versions_it() -> None:
    assert authorize(write(owner=DZ), CTX).allow
    assert authorize(write(owner=None), CTX).allow
    assert authorize(write(owner=MR), CTX) == refused(
        f"{OID} belongs to another originator: only it may version it"
    )
    # a consented relay is the originator's version, not the sender's
    relay = write(signer=MR, origin=MR, handling=REL_FR)
    assert authorize(replace(relay, owner=MR), CONSENTED).allow
    assert not authorize(replace(relay, owner=DZ), CONSENTED).allow


def test_a_refusal_of_origin_comes_first_and_alone() -> None:
    got = authorize(write(signer=MR, owner=NE, created_by=NE), CTX)
    assert got.reasons == ("signed by MR for DZ: neither the originator nor DZ vouches for it",)


def test_marking_definitions_are_bound_to_content_not_to_an_owner() -> None:
    md = classification_marking("SECRET", MR)
    same = write(object_id=md["id"], obj_type="marking-definition", body=md, owner=MR,
                 held_definition=definition_body(md))  # fmt: skip
    assert authorize(same, CTX).allow
    # an extension-definition is versioned by its originator only, like any object
    ext = "extension-definition--00000000-0000-4000-8000-000000000004"
    other = write(object_id=ext, obj_type="extension-definition", owner=MR)
    assert authorize(other, CTX) == refused(
        f"{ext} belongs to another originator: only it may version it"
    )


# --- created_by_ref names the originator -----------------------------------------------


def test_a_partners_object_names_its_originator_as_author() -> None:
    assert authorize(write(created_by=DZ), CTX).allow
    assert authorize(write(created_by=MR), CTX) == refused(
        "created_by_ref names MR, but the object is DZ's"
    )
    assert authorize(write(created_by=NE), CTX).reasons == (
        f"created_by_ref names {NE}, but the object is DZ's",
    )


def test_a_local_client_keeps_unknown_authors_but_never_names_a_known_party() -> None:
    public = "identity--00000000-0000-4000-8000-0000000000ff"  # a public feed's author
    mine = write(sender=LOCAL, signer=FR, origin=FR)
    assert authorize(replace(mine, created_by=public), CTX, known=frozenset({DZ})).allow
    assert authorize(replace(mine, created_by=FR), CTX).allow
    assert authorize(replace(mine, created_by=DZ), CTX, known=frozenset({DZ})) == refused(
        "a local client may not attribute FR's object to DZ"
    )
    assert authorize(replace(mine, created_by=DZ), CTX).allow  # DZ not known: a feed's author
    repost = write(sender=LOCAL, signer=MR, origin=MR)
    assert authorize(replace(repost, created_by=FR), CTX) == refused(
        "a local client may not attribute MR's object to FR"
    )
    assert authorize(replace(repost, created_by=MR), CTX, known=frozenset({MR})).allow


def test_an_authorship_refusal_is_not_hidden_by_a_valid_definition() -> None:
    md = classification_marking("SECRET", DZ)
    w = write(object_id=md["id"], obj_type="marking-definition", body=md, created_by=MR)
    assert authorize(w, CTX) == refused("created_by_ref names MR, but the object is DZ's")


# --- definitions: immutable, content-bound, this node's scheme, Liaison's own ------------


def _md(md: dict[str, Any], **kw: Any) -> Write:
    return write(object_id=md["id"], obj_type="marking-definition", body=md, **kw)


def test_a_held_definition_never_changes() -> None:
    md = classification_marking("SECRET", DZ)
    held = definition_body(md)
    assert authorize(_md(md, held_definition=held), CTX).allow
    signed = {**md, "extensions": {**md["extensions"], **SIG}}
    assert authorize(_md(signed, held_definition=held), CTX).allow
    changed = {**md, "name": "SECRET!"}
    assert authorize(_md(changed, held_definition=held), CTX) == refused(
        f"{md['id']} is held with other content; definitions never change"
    )


def test_a_held_definition_is_compared_not_checked_again() -> None:
    # what is held was checked when it arrived; the same body again is only a copy
    forged = {**classification_marking("SECRET", DZ), "id": "marking-definition--0"}
    assert authorize(_md(forged, held_definition=definition_body(forged)), CTX).allow
    bare = write(object_id="extension-definition--x", obj_type="extension-definition")
    assert authorize(replace(bare, held_definition=definition_body({})), CTX).allow
    assert not authorize(replace(bare, held_definition=b"{}x"), CTX).allow


def test_a_new_marking_definition_must_be_what_its_id_says() -> None:
    md = classification_marking("SECRET", DZ)
    assert authorize(_md(md), CTX).allow
    forged = {**md, "id": classification_marking("NC", DZ)["id"]}
    assert authorize(_md(forged), CTX) == refused(
        f"{forged['id']}: the id does not match the marking's content (a forged definition)"
    )
    red = official_tlp(tlp_id("red"))
    assert red is not None
    assert authorize(_md(red), CTX).allow
    # the origin signature is not part of the definition
    signed = {**red, "extensions": {**red["extensions"], **SIG}}
    assert authorize(_md(signed), CTX).allow
    bent = {**red, "name": "TLP:CLEAR"}
    assert authorize(_md(bent), CTX) == refused(
        f"{red['id']} is the official TLP:RED definition; this one differs"
    )
    rel = releasability_marking([DZ, FR])
    assert authorize(_md(rel), CTX).allow


def test_only_this_node_defines_levels_of_its_own_scheme() -> None:
    ours = classification_marking("SECRET", FR)
    assert authorize(_md(ours), CTX) == refused(
        "DZ may not define levels of this node's classification scheme"
    )
    assert authorize(_md(ours, sender=LOCAL, signer=FR, origin=FR), CTX).allow
    assert authorize(_md(classification_marking("SECRET", MR)), CTX).allow
    assert CLASSIFICATION_EXT_ID in ours["extensions"]


def test_liaisons_own_extension_definitions_come_only_from_here() -> None:
    assert set(RESERVED_EXTENSIONS) == {d["id"] for d in LIAISON_EXTENSION_DEFINITIONS}
    d = LIAISON_EXTENSION_DEFINITIONS[0]
    ext = write(object_id=d["id"], obj_type="extension-definition", body=d)
    assert authorize(ext, CTX) == refused(
        f"{d['id']} is one of Liaison's own extension-definitions"
    )
    local = replace(ext, sender=LOCAL, signer=FR, origin=FR)
    assert authorize(local, CTX).allow
    signed = {**d, "extensions": {**d.get("extensions", {}), **SIG}}
    assert authorize(replace(local, body=signed), CTX).allow
    assert authorize(replace(local, body={**d, "name": "other"}), CTX) == refused(
        f"{d['id']} is Liaison's own extension-definition; this one differs"
    )
    # a partner's own extension-definitions are its business
    theirs = write(object_id="extension-definition--00000000-0000-4000-8000-000000000005",
                   obj_type="extension-definition", body={"name": "dz-ext"})  # fmt: skip
    assert authorize(theirs, CTX).allow


# --- one batch: the common answers decided once (issue #15) -----------------------------
_WHO = [None, DZ, MR, FR, NE]
_IDS = [OID, "indicator--00000000-0000-4000-8000-000000000002", next(iter(RESERVED_EXTENSIONS))]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.sampled_from([P_DZ, Party(MR, "MR"), LOCAL, Party(FR, "FR")]),
    st.sampled_from([CTX, CONSENTED]),
    st.lists(
        st.fixed_dictionaries(
            {
                "object_id": st.sampled_from(_IDS),
                "obj_type": st.sampled_from(
                    ["indicator", "report", "marking-definition", "extension-definition"]
                ),
                "version_key": st.sampled_from(["v0", "v1"]),
                "signer": st.sampled_from(_WHO[1:]),
                "origin": st.sampled_from(_WHO[1:]),
                "created_by": st.sampled_from(_WHO),
                "handling": st.sampled_from([Handling(), REL_FR]),
                "owner": st.sampled_from(_WHO),
                "held": st.sampled_from([frozenset(), frozenset({"v1"})]),
            }
        ),
        max_size=12,
    ),
    st.sampled_from([frozenset(), frozenset({MR, NE})]),
)
def test_authorities_of_a_batch_answer_as_authorize(
    sender: Party, context: PolicyContext, writes: list[dict[str, Any]], known: frozenset[str]
) -> None:
    """Each version of a batch, in turn: ``Authorities`` answers what ``authorize``
    answers (a remembered answer included), for every sender, rule and fact."""
    batch = Authorities(sender, context, known)
    for fields in writes:
        first = replace(write(), sender=sender, **fields)
        # then versions with the same four facts and all else different
        others = [
            replace(first, object_id=i, handling=h, held=held, version_key=v, obj_type=t)
            for i in _IDS
            for h in (Handling(), REL_FR)
            for held in (frozenset(), frozenset({"v1"}))
            for v in ("v0", "v1")
            for t in ("indicator", "marking-definition")
        ]
        for w in (first, *others):
            expected = authorize(w, context, known=known)
            early = batch.remembered(w.obj_type, w.signer, w.origin, w.owner, w.created_by)
            if early is not None:
                assert early == expected
            assert batch(w) == expected


def test_authorities_remember_only_allowed_answers_that_read_no_more() -> None:
    local = Authorities(LOCAL, CTX, frozenset())
    mine = write(sender=LOCAL, signer=FR, origin=FR)
    assert local.remembered("indicator", FR, FR, None, None) is None
    assert local(mine).allow
    assert local.remembered("report", FR, FR, None, None) == authorize(mine, CTX)
    assert local.remembered("indicator", FR, FR, DZ, None) is None  # another owner
    assert local.remembered("marking-definition", FR, FR, None, None) is None
    # a refusal is never remembered: its reason names the object
    owned = replace(mine, owner=DZ)
    assert not local(owned).allow
    assert local.remembered("indicator", FR, FR, DZ, None) is None
    # from a partner: a relay, or this node's own object, depends on the version
    partner = Authorities(P_DZ, CONSENTED, frozenset())
    relay = write(signer=MR, origin=MR, handling=REL_FR)
    assert partner(relay).allow
    assert partner.remembered("indicator", MR, MR, None, None) is None
    back = write(signer=FR, origin=FR, held=frozenset({"v1"}))
    assert partner(back).allow
    assert partner.remembered("indicator", FR, FR, None, None) is None
    with pytest.raises(ValueError, match="another sender"):
        partner(mine)
