"""Limits and defaults that protect a node: envelope size, file modes, grants, audit volume."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from liaison.node import Node
from liaison.service.events import audit_log
from liaison.taxii import TAXII, create_app

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
    with audit_log(node) as log:  # ... and each poll is one audit entry, not one per object
        assert log.size() - before == 3
        last = log.query(action="read.denied")[-1]
    assert last.entry.details["withheld"] == 5
    node.close()
