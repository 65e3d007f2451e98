"""The append-only audit log, kept in the node's store (tables ``audit_*``).

The tables belong to the store's migrations (``liaison.store.schema``); this module
reads and writes rows through ``liaison.db.Db``, on the store's connection. Storage:

* ``audit_entries(seq, time, actor, action, body, leaf)`` -- ``body`` is the canonical
  JSON of the entry (it names its own ``seq``), ``leaf = HASH(0x00 || body)``;
* ``audit_refs(seq, ref)`` -- CRC-32 of each referenced object id, for ``query(object_id=)``;
* ``audit_nodes(key, hash)`` -- every complete interior node of the RFC 9162 tree, keyed
  ``(last_leaf << 6) | level`` so that key order is the order nodes complete while
  leaves are appended (``verify`` streams them alongside the leaves);
* ``audit_heads`` -- every signed tree head the node produced.

Every append runs in one transaction (a ``SAVEPOINT`` if the caller already holds one),
so a crash leaves the log as it was before or after the whole batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import orjson

from liaison.audit.entry import (
    FORMAT_VERSION,
    Action,
    AuditEntry,
    AuditRecord,
    entries_from,
    normalise_time,
    ref_key,
)
from liaison.audit.heads import SignedTreeHead, sign_tree_head
from liaison.audit.proofs import ConsistencyProof, InclusionProof
from liaison.audit.verify import StoredObjects, VerifyReport, verify_log
from liaison.db import Db
from liaison.errors import InvalidInputError, NotFoundError, StorageError
from liaison.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    node_hash,
)
from liaison.signing import SigningKey

__all__ = ["TABLES", "AuditLog", "node_key"]

TABLES = ("audit_entries", "audit_refs", "audit_nodes", "audit_heads")


def node_key(level: int, index: int) -> int:
    """Storage key of the perfect subtree ``index`` at height ``level`` (``level >= 1``)."""
    return ((((index + 1) << level) - 1) << 6) | level


def _now() -> str:
    return normalise_time(datetime.now(UTC))


class AuditLog:
    """Tamper-evident audit log over a store connection (``liaison.db.Db``).

    With ``signing_key``, every ``append``/``append_many`` also stores a signed tree head
    in the same transaction, so each batch is covered by a head.
    """

    def __init__(self, conn: Db, signing_key: SigningKey | None = None) -> None:
        self._conn = conn
        self._key = signing_key

    @property
    def connection(self) -> Db:
        return self._conn

    def use_key(self, key: SigningKey | None) -> None:
        """Sign heads with ``key`` from now on (the node's current identity key)."""
        self._key = key

    def _write(self) -> AbstractContextManager[None]:
        return self._conn.transaction()

    # --- reading the tree -------------------------------------------------------------
    def size(self) -> int:
        """Number of leaves: one more than the highest ``seq``."""
        row = self._conn.execute("SELECT max(seq) FROM audit_entries").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def _node(self, level: int, index: int) -> bytes:
        if level == 0:
            sql, arg = "SELECT leaf FROM audit_entries WHERE seq = ?", index
        else:
            sql, arg = "SELECT hash FROM audit_nodes WHERE key = ?", node_key(level, index)
        row = self._conn.execute(sql, (arg,)).fetchone()
        if row is None:
            raise StorageError(f"audit tree node missing (level {level}, index {index})")
        return bytes(row[0])

    def _frontier(self, size: int) -> list[tuple[int, bytes]]:
        """Roots of the perfect subtrees that make up the tree of ``size``, left to right.

        One query for the interior nodes (not one each: on PostgreSQL each is a round
        trip, under the writers' lock, up to 20 at a million entries).
        """
        spans: list[tuple[int, int]] = []  # (level, index)
        offset = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                spans.append((level, offset >> level))
                offset += 1 << level
        keys = [node_key(level, index) for level, index in spans if level]
        found: dict[int, bytes] = {}
        if keys:
            marks = ",".join("?" * len(keys))  # integers, bound as parameters
            sql = f"SELECT key, hash FROM audit_nodes WHERE key IN ({marks})"  # noqa: S608
            rows = self._conn.execute(sql, keys).fetchall()
            found = {int(k): bytes(h) for k, h in rows}
        out: list[tuple[int, bytes]] = []
        for level, index in spans:
            if level == 0:
                out.append((0, self._node(0, index)))
                continue
            value = found.get(node_key(level, index))
            if value is None:
                raise StorageError(f"audit tree node missing (level {level}, index {index})")
            out.append((level, value))
        return out

    def subtree_hash(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for a range that is a node of the tree."""
        width = end - start
        if width <= 0:
            raise InvalidInputError(f"empty leaf range {start}..{end}")
        if width & (width - 1) == 0:
            if start % width:
                raise InvalidInputError(f"leaf range {start}..{end} is not a tree node")
            return self._node(width.bit_length() - 1, start // width)
        k = 1 << (width.bit_length() - 1)
        return node_hash(self.subtree_hash(start, start + k), self.subtree_hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree of the first ``size`` leaves (default: all)."""
        current = self.size()
        size = current if size is None else size
        if not 0 <= size <= current:
            raise InvalidInputError(f"tree size {size} outside 0..{current}")
        frontier = self._frontier(size)
        if not frontier:
            return EMPTY_ROOT
        value = frontier[-1][1]
        for _, left in reversed(frontier[:-1]):
            value = node_hash(left, value)
        return value

    # --- appending --------------------------------------------------------------------
    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append one entry; returns it with its ``seq``, time and leaf hash."""
        return self.record(self.append_many([entry]).start)

    def append_many(self, entries: Iterable[AuditEntry]) -> range:
        """Append a batch in one transaction (and sign a head if the log has a key).

        Returns the ``seq`` numbers given to the entries, in order.
        """
        batch = entries_from(entries)
        now = _now()
        with self._write():
            n = first = self.size()
            if not batch:
                return range(first, first)
            frontier = self._frontier(n)
            rows: list[tuple[int, str, str, str, bytes, bytes]] = []
            refs: list[tuple[int, int]] = []
            nodes: list[tuple[int, bytes]] = []
            sha256 = hashlib.sha256
            stamp = now.encode("ascii")
            for entry in batch:
                time = entry.time
                # entry.encode(n, time or now), inline: one call fewer per entry
                body = b'%s,"seq":%d,"time":"%s","v":%d}' % (
                    entry._static,
                    n,
                    stamp if time is None else time.encode("ascii"),
                    FORMAT_VERSION,
                )
                leaf = sha256(b"\x00" + body).digest()
                rows.append((n, time or now, entry.actor, entry.action, body, leaf))
                for ref in entry.ref_keys:  # none without objects
                    refs.append((ref, n))
                level, value = 0, leaf
                while frontier and frontier[-1][0] == level:
                    value = sha256(b"\x01" + frontier.pop()[1] + value).digest()  # node_hash
                    level += 1
                    nodes.append(((n << 6) | level, value))
                frontier.append((level, value))
                n += 1
            conn = self._conn
            conn.executemany(
                "INSERT INTO audit_entries (seq, time, actor, action, body, leaf)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany("INSERT INTO audit_refs (ref, seq) VALUES (?, ?)", refs)
            conn.executemany("INSERT INTO audit_nodes (key, hash) VALUES (?, ?)", nodes)
            if self._key is not None:
                self._sign_and_store(n, frontier, self._key)
        return range(first, n)

    # --- tree heads -------------------------------------------------------------------
    def _sign_and_store(
        self, size: int, frontier: list[tuple[int, bytes]], key: SigningKey
    ) -> SignedTreeHead:
        value = EMPTY_ROOT
        if frontier:
            value = frontier[-1][1]
            for _, left in reversed(frontier[:-1]):
                value = node_hash(left, value)
        head = sign_tree_head(size, value, key)
        self._conn.execute(
            "INSERT INTO audit_heads (size, root, timestamp, key, signature)"
            " VALUES (?, ?, ?, ?, ?)",
            (head.size, head.root_hash, head.timestamp, head.key, head.signature),
        )
        return head

    def tree_head(self, signing_key: SigningKey | None = None) -> SignedTreeHead:
        """Sign, store and return a head for the current tree."""
        key = signing_key or self._key
        if key is None:
            raise InvalidInputError("a signing key is needed to sign a tree head")
        with self._write():
            size = self.size()
            return self._sign_and_store(size, self._frontier(size), key)

    def rotate_key(self, new_key: SigningKey, actor: str) -> SignedTreeHead:
        """Hand the log over to ``new_key``, verifiably.

        In one transaction: a ``key.rotated`` entry naming both public keys, a head signed
        by the current key that covers it, and a head of the same size signed by the new
        key, which signs from now on. ``verify`` follows the chain in either direction.
        """
        old_key = self._key
        if old_key is None:
            raise InvalidInputError("the log has no signing key to rotate")
        entry = AuditEntry(
            Action.KEY_ROTATED,
            actor,
            details={"old_key": old_key.public_key_b64, "new_key": new_key.public_key_b64},
        )
        with self._write():
            self.append_many([entry])  # signed by the old key
            size = self.size()
            head = self._sign_and_store(size, self._frontier(size), new_key)
        self._key = new_key
        return head

    def heads(self) -> list[SignedTreeHead]:
        """Every stored head, oldest first (as stored: not verified)."""
        rows = self._conn.execute(
            "SELECT size, root, timestamp, key, signature FROM audit_heads ORDER BY id"
        ).fetchall()
        return [SignedTreeHead(int(r[0]), bytes(r[1]), r[2], r[3], r[4]) for r in rows]

    def latest_head(self) -> SignedTreeHead | None:
        row = self._conn.execute(
            "SELECT size, root, timestamp, key, signature FROM audit_heads ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else SignedTreeHead(int(row[0]), bytes(row[1]), *row[2:])

    # --- proofs -----------------------------------------------------------------------
    def inclusion_proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """Proof that entry ``seq`` is in the tree of ``size`` leaves (default: all)."""
        current = self.size()
        size = current if size is None else size
        if not 0 < size <= current:
            raise InvalidInputError(f"tree size {size} outside 1..{current}")
        if not 0 <= seq < size:
            raise NotFoundError(f"no audit entry {seq} in a tree of size {size}")
        path = inclusion_proof(seq, size, self.subtree_hash)
        return InclusionProof(seq, size, self._node(0, seq), tuple(path))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Proof that the tree of ``old_size`` leaves is a prefix of the one of ``new_size``."""
        current = self.size()
        new_size = current if new_size is None else new_size
        if not 0 <= old_size <= new_size <= current:
            raise InvalidInputError(f"need 0 <= old {old_size} <= new {new_size} <= {current}")
        path = consistency_proof(old_size, new_size, self.subtree_hash)
        return ConsistencyProof(old_size, new_size, tuple(path))

    # --- reading entries --------------------------------------------------------------
    def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        object_id: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        """Entries matching every given filter (``since``/``until`` inclusive), by ``seq``."""
        where: list[str] = []
        params: list[object] = []
        if actor is not None:
            where.append("actor = ?")
            params.append(actor)
        if action is not None:
            where.append("action = ?")
            params.append(str(action))
        if object_id is not None:
            where.append("seq IN (SELECT seq FROM audit_refs WHERE ref = ?)")
            params.append(ref_key(object_id))
        if since is not None:
            where.append("time >= ?")
            params.append(normalise_time(since, assume_utc=True))
        if until is not None:
            where.append("time <= ?")
            params.append(normalise_time(until, assume_utc=True))
        sql = "SELECT seq, body, leaf FROM audit_entries"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
        if limit is not None:
            if not isinstance(limit, int) or limit < 0:
                raise InvalidInputError("limit must be a non-negative integer")
            sql += " LIMIT ?"
            params.append(limit)
        records = [self._record(r) for r in self._conn.execute(sql, params)]
        if object_id is not None:  # the index is keyed by a 64-bit hash: drop collisions
            records = [r for r in records if any(o.id == object_id for o in r.entry.objects)]
        return records

    def record(self, seq: int) -> AuditRecord:
        row = self._conn.execute(
            "SELECT seq, body, leaf FROM audit_entries WHERE seq = ?", (seq,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no audit entry {seq}")
        return self._record(row)

    @staticmethod
    def _record(row: tuple[int, str, bytes]) -> AuditRecord:
        try:
            body = orjson.loads(row[1])
            return AuditRecord(int(row[0]), AuditEntry.from_body(body), bytes(row[2]))
        except (orjson.JSONDecodeError, InvalidInputError) as exc:
            raise StorageError(
                f"audit entry {row[0]} is unreadable ({exc}); run audit verify"
            ) from exc

    # --- verification -----------------------------------------------------------------
    def verify(
        self,
        public_key_b64: str | Iterable[str],
        stored_objects: StoredObjects | None = None,
    ) -> VerifyReport:
        """Recompute everything from storage; see ``liaison.audit.verify.verify_log``."""
        keys = [public_key_b64] if isinstance(public_key_b64, str) else list(public_key_b64)
        return verify_log(self._conn, keys, stored_objects)
