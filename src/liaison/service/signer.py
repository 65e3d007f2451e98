"""Origin signatures for the exchange: this node signs, pinned partner keys verify."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from liaison.agreements import problems
from liaison.errors import InvalidInputError, SignatureError
from liaison.node import Node
from liaison.signing import fingerprint
from liaison.signing.canonical import canonical
from liaison.signing.objects import (
    SIGNATURE_EXT_ID,
    Keyring,
    SignatureInfo,
    canonical_unsigned,
    sign_objects,
    signature_of,
    verify_object,
)
from liaison.store import format_us, now_us

__all__ = ["NodeSigner", "keyring_of", "revoked_keys"]

log = logging.getLogger("liaison.signing")

_TTL = 10.0


def keyring_of(node: Node) -> dict[str, dict[str, str]]:
    """Every key this node trusts for origin signatures, by signer identity."""
    ring: dict[str, dict[str, str]] = {
        node.identity_id: {node.key.fingerprint: node.key.public_key_b64}
    }
    for _, old in node.store.records("own-retired-key"):
        ring[node.identity_id][old["fingerprint"]] = old["public_key"]
    for p in node.store.parties():
        if p.public_key_b64 and not p.internal:
            ring.setdefault(p.identity_id, {})[fingerprint(p.public_key_b64)] = p.public_key_b64
    from liaison.service.documents import agreement_versions

    for a in agreement_versions(node):  # keys named in agreements every party signed
        if not problems(a):
            for ap in a.parties:
                ring.setdefault(ap.identity_id, {})[fingerprint(ap.public_key_b64)] = (
                    ap.public_key_b64
                )
    for _, k in node.store.records("partner-key"):
        ring.setdefault(k["identity_id"], {})[k["fingerprint"]] = k["public_key"]
    return ring


def revoked_keys(node: Node) -> frozenset[str]:
    """Fingerprints of keys this node no longer trusts for any signature."""
    return frozenset(k for k, _ in node.store.records("revoked-key"))


class NodeSigner:
    def __init__(self, node: Node) -> None:
        self.node = node
        self._lock = threading.Lock()
        self._ring: Keyring = {}
        self._revoked: frozenset[str] = frozenset()
        self._key: tuple[int, ...] = ()
        self._at = 0.0
        self._checked = 0.0

    def _current(self) -> tuple[Keyring, frozenset[str]]:
        now = time.monotonic()
        with self._lock:  # look at the store at most once a second
            if self._ring and now - self._checked < 1.0:
                return self._ring, self._revoked
        gen = self.node.store.generation(
            ("partner-key", "revoked-key", "own-retired-key", "agreement", "party")
        )
        with self._lock:
            self._checked = now
            if gen == self._key and now - self._at < _TTL:
                return self._ring, self._revoked
        ring = keyring_of(self.node)
        revoked = frozenset(k for k, _ in self.node.store.records("revoked-key"))
        with self._lock:
            self._ring, self._revoked, self._key, self._at = ring, revoked, gen, time.monotonic()
        return ring, revoked

    def sign_new(
        self, objs: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], SignatureInfo] | str]:
        """Sign, as originator, the objects a local client created; say who signed each
        -- or, for an object that cannot be signed (RFC 8785 refuses it), why not.

        An object that already carries a valid signature (a partner's object a local
        analyst handles again, or one of ours) keeps it -- and stays the signer's
        object; everything else is signed by this node, in one batch whose canonical
        forms are computed once.
        """
        ring, revoked = self._current()
        out: list[tuple[dict[str, Any], SignatureInfo] | str] = [""] * len(objs)
        fresh: list[int] = []
        forms: list[bytes] = []
        for i, o in enumerate(objs):
            ext = o.get("extensions")
            # no signature extension (``signature_of`` finds none, nothing to strip)
            plain = o.__class__ is dict and (
                ext is None or (ext.__class__ is dict and SIGNATURE_EXT_ID not in ext)
            )
            if not plain and signature_of(o) is not None:
                try:
                    out[i] = (o, verify_object(o, ring, revoked.__contains__))
                    continue
                except SignatureError:
                    log.info("%s: replacing a signature that does not verify", o.get("id"))
            try:
                # ``canonical_unsigned(o)``: one with no signature to strip, as it is
                forms.append(canonical(o) if plain else canonical_unsigned(o))
            except InvalidInputError as exc:
                out[i] = f"cannot be signed: {exc}"
                continue
            fresh.append(i)
        if fresh:
            when = format_us(now_us())
            me = self.node.identity_id
            info = SignatureInfo(me, self.node.key.fingerprint, when)
            batch = [objs[i] for i in fresh]
            signed = sign_objects(batch, self.node.key, me, when, canonicals=forms)
            for i, s in zip(fresh, signed, strict=True):
                out[i] = (s, info)
        return out

    def resign(self, obj: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """Sign a redacted copy this node releases (its origin signature no longer fits).

        ``origin``: the object's originator when it is not this node; the signed
        statement then says that this node released the copy on its behalf.
        """
        me = self.node.identity_id
        return sign_objects([obj], self.node.key, me, format_us(now_us()), origin=origin or None)[0]

    def refresh(self) -> None:
        """Forget the cached keyring (after re-pinning a partner's key)."""
        with self._lock:
            self._ring, self._key = {}, ()

    def keys(self) -> tuple[Keyring, frozenset[str]]:
        """The keyring and revoked fingerprints ``verify`` uses now (cached as there)."""
        return self._current()

    def verify(self, obj: dict[str, Any]) -> SignatureInfo:
        ring, revoked = self._current()
        return verify_object(obj, ring, revoked.__contains__)
