"""Every kind of tampering is caught by ``verify``, which names what is wrong."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from audit_support import MakeEntries, stix_id

from liaison import merkle as M
from liaison.audit import AuditEntry, AuditLog, ObjectRef, VerifyReport
from liaison.audit import _trust as trust_module
from liaison.audit import verify as verify_module
from liaison.audit.log import node_key
from liaison.signing import SigningKey

N = 40


@pytest.fixture(autouse=True, params=[8192, 8], ids=["one-chunk", "chunks-of-8"])
def chunk_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run every case with the log read in one chunk and in many small ones."""
    monkeypatch.setattr(verify_module, "_CHUNK", request.param)
    return int(request.param)


@pytest.fixture
def filled(log: AuditLog, make_entries: MakeEntries) -> AuditLog:
    for start in range(0, N, 10):  # four batches, four signed heads
        log.append_many(make_entries(10, start))
    return log


def check(log: AuditLog, key: SigningKey, **kwargs: object) -> VerifyReport:
    return log.verify(key.public_key_b64, **kwargs)  # type: ignore[arg-type]


def kinds(report: VerifyReport) -> set[str]:
    return {p.kind for p in report.problems}


def body(conn: sqlite3.Connection, seq: int) -> bytes:
    return bytes(conn.execute("SELECT body FROM audit_entries WHERE seq = ?", (seq,)).fetchone()[0])


def test_untouched_log_verifies(filled: AuditLog, key: SigningKey) -> None:
    report = check(filled, key)
    assert report.ok, report.problems
    assert report.size == N and report.heads_checked == 4 and report.warnings == []
    assert report.root_hash == filled.root() == report.head.root_hash  # type: ignore[union-attr]
    assert "OK" in report.summary()


def test_changed_row(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    conn.execute(
        "UPDATE audit_entries SET body = ? WHERE seq = 13",
        (body(conn, 13).replace(b"releasable to ML", b"releasable to XX"),),
    )
    report = check(filled, key)
    assert not report.ok
    changed = [p for p in report.problems if p.kind == "changed-row"]
    assert [p.seq for p in changed] == [13]
    assert "row seq 13 was changed" in report.summary()
    # the heads covering seq 13 no longer match either, and are named
    assert {p.kind for p in report.problems} == {"changed-row", "head-root"}


def test_changed_row_with_its_leaf_hash(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    forged = body(conn, 20).replace(b"analyst", b"analyzt")
    conn.execute(
        "UPDATE audit_entries SET body = ?, leaf = ?, actor = 'analyzt-2' WHERE seq = 20",
        (forged, M.leaf_hash(forged)),
    )
    report = check(filled, key)
    node = [p for p in report.problems if p.kind == "tree-node"]
    assert node and node[0].seq == 20 and "rows 20..21" in node[0].message
    assert "head-root" in kinds(report)


def test_changed_row_with_the_whole_tree_rebuilt(filled: AuditLog, key: SigningKey) -> None:
    """An insider rewrites a row and recomputes every hash: only the signed heads catch it."""
    conn = filled.connection
    forged = body(conn, 2).replace(b"ORCON", b"NOFORN")
    conn.execute(
        "UPDATE audit_entries SET body = ?, leaf = ? WHERE seq = 2", (forged, M.leaf_hash(forged))
    )
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM audit_entries ORDER BY seq")]
    level, width = leaves, 1
    while len(level) > 1:
        width *= 2
        level = [M.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        for index, value in enumerate(level):
            conn.execute(
                "UPDATE audit_nodes SET hash = ? WHERE key = ?",
                (value, node_key(width.bit_length() - 1, index)),
            )
    report = check(filled, key)
    assert kinds(report) == {"head-root"}
    assert len(report.problems) == 4  # every signed head covers seq 2
    assert "history before seq 10 was changed" in report.problems[0].message


def test_deleted_row(filled: AuditLog, key: SigningKey) -> None:
    filled.connection.execute("DELETE FROM audit_entries WHERE seq = 17")
    report = check(filled, key)
    missing = [p for p in report.problems if p.kind == "missing-rows"]
    assert [p.seq for p in missing] == [17]
    assert "row seq 17 was deleted" in missing[0].message
    assert "changed-row" not in kinds(report)


def test_deleted_rows_at_the_end(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    conn.execute("DELETE FROM audit_entries WHERE seq >= 35")
    report = check(filled, key)
    truncated = [p for p in report.problems if p.kind == "truncated"]
    assert truncated and "rows seq 35..39 are missing" in truncated[0].message
    # and even with the last head deleted too, the orphaned tree nodes give it away
    conn.execute("DELETE FROM audit_heads WHERE size = 40")
    report = check(filled, key)
    assert kinds(report) == {"tree-node", "index-mismatch"}  # orphaned nodes and index rows
    assert "belong to no row" in report.problems[0].message


def test_reordered_rows(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    rows = {
        seq: conn.execute(
            "SELECT time, actor, action, body, leaf FROM audit_entries WHERE seq = ?", (seq,)
        ).fetchone()
        for seq in (5, 30)
    }
    for seq, other in ((5, 30), (30, 5)):
        conn.execute(
            "UPDATE audit_entries SET time = ?, actor = ?, action = ?, body = ?, leaf = ?"
            " WHERE seq = ?",
            (*rows[other], seq),
        )
    report = check(filled, key)
    reordered = [p for p in report.problems if p.kind == "reordered-row"]
    assert [p.seq for p in reordered] == [5, 30]
    assert "row seq 5 holds the entry written as seq 30" in reordered[0].message


def test_renumbered_rows(filled: AuditLog, key: SigningKey) -> None:
    """Moving a row to another seq (UPDATE seq) is a reorder as well."""
    conn = filled.connection
    conn.execute("UPDATE audit_entries SET seq = 1000 WHERE seq = 8")
    conn.execute("UPDATE audit_entries SET seq = 8 WHERE seq = 9")
    conn.execute("UPDATE audit_entries SET seq = 9 WHERE seq = 1000")
    report = check(filled, key)
    assert [p.seq for p in report.problems if p.kind == "reordered-row"] == [8, 9]


def test_bad_tree_head_signature(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    conn.execute("UPDATE audit_heads SET root = ? WHERE size = 20", (b"\x00" * 32,))
    report = check(filled, key)
    assert kinds(report) == {"head-signature"}
    assert "signed tree head #2 (size 20) is invalid" in report.problems[0].message


def test_head_signed_by_another_key(filled: AuditLog, key: SigningKey) -> None:
    filled.tree_head(SigningKey.generate())
    assert kinds(check(filled, key)) == {"head-untrusted-key"}


def test_log_without_any_head(
    conn: sqlite3.Connection, key: SigningKey, make_entries: MakeEntries
) -> None:
    log = AuditLog(conn)
    log.append_many(make_entries(3))
    assert kinds(check(log, key)) == {"no-head"}


def test_entries_after_the_last_head_are_a_warning(
    filled: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    AuditLog(filled.connection).append_many(make_entries(2, N))  # no key: no head
    report = check(filled, key)
    assert report.ok and report.warnings == [
        "entries 40..41 are not yet covered by a signed tree head"
    ]


def test_changed_index_columns(filled: AuditLog, key: SigningKey) -> None:
    """The columns `show` filters on must agree with the signed body."""
    conn = filled.connection
    conn.execute("UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 4")
    conn.execute("DELETE FROM audit_refs WHERE seq = 6")
    report = check(filled, key)
    assert kinds(report) == {"index-mismatch"}
    assert report.problems[0].seq == 4 and "columns were changed" in report.problems[0].message
    assert "audit_refs" in report.problems[1].message


def test_stored_object_changed_unaudited_missing_or_rebound(
    log: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    col = "c1"
    stored = {
        (
            stix_id("indicator", 0),
            "v1",
        ): b'{"id": "indicator--0", "pattern": "[ipv4-addr:value = \'1.2.3.4\']"}',
        (stix_id("indicator", 4), "v1"): b'{"id": "indicator--4"}',
        (stix_id("indicator", 5), "v1"): b'{"id": "indicator--5"}',
    }
    bindings = {k: "b" * 64 for k in stored}
    log.append_many(
        [
            AuditEntry(
                "object.created",
                "analyst",
                objects=(ObjectRef.for_stored(i, v, b),),
                details={"collection": col, "binding": bindings[(i, v)]},
            )
            for (i, v), b in stored.items()
        ]
    )

    def stored_objects() -> list[tuple[str, str, str | None, str, str]]:
        return [
            (col, i, v, hashlib.sha256(b).hexdigest(), bindings[(i, v)])
            for (i, v), b in stored.items()
        ]

    report = check(log, key, stored_objects=stored_objects)
    assert report.ok and report.objects_checked == 3

    stored[(stix_id("indicator", 0), "v1")] = stored[(stix_id("indicator", 0), "v1")].replace(
        b"1.2.3.4", b"6.6.6.6"
    )
    stored[(stix_id("indicator", 9), "v1")] = b'{"id": "indicator--9"}'  # slipped in unlogged
    bindings[(stix_id("indicator", 9), "v1")] = "b" * 64
    bindings[(stix_id("indicator", 4), "v1")] = "c" * 64  # its handling was loosened
    del stored[(stix_id("indicator", 5), "v1")]  # erased behind the log's back
    # releasing the altered object logs its new hash -- that does not launder it
    _, oid, ver, sha, _ = stored_objects()[0]
    log.append(
        AuditEntry(
            "object.released",
            "node-fr",
            objects=(ObjectRef(oid, ver, sha),),
            recipient=stix_id("identity", 2),
            agreement=stix_id("x-agreement", 1),
        )
    )
    report = check(log, key, stored_objects=stored_objects)
    assert kinds(report) == {
        "object-changed",
        "object-unaudited",
        "handling-changed",
        "object-missing",
    }
    by_kind = {p.kind: p for p in report.problems}
    assert stix_id("indicator", 0) in by_kind["object-changed"].message
    assert by_kind["object-changed"].seq == 0
    assert stix_id("indicator", 9) in by_kind["object-unaudited"].message
    assert stix_id("indicator", 4) in by_kind["handling-changed"].message
    assert stix_id("indicator", 5) in by_kind["object-missing"].message
    # A deletion that was recorded is no gap.
    log.append(
        AuditEntry(
            "object.deleted",
            "admin",
            objects=(ObjectRef.for_stored(stix_id("indicator", 5), "v1", b"x"),),
            details={"collection": col},
        )
    )
    report = check(log, key, stored_objects=stored_objects)
    assert "object-missing" not in kinds(report)


def test_malformed_row(filled: AuditLog, key: SigningKey) -> None:
    filled.connection.execute(
        "UPDATE audit_entries SET body = ? WHERE seq = 3", (b"\xff not json",)
    )
    report = check(filled, key)
    assert {"changed-row", "malformed-row"} <= kinds(report)
    assert [p.seq for p in report.problems if p.kind == "malformed-row"] == [3]


def test_key_rotation_is_followed_both_ways(
    filled: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    new = SigningKey.generate()
    head = filled.rotate_key(new, "admin")
    assert head.key == new.public_key_b64 and head.size == N + 1
    filled.append_many(make_entries(5, 100))
    assert filled.latest_head().key == new.public_key_b64  # type: ignore[union-attr]
    by_new = filled.verify(new.public_key_b64)  # the node's current key: back to the first
    assert by_new.ok, by_new.problems
    assert by_new.heads_checked == len(filled.heads())
    by_old = filled.verify(key.public_key_b64)  # a partner's pinned key: forward
    assert by_old.ok, by_old.problems
    stranger = filled.verify(SigningKey.generate().public_key_b64)
    assert kinds(stranger) == {"head-untrusted-key", "no-head"}


def test_stolen_old_key_cannot_sign_after_the_rotation(
    filled: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    new = SigningKey.generate()
    filled.rotate_key(new, "admin")
    filled.append_many(make_entries(3, 100))
    filled.tree_head(key)  # the retired key signs a later size
    report = filled.verify(new.public_key_b64)
    assert kinds(report) == {"head-untrusted-key"}
    assert f"(size {N + 4})" in report.problems[0].message


def test_forged_rotation_is_not_followed(
    filled: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    """An intruder appends 'rotated to my key' and signs with it: no trusted head covers it."""
    intruder = SigningKey.generate()
    forged = AuditLog(filled.connection, signing_key=intruder)
    forged.append(
        AuditEntry(
            "key.rotated",
            "admin",
            details={"old_key": key.public_key_b64, "new_key": intruder.public_key_b64},
        )
    )
    forged.append_many(make_entries(3, 100))
    report = filled.verify(key.public_key_b64)
    assert kinds(report) == {"head-untrusted-key"}
    assert report.head is not None and report.head.size == N


def test_many_heads_are_sampled(
    log: AuditLog, key: SigningKey, make_entries: MakeEntries, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trust_module, "MAX_HEADS", 4)
    for i in range(20):
        log.append_many(make_entries(2, 2 * i))  # a head per small batch: 20 heads
    new = SigningKey.generate()
    log.rotate_key(new, "admin")  # heads 21 (old key) and 22 (new key)
    log.append_many(make_entries(2, 100))
    report = log.verify(new.public_key_b64)
    assert report.ok, report.problems
    assert report.warnings == [
        "checked 7 of 23 signed tree heads (evenly spaced, the latest, and every change of key)"
    ]
    log.connection.execute("DELETE FROM audit_entries WHERE seq = 7")
    assert "missing-rows" in kinds(log.verify(new.public_key_b64))
    log.connection.execute(
        "UPDATE audit_heads SET size = 1 WHERE id = (SELECT max(id) FROM audit_heads)"
    )
    assert "head-signature" in kinds(log.verify(new.public_key_b64))
