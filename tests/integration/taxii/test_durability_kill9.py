"""``kill -9`` of the server while clients post: no acknowledged object is lost."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest

TAXII = "application/taxii+json;version=2.1"


def _poster(
    server: Any,
    factory: Any,
    acked: set[tuple[str, str]],
    stop: threading.Event,
    statuses: list[str],
) -> None:
    path = server.collection_url.removeprefix(server.url) + "objects/"
    with server.client() as c:
        while not stop.is_set():
            objs = factory.many(15)
            try:
                r = c.post(
                    path, content=json.dumps({"objects": objs}), headers={"Content-Type": TAXII}
                )
            except httpx.TransportError:
                return  # the server is gone: this batch was never acknowledged
            if r.status_code == 202:
                statuses.append(r.json()["id"])
                for s in r.json()["successes"]:
                    acked.add((s["id"], s["version"]))


def _read_all(server: Any, names: dict[str, str] | None = None) -> set[tuple[str, str]]:
    path = server.collection_url.removeprefix(server.url) + "objects/"
    seen: set[tuple[str, str]] = set()
    params: dict[str, str] = {"limit": "1000", "match[version]": "all"}
    with server.client() as c:
        while True:
            page = c.get(path, params=params).json()
            seen.update((o["id"], o["modified"]) for o in page.get("objects", []))
            if names is not None:
                names.update((o["id"], o["name"]) for o in page.get("objects", []))
            if not page.get("more"):
                return seen
            params["next"] = page["next"]


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_object(server_factory: Any, stix_factory: Any) -> None:
    server = server_factory()
    acked: set[tuple[str, str]] = set()
    statuses: list[str] = []
    stop = threading.Event()
    # Two factories so the threads do not share a counter.
    threads = [
        threading.Thread(target=_poster, args=(server, type(stix_factory)(), acked, stop, statuses))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.4, 1.5))
    server.kill()  # at a random moment, most likely mid-request
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert acked, "no batch was acknowledged before the kill; the test proved nothing"

    db = server.home.path / "liaison.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    restarted = server_factory(home=server.home)
    names: dict[str, str] = {}
    stored = _read_all(restarted, names)
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged objects lost, e.g. {sorted(missing)[:3]}"
    # The full-text index is built after the storing transaction: a kill may leave it
    # behind, and the restarted node finds every acknowledged object all the same.
    with restarted.client() as c:
        for oid, _ in random.sample(sorted(acked), min(len(acked), 25)):
            r = c.get("/api/liaison/search/", params={"q": names[oid], "limit": "10"})
            assert oid in {o["id"] for o in r.json()["objects"]}, names[oid]
    with restarted.client() as c:  # every acknowledged status resource survived too
        for sid in statuses:
            assert c.get(f"/api/status/{sid}/").status_code == 200
    # And the restarted node still takes writes.
    with restarted.client() as c:
        r = c.post(
            restarted.collection_url.removeprefix(restarted.url) + "objects/",
            content=json.dumps({"objects": stix_factory.many(1)}),
            headers={"Content-Type": TAXII},
        )
    assert r.status_code == 202 and r.json()["success_count"] == 1


@pytest.mark.slow
def test_a_serving_node_catches_up_what_a_previous_run_left(
    home_factory: Any, server_factory: Any, stix_factory: Any
) -> None:
    # Objects stored by a process that died before its workers ran: not yet in the
    # full-text index, not yet correlated. ``serve`` starts the workers at once.
    from liaison.node import Node
    from liaison.service import build_exchange
    from liaison.taxii.status import ingest

    home = home_factory()
    node = Node.open(home.path)
    ex = build_exchange(node)
    ex.correlator = ex.indexer = None  # as if killed right after the commit
    status = ingest(
        ex, node.party("analyst"), home.collection_id, {"objects": stix_factory.many(30)}
    )
    assert status["success_count"] == 30
    node.close()
    db = home.path / "liaison.db"

    def backlog() -> tuple[int, int]:
        with sqlite3.connect(db) as conn:
            fts = conn.execute(
                "SELECT COUNT(*) FROM objects WHERE seq > (SELECT seq FROM search_indexed)"
            ).fetchone()[0]
            corr = conn.execute(
                "SELECT COUNT(*) FROM objects WHERE seq > COALESCE("
                "(SELECT seq FROM corr_watermark), 0)"
            ).fetchone()[0]
        conn.close()
        return int(fts), int(corr)

    assert backlog() == (30, 30)
    server_factory(home=home)  # no request is made to it
    deadline = time.monotonic() + 60
    while backlog() != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert backlog() == (0, 0)
