"""Signed tree heads: a node's signed statement "my log had SIZE entries with ROOT at TIME".

The signature covers the RFC 8785 form of ``{"kind", "v", "size", "root_hash" (hex),
"timestamp", "key"}`` -- plus ``scope`` for the head of a partner's ledger (the identity
of the partner it is kept for, ADR 0006); ``key`` is the signer's Ed25519 public key
(base64), so a head cannot be passed off as another node's, nor one partner's ledger as
another's.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liaison.audit.entry import normalise_time
from liaison.errors import InvalidInputError, SignatureError
from liaison.merkle import HASH_SIZE
from liaison.signing import SigningKey, canonical, fingerprint, verify

__all__ = ["STH_KIND", "SignedTreeHead", "sign_tree_head"]

STH_KIND = "liaison.audit.tree_head"
_VERSION = 1


@dataclass(frozen=True)
class SignedTreeHead:
    size: int
    root_hash: bytes
    timestamp: str
    key: str
    signature: str
    scope: str = ""  # '' for the node's whole log; a partner's identity for its ledger

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise InvalidInputError(f"tree head size must be a non-negative integer: {self.size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise InvalidInputError("tree head root hash must be 32 bytes")
        object.__setattr__(self, "timestamp", normalise_time(self.timestamp))
        for name in ("key", "signature"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InvalidInputError(f"tree head {name} must be a base64 string")

    @property
    def root_hash_hex(self) -> str:
        return self.root_hash.hex()

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.key)

    def signed_bytes(self) -> bytes:
        return _signed_bytes(self.size, self.root_hash, self.timestamp, self.key, self.scope)

    def verify(self, public_key_b64: str | None = None) -> None:
        """Raise ``SignatureError`` unless the signature holds (and, if given, by that key)."""
        if public_key_b64 is not None and public_key_b64 != self.key:
            expected = fingerprint(public_key_b64)
            raise SignatureError(f"tree head signed by {self.key_fingerprint}, expected {expected}")
        verify(self.key, self.signed_bytes(), self.signature)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": STH_KIND,
            "v": _VERSION,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp,
            "key": self.key,
            "signature": self.signature,
        }
        if self.scope:
            out["scope"] = self.scope
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedTreeHead:
        """Parse a head received from a partner (the signature is *not* checked here)."""
        if not isinstance(data, Mapping) or data.get("kind") != STH_KIND or data.get("v") != 1:
            raise InvalidInputError("not a Liaison signed tree head")
        root_hex = data.get("root_hash")
        try:
            root = bytes.fromhex(root_hex) if isinstance(root_hex, str) else b""
        except (ValueError, binascii.Error) as exc:
            raise InvalidInputError("tree head root_hash is not hex") from exc
        ts = data.get("timestamp")
        if not isinstance(ts, str):
            raise InvalidInputError("tree head timestamp must be a string")
        scope = data.get("scope", "")
        if not isinstance(scope, str) or len(scope) > 256:
            raise InvalidInputError("tree head scope must be a string")
        return cls(data.get("size"), root, ts, data.get("key"), data.get("signature"), scope)  # type: ignore[arg-type]


def _signed_bytes(size: int, root_hash: bytes, timestamp: str, key: str, scope: str = "") -> bytes:
    fields: dict[str, Any] = {
        "kind": STH_KIND,
        "v": _VERSION,
        "size": size,
        "root_hash": root_hash.hex(),
        "timestamp": timestamp,
        "key": key,
    }
    if scope:
        fields["scope"] = scope
    return canonical(fields)


def sign_tree_head(
    size: int,
    root_hash: bytes,
    signing_key: SigningKey,
    timestamp: str | None = None,
    *,
    scope: str = "",
) -> SignedTreeHead:
    ts = normalise_time(timestamp or datetime.now(UTC))
    key = signing_key.public_key_b64
    signature = signing_key.sign(_signed_bytes(size, root_hash, ts, key, scope))
    return SignedTreeHead(size, root_hash, ts, key, signature, scope)
