"""Golden values of the signing path, recorded from ``main`` before the issue #15 work on
signing and verification: the same inputs must give the same bytes (signatures,
proofs, canonical forms, leaf hashes) whatever the implementation does inside."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
import pytest

from liaison.merkle import inclusion_proof, leaf_hash, root, subtree_hash_from_leaves
from liaison.signing import SigningKey
from liaison.signing.canonical import canonical
from liaison.signing.objects import (
    canonical_unsigned,
    object_digest,
    sign_objects,
    verify_object,
)

MR = "identity--6a1f7c3e-9d2b-4e8a-b1c5-3f7a9e2d4c10"
DZ = "identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30"
SIGNED_AT = "2026-03-01T06:00:00.000000Z"
SEED = base64.b64encode(bytes(range(32))).decode()


def key() -> SigningKey:
    return SigningKey.from_seed_b64(SEED)


def obj(n: int) -> dict[str, Any]:
    """Objects of several shapes: ASCII, Arabic, accents, a non-BMP character, a float
    (the reference canonicaliser's path), numbers, nested lists and extensions."""
    base: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--3d6f0a52-8b1c-4e7a-9f5e-{n:012d}",
        "created": "2026-03-01T06:00:00.000Z",
        "modified": "2026-03-01T06:00:00.000Z",
        "published": "2026-03-01T06:00:00.000Z",
        "created_by_ref": MR,
        "name": f"Convoi signalé près de Tessalit n°{n}",
        "report_types": ["threat-actor"],
        "object_refs": [MR],
    }
    kind = n % 6
    if kind == 1:
        base["description"] = 'قافلة من أربع سيارات. \u2028 "quoted" \\ \t\x01 😀'
    elif kind == 2:
        base["confidence"] = 70
        base["x_score"] = 0.1 + n / 7  # a float: the reference path
    elif kind == 3:
        base["extensions"] = {
            "extension-definition--11111111-2222-4333-8444-555555555555": {
                "extension_type": "property-extension",
                "grade": ["B", 2, None, True, {"z": [], "a": {}}],
            }
        }
    elif kind == 4:
        base["x_ключ"] = {"\U0001f600": 1, "\ue000": 2, "b": -(2**53) + 1}  # UTF-16 key order
    elif kind == 5:
        base["x_big"] = 2**53 - 1
        base["labels"] = ["x" * 300, ""]
    return base


def digest(values: list[bytes]) -> str:
    return hashlib.sha256(b"\n".join(values)).hexdigest()


def dump(o: Any) -> bytes:
    return orjson.dumps(o, option=orjson.OPT_SORT_KEYS)


CANONICAL = "1ea22853de78363dd4f2c76e78c18e7e579d83d1896fde1d4af5f684bb524825"
SIGNED = {
    1: "f2cfd6eeb0b8e6781ba05c0f43ca47b3d3ae30cb147bf551f7b06d89c6f19b37",
    2: "b0d83964ad33f817cae2de222e0c0ef2f0cc7f8df8af3fb9eb578d23d308622b",
    3: "901f989a6f56f6d4f520c58864925be9e827853a9f50262fcbfff974ab447508",
    5: "d8a0fedef681d4b16c8a421c1b7e11cc8e29a6241d8605020ece7c4f37018ca1",
    8: "3dc7c9606d9f91047246dbfcc23acda57e1d7f07f026c573897dc927645aceb3",
    13: "704aa3552775b4e3b1d9a264df5eead2d49e4b88692164a2db5337d9279292d8",
    64: "f4c0160dd039408b3255e4849a6d757d2917f43397d64d5d4f80a5823ac65b29",
    65: "bfc79c0ae80c16eb450f9d9608000d79c17d8f0a6ff7b6c1b5daa6ba01feacc9",
    500: "dbb77e55785f79bbb552618ff254a41ddb52c50b146f7ea3176cd4efd80e95f4",
}
ORIGIN = "016d8da73c9a37b72ed9a0e3ddd88de5dc986dbac6ed7c242ec84009a668b6d5"
RESIGNED = "bb0103ba49e89f3f4bb1f1b48c9c2744f57f245d41c957e5c192852dd3b16a20"


def test_canonical_forms_and_leaves_are_as_recorded() -> None:
    forms = [canonical(obj(n)) for n in range(60)]
    assert [canonical_unsigned(obj(n)) for n in range(60)] == forms
    assert [object_digest(obj(n)) for n in range(60)] == [leaf_hash(f) for f in forms]
    assert digest(forms) == CANONICAL


@pytest.mark.parametrize("size", sorted(SIGNED))
def test_signed_batches_are_as_recorded(size: int) -> None:
    objs = [obj(n) for n in range(size)]
    out = sign_objects(objs, key(), MR, SIGNED_AT)
    assert digest([dump(o) for o in out]) == SIGNED[size]
    ring = {MR: {key().fingerprint: key().public_key_b64}}
    leaves = [object_digest(o) for o in objs]
    for i, o in enumerate(out):
        sig = o["extensions"]["extension-definition--3c1f7a52-8d0e-4b7a-9f5e-2a6b1c9d4e70"]
        assert sig["batch_root"] == base64.b64encode(root(leaves)).decode()
        want = inclusion_proof(i, size, subtree_hash_from_leaves(leaves))
        assert sig.get("proof", []) == [base64.b64encode(h).decode() for h in want]
        info = verify_object(o, ring)
        assert (info.signer, info.key_fingerprint, info.signed, info.origin) == (
            MR,
            key().fingerprint,
            SIGNED_AT,
            MR,
        )


def test_a_copy_signed_for_its_originator_and_a_resigned_batch_are_as_recorded() -> None:
    objs = [obj(n) for n in range(7)]
    assert digest([dump(o) for o in sign_objects(objs, key(), MR, SIGNED_AT, origin=DZ)]) == ORIGIN
    other = SigningKey.from_seed_b64(base64.b64encode(bytes(range(1, 33))).decode())
    first = sign_objects(objs, other, DZ, SIGNED_AT)
    again = sign_objects(first, key(), MR, "2026-03-02T00:00:00.000000Z")
    assert digest([dump(o) for o in again]) == RESIGNED


#: The same batches serialised as stored (orjson, key order as built): the order of
#: the keys of a signed object is part of the bytes a node keeps and serves.
AS_BUILT = "e0e2cb9b2aa4285ca0bd5587c715be7cdeed1da3288308ee7d86f8bc02d9985f"


def test_signed_objects_keep_their_key_order() -> None:
    objs = [obj(n) for n in range(13)]
    out = sign_objects(objs, key(), MR, SIGNED_AT)
    again = sign_objects(out, key(), MR, SIGNED_AT)
    assert digest([orjson.dumps(o) for o in [*out, *again]]) == AS_BUILT
