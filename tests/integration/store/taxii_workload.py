"""The TAXII workload whose statements the query-plan tests explain (SQLite and
PostgreSQL alike): two versions of five indicators, every filter of objects and
manifest, a page token, one object and its versions, a search, the correlations, a
deletion."""

from __future__ import annotations

from starlette.testclient import TestClient

from liaison.node import Node
from liaison.taxii import TAXII, create_app

H = {"Accept": TAXII, "Content-Type": TAXII}


def indicator(i: int, modified: str) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "name": f"Convoi {i} vers Tessalit",
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def run(node: Node, token: str) -> None:
    """Every read and write path of the workload, as the internal party ``analyst``."""
    base = f"/api/collections/{node.default_collection_id}"
    auth = ("analyst", token)
    with TestClient(create_app(node)) as client:
        for modified in ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"):
            objs = [indicator(i, modified) for i in range(1, 6)]
            r = client.post(f"{base}/objects/", headers=H, auth=auth, json={"objects": objs})
            assert r.status_code == 202 and r.json()["success_count"] == 5
        oid = indicator(1, "")["id"]
        queries = [
            {},
            {"limit": "2"},
            {"added_after": "2026-01-01T00:00:00Z"},
            {"match[id]": oid},
            {"match[type]": "indicator"},
            {"match[version]": "all"},
            {"match[version]": "first"},
            {"match[version]": "2026-01-01T00:00:00.000Z"},
            {"match[spec_version]": "2.1"},
        ]
        for q in queries:
            assert client.get(f"{base}/objects/", headers=H, auth=auth, params=q).is_success
            assert client.get(f"{base}/manifest/", headers=H, auth=auth, params=q).is_success
        page = client.get(f"{base}/objects/", headers=H, auth=auth, params={"limit": "2"})
        nxt = page.json()["next"]
        assert client.get(f"{base}/objects/", headers=H, auth=auth, params={"next": nxt}).is_success
        assert client.get(f"{base}/objects/{oid}/", headers=H, auth=auth).is_success
        assert client.get(f"{base}/objects/{oid}/versions/", headers=H, auth=auth).is_success
        r = client.get("/api/liaison/search/", headers=H, auth=auth, params={"q": "tessalit"})
        assert r.json()["objects"]
        assert client.get("/api/liaison/correlations/", headers=H, auth=auth).is_success
        assert client.delete(f"{base}/objects/{oid}/", headers=H, auth=auth).is_success
