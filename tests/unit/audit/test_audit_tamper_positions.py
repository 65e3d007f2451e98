"""Tampering with any row position, any column of any audit table, is caught by ``verify``.

``verify`` streams the log in chunks of ``_CHUNK`` (8,192) rows; a shortcut taken at a
chunk's first or last row would leave those rows unchecked. So every tamper below is
tried at each position class of a real log a little over two chunks long (built once
for the module, with the fast batch append): the first row, both sides of each chunk
boundary, and the last row; and on every column of ``audit_entries``, ``audit_refs``,
``audit_nodes`` and ``audit_heads``. Each case changes the database in a transaction,
verifies, and rolls back, and names exactly what ``verify`` must report.

Expected values come from the tamper itself (which row, which tree node, which heads
cover it), never from the code under test; the tree an insider rebuilds is recomputed
here from the leaves.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from audit_support import open_db, stix_id

from liaison.audit import Action, AuditEntry, AuditLog, ObjectRef, VerifyReport
from liaison.audit import verify as verify_module
from liaison.signing import SigningKey

CHUNK = verify_module._CHUNK
SIZE = 2 * CHUNK + 3
#: Batches appended (each signs a head): heads at sizes 1, CHUNK, CHUNK+1, 2 CHUNK, SIZE.
HEAD_SIZES = (1, CHUNK, CHUNK + 1, 2 * CHUNK, SIZE)
POSITIONS = {
    "first": 0,
    "chunk1-last": CHUNK - 1,
    "chunk2-first": CHUNK,
    "chunk2-second": CHUNK + 1,
    "chunk2-last": 2 * CHUNK - 1,
    "chunk3-first": 2 * CHUNK,
    "last": SIZE - 1,
}
ACTIONS = (Action.OBJECT_CREATED, Action.OBJECT_RELEASED, Action.READ_DENIED, Action.LOGIN)


def _entry(i: int) -> AuditEntry:
    """Every entry refers to objects (two of them for every fifth), with details."""
    sha = hashlib.sha256(b"%d" % i).hexdigest()
    refs = [ObjectRef(stix_id("indicator", i), f"v{i % 7}", sha)]
    if i % 5 == 0:
        refs.append(ObjectRef(stix_id("report", i), "v0", sha))
    action = ACTIONS[i % len(ACTIONS)]
    released = action == Action.OBJECT_RELEASED
    return AuditEntry(
        action,
        f"actor-{i % 3}",
        objects=tuple(refs),
        agreement=stix_id("x-agreement", 1) if released else None,
        recipient=stix_id("identity", 2) if released else None,
        details={"n": i, "note": "routine"},
    )


@dataclass
class Log:
    conn: sqlite3.Connection
    log: AuditLog
    key: SigningKey
    leaves: list[bytes]  # as appended, for the insider who rebuilds the tree
    head_ids: dict[int, int]  # head size -> audit_heads.id


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    key = SigningKey.generate()
    conn = open_db(Path(tmp_path_factory.mktemp("positions")) / "liaison.db")
    log = AuditLog(conn, signing_key=key)
    start = 0
    for end in HEAD_SIZES:
        log.append_many([_entry(i) for i in range(start, end)])
        start = end
    leaves = [bytes(r[0]) for r in conn.execute("SELECT leaf FROM audit_entries ORDER BY seq")]
    head_ids = {int(s): int(i) for i, s in conn.execute("SELECT id, size FROM audit_heads")}
    assert len(leaves) == SIZE and sorted(head_ids) == list(HEAD_SIZES)
    yield Log(conn, log, key, leaves, head_ids)
    conn.close()


@pytest.fixture
def big(built: Log) -> Iterator[Log]:
    """The module's log; whatever a test changes is rolled back afterwards."""
    built.conn.execute("BEGIN")
    try:
        yield built
    finally:
        built.conn.execute("ROLLBACK")


def verify(b: Log) -> VerifyReport:
    return b.log.verify(b.key.public_key_b64)


def kinds(report: VerifyReport) -> set[str]:
    return {p.kind for p in report.problems}


def seqs(report: VerifyReport, kind: str) -> list[int | None]:
    return [p.seq for p in report.problems if p.kind == kind]


def covering_heads(p: int) -> int:
    """How many signed heads cover row ``p`` (their size is beyond it)."""
    return sum(1 for s in HEAD_SIZES if s > p)


def stored_nodes_over(p: int) -> list[tuple[int, int, int]]:
    """(level, first row, last row) of every complete tree node over row ``p``, lowest
    first. RFC 9162 trees: the node at ``level`` over ``p`` spans the aligned block of
    2**level rows holding ``p``; it is stored once its last row exists."""
    out = []
    for level in range(1, SIZE.bit_length()):
        first = (p >> level) << level
        last = first + (1 << level) - 1
        if last < SIZE:
            out.append((level, first, last))
    return out


def node_key(level: int, last: int) -> int:
    """Storage key of a node, as the log documents it: ``(last_leaf << 6) | level``."""
    return (last << 6) | level


def row(conn: sqlite3.Connection, p: int) -> tuple[bytes, str, str, str, bytes]:
    body, time, actor, action, leaf = conn.execute(
        "SELECT body, time, actor, action, leaf FROM audit_entries WHERE seq = ?", (p,)
    ).fetchone()
    return bytes(body), time, actor, action, bytes(leaf)


def forged_body(conn: sqlite3.Connection, p: int) -> bytes:
    """Row ``p``'s entry with one detail rewritten; seq, time, actor, action unchanged."""
    doc = orjson.loads(row(conn, p)[0])
    assert doc["details"]["n"] == p
    doc["details"]["note"] = "rewritten"
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def leaf_of(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


ids = list(POSITIONS)
at = pytest.mark.parametrize("p", list(POSITIONS.values()), ids=ids)


# --- a clean log, and the positions are what they claim -----------------------------------


def test_untouched_big_log_verifies(big: Log) -> None:
    report = verify(big)
    assert report.ok, report.problems[:3]
    assert report.size == SIZE and report.heads_checked == len(HEAD_SIZES)


# --- audit_entries: body, leaf, seq, time, actor, action; and the row itself ---------------


@at
def test_body_rewritten(big: Log, p: int) -> None:
    big.conn.execute(
        "UPDATE audit_entries SET body = ? WHERE seq = ?", (forged_body(big.conn, p), p)
    )
    report = verify(big)
    assert seqs(report, "changed-row") == [p]
    assert kinds(report) == {"changed-row", "head-root"}
    assert len(seqs(report, "head-root")) == covering_heads(p)


@at
def test_leaf_rewritten(big: Log, p: int) -> None:
    big.conn.execute(
        "UPDATE audit_entries SET leaf = ? WHERE seq = ?", (hashlib.sha256(b"x").digest(), p)
    )
    report = verify(big)
    assert [(x.kind, x.seq) for x in report.problems] == [("changed-row", p)]


@at
def test_body_rewritten_with_its_leaf(big: Log, p: int) -> None:
    body = forged_body(big.conn, p)
    big.conn.execute(
        "UPDATE audit_entries SET body = ?, leaf = ? WHERE seq = ?", (body, leaf_of(body), p)
    )
    report = verify(big)
    nodes = stored_nodes_over(p)
    tree = [x for x in report.problems if x.kind == "tree-node"]
    if nodes:  # the lowest stored node over p no longer matches, and only it is named
        _, first, last = nodes[0]
        named = [(x.seq, f"rows {first}..{last} do not hash" in x.message) for x in tree]
        assert named == [(first, True)]
    else:  # the last row of an odd-sized tree has no node: the signed head catches it
        assert tree == []
    assert kinds(report) == ({"tree-node"} if nodes else set()) | {"head-root"}
    assert len(seqs(report, "head-root")) == covering_heads(p)


@at
def test_body_rewritten_with_the_whole_tree_rebuilt(big: Log, p: int) -> None:
    body = forged_body(big.conn, p)
    leaf = leaf_of(body)
    big.conn.execute("UPDATE audit_entries SET body = ?, leaf = ? WHERE seq = ?", (body, leaf, p))
    _rebuild(big, p, leaf)
    report = verify(big)
    assert kinds(report) == {"head-root"}  # only the signatures can tell
    assert len(report.problems) == covering_heads(p)


def _rebuild(b: Log, p: int, leaf: bytes) -> None:
    """Recompute every stored node over row ``p`` from the leaves (new leaf at ``p``)."""
    leaves = list(b.leaves)
    leaves[p] = leaf
    cache: dict[tuple[int, int], bytes] = {}

    def block(level: int, first: int) -> bytes:  # hash of the 2**level rows from first
        if level == 0:
            return leaves[first]
        if (level, first) not in cache:
            half = 1 << (level - 1)
            pair = block(level - 1, first) + block(level - 1, first + half)
            cache[(level, first)] = hashlib.sha256(b"\x01" + pair).digest()
        return cache[(level, first)]

    for level, first, last in stored_nodes_over(p):
        b.conn.execute(
            "UPDATE audit_nodes SET hash = ? WHERE key = ?",
            (block(level, first), node_key(level, last)),
        )


@pytest.mark.parametrize("column", ["time", "actor", "action"])
@at
def test_index_column_changed(big: Log, p: int, column: str) -> None:
    value = {"time": "2020-01-01T00:00:00.000000Z", "actor": "someone-else", "action": "login"}
    if row(big.conn, p)[3] == value["action"] and column == "action":
        value["action"] = "object.created"
    _, time, actor, action, _ = row(big.conn, p)
    big.conn.execute(f"UPDATE audit_entries SET {column} = ? WHERE seq = ?", (value[column], p))
    now = {"time": time, "actor": actor, "action": action, column: value[column]}
    report = verify(big)
    assert [(x.kind, x.seq) for x in report.problems] == [("index-mismatch", p)]
    assert report.problems[0].message == (
        f"row seq {p}: the time/actor/action columns were changed (the entry says "
        f"{actor!r} {action!r} at {time!r}, the columns {now['actor']!r} {now['action']!r} "
        f"at {now['time']!r})"
    )


@at
def test_seq_moved_past_the_end(big: Log, p: int) -> None:
    far = SIZE + 100
    big.conn.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (far, p))
    report = verify(big)
    assert seqs(report, "missing-rows")[0] == p
    assert seqs(report, "reordered-row") == [far]


@at
def test_seq_swapped_with_a_neighbour(big: Log, p: int) -> None:
    q = p + 1 if p + 1 < SIZE else p - 1
    conn = big.conn
    conn.execute("UPDATE audit_entries SET seq = -1 WHERE seq = ?", (p,))
    conn.execute("UPDATE audit_entries SET seq = ? WHERE seq = ?", (p, q))
    conn.execute("UPDATE audit_entries SET seq = ? WHERE seq = -1", (q,))
    report = verify(big)
    assert seqs(report, "reordered-row") == sorted([p, q])


@at
def test_row_deleted(big: Log, p: int) -> None:
    big.conn.execute("DELETE FROM audit_entries WHERE seq = ?", (p,))
    report = verify(big)
    if p == SIZE - 1:  # the tail: the latest signed head says the log was longer
        assert seqs(report, "truncated") == [p]
        assert kinds(report) == {"truncated", "index-mismatch"}  # its index rows remain
    else:  # named once, even as the first row of a chunk
        assert seqs(report, "missing-rows") == [p]
        assert f"row seq {p} was deleted" in report.summary()
        assert kinds(report) == {"missing-rows", "head-root", "index-mismatch"}
        assert len(seqs(report, "head-root")) == covering_heads(p)
        assert report.size == SIZE


@pytest.mark.parametrize(
    "p", [SIZE - 2, CHUNK + 1, 1], ids=["in-chunk3", "chunk2-second", "second"]
)
def test_row_deleted_with_its_tree_nodes(big: Log, p: int) -> None:
    """The tidier tamperer also deletes the nodes the row completed (p is odd: it
    completes some); in the last chunk that leaves a chunk with no stored node at all."""
    done = big.conn.execute(
        "DELETE FROM audit_nodes WHERE key >= ? AND key < ?", (p << 6, (p + 1) << 6)
    )
    assert done.rowcount >= 1
    big.conn.execute("DELETE FROM audit_entries WHERE seq = ?", (p,))
    report = verify(big)
    assert seqs(report, "missing-rows") == [p]
    assert kinds(report) == {"missing-rows", "head-root", "index-mismatch"}
    assert len(seqs(report, "head-root")) == covering_heads(p)


# --- audit_refs: the index ``show --object`` reads -----------------------------------------


REF_TAMPERS: dict[str, Callable[[sqlite3.Connection, int], None]] = {
    "deleted": lambda c, p: c.execute("DELETE FROM audit_refs WHERE seq = ?", (p,)),
    "changed": lambda c, p: c.execute("UPDATE audit_refs SET ref = ref + 1 WHERE seq = ?", (p,)),
    "moved": lambda c, p: c.execute(
        "UPDATE audit_refs SET seq = ? WHERE seq = ?", (p + 1 if p + 1 < SIZE else p - 1, p)
    ),
    "inserted": lambda c, p: c.execute(
        "INSERT INTO audit_refs (seq, ref) VALUES (?, ?)", (p, uuid.uuid4().int % 2**32)
    ),
}


@pytest.mark.parametrize("tamper", list(REF_TAMPERS))
@at
def test_object_index_tampered(big: Log, p: int, tamper: str) -> None:
    assert big.conn.execute("SELECT count(*) FROM audit_refs WHERE seq = ?", (p,)).fetchone()[0]
    REF_TAMPERS[tamper](big.conn, p)
    report = verify(big)
    assert [x.kind for x in report.problems] == ["index-mismatch"]
    assert "audit_refs" in report.problems[0].message


# --- audit_nodes: the stored tree --------------------------------------------------------


def _node_params() -> list[object]:
    out = []
    for name, p in POSITIONS.items():
        nodes = stored_nodes_over(p)
        if not nodes:
            continue
        for which, node in (("lowest", nodes[0]), ("highest", nodes[-1])):
            out.append(pytest.param(node, id=f"{name}-{which}-level{node[0]}"))
    return out


@pytest.mark.parametrize("node", _node_params())
@pytest.mark.parametrize("tamper", ["changed", "deleted", "rekeyed"])
def test_tree_node_tampered(big: Log, node: tuple[int, int, int], tamper: str) -> None:
    level, first, last = node
    key = node_key(level, last)
    if tamper == "changed":
        sql, args = "UPDATE audit_nodes SET hash = ? WHERE key = ?", (b"\x00" * 32, key)
    elif tamper == "deleted":
        sql, args = "DELETE FROM audit_nodes WHERE key = ?", (key,)
    else:  # moved to a key no node has (level 63)
        sql, args = "UPDATE audit_nodes SET key = ? WHERE key = ?", (node_key(63, last), key)
    assert big.conn.execute(sql, args).rowcount == 1
    report = verify(big)
    expected = [("tree-node", first)] + ([("tree-node", None)] if tamper == "rekeyed" else [])
    assert [(x.kind, x.seq) for x in report.problems] == expected
    said = {
        "changed": f"rows {first}..{last} do not hash to the stored tree node: one of them "
        "was rewritten together with its leaf hash",
        "deleted": f"the tree node over rows {first}..{last} is missing from storage",
        "rekeyed": f"the tree node over rows {first}..{last} is missing from storage",
    }
    assert report.problems[0].message == said[tamper]
    if tamper == "rekeyed":
        assert report.problems[1].message == (
            "1 stored tree nodes belong to no row (rows deleted, or nodes inserted)"
        )


@at
def test_tree_node_inserted(big: Log, p: int) -> None:
    big.conn.execute(
        "INSERT INTO audit_nodes (key, hash) VALUES (?, ?)", (node_key(63, p), b"\x01" * 32)
    )
    report = verify(big)
    assert [(x.kind, x.message) for x in report.problems] == [
        ("tree-node", "1 stored tree nodes belong to no row (rows deleted, or nodes inserted)")
    ]


# --- audit_heads: every column of every signed head ----------------------------------------


HEAD_TAMPERS: dict[str, tuple[str, Callable[[Log], object]]] = {
    "size": ("size = size - 1", lambda b: None),
    "root": ("root = ?", lambda b: b"\x07" * 32),
    "timestamp": ("timestamp = ?", lambda b: "2030-01-01T00:00:00Z"),
    "key": ("key = ?", lambda b: SigningKey.generate().public_key_b64),
    "signature": ("signature = ?", lambda b: b.key.sign(b"something else")),
}


@pytest.mark.parametrize("column", list(HEAD_TAMPERS))
@pytest.mark.parametrize("size", HEAD_SIZES, ids=[f"head{s}" for s in HEAD_SIZES])
def test_head_column_changed(big: Log, size: int, column: str) -> None:
    head_id = big.head_ids[size]
    change, value = HEAD_TAMPERS[column]
    args = (value(big),) if "?" in change else ()
    big.conn.execute(f"UPDATE audit_heads SET {change} WHERE id = ?", (*args, head_id))
    report = verify(big)
    assert [x.kind for x in report.problems] == ["head-signature"]
    assert f"signed tree head #{head_id} " in report.problems[0].message


def test_head_ids_renumbered_change_nothing_checked(big: Log) -> None:
    """``id`` only orders the heads: renumbered, the same heads are all checked."""
    big.conn.execute("UPDATE audit_heads SET id = 1000 - id")
    report = verify(big)
    assert report.ok and report.heads_checked == len(HEAD_SIZES)
