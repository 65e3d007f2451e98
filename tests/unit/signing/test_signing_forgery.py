"""A hostile partner against the verification of origin signatures, with the memos warm.

Verification remembers what it has already checked (decoded base64, verified roots,
the path states of verified inclusion proofs). Whatever it remembers, each object is
judged as a plain check would judge it: its leaf hash recomputed from its own bytes,
linked by its own proof to a root whose signature verifies. The attacks here are run
after every genuine object of the batches they borrow from was verified (memos
full), and before (memos empty), and a generated sequence of genuine and forged
objects is compared, object by object, with an independent reference verifier.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from typing import Any

import nacl.exceptions
import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison import merkle
from liaison.errors import SignatureError
from liaison.signing import SigningKey
from liaison.signing import objects as objects_module
from liaison.signing.canonical import canonical
from liaison.signing.objects import (
    SIGNATURE_EXT_ID,
    object_digest,
    sign_objects,
    strip_signature,
    verify_object,
)
from suite_support import examples

MR = "identity--6a1f7c3e-9d2b-4e8a-b1c5-3f7a9e2d4c10"
DZ = "identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30"
SIGNED_AT = "2026-03-01T06:00:00.000000Z"
MR_KEY = SigningKey.from_seed_b64(base64.b64encode(bytes(range(32))).decode())
DZ_KEY = SigningKey.from_seed_b64(base64.b64encode(bytes(range(5, 37))).decode())
RING = {
    MR: {MR_KEY.fingerprint: MR_KEY.public_key_b64},
    DZ: {DZ_KEY.fingerprint: DZ_KEY.public_key_b64},
}


def report(batch: int, n: int) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--3d6f0a52-8b1c-4e7a-{batch:04d}-{n:012d}",
        "created": "2026-03-01T06:00:00.000Z",
        "modified": "2026-03-01T06:00:00.000Z",
        "published": "2026-03-01T06:00:00.000Z",
        "name": f"Convoy {batch}/{n}",
        "report_types": ["threat-actor"],
        "object_refs": [MR],
    }


SIZES = (13, 13, 16, 5)
#: Four genuine batches of MR (two of the same size), one of DZ.
BATCHES = [
    sign_objects([report(b, n) for n in range(size)], MR_KEY, MR, SIGNED_AT)
    for b, size in enumerate(SIZES)
]
DZ_BATCH = sign_objects([report(9, n) for n in range(13)], DZ_KEY, DZ, SIGNED_AT)


def forget() -> None:
    """Empty every memo of the verification path."""
    for module in (objects_module, merkle):
        for name, value in vars(module).items():
            if name.startswith("_") and name.isupper() and isinstance(value, dict):
                value.clear()


def warm() -> None:
    for batch in (*BATCHES, DZ_BATCH):
        for o in batch:
            verify_object(copy.deepcopy(o), RING)


def sig(o: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = o["extensions"][SIGNATURE_EXT_ID]
    return out


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def tree_of(leaves: list[bytes]) -> tuple[bytes, Callable[[int], list[bytes]]]:
    get = merkle.subtree_hash_from_leaves(leaves)
    return merkle.root(leaves), lambda i: merkle.inclusion_proof(i, len(leaves), get)


def hostile_batch(forged: dict[str, Any], borrowed: list[bytes]) -> tuple[bytes, list[str]]:
    """A tree whose first leaf is ``forged`` and whose other leaves are genuine nodes of
    an MR batch: its root and the forged object's proof (no valid MR signature)."""
    root, proof = tree_of([object_digest(forged), *borrowed])
    return root, [b64(h) for h in proof(0)]


# --- each attack: a function of a fresh copy of genuine objects -> the forged object ------


def tampered(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    o["name"] += "!"
    return o


def proof_of_another_batch(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["proof"] = sig(b[3])["proof"]
    return o


def root_of_another_batch(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["batch_root"] = sig(b[3])["batch_root"]
    return o


def statement_of_another_batch(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["batch_root"], sig(o)["signature"] = sig(b[3])["batch_root"], sig(b[3])["signature"]
    return o


def content_of_another_batch(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """B's object carrying A's whole signature extension for the same index."""
    o = b[3]
    o["extensions"][SIGNATURE_EXT_ID] = copy.deepcopy(sig(a[3]))
    return o


def mixed_proof(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """The lower half of the path from A, the upper half from B (and each way round)."""
    o = a[3]
    pa, pb = sig(a[3])["proof"], sig(b[3])["proof"]
    sig(o)["proof"] = pa[:2] + pb[2:]
    return o


def mixed_proof_upper(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    pa, pb = sig(a[3])["proof"], sig(b[3])["proof"]
    sig(o)["proof"] = pb[:1] + pa[1:]
    return o


def sibling_position(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["index"] = 2
    return o


def sibling_proof(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """Its sibling's proof (which shares every element but the first)."""
    o = a[3]
    sig(o)["proof"] = sig(a[2])["proof"]
    return o


def sibling_leaf_as_own(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """A forged object at index 3 whose proof names the genuine leaf 3 as its sibling."""
    o = copy.deepcopy(a[3])
    o["name"] = "forged"
    sig(o)["proof"] = [b64(object_digest(a[3])), *sig(a[3])["proof"][1:]]
    return o


def upper_node_as_leaf(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """A genuine object presented one level up: its proof without the first element."""
    o = a[3]
    sig(o)["proof"] = sig(o)["proof"][1:]
    sig(o)["index"] = 1
    return o


def other_size(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["batch_size"] = 14
    return o


def longer_proof(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["proof"] = [*sig(o)["proof"], sig(o)["proof"][-1]]
    return o


def shorter_proof(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["proof"] = sig(o)["proof"][:-1]
    return o


def signature_of_another_batch(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["signature"] = sig(b[3])["signature"]
    return o


def hostile_tree_claimed_as_mr(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """A forged object in a tree built over genuine MR nodes, claiming MR's signature of
    A's root: the tree is the partner's, the root is not A's."""
    forged = {**report(0, 3), "name": "forged"}
    root, proof = hostile_batch(forged, [object_digest(x) for x in a[:7]])
    o = copy.deepcopy(forged)
    o["extensions"] = {SIGNATURE_EXT_ID: {**sig(a[3]), "index": 0, "batch_size": 8}}
    sig(o)["batch_root"], sig(o)["proof"] = b64(root), proof
    return o


def hostile_tree_signed_by_partner_as_mr(
    a: list[dict[str, Any]], b: list[dict[str, Any]]
) -> dict[str, Any]:
    """The partner signs its own tree with its own key, naming MR as signer."""
    forged = {**report(0, 3), "name": "forged"}
    (o,) = sign_objects([forged], DZ_KEY, MR, SIGNED_AT)
    return o


def partner_key_claimed(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    o = a[3]
    sig(o)["key"] = DZ_KEY.fingerprint
    return o


ATTACKS: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "tampered": (tampered, "altered"),
    "proof-of-another-batch": (proof_of_another_batch, "altered"),
    "root-of-another-batch": (root_of_another_batch, "altered"),
    "statement-of-another-batch": (statement_of_another_batch, "altered"),
    "content-of-another-batch": (content_of_another_batch, "altered"),
    "mixed-proof": (mixed_proof, "altered"),
    "mixed-proof-upper": (mixed_proof_upper, "altered"),
    "sibling-position": (sibling_position, "altered"),
    "sibling-proof": (sibling_proof, "altered"),
    "sibling-leaf-as-own": (sibling_leaf_as_own, "altered"),
    "upper-node-as-leaf": (upper_node_as_leaf, "altered"),
    "other-size": (other_size, "altered|does not verify"),
    "longer-proof": (longer_proof, "altered"),
    "shorter-proof": (shorter_proof, "altered"),
    "signature-of-another-batch": (signature_of_another_batch, "does not verify"),
    "hostile-tree": (hostile_tree_claimed_as_mr, "does not verify"),
    "partner-key-as-mr": (hostile_tree_signed_by_partner_as_mr, "not a known key"),
    "partner-key-claimed": (partner_key_claimed, "not a known key"),
}


@pytest.mark.parametrize("memos", ["cold", "warm", "warm-twice"])
@pytest.mark.parametrize(("a", "b"), [(0, 1), (1, 0), (0, 2), (2, 3)])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forgeries_are_refused_whatever_was_verified_before(
    attack: str, a: int, b: int, memos: str
) -> None:
    make, reason = ATTACKS[attack]
    forget()
    if memos != "cold":
        warm()
    forged = make(copy.deepcopy(BATCHES[a]), copy.deepcopy(BATCHES[b]))
    for _ in range(2 if memos == "warm-twice" else 1):
        with pytest.raises(SignatureError, match=reason):
            verify_object(forged, RING)
    # ... and refusing it forgot nothing it should not have remembered either
    for o in BATCHES[a]:
        assert verify_object(copy.deepcopy(o), RING).signer == MR


def test_a_hostile_tree_verified_first_poisons_nothing() -> None:
    """A partner's tree over genuine MR nodes: its (unsigned) inclusion proofs are
    checked before its signature; what that leaves in the memos vouches for nothing."""
    forget()
    a = BATCHES[0]
    leaves = [object_digest(x) for x in a]
    forged = {**report(0, 3), "name": "forged"}
    hostile_leaves = [leaves[0], leaves[1], leaves[2], object_digest(forged), *leaves[4:]]
    root, proof = tree_of(hostile_leaves)
    o = copy.deepcopy(forged)
    o["extensions"] = {
        SIGNATURE_EXT_ID: {
            **sig(a[3]),
            "batch_root": b64(root),
            "proof": [b64(h) for h in proof(3)],
        }
    }
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(o, RING)
    # the same forged object under A's genuine root and signature, with A's proof or the
    # hostile one, is still not in A
    for p in (sig(a[3])["proof"], [b64(h) for h in proof(3)]):
        o2 = copy.deepcopy(o)
        sig(o2)["batch_root"], sig(o2)["signature"], sig(o2)["proof"] = (
            sig(a[3])["batch_root"],
            sig(a[3])["signature"],
            p,
        )
        with pytest.raises(SignatureError, match="altered"):
            verify_object(o2, RING)
    warm()
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(o, RING)


def test_an_objects_proof_changed_after_it_verified_vouches_for_nothing() -> None:
    """What is remembered of a verified object is a copy: changing the object's proof
    list afterwards does not make the changed path pass for a verified one."""
    forget()
    a = copy.deepcopy(BATCHES[0])
    garbage = b64(b"\x07" * 32)
    assert verify_object(a[2], RING).signer == MR
    sig(a[2])["proof"][-1] = garbage  # the verified object's own list, changed in place
    forged = a[3]
    sig(forged)["proof"][-1] = garbage
    with pytest.raises(SignatureError, match="altered"):
        verify_object(forged, RING)


def test_a_proof_list_changed_after_it_verified_is_checked_again() -> None:
    """The memo keeps its own copy of what it verified, not the caller's list."""
    forget()
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(9)]
    root, proof_of = tree_of(leaves)
    proof = proof_of(4)
    assert merkle.verify_inclusion(leaves[4], 4, 9, proof, root)
    proof[-1] = b"\x00" * 32
    assert not merkle.verify_inclusion(leaves[4], 4, 9, proof, root)
    for i in range(9):
        assert merkle.verify_inclusion(leaves[i], i, 9, proof_of(i), root)


# --- generated sequences against an independent reference verifier ----------------------


def reference(obj: dict[str, Any]) -> str:
    """'ok', or the kind of refusal, computed without any of the production memos."""
    s = sig(obj)
    if not 0 <= s["index"] < s["batch_size"]:
        return "bad proof position"
    keys = RING.get(s["signer"], {})
    if s["key"] not in keys:
        return "not a known key"
    leaf = hashlib.sha256(b"\x00" + canonical(strip_signature(obj))).digest()
    proof = [base64.b64decode(h) for h in s.get("proof", [])]
    index, size = s["index"], s["batch_size"]
    fn, sn, r = index, size - 1, leaf
    ok = 0 <= index < size
    for p in proof:
        if sn == 0:
            ok = False
            break
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if not (ok and sn == 0 and r == base64.b64decode(s["batch_root"])):
        return "altered"
    statement = {k: s[k] for k in ("alg", "batch_root", "batch_size", "key", "signed", "signer")}
    vk = nacl.signing.VerifyKey(base64.b64decode(keys[s["key"]]))
    try:
        vk.verify(canonical(statement), base64.b64decode(s["signature"]))
    except nacl.exceptions.BadSignatureError:
        return "does not verify"
    return "ok"


def outcome(obj: dict[str, Any]) -> str:
    try:
        verify_object(obj, RING)
    except SignatureError as exc:
        for kind in ("bad proof position", "not a known key", "altered", "does not verify"):
            if kind in str(exc):
                return kind
        return str(exc)
    return "ok"


ALL = [*BATCHES, DZ_BATCH]
PICK = st.tuples(st.integers(0, len(ALL) - 1), st.integers(0, 15))
FIELDS = ("proof", "batch_root", "signature", "index", "batch_size", "name", "proof-element")


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    bi, oi = draw(PICK)
    o = copy.deepcopy(ALL[bi][oi % len(ALL[bi])])
    for _ in range(draw(st.integers(0, 2))):
        field = draw(st.sampled_from(FIELDS))
        dj, dk = draw(PICK)
        donor = ALL[dj][dk % len(ALL[dj])]
        if field == "name":
            o["name"] = donor["name"]
        elif field == "proof-element":
            p, q = sig(o).get("proof", []), sig(donor).get("proof", [])
            if p and q:
                i = draw(st.integers(0, len(p) - 1))
                sig(o)["proof"] = [*p[:i], q[min(i, len(q) - 1)], *p[i + 1 :]]
        elif field == "proof":
            if "proof" in sig(donor):
                sig(o)["proof"] = list(sig(donor)["proof"])
        else:
            sig(o)[field] = sig(donor)[field]
    return o


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(steps(), min_size=1, max_size=40), st.booleans())
def test_verification_agrees_with_a_reference_over_any_sequence(
    sequence: list[dict[str, Any]], warm_first: bool
) -> None:
    forget()
    if warm_first:
        warm()
    for o in sequence:
        assert outcome(o) == reference(o), o["id"]


class Sub(str):
    """A string subclass that says it equals anything (never from JSON)."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


ODD_VALUES = st.sampled_from(
    [None, 0, 1, -1, 2**70, True, 1.0, "", "AAAA", "%%%", [], {}, ["AAAA"], ("x",), Sub("x")]
)
ODD_FIELDS = st.sampled_from(
    ["proof", "batch_root", "signature", "index", "batch_size", "alg", "signer", "key",
     "signed", "origin", "extension_type"]
)  # fmt: skip


@st.composite
def odd_steps(draw: st.DrawFn) -> dict[str, Any]:
    """Genuine or forged objects (``steps``), some with a field of an odd type or
    value, a field missing, or a proof element swapped for a string subclass."""
    o = draw(steps())
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["odd", "drop", "sub-element", "tuple-proof"]))
        field = draw(ODD_FIELDS)
        if kind == "odd":
            sig(o)[field] = draw(ODD_VALUES)
        elif kind == "drop":
            sig(o).pop(field, None)
        elif kind == "sub-element" and isinstance(sig(o).get("proof"), list) and sig(o)["proof"]:
            i = draw(st.integers(0, len(sig(o)["proof"]) - 1))
            sig(o)["proof"][i] = Sub(draw(st.sampled_from([sig(o)["proof"][i], b64(b"\0" * 32)])))
        elif kind == "tuple-proof" and isinstance(sig(o).get("proof"), list):
            sig(o)["proof"] = tuple(sig(o)["proof"])
    return o


def strict_outcome(obj: dict[str, Any]) -> str:
    try:
        info = objects_module._verify_object(obj, objects_module.signature_of(obj), RING, None)
    except SignatureError as exc:
        return str(exc)
    return repr(info)


def quick_outcome(obj: dict[str, Any]) -> str:
    try:
        info = verify_object(obj, RING)
    except SignatureError as exc:
        return str(exc)
    return repr(info)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(odd_steps(), min_size=1, max_size=30), st.booleans())
def test_the_quick_path_answers_as_the_strict_one(
    sequence: list[dict[str, Any]], warm_first: bool
) -> None:
    """``verify_object`` (remembering, decoding only what it hashes) gives exactly the
    answer -- or the refusal, word for word -- of the plain check of every field."""
    forget()
    if warm_first:
        warm()
    for o in sequence:
        quick = quick_outcome(o)
        assert quick == strict_outcome(o)
        assert quick_outcome(o) == quick  # and again, with what it just remembered
