"""Someone with the database file changes the stored intelligence behind the log's back:
``liaison audit verify`` names every change, on SQLite and on PostgreSQL (issue #13, 7).

Each case stores objects through the node (so the log records them), runs one tampering
statement directly on the database -- keeping the stored hash column consistent, as a
careful intruder would -- and checks that ``audit verify`` fails with the right kind.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from liaison.audit import AuditLog
from liaison.node import Node
from liaison.service import Filters, build_exchange
from liaison.service.integrity import stored_versions
from liaison.taxii.status import ingest as taxii_ingest

Tamper = Callable[[str, tuple[Any, ...]], None]

CASES = {
    # the bytes, with the hash column updated to match
    "object-changed": (
        "UPDATE objects SET body = ?, sha256 = ? WHERE id = ?",
        lambda o: (b'{"forged": true}', "0" * 64, o),
    ),
    # the handling: released to everyone from now on
    "handling-changed": (
        "UPDATE objects SET handling = ? WHERE id = ?",
        lambda o: ('{"h": {"releasable_to": ["identity--x"]}}', o),
    ),
    # the provenance: the third-party rule forgotten
    "handling-changed-origins": (
        "UPDATE objects SET origins = ? WHERE id = ?",
        lambda o: ('["identity--00000000-0000-4000-8000-000000000009"]', o),
    ),
    # the originator of the id: someone else may now version it
    "handling-changed-owner": (
        # (an upsert: on SQLite this node's own ids have no row, issue #15)
        "INSERT INTO owners (id, originator) VALUES (?, ?)"
        " ON CONFLICT (id) DO UPDATE SET originator = excluded.originator",
        lambda o: (o, "identity--00000000-0000-4000-8000-000000000009"),
    ),
    # the row, gone without a recorded deletion
    "object-missing": ("DELETE FROM objects WHERE id = ?", lambda o: (o,)),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Tamper]]:
    if request.param == "sqlite":
        node = Node.init(tmp_path / "node", org="DZ", country="DZ")

        def tamper(sql: str, args: tuple[Any, ...]) -> None:
            db = sqlite3.connect(node.home / "liaison.db")
            with db:
                db.execute(sql, args)
            db.close()

    else:
        import psycopg

        url = request.getfixturevalue("pg_database")
        with psycopg.connect(url, autocommit=True) as conn:  # a clean slate
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        node = Node.init(tmp_path / "node", org="DZ", country="DZ", store=url)

        def tamper(sql: str, args: tuple[Any, ...]) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.replace("?", "%s"), args)  # type: ignore[arg-type]

    try:
        yield node, tamper
    finally:
        node.close()


def _indicator(i: int) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": f"[ipv4-addr:value = '10.1.1.{i}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def _verify(node: Node) -> set[str]:
    with node.store.connection() as conn:
        report = AuditLog(conn).verify(node.key.public_key_b64, lambda: stored_versions(node.store))
    return {p.kind for p in report.problems}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_change_behind_the_log_is_found(backend: tuple[Node, Tamper], case: str) -> None:
    node, tamper = backend
    _, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    objs = [_indicator(i) for i in range(3)]
    status = taxii_ingest(
        ex, node.store.party("analyst"), node.default_collection_id, {"objects": objs}
    )
    assert status["success_count"] == 3
    assert _verify(node) == set()
    sql, args = CASES[case]
    tamper(sql, args(objs[1]["id"]))
    assert _verify(node) == {case.split("-origins")[0].split("-owner")[0]}


def test_a_recorded_deletion_is_no_gap(backend: tuple[Node, Tamper]) -> None:
    node, _ = backend
    _, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    objs = [_indicator(i) for i in range(2)]
    party = node.store.party("analyst")
    assert (
        taxii_ingest(ex, party, node.default_collection_id, {"objects": objs})["success_count"] == 2
    )
    assert ex.delete(party, node.default_collection_id, objs[0]["id"], Filters(versions=("all",)))
    assert _verify(node) == set()
    assert json.dumps(sorted(r.id for r, _ in node.store.iter_versions())) == json.dumps(
        [objs[1]["id"]]
    )


def test_a_rehandled_version_is_checked_against_its_latest_binding(
    backend: tuple[Node, Tamper],
) -> None:
    """A version stored while a marking-definition it cites was not held gets a new
    handling when the definition arrives (``object.rehandled``): verify uses that
    binding, and notices the old handling put back behind the log's back."""
    from liaison.markings import statement_marking

    node, tamper = backend
    _, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    party, cid = node.store.party("analyst"), node.default_collection_id
    note = {**statement_marking("Open press"), "id": f"marking-definition--{uuid.uuid4()}"}
    obj = {**_indicator(1), "object_marking_refs": [note["id"]]}
    assert taxii_ingest(ex, party, cid, {"objects": [obj]})["success_count"] == 1
    waiting = node.store.latest_by_ids([obj["id"]])[0].handling
    assert waiting["h"]["unresolved_markings"] == [note["id"]]
    assert node.store.awaiting(note["id"]) == [(note["id"], cid, obj["id"])]
    assert taxii_ingest(ex, party, cid, {"objects": [note]})["success_count"] == 1
    done = node.store.latest_by_ids([obj["id"]])[0].handling
    assert "unresolved_markings" not in done["h"]
    assert done["h"]["statement"] == "Open press"
    assert node.store.awaiting() == []
    assert _verify(node) == set()
    tamper("UPDATE objects SET handling = ? WHERE id = ?", (json.dumps(waiting), obj["id"]))
    assert _verify(node) == {"handling-changed"}
