"""Keys, canonical JSON (RFC 8785), Ed25519 signatures.

Usage::

    from liaison.signing import SigningKey, canonical, verify

    key = SigningKey.generate()
    sig = key.sign(canonical({"a": 1}))
    verify(key.public_key_b64, canonical({"a": 1}), sig)  # raises SignatureError if bad
"""

from liaison.signing.canonical import canonical
from liaison.signing.keys import (
    SigningKey,
    check_public_key,
    fingerprint,
    load_or_create_key,
    verify,
)

__all__ = [
    "SigningKey",
    "canonical",
    "check_public_key",
    "fingerprint",
    "load_or_create_key",
    "verify",
]
