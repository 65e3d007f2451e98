"""The log as stored: entries, canonical leaves, signed heads, proofs, queries, transactions."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime

import orjson
import pymerkle
import pytest
import rfc8785
from audit_support import MakeEntries, open_db, stix_id

from liaison import merkle as M
from liaison.audit import (
    Action,
    AuditEntry,
    AuditLog,
    ConsistencyProof,
    InclusionProof,
    ObjectRef,
    SignedTreeHead,
)
from liaison.audit.entry import encode_body
from liaison.errors import InvalidInputError, NotFoundError, SignatureError, StorageError
from liaison.signing import SigningKey, canonical
from liaison.store.db import SqliteDb
from liaison.store.sqlite import create_tables


def test_leaf_is_the_rfc8785_form_of_the_entry(log: AuditLog) -> None:
    entry = AuditEntry(
        Action.OBJECT_RELEASED,
        "analyste.principal@défense.fr",
        objects=(ObjectRef(stix_id("report", 1), "2026-11-29T10:00:00Z", "0f" * 32),),
        agreement=stix_id("x-agreement", 1),
        recipient=stix_id("identity", 2),
        decision="allow",
        reasons=("diffusion autorisée: REL FRA/MLI", "مسموح بالإفراج", 'quote " \\ \n \u2028 😀'),
        details={"collection": "ops", "count": 3, "urgent": True, "note": None},
        time="2026-11-29T13:00:00+01:00",
    )
    record = log.append(entry)
    body = record.entry.body(record.seq)
    assert body["time"] == "2026-11-29T12:00:00.000000Z"
    stored = log.connection.execute(
        "SELECT body FROM audit_entries WHERE seq = ?", (record.seq,)
    ).fetchone()[0]
    assert stored == canonical(body) == entry.encode(record.seq, body["time"])
    assert record.leaf_hash == M.leaf_hash(canonical(body))
    assert log.record(record.seq) == record


def test_fast_encoder_equals_rfc8785_for_every_unicode_scalar() -> None:
    """orjson (sorted keys) and RFC 8785 escape each character the same way."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for i in range(0, len(chars), 4096):
        text = "".join(chars[i : i + 4096])
        assert encode_body({"s": text}) == rfc8785.dumps({"s": text})
    value = {"b": [1, None, True, False, -(2**53) + 1], "a": {"z": "", "y": 0}}
    assert encode_body(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "Object Created"}, "dotted lowercase"),
        ({"actor": ""}, "actor"),
        ({"details": {"score": 0.5}}, "metadata only"),
        ({"details": {"blob": {"nested": "content"}}}, "metadata only"),
        ({"details": {"big": 2**60}}, "safe integer"),
        ({"details": {"Bad Key": 1}}, "lowercase identifier"),
        ({"reasons": ("",)}, "reason"),
        ({"decision": "maybe"}, "decision"),
        ({"action": Action.OBJECT_CREATED, "objects": ()}, "at least one object"),
        ({"action": Action.OBJECT_CREATED, "objects": (ObjectRef(stix_id("note", 1)),)}, "sha256"),
        (
            {"action": Action.OBJECT_RELEASED, "objects": (ObjectRef(stix_id("note", 1)),)},
            "recipient",
        ),
        ({"time": "yesterday"}, "RFC 3339"),
        ({"time": "2026-11-29T12:00:00"}, "time zone"),
    ],
)
def test_entries_hold_metadata_only(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"action": "settings.changed", "actor": "admin", **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        AuditEntry(**args)  # type: ignore[arg-type]


def test_long_reasons_are_shortened_not_refused() -> None:
    entry = AuditEntry("read.denied", "partner", reasons=("x" * 600, "short"), decision="deny")
    assert entry.reasons == ("x" * 511 + "…", "short")


def test_object_refs_are_checked() -> None:
    with pytest.raises(InvalidInputError):
        ObjectRef("not-a-stix-id")
    with pytest.raises(InvalidInputError):
        ObjectRef(stix_id("note", 1), None, "ABC")
    ref = ObjectRef.for_stored(stix_id("note", 1), "v1", b'{"id": 1}')
    assert ref.sha256 == hashlib.sha256(b'{"id": 1}').hexdigest()
    assert ref.to_dict() == {"id": stix_id("note", 1), "version": "v1", "sha256": ref.sha256}


def test_append_many_batches_and_signs_a_head_per_batch(
    log: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    assert log.size() == 0 and log.root() == M.EMPTY_ROOT
    assert log.append_many(make_entries(10)) == range(0, 10)
    assert log.append_many(make_entries(5, 10)) == range(10, 15)
    assert log.append_many([]) == range(15, 15)
    heads = log.heads()
    assert [h.size for h in heads] == [10, 15]
    for head in heads:
        head.verify(key.public_key_b64)
        assert head.root_hash == log.root(head.size)
    leaves = [r.leaf_hash for r in log.query()]
    assert log.root() == M.root(leaves) == heads[-1].root_hash
    tree = pymerkle.InmemoryTree()
    for (body,) in log.connection.execute("SELECT body FROM audit_entries ORDER BY seq"):
        tree.append_entry(body)
    assert tree.get_root() == log.root() and tree.get_root(10) == log.root(10)


def test_unsigned_log_signs_heads_on_request(
    conn: sqlite3.Connection, key: SigningKey, make_entries: MakeEntries
) -> None:
    log = AuditLog(conn)
    log.append_many(make_entries(7))
    assert log.latest_head() is None
    with pytest.raises(InvalidInputError):
        log.tree_head()
    head = log.tree_head(key)
    assert head.size == 7 and head == log.latest_head()
    head.verify(key.public_key_b64)


def test_tree_head_signature_and_round_trip(
    log: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    log.append_many(make_entries(3))
    head = log.tree_head()
    data = orjson.loads(orjson.dumps(head.to_dict()))
    again = SignedTreeHead.from_dict(data)
    assert again == head
    again.verify(key.public_key_b64)
    with pytest.raises(SignatureError):
        again.verify(SigningKey.generate().public_key_b64)
    forged = SignedTreeHead.from_dict({**data, "size": 4})
    with pytest.raises(SignatureError):
        forged.verify(key.public_key_b64)
    moved = SignedTreeHead.from_dict({**data, "root_hash": "00" * 32})
    with pytest.raises(SignatureError):
        moved.verify()
    for bad in ({**data, "kind": "x"}, {**data, "root_hash": "zz"}, {**data, "size": -1}):
        with pytest.raises(InvalidInputError):
            SignedTreeHead.from_dict(bad)


def test_inclusion_and_consistency_proofs_over_the_log(
    log: AuditLog, make_entries: MakeEntries
) -> None:
    sizes = [1, 2, 3, 7, 8, 9, 31, 64, 100]
    previous = 0
    for size in sizes:
        log.append_many(make_entries(size - previous, previous))
        previous = size
    heads = {h.size: h for h in log.heads()}
    leaves = [r.leaf_hash for r in log.query()]
    for size in sizes:
        root = heads[size].root_hash
        for seq in range(size):
            proof = log.inclusion_proof(seq, size)
            assert proof.leaf_hash == leaves[seq]
            assert list(proof.path) == M.inclusion_proof(
                seq, size, M.subtree_hash_from_leaves(leaves)
            )
            assert proof.verify(root)
            assert InclusionProof.from_dict(orjson.loads(orjson.dumps(proof.to_dict()))) == proof
        for old in sizes:
            if old <= size:
                c = log.consistency_proof(old, size)
                assert c.verify(heads[old].root_hash, root)
                assert ConsistencyProof.from_dict(c.to_dict()) == c
    assert not log.inclusion_proof(5, 100).verify(heads[64].root_hash)
    with pytest.raises(NotFoundError):
        log.inclusion_proof(100, 100)
    with pytest.raises(InvalidInputError):
        log.inclusion_proof(0, 101)
    with pytest.raises(InvalidInputError):
        log.consistency_proof(50, 20)


def test_query_filters(log: AuditLog, make_entries: MakeEntries) -> None:
    log.append_many(make_entries(40))
    old = AuditEntry(
        "settings.changed", "admin", details={"name": "port"}, time="2020-01-01T00:00:00Z"
    )
    log.append(old)
    assert {r.entry.action for r in log.query(actor="node-fr")} == {"object.released"}
    denied = log.query(action=Action.READ_DENIED)
    assert [r.seq for r in denied] == list(range(2, 40, 4))
    about = log.query(object_id=stix_id("indicator", 5))
    assert [r.seq for r in about] == [5]
    assert log.query(object_id=stix_id("indicator", 999)) == []
    assert [r.seq for r in log.query(until="2021-01-01T00:00:00Z")] == [40]
    assert 40 not in [r.seq for r in log.query(since=datetime(2025, 1, 1, tzinfo=UTC))]
    assert [r.seq for r in log.query(limit=3)] == [0, 1, 2]
    assert [r.seq for r in log.query(limit=2, newest_first=True)] == [40, 39]
    both = log.query(actor="analyst-0", action="object.created")
    assert both and all(
        r.entry.actor == "analyst-0" and r.entry.action == "object.created" for r in both
    )
    with pytest.raises(InvalidInputError):
        log.query(since="not a time")


def test_append_inside_the_callers_transaction_is_all_or_nothing(
    log: AuditLog, conn: sqlite3.Connection, make_entries: MakeEntries
) -> None:
    log.append_many(make_entries(3))
    conn.execute("CREATE TABLE things (id TEXT)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO things VALUES ('x')")
    log.append_many(make_entries(2, 3))
    conn.execute("ROLLBACK")  # the caller's object write failed: its audit entries go too
    assert log.size() == 3 and len(log.heads()) == 1
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO things VALUES ('y')")
    log.append_many(make_entries(2, 3))
    conn.execute("COMMIT")
    assert log.size() == 5


def test_failed_append_leaves_nothing_behind(
    log: AuditLog, conn: sqlite3.Connection, make_entries: MakeEntries, key: SigningKey
) -> None:
    log.append_many(make_entries(3))
    # Make the next append collide inside its transaction (node for leaves 2..3).
    conn.execute("INSERT INTO audit_nodes (key, hash) VALUES (?, ?)", ((3 << 6) | 1, b"x" * 32))
    with pytest.raises(StorageError):
        log.append_many(make_entries(4, 3))
    assert log.size() == 3 and len(log.heads()) == 1
    conn.execute("DELETE FROM audit_nodes WHERE key = ?", ((3 << 6) | 1,))
    log.append_many(make_entries(4, 3))
    assert log.verify(key.public_key_b64).ok


def test_legacy_transaction_mode_works_too(
    tmp_path, key: SigningKey, make_entries: MakeEntries
) -> None:
    conn = sqlite3.connect(tmp_path / "legacy.db")  # default isolation_level=""
    create_tables(conn)
    conn.commit()
    log = AuditLog(SqliteDb(conn), signing_key=key)
    log.append_many(make_entries(9))
    conn.close()
    again = AuditLog(open_db(tmp_path / "legacy.db"))
    assert again.size() == 9
    assert again.verify(key.public_key_b64).ok
