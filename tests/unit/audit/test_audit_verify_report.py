"""What ``verify`` says, word for word, and the odd corners a tamperer can reach.

The texts are what an operator reads (THREATS.md: one clear line per refusal), the
counts are how much went wrong, and hostile bodies must be reported, never crash the
check. Written against mutation survivors of ``audit/verify.py`` (docs/mutation.md).
"""

from __future__ import annotations

import hashlib
import sqlite3

import orjson
import pytest
from audit_support import MakeEntries, stix_id

from liaison.audit import AuditEntry, AuditLog, VerifyReport
from liaison.merkle import EMPTY_ROOT
from liaison.signing import SigningKey


def check(log: AuditLog, key: SigningKey, **kwargs: object) -> VerifyReport:
    return log.verify(key.public_key_b64, **kwargs)  # type: ignore[arg-type]


def body(conn: sqlite3.Connection, seq: int) -> dict[str, object]:
    raw = conn.execute("SELECT body FROM audit_entries WHERE seq = ?", (seq,)).fetchone()[0]
    return orjson.loads(raw)  # type: ignore[no-any-return]


def rewrite(conn: sqlite3.Connection, seq: int, doc: object) -> None:
    """Replace row ``seq``'s body and keep its leaf consistent (the tamperer's tidy way)."""
    raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    conn.execute(
        "UPDATE audit_entries SET body = ?, leaf = ? WHERE seq = ?",
        (raw, hashlib.sha256(b"\x00" + raw).digest(), seq),
    )


@pytest.fixture
def filled(log: AuditLog, make_entries: MakeEntries) -> AuditLog:
    log.append_many(make_entries(10))
    log.append_many(make_entries(2, 10))  # heads at sizes 10 and 12
    log.append_many(make_entries(8, 12))  # and 20
    return log


# --- the summary line and the JSON form ---------------------------------------------------


def test_an_empty_log_is_ok_without_a_head(log: AuditLog, key: SigningKey) -> None:
    report = check(log, key)
    assert report.ok
    assert report.summary() == f"audit log OK: 0 entries, root {EMPTY_ROOT.hex()}, no signed head"
    assert report.to_dict() == {
        "ok": True,
        "size": 0,
        "root_hash": EMPTY_ROOT.hex(),
        "head": None,
        "heads_checked": 0,
        "objects_checked": 0,
        "problems": [],
        "suppressed": 0,
        "warnings": [],
    }


def test_a_head_signed_over_the_empty_log_checks_out(log: AuditLog, key: SigningKey) -> None:
    head = log.tree_head()
    assert head.size == 0
    report = check(log, key)
    assert report.ok and report.heads_checked == 1
    assert report.summary().endswith("signed head size 0")


def test_ok_summary_names_the_size_root_and_head(filled: AuditLog, key: SigningKey) -> None:
    report = check(filled, key)
    root = filled.root().hex()
    assert report.summary() == f"audit log OK: 20 entries, root {root}, signed head size 20"
    assert report.to_dict()["head"] == filled.latest_head().to_dict()  # type: ignore[union-attr]


def test_problems_are_counted_and_capped(
    log: AuditLog, key: SigningKey, make_entries: MakeEntries
) -> None:
    """1,500 rewritten rows: the first 1,000 problems are kept, the rest counted."""
    log.append_many(make_entries(1500))
    log.connection.execute("UPDATE audit_entries SET actor = 'someone-else'")
    report = check(log, key)
    assert len(report.problems) == 1000 and report.suppressed == 500
    assert [p.seq for p in report.problems] == list(range(1000))
    first = report.problems[0].message
    assert report.summary() == f"audit log FAILED: {first} (and 1499 more problems)"
    as_json = report.to_dict()
    assert as_json["ok"] is False and as_json["suppressed"] == 500
    assert as_json["problems"][0] == {"kind": "index-mismatch", "message": first, "seq": 0}


def test_one_problem_is_one_line(filled: AuditLog, key: SigningKey) -> None:
    filled.connection.execute("UPDATE audit_entries SET leaf = ? WHERE seq = 4", (b"\x01" * 32,))
    report = check(filled, key)
    assert report.summary() == (
        "audit log FAILED: row seq 4 was changed: its content no longer matches its leaf hash"
    )


# --- the words of each problem ------------------------------------------------------------


@pytest.mark.parametrize(
    ("deleted", "message"),
    [
        ((5,), "row seq 5 was deleted"),
        ((5, 6), "rows seq 5..6 are missing (2 deleted)"),
        ((5, 6, 7), "rows seq 5..7 are missing (3 deleted)"),
    ],
)
def test_deleted_rows_are_named_with_their_count(
    filled: AuditLog, key: SigningKey, deleted: tuple[int, ...], message: str
) -> None:
    conn = filled.connection
    for seq in deleted:
        conn.execute("DELETE FROM audit_entries WHERE seq = ?", (seq,))
    report = check(filled, key)
    missing = [(p.seq, p.message) for p in report.problems if p.kind == "missing-rows"]
    assert missing == [(deleted[0], message)]


def test_a_deletion_names_exactly_the_heads_that_cover_it(
    filled: AuditLog, key: SigningKey
) -> None:
    """Heads at 10, 12 and 20; row 11 gone: heads 12 and 20 fail, head 10 still holds."""
    filled.connection.execute("DELETE FROM audit_entries WHERE seq = 11")
    report = check(filled, key)
    heads = [p.message for p in report.problems if p.kind == "head-root"]
    assert [m.split(" do not hash")[0] for m in heads] == ["entries 0..11", "entries 0..19"]


def test_the_messages_of_each_kind(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    conn.execute("UPDATE audit_entries SET body = ? WHERE seq = 3", (b"\xff not json",))
    conn.execute("UPDATE audit_entries SET seq = 1000 WHERE seq = 8")
    conn.execute("UPDATE audit_entries SET seq = 8 WHERE seq = 9")
    conn.execute("UPDATE audit_entries SET seq = 9 WHERE seq = 1000")
    entry = body(conn, 14)
    conn.execute(
        "UPDATE audit_entries SET actor = 'mallory', action = 'login', time = 'noon' WHERE seq = 14"
    )
    conn.execute("DELETE FROM audit_refs WHERE seq = 16")
    report = check(filled, key)
    said = {(p.kind, p.seq): p.message for p in report.problems}
    assert said[("malformed-row", 3)] == "row seq 3 does not hold a JSON entry"
    assert said[("reordered-row", 8)] == (
        "row seq 8 holds the entry written as seq 9: rows were reordered or renumbered"
    )
    assert said[("index-mismatch", 14)] == (
        f"row seq 14: the time/actor/action columns were changed (the entry says "
        f"{entry['actor']!r} {entry['action']!r} at {entry['time']!r}, the columns "
        "'mallory' 'login' at 'noon')"
    )
    assert said[("index-mismatch", None)] == (
        "the object index (audit_refs) does not match the entries: `show --object` would "
        "hide or invent entries"
    )


def test_a_log_without_head_says_so(
    conn: sqlite3.Connection, key: SigningKey, make_entries: MakeEntries
) -> None:
    AuditLog(conn).append_many(make_entries(2))
    report = check(AuditLog(conn), key)
    assert [(p.kind, p.message) for p in report.problems] == [
        ("no-head", "no valid signed tree head covers the log")
    ]


@pytest.mark.parametrize(("strays", "words"), [(1, "1 stored"), (2, "2 stored")])
def test_stray_tree_nodes_are_counted(
    filled: AuditLog, key: SigningKey, strays: int, words: str
) -> None:
    conn = filled.connection
    for level in range(63, 63 - strays, -1):  # after row 4's nodes, before row 5's
        conn.execute("INSERT INTO audit_nodes (key, hash) VALUES (?, ?)", ((4 << 6) | level, b"x"))
    report = check(filled, key)
    assert [(p.kind, p.message) for p in report.problems] == [
        ("tree-node", f"{words} tree nodes belong to no row (rows deleted, or nodes inserted)")
    ]


def test_stray_tree_nodes_past_the_last_row_are_counted(filled: AuditLog, key: SigningKey) -> None:
    filled.connection.execute(
        "INSERT INTO audit_nodes (key, hash) VALUES (?, ?)", ((25 << 6) | 1, b"x")
    )
    report = check(filled, key)
    assert [p.message for p in report.problems] == [
        "1 stored tree nodes belong to no row (rows deleted, or nodes inserted)"
    ]


# --- hostile bodies and columns: reported, never a crash ------------------------------------


def test_a_body_stored_as_text_with_the_same_content_is_the_same_entry(
    filled: AuditLog, key: SigningKey
) -> None:
    filled.connection.execute("UPDATE audit_entries SET body = CAST(body AS TEXT) WHERE seq = 2")
    assert check(filled, key).ok


def test_a_body_stored_as_a_number_is_reported(filled: AuditLog, key: SigningKey) -> None:
    filled.connection.execute("UPDATE audit_entries SET body = 12345 WHERE seq = 2")
    report = check(filled, key)
    assert [(p.kind, p.seq) for p in report.problems if p.seq == 2] == [
        ("changed-row", 2),
        ("malformed-row", 2),
    ]


@pytest.mark.parametrize(
    "objects", [{"0": {"id": stix_id("indicator", 1)}}, ["not-a-reference"], [7, {"id": 3}]]
)
def test_odd_object_lists_are_reported(filled: AuditLog, key: SigningKey, objects: object) -> None:
    doc = body(filled.connection, 0)
    doc["objects"] = objects
    rewrite(filled.connection, 0, doc)
    report = check(filled, key)
    assert not report.ok
    assert {p.kind for p in report.problems} <= {"tree-node", "head-root", "index-mismatch"}


def test_a_rotation_column_on_a_broken_body_is_reported(filled: AuditLog, key: SigningKey) -> None:
    conn = filled.connection
    conn.execute(
        "UPDATE audit_entries SET action = 'key.rotated', body = ? WHERE seq = 5", (b"[1, 2]",)
    )
    report = check(filled, key)
    assert {"changed-row", "malformed-row"} <= {p.kind for p in report.problems}


def test_a_rotation_entry_must_name_both_keys(filled: AuditLog, key: SigningKey) -> None:
    """An entry 'rotated to K' without the old key, even under a trusted head, hands
    nothing to K: heads K signs stay untrusted."""
    intruder = SigningKey.generate()
    filled.append(AuditEntry("key.rotated", "admin", details={"new_key": intruder.public_key_b64}))
    filled.tree_head(intruder)
    report = check(filled, key)
    assert [p.kind for p in report.problems] == ["head-untrusted-key"]
