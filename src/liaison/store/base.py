"""The one ``Store`` interface, written once over a small SQL dialect seam.

Public methods live here; a backend supplies a connection (``_connection``), its
schema (``_schema``), its placeholder style and how driver errors look. Every
driver error leaves this module as ``StorageError``.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import orjson

from liaison.db import Db
from liaison.errors import ConflictError, NotFoundError, StorageError
from liaison.store.model import (
    VERSION_ALL,
    VERSION_FIRST,
    VERSION_LAST,
    Collection,
    NewObject,
    ObjectQuery,
    ObjectRow,
    PartyRecord,
    Permission,
    StatusRecord,
)

__all__ = ["Store", "format_us", "now_us"]

#: The columns of an ``ObjectRow``, in its field order: the one list every query uses.
OBJECT_COLUMN_NAMES = (
    "seq",
    "collection_id",
    "id",
    "type",
    "spec_version",
    "version",
    "version_us",
    "date_added",
    "date_added_us",
    "body",
    "sha256",
    "handling",
    "origins",
    "received_from",
)
#: The same, prefixed with the alias ``o`` (for joins).
O_COLUMNS = ", ".join(f"o.{c}" for c in OBJECT_COLUMN_NAMES)
_OBJECT_COLUMNS = ", ".join(OBJECT_COLUMN_NAMES)


def now_us() -> int:
    return time.time_ns() // 1000


def format_us(us: int) -> str:
    """Microsecond epoch time as a STIX/TAXII timestamp (always six fraction digits, Z)."""
    secs, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:06d}Z"


class Store(abc.ABC):
    """Collections, parties, object versions, status resources and small records."""

    placeholder = "?"
    #: Driver exception classes that mean "the storage failed".
    driver_errors: tuple[type[BaseException], ...] = ()
    #: Driver exception classes for a uniqueness violation.
    integrity_errors: tuple[type[BaseException], ...] = ()

    # --- backend hooks ----------------------------------------------------------------
    @abc.abstractmethod
    def _connection(self) -> Any:
        """A DB-API connection for the calling thread (autocommit off)."""

    @abc.abstractmethod
    def _migrations(self) -> Sequence[tuple[int, Sequence[str]]]:
        """(version, DDL statements) in ascending order; applied once each."""

    @abc.abstractmethod
    def _begin_write(self, conn: Any) -> None:
        """Start a transaction that holds the write lock."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """Where the data lives, for humans (no credentials)."""

    @abc.abstractmethod
    def connection(self) -> AbstractContextManager[Db]:
        """The ``Db`` of this thread's connection, for the audit log, the ledgers, gossip
        and the correlation index (rows of tables this store's migrations create).

        Inside a write of this store (``add_objects(within=…)``) it is the very
        connection -- and transaction -- of that write.
        """

    # --- plumbing ---------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[Any]:
        """The connection for one read or write (a pool checkout where there is a pool)."""
        yield self._connection()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        with self._checkout() as conn:
            cur = conn.cursor()
            try:
                yield cur
                conn.rollback()
            except self.driver_errors as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise StorageError(f"storage read failed: {exc}") from exc
            finally:
                cur.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        with self._checkout() as conn:
            cur = None
            try:
                self._begin_write(conn)
                cur = conn.cursor()
                yield cur
                conn.commit()
            except self.integrity_errors as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise ConflictError(f"already exists: {exc}") from exc
            except self.driver_errors as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise StorageError(f"storage write failed: {exc}") from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
            finally:
                if cur is not None:
                    cur.close()

    def schema_version(self) -> int:
        try:
            with self._read() as cur:
                cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                return int(cur.fetchone()[0])
        except StorageError:
            return 0  # no migrations table yet: a fresh database

    def pending_migrations(self) -> list[int]:
        current = self.schema_version()
        return [v for v, _ in self._migrations() if v > current]

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; return their versions."""
        applied = []
        with self._write() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)"
            )
        for version, statements in self._migrations():
            with self._write() as cur:
                cur.execute(
                    f"SELECT COUNT(*) FROM schema_migrations WHERE version = {int(version)}"
                )
                if int(cur.fetchone()[0]):
                    continue
                for stmt in statements:
                    cur.execute(stmt)
                cur.execute(
                    self._sql("INSERT INTO schema_migrations (version, applied) VALUES (?, ?)"),
                    (version, format_us(now_us())),
                )
            applied.append(version)
        return applied

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

    # --- objects ----------------------------------------------------------------------
    def add_objects(
        self,
        collection_id: str,
        objs: Sequence[NewObject],
        within: Callable[[list[tuple[str, bool]]], None] | None = None,
    ) -> list[tuple[str, bool]]:
        """Store object versions in one transaction; return (date_added, was_new) per object.

        Every version stored by one call shares its ``date_added`` (strictly later than
        any stored before): consecutive ``date_added`` values a reader sees then never
        count objects it does not see (ADR 0006). Order within a batch is ``seq``.

        Posting a version that is already stored is idempotent: it reports the first
        date_added and ``was_new=False``. ``within`` runs inside the same transaction
        (on this thread's connection) before it commits -- the audit log uses it so
        that an object and its audit entry are stored together or not at all.
        """
        out: list[tuple[str, bool]] = []
        with self._write() as cur:
            stamp = self._next_stamp(cur)
            # What is stored already about these ids: two queries for the whole batch.
            known, span = self._known_versions(cur, collection_id, sorted({o.id for o in objs}))
            rows: list[tuple[Any, ...]] = []
            for o in objs:
                vkey = "" if o.version_us is None else str(o.version_us)
                found = known.get((o.id, vkey))
                if found is not None:
                    out.append((found, False))
                    continue
                date_added = format_us(stamp)
                version = o.version if o.version is not None else date_added
                version_us = o.version_us if o.version_us is not None else stamp
                lo, hi = span.get(o.id, (None, None))
                is_first = lo is None or version_us < lo
                is_last = hi is None or version_us > hi
                if (is_first and lo is not None) or (is_last and hi is not None):
                    self._flush(cur, rows)  # earlier rows of this batch may be this id's
                    if is_first and lo is not None:
                        cur.execute(
                            self._sql(
                                "UPDATE objects SET is_first=0 WHERE collection_id=? AND id=?"
                            ),
                            (collection_id, o.id),
                        )
                    if is_last and hi is not None:
                        cur.execute(
                            self._sql(
                                "UPDATE objects SET is_last=0 WHERE collection_id=? AND id=?"
                            ),
                            (collection_id, o.id),
                        )
                span[o.id] = (
                    version_us if lo is None else min(lo, version_us),
                    version_us if hi is None else max(hi, version_us),
                )
                known[(o.id, vkey)] = date_added
                rows.append(
                    (
                        collection_id,
                        o.id,
                        o.type,
                        o.spec_version,
                        version,
                        version_us,
                        vkey,
                        date_added,
                        stamp,
                        int(is_first),
                        int(is_last),
                        o.body,
                        o.sha256,
                        orjson.dumps(o.handling).decode(),
                        orjson.dumps(list(o.origins)).decode(),
                        o.received_from,
                        o.search_text,
                    )
                )
                out.append((date_added, True))
            self._flush(cur, rows)
            owners = {o.id: o.originator for o, (_, new) in zip(objs, out, strict=True) if new}
            if owners:
                cur.executemany(
                    self._sql(
                        "INSERT INTO owners (id, originator) VALUES (?, ?)"
                        " ON CONFLICT (id) DO NOTHING"
                    ),
                    list(owners.items()),
                )
            if within is not None:
                within(out)
        return out

    def owners(self, ids: Sequence[str]) -> dict[str, str]:
        """The originator of each of these ids held here (now or before a deletion).

        '' is this node; an id never held here is absent from the answer.
        """
        out: dict[str, str] = {}
        with self._read() as cur:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                cur.execute(
                    self._sql(
                        "SELECT id, originator FROM owners"
                        f" WHERE id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                out.update((str(k), str(v)) for k, v in cur.fetchall())
        return out

    def held_versions(self, ids: Sequence[str]) -> dict[str, set[str]]:
        """Version keys held of each id, in any collection (``""`` for version-less)."""
        out: dict[str, set[str]] = {}
        with self._read() as cur:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                cur.execute(
                    self._sql(
                        f"SELECT id, vkey FROM objects WHERE id IN ({','.join('?' * len(chunk))})"
                    ),
                    chunk,
                )
                for oid, vkey in cur.fetchall():
                    out.setdefault(str(oid), set()).add(str(vkey))
        return out

    _INSERT_OBJECT = (
        "INSERT INTO objects (collection_id, id, type, spec_version, version, version_us, vkey,"
        " date_added, date_added_us, is_first, is_last, body, sha256, handling, origins,"
        " received_from, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )

    def _flush(self, cur: Any, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            cur.executemany(self._sql(self._INSERT_OBJECT), rows)
            rows.clear()

    def _known_versions(
        self, cur: Any, collection_id: str, ids: Sequence[str]
    ) -> tuple[dict[tuple[str, str], str], dict[str, tuple[int | None, int | None]]]:
        """((id, vkey) -> date_added) and (id -> (min, max) version) for stored ids."""
        known: dict[tuple[str, str], str] = {}
        span: dict[str, tuple[int | None, int | None]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            cur.execute(
                self._sql(
                    "SELECT id, vkey, date_added, version_us FROM objects"
                    f" WHERE collection_id = ? AND id IN ({marks})"
                ),
                (collection_id, *chunk),
            )
            for oid, vkey, date_added, version_us in cur.fetchall():
                known[(oid, vkey)] = date_added
                lo, hi = span.get(oid, (None, None))
                v = int(version_us)
                span[oid] = (v if lo is None else min(lo, v), v if hi is None else max(hi, v))
        return known, span

    @staticmethod
    def _next_stamp(cur: Any) -> int:
        """A date_added later than every stored one (the newest row is the last seq)."""
        cur.execute("SELECT date_added_us FROM objects ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        return max(now_us(), (int(row[0]) if row else 0) + 1)

    _REDATE_COLUMNS = (
        "collection_id, id, type, spec_version, version, version_us, vkey, is_first, is_last,"
        " body, sha256, handling, origins, received_from, search_text"
    )

    def redate(self, object_id: str) -> int:
        """Give every stored version of an object a new, current date_added (and seq).

        Used when an object becomes releasable to someone after it was stored (a late
        consent): incremental readers filtering on ``added_after`` then see it again.
        Contents, versions and hashes are unchanged.
        """
        cols = self._REDATE_COLUMNS
        with self._write() as cur:
            stamp = self._next_stamp(cur)
            cur.execute(
                self._sql(f"SELECT {cols} FROM objects WHERE id = ? ORDER BY seq"), (object_id,)
            )
            rows = [tuple(r) for r in cur.fetchall()]
            if not rows:
                return 0
            cur.execute(self._sql("DELETE FROM objects WHERE id = ?"), (object_id,))
            insert = self._sql(
                f"INSERT INTO objects ({cols}, date_added, date_added_us)"
                f" VALUES ({', '.join('?' * (cols.count(',') + 3))})"
            )
            for row in rows:  # one date_added for the batch, like any write
                cur.execute(insert, (*row, format_us(stamp), stamp))
        return len(rows)

    def query_objects(self, q: ObjectQuery) -> list[ObjectRow]:
        """Matching rows in insertion order, after ``q.after_seq``, at most ``q.limit``."""
        # With ids, "+seq" keeps the planner on the (collection, id) index.
        where = ["collection_id = ?", "+seq > ?" if q.ids else "seq > ?"]
        args: list[Any] = [q.collection_id, q.after_seq]
        if q.added_after_us is not None:
            where.append("date_added_us > ?")
            args.append(q.added_after_us)
        if q.ids:
            where.append(f"id IN ({','.join('?' * len(q.ids))})")
            args.extend(q.ids)
        if q.types:
            where.append(f"type IN ({','.join('?' * len(q.types))})")
            args.extend(q.types)
        if q.spec_versions:
            where.append(f"spec_version IN ({','.join('?' * len(q.spec_versions))})")
            args.extend(q.spec_versions)
        if VERSION_ALL not in q.versions:
            alts = []
            if VERSION_FIRST in q.versions:
                alts.append("is_first = 1")
            if VERSION_LAST in q.versions:
                alts.append("is_last = 1")
            if q.version_us:
                alts.append(f"version_us IN ({','.join('?' * len(q.version_us))})")
                args.extend(q.version_us)
            where.append("(" + " OR ".join(alts or ["1 = 0"]) + ")")
        sql = (
            f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE {' AND '.join(where)}"
            f" ORDER BY seq LIMIT {int(q.limit)}"
        )
        with self._read() as cur:
            cur.execute(self._sql(sql), args)
            return [self._row(r) for r in cur.fetchall()]

    @abc.abstractmethod
    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str], recent: bool
    ) -> tuple[str, list[Any]]:
        """SQL and arguments selecting matching latest rows (``o.`` columns), best first
        (``recent``: newest first)."""

    def search(
        self,
        collection_ids: Sequence[str],
        terms: Sequence[str],
        *,
        limit: int,
        offset: int = 0,
        recent: bool = False,
    ) -> list[ObjectRow]:
        """Latest versions in these collections whose text has every (folded) term."""
        if not collection_ids or not terms:
            return []
        sql, args = self._search_sql(collection_ids, terms, recent)
        with self._read() as cur:
            cur.execute(self._sql(f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}"), args)
            return [self._row(r) for r in cur.fetchall()]

    def correlate_pending(self, work: Callable[[list[ObjectRow]], None], limit: int = 500) -> int:
        """Hand up to ``limit`` not-yet-correlated rows to ``work`` and mark them done,
        in one transaction (``work`` writes through ``connection()``, the same one)."""
        with self._write() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE correlated = 0"
                    f" ORDER BY seq LIMIT {int(limit)}"
                )
            )
            rows = [self._row(r) for r in cur.fetchall()]
            if rows:
                work(rows)
                seqs = [r.seq for r in rows]
                marks = ",".join("?" * len(seqs))
                cur.execute(
                    self._sql(f"UPDATE objects SET correlated = 1 WHERE seq IN ({marks})"), seqs
                )
            return len(rows)

    def latest_by_ids(self, ids: Sequence[str]) -> list[ObjectRow]:
        """The latest stored version of each id, in any collection."""
        if not ids:
            return []
        with self._read() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE is_last = 1"
                    f" AND id IN ({','.join('?' * len(ids))}) ORDER BY seq"
                ),
                list(ids),
            )
            return [self._row(r) for r in cur.fetchall()]

    def object_versions(self, collection_id: str, object_id: str) -> list[ObjectRow]:
        with self._read() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE collection_id=? AND id=?"
                    " ORDER BY version_us"
                ),
                (collection_id, object_id),
            )
            return [self._row(r) for r in cur.fetchall()]

    def delete_versions(
        self,
        collection_id: str,
        object_id: str,
        seqs: Sequence[int],
        within: Callable[[list[ObjectRow]], None] | None = None,
    ) -> list[ObjectRow]:
        """Delete the given rows of one object and repair its first/last flags.

        Returns the rows deleted; ``within`` gets them inside the same transaction
        (the audit log records each deletion with it, or nothing is deleted).
        """
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        with self._write() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE collection_id=? AND id=?"
                    f" AND seq IN ({marks}) ORDER BY seq"
                ),
                (collection_id, object_id, *seqs),
            )
            gone = [self._row(r) for r in cur.fetchall()]
            cur.execute(
                self._sql(
                    f"DELETE FROM objects WHERE collection_id=? AND id=? AND seq IN ({marks})"
                ),
                (collection_id, object_id, *seqs),
            )
            for flag, agg in (("is_first", "MIN"), ("is_last", "MAX")):
                cur.execute(
                    self._sql(
                        f"UPDATE objects SET {flag} = CASE WHEN version_us ="
                        f" (SELECT {agg}(version_us) FROM objects WHERE collection_id=? AND id=?)"
                        " THEN 1 ELSE 0 END"
                        " WHERE collection_id=? AND id=?"
                    ),
                    (collection_id, object_id, collection_id, object_id),
                )
            if within is not None and gone:
                within(gone)
            return gone

    def count_objects(self, collection_id: str | None = None) -> int:
        with self._read() as cur:
            if collection_id is None:
                cur.execute("SELECT COUNT(*) FROM objects")
            else:
                cur.execute(
                    self._sql("SELECT COUNT(*) FROM objects WHERE collection_id = ?"),
                    (collection_id,),
                )
            return int(cur.fetchone()[0])

    def iter_versions(self, batch: int = 2000) -> Iterator[tuple[ObjectRow, str]]:
        """Every stored version with its id's originator ('' this node), in seq order,
        a batch of rows per read (audit verification streams the whole store)."""
        after = -1
        while True:
            with self._read() as cur:
                cur.execute(
                    self._sql(
                        f"SELECT {O_COLUMNS}, COALESCE(w.originator, '') FROM objects o"
                        " LEFT JOIN owners w ON w.id = o.id WHERE o.seq > ?"
                        f" ORDER BY o.seq LIMIT {int(batch)}"
                    ),
                    (after,),
                )
                rows = cur.fetchall()
            for r in rows:
                yield self._row(r), str(r[-1])
            if len(rows) < batch:
                return
            after = int(rows[-1][0])

    @staticmethod
    def _row(r: Sequence[Any]) -> ObjectRow:
        return ObjectRow(
            seq=int(r[0]),
            collection_id=r[1],
            id=r[2],
            type=r[3],
            spec_version=r[4],
            version=r[5],
            version_us=int(r[6]),
            date_added=r[7],
            date_added_us=int(r[8]),
            body=bytes(r[9]),
            sha256=r[10],
            handling=orjson.loads(r[11]),
            origins=tuple(orjson.loads(r[12])),
            received_from=r[13],
        )

    # --- status resources -------------------------------------------------------------
    def put_status(self, s: StatusRecord) -> None:
        with self._write() as cur:
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
    ) -> None:
        """Store (or replace) a record; ``within`` runs in the same transaction."""
        body = orjson.dumps(data).decode()
        with self._write() as cur:
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
    ) -> None:
        """Store a record that never changes: ``ConflictError`` if ``key`` is taken."""
        body = orjson.dumps(data).decode()
        with self._write() as cur:
            cur.execute(self._sql("SELECT 1 FROM records WHERE kind=? AND key=?"), (kind, key))
            if cur.fetchone() is not None:
                raise ConflictError(f"{kind} {key} already exists and never changes")
            cur.execute(
                self._sql("INSERT INTO records (kind, key, data) VALUES (?,?,?)"), (kind, key, body)
            )
            self._bump(cur, kind)
            if within is not None:
                within()

    def _bump(self, cur: Any, kind: str) -> None:
        """Advance the generation of ``kind`` so caches of it notice any change."""
        cur.execute(
            self._sql(
                "UPDATE records SET data = CAST(CAST(data AS BIGINT) + 1 AS TEXT)"
                " WHERE kind = '_generation' AND key = ?"
            ),
            (kind,),
        )
        if cur.rowcount == 0:
            cur.execute(
                self._sql("INSERT INTO records (kind, key, data) VALUES ('_generation', ?, '1')"),
                (kind,),
            )

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
