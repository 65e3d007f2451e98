"""What an audit entry vouches for about a stored object version besides its bytes.

``binding`` is the SHA-256 of the version's handling, provenance, sender, originator and
collection, in a canonical form. ``object.created``/``object.received`` entries carry
it, so ``liaison audit verify`` detects stored handling or provenance changed behind the
log's back as surely as changed bytes (issue #13, finding 7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = ["binding"]


def binding(
    collection_id: str,
    handling: Mapping[str, Any],
    origins: Sequence[str],
    received_from: str,
    originator: str,
) -> str:
    """The digest an entry records for a stored version ('' originator: this node)."""
    # orjson encodes a dict as its copy and a tuple as a list: no copies needed for those
    h = handling if handling.__class__ is dict else dict(handling)
    o = origins if origins.__class__ is tuple or origins.__class__ is list else list(origins)
    return _sha256(
        _dumps([collection_id, h, o, received_from, originator], option=_SORTED)
    ).hexdigest()


_sha256 = hashlib.sha256
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS
