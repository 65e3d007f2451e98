"""Partner ledgers: for each partner, a Merkle log of the exchanges with that partner only.

The node's whole audit log holds every event, refused reads and other partners' business
included; its size alone would tell a partner how much it does not see. So a partner
verifies, instead, its own **ledger** (ADR 0006): what this node received from it, what
it released to it (with the hash of the bytes sent), the receipts it sent, the
agreements and consents that concern it, and this node's key rotations. The ledger's
signed heads name the partner (``scope``), and its size depends on nothing else than the
partner's own exchanges; consistency proofs let it check, at every sync, that nothing it
was shown was rewritten.

Entries are ``AuditEntry`` values (the same canonical form as the log) appended in the
caller's transaction -- the one that stores the objects or records the release -- with
a head signed for the new size. Tables (``ledger_entries``, ``ledger_nodes``,
``ledger_heads``) belong to the store's migrations; this module only reads and writes
rows, through the store's ``liaison.db.Db``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

from liaison.audit.entry import AuditEntry, entries_from, normalise_time
from liaison.audit.heads import SignedTreeHead, sign_tree_head
from liaison.audit.proofs import ConsistencyProof
from liaison.db import Db
from liaison.errors import InvalidInputError, StorageError
from liaison.merkle import EMPTY_ROOT, consistency_proof, node_hash
from liaison.signing import SigningKey

__all__ = ["Ledger", "LedgerProblem"]


def _key(last_leaf: int, level: int) -> int:
    return (last_leaf << 6) | level


def _node_key(level: int, index: int) -> int:
    return _key(((index + 1) << level) - 1, level)


class LedgerProblem(str):
    """One thing wrong with a ledger, as a sentence for the operator."""


class Ledger:
    """Every partner's ledger, over one connection (see the module docstring)."""

    def __init__(self, conn: Db, signing_key: SigningKey | None = None) -> None:
        self._conn = conn
        self._key = signing_key

    def _write(self) -> AbstractContextManager[None]:
        return self._conn.transaction()

    def use_key(self, key: SigningKey | None) -> None:
        """Sign heads with ``key`` from now on (the node's current identity key)."""
        self._key = key

    # --- reading ------------------------------------------------------------------------
    def size(self, party: str) -> int:
        row = self._conn.execute(
            "SELECT max(seq) FROM ledger_entries WHERE party = ?", (party,)
        ).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def parties(self) -> list[str]:
        return [
            str(r[0])
            for r in self._conn.execute("SELECT DISTINCT party FROM ledger_entries ORDER BY 1")
        ]

    def entries(self, party: str) -> list[tuple[int, str, bytes, bytes]]:
        """(seq, action, body, leaf) of every entry, in order."""
        return [
            (int(s), str(a), bytes(b), bytes(h))
            for s, a, b, h in self._conn.execute(
                "SELECT seq, action, body, leaf FROM ledger_entries WHERE party = ? ORDER BY seq",
                (party,),
            )
        ]

    def _node(self, party: str, level: int, index: int) -> bytes:
        if level == 0:
            sql, arg = "SELECT leaf FROM ledger_entries WHERE party = ? AND seq = ?", index
        else:
            sql = "SELECT hash FROM ledger_nodes WHERE party = ? AND key = ?"
            arg = _node_key(level, index)
        row = self._conn.execute(sql, (party, arg)).fetchone()
        if row is None:
            raise StorageError(f"ledger of {party}: tree node missing ({level}, {index})")
        return bytes(row[0])

    def _frontier(self, party: str, size: int) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        offset = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                out.append((level, self._node(party, level, offset >> level)))
                offset += 1 << level
        return out

    def _subtree(self, party: str, start: int, end: int) -> bytes:
        width = end - start
        if width & (width - 1) == 0:
            return self._node(party, width.bit_length() - 1, start // width)
        k = 1 << (width.bit_length() - 1)
        left = self._subtree(party, start, start + k)
        return node_hash(left, self._subtree(party, start + k, end))

    def root(self, party: str, size: int | None = None) -> bytes:
        size = self.size(party) if size is None else size
        frontier = self._frontier(party, size)
        return _fold([h for _, h in frontier])

    # --- appending ------------------------------------------------------------------------
    def append(self, party: str, entries: Iterable[AuditEntry], now: str | None = None) -> range:
        """Append to ``party``'s ledger in one transaction (a savepoint inside the caller's)
        and sign a head for the new size."""
        batch = entries_from(entries)
        if not batch:
            n = self.size(party)
            return range(n, n)
        when = normalise_time(now) if now else None
        with self._write():
            n = first = self.size(party)
            frontier = self._frontier(party, n)
            rows: list[tuple[str, int, str, str, bytes, bytes]] = []
            nodes: list[tuple[str, int, bytes]] = []
            for entry in batch:
                time = entry.time or when or normalise_time_now()
                body = entry.encode(n, time)
                leaf = hashlib.sha256(b"\x00" + body).digest()
                rows.append((party, n, time, entry.action, body, leaf))
                level, value = 0, leaf
                while frontier and frontier[-1][0] == level:
                    value = node_hash(frontier.pop()[1], value)
                    level += 1
                    nodes.append((party, _key(n, level), value))
                frontier.append((level, value))
                n += 1
            self._conn.executemany(
                "INSERT INTO ledger_entries (party, seq, time, action, body, leaf)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            if nodes:
                self._conn.executemany(
                    "INSERT INTO ledger_nodes (party, key, hash) VALUES (?, ?, ?)", nodes
                )
            if self._key is not None:
                self._store_head(party, sign_tree_head(
                    n, _fold([h for _, h in frontier]), self._key, scope=party
                ))  # fmt: skip
        return range(first, n)

    def _store_head(self, party: str, head: SignedTreeHead) -> None:
        self._conn.execute(
            "INSERT INTO ledger_heads (party, size, root, timestamp, key, signature)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (party, head.size, head.root_hash, head.timestamp, head.key, head.signature),
        )

    # --- heads and proofs -----------------------------------------------------------------
    def heads(self, party: str) -> list[SignedTreeHead]:
        rows = self._conn.execute(
            "SELECT size, root, timestamp, key, signature FROM ledger_heads WHERE party = ?"
            " ORDER BY id",
            (party,),
        ).fetchall()
        return [SignedTreeHead(int(r[0]), bytes(r[1]), r[2], r[3], r[4], party) for r in rows]

    def head(self, party: str) -> SignedTreeHead:
        """The latest signed head of ``party``'s ledger (signed now if none covers it)."""
        size = self.size(party)
        row = self._conn.execute(
            "SELECT size, root, timestamp, key, signature FROM ledger_heads WHERE party = ?"
            " ORDER BY id DESC LIMIT 1",
            (party,),
        ).fetchone()
        if (
            row is not None
            and int(row[0]) == size
            and (self._key is None or row[3] == self._key.public_key_b64)
        ):
            return SignedTreeHead(int(row[0]), bytes(row[1]), row[2], row[3], row[4], party)
        if self._key is None:
            raise InvalidInputError("a signing key is needed to sign a ledger head")
        with self._write():
            head = sign_tree_head(size, self.root(party, size), self._key, scope=party)
            self._store_head(party, head)
        return head

    def consistency_proof(self, party: str, old: int, new: int) -> ConsistencyProof:
        size = self.size(party)
        if not 0 <= old <= new <= size:
            raise InvalidInputError(f"need 0 <= first {old} <= second {new} <= {size}")
        path = consistency_proof(old, new, lambda a, b: self._subtree(party, a, b))
        return ConsistencyProof(old, new, tuple(path))

    # --- verification ------------------------------------------------------------------------
    def verify(self, keys: Sequence[str]) -> list[LedgerProblem]:
        """Recompute every ledger from its entries: leaves, tree nodes, signed heads."""
        problems: list[LedgerProblem] = []
        for party in self.parties():
            problems += self._verify_one(party, set(keys))
        return problems

    def _verify_one(self, party: str, keys: set[str]) -> list[LedgerProblem]:
        out: list[LedgerProblem] = []
        entries = self.entries(party)
        leaves: list[bytes] = []
        for pos, (seq, _action, body, leaf) in enumerate(entries):
            if seq != pos:
                out.append(LedgerProblem(f"ledger of {party}: entry {pos} is missing"))
                return out
            if hashlib.sha256(b"\x00" + body).digest() != leaf:
                out.append(LedgerProblem(f"ledger of {party}: entry {seq} was changed"))
            leaves.append(leaf)
        stored = {
            int(k): bytes(h)
            for k, h in self._conn.execute(
                "SELECT key, hash FROM ledger_nodes WHERE party = ?", (party,)
            )
        }
        expected: dict[int, bytes] = {}
        roots: dict[int, bytes] = {0: EMPTY_ROOT}
        stack: list[tuple[int, bytes]] = []
        for n, leaf in enumerate(leaves):
            level, value = 0, leaf
            while stack and stack[-1][0] == level:
                value = node_hash(stack.pop()[1], value)
                level += 1
                expected[_key(n, level)] = value
            stack.append((level, value))
            roots[n + 1] = _fold([h for _, h in stack])
        if stored != expected:
            out.append(LedgerProblem(f"ledger of {party}: stored tree nodes do not match"))
        for head in self.heads(party):
            if head.key not in keys:
                out.append(LedgerProblem(f"ledger of {party}: a head is signed by an unknown key"))
                continue
            try:
                head.verify()
            except Exception:
                out.append(LedgerProblem(f"ledger of {party}: a head's signature is bad"))
                continue
            if roots.get(head.size) != head.root_hash:
                out.append(
                    LedgerProblem(f"ledger of {party}: the head for {head.size} does not match")
                )
        return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    value = hashes[-1]
    for left in reversed(hashes[:-1]):
        value = node_hash(left, value)
    return value


def normalise_time_now() -> str:
    from datetime import UTC, datetime

    return normalise_time(datetime.now(UTC))
