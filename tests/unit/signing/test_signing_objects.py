"""Origin signatures inside STIX objects: batch Merkle root, one object verifies alone."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liaison.signing.objects as objects_module
from liaison.errors import InvalidInputError, SignatureError
from liaison.markings import source_grading
from liaison.merkle import inclusion_proof, leaf_hash, root, subtree_hash_from_leaves
from liaison.signing import SigningKey
from liaison.signing.canonical import canonical
from liaison.signing.objects import (
    SIGNATURE_EXT_ID,
    Keyring,
    canonical_unsigned,
    object_digest,
    sign_objects,
    signature_of,
    strip_signature,
    verify_object,
)
from suite_support import examples

MR = "identity--6a1f7c3e-9d2b-4e8a-b1c5-3f7a9e2d4c10"
DZ = "identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30"
SIGNED_AT = "2026-03-01T06:00:00.000000Z"


def report(n: int = 0) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--3d6f0a52-8b1c-4e7a-9f5e-{n:012d}",
        "created": "2026-03-01T06:00:00.000Z",
        "modified": "2026-03-01T06:00:00.000Z",
        "published": "2026-03-01T06:00:00.000Z",
        "created_by_ref": MR,
        "name": f"Convoi signalé près de Tessalit n°{n}",
        "description": "قافلة من أربع سيارات رباعية الدفع. Convoy of four pick-ups, 12 rifles.",
        "report_types": ["threat-actor"],
        "object_refs": [MR],
        "confidence": 70,
        "x_liaison_topics": ["terrorism"],
        "x_liaison_regions": ["ML"],
        "extensions": source_grading("B", "2", description="TIGRE-7"),
    }


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def ring(key: SigningKey) -> Keyring:
    return {MR: {key.fingerprint: key.public_key_b64}}


def signed(key: SigningKey, n: int = 3) -> list[dict[str, Any]]:
    return sign_objects([report(i) for i in range(n)], key, MR, SIGNED_AT)


def test_round_trip(key: SigningKey, ring: Keyring) -> None:
    objs = signed(key, 5)
    for i, o in enumerate(objs):
        info = verify_object(o, ring)
        assert (info.signer, info.key_fingerprint, info.signed) == (MR, key.fingerprint, SIGNED_AT)
        assert strip_signature(o) == report(i)  # the signature is all that was added
        again = orjson.loads(orjson.dumps(dict(reversed(list(o.items())))))  # any key order
        verify_object(again, ring)
    # other extensions stay beside the signature
    assert set(objs[0]["extensions"]) == {SIGNATURE_EXT_ID, *report(0)["extensions"]}


def test_signing_again_replaces_the_old_signature(key: SigningKey, ring: Keyring) -> None:
    other = SigningKey.generate()
    first = sign_objects([report(1)], other, DZ, SIGNED_AT)[0]
    second = sign_objects([first], key, MR, SIGNED_AT)[0]
    assert verify_object(second, ring).signer == MR
    assert object_digest(first) == object_digest(second) == object_digest(report(1))


@pytest.mark.parametrize("size", range(1, 41))
def test_batch_sizes_each_object_verifies_alone(key: SigningKey, ring: Keyring, size: int) -> None:
    objs = signed(key, size)
    roots = {signature_of(o)["batch_root"] for o in objs}  # type: ignore[index]
    assert len(roots) == 1
    for i, o in enumerate(objs):
        sig = signature_of(o)
        assert sig is not None and sig["index"] == i and sig["batch_size"] == size
        depth, proof = (size - 1).bit_length(), sig.get("proof", [])
        assert len(proof) <= depth and (size & (size - 1) or len(proof) == depth)
        assert "proof" in sig or size == 1  # never an empty list (invalid STIX)
        verify_object(copy.deepcopy(o), ring)
    if size > 1:  # one object's proof does not fit another's position
        a, b = copy.deepcopy(objs[0]), objs[-1]
        a["extensions"][SIGNATURE_EXT_ID]["index"] = b["extensions"][SIGNATURE_EXT_ID]["index"]
        with pytest.raises(SignatureError, match="altered"):
            verify_object(a, ring)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k != SIGNATURE_EXT_ID:
                yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def _variants(value: Any) -> Iterator[Any]:
    """Every one-character change of a string; a changed number or flag."""
    if isinstance(value, str):
        for i, ch in enumerate(value):
            yield value[:i] + ("x" if ch != "x" else "y") + value[i + 1 :]
        yield value + " "
    elif isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield value + 1
        yield float(value) + 0.5


def test_any_changed_byte_of_any_property_is_altered(key: SigningKey, ring: Keyring) -> None:
    obj = signed(key, 7)[4]
    checked = 0
    for path, value in list(_leaves(obj)):
        for changed in _variants(value):
            bad = copy.deepcopy(obj)
            _set(bad, path, changed)
            with pytest.raises(SignatureError, match="altered") as exc:
                verify_object(bad, ring)
            assert obj["id"] in str(exc.value) or path == ("id",)
            checked += 1
    assert checked > 300


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.update(x_added="injected"),
        lambda o: o.pop("description"),
        lambda o: o["extensions"].pop(next(k for k in o["extensions"] if k != SIGNATURE_EXT_ID)),
        lambda o: o["object_refs"].append(DZ),
        lambda o: o["report_types"].clear(),
        lambda o: o.update(confidence=70.0001),
        lambda o: o["extensions"][SIGNATURE_EXT_ID].update(index=5),
        lambda o: o["extensions"][SIGNATURE_EXT_ID].update(batch_root="A" * 44),
        lambda o: o["extensions"][SIGNATURE_EXT_ID]["proof"].reverse(),
        lambda o: o["extensions"][SIGNATURE_EXT_ID]["proof"].pop(),
    ],
    ids=[
        "added",
        "removed",
        "grading-dropped",
        "list-grew",
        "list-emptied",
        "number",
        "index",
        "root",
        "proof-order",
        "proof-short",
    ],
)
def test_structural_changes_are_altered(key: SigningKey, ring: Keyring, change: Any) -> None:
    obj = copy.deepcopy(signed(key, 7)[2])
    change(obj)
    with pytest.raises(SignatureError, match="altered"):
        verify_object(obj, ring)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("signed", "2030-01-01T00:00:00.000000Z", "signature does not verify"),
        ("signature", SigningKey.generate().sign(b"something else"), "signature does not verify"),
        ("batch_size", 2, "malformed"),  # index 0 of 2 needs a proof
    ],
)
def test_changed_signed_statement_does_not_verify(
    key: SigningKey, ring: Keyring, field: str, value: Any, reason: str
) -> None:
    obj = copy.deepcopy(signed(key, 1)[0])
    obj["extensions"][SIGNATURE_EXT_ID][field] = value
    with pytest.raises(SignatureError, match=reason):
        verify_object(obj, ring)
    big = copy.deepcopy(signed(key, 4)[1])
    big["extensions"][SIGNATURE_EXT_ID]["batch_size"] = 3  # same proof length, other tree
    with pytest.raises(SignatureError, match=r"altered|does not verify"):
        verify_object(big, ring)


def test_unknown_signer(key: SigningKey) -> None:
    with pytest.raises(SignatureError, match=r"signer .* is not a known partner"):
        verify_object(signed(key)[0], {DZ: {key.fingerprint: key.public_key_b64}})
    obj = copy.deepcopy(signed(key)[0])
    obj["extensions"][SIGNATURE_EXT_ID]["signer"] = DZ  # claim another signer
    with pytest.raises(SignatureError, match="not a known partner"):
        verify_object(obj, {MR: {key.fingerprint: key.public_key_b64}})


def test_unknown_key(key: SigningKey) -> None:
    other = SigningKey.generate()
    with pytest.raises(SignatureError, match=r"key .* is not a known key of"):
        verify_object(signed(key)[0], {MR: {other.fingerprint: other.public_key_b64}})
    # the right fingerprint pointing at another public key is no better
    with pytest.raises(SignatureError, match="not a known key"):
        verify_object(signed(key)[0], {MR: {key.fingerprint: other.public_key_b64}})
    # a signer's second key verifies its own objects only
    objs = sign_objects([report(9)], other, MR, SIGNED_AT)
    both = {MR: {key.fingerprint: key.public_key_b64, other.fingerprint: other.public_key_b64}}
    assert verify_object(objs[0], both).key_fingerprint == other.fingerprint
    forged = copy.deepcopy(objs[0])
    forged["extensions"][SIGNATURE_EXT_ID]["key"] = key.fingerprint  # claims the other key
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(forged, both)


def test_revoked_key(key: SigningKey, ring: Keyring) -> None:
    obj = signed(key)[1]
    verify_object(obj, ring)  # valid, and its root now cached: revocation still wins
    with pytest.raises(SignatureError, match="is revoked"):
        verify_object(obj, ring, revoked=lambda fp: fp == key.fingerprint)
    assert verify_object(obj, ring, revoked=lambda fp: False).signer == MR


def _sig(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = obj["extensions"][SIGNATURE_EXT_ID]
    return out


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.pop("signer"), "malformed"),
        (lambda s: s.pop("key"), "malformed"),
        (lambda s: s.pop("index"), "malformed"),
        (lambda s: s.pop("batch_root"), "malformed"),
        (lambda s: s.pop("proof"), "malformed"),
        (lambda s: s.pop("alg"), "malformed"),
        (lambda s: s.update(proof="AAAA"), "malformed|base64"),
        (lambda s: s.update(proof=[17]), "base64"),
        (lambda s: s.update(proof=["not base64!"]), "base64"),
        (lambda s: s.update(batch_root=None), "base64"),
        (lambda s: s.update(index=-1), "bad proof position"),
        (lambda s: s.update(index=7), "bad proof position"),
        (lambda s: s.update(index="0"), "bad proof position"),
        (lambda s: s.update(batch_size=None), "bad proof position|malformed"),
        (lambda s: s.update(alg="rsa-sha1"), "unknown signature algorithm"),
        (lambda s: s.update(signature=None), "malformed"),
        (lambda s: s.pop("signature"), "malformed"),
        (lambda s: s.update(signed=20260301), "malformed"),
        (lambda s: s.update(signer=[MR]), "malformed"),
        (lambda s: s.update(index=False), "bad proof position"),
        (lambda s: s.update(batch_size=7.0), "bad proof position"),
        (lambda s: s.update(signature="%%%"), "base64"),
    ],
)
def test_malformed_extension(key: SigningKey, ring: Keyring, change: Any, reason: str) -> None:
    obj = copy.deepcopy(signed(key, 7)[3])
    change(_sig(obj))
    with pytest.raises(SignatureError, match=reason):
        verify_object(obj, ring)


@pytest.mark.parametrize(
    "extensions", [None, {}, {SIGNATURE_EXT_ID: "signed"}, {SIGNATURE_EXT_ID: []}, "x"]
)
def test_missing_signature(ring: Keyring, extensions: Any) -> None:
    obj = report(0)
    if extensions is None:
        del obj["extensions"]
    else:
        obj["extensions"] = extensions
    with pytest.raises(SignatureError, match="not signed"):
        verify_object(obj, ring)


def test_empty_batch(key: SigningKey) -> None:
    assert sign_objects([], key, MR, SIGNED_AT) == []


def test_precomputed_canonical_forms_sign_the_same_bytes(key: SigningKey) -> None:
    objs = [report(i) for i in range(5)]
    plain = sign_objects(objs, key, MR, SIGNED_AT)
    forms = [canonical_unsigned(o) for o in objs]
    assert sign_objects(objs, key, MR, SIGNED_AT, canonicals=forms) == plain
    # not one form per object: a typed error naming both counts, never a partial batch
    for bad, n in ((forms[:-1], 4), (forms + forms[:1], 6), ([], 0)):
        with pytest.raises(InvalidInputError) as err:
            sign_objects(objs, key, MR, SIGNED_AT, canonicals=bad)
        assert str(err.value) == f"{n} canonical forms for 5 objects: one canonical form per object"
    with pytest.raises(InvalidInputError, match=r"^1 canonical forms for 0 objects"):
        sign_objects([], key, MR, SIGNED_AT, canonicals=forms[:1])
    assert sign_objects([], key, MR, SIGNED_AT, canonicals=[]) == []
    # canonical_unsigned ignores a signature already there: re-signing covers the same
    assert [canonical_unsigned(o) for o in plain] == forms


def test_unsigned_objects_pass_through_strip_and_digest() -> None:
    for obj in (report(0), {k: v for k, v in report(0).items() if k != "extensions"}):
        assert strip_signature(obj) == obj
        assert object_digest(obj) == object_digest(copy.deepcopy(obj))
    with_list = {**report(0), "extensions": [SIGNATURE_EXT_ID]}  # not a dictionary: left alone
    assert strip_signature(with_list) == with_list


def test_the_signature_is_a_valid_stix_property_extension(key: SigningKey) -> None:
    from liaison.stix import validate_object

    for obj in signed(key, 3):
        assert validate_object(obj) == []
        assert _sig(obj)["extension_type"] == "property-extension"


def test_each_tree_node_is_hashed_once_when_signing(
    key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liaison.signing import objects as objects_module

    calls = []
    real = objects_module.node_hash
    monkeypatch.setattr(objects_module, "node_hash", lambda a, b: calls.append(1) or real(a, b))
    for size in (1, 2, 7, 64, 100):
        calls.clear()
        sign_objects([report(i) for i in range(size)], key, MR, SIGNED_AT)
        assert len(calls) == size - 1, size


@pytest.mark.parametrize("size", [*range(1, 70), 127, 128, 129, 500, 513])
def test_each_proof_is_the_rfc9162_audit_path(key: SigningKey, size: int) -> None:
    """The proofs, built for the whole batch at once, are ``merkle.inclusion_proof``'s."""
    objs = [report(i) for i in range(size)]
    leaves = [leaf_hash(canonical_unsigned(o)) for o in objs]
    subtree = subtree_hash_from_leaves(leaves)
    out = sign_objects(objs, key, MR, SIGNED_AT)
    for i, o in enumerate(out):
        want = [base64.b64encode(h).decode() for h in inclusion_proof(i, size, subtree)]
        assert _sig(o).get("proof", []) == want
        assert _sig(o)["batch_root"] == base64.b64encode(root(leaves)).decode()
    # each object has a list of its own (changing one changes no other object)
    assert len({id(_sig(o)["proof"]) for o in out if "proof" in _sig(o)}) == (size > 1) * size
    assert len({id(_sig(o)) for o in out}) == size


def test_a_batch_of_one_carries_no_proof(key: SigningKey, ring: Keyring) -> None:
    (obj,) = signed(key, 1)
    assert "proof" not in _sig(obj)
    verify_object(obj, ring)
    _sig(obj)["proof"] = [_sig(obj)["batch_root"]]  # a proof where none can be
    with pytest.raises(SignatureError, match="altered"):
        verify_object(obj, ring)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s.update(signer=[MR]),
            "malformed signature extension (signer, origin, key, signed and signature must be "
            "strings)",
        ),
        (lambda s: s.update(proof="AAAA"), "malformed signature extension (proof is not a list)"),
        (lambda s: s.update(proof=[17]), "signature field is not a base64 string"),
        (lambda s: s.update(proof=["AA!AA"]), "signature field is not valid base64"),
        # base64 with a character outside the alphabet slipped in: strict decoding refuses
        (
            lambda s: s.update(proof=[s["proof"][0][:4] + "!" + s["proof"][0][4:]]),
            "signature field is not valid base64",
        ),
    ],
)
def test_refusal_messages(key: SigningKey, ring: Keyring, change: Any, message: str) -> None:
    obj = copy.deepcopy(signed(key, 7)[3])
    change(_sig(obj))
    with pytest.raises(SignatureError) as info:
        verify_object(obj, ring)
    assert str(info.value) in (message, f"{obj['id']}: {message}")


def test_an_object_without_id_is_named_by_a_question_mark(ring: Keyring) -> None:
    obj = {k: v for k, v in report(0).items() if k not in ("id", "extensions")}
    with pytest.raises(SignatureError) as info:
        verify_object(obj, ring)
    assert str(info.value) == "?: not signed"


# --- a redacted copy released on the originator's behalf (the ``origin`` field) ----------


def test_a_copy_signed_on_the_originators_behalf_names_it(key: SigningKey, ring: Keyring) -> None:
    (obj,) = sign_objects([report(0)], key, MR, SIGNED_AT, origin=DZ)
    assert _sig(obj)["origin"] == DZ
    info = verify_object(obj, ring)
    assert (info.signer, info.origin) == (MR, DZ)
    # the originator is part of the signed statement: naming another breaks it
    for other in (MR, "identity--00000000-0000-4000-8000-000000000000"):
        forged = copy.deepcopy(obj)
        _sig(forged)["origin"] = other
        with pytest.raises(SignatureError, match="does not verify"):
            verify_object(forged, ring)
    # ... and so does dropping it (the copy would pass for the signer's own)
    forged = copy.deepcopy(obj)
    del _sig(forged)["origin"]
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(forged, ring)


def test_the_signers_own_objects_carry_no_origin(key: SigningKey, ring: Keyring) -> None:
    for origin in (None, MR):
        (obj,) = sign_objects([report(0)], key, MR, SIGNED_AT, origin=origin)
        assert "origin" not in _sig(obj)
        assert verify_object(obj, ring).origin == MR
    # an origin added to the signer's own copy is not in its statement either
    _sig(obj)["origin"] = DZ
    with pytest.raises(SignatureError, match="does not verify"):
        verify_object(obj, ring)


def test_signature_info_defaults_its_origin_to_the_signer() -> None:
    from liaison.signing.objects import SignatureInfo

    assert SignatureInfo(MR, "SHA256:x", SIGNED_AT).origin == MR
    assert SignatureInfo(MR, "SHA256:x", SIGNED_AT, origin=DZ).origin == DZ


def test_the_signed_statement_is_a_fixed_wire_format() -> None:
    """Other nodes verify these exact bytes: field names and order are the protocol."""
    from liaison.signing.objects import _statement

    sig = {"alg": "ed25519-rfc9162-batch", "batch_root": "cm9vdA==", "batch_size": 2,
           "key": "SHA256:k", "signed": SIGNED_AT, "signer": MR, "index": 1,
           "signature": "c2ln", "proof": ["cA=="]}  # fmt: skip
    base = '{"alg":"ed25519-rfc9162-batch","batch_root":"cm9vdA==","batch_size":2,"key":"SHA256:k",'
    assert _statement(sig) == (base + f'"signed":"{SIGNED_AT}","signer":"{MR}"}}').encode()
    assert (
        _statement({**sig, "origin": DZ})
        == (base + f'"origin":"{DZ}","signed":"{SIGNED_AT}","signer":"{MR}"}}').encode()
    )


def _reference_unb64(s: Any) -> bytes | str:
    """What ``_unb64`` answered before it remembered decoded strings."""
    if not isinstance(s, str):
        return "not a base64 string"
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except ValueError:
        return "not valid base64"


def _outcome(s: Any) -> bytes | str:
    try:
        return objects_module._unb64(s)
    except SignatureError as exc:
        return str(exc).removeprefix("signature field is ")


@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        st.text(alphabet="ABCDEFabcdef0123456789+/=", max_size=12),
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode("ascii")),
        st.text(max_size=8),
        st.none(),
        st.integers(),
    )
)
def test_remembered_base64_decodes_as_before(value: Any) -> None:
    """Decoded strings are remembered: the same bytes, the same refusals, every time."""
    want = _reference_unb64(value)
    assert _outcome(value) == want
    assert _outcome(value) == want  # now from the memo, if it decoded


def test_a_remembered_fingerprint_does_not_vouch_for_another_key(
    key: SigningKey, ring: Keyring
) -> None:
    obj = signed(key, 2)[0]
    verify_object(obj, ring)  # the key's fingerprint is remembered now
    other = SigningKey.generate()
    swapped = {MR: {key.fingerprint: other.public_key_b64}}
    with pytest.raises(SignatureError, match="is not a known key"):
        verify_object(obj, swapped)
    verify_object(obj, ring)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["name", "extensions", "x_n", "labels"]),
        st.one_of(
            st.text(max_size=5),
            st.integers(),
            st.just({SIGNATURE_EXT_ID: {"a": 1}}),
            st.just({SIGNATURE_EXT_ID: {"a": 1}, "x-ext": {"b": 2}}),
            st.just({"x-ext": {"b": 2}}),
            st.just([SIGNATURE_EXT_ID]),
            st.just({}),
        ),
        max_size=4,
    )
)
def test_canonical_unsigned_is_the_stripped_objects_form(obj: dict[str, Any]) -> None:
    """Without a signature to strip the object is not copied: the same bytes."""

    def outcome(f: Any) -> bytes | str:
        try:
            out: bytes = f()
        except InvalidInputError as exc:  # an integer beyond 2^53, say: the same refusal
            return str(exc)
        return out

    before = copy.deepcopy(obj)
    want = outcome(lambda: canonical(strip_signature(obj)))
    assert outcome(lambda: canonical_unsigned(obj)) == want
    assert obj == before


@pytest.mark.parametrize("origin", ["", MR, DZ])
def test_signature_info_of_equals_the_constructor(origin: str) -> None:
    fast = objects_module.SignatureInfo.of(MR, "SHA256:x", SIGNED_AT, origin)
    slow = objects_module.SignatureInfo(MR, "SHA256:x", SIGNED_AT, origin)
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    assert fast.origin == (origin or MR)
