"""Objects are correlated when they arrive; only the node's own people see correlations."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from liaison.node import Node
from liaison.taxii import TAXII, create_app
from liaison.taxii.status import ingest as taxii_ingest

H = {"Accept": TAXII, "Content-Type": TAXII}


def _actor(i: int, name: str) -> dict[str, object]:
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": name,
        "threat_actor_types": ["terrorist"],
    }


def test_correlations_at_ingest_are_local_knowledge(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, analyst = node.add_party("analyst", internal=True)
    _, partner = node.add_party("MR")
    client = TestClient(create_app(node))
    url = f"/api/collections/{node.default_collection_id}/objects/"
    for i, name in ((1, "Iyad Ag Ghali"), (2, "إياد أغ غالي"), (3, "Amadou Koufa")):
        r = client.post(
            url, headers=H, auth=("analyst", analyst), json={"objects": [_actor(i, name)]}
        )
        assert r.json()["success_count"] == 1
    got = client.get("/api/liaison/correlations/", headers=H, auth=("analyst", analyst))
    pairs = {frozenset((c["object_a"], c["object_b"])) for c in got.json()["correlations"]}
    assert frozenset((_actor(1, "")["id"], _actor(2, "")["id"])) in pairs
    assert not any(_actor(3, "")["id"] in p for p in pairs)
    one = client.get(
        "/api/liaison/correlations/",
        headers=H,
        auth=("analyst", analyst),
        params={"object": _actor(2, "")["id"]},
    ).json()["correlations"]
    assert one and "explanation" in one[0]
    denied = client.get("/api/liaison/correlations/", headers=H, auth=("MR", partner))
    assert denied.status_code == 403
    node.close()


def test_pending_correlations_survive_a_crash_and_are_done_once(tmp_path: Path) -> None:
    from liaison.service import build_exchange
    from liaison.service.correlations import _index, catch_up, correlation_index

    home = tmp_path / "n"
    node = Node.init(home, org="DZ", country="DZ")
    analyst, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    ex.correlator = None  # as if the process died right after the storing commit
    objs = [_actor(i, n) for i, n in ((1, "Iyad Ag Ghali"), (2, "Iyad ag Ghaly"))]
    assert taxii_ingest(ex, analyst, node.default_collection_id, {"objects": objs})["success_count"]
    with _index(node) as raw:
        assert raw.count() == 0  # stored, not yet correlated
    node.close()
    node = Node.open(home)  # the next process catches up ...
    with correlation_index(node) as index:
        first = index.count()
    assert first >= 1
    assert catch_up(node) == 0  # ... once: nothing is left, nothing is done twice
    with correlation_index(node) as index:
        assert index.count() == first
    node.close()
