"""The store's tables about handling decided after the fact (migration 7, issue #16).

* ``awaiting_markings``: object versions a local client stored citing a
  marking-definition this node did not hold yet. They are withheld from partners
  (their stored handling says so); when the definition arrives, ``resolve_awaiting``
  -- called inside the storing transaction -- hands them to the caller to recompute
  and writes the new handling in that same transaction; a version no longer waiting
  gets that batch's ``date_added``, so that incremental readers see it.
* ``collection_defaults``: the handling a collection gives, at ingest, to what local
  clients post unmarked.

``Store`` inherits these methods.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson

from liaison.errors import StorageError
from liaison.store.core import O_COLUMNS, StoreCore, format_us
from liaison.store.model import NewObject, ObjectRow, Rehandled
from liaison.store.objects import ObjectStore

__all__ = ["HandlingStore", "Lookup", "Recompute"]

#: The latest stored version of each of these ids (inside the current transaction).
Lookup = Callable[[Sequence[str]], list[ObjectRow]]
#: Given the waiting versions (row, originator) and a lookup, their new handling.
Recompute = Callable[[list[tuple[ObjectRow, str]], Lookup], list[Rehandled]]

_CHUNK = 500
_row = ObjectStore._row


def _vkey(o: NewObject) -> str:
    return "" if o.version_us is None else str(o.version_us)


class HandlingStore(StoreCore):
    """Versions awaiting a marking-definition; collections' default handling."""

    @contextlib.contextmanager
    def _in_write(self) -> Iterator[Any]:
        """A cursor in the write transaction this thread is running (``within=``)."""
        conn = self._connection()
        if getattr(conn, "in_transaction", True) is False:
            raise StorageError("this change must be made inside a write of the store")
        cur = conn.cursor()
        try:
            yield cur
        except self.driver_errors as exc:
            raise StorageError(f"storage write failed: {exc}") from exc
        finally:
            cur.close()

    # --- versions awaiting a marking-definition --------------------------------------
    def add_awaiting(
        self, collection_id: str, items: Sequence[tuple[NewObject, Sequence[str]]]
    ) -> None:
        """Record that these new versions await these marking-definitions.

        Call inside the write that stores them (``add_objects(within=…)``).
        """
        rows = [(m, collection_id, o.id, _vkey(o)) for o, ids in items for m in sorted(set(ids))]
        if not rows:
            return
        with self._in_write() as cur:
            cur.executemany(
                self._sql(
                    "INSERT INTO awaiting_markings (marking_id, collection_id, id, vkey)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
                ),
                rows,
            )

    def resolve_awaiting(self, marking_ids: Sequence[str], recompute: Recompute) -> list[Rehandled]:
        """Recompute the handling of the versions awaiting any of ``marking_ids`` that
        is now held; return what changed.

        Call inside a write (the one storing the definitions): the versions found, the
        definitions ``recompute`` looks up and the new handling are all read and written
        in that transaction. A version still awaiting other definitions stays listed.
        """
        ids = sorted(set(marking_ids))
        if not ids:
            return []
        with self._in_write() as cur:
            held: list[str] = []
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                cur.execute(
                    self._sql(
                        "SELECT DISTINCT id FROM objects WHERE type = 'marking-definition'"
                        f" AND id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                held += [str(r[0]) for r in cur.fetchall()]
            if not held:
                return []
            found: dict[int, tuple[ObjectRow, str, str]] = {}
            for i in range(0, len(held), _CHUNK):
                chunk = held[i : i + _CHUNK]
                cur.execute(
                    self._sql(
                        f"SELECT {O_COLUMNS}, o.vkey, COALESCE(w.originator, '')"
                        " FROM awaiting_markings a JOIN objects o ON o.collection_id ="
                        " a.collection_id AND o.id = a.id AND o.vkey = a.vkey"
                        " LEFT JOIN owners w ON w.id = o.id"
                        f" WHERE a.marking_id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                for r in cur.fetchall():
                    row = _row(r)
                    found[row.seq] = (row, str(r[-2]), str(r[-1]))
            waiting = [found[seq] for seq in sorted(found)]
            if not waiting:
                return []

            def lookup(wanted: Sequence[str]) -> list[ObjectRow]:
                out: list[ObjectRow] = []
                want = sorted(set(wanted))
                for i in range(0, len(want), _CHUNK):
                    chunk = want[i : i + _CHUNK]
                    cur.execute(
                        self._sql(
                            f"SELECT {O_COLUMNS} FROM objects o WHERE o.is_last = 1"
                            f" AND o.id IN ({','.join('?' * len(chunk))}) ORDER BY o.seq"
                        ),
                        chunk,
                    )
                    out += [_row(r) for r in cur.fetchall()]
                return out

            changed = recompute([(row, owner) for row, _, owner in waiting], lookup)
            vkeys = {row.seq: vkey for row, vkey, _ in waiting}
            for r in changed:
                key = (r.row.collection_id, r.row.id, vkeys[r.row.seq])
                cur.execute(
                    self._sql("UPDATE objects SET handling = ? WHERE seq = ?"),
                    (orjson.dumps(r.handling).decode(), r.row.seq),
                )
                cur.execute(
                    self._sql(
                        "DELETE FROM awaiting_markings"
                        " WHERE collection_id = ? AND id = ? AND vkey = ?"
                    ),
                    key,
                )
                cur.executemany(
                    self._sql(
                        "INSERT INTO awaiting_markings (marking_id, collection_id, id, vkey)"
                        " VALUES (?, ?, ?, ?)"
                    ),
                    [(m, *key) for m in sorted(set(r.awaits))],
                )
            self._redate_within(cur, [r.row.seq for r in changed if not r.awaits])
            return changed

    def _redate_within(self, cur: Any, seqs: list[int]) -> None:
        """Give these rows the date_added of the batch this transaction stores (and new
        seqs), as ``redate`` does for a late consent: a version whose markings became
        known may now be released, and incremental readers (``added_after``) must see it."""
        if not seqs:
            return
        self._removing(cur)
        cols = ObjectStore._REDATE_COLUMNS
        cur.execute("SELECT date_added_us FROM objects ORDER BY seq DESC LIMIT 1")
        stamp = int(cur.fetchone()[0])  # this transaction's batch: later than any before
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(seqs), _CHUNK):
            chunk = seqs[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cur.execute(
                self._sql(f"SELECT {cols} FROM objects WHERE seq IN ({marks}) ORDER BY seq"),
                chunk,
            )
            rows += [tuple(r) for r in cur.fetchall()]
            cur.execute(self._sql(f"DELETE FROM objects WHERE seq IN ({marks})"), chunk)
        insert = self._sql(
            f"INSERT INTO objects ({cols}, date_added, date_added_us)"
            f" VALUES ({', '.join('?' * (cols.count(',') + 3))})"
        )
        cur.executemany(insert, [(*row, format_us(stamp), stamp) for row in rows])

    def awaiting(self, marking_id: str | None = None) -> list[tuple[str, str, str]]:
        """(marking id, collection, object id) of the stored versions still awaiting a
        marking-definition (``marking_id``: only that one)."""
        sql = (
            "SELECT a.marking_id, a.collection_id, a.id FROM awaiting_markings a"
            " JOIN objects o ON o.collection_id = a.collection_id AND o.id = a.id"
            " AND o.vkey = a.vkey"
        )
        args: tuple[str, ...] = ()
        if marking_id is not None:
            sql += " WHERE a.marking_id = ?"
            args = (marking_id,)
        with self._read() as cur:
            cur.execute(self._sql(sql + " ORDER BY a.marking_id, o.seq"), args)
            return [(str(m), str(c), str(i)) for m, c, i in cur.fetchall()]

    # --- collection defaults ---------------------------------------------------------
    def collection_default(self, collection_id: str) -> dict[str, Any] | None:
        """The default handling of a collection (as set), or None."""
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT handling FROM collection_defaults WHERE collection_id = ?"),
                (collection_id,),
            )
            row = cur.fetchone()
        return None if row is None else dict(orjson.loads(row[0]))

    def set_collection_default(self, collection_id: str, handling: dict[str, Any] | None) -> None:
        """Set (or, with None, remove) the default handling of a collection."""
        with self._write() as cur:
            cur.execute(
                self._sql("DELETE FROM collection_defaults WHERE collection_id = ?"),
                (collection_id,),
            )
            if handling is not None:
                cur.execute(
                    self._sql(
                        "INSERT INTO collection_defaults (collection_id, handling) VALUES (?, ?)"
                    ),
                    (collection_id, orjson.dumps(handling, option=orjson.OPT_SORT_KEYS).decode()),
                )
