"""Search over HTTP and the CLI goes through the policy decision like every read."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from liaison.cli import main
from liaison.node import Node
from liaison.taxii import TAXII, create_app

H = {"Accept": TAXII, "Content-Type": TAXII}


def _report(i: int, name: str) -> dict[str, object]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": name,
        "published": "2026-01-01T00:00:00Z",
        "object_refs": ["identity--00000000-0000-4000-8000-000000000001"],
    }


def test_search_is_filtered_by_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, analyst = node.add_party("analyst", internal=True)
    _, partner = node.add_party("MR")
    client = TestClient(create_app(node))
    cid = node.default_collection_id
    r = client.post(
        f"/api/collections/{cid}/objects/",
        headers=H,
        auth=("analyst", analyst),
        json={
            "objects": [
                _report(1, "Convoi près de Bordj Badji Mokhtar"),
                _report(2, "Réunion à Tamanrasset"),
            ]
        },
    )
    assert r.status_code == 202 and r.json()["success_count"] == 2
    got = client.get(
        "/api/liaison/search/", params={"q": "bordj"}, headers=H, auth=("analyst", analyst)
    ).json()
    assert [o["id"] for o in got["objects"]] == [_report(1, "")["id"]]
    assert (
        client.get(
            "/api/liaison/search/",
            params={"q": "tamanrasset"},
            headers=H,
            auth=("analyst", analyst),
        )
        .json()["objects"][0]["name"]
        .startswith("Réu")
    )
    # A partner without an agreement in force learns nothing, not even that it matched.
    assert client.get(
        "/api/liaison/search/", params={"q": "bordj"}, headers=H, auth=("MR", partner)
    ).json() == {"objects": []}
    bad = client.get(
        "/api/liaison/search/", params={"q": "!!!"}, headers=H, auth=("analyst", analyst)
    )
    assert bad.status_code == 400 and bad.json()["http_status"] == "400"
    node.close()
    capsys.readouterr()
    assert main(["search", str(tmp_path / "n"), "pres de BORDJ"]) == 0
    assert "Bordj Badji Mokhtar" in capsys.readouterr().out
    assert main(["search", str(tmp_path / "n"), "bordj", "--party", "MR"]) == 0
    assert capsys.readouterr().out.strip() == "no match"


def test_export_is_what_the_party_may_receive(tmp_path: Path) -> None:
    import json

    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, analyst = node.add_party("analyst", internal=True)
    node.add_party("MR")
    client = TestClient(create_app(node))
    r = client.post(
        f"/api/collections/{node.default_collection_id}/objects/",
        headers=H,
        auth=("analyst", analyst),
        json={"objects": [_report(1, "Rapport")]},
    )
    assert r.json()["success_count"] == 1
    node.close()
    own, theirs = tmp_path / "own.json", tmp_path / "mr.json"
    assert main(["export", str(tmp_path / "n"), "--out", str(own)]) == 0
    assert main(["export", str(tmp_path / "n"), "--party", "MR", "--out", str(theirs)]) == 0
    assert [o["id"] for o in json.loads(own.read_text())["objects"]] == [_report(1, "")["id"]]
    assert json.loads(theirs.read_text())["objects"] == []  # no agreement: nothing
