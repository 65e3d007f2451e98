"""Agreements, consents and receipts held by a node: storage, authority, audit, visibility.

Agreements and consents are signed documents, stored as records (every version of
an agreement is kept; consents by id, the latest answer wins). A document handed over
by a party -- over the API, at sync or as a file -- is stored only if it parses,
concerns both this node and that party, every signature it carries verifies, and it
does not rewrite what was held (ADR 0005):

* an agreement keeps its parties for life: a version naming other parties than the
  versions already held is refused;
* a consent keeps what it is about (object, originator, recipient, requester): a
  version under a held id that changes any of them is refused; a grant re-dates the
  object (so incremental pulls see it) only when signed by the object's originator;
* a receipt never changes (a second receipt under a held id is refused).

Every stored document writes its audit entry in the same transaction, whoever stored
it (CLI, console, sync, API).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from liaison.agreements import Agreement, Consent, latest, problems, state, verify_consent
from liaison.agreements.model import format_ts
from liaison.agreements.receipts import verify_receipt
from liaison.audit import Action, AuditEntry, ObjectRef
from liaison.errors import (
    AgreementError,
    ConflictError,
    DeniedError,
    InvalidInputError,
    LiaisonError,
    NotFoundError,
    SignatureError,
)
from liaison.node import Node
from liaison.service.events import audit_log, partner_ledger
from liaison.store import PartyRecord

__all__ = [
    "accept_receipt",
    "agreement_versions",
    "agreements",
    "consents",
    "get_agreement",
    "keep_sent_receipt",
    "known_names",
    "put_agreement",
    "put_consent",
    "put_receipt",
    "visible_to",
]


def _key(a: Agreement) -> str:
    return f"{a.id}@{format_ts(a.modified)}"


def _actor(sender: PartyRecord | None, actor: str | None) -> str:
    return actor or (sender.name if sender is not None else "operator")


def _audit(
    node: Node, entry: AuditEntry, partners: Iterable[str] = (), ledger: AuditEntry | None = None
) -> Callable[[], None]:
    """Append ``entry`` to the log and ``ledger`` (or ``entry``) to each partner's ledger."""

    def append() -> None:
        with audit_log(node) as log:
            log.append(entry)
        others = sorted(set(partners) - {node.identity_id})
        if others:
            with partner_ledger(node) as led:
                for pid in others:
                    led.append(pid, [ledger or entry])

    return append


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
    """An agreement by id, or by name when exactly one agreement has that name."""
    held = agreements(node)
    for a in held:
        if a.id == ref:
            return a
    named = [a for a in held if a.name == ref]
    if len(named) > 1:
        ids = ", ".join(a.id for a in named)
        raise ConflictError(f"several agreements are named {ref!r} ({ids}): give the id")
    if named:
        return named[0]
    raise NotFoundError(f"no agreement {ref!r}")


def _bad_signatures(a: Agreement) -> list[str]:
    return [p for p in problems(a) if "does not verify" in p]


def put_agreement(
    node: Node,
    raw: Any,
    *,
    sender: PartyRecord | None = None,
    actor: str | None = None,
    channel: str = "cli",
) -> Agreement:
    """Store one agreement version (merging signatures of the same version), audited."""
    a = Agreement.from_stix(raw)
    if a.party(node.identity_id) is None:
        raise AgreementError(f"{a.id}: this node is not a party to it")
    if sender is not None and not sender.internal and a.party(sender.identity_id) is None:
        raise DeniedError(f"{a.id}: {sender.name} is not a party to it")
    bad = _bad_signatures(a)
    if bad:
        raise SignatureError(f"{a.id}: " + "; ".join(bad))
    held = [v for v in agreement_versions(node) if v.id == a.id]
    if held and any(v.party_ids != a.party_ids for v in held):
        raise AgreementError(
            f"{a.id}: a version with other parties than the agreement held here (an "
            "agreement's parties never change: propose a new agreement)"
        )
    existing = node.store.record("agreement", _key(a))
    had_ours = False
    if existing is not None:
        old = Agreement.from_stix(existing)
        if old.signing_payload() != a.signing_payload():
            raise AgreementError(f"{a.id}: a different document with the same version exists")
        had_ours = node.identity_id in old.signatures
        merged = dict(a.to_stix())
        sigs = {s["party_ref"]: s for s in existing.get("signatures", [])}
        sigs.update({s["party_ref"]: s for s in merged.get("signatures", [])})
        merged["signatures"] = sorted(sigs.values(), key=lambda s: str(s["party_ref"]))
        a = Agreement.from_stix(merged)
    ours = node.identity_id in a.signatures and not had_ours
    entry = AuditEntry(
        Action.AGREEMENT_SIGNED if ours else "agreement.stored",
        _actor(sender, actor),
        agreement=a.id,
        details={
            "channel": channel,
            "name": a.name[:200] or "-",
            "version": format_ts(a.modified),
            "state": state(a),
            "signatures": len(a.signatures),
            "from": sender.identity_id if sender is not None else node.identity_id,
        },
    )
    shared = AuditEntry(
        "exchange.agreement",
        "node",
        agreement=a.id,
        details={"version": format_ts(a.modified), "signatures": len(a.signatures)},
    )
    node.store.put_record(
        "agreement", _key(a), a.to_stix(), within=_audit(node, entry, a.party_ids, shared)
    )
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


_CONSENT_FIXED = ("object_ref", "originator_ref", "recipient_ref", "requester_ref")


def put_consent(
    node: Node,
    raw: Any,
    *,
    sender: PartyRecord | None = None,
    actor: str | None = None,
    channel: str = "cli",
) -> Consent:
    """Store a consent request or answer whose signature verifies, audited."""
    c = Consent.from_stix(raw)
    # A partner hands over what it signed, or forwards an originator's answer that
    # concerns this node (a relay needs the originator's consent here).
    forwarded = sender is not None and not sender.internal and c.signed_by != sender.identity_id
    if forwarded and node.identity_id not in (c.recipient_ref, c.originator_ref, c.requester_ref):
        raise DeniedError(f"{c.id}: {c.signed_by} signed it, and it does not concern this node")
    key = _key_of(node, c.signed_by)
    if key is None:
        raise SignatureError(f"{c.id}: signer {c.signed_by} has no known key")
    verify_consent(c, key)
    current_raw = node.store.record("consent", c.id)
    if current_raw is not None:
        current = Consent.from_stix(current_raw)
        changed = [f for f in _CONSENT_FIXED if getattr(current, f) != getattr(c, f)]
        if changed:
            raise ConflictError(
                f"{c.id}: a consent under this id is about another "
                + ", ".join(f.removesuffix("_ref") for f in changed)
                + " (what a consent is about never changes)"
            )
        if current.modified >= c.modified:
            return current  # known already, or older than what we hold
    signed_here = c.signed_by == node.identity_id
    entry = AuditEntry(
        Action.CONSENT_SIGNED if signed_here else "consent.stored",
        _actor(sender, actor),
        objects=(ObjectRef(c.object_ref, None, None),),
        recipient=c.recipient_ref,
        decision={"granted": "allow", "denied": "deny"}.get(c.decision),
        details={
            "channel": channel,
            "consent": c.id,
            "state": c.decision,
            "originator": c.originator_ref,
            "signed_by": c.signed_by,
        },
    )
    # The recipient learns of a consent only once it is granted (see ``visible_to``).
    concerned = [c.originator_ref, c.requester_ref]
    if c.decision == "granted":
        concerned.append(c.recipient_ref)
    shared = AuditEntry(
        "exchange.consent",
        "node",
        objects=(ObjectRef(c.object_ref, None, None),),
        details={"consent": c.id, "state": c.decision, "signed_by": c.signed_by},
    )
    node.store.put_record(
        "consent", c.id, c.to_stix(), within=_audit(node, entry, concerned, shared)
    )
    if c.decision == "granted" and _originator(node, c.object_ref) == c.signed_by:
        # Partners that already synced past the object must see it again: re-date it --
        # only on the word of the object's own originator.
        node.store.redate(c.object_ref)
    return c


def _originator(node: Node, object_id: str) -> str | None:
    owner = node.store.owners([object_id]).get(object_id)
    if owner is None:
        return None
    return owner or node.identity_id


def accept_receipt(node: Node, receipt: Any, sender: PartyRecord) -> None:
    """A partner's signed receipt: checked against its pinned key, then kept."""
    if sender.internal or not sender.public_key_b64:
        raise DeniedError("only a partner with a pinned key sends receipts")
    verify_receipt(receipt, sender.public_key_b64)
    if receipt.get("receiver") != sender.identity_id:
        raise InvalidInputError("the receipt's receiver is not the sending party")
    put_receipt(node, receipt, sender=sender)


def put_receipt(node: Node, receipt: dict[str, Any], *, sender: PartyRecord) -> None:
    """Keep a partner's signed receipt (verified by the caller); receipts never change."""
    rid = receipt.get("id")
    if not isinstance(rid, str) or not rid.startswith("receipt--") or len(rid) > 64:
        raise InvalidInputError("a receipt id must be receipt--<uuid>")
    entry = AuditEntry(
        "receipt.received",
        sender.name,
        recipient=sender.identity_id,
        details={"receipt": rid, "objects": len(receipt.get("objects") or [])},
    )
    node.store.add_record("receipt", rid, receipt, within=_audit(node, entry, [sender.identity_id]))


def known_names(node: Node) -> dict[str, str]:
    """Identity id -> name, for every partner and every agreement party this node knows
    (this node itself: its organisation)."""
    out = {p.identity_id: p.name for p in node.partners()}
    for a in agreement_versions(node):
        for p in a.parties:
            out.setdefault(p.identity_id, p.name)
    out[node.identity_id] = node.settings.org
    return out


def keep_sent_receipt(node: Node, receipt: dict[str, Any]) -> None:
    """Keep a copy of a receipt this node signed and sent (its proof of what it got).

    Not flushed (a killed process loses nothing): a power cut may lose it, and the
    checkpoint that follows it, with the rest since the last durable commit; the next
    pull then reads that page again and sends and keeps a receipt for it again."""
    node.store.add_record("receipt-sent", str(receipt["id"]), receipt, flush=False)


def visible_to(party: PartyRecord, doc: Agreement | Consent) -> bool:
    if isinstance(doc, Agreement):
        return doc.party(party.identity_id) is not None
    if party.identity_id in (doc.originator_ref, doc.requester_ref):
        return True
    # The recipient sees a consent only once granted -- a refused or pending request
    # must not tell it that the object exists -- so that it can take the object when a
    # partner relays it.
    return doc.decision == "granted" and party.identity_id == doc.recipient_ref
