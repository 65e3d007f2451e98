"""Release consents for the third-party rule (x-liaison-consent).

Node Y's analyst wants to pass object O, received from X (or derived from X's
material), to party Z. Y's node signs a *request*; it travels to X; X answers with a
new version of the same consent object, ``granted`` or ``denied``, signed by X. Only a
grant signed by the originator X lifts the third-party rule, and X may withdraw it
later with a signed ``denied`` version (the latest verified version wins).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from liaison.agreements.model import format_ts, parse_ts
from liaison.errors import AgreementError, InvalidStixError, SignatureError
from liaison.markings.extensions import CONSENT_EXT_ID, CONSENT_TYPE
from liaison.signing import SigningKey, canonical, verify

__all__ = ["Consent", "ConsentDecision", "deny", "grant", "request", "verify_consent"]

ConsentDecision = Literal["requested", "granted", "denied"]


@dataclass(frozen=True)
class Consent:
    id: str
    modified: datetime
    object_ref: str
    originator_ref: str
    recipient_ref: str
    requester_ref: str
    decision: ConsentDecision
    signed_by: str
    signature: str
    valid_until: datetime | None = None
    justification: str | None = None
    _raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """(object id, originator, recipient): what the consent is about."""
        return (self.object_ref, self.originator_ref, self.recipient_ref)

    def to_stix(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self._raw))

    def signing_payload(self) -> bytes:
        return canonical({k: v for k, v in self._raw.items() if k != "signature"})

    @classmethod
    def from_stix(cls, obj: Mapping[str, Any]) -> Consent:
        if not isinstance(obj, Mapping) or obj.get("type") != CONSENT_TYPE:
            raise InvalidStixError(f"not a consent object (type must be {CONSENT_TYPE})")
        raw = copy.deepcopy(dict(obj))
        oid = raw.get("id")
        if not isinstance(oid, str) or not oid.startswith(CONSENT_TYPE + "--"):
            raise InvalidStixError("consent id must be x-liaison-consent--<uuid>")
        refs = {}
        for name in ("object_ref", "originator_ref", "recipient_ref", "requester_ref"):
            value = raw.get(name)
            if not isinstance(value, str) or "--" not in value:
                raise InvalidStixError(f"{oid}: {name} must be a STIX id")
            refs[name] = value
        decision = raw.get("decision")
        if decision not in ("requested", "granted", "denied"):
            raise InvalidStixError(f"{oid}: decision must be requested, granted or denied")
        sig = raw.get("signature")
        if not isinstance(sig, dict) or not isinstance(sig.get("signature"), str):
            raise InvalidStixError(f"{oid}: a consent must carry its signature")
        expected = refs["requester_ref"] if decision == "requested" else refs["originator_ref"]
        if sig.get("party_ref") != expected or raw.get("created_by_ref") != expected:
            raise InvalidStixError(f"{oid}: a {decision} consent is signed by {expected}")
        until = raw.get("valid_until")
        try:
            valid_until = None if until is None else parse_ts(until, "valid_until")
            modified = parse_ts(raw.get("modified"), "modified")
        except AgreementError as exc:
            raise InvalidStixError(f"{oid}: {exc}") from exc
        return cls(
            id=oid,
            modified=modified,
            decision=decision,
            signed_by=expected,
            signature=sig["signature"],
            valid_until=valid_until,
            justification=raw.get("justification"),
            _raw=raw,
            **refs,
        )


def _signed(obj: dict[str, Any], signer: str, key: SigningKey) -> Consent:
    obj.pop("signature", None)
    obj["created_by_ref"] = signer
    obj["signature"] = {"party_ref": signer, "signature": key.sign(canonical(obj))}
    return Consent.from_stix(obj)


def request(
    object_id: str,
    *,
    originator: str,
    recipient: str,
    requester: str,
    requester_key: SigningKey,
    justification: str = "",
    now: datetime | None = None,
) -> Consent:
    """The requesting node asks ``originator`` to let ``object_id`` go to ``recipient``."""
    if originator == recipient:
        raise AgreementError("no consent is needed to release to the originator itself")
    ts = format_ts((now or datetime.now(UTC)).astimezone(UTC))
    obj: dict[str, Any] = {
        "type": CONSENT_TYPE,
        "spec_version": "2.1",
        "id": f"{CONSENT_TYPE}--{uuid.uuid4()}",
        "created": ts,
        "modified": ts,
        "object_ref": object_id,
        "originator_ref": originator,
        "recipient_ref": recipient,
        "requester_ref": requester,
        "decision": "requested",
        "justification": justification,
        "extensions": {CONSENT_EXT_ID: {"extension_type": "new-sdo"}},
    }
    return _signed(obj, requester, requester_key)


def _answer(
    req: Consent,
    decision: ConsentDecision,
    originator_key: SigningKey,
    now: datetime | None,
    valid_until: datetime | None,
) -> Consent:
    ts = (now or datetime.now(UTC)).astimezone(UTC)
    if ts <= req.modified:
        raise AgreementError(f"{req.id}: an answer must be later than the request")
    obj = req.to_stix()
    obj["decision"] = decision
    obj["modified"] = format_ts(ts)
    obj.pop("valid_until", None)
    if valid_until is not None:
        obj["valid_until"] = format_ts(valid_until)
    return _signed(obj, req.originator_ref, originator_key)


def grant(
    req: Consent,
    originator_key: SigningKey,
    *,
    now: datetime | None = None,
    valid_until: datetime | None = None,
) -> Consent:
    """The originator's signed consent (a new version of the request)."""
    return _answer(req, "granted", originator_key, now, valid_until)


def deny(req: Consent, originator_key: SigningKey, *, now: datetime | None = None) -> Consent:
    """The originator's signed refusal, or withdrawal of an earlier grant."""
    return _answer(req, "denied", originator_key, now, None)


def verify_consent(consent: Consent, public_key_b64: str) -> None:
    """Raise ``SignatureError`` unless ``consent`` is signed by the key of ``signed_by``."""
    try:
        verify(public_key_b64, consent.signing_payload(), consent.signature)
    except SignatureError as exc:
        raise SignatureError(
            f"{consent.id}: consent signature of {consent.signed_by} does not verify"
        ) from exc
