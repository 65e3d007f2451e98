"""Origin signatures carried inside STIX objects, batched over a Merkle root.

A node signs the objects it originates in batches: each object's leaf is
``SHA-256(0x00 || JCS(object without its signature))`` (RFC 9162 leaf hashing over
RFC 8785), the batch's Merkle root is signed once with Ed25519, and every object
carries, in the Liaison signature extension, the signed root statement plus its
inclusion proof. Any holder verifies an object alone, with the originator's public
key, whatever transport it came by. Verifying a batch costs one Ed25519 check per
distinct root (cached) and a few hashes per object.
"""

from __future__ import annotations

import binascii
import hashlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from liaison.errors import InvalidInputError, SignatureError
from liaison.merkle import leaf_hash, node_hash, verify_path
from liaison.signing.canonical import canonical
from liaison.signing.keys import SigningKey, fingerprint, verify

__all__ = [
    "SIGNATURE_ALG",
    "SIGNATURE_EXT_ID",
    "Keyring",
    "SignatureInfo",
    "canonical_unsigned",
    "object_digest",
    "sign_objects",
    "signature_of",
    "strip_signature",
    "verify_object",
]

SIGNATURE_EXT_ID = "extension-definition--3c1f7a52-8d0e-4b7a-9f5e-2a6b1c9d4e70"
SIGNATURE_ALG = "ed25519-rfc9162-batch"

#: signer identity id -> {fingerprint: public key b64} of keys that are valid for it.
Keyring = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class SignatureInfo:
    """Who vouches for an object's bytes (``signer``) and who originated it (``origin``).

    ``origin`` differs from ``signer`` only on a redacted copy that a node released on
    the originator's behalf: the signed statement names the originator.
    """

    signer: str
    key_fingerprint: str
    signed: str
    origin: str = ""

    def __post_init__(self) -> None:
        if not self.origin:
            object.__setattr__(self, "origin", self.signer)

    @classmethod
    def of(cls, signer: str, key_fingerprint: str, signed: str, origin: str) -> SignatureInfo:
        """``SignatureInfo(signer, key_fingerprint, signed, origin)``, the same value,
        without the frozen dataclass's ``__init__`` (one per object verified)."""
        info = object.__new__(cls)
        object.__setattr__(
            info,
            "__dict__",
            {
                "signer": signer,
                "key_fingerprint": key_fingerprint,
                "signed": signed,
                "origin": origin or signer,
            },
        )
        return info


def _b64(b: bytes) -> str:
    return binascii.b2a_base64(b, newline=False).decode("ascii")


#: Base64 strings already decoded (a batch's proofs share their upper nodes, and every
#: object of a batch names the same root): string -> bytes. Successes only, bounded.
_DECODED: dict[str, bytes] = {}
_DECODED_MAX = 16_384
#: ... of at most this many characters (a SHA-256 hash in base64 takes 44).
_DECODED_LEN = 64


def _unb64(s: Any) -> bytes:
    if s.__class__ is str:
        got = _DECODED.get(s)
        if got is not None:
            return got
    if not isinstance(s, str):
        raise SignatureError("signature field is not a base64 string")
    try:
        # base64.b64decode(..., validate=True), without its wrapper
        raw = binascii.a2b_base64(s.encode("ascii"), strict_mode=True)
    except ValueError as exc:
        raise SignatureError("signature field is not valid base64") from exc
    if s.__class__ is str and len(s) <= _DECODED_LEN:  # a hostile string need not be short
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[s] = raw
    return raw


def strip_signature(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object as it was signed: without the Liaison signature extension."""
    out = dict(obj)
    ext = out.get("extensions")
    if isinstance(ext, dict) and SIGNATURE_EXT_ID in ext:
        rest = {k: v for k, v in ext.items() if k != SIGNATURE_EXT_ID}
        if rest:
            out["extensions"] = rest
        else:
            del out["extensions"]
    return out


def canonical_unsigned(obj: Mapping[str, Any]) -> bytes:
    """The canonical bytes an origin signature covers: the object without it."""
    if obj.__class__ is dict:
        ext = obj.get("extensions")
        if not (isinstance(ext, dict) and SIGNATURE_EXT_ID in ext):
            return canonical(obj)  # nothing to strip: no copy
    return canonical(strip_signature(obj))


def object_digest(obj: Mapping[str, Any]) -> bytes:
    """The Merkle leaf hash of an object (signature excluded)."""
    return leaf_hash(canonical_unsigned(obj))


def signature_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    ext = obj.get("extensions")
    if isinstance(ext, dict):
        sig = ext.get(SIGNATURE_EXT_ID)
        if isinstance(sig, dict):
            return sig
    return None


_STATEMENT = ("alg", "batch_root", "batch_size", "key", "signed", "signer")


def _statement(sig: Mapping[str, Any]) -> bytes:
    fields = {k: sig[k] for k in _STATEMENT}
    if "origin" in sig:  # a redacted copy released on the originator's behalf
        fields["origin"] = sig["origin"]
    return canonical(fields)


def sign_objects(
    objs: Sequence[Mapping[str, Any]],
    key: SigningKey,
    signer: str,
    signed: str,
    *,
    origin: str | None = None,
    canonicals: Sequence[bytes] | None = None,
) -> list[dict[str, Any]]:
    """Copies of ``objs``, each carrying the batch signature and its inclusion proof.

    ``origin``: the originator, when ``signer`` signs a redacted copy of someone
    else's object (it is part of the signed statement). ``canonicals``: the objects'
    ``canonical_unsigned`` forms when the caller already has them (computed once);
    ``InvalidInputError`` if there is not exactly one per object.
    """
    if canonicals is not None and len(canonicals) != len(objs):
        raise InvalidInputError(
            f"{len(canonicals)} canonical forms for {len(objs)} objects: "
            "one canonical form per object"
        )
    if not objs:
        return []
    # ``strip_signature`` of each: a copy, as it is when it has no extensions
    bare = [dict(o) if o.get("extensions") is None else strip_signature(o) for o in objs]
    if canonicals is None:
        canonicals = [canonical(o) for o in bare]
    levels = _levels(canonicals)
    size = len(canonicals)
    head = {
        "alg": SIGNATURE_ALG,
        "batch_root": _b64(levels[-1][0]),
        "batch_size": size,
        "key": key.fingerprint,
        "signed": signed,
        "signer": signer,
    }
    if origin is not None and origin != signer:
        head["origin"] = origin
    head["signature"] = key.sign(_statement(head))
    out = []
    base: dict[str, Any] = {"extension_type": "property-extension", **head}
    for i, (o, proof) in enumerate(zip(bare, _proofs(levels), strict=True)):
        ext = dict(o.get("extensions") or {})
        body = base.copy()
        body["index"] = i
        if proof:  # a batch of one has no proof; STIX forbids empty lists
            body["proof"] = proof
        ext[SIGNATURE_EXT_ID] = body
        o["extensions"] = ext  # ``o`` is strip_signature's copy: ours to change
        out.append(o)
    return out


def _levels(canonicals: Sequence[bytes]) -> list[list[bytes]]:
    """The Merkle tree of a batch (RFC 9162), level by level: the leaf hashes, then each
    level's nodes paired left to right, the last one of an odd level carried up
    unpaired, up to the root alone. (The largest power of two below ``n`` leaves is the
    left subtree of ``MTH`` at every level: this is the same tree, built bottom up.)"""
    sha256 = hashlib.sha256
    level = [sha256(b"\x00" + c).digest() for c in canonicals]
    levels = [level]
    while len(level) > 1:
        up = [node_hash(level[j], level[j + 1]) for j in range(0, len(level) - 1, 2)]
        if len(level) & 1:
            up.append(level[-1])
        level = up
        levels.append(level)
    return levels


def _proofs(levels: list[list[bytes]]) -> list[list[str]]:
    """The inclusion proof of every leaf (``merkle.inclusion_proof``, nearest sibling
    first), base64: built from the root down -- the proof of a node is its sibling's
    hash, then its parent's proof (a node carried up unpaired has its parent's) -- with
    each hash encoded once."""
    paths: list[list[str]] = [[]]  # the root's
    for level in reversed(levels[:-1]):
        encoded = [_b64(h) for h in level]
        m = len(level)
        above = paths
        paths = [[encoded[j ^ 1], *above[j >> 1]] if j ^ 1 < m else above[j >> 1] for j in range(m)]
    return paths


#: Signed statements whose signature verified: (batch_root, batch_size, key, signed,
#: signer, signature, origin) -> who vouches for the objects under it (one frozen value
#: shared by all of them).
_VERIFIED_ROOTS: dict[tuple[str, int, str, str, str, str, str], SignatureInfo] = {}
#: Public keys (base64) whose fingerprint was computed: key -> ``fingerprint(key)``.
_FINGERPRINTS: dict[str, str] = {}


def _fingerprint(pub: str) -> str:
    """``fingerprint(pub)``, computed once per key (it hashes the decoded key)."""
    if pub.__class__ is not str:
        return fingerprint(pub)
    got = _FINGERPRINTS.get(pub)
    if got is None:
        got = fingerprint(pub)
        if len(_FINGERPRINTS) >= 1024:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[pub] = got
    return got


def verify_object(
    obj: Mapping[str, Any], keyring: Keyring, revoked: Callable[[str], bool] | None = None
) -> SignatureInfo:
    """Check an object's origin signature; raise ``SignatureError`` saying why not."""
    sig = signature_of(obj)
    if sig is not None:
        info = _verified_quickly(obj, sig, keyring, revoked)
        if info is not None:
            return info
    return _verify_object(obj, sig, keyring, revoked)


_STR = frozenset({str})
_MISSING: Any = object()
_FIELDS = operator.itemgetter(
    "alg", "batch_root", "batch_size", "index", "key", "signed", "signer", "signature"
)


def _verified_quickly(
    obj: Mapping[str, Any],
    sig: Mapping[str, Any],
    keyring: Keyring,
    revoked: Callable[[str], bool] | None,
) -> SignatureInfo | None:
    """What ``_verify_object`` answers for an object that verifies, found with what is
    remembered -- or None, and ``_verify_object`` says whether and why not.

    The same checks, in another order (all of them pass, or None): every field of the
    expected type exactly (JSON's), the key known and not revoked, the leaf hash
    computed from the object, linked by its proof to the root (``merkle.verify_path``
    on the base64 strings: only the hashes it uses are decoded -- the rest of a path
    equal, string for string, to one already verified decodes as it did), then the
    statement's signature (the very call ``_verify_object`` makes last).
    """
    try:
        alg, root, size, index, fp, signed, signer, signature = _FIELDS(sig)
    except KeyError:
        return None
    origin, raw = sig.get("origin", signer), sig.get("proof", _MISSING)
    if raw is _MISSING and size == 1:
        raw = []
    if not (
        signer.__class__ is str
        and fp.__class__ is str
        and signed.__class__ is str
        and signature.__class__ is str
        and origin.__class__ is str
        and alg.__class__ is str
        and alg == SIGNATURE_ALG
        and index.__class__ is int
        and size.__class__ is int
        and root.__class__ is str
        and raw.__class__ is list
        and set(map(type, raw)) <= _STR
    ):
        return None
    keys = keyring.get(signer)
    pub = keys.get(fp) if keys else None
    if pub is None or _fingerprint(pub) != fp or (revoked is not None and revoked(fp)):
        return None
    try:
        if not verify_path(object_digest(obj), index, size, raw, root, _unb64):
            return None
    except (InvalidInputError, SignatureError):
        return None
    return _vouched(pub, sig, root, size, fp, signed, signer, signature, origin)


def _vouched(
    pub: str,
    sig: Mapping[str, Any],
    root: str,
    size: int,
    fp: str,
    signed: str,
    signer: str,
    signature: str,
    origin: str,
) -> SignatureInfo:
    """The statement's signature checked, once per statement (``SignatureError`` if it
    does not verify), and who vouches for the object."""
    # Every field of the signed statement, exactly typed: equal tuples, equal statements.
    cache_key = (root, size, fp, signed, signer, signature, origin)
    info = _VERIFIED_ROOTS.get(cache_key)
    if info is None:
        verify(pub, _statement(sig), signature)
        if len(_VERIFIED_ROOTS) > 100_000:
            _VERIFIED_ROOTS.clear()
        info = _VERIFIED_ROOTS[cache_key] = SignatureInfo.of(signer, fp, signed, origin)
    return info


def _verify_object(
    obj: Mapping[str, Any],
    sig: Mapping[str, Any] | None,
    keyring: Keyring,
    revoked: Callable[[str], bool] | None,
) -> SignatureInfo:
    """``verify_object`` checking every field in turn: the first problem is the answer."""
    oid = obj.get("id", "?")
    if sig is None:
        raise SignatureError(f"{oid}: not signed")
    try:
        signer, fp, signed, signature = sig["signer"], sig["key"], sig["signed"], sig["signature"]
        origin = sig.get("origin", signer)
        if not (
            signer.__class__ is str
            and fp.__class__ is str
            and signed.__class__ is str
            and signature.__class__ is str
            and origin.__class__ is str
        ) and not all(isinstance(v, str) for v in (signer, fp, signed, signature, origin)):
            raise TypeError("signer, origin, key, signed and signature must be strings")
        index, size = sig["index"], sig["batch_size"]
        raw_proof = sig["proof"] if "proof" in sig or size != 1 else []
        if not isinstance(raw_proof, list):
            raise TypeError("proof is not a list")
        proof = tuple([_unb64(h) for h in raw_proof])  # bytes, exactly
        batch_root = _unb64(sig["batch_root"])
        if sig["alg"] != SIGNATURE_ALG:
            raise SignatureError(f"{oid}: unknown signature algorithm {sig['alg']!r}")
        if not (type(index) is int and type(size) is int and 0 <= index < size):
            raise SignatureError(f"{oid}: bad proof position")
    except (KeyError, TypeError) as exc:
        raise SignatureError(f"{oid}: malformed signature extension ({exc})") from exc
    keys = keyring.get(signer)
    if not keys:
        raise SignatureError(f"{oid}: signer {signer} is not a known partner")
    pub = keys.get(fp)
    if pub is None or _fingerprint(pub) != fp:
        raise SignatureError(f"{oid}: key {fp} is not a known key of {signer}")
    if revoked is not None and revoked(fp):
        raise SignatureError(f"{oid}: key {fp} of {signer} is revoked")
    if not verify_path(object_digest(obj), index, size, proof, batch_root):
        raise SignatureError(f"{oid}: object was altered (digest not in the signed batch)")
    return _vouched(pub, sig, sig["batch_root"], size, fp, signed, signer, signature, origin)
