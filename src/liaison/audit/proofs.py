"""Inclusion and consistency proofs as values that travel over the API (hex in JSON)."""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from liaison.errors import InvalidInputError
from liaison.merkle import HASH_SIZE, verify_consistency, verify_inclusion

__all__ = ["ConsistencyProof", "InclusionProof"]

_MAX_PATH = 128


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(f"proof {name} must be a non-negative integer")
    return value


def _hex(value: object, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except (ValueError, binascii.Error) as exc:
        raise InvalidInputError(f"{what} is not hex") from exc
    if len(raw) != HASH_SIZE:
        raise InvalidInputError(f"{what} must be a 32-byte hash")
    return raw


def _path(data: Mapping[str, Any]) -> list[bytes]:
    raw = data.get("path")
    if not isinstance(raw, list) or len(raw) > _MAX_PATH:
        raise InvalidInputError("proof path must be a list of at most 128 hashes")
    return [_hex(h, "proof path element") for h in raw]


@dataclass(frozen=True)
class InclusionProof:
    """Leaf ``seq`` (its hash ``leaf_hash``) is in the tree of ``size`` leaves."""

    seq: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]

    def verify(self, root_hash: bytes) -> bool:
        return verify_inclusion(self.leaf_hash, self.seq, self.size, self.path, root_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "size": self.size,
            "leaf_hash": self.leaf_hash.hex(),
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InclusionProof:
        if not isinstance(data, Mapping):
            raise InvalidInputError("inclusion proof must be an object")
        return cls(
            _int(data, "seq"),
            _int(data, "size"),
            _hex(data.get("leaf_hash"), "leaf hash"),
            tuple(_path(data)),
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` leaves."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]

    def verify(self, old_root: bytes, new_root: bytes) -> bool:
        return verify_consistency(self.old_size, self.new_size, old_root, new_root, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsistencyProof:
        if not isinstance(data, Mapping):
            raise InvalidInputError("consistency proof must be an object")
        return cls(_int(data, "old_size"), _int(data, "new_size"), tuple(_path(data)))
