"""Agreement model and lifecycle: a forged, altered or partially signed one is never in force."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.agreements import (
    Agreement,
    AgreementParty,
    Contact,
    Scope,
    latest,
    problems,
    propose,
    revise,
    sign,
    state,
    suspend,
    terminate,
)
from liaison.errors import AgreementError
from liaison.signing import SigningKey
from suite_support import examples

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FR = "identity--00000000-0000-4000-8000-0000000000f1"
DZ = "identity--00000000-0000-4000-8000-0000000000d2"
MR = "identity--00000000-0000-4000-8000-0000000000a3"
KEYS = {p: SigningKey.generate() for p in (FR, DZ, MR)}
LEVELS = {
    FR: ("NON CLASSIFIÉ", "DIFFUSION RESTREINTE", "CONFIDENTIEL", "SECRET"),
    DZ: ("NC", "RESTREINT", "SECRET"),
    MR: ("NC", "DR", "C"),
}


def _party(pid: str) -> AgreementParty:
    return AgreementParty(pid, pid[-2:], KEYS[pid].public_key_b64, LEVELS[pid])


def _proposed(**over: Any) -> Agreement:
    args: dict[str, Any] = {
        "proposer": FR,
        "name": "FR–DZ renseignement Sahel",
        "parties": [_party(FR), _party(DZ)],
        "scope": Scope(frozenset({"indicator"}), frozenset({"terrorism"}), frozenset({"ML"})),
        "max_classification": {FR: "CONFIDENTIEL", DZ: "SECRET"},
        "equivalence": [
            {FR: "NON CLASSIFIÉ", DZ: "NC"},
            {FR: "DIFFUSION RESTREINTE", DZ: "RESTREINT"},
            {FR: "CONFIDENTIEL", DZ: "SECRET"},
        ],
        "retention_days": 365,
        "valid_from": NOW - timedelta(days=1),
        "valid_until": NOW + timedelta(days=365),
        "contacts": [Contact(FR, "Cdt Martin", email="pc@fr.example")],
        "now": NOW - timedelta(days=2),
    }
    args.update(over)
    return propose(**args)


def _signed() -> Agreement:
    return sign(sign(_proposed(), FR, KEYS[FR]), DZ, KEYS[DZ])


def test_lifecycle_proposed_signed_in_force_expired() -> None:
    a = _proposed()
    assert state(a, NOW) == "proposed"
    assert problems(a) == ["not signed by f1", "not signed by d2"]
    a = sign(a, FR, KEYS[FR])
    assert state(a, NOW) == "proposed"
    a = sign(a, DZ, KEYS[DZ])
    assert problems(a) == []
    assert state(a, NOW) == "in-force"
    assert state(a, NOW - timedelta(days=1, seconds=1)) == "proposed"  # before valid_from
    assert state(a, NOW + timedelta(days=365)) == "expired"


def test_round_trip_keeps_signatures_and_unknown_fields() -> None:
    a = _proposed(extra={"x_note": "kept"})
    a = sign(sign(a, FR, KEYS[FR]), DZ, KEYS[DZ])
    again = Agreement.from_stix(a.to_stix())
    assert again.to_stix()["x_note"] == "kept"
    assert state(again, NOW) == "in-force"
    assert again.scope.topics == {"terrorism"}
    assert again.pairs(FR, DZ)[2] == ("CONFIDENTIEL", "SECRET")


def test_wrong_key_cannot_sign() -> None:
    with pytest.raises(AgreementError, match="not the one d2 declared"):
        sign(_proposed(), DZ, KEYS[MR])
    with pytest.raises(AgreementError, match="not a party"):
        sign(_proposed(), MR, KEYS[MR])


def test_forged_signature_never_in_force() -> None:
    a = _signed()
    raw = a.to_stix()
    raw["signatures"][1]["signature"] = KEYS[MR].sign(a.signing_payload())
    forged = Agreement.from_stix(raw)
    assert state(forged, NOW) == "proposed"
    assert "does not verify" in problems(forged)[0]


def test_non_party_signature_is_rejected() -> None:
    raw = _signed().to_stix()
    raw["signatures"].append({"party_ref": MR, "signature": "AAAA"})
    with pytest.raises(AgreementError, match="not a party"):
        Agreement.from_stix(raw)


MUTATIONS = [
    ("retention_days", lambda r: r.__setitem__("retention_days", r["retention_days"] + 1)),
    ("max", lambda r: r["max_classification"].__setitem__(DZ, "RESTREINT")),
    ("scope", lambda r: r["scope"]["stix_types"].append("report")),
    ("until", lambda r: r.__setitem__("valid_until", "2099-01-01T00:00:00.000Z")),
    ("key", lambda r: r["parties"][1].__setitem__("public_key", KEYS[MR].public_key_b64)),
    ("equivalence", lambda r: r["classification_equivalence"].pop()),
    ("name", lambda r: r.__setitem__("name", r["name"] + " ")),
    ("extra", lambda r: r.__setitem__("x_added", True)),
    ("contacts", lambda r: r["contacts"][0].__setitem__("email", "evil@example")),
]


@pytest.mark.parametrize(("what", "mutate"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_altered_agreement_never_in_force(what: str, mutate: Any) -> None:
    raw = _signed().to_stix()
    mutate(raw)
    try:
        altered = Agreement.from_stix(raw)
    except AgreementError:
        return  # refused outright: also never in force
    assert state(altered, NOW) != "in-force", what


@settings(max_examples=examples(150), deadline=None)
@given(st.data())
def test_any_single_change_breaks_the_agreement(data: st.DataObject) -> None:
    raw = _signed().to_stix()
    keys = sorted(k for k in raw if k not in ("signatures", "type"))
    key = data.draw(st.sampled_from(keys))
    before = copy.deepcopy(raw)
    raw[key] = data.draw(
        st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)),
        label=key,
    )
    if raw == before:
        return
    try:
        altered = Agreement.from_stix(raw)
    except AgreementError:
        return
    assert state(altered, NOW) != "in-force"


@settings(max_examples=examples(50), deadline=None)
@given(st.sets(st.sampled_from([FR, DZ, MR]), max_size=2))
def test_partially_signed_never_in_force(signers: set[str]) -> None:
    a = propose(
        proposer=FR,
        name="trilateral",
        parties=[_party(FR), _party(DZ), _party(MR)],
        scope=Scope(frozenset({"indicator"})),
        max_classification={FR: "NON CLASSIFIÉ", DZ: "NC", MR: "NC"},
        equivalence=[{FR: "NON CLASSIFIÉ", DZ: "NC", MR: "NC"}],
        retention_days=30,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        now=NOW - timedelta(days=2),
    )
    for p in sorted(signers):
        a = sign(a, p, KEYS[p])
    assert state(a, NOW) == "proposed"


def test_signature_of_old_version_does_not_carry_over() -> None:
    a = _signed()
    b = revise(a, now=NOW - timedelta(hours=1), retention_days=30)
    assert b.signatures == {}
    assert state(b, NOW) == "proposed"
    raw = b.to_stix()
    raw["signatures"] = a.to_stix()["signatures"]
    assert state(Agreement.from_stix(raw), NOW) == "proposed"
    b = sign(sign(b, DZ, KEYS[DZ]), FR, KEYS[FR])
    assert state(b, NOW) == "in-force" and b.retention_days == 30


def test_suspend_resume_terminate() -> None:
    a = _signed()
    s = suspend(a, DZ, KEYS[DZ], reason="enquête interne", now=NOW - timedelta(hours=2))
    assert (s.status, s.status_by, s.status_reason) == ("suspended", DZ, "enquête interne")
    assert state(s, NOW) == "suspended"
    assert latest([a, s])[a.id] is s
    resumed = revise(s, now=NOW - timedelta(hours=1))
    assert state(resumed, NOW) == "proposed"
    resumed = sign(sign(resumed, FR, KEYS[FR]), DZ, KEYS[DZ])
    assert state(resumed, NOW) == "in-force"
    t = terminate(resumed, FR, KEYS[FR], now=NOW - timedelta(minutes=1))
    assert state(t, NOW) == "terminated"
    with pytest.raises(AgreementError, match="terminated"):
        revise(t, now=NOW)
    with pytest.raises(AgreementError, match="later than"):
        suspend(a, FR, KEYS[FR], now=NOW - timedelta(days=3))


def test_forged_suspension_notice_is_not_a_suspension() -> None:
    s = suspend(_signed(), DZ, KEYS[DZ], now=NOW - timedelta(hours=2))
    raw = s.to_stix()
    raw["signatures"][0]["signature"] = KEYS[FR].sign(s.signing_payload())
    forged = Agreement.from_stix(raw)
    assert state(forged, NOW) == "proposed"  # not in force either: never a way in


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"parties": [_party(FR)]}, "at least two parties"),
        ({"max_classification": {FR: "SECRET"}}, "name a level for every party"),
        ({"max_classification": {FR: "SECRET", DZ: "TOP"}}, "'TOP' is not a level"),
        ({"equivalence": [{FR: "SECRET", DZ: "SECRET"}, {FR: "CONFIDENTIEL", DZ: "NC"}]},
         "rise for every party"),
        ({"equivalence": [{FR: "SECRET", DZ: "TOP"}]}, "unknown level"),
        ({"retention_days": -1}, "retention_days"),
        ({"valid_until": NOW - timedelta(days=5)}, "valid_until must be after"),
        ({"contacts": [Contact(MR, "x")]}, "contact"),
    ],
)  # fmt: skip
def test_malformed_agreements_are_refused(over: dict[str, Any], message: str) -> None:
    with pytest.raises(AgreementError, match=message):
        _proposed(**over)


def test_not_an_agreement() -> None:
    with pytest.raises(AgreementError, match="not an agreement"):
        Agreement.from_stix({"type": "indicator"})
    raw = _signed().to_stix()
    del raw["extensions"]
    with pytest.raises(AgreementError, match="extension"):
        Agreement.from_stix(raw)


def test_agreement_object_is_valid_stix() -> None:
    from stix2validator import ValidationOptions, validate_instance

    result = validate_instance(_signed().to_stix(), ValidationOptions(strict=False))
    assert [str(e) for e in result.errors] == []
