"""Opaque, MAC-protected ``next`` tokens bound to a party and a query.

A token says "continue after row seq N" for one party and one set of filters. A
token that was altered, made for another party or query, or is older than its time
to live is refused with ``InvalidInputError``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import orjson

from liaison.errors import InvalidInputError

__all__ = ["TOKEN_TTL_SECONDS", "make_token", "query_fingerprint", "read_token"]

TOKEN_TTL_SECONDS = 24 * 3600


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps(parts, default=str)).hexdigest()[:32]


def _mac(secret: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, payload, "sha256").digest()[:18]).decode()


def make_token(secret: bytes, *, party: str, query: str, seq: int) -> str:
    payload = orjson.dumps({"p": party, "q": query, "s": seq, "t": int(time.time())})
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(secret, payload)}"


def read_token(secret: bytes, token: str, *, party: str, query: str) -> int:
    """The seq to continue after; raises InvalidInputError on a bad or stale token."""
    bad = InvalidInputError("the 'next' parameter is not a valid pagination token")
    if len(token) > 512 or "." not in token:
        raise bad
    body, mac = token.rsplit(".", 1)
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise bad from exc
    # Compare bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    if not hmac.compare_digest(_mac(secret, payload).encode(), mac.encode("utf-8", "replace")):
        raise bad
    try:
        data = orjson.loads(payload)
        seq, issued = int(data["s"]), int(data["t"])
        if data["p"] != party or data["q"] != query:
            raise bad
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise bad from exc
    if time.time() - issued > TOKEN_TTL_SECONDS:
        raise InvalidInputError("the 'next' pagination token has expired; start again")
    return seq
