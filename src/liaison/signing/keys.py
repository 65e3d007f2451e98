"""Ed25519 identity keys (PyNaCl), stored base64 in files with mode 0600."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.signing

from liaison.errors import ConfigError, SignatureError

__all__ = ["SigningKey", "check_public_key", "fingerprint", "load_or_create_key", "verify"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError(f"{what} is not valid base64") from exc


def fingerprint(public_key_b64: str) -> str:
    """SSH-style fingerprint of a public key, for out-of-band comparison."""
    digest = hashlib.sha256(_unb64(public_key_b64, "public key")).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def check_public_key(public_key_b64: str) -> str:
    """The key, if it is an Ed25519 public key: base64 of 32 bytes, a point of the curve.

    Raises ``SignatureError`` otherwise, so that a bad key is refused where it enters
    (an operator's command, an agreement) rather than at every later verification.
    """
    raw = _unb64(public_key_b64, "public key")
    if len(raw) != 32:
        raise SignatureError(f"public key must be 32 bytes (Ed25519), not {len(raw)}")
    if not nacl.bindings.crypto_core_ed25519_is_valid_point(raw):
        raise SignatureError("public key is not a valid Ed25519 public key")
    return public_key_b64


class SigningKey:
    """A node's private Ed25519 key."""

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key
        self.public_key_b64 = _b64(bytes(key.verify_key))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed_b64(cls, seed: str) -> SigningKey:
        raw = _unb64(seed.strip(), "private key")
        if len(raw) != 32:
            raise SignatureError("private key must be 32 bytes")
        return cls(nacl.signing.SigningKey(raw))

    def seed_b64(self) -> str:
        return _b64(bytes(self._key))

    def sign(self, message: bytes) -> str:
        """Detached signature, base64."""
        return _b64(self._key.sign(message).signature)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key_b64)

    def save(self, path: Path) -> None:
        """Write the seed to ``path`` with mode 0600, atomically."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.seed_b64() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)


def load_or_create_key(path: Path) -> SigningKey:
    if not path.exists():
        key = SigningKey.generate()
        key.save(path)
        return key
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(
            f"{path}: key file must not be readable by others (mode {mode:o}, want 600)"
        )
    try:
        return SigningKey.from_seed_b64(path.read_text())
    except SignatureError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


_VERIFY_CACHE: dict[str, nacl.signing.VerifyKey] = {}


def verify(public_key_b64: str, message: bytes, signature_b64: str) -> None:
    """Raise ``SignatureError`` unless ``signature_b64`` signs ``message`` under the key."""
    vk = _VERIFY_CACHE.get(public_key_b64)
    if vk is None:
        raw = _unb64(public_key_b64, "public key")
        if len(raw) != 32:
            raise SignatureError("public key must be 32 bytes")
        vk = nacl.signing.VerifyKey(raw)
        if len(_VERIFY_CACHE) < 4096:
            _VERIFY_CACHE[public_key_b64] = vk
    sig = _unb64(signature_b64, "signature")
    try:
        vk.verify(message, sig)
    except (nacl.exceptions.BadSignatureError, ValueError) as exc:
        raise SignatureError("signature does not verify") from exc
