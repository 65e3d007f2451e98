"""A full disk: the POST gets a TAXII error, nothing half-written stays, and once there
is room again the same envelope is stored whole and the audit log verifies.

The disk is made full by SQLite itself: ``PRAGMA max_page_count`` at the database's
current size makes every write that needs a new page fail with SQLITE_FULL ("database
or disk is full"), the error a full file system gives, through the node's real store.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from liaison.node import Node
from liaison.service import auditing
from liaison.store.sqlite import SqliteStore
from liaison.taxii import TAXII, create_app

H = {"Accept": TAXII, "Content-Type": TAXII}


def _indicators(n: int) -> list[dict[str, Any]]:
    ts = "2026-06-01T00:00:00.000Z"
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": ts,
            "modified": ts,
            "name": f"C2 {i} " + "convoi vers Gao, Kidal et Ménaka " * 20,
            "pattern": f"[ipv4-addr:value = '10.1.{i // 250}.{i % 250}']",
            "pattern_type": "stix",
            "valid_from": ts,
        }
        for i in range(n)
    ]


class Disk:
    """Fills and frees the node database's 'disk' on every connection, present and future."""

    def __init__(self, store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = store
        self.cap: int | None = None
        settings = SqliteStore._settings

        def capped(this: SqliteStore, conn: sqlite3.Connection) -> None:
            settings(this, conn)
            if self.cap is not None:
                conn.execute(f"PRAGMA max_page_count = {self.cap}")

        monkeypatch.setattr(SqliteStore, "_settings", capped)

    def _apply(self) -> None:
        for _, conn in self.store._all:
            conn.execute(f"PRAGMA max_page_count = {self.cap or 1073741823}")

    def fill(self) -> None:
        conn = self.store._connection()
        self.cap = int(conn.execute("PRAGMA page_count").fetchone()[0])
        self._apply()

    def free(self) -> None:
        self.cap = None
        self._apply()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with Node.init(tmp_path / "n", org="DZ", country="DZ") as n:
        yield n


def test_a_full_disk_loses_nothing_and_leaves_nothing_half_written(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(node.store, SqliteStore)
    disk = Disk(node.store, monkeypatch)
    _, token = node.add_party("analyst", internal=True)
    client = TestClient(create_app(node))
    url = f"/api/collections/{node.default_collection_id}/objects/"
    auth = {**H, "Authorization": f"Bearer {token}"}
    first, second = _indicators(200), _indicators(200)
    r = client.post(url, headers=auth, json={"objects": first})
    assert r.status_code == 202 and r.json()["success_count"] == 200
    held = node.store.count_objects(node.default_collection_id)
    report, size = auditing.verify(node)
    assert report.ok, report.summary()

    disk.fill()
    r = client.post(url, headers=auth, json={"objects": second})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/taxii+json")
    assert r.json() == {
        "title": "Storage Error",
        "description": "the node could not complete the request",
        "http_status": "500",
    }
    # nothing of the failed envelope, in the objects or in the log
    assert node.store.count_objects(node.default_collection_id) == held
    assert auditing.verify(node)[1] == size
    got = client.get(url, headers=auth, params={"match[id]": second[0]["id"]})
    assert got.status_code == 200 and "objects" not in got.json()

    disk.free()
    r = client.post(url, headers=auth, json={"objects": second})
    assert r.status_code == 202
    body = r.json()
    assert (body["status"], body["success_count"], body["failure_count"]) == ("complete", 200, 0)
    assert node.store.count_objects(node.default_collection_id) == held + 200
    report, _ = auditing.verify(node)
    assert report.ok, report.summary()
