"""Opaque ``next`` tokens: encrypted and authenticated, bound to a party and a query.

A token says "continue after row seq N" for one party and one set of filters. It is
sealed with XSalsa20-Poly1305 (PyNaCl's ``SecretBox``, a key derived from the node's
identity key), so it reveals nothing -- not the row counter, not the time -- and any
change to it is detected. A token that was altered, made for another party or query,
or is older than its time to live is refused with ``InvalidInputError``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time

import orjson
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from liaison.errors import InvalidInputError

__all__ = ["TOKEN_TTL_SECONDS", "make_token", "query_fingerprint", "read_token"]

TOKEN_TTL_SECONDS = 24 * 3600
_LAYOUT = struct.Struct(">QQ16s")  # seq, issued (unix seconds), binding digest
_MAX_TOKEN = 512


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps(parts, default=str)).hexdigest()[:32]


def _box(secret: bytes) -> SecretBox:
    return SecretBox(hashlib.sha256(b"liaison/next-token/v2\x00" + secret).digest())


def _binding(party: str, query: str) -> bytes:
    return hashlib.sha256(orjson.dumps([party, query])).digest()[:16]


def make_token(secret: bytes, *, party: str, query: str, seq: int) -> str:
    plain = _LAYOUT.pack(seq, int(time.time()), _binding(party, query))
    sealed = bytes(_box(secret).encrypt(plain))  # random nonce, prepended
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def read_token(secret: bytes, token: str, *, party: str, query: str) -> int:
    """The seq to continue after; raises InvalidInputError on a bad or stale token."""
    bad = InvalidInputError("the 'next' parameter is not a valid pagination token")
    if not token or len(token) > _MAX_TOKEN or not token.isascii():
        raise bad
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = _box(secret).decrypt(sealed)
        seq, issued, binding = _LAYOUT.unpack(plain)
    except (ValueError, CryptoError, struct.error) as exc:
        raise bad from exc
    if binding != _binding(party, query):
        raise bad
    if time.time() - issued > TOKEN_TTL_SECONDS:
        raise InvalidInputError("the 'next' pagination token has expired; start again")
    return int(seq)
