"""The stored intelligence as ``liaison audit verify`` checks it against the log.

For every stored version: its collection, id and version, the SHA-256 of the bytes as
read now (not the stored hash column, which an intruder would update too) and the
binding of its handling, provenance and originator (``liaison.audit.binding``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from liaison.audit.binding import binding
from liaison.node import Node
from liaison.store import Store

__all__ = ["retired_keys", "stored_versions"]


def stored_versions(store: Store) -> Iterator[tuple[str, str, str | None, str, str]]:
    """(collection, id, version, sha256 of the bytes, binding) of every stored version."""
    for row, originator in store.iter_versions():
        yield (
            row.collection_id,
            row.id,
            row.version,
            hashlib.sha256(row.body).hexdigest(),
            binding(row.collection_id, row.handling, row.origins, row.received_from, originator),
        )


def retired_keys(node: Node) -> list[str]:
    """The node's own earlier public keys (they signed heads before a rotation)."""
    return [str(r["public_key"]) for _, r in node.store.records("own-retired-key")]
