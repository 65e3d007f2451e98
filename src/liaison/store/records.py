"""Status resources and small records (agreements, consents, peers, checkpoints)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from liaison.errors import ConflictError, NotFoundError
from liaison.store.core import StoreCore
from liaison.store.model import (
    StatusRecord,
)

__all__ = ["RecordStore"]


class RecordStore(StoreCore):
    """Status resources and small records (agreements, consents, peers, checkpoints)."""

    # --- status resources -------------------------------------------------------------
    def put_status(self, s: StatusRecord) -> None:
        # No object row: not behind the writers. Not flushed either: the client holds
        # the resource already (the POST's answer), and the next durable commit -- the
        # next store -- flushes it; only a power cut in between can lose it.
        with self._write(ordered=False, flush=False) as cur:
            cur.execute(
                self._sql("INSERT INTO statuses (id, collection_id, party, body) VALUES (?,?,?,?)"),
                (s.id, s.collection_id, s.party, orjson.dumps(s.body).decode()),
            )

    def status(self, status_id: str) -> StatusRecord:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT id, collection_id, party, body FROM statuses WHERE id = ?"),
                (status_id,),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFoundError(f"no status {status_id}")
        return StatusRecord(row[0], row[1], row[2], orjson.loads(row[3]))

    # --- small records (agreements, consents, peers, checkpoints …) -------------------
    def put_record(
        self,
        kind: str,
        key: str,
        data: dict[str, Any],
        within: Callable[[], None] | None = None,
        *,
        flush: bool = True,
    ) -> None:
        """Store (or replace) a record; ``within`` runs in the same transaction.

        ``flush=False``: the commit does not wait for the disk (``_write``): for a
        record whose loss to a power cut the caller repairs (a sync checkpoint)."""
        body = orjson.dumps(data).decode()
        with self._write(flush=flush) as cur:
            cur.execute(self._sql("DELETE FROM records WHERE kind=? AND key=?"), (kind, key))
            cur.execute(
                self._sql("INSERT INTO records (kind, key, data) VALUES (?,?,?)"), (kind, key, body)
            )
            self._bump(cur, kind)
            if within is not None:
                within()

    def add_record(
        self,
        kind: str,
        key: str,
        data: dict[str, Any],
        within: Callable[[], None] | None = None,
        *,
        flush: bool = True,
    ) -> None:
        """Store a record that never changes: ``ConflictError`` if ``key`` is taken.
        ``flush``: as for ``put_record``."""
        body = orjson.dumps(data).decode()
        with self._write(flush=flush) as cur:
            cur.execute(self._sql("SELECT 1 FROM records WHERE kind=? AND key=?"), (kind, key))
            if cur.fetchone() is not None:
                raise ConflictError(f"{kind} {key} already exists and never changes")
            cur.execute(
                self._sql("INSERT INTO records (kind, key, data) VALUES (?,?,?)"), (kind, key, body)
            )
            self._bump(cur, kind)
            if within is not None:
                within()

    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._read() as cur:
            cur.execute(self._sql("SELECT data FROM records WHERE kind=? AND key=?"), (kind, key))
            row = cur.fetchone()
        return None if row is None else dict(orjson.loads(row[0]))

    def records(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        with self._read() as cur:
            cur.execute(
                self._sql("SELECT key, data FROM records WHERE kind=? ORDER BY key"), (kind,)
            )
            return [(k, dict(orjson.loads(d))) for k, d in cur.fetchall()]

    def generation(self, kinds: Sequence[str]) -> tuple[int, ...]:
        """A value that changes whenever a record of one of ``kinds`` changes."""
        with self._read() as cur:
            cur.execute(
                self._sql(
                    "SELECT key, data FROM records WHERE kind = '_generation'"
                    f" AND key IN ({','.join('?' * len(kinds))})"
                ),
                list(kinds),
            )
            got = {k: int(v) for k, v in cur.fetchall()}
        return tuple(got.get(k, 0) for k in kinds)

    def delete_record(self, kind: str, key: str) -> bool:
        with self._write() as cur:
            cur.execute(self._sql("DELETE FROM records WHERE kind=? AND key=?"), (kind, key))
            gone = bool(cur.rowcount)
            self._bump(cur, kind)
            return gone
