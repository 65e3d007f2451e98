"""The extraction draft over the node's HTTP API (local analysts only)."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from liaison.node import Node
from liaison.taxii import TAXII, create_app

H = {"Accept": TAXII, "Content-Type": TAXII}


def test_extract_over_http(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, analyst = node.add_party("analyst", internal=True)
    _, partner = node.add_party("MR")
    client = TestClient(create_app(node))
    text = (
        "Le chef d'état-major des armées mauritaniennes El-Mokhtar Bolle Chaabane a "
        "rencontré son homologue algérien Saïd Chanegriha à Tamanrasset."
    )
    r = client.post(
        "/api/liaison/extract/",
        headers=H,
        auth=("analyst", analyst),
        json={"text": text, "lang": "auto", "document_date": "2026-03-01"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "fr"
    names = {o.get("name") for o in body["bundle"]["objects"]}
    assert {"El-Mokhtar Bolle Chaabane", "Saïd Chanegriha"} <= names
    assert (
        client.post(
            "/api/liaison/extract/", headers=H, auth=("MR", partner), json={"text": text}
        ).status_code
        == 403
    )
    bad = client.post(
        "/api/liaison/extract/", headers=H, auth=("analyst", analyst), json={"text": ""}
    )
    assert bad.status_code == 400
    node.close()
