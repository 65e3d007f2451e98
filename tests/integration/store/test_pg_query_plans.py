"""PostgreSQL reads still use indexes after migration 9 dropped two (issue #15).

The counterpart of ``test_query_plans.py``: every statement the node runs against
``objects`` during a TAXII workload on PostgreSQL is recorded with its parameters and
explained with sequential scans discouraged (a table this small would be scanned
anyway, index or not): none may scan ``objects``, and each index on it must serve at
least one statement.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
import taxii_workload

from liaison.node import Node
from liaison.store import Collection, NewObject


def _workload(home: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def traced(self: psycopg.Cursor[Any], query: Any, params: Any = None, **kw: Any) -> Any:
        statements.append((str(query), params))
        return execute(self, query, params, **kw)

    node = Node.init(home, org="DZ", country="DZ", store=url)
    _, token = node.add_party("analyst", internal=True)
    monkeypatch.setattr(psycopg.Cursor, "execute", traced)  # the workload, not the schema
    taxii_workload.run(node, token)
    node.close()
    monkeypatch.undo()
    return statements


def _fill(url: str) -> None:
    """20,000 more rows over several collections, types and versions, and fresh
    statistics: with a handful of rows the planner's choice of index means nothing."""
    from liaison.store.postgres import PostgresStore

    store = PostgresStore(url)
    try:
        colls = [f"c0ffee00-0000-4000-8000-{k:012d}" for k in range(4)]
        for k, cid in enumerate(colls):
            store.add_collection(Collection(cid, f"c{k}"))
        for k in range(20):
            batch = []
            for i in range(1000):
                n = k * 1000 + i
                kind = ("indicator", "malware", "report", "note", "identity")[n % 5]
                oid = f"{kind}--00000000-0000-4000-9000-{n // 2:012d}"
                body = orjson.dumps({"id": oid, "n": n})
                batch.append(
                    NewObject(
                        id=oid,
                        type=kind,
                        spec_version="2.1",
                        version=None,
                        version_us=1_767_225_600_000_000 + n,
                        body=body,
                        sha256=hashlib.sha256(body).hexdigest(),
                        search_text=f"mot{n}",
                    )
                )
            store.add_objects(colls[k % 4], batch)
        with store._write(ordered=False) as cur:
            cur.execute("ANALYZE objects")
    finally:
        store.close()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


def test_objects_statements_use_indexes_and_every_index_serves_one(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:  # a clean slate
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    statements = _workload(tmp_path / "n", pg_database, monkeypatch)
    _fill(pg_database)
    on_objects: dict[str, Any] = {}
    for sql, params in statements:
        text = " ".join(sql.split())
        if re.search(r"\b(FROM|UPDATE|JOIN) objects\b", text) and text.upper().startswith(
            ("SELECT", "UPDATE", "DELETE", "INSERT INTO OBJECTS_FTS")
        ):
            on_objects.setdefault(text, params)
    assert len(on_objects) > 10, sorted(on_objects)
    assert any("objects_fts f JOIN objects" in sql for sql in on_objects)  # the search
    used: set[str] = set()
    scans: list[str] = []
    with psycopg.connect(pg_database) as conn:
        indexes = {
            r[0]
            for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'objects'")
        }
        conn.execute("SET enable_seqscan = off")
        for sql, params in sorted(on_objects.items()):
            (plan,) = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
            conn.rollback()  # EXPLAIN runs nothing; leave no transaction open anyway
            conn.execute("SET enable_seqscan = off")
            doc = plan if isinstance(plan, list) else json.loads(plan)
            for node in _nodes(doc[0]["Plan"]):
                if "Index Name" in node and node.get("Relation Name") == "objects":
                    used.add(node["Index Name"])
                if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "objects":
                    scans.append(f"{sql}\n    {json.dumps(doc)[:400]}")
    assert not scans, "sequential scans of objects:\n" + "\n".join(scans)
    assert indexes - used == set(), f"indexes no statement uses: {sorted(indexes - used)}"
    assert {"objects_key", "objects_seq", "objects_type"} <= indexes
    # dropped by migration 9, and by 12 (objects_key serves every look-up by id)
    assert {"objects_id", "objects_added", "objects_version", "objects_by_id"}.isdisjoint(indexes)
