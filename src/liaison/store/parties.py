"""Collections, parties and their permissions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from liaison.errors import ConflictError, NotFoundError
from liaison.store.core import StoreCore
from liaison.store.model import (
    Collection,
    PartyRecord,
    Permission,
)

__all__ = ["PartyStore"]


class PartyStore(StoreCore):
    """Collections, parties and their permissions."""

    # --- collections ------------------------------------------------------------------
    def add_collection(self, c: Collection) -> None:
        with self._write() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO collections (id, title, description, alias) VALUES (?,?,?,?)"
                ),
                (c.id, c.title, c.description, c.alias),
            )

    def collections(self) -> list[Collection]:
        with self._read() as cur:
            cur.execute("SELECT id, title, description, alias FROM collections ORDER BY title, id")
            return [Collection(*row) for row in cur.fetchall()]

    def collection(self, collection_id: str) -> Collection:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT id, title, description, alias FROM collections WHERE id = ?"),
                (collection_id,),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFoundError(f"no collection {collection_id}")
        return Collection(*row)

    # --- parties ----------------------------------------------------------------------
    def add_party(self, p: PartyRecord) -> None:
        with self._write() as cur:
            cur.execute(
                self._sql(
                    "INSERT INTO parties (name, identity_id, internal, token_hash, public_key, url,"
                    " disabled) VALUES (?,?,?,?,?,?,?)"
                ),
                (
                    p.name,
                    p.identity_id,
                    int(p.internal),
                    p.token_hash,
                    p.public_key_b64,
                    p.url,
                    int(p.disabled),
                ),
            )
            self._put_permissions(cur, p.name, p.permissions)
            self._bump(cur, "party")

    def update_party(self, p: PartyRecord) -> None:
        with self._write() as cur:
            cur.execute(
                self._sql(
                    "UPDATE parties SET identity_id=?, internal=?, token_hash=?, public_key=?,"
                    " url=?, disabled=? WHERE name=?"
                ),
                (
                    p.identity_id,
                    int(p.internal),
                    p.token_hash,
                    p.public_key_b64,
                    p.url,
                    int(p.disabled),
                    p.name,
                ),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no party {p.name}")
            cur.execute(self._sql("DELETE FROM permissions WHERE party = ?"), (p.name,))
            self._put_permissions(cur, p.name, p.permissions)
            self._bump(cur, "party")

    def _put_permissions(self, cur: Any, party: str, perms: Sequence[Permission]) -> None:
        for perm in perms:
            cur.execute(
                self._sql(
                    "INSERT INTO permissions (party, collection_id, can_read, can_write)"
                    " VALUES (?,?,?,?)"
                ),
                (party, perm.collection_id, int(perm.can_read), int(perm.can_write)),
            )

    def _party_from_row(self, cur: Any, row: Sequence[Any]) -> PartyRecord:
        cur.execute(
            self._sql(
                "SELECT collection_id, can_read, can_write FROM permissions WHERE party = ?"
                " ORDER BY collection_id"
            ),
            (row[0],),
        )
        perms = tuple(Permission(c, bool(r), bool(w)) for c, r, w in cur.fetchall())
        return PartyRecord(
            name=row[0],
            identity_id=row[1],
            internal=bool(row[2]),
            token_hash=row[3],
            public_key_b64=row[4],
            url=row[5],
            disabled=bool(row[6]),
            permissions=perms,
        )

    _PARTY_COLS = "name, identity_id, internal, token_hash, public_key, url, disabled"

    def party(self, name: str) -> PartyRecord:
        with self._read() as cur:
            cur.execute(
                self._sql(f"SELECT {self._PARTY_COLS} FROM parties WHERE name = ?"), (name,)
            )
            row = cur.fetchone()
            if row is None:
                raise NotFoundError(f"no party {name}")
            return self._party_from_row(cur, row)

    def party_by_token_hash(self, token_hash: str) -> PartyRecord | None:
        with self._read() as cur:
            cur.execute(
                self._sql(f"SELECT {self._PARTY_COLS} FROM parties WHERE token_hash = ?"),
                (token_hash,),
            )
            row = cur.fetchone()
            return None if row is None else self._party_from_row(cur, row)

    def parties(self) -> list[PartyRecord]:
        with self._read() as cur:
            cur.execute(f"SELECT {self._PARTY_COLS} FROM parties ORDER BY name")
            rows = cur.fetchall()
            return [self._party_from_row(cur, r) for r in rows]

    def party_citations(self, name: str) -> list[str]:
        """What still cites party ``name`` (empty: it may be removed), one phrase each."""
        with self._read() as cur:
            return self._citations(cur, self._party_row(cur, name))

    def remove_party(self, name: str) -> None:
        """Delete a party, its permissions and its status resources, in one transaction.

        Refused (``ConflictError``) while anything cites it: objects received from it,
        records naming its identity (agreements, consents, receipts, keys), or records
        keyed by its name (its sync connection and checkpoints).
        """
        with self._write() as cur:
            cited = self._citations(cur, self._party_row(cur, name))
            if cited:
                raise ConflictError(f"party {name} is still cited: {'; '.join(cited)}")
            for table, column in (("permissions", "party"), ("statuses", "party")):
                cur.execute(self._sql(f"DELETE FROM {table} WHERE {column} = ?"), (name,))
            cur.execute(self._sql("DELETE FROM parties WHERE name = ?"), (name,))
            self._bump(cur, "party")

    def _party_row(self, cur: Any, name: str) -> Sequence[Any]:
        cur.execute(self._sql(f"SELECT {self._PARTY_COLS} FROM parties WHERE name = ?"), (name,))
        row = cur.fetchone()
        if row is None:
            raise NotFoundError(f"no party {name}")
        return tuple(row)

    def _citations(self, cur: Any, row: Sequence[Any]) -> list[str]:
        name, identity_id, internal = row[0], row[1], bool(row[2])
        out: list[str] = []
        if not internal:  # an internal party carries the node's own identity
            cur.execute(
                self._sql("SELECT COUNT(*) FROM objects WHERE received_from = ?"), (identity_id,)
            )
            if n := int(cur.fetchone()[0]):
                out.append(f"{n} object version(s) received from it")
            cur.execute(
                self._sql(
                    "SELECT kind, COUNT(*) FROM records WHERE kind <> '_generation'"
                    " AND data LIKE ? GROUP BY kind ORDER BY kind"
                ),
                (f"%{identity_id}%",),  # identity ids hold no LIKE wildcard
            )
            out += [f"{n} {kind} record(s) naming its identity" for kind, n in cur.fetchall()]
        cur.execute(
            self._sql(
                "SELECT kind, COUNT(*) FROM records"
                " WHERE kind IN ('peer', 'checkpoint', 'sync-retry')"
                " AND (key = ? OR substr(key, 1, ?) = ?) GROUP BY kind ORDER BY kind"
            ),
            (name, len(name) + 1, f"{name}/"),
        )
        out += [
            "its sync connection" if kind == "peer" else f"{n} {kind} record(s) under its name"
            for kind, n in cur.fetchall()
        ]
        return out
