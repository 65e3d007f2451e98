"""The plumbing every part of the ``Store`` shares: transactions, migrations, time.

A backend supplies a connection (``_connection``), its migrations, its placeholder
style, how it takes the write lock and how driver errors look; every driver error
leaves here as ``StorageError`` (a uniqueness violation as ``ConflictError``).
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from liaison.db import Db
from liaison.errors import ConflictError, StorageError

__all__ = ["OBJECT_COLUMNS", "OBJECT_COLUMN_NAMES", "O_COLUMNS", "StoreCore", "format_us", "now_us"]

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
OBJECT_COLUMNS = ", ".join(OBJECT_COLUMN_NAMES)
#: The same with an empty body: what deciding about a version needs (its handling,
#: provenance and place), without copying its bytes.
HEAD_COLUMNS = ", ".join("substr(body, 1, 0)" if c == "body" else c for c in OBJECT_COLUMN_NAMES)


_nothing = contextlib.nullcontext


def now_us() -> int:
    return time.time_ns() // 1000


def format_us(us: int) -> str:
    """Microsecond epoch time as a STIX/TAXII timestamp (always six fraction digits, Z)."""
    secs, frac = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:06d}Z"


class StoreCore(abc.ABC):
    """Connections, transactions and migrations; the parts of ``Store`` build on it."""

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

    def _removing(self, cur: Any) -> None:
        """Inside an ordered write, before it deletes or re-dates object rows (a seq
        leaves the store): a backend whose correlators do not take the writers' lock
        (PostgreSQL) makes them wait for this transaction. By default nothing: the
        writers' lock, held already, keeps them apart."""
        return None

    def _begin_unordered(self, conn: Any) -> None:
        """Start a transaction for a write that adds or removes no object row and no
        audit entry (``_write(ordered=False)``); by default it holds the write lock too."""
        self._begin_write(conn)

    @abc.abstractmethod
    def close(self) -> None: ...

    @contextlib.contextmanager
    def _unflushed(self, conn: Any) -> Iterator[None]:
        """Around one write transaction (``_write(flush=False)``): its commit need not
        wait for the disk. By default it waits (a backend without the notion)."""
        yield

    def derived_writer(self) -> None:
        """Say that the calling thread writes only derived data (full-text index,
        correlations): its commits need not reach the disk at once. Each such write
        carries its own watermark, so a crash loses nothing but work that is redone,
        and the next durable commit flushes it anyway. The write lock is then not held
        through an fsync for them. A backend without the notion does nothing."""
        return None

    #: Whether a correlator's batch holds the object writers' lock while it writes the
    #: correlation index (SQLite: one writer at a time). PostgreSQL takes it only to
    #: check the rows and move the watermark (``mark_correlated``).
    correlator_blocks_writers: bool = True

    @contextlib.contextmanager
    def correlator_turn(self, *, wait: bool = True) -> Iterator[bool]:
        """The correlators' turn among the processes on this store, held for the block
        (one batch: reading the pending rows, planning, writing). True: the caller has
        it; False (``wait=False`` only): another process has it, and the caller should
        leave the rows to that one. By default it is granted at once (SQLite): racing
        correlators are then kept apart by ``mark_correlated`` alone."""
        yield True

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

    @abc.abstractmethod
    def snapshot(self) -> AbstractContextManager[Db]:
        """One consistent, read-only view of the whole store for the block (``liaison
        audit verify`` on a live node): the ``Db`` of this thread's connection in a
        snapshot read transaction, which every read of this store on this thread inside
        the block shares (``connection()``, ``iter_versions``, ``records``…). Writers
        of other connections go on meanwhile, unseen; a write inside the block fails.
        The transaction ends with the block, however it ends. Not inside a write or a
        ``connection()`` block of this thread (``StorageError``).
        """

    # --- plumbing ---------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[Any]:
        """The connection for one read or write (a pool checkout where there is a pool)."""
        yield self._connection()

    def _in_snapshot(self) -> bool:
        """Whether this thread reads inside ``snapshot``: its reads then leave the
        transaction to the snapshot, which ends it (a backend whose snapshot is its own
        checkout, as PostgreSQL's, says False)."""
        return False

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        with self._checkout() as conn:
            ends = not self._in_snapshot()
            cur = conn.cursor()
            try:
                yield cur
                if ends:
                    conn.rollback()
            except self.driver_errors as exc:
                if ends:
                    with contextlib.suppress(Exception):
                        conn.rollback()
                raise StorageError(f"storage read failed: {exc}") from exc
            finally:
                cur.close()

    @contextlib.contextmanager
    def _write(self, *, ordered: bool = True, flush: bool = True) -> Iterator[Any]:
        """A write transaction, committed when the block ends.

        ``flush=False``: the commit does not wait for the disk (a record that a later
        durable commit flushes with it, and that the caller can afford to lose to a
        power cut or an operating-system crash -- never to a killed process, nor in
        part: a status resource, whose content the client already holds).

        ``ordered``: it holds the lock that keeps ``seq`` order = commit order (every
        write of object rows or audit entries). ``False`` for a write that touches
        neither (a status resource, the full-text index): a backend whose writers
        otherwise queue on that lock (PostgreSQL) runs it alongside them.
        """
        with self._checkout() as conn, self._unflushed(conn) if not flush else _nothing():
            cur = None
            try:
                if ordered:
                    self._begin_write(conn)
                else:
                    self._begin_unordered(conn)
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
