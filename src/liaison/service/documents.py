"""Agreements and consents held by a node: storage, checks on import, and who sees them.

Agreements and consents are signed documents, stored as records (every version of
an agreement is kept; consents by id, the latest answer wins). A document handed over
by a party -- over the API or as a file -- is stored only if it parses, concerns both
this node and that party, and every signature it carries verifies.
"""

from __future__ import annotations

from typing import Any

from liaison.agreements import Agreement, Consent, latest, problems, verify_consent
from liaison.agreements.model import format_ts
from liaison.errors import (
    AgreementError,
    DeniedError,
    LiaisonError,
    NotFoundError,
    SignatureError,
)
from liaison.node import Node
from liaison.store import PartyRecord

__all__ = [
    "agreement_versions",
    "agreements",
    "consents",
    "get_agreement",
    "put_agreement",
    "put_consent",
    "visible_to",
]


def _key(a: Agreement) -> str:
    return f"{a.id}@{format_ts(a.modified)}"


def agreement_versions(node: Node) -> list[Agreement]:
    out = []
    for _, raw in node.store.records("agreement"):
        try:
            out.append(Agreement.from_stix(raw))
        except AgreementError:
            continue
    return out


def agreements(node: Node) -> list[Agreement]:
    """The latest version of each agreement this node holds."""
    return sorted(latest(agreement_versions(node)).values(), key=lambda a: a.name)


def get_agreement(node: Node, ref: str) -> Agreement:
    for a in agreements(node):
        if a.id == ref or a.name == ref:
            return a
    raise NotFoundError(f"no agreement {ref!r}")


def _bad_signatures(a: Agreement) -> list[str]:
    return [p for p in problems(a) if "does not verify" in p]


def put_agreement(node: Node, raw: Any, *, sender: PartyRecord | None = None) -> Agreement:
    """Store one agreement version (merging signatures of the same version)."""
    a = Agreement.from_stix(raw)
    if a.party(node.identity_id) is None:
        raise AgreementError(f"{a.id}: this node is not a party to it")
    if sender is not None and not sender.internal and a.party(sender.identity_id) is None:
        raise DeniedError(f"{a.id}: {sender.name} is not a party to it")
    bad = _bad_signatures(a)
    if bad:
        raise SignatureError(f"{a.id}: " + "; ".join(bad))
    existing = node.store.record("agreement", _key(a))
    if existing is not None:
        old = Agreement.from_stix(existing)
        if old.signing_payload() != a.signing_payload():
            raise AgreementError(f"{a.id}: a different document with the same version exists")
        merged = dict(a.to_stix())
        sigs = {s["party_ref"]: s for s in existing.get("signatures", [])}
        sigs.update({s["party_ref"]: s for s in merged.get("signatures", [])})
        merged["signatures"] = sorted(sigs.values(), key=lambda s: str(s["party_ref"]))
        a = Agreement.from_stix(merged)
    node.store.put_record("agreement", _key(a), a.to_stix())
    return a


def consents(node: Node) -> list[Consent]:
    out = []
    for _, raw in node.store.records("consent"):
        try:
            out.append(Consent.from_stix(raw))
        except LiaisonError:  # a malformed record is skipped, never trusted
            continue
    return sorted(out, key=lambda c: c.modified)


def _key_of(node: Node, identity_id: str) -> str | None:
    if identity_id == node.identity_id:
        return node.key.public_key_b64
    for a in agreement_versions(node):
        ap = a.party(identity_id)
        if ap is not None:
            return ap.public_key_b64
    for p in node.store.parties():
        if p.identity_id == identity_id and p.public_key_b64:
            return p.public_key_b64
    return None


def put_consent(node: Node, raw: Any, *, sender: PartyRecord | None = None) -> Consent:
    """Store a consent request or answer whose signature verifies."""
    c = Consent.from_stix(raw)
    if sender is not None and not sender.internal and c.signed_by != sender.identity_id:
        raise DeniedError(f"{c.id}: {sender.name} did not sign it")
    key = _key_of(node, c.signed_by)
    if key is None:
        raise SignatureError(f"{c.id}: signer {c.signed_by} has no known key")
    verify_consent(c, key)
    current = node.store.record("consent", c.id)
    if current is not None and Consent.from_stix(current).modified >= c.modified:
        return Consent.from_stix(current)  # known already, or older than what we hold
    node.store.put_record("consent", c.id, c.to_stix())
    if c.decision == "granted":
        # Partners that already synced past the object must see it again: re-date it.
        node.store.redate(c.object_ref)
    return c


def visible_to(party: PartyRecord, doc: Agreement | Consent) -> bool:
    if isinstance(doc, Agreement):
        return doc.party(party.identity_id) is not None
    # Not the recipient: a refused request must not tell it that the object exists.
    return party.identity_id in (doc.originator_ref, doc.requester_ref)
