"""Key rotation: a new identity key, signed by the old one, announced to partners.

The announcement names the node, the old and the new public key and a time; the old
key signs it (authority) and the new key signs it too (possession). The old key stays
valid for what it signed before (a retired key), and partners that pinned it accept
the new one only through an announcement it signed.
"""

from __future__ import annotations

from typing import Any

from liaison.audit import AuditEntry
from liaison.errors import SignatureError
from liaison.node import KEY_FILE, Node
from liaison.service.events import audit_log, partner_ledger
from liaison.signing import SigningKey, canonical, fingerprint, verify
from liaison.store import PartyRecord, format_us, now_us

__all__ = ["accept_rotation", "announcements", "rotate"]

_FIELDS = ("identity", "old_key", "new_key", "time")


def rotate(node: Node, actor: str = "operator") -> dict[str, Any]:
    """Rotate the node's key; return the signed announcement.

    Refused while ``liaison serve`` runs on this home: a running server would go on
    signing heads and objects with the retired key.
    """
    with node.exclusive("cannot rotate the key"):
        return _rotate(node, actor)


def _rotate(node: Node, actor: str) -> dict[str, Any]:
    old, new = node.key, SigningKey.generate()
    body: dict[str, Any] = {
        "identity": node.identity_id,
        "old_key": old.public_key_b64,
        "new_key": new.public_key_b64,
        "time": format_us(now_us()),
    }
    payload = canonical({k: body[k] for k in _FIELDS})
    body["signature_old"] = old.sign(payload)
    body["signature_new"] = new.sign(payload)
    node.store.put_record(
        "own-retired-key",
        fingerprint(old.public_key_b64),
        {"fingerprint": fingerprint(old.public_key_b64), "public_key": old.public_key_b64},
    )
    node.store.put_record("key-announcement", body["time"], body)
    with audit_log(node) as log, log.connection.transaction(), partner_ledger(node) as led:
        log.rotate_key(new, actor)
        led.use_key(new)  # every partner's ledger records it, under the new key
        for pid in led.parties():
            led.append(
                pid,
                [
                    AuditEntry(
                        "exchange.key_rotated",
                        "node",
                        details={"old_key": old.public_key_b64, "new_key": new.public_key_b64},
                    )
                ],
            )
    new.save(node.home / KEY_FILE)  # atomic replace, mode 0600; the old secret is gone
    node.key = new
    return body


def announcements(node: Node) -> list[dict[str, Any]]:
    return [a for _, a in node.store.records("key-announcement")]


def accept_rotation(node: Node, party: PartyRecord, ann: Any) -> PartyRecord | None:
    """Re-pin ``party``'s key when ``ann`` is signed by the key we pinned for it."""
    from dataclasses import replace

    if not isinstance(ann, dict) or any(not isinstance(ann.get(k), str) for k in _FIELDS):
        return None
    if ann["identity"] != party.identity_id or ann["old_key"] != party.public_key_b64:
        return None
    payload = canonical({k: ann[k] for k in _FIELDS})
    try:
        verify(ann["old_key"], payload, str(ann.get("signature_old")))
        verify(ann["new_key"], payload, str(ann.get("signature_new")))
    except SignatureError:
        return None
    node.store.put_record(
        "partner-key",
        fingerprint(ann["old_key"]),
        {
            "identity_id": party.identity_id,
            "fingerprint": fingerprint(ann["old_key"]),
            "public_key": ann["old_key"],
        },
    )
    updated = replace(party, public_key_b64=ann["new_key"])
    node.store.update_party(updated)
    return updated
