"""Signed receipts: made by the receiver, verified by the originator with its pinned key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from liaison.agreements.receipts import make_receipt, verify_receipt
from liaison.errors import InvalidInputError, SignatureError
from liaison.signing import SigningKey

DZ = "identity--0b5d2e8f-1c3a-4f6b-9e7d-2a8c4b6f1e30"
MR = "identity--6a1f7c3e-9d2b-4e8a-b1c5-3f7a9e2d4c10"
OBJECTS = [
    {
        "id": f"report--00000000-0000-4000-8000-00000000000{i}",
        "version": "2026-03-01T06:00:00Z",
        "digest": f"{i:064x}",
    }
    for i in range(3)
]


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


def receipt(key: SigningKey, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "receiver": DZ,
        "sender": MR,
        "collection": "3d71f15c-58b6-5f49-87e9-0d2013490b8a",
        "received": "2026-03-01T06:00:01.000000Z",
        "objects": OBJECTS,
    }
    args.update(kw)
    return make_receipt(key, **args)


def test_round_trip(key: SigningKey) -> None:
    r = receipt(key)
    verify_receipt(r, key.public_key_b64)
    assert r["id"].startswith("receipt--") and r["key"] == key.fingerprint
    assert r["objects"] == OBJECTS and r["objects"] is not OBJECTS
    assert receipt(key)["id"] != r["id"]  # every receipt is its own


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "receipt--00000000-0000-4000-8000-000000000000"),
        ("receiver", MR),
        ("sender", DZ),
        ("collection", "another"),
        ("received", "2030-01-01T00:00:00.000000Z"),
        ("key", "SHA256:somebody-else"),
    ],
)
def test_any_changed_field_is_refused(key: SigningKey, field: str, value: str) -> None:
    r = receipt(key)
    r[field] = value
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_receipt(r, key.public_key_b64)


@pytest.mark.parametrize(
    "change",
    [
        lambda objs: objs.pop(),
        lambda objs: objs.append(dict(objs[0])),
        lambda objs: objs[1].update(digest="0" * 64),
        lambda objs: objs[2].update(version="2026-03-01T06:00:01Z"),
        lambda objs: objs.reverse(),
    ],
)
def test_changed_object_list_is_refused(key: SigningKey, change: Any) -> None:
    r = receipt(key)
    change(r["objects"])
    with pytest.raises(SignatureError):
        verify_receipt(r, key.public_key_b64)


def test_other_key_is_refused(key: SigningKey) -> None:
    forged = receipt(SigningKey.generate())
    with pytest.raises(SignatureError):
        verify_receipt(forged, key.public_key_b64)
    stolen_sig = receipt(key)
    stolen_sig["signature"] = receipt(key)["signature"]  # a signature over another receipt
    with pytest.raises(SignatureError):
        verify_receipt(stolen_sig, key.public_key_b64)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "receipt",
        {"id": "receipt--x"},
        {"missing": "signature"},
        {"objects": "not a list"},
        {"objects": [{"id": "x", "version": "v"}]},  # no digest
        {"objects": ["report--x"]},
    ],
)
def test_malformed_is_invalid_input(key: SigningKey, bad: Any) -> None:
    if isinstance(bad, dict) and bad and "id" not in bad:
        r = copy.deepcopy(receipt(key))
        if "missing" in bad:
            del r["signature"]
        else:
            r.update(bad)
        bad = r
    with pytest.raises(InvalidInputError):
        verify_receipt(bad, key.public_key_b64)


def test_garbage_signature_is_a_signature_error(key: SigningKey) -> None:
    r = receipt(key)
    r["signature"] = "%%% not base64"
    with pytest.raises(SignatureError):
        verify_receipt(r, key.public_key_b64)
