"""RFC 8785 JSON Canonicalization Scheme, the bytes every Liaison signature covers."""

from __future__ import annotations

from typing import Any

import rfc8785

from liaison.errors import InvalidInputError

__all__ = ["canonical"]


def canonical(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 form of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"value cannot be canonicalised (RFC 8785): {exc}") from exc
