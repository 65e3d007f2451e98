"""Only the indexes a read path uses (issue #15), proved by EXPLAIN.

Every statement the node runs against ``objects`` during a TAXII workload (posts of
several versions, pages with every filter, an object's versions, the manifest, search,
a deletion) is recorded as SQLite ran it and explained: none may scan the table (a
rowid walk for the newest row is the one exception), and each index on ``objects``
must serve at least one of them -- an index nothing uses costs every insert.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import taxii_workload

from liaison.node import Node
from liaison.store import SqliteStore

#: Plans that walk the table in rowid order and stop at once (LIMIT 1 on seq).
_ROWID_WALK = re.compile(r"ORDER BY seq DESC LIMIT 1\b", re.I)


def _workload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    connect = SqliteStore._connection

    def traced(self: SqliteStore) -> sqlite3.Connection:
        fresh = getattr(self._local, "conn", None) is None
        conn = connect(self)
        if fresh:
            conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(SqliteStore, "_connection", traced)
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, token = node.add_party("analyst", internal=True)
    taxii_workload.run(node, token)
    node.close()
    return statements


def test_objects_statements_use_indexes_and_every_index_serves_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = _workload(tmp_path, monkeypatch)
    on_objects = sorted(
        {
            s
            for s in statements
            if re.search(r"\bFROM objects\b|\bUPDATE objects\b", s)
            and s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
        }
    )
    assert len(on_objects) > 10, on_objects
    conn = sqlite3.connect(tmp_path / "n" / "liaison.db")
    try:
        indexes = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects'"
                " AND sql IS NOT NULL"
            )
        }
        used: set[str] = set()
        scans: list[str] = []
        for sql in on_objects:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            for step in plan:
                used.update(re.findall(r"INDEX (\w+)", step))
                if re.fullmatch(r"SCAN objects", step) and not _ROWID_WALK.search(sql):
                    scans.append(f"{sql}\n    {plan}")
    finally:
        conn.close()
    assert not scans, "full scans of objects:\n" + "\n".join(scans)
    assert indexes - used == set(), f"indexes no statement uses: {sorted(indexes - used)}"
    assert {"objects_key", "objects_seq", "objects_type"} <= indexes
    # dropped by migration 9, and by 12 (objects_key serves every look-up by id)
    assert {"objects_id", "objects_added", "objects_version", "objects_by_id"}.isdisjoint(indexes)
