"""Limits and defaults that protect a node: envelope size, file modes, grants, audit volume."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from liaison.node import Node
from liaison.service.events import audit_log
from liaison.taxii import TAXII, create_app
from liaison.taxii.status import ingest as taxii_ingest

H = {"Accept": TAXII, "Content-Type": TAXII}


def _ind(i: int) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def test_limits_modes_grants_and_audit_volume(tmp_path: Path) -> None:
    home = tmp_path / "n"
    node = Node.init(home, org="DZ", country="DZ", max_envelope_objects=5)
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "liaison.toml").stat().st_mode & 0o777 == 0o600
    assert (home / "node.key").stat().st_mode & 0o777 == 0o600
    reader, _ = node.add_party("reader", read=["default"])
    assert reader.can_read(node.default_collection_id)
    assert not reader.can_write(node.default_collection_id)  # write only when asked
    _, analyst = node.add_party("analyst", internal=True)
    _, partner = node.add_party("MR")
    client = TestClient(create_app(node))
    url = f"/api/collections/{node.default_collection_id}/objects/"
    big = client.post(
        url, headers=H, auth=("analyst", analyst), json={"objects": [_ind(i) for i in range(6)]}
    )
    assert big.status_code == 413 and node.store.count_objects() == 0
    ok = client.post(
        url, headers=H, auth=("analyst", analyst), json={"objects": [_ind(i) for i in range(5)]}
    )
    assert ok.json()["success_count"] == 5
    with audit_log(node) as log:
        before = log.size()
    for _ in range(3):  # a partner without agreement polls: it sees nothing ...
        assert client.get(url, headers=H, auth=("MR", partner)).json() == {"more": False}
    client.app.state.exchange.events.flush()  # refused reads are written in the background
    with audit_log(node) as log:  # ... and each poll is one audit entry, not one per object
        assert log.size() - before == 3
        last = log.query(action="read.denied")[-1]
    assert last.entry.details["withheld"] == 5
    node.close()


def test_a_partner_cannot_probe_for_versions_it_may_not_see(tmp_path: Path) -> None:
    from liaison.agreements import sign
    from liaison.cli.agreement import propose_from_spec
    from liaison.markings import classification_marking, releasability_marking
    from liaison.service import build_exchange, documents
    from liaison.signing import SigningKey
    from liaison.signing.objects import sign_objects

    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    key = SigningKey.generate()
    mr, _ = node.add_party("MR", public_key_b64=key.public_key_b64)
    levels = ["U", "R", "C"]
    spec = {
        "name": "DZ-MR",
        "types": ["indicator", "marking-definition"],
        "max_classification": "DIFFUSION RESTREINTE",
        "partner": [
            {
                "party": "MR",
                "levels": levels,
                "max_classification": "R",
                "equivalence": {"NON CLASSIFIÉ": "U", "DIFFUSION RESTREINTE": "R"},
            }
        ],
    }
    a = sign(propose_from_spec(node, spec), node.identity_id, node.key)
    documents.put_agreement(node, sign(a, mr.identity_id, key).to_stix())
    cls = classification_marking("R", mr.identity_id)
    rel = releasability_marking([mr.identity_id, node.identity_id])
    obj = {**_ind(1), "object_marking_refs": [cls["id"], rel["id"]]}
    ex = build_exchange(node)
    batch = sign_objects([cls, rel, obj], key, mr.identity_id, "2026-01-01T00:00:00.000000Z")
    first = ex.receive(mr, node.default_collection_id, batch)
    assert len(first.successes) == 3 and first.new == 3
    again = ex.receive(mr, node.default_collection_id, batch)
    assert again.duplicates == 3  # nothing stored twice ...
    assert {s["message"] for s in again.successes} == {"stored"}  # ... and nothing said
    analyst, _ = node.add_party("analyst", internal=True)
    own = taxii_ingest(ex, analyst, node.default_collection_id, {"objects": [batch[-1]]})
    assert own["successes"][0]["message"] == "already stored"  # our own client is told
    node.close()
