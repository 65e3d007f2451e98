"""Signed receipts: the receiver's proof that it got a batch, kept by the originator."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from liaison.errors import InvalidInputError, SignatureError
from liaison.signing import SigningKey, canonical, verify

__all__ = ["make_receipt", "verify_receipt"]

_FIELDS = ("id", "receiver", "sender", "collection", "received", "objects")


def make_receipt(
    key: SigningKey,
    *,
    receiver: str,
    sender: str,
    collection: str,
    received: str,
    objects: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """``objects``: ``{"id", "version", "digest"}`` of every object of the batch."""
    body: dict[str, Any] = {
        "id": f"receipt--{uuid.uuid4()}",
        "receiver": receiver,
        "sender": sender,
        "collection": collection,
        "received": received,
        "objects": [dict(o) for o in objects],
        "key": key.fingerprint,
    }
    body["signature"] = key.sign(canonical({k: body[k] for k in (*_FIELDS, "key")}))
    return body


def verify_receipt(receipt: Any, public_key_b64: str) -> None:
    if not isinstance(receipt, dict) or any(k not in receipt for k in (*_FIELDS, "signature")):
        raise InvalidInputError("a receipt needs " + ", ".join((*_FIELDS, "signature")))
    objs = receipt["objects"]
    if not isinstance(objs, list) or not all(
        isinstance(o, dict) and {"id", "version", "digest"} <= set(o) for o in objs
    ):
        raise InvalidInputError("receipt objects must each have id, version and digest")
    try:
        verify(
            public_key_b64,
            canonical({k: receipt.get(k) for k in (*_FIELDS, "key")}),
            str(receipt["signature"]),
        )
    except SignatureError as exc:
        raise SignatureError(f"receipt {receipt.get('id')}: signature does not verify") from exc
