"""Agreement lifecycle: propose → signed by every party → in force → suspended,
terminated or expired.

Every change is a new version (same id, later ``modified``). An ``active`` version is
in force only while every party's Ed25519 signature verifies over its canonical form
and ``now`` is within its validity. Suspension and termination are unilateral: a new
version with ``status`` set, signed by the acting party alone (see docs/adr/0002).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from liaison.agreements.model import Agreement, AgreementParty, Contact, Scope, format_ts
from liaison.errors import AgreementError, InvalidInputError, SignatureError
from liaison.markings.extensions import AGREEMENT_EXT_ID, AGREEMENT_TYPE
from liaison.signing import SigningKey, verify

__all__ = [
    "AgreementState",
    "latest",
    "problems",
    "propose",
    "revise",
    "sign",
    "state",
    "suspend",
    "terminate",
]

AgreementState = Literal["proposed", "in-force", "suspended", "terminated", "expired"]


@lru_cache(maxsize=8192)
def _signature_ok(public_key_b64: str, payload: bytes, signature_b64: str) -> bool:
    try:
        verify(public_key_b64, payload, signature_b64)
    except SignatureError:
        return False
    return True


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def propose(
    *,
    proposer: str,
    name: str,
    parties: Sequence[AgreementParty],
    scope: Scope,
    max_classification: Mapping[str, str],
    equivalence: Sequence[Mapping[str, str]],
    retention_days: int,
    valid_from: datetime,
    valid_until: datetime,
    contacts: Sequence[Contact] = (),
    now: datetime | None = None,
    agreement_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Agreement:
    """A new, unsigned agreement (state "proposed"). Raises ``AgreementError``."""
    ts = format_ts(_now(now))
    obj: dict[str, Any] = {
        **(extra or {}),
        "type": AGREEMENT_TYPE,
        "spec_version": "2.1",
        "id": agreement_id or f"{AGREEMENT_TYPE}--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "created_by_ref": proposer,
        "name": name,
        "parties": [p.to_json() for p in parties],
        "scope": scope.to_json(),
        "max_classification": dict(max_classification),
        "classification_equivalence": [dict(r) for r in equivalence],
        "retention_days": retention_days,
        "valid_from": format_ts(valid_from),
        "valid_until": format_ts(valid_until),
        "contacts": [c.to_json() for c in contacts],
        "status": "active",
        "signatures": [],
        "extensions": {AGREEMENT_EXT_ID: {"extension_type": "new-sdo"}},
    }
    return Agreement.from_stix(obj)


def _new_version(
    agreement: Agreement, now: datetime | None, changes: Mapping[str, Any]
) -> Agreement:
    obj = agreement.to_stix()
    ts = _now(now)
    if ts <= agreement.modified:
        raise AgreementError(
            f"{agreement.id}: a new version must be later than {format_ts(agreement.modified)}"
        )
    for key in ("status_by", "status_reason"):
        obj.pop(key, None)
    obj.update(changes)
    obj["modified"] = format_ts(ts)
    obj["signatures"] = []
    return Agreement.from_stix(obj)


def revise(agreement: Agreement, *, now: datetime | None = None, **changes: Any) -> Agreement:
    """A new active version with ``changes`` (STIX property names), to be signed by all.

    Also the way to resume a suspended agreement. A terminated one cannot be revised.
    """
    if agreement.status == "terminated":
        raise AgreementError(f"{agreement.id} is terminated; propose a new agreement")
    return _new_version(agreement, now, {**changes, "status": "active"})


def sign(agreement: Agreement, party_identity_id: str, key: SigningKey) -> Agreement:
    """Add ``party_identity_id``'s signature over this exact version."""
    party = agreement.party(party_identity_id)
    if party is None:
        raise AgreementError(f"{party_identity_id} is not a party to {agreement.id}")
    if key.public_key_b64 != party.public_key_b64:
        raise AgreementError(f"this key is not the one {party.name} declared in {agreement.id}")
    if agreement.status != "active" and party_identity_id != agreement.status_by:
        raise AgreementError(f"only {agreement.status_by} signs this {agreement.status} notice")
    obj = agreement.to_stix()
    sig = key.sign(agreement.signing_payload())
    sigs = [s for s in obj.get("signatures", []) if s.get("party_ref") != party_identity_id]
    sigs.append({"party_ref": party_identity_id, "signature": sig})
    obj["signatures"] = sorted(sigs, key=lambda s: str(s["party_ref"]))
    return Agreement.from_stix(obj)


def _status_notice(
    agreement: Agreement,
    status: str,
    party_identity_id: str,
    key: SigningKey,
    reason: str,
    now: datetime | None,
) -> Agreement:
    if agreement.party(party_identity_id) is None:
        raise AgreementError(f"{party_identity_id} is not a party to {agreement.id}")
    if agreement.status == "terminated":
        raise AgreementError(f"{agreement.id} is already terminated")
    changes = {"status": status, "status_by": party_identity_id, "status_reason": reason}
    return sign(_new_version(agreement, now, changes), party_identity_id, key)


def suspend(
    agreement: Agreement,
    party_identity_id: str,
    key: SigningKey,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Agreement:
    """A suspension notice: new version signed by the suspending party alone."""
    return _status_notice(agreement, "suspended", party_identity_id, key, reason, now)


def terminate(
    agreement: Agreement,
    party_identity_id: str,
    key: SigningKey,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Agreement:
    """A termination notice: new version signed by the terminating party alone. Final."""
    return _status_notice(agreement, "terminated", party_identity_id, key, reason, now)


def problems(agreement: Agreement) -> list[str]:
    """Why this version's signatures do not make it effective (empty when they do)."""
    try:
        payload = agreement.signing_payload()
    except InvalidInputError as exc:  # e.g. an integer beyond what RFC 8785 can sign
        return [f"the document cannot be put in canonical form: {exc}"]
    out: list[str] = []
    needed = (
        [p.identity_id for p in agreement.parties]
        if agreement.status == "active"
        else [str(agreement.status_by)]
    )
    for pid in needed:
        party = agreement.party(pid)
        sig = agreement.signatures.get(pid)
        if party is None:
            out.append(f"{pid} is not a party")
        elif sig is None:
            out.append(f"not signed by {party.name}")
        elif not _signature_ok(party.public_key_b64, payload, sig):
            out.append(f"signature of {party.name} does not verify")
    for pid, sig in agreement.signatures.items():
        party = agreement.party(pid)
        if (
            pid not in needed
            and party is not None
            and not _signature_ok(party.public_key_b64, payload, sig)
        ):
            out.append(f"signature of {party.name} does not verify")
    return out


def state(agreement: Agreement, now: datetime | None = None) -> AgreementState:
    """Where ``agreement`` (this version) stands at ``now``.

    "in-force" only if every party's signature verifies over this exact version and
    ``valid_from <= now < valid_until``. A notice that does not verify, or a signed
    version not yet valid, counts as "proposed": never in force.
    """
    when = _now(now)
    if problems(agreement):
        return "proposed"
    if agreement.status == "terminated":
        return "terminated"
    if when >= agreement.valid_until:
        return "expired"
    if agreement.status == "suspended":
        return "suspended"
    if when < agreement.valid_from:
        return "proposed"
    return "in-force"


def latest(versions: Iterable[Agreement]) -> dict[str, Agreement]:
    """The latest version of each agreement id, by ``modified``."""
    out: dict[str, Agreement] = {}
    for a in versions:
        cur = out.get(a.id)
        if cur is None or a.modified > cur.modified:
            out[a.id] = a
    return out
