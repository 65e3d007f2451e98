"""A whole node on PostgreSQL: TAXII, audit, and two server processes on one database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liaison.node import Node
from liaison.service.events import audit_log
from liaison.service.integrity import stored_versions

TAXII = "application/taxii+json;version=2.1"
H = {"Accept": TAXII, "Content-Type": TAXII}

pytestmark = pytest.mark.postgres


def _indicator(i: int) -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '10.0.0.{i % 250}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pg_home(tmp_path: Path, pg_database: str) -> Iterator[tuple[Path, str]]:
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:  # a clean slate
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    home = tmp_path / "node"
    node = Node.init(home, org="DZ", country="DZ", store=pg_database)
    _, token = node.add_party("analyst", internal=True)
    node.close()
    yield home, token


def test_two_server_processes_on_one_database(pg_home: tuple[Path, str]) -> None:
    home, token = pg_home
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "liaison", "serve", str(home), "--port", str(p)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    try:
        node = Node.open(home)
        cid = node.default_collection_id
        node.close()
        urls = [f"http://127.0.0.1:{p}/api/collections/{cid}/objects/" for p in ports]
        deadline = time.monotonic() + 30
        for p in ports:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{p}/taxii2/", timeout=1)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.1)
        auth = ("analyst", token)
        for k in range(6):  # alternate writers
            r = httpx.post(
                urls[k % 2],
                auth=auth,
                headers=H,
                timeout=30,
                json={"objects": [_indicator(k * 10 + i) for i in range(10)]},
            )
            assert r.status_code == 202 and r.json()["success_count"] == 10
        seen = []
        for url in urls:  # both workers serve the same, complete, ordered view
            ids: list[str] = []
            nxt = None
            while True:
                params: dict[str, object] = {"limit": 7}
                if nxt:
                    params["next"] = nxt
                body = httpx.get(url, auth=auth, headers=H, params=params, timeout=30).json()
                ids += [o["id"] for o in body.get("objects", [])]
                if not body.get("more"):
                    break
                nxt = body["next"]
            seen.append(ids)
        assert len(seen[0]) == 60 and seen[0] == seen[1] and len(set(seen[0])) == 60
        node = Node.open(home)
        with audit_log(node) as log:
            report = log.verify(node.key.public_key_b64, lambda: stored_versions(node.store))
        node.close()
        assert report.ok, report.problems
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
