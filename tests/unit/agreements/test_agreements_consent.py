"""Consent objects: signed by the right party, and nothing else verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liaison.agreements import Consent, deny, grant, request, verify_consent
from liaison.errors import AgreementError, InvalidStixError, SignatureError
from liaison.signing import SigningKey

NOW = datetime(2026, 11, 29, tzinfo=UTC)
FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
KEYS = {p: SigningKey.generate() for p in (FR, DZ, MR)}
OBJ = "report--00000000-0000-4000-8000-000000000001"


def _request() -> Consent:
    return request(OBJ, originator=MR, recipient=DZ, requester=FR, requester_key=KEYS[FR],
                   justification="partage FR–DZ", now=NOW)  # fmt: skip


def test_request_then_grant_travel_as_stix() -> None:
    req = _request()
    assert req.decision == "requested" and req.signed_by == FR
    verify_consent(req, KEYS[FR].public_key_b64)
    travelled = Consent.from_stix(req.to_stix())  # to MR and back
    g = grant(travelled, KEYS[MR], now=NOW + timedelta(hours=1),
              valid_until=NOW + timedelta(days=30))  # fmt: skip
    assert (g.decision, g.signed_by, g.key) == ("granted", MR, (OBJ, MR, DZ))
    assert g.id == req.id and g.modified > req.modified
    verify_consent(Consent.from_stix(g.to_stix()), KEYS[MR].public_key_b64)
    d = deny(req, KEYS[MR], now=NOW + timedelta(hours=2))
    assert d.decision == "denied"
    verify_consent(d, KEYS[MR].public_key_b64)


def test_grant_signed_by_anyone_else_does_not_verify() -> None:
    g = grant(_request(), KEYS[DZ], now=NOW + timedelta(hours=1))  # DZ pretends to be MR
    with pytest.raises(SignatureError, match="does not verify"):
        verify_consent(g, KEYS[MR].public_key_b64)


def test_altered_grant_does_not_verify() -> None:
    raw = grant(_request(), KEYS[MR], now=NOW + timedelta(hours=1)).to_stix()
    raw["recipient_ref"] = "identity--00000000-0000-4000-8000-0000000000ee"
    with pytest.raises(SignatureError):
        verify_consent(Consent.from_stix(raw), KEYS[MR].public_key_b64)


def test_a_grant_must_name_the_originator_as_signer() -> None:
    raw = grant(_request(), KEYS[MR], now=NOW + timedelta(hours=1)).to_stix()
    raw["signature"]["party_ref"] = FR
    with pytest.raises(InvalidStixError, match="signed by"):
        Consent.from_stix(raw)


def test_no_consent_to_the_originator_itself_and_answers_come_later() -> None:
    with pytest.raises(AgreementError, match="originator itself"):
        request(OBJ, originator=MR, recipient=MR, requester=FR, requester_key=KEYS[FR])
    with pytest.raises(AgreementError, match="later than the request"):
        grant(_request(), KEYS[MR], now=NOW)
