"""An object with nothing to correlate is read without parsing its body (issue #15):
``lean_object`` must never take for lean an object that has a name, an observable or
a revocation -- whatever its JSON text looks like."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.correlate import CorrelationIndex, lean_object, names_of, observables_of
from liaison.correlate.model import LeanObject
from liaison.stix import object_version
from liaison.store.sqlite import open_db

TS = "2026-02-01T00:00:00.000Z"


def rel(**extra: Any) -> dict[str, Any]:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": "relationship--00000000-0000-4000-8000-000000000001",
        "created": TS,
        "modified": "2026-02-02T00:00:00.000Z",
        "relationship_type": "uses",
        "source_ref": "malware--00000000-0000-4000-8000-000000000002",
        "target_ref": "attack-pattern--00000000-0000-4000-8000-000000000003",
        **extra,
    }


def lean(obj: dict[str, Any], body: bytes | None = None) -> dict[str, str] | None:
    text = orjson.dumps(obj) if body is None else body
    return lean_object(obj["id"], obj["type"], object_version(obj) or "", text)


def test_an_object_with_nothing_to_correlate_is_its_id_type_and_version() -> None:
    obj = rel(x_mitre_version="1.0", x_mitre_domains=["enterprise-attack"], revoked=False)
    assert lean(obj) == {"id": obj["id"], "type": "relationship", "modified": obj["modified"]}
    created_only = {k: v for k, v in rel().items() if k != "modified"}
    assert lean(created_only) == {"id": obj["id"], "type": "relationship", "modified": TS}


@pytest.mark.parametrize(
    "obj",
    [
        rel(revoked=True),
        rel(x_contact_phone="+223 76 12 34 56"),
        rel(x_email="a@example.org"),
        rel(x_btc_wallet="1BoatSLRHtKNngkdXEeobR76b6LuEVJ7aN"),
        rel(extensions={"x": {"x_phone": "+22376123456"}}),  # nested: looked at too
        {**rel(), "type": "indicator", "pattern": "[ipv4-addr:value = '10.0.0.1']"},
        {**rel(), "type": "identity", "name": "Iyad Ag Ghali"},
        {**rel(), "type": "intrusion-set", "name": "JNIM"},
        {**rel(), "type": "ipv4-addr", "value": "10.0.0.1"},
        {**rel(), "type": "file", "hashes": {"MD5": "0" * 32}},
    ],
)
def test_an_object_that_may_correlate_is_parsed(obj: dict[str, Any]) -> None:
    assert lean(obj) is None


def test_escapes_that_could_hide_a_property_are_parsed() -> None:
    plain = orjson.dumps(rel())
    # The same properties, spelled with escapes: "x_phone", "revoked".
    for key in (b'"\\u0078_phone"', b'"x_\\/phone"', b'"x\\u005fphone"', b'"re\\u0076oked"'):
        body = plain[:-1] + b"," + key + (b':"+22376123456"}' if b"ph" in key else b":true}")
        obj = orjson.loads(body)
        assert names_of(obj) or observables_of(obj) or obj.get("revoked") is True
        assert lean(rel(), body) is None
    spaced = plain[:-1] + b',"revoked": false}'  # not as orjson writes it: parsed
    assert lean(rel(), spaced) is None


def test_no_version_no_lean() -> None:
    assert lean_object(rel()["id"], "relationship", "", orjson.dumps(rel())) is None


_KEYS = st.sampled_from(
    ["x_phone", "x_mitre_version", "x_email", "x_note", "revoked", "x_wallet", "name", "x_"]
)
_VALUES = st.one_of(
    st.booleans(),
    st.sampled_from(["+22376123456", "a@example.org", "1BoatSLRHtKNngkdXEeobR76b6LuEVJ7aN"]),
    st.text(max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=4), st.booleans())
def test_lean_only_when_correlating_the_parsed_object_reads_nothing(
    extra: dict[str, Any], nest: bool
) -> None:
    obj = rel(extensions={"e": extra}) if nest else rel(**extra)
    found = lean(obj)
    if found is not None:
        assert not names_of(obj) and not observables_of(obj)
        assert obj.get("revoked") is not True
        assert found["modified"] == (obj.get("modified") or obj.get("created"))


def test_a_lean_object_is_planned_as_its_parsed_body() -> None:
    """``plan`` asks neither ``names_of`` nor ``observables_of`` about a ``LeanObject``:
    it plans it as the parsed object -- nothing found, no names, no observables."""
    obj = rel(x_mitre_version="1.0", revoked=False)
    found = lean(obj)
    assert isinstance(found, LeanObject)
    assert not names_of(found) and not observables_of(found)
    conn = open_db(":memory:")
    index = CorrelationIndex(conn)
    (lean_plan,), (parsed_plan,) = (index.plan([(o, "local")]) for o in (found, obj))
    conn.close()
    assert (lean_plan.found, lean_plan.observables, lean_plan.names) == ({}, (), [])
    assert (parsed_plan.found, parsed_plan.observables, parsed_plan.names) == ({}, (), [])
