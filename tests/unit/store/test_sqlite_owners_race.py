"""``SqliteStore.owners`` answers from one snapshot (review of e15512c, issue #15).

On SQLite an id of this node's has no ``owners`` row until it is deleted. Read in two
statements (the rows, then the ids held without one), each its own snapshot
(autocommit; admission reads owners outside any transaction), a deletion committed in
between made the id look never held: a partner's "first version" of it was then
admitted, stored and -- the erased id's row being '' -- counted as this node's own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from liaison.store import Collection, NewObject
from liaison.store.sqlite import SqliteStore

C = "c0ffee00-0000-4000-8000-000000000001"
X = "indicator--00000000-0000-4000-8000-00000000abcd"


def _obj(originator: str, n: int) -> NewObject:
    body = orjson.dumps({"id": X, "n": n})
    return NewObject(
        id=X,
        type="indicator",
        spec_version="2.1",
        version=f"v{n}",
        version_us=n,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        handling={"h": {}},
        origins=(),
        received_from="",
        originator=originator,
    )


def test_an_erased_id_of_this_node_never_looks_unowned(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    node = SqliteStore(path, create=True)  # the process admitting a partner's write
    node.migrate()
    node.add_collection(Collection(C, "default", "the default"))
    node.add_objects(C, [_obj("", 1_000)])  # this node's own object
    assert node.owners([X]) == {X: ""}
    admin = SqliteStore(path)  # another connection (thread or serve process): a delete

    statements: list[str] = []

    def delete_between(sql: str) -> None:
        # before the second statement owners() runs (if it runs more than one)
        statements.append(sql)
        if len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2:
            seqs = [r.seq for r in admin.object_versions(C, X)]
            if seqs:
                admin.delete_versions(C, X, seqs)

    conn = node._connection()
    conn.set_trace_callback(delete_between)
    try:
        seen = node.owners([X])
    finally:
        conn.set_trace_callback(None)
    assert node.owners([X]) == {X: ""}  # after the delete: the '' row (_erasing)
    if seen == {}:
        # What admission then lets through: a partner's "first version" of the erased
        # id -- stored, and (the '' row kept) counted as this node's own from now on.
        node.add_objects(C, [_obj("identity--p", 2_000)])
        assert [r.seq for r in node.object_versions(C, X)]
        assert node.owners([X]) == {X: ""}
    # During it, the id must still have an owner: {} lets admission take a partner's
    # version as the first of a new id (base: one read of a row that is always there).
    assert seen == {X: ""}, f"owners() during a concurrent delete answered {seen}"
