"""Recompute the whole audit log from storage and name everything that does not add up.

One streaming pass over ``audit_entries`` (by ``seq``) and ``audit_nodes`` (by key, which
is completion order): each row's leaf is recomputed from its body and compared with the
stored leaf, the body's own ``seq``/``time``/``actor``/``action`` with the row, every
interior node with the stored one, and the root at every signed head's size with that
head. Memory stays O(log n) apart from the optional stored-object table.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from liaison.audit._trust import judge_heads, load_heads
from liaison.audit.entry import STORES_CONTENT, ref_key
from liaison.audit.heads import SignedTreeHead
from liaison.audit.merkle import EMPTY_ROOT, node_hash

__all__ = ["Problem", "StoredObjects", "VerifyReport", "verify_log"]

StoredObjects = Callable[[], Iterable[tuple[str, str | None, str]]]
"""``stored_objects() -> (id, version, sha256 hex of the stored JSON)`` for every object."""

MAX_PROBLEMS = 1000
_CHUNK = 8192
_ROTATED = "key.rotated"
_P = 65521  # fingerprint of the object index: sums stay far below 2**63 in SQLite


@dataclass(frozen=True)
class Problem:
    """One thing wrong. ``kind`` is stable (tests, JSON); ``message`` is for people."""

    kind: str
    message: str
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "seq": self.seq}


@dataclass
class VerifyReport:
    size: int = 0
    root_hash: bytes = EMPTY_ROOT
    head: SignedTreeHead | None = None
    heads_checked: int = 0
    objects_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suppressed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, message: str, seq: int | None = None) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.suppressed += 1
        else:
            self.problems.append(Problem(kind, message, seq))

    def summary(self) -> str:
        if self.ok:
            head = f"signed head size {self.head.size}" if self.head else "no signed head"
            return f"audit log OK: {self.size} entries, root {self.root_hash.hex()}, {head}"
        first = self.problems[0].message
        more = len(self.problems) + self.suppressed - 1
        return f"audit log FAILED: {first}" + (f" (and {more} more problems)" if more else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "head": self.head.to_dict() if self.head else None,
            "heads_checked": self.heads_checked,
            "objects_checked": self.objects_checked,
            "problems": [p.to_dict() for p in self.problems],
            "suppressed": self.suppressed,
            "warnings": list(self.warnings),
        }


class _Walk:
    """State of the streaming pass; the hot loop lives in ``run``, rare cases in methods."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        report: VerifyReport,
        sizes: set[int],
        objects: dict[tuple[str, str | None], list[Any]],
    ) -> None:
        self.conn = conn
        self.report = report
        self.sizes = sizes  # the sizes of signed heads: record the root there
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT}
        self.rotations: list[tuple[int, str, str]] = []
        self.objects = objects
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

    def object_refs(self, seq: int, refs: object, action: object) -> None:
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
        if not self.objects or action not in STORES_CONTENT:
            return  # only creation and receipt vouch for the stored bytes
        for ref in refs:
            slot = self.objects.get((ref["id"], ref.get("version")))
            sha = ref.get("sha256")
            if slot is None or sha is None:
                continue
            if slot[0] == sha:
                slot[1] = True
            elif slot[1] is None:
                slot[1] = (sha, seq)

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
                if oid.__class__ is str and not objects:  # the common case, inline
                    key = crc32(oid.encode())
                    n_refs += 1
                    sum_ref += key
                    sum_seq += seq
                    sum_mix += (key % _P) * (seq % _P)
                else:
                    self.object_refs(seq, refs, doc.get("action"))
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
    conn: sqlite3.Connection,
    keys: Sequence[str],
    stored_objects: StoredObjects | None = None,
) -> VerifyReport:
    """Check the log in ``conn`` against heads signed by any of ``keys``."""
    report = VerifyReport()
    heads = load_heads(conn, report)
    objects: dict[tuple[str, str | None], list[Any]] = {}
    if stored_objects is not None:
        for object_id, version, sha in stored_objects():
            objects[(object_id, version)] = [sha, None]  # stored sha, what the log says
    walk = _Walk(conn, report, {h.size for _, h in heads}, objects)
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
    _check_objects(objects, report)
    return report


def _check_objects(objects: dict[tuple[str, str | None], list[Any]], report: VerifyReport) -> None:
    for (object_id, version), (sha, seen) in objects.items():
        report.objects_checked += 1
        if seen is True:
            continue
        label = f"object {object_id}" + (f" version {version}" if version else "")
        if seen is None:
            report.add(
                "object-unaudited",
                f"{label} is stored (sha256 {sha[:12]}…) but no audit entry records it",
            )
        else:
            report.add(
                "object-changed",
                f"{label} was changed in the store: sha256 {sha[:12]}… but audit entry seq "
                f"{seen[1]} recorded {seen[0][:12]}…",
                seen[1],
            )
