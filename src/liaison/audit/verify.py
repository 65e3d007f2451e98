"""Recompute the whole audit log from storage and name everything that does not add up.

One streaming pass over ``audit_entries`` (by ``seq``) and ``audit_nodes`` (by key, which
is completion order): each row's leaf is recomputed from its body and compared with the
stored leaf, the body's own ``seq``/``time``/``actor``/``action`` with the row, every
interior node with the stored one, and the root at every signed head's size with that
head. Memory stays O(log n) apart from the optional stored-object table.
"""

from __future__ import annotations

import hashlib
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from liaison.audit._trust import judge_heads, load_heads
from liaison.audit.entry import STORES_CONTENT, ref_key
from liaison.audit.report import Problem, VerifyReport
from liaison.db import Db
from liaison.merkle import EMPTY_ROOT, node_hash

__all__ = ["OBJECT_REHANDLED", "Problem", "StoredObjects", "VerifyReport", "verify_log"]

StoredObjects = Callable[[], Iterable[tuple[str, str, str | None, str, str]]]
"""``stored_objects() -> (collection, id, version, sha256 hex of the stored bytes as read
now, binding)`` for every stored version (``liaison.audit.binding``)."""

_Key = tuple[str, str, str | None]  # collection, id, version

_CHUNK = 8192
_ROTATED = "key.rotated"
_DELETED = "object.deleted"
#: A stored version's handling recomputed (a marking-definition it awaited arrived):
#: the entry's ``binding`` replaces the one recorded when the version was stored.
OBJECT_REHANDLED = "object.rehandled"
_P = 65521  # fingerprint of the object index: sums stay far below 2**63 in SQLite


class _Walk:
    """State of the streaming pass; the hot loop lives in ``run``, rare cases in methods."""

    def __init__(
        self,
        conn: Db,
        report: VerifyReport,
        sizes: set[int],
        objects: dict[_Key, tuple[str, str]] | None,
    ) -> None:
        self.conn = conn
        self.report = report
        self.sizes = sizes  # the sizes of signed heads: record the root there
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}
        self.rotations: list[tuple[int, str, str]] = []
        self.objects = objects
        # What the log says is stored: key -> (sha256, binding or None, seq of the entry).
        self.logged: dict[_Key, tuple[str, str | None, int]] = {}
        self.stack: list[bytes] = []  # perfect-subtree roots, levels implied by ``pos``
        self.flag = -1  # last leaf position already named in a problem
        self.pos = 0
        self.refs = [0, 0, 0, 0]  # count, sum(ref), sum(seq), sum((ref % P) * (seq % P))
        self.stray_nodes = 0

    # --- rare paths -----------------------------------------------------------------
    def gap(self, seq: int) -> None:
        pos = self.pos
        self.report.add(
            "missing-rows",
            f"rows seq {pos}..{seq - 1} are missing ({seq - pos} deleted)"
            if seq - pos > 1
            else f"row seq {pos} was deleted",
            pos,
        )
        nodes = self.nodes_for(pos, seq)
        for p in range(pos, seq):
            self.flag = p
            self.push(p, b"\x00" * 32, nodes)
        self.pos = seq  # a gap found at a chunk's first row must not be counted again

    def bad_row(self, seq: int, doc: object, time: str, actor: str, action: str) -> None:
        if not isinstance(doc, dict):
            self.report.add("malformed-row", f"row seq {seq} does not hold a JSON entry", seq)
            self.flag = seq
        elif doc.get("seq") != seq:
            self.report.add(
                "reordered-row",
                f"row seq {seq} holds the entry written as seq {doc.get('seq')}: rows were "
                "reordered or renumbered",
                seq,
            )
            self.flag = seq
        else:
            self.report.add(
                "index-mismatch",
                f"row seq {seq}: the time/actor/action columns were changed (the entry says "
                f"{doc.get('actor')!r} {doc.get('action')!r} at {doc.get('time')!r}, the "
                f"columns {actor!r} {action!r} at {time!r})",
                seq,
            )

    def object_refs(self, seq: int, refs: object, doc: dict[str, Any]) -> None:
        if not isinstance(refs, list):
            return
        refs = [r for r in refs if isinstance(r, dict) and isinstance(r.get("id"), str)]
        fingerprint = self.refs
        for object_id in {r["id"] for r in refs}:
            key = ref_key(object_id)
            fingerprint[0] += 1
            fingerprint[1] += key
            fingerprint[2] += seq
            fingerprint[3] += (key % _P) * (seq % _P)
        action = doc.get("action")
        if self.objects is None or (
            action not in STORES_CONTENT and action != _DELETED and action != OBJECT_REHANDLED
        ):
            return
        details = doc.get("details")
        details = details if isinstance(details, dict) else {}
        collection = str(details.get("collection", ""))
        bound = details.get("binding")
        for ref in refs:
            slot: _Key = (collection, ref["id"], ref.get("version"))
            if action == _DELETED:
                self.logged.pop(slot, None)  # a recorded deletion, not a gap
                continue
            if action == OBJECT_REHANDLED:  # the latest binding of a version counts
                known = self.logged.get(slot)
                if known is not None and isinstance(bound, str):
                    self.logged[slot] = (known[0], bound, seq)
                continue
            sha = ref.get("sha256")
            if isinstance(sha, str):
                self.logged[slot] = (sha, bound if isinstance(bound, str) else None, seq)

    def rotation(self, seq: int, doc: object) -> None:
        details = doc.get("details") if isinstance(doc, dict) else None
        if isinstance(details, dict):
            old, new = details.get("old_key"), details.get("new_key")
            if isinstance(old, str) and isinstance(new, str):
                self.rotations.append((seq, old, new))

    def node_problem(self, start: int, p: int, missing: bool) -> None:
        if self.flag >= start:
            return  # already explained by a problem lower down
        self.report.add(
            "tree-node",
            f"the tree node over rows {start}..{p} is missing from storage"
            if missing
            else f"rows {start}..{p} do not hash to the stored tree node: one of them was "
            "rewritten together with its leaf hash",
            start,
        )
        self.flag = p

    # --- tree -----------------------------------------------------------------------
    def nodes_for(self, first: int, last: int) -> tuple[list[int], list[bytes]]:
        """Stored nodes completed by leaves ``first..last`` (key order)."""
        rows = self.conn.execute(
            "SELECT key, hash FROM audit_nodes WHERE key >= ? AND key < ? ORDER BY key",
            (first << 6, (last + 1) << 6),
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def push(self, p: int, value: bytes, nodes: tuple[list[int], list[bytes]]) -> None:
        """Slow-path twin of the inlined push in ``run``."""
        keys, hashes = nodes
        stack = self.stack
        for level in range(1, ((p + 1) & -(p + 1)).bit_length()):
            value = node_hash(stack.pop(), value)
            key = (p << 6) | level
            try:
                i = keys.index(key)
            except ValueError:
                self.node_problem(p - (1 << level) + 1, p, missing=True)
                continue
            if hashes[i] != value:
                self.node_problem(p - (1 << level) + 1, p, missing=False)
        stack.append(value)
        if p + 1 in self.sizes:
            self.roots[p + 1] = _fold_hashes(stack)

    def run(self) -> None:
        cursor = self.conn.execute(
            "SELECT seq, body, leaf, time, actor, action FROM audit_entries ORDER BY seq"
        )
        while chunk := cursor.fetchmany(_CHUNK):
            self.chunk(chunk)
        trailing = self.conn.execute(
            "SELECT count(*) FROM audit_nodes WHERE key >= ?", (self.pos << 6,)
        ).fetchone()[0]
        self.stray_nodes += int(trailing)

    # --- the hot loop ------------------------------------------------------------------
    def chunk(self, chunk: list[Any]) -> None:
        sha256 = hashlib.sha256
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        sizes = self.sizes
        roots = self.roots
        stack = self.stack
        objects = self.objects
        crc32 = zlib.crc32
        n_refs = sum_ref = sum_seq = sum_mix = 0  # added to self.refs at the end
        if chunk[0][0] != self.pos:
            self.gap(chunk[0][0])
        keys, hashes = self.nodes_for(chunk[0][0], chunk[-1][0])
        n_keys = len(keys)
        ni = 0
        pos = self.pos
        for seq, body, stored_leaf, time, actor, action in chunk:
            if body.__class__ is not bytes:  # someone stored another SQL type
                body = _as_bytes(body)
            if seq != pos:
                self.pos = pos
                self.gap(seq)
                ni = 0 if not keys else bisect_left(keys, seq << 6)
            leaf = sha256(b"\x00" + body).digest()
            if leaf != stored_leaf:
                self.report.add(
                    "changed-row",
                    f"row seq {seq} was changed: its content no longer matches its leaf hash",
                    seq,
                )
                self.flag = seq
            try:
                doc = loads(body)
            except decode_error:
                doc = None
            if (
                doc.__class__ is not dict
                or doc.get("seq") != seq
                or doc.get("time") != time
                or doc.get("actor") != actor
                or doc.get("action") != action
            ):
                self.bad_row(seq, doc, time, actor, action)
            if action == _ROTATED:
                self.rotation(seq, doc)
            refs = doc.get("objects") if doc.__class__ is dict else None
            if refs:
                ref = refs[0] if refs.__class__ is list and len(refs) == 1 else None
                oid = ref.get("id") if ref.__class__ is dict else None
                if oid.__class__ is str and objects is None:  # the common case, inline
                    key = crc32(oid.encode())
                    n_refs += 1
                    sum_ref += key
                    sum_seq += seq
                    sum_mix += (key % _P) * (seq % _P)
                else:
                    self.object_refs(seq, refs, doc if doc.__class__ is dict else {})
            # push the leaf: merge one node per trailing 1 bit of seq
            value = leaf
            level = 0
            p = seq
            while p & 1:
                level += 1
                p >>= 1
                value = sha256(b"\x01" + stack.pop() + value).digest()
                key = (seq << 6) | level
                while ni < n_keys and keys[ni] < key:
                    self.stray_nodes += 1
                    ni += 1
                if ni < n_keys and keys[ni] == key:
                    if hashes[ni] != value:
                        self.node_problem(seq - (1 << level) + 1, seq, missing=False)
                    ni += 1
                else:
                    self.node_problem(seq - (1 << level) + 1, seq, missing=True)
            stack.append(value)
            pos = seq + 1
            if pos in sizes:
                roots[pos] = _fold_hashes(stack)
        self.pos = pos
        self.stray_nodes += n_keys - ni
        fingerprint = self.refs
        fingerprint[0] += n_refs
        fingerprint[1] += sum_ref
        fingerprint[2] += sum_seq
        fingerprint[3] += sum_mix


def _as_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return b"" if value is None else str(value).encode()


def _fold_hashes(stack: Sequence[bytes]) -> bytes:
    if not stack:
        return EMPTY_ROOT
    value = stack[-1]
    for left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def verify_log(
    conn: Db,
    keys: Sequence[str],
    stored_objects: StoredObjects | None = None,
) -> VerifyReport:
    """Check the log in ``conn`` against heads signed by any of ``keys``."""
    report = VerifyReport()
    heads = load_heads(conn, report)
    walk = _Walk(conn, report, {h.size for _, h in heads}, {} if stored_objects else None)
    walk.run()
    pos = walk.pos
    report.size = pos
    report.root_hash = _fold_hashes(walk.stack)
    if walk.stray_nodes:
        report.add(
            "tree-node",
            f"{walk.stray_nodes} stored tree nodes belong to no row (rows deleted, "
            "or nodes inserted)",
        )
    judge_heads(keys, heads, walk.roots, walk.rotations, pos, report)
    latest = report.head
    if latest is None:
        if pos:
            report.add("no-head", "no valid signed tree head covers the log")
    elif pos > latest.size:
        report.warnings.append(
            f"entries {latest.size}..{pos - 1} are not yet covered by a signed tree head"
        )
    table = conn.execute(
        "SELECT count(*), coalesce(sum(ref), 0), coalesce(sum(seq), 0),"
        " coalesce(sum((ref % ?) * (seq % ?)), 0) FROM audit_refs",
        (_P, _P),
    ).fetchone()
    if list(table) != walk.refs:
        report.add(
            "index-mismatch",
            "the object index (audit_refs) does not match the entries: `show --object` "
            "would hide or invent entries",
        )
    if stored_objects is not None:
        _check_objects(walk.logged, stored_objects(), report)
    return report


def _check_objects(
    logged: dict[_Key, tuple[str, str | None, int]],
    stored: Iterable[tuple[str, str, str | None, str, str]],
    report: VerifyReport,
) -> None:
    """Every stored version must be what its entry recorded, and every recorded version
    that no deletion entry removed must still be stored (issue #13, finding 7)."""
    for collection, object_id, version, sha, bound in stored:
        report.objects_checked += 1
        label = f"object {object_id}" + (f" version {version}" if version else "")
        entry = logged.pop((collection, object_id, version), None)
        if entry is None:
            report.add(
                "object-unaudited",
                f"{label} is stored (sha256 {sha[:12]}…) but no audit entry records it",
            )
            continue
        want_sha, want_binding, seq = entry
        if want_sha != sha:
            report.add(
                "object-changed",
                f"{label} was changed in the store: sha256 {sha[:12]}… but audit entry seq "
                f"{seq} recorded {want_sha[:12]}…",
                seq,
            )
        elif want_binding is not None and want_binding != bound:
            report.add(
                "handling-changed",
                f"{label}: its stored handling, provenance or originator changed behind the "
                f"log (audit entry seq {seq} recorded other values)",
                seq,
            )
    for (_collection, object_id, version), (_sha, _b, seq) in sorted(
        logged.items(), key=lambda kv: kv[1][2]
    ):
        label = f"object {object_id}" + (f" version {version}" if version else "")
        report.add(
            "object-missing",
            f"{label} is recorded by audit entry seq {seq} but no longer stored, and no "
            "deletion was recorded",
            seq,
        )
