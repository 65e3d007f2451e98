"""PostgreSQL backend: psycopg 3 with a connection pool; stateless across processes.

Writers of objects take a transaction-scoped advisory lock, so that ``seq`` order is
commit order and ``date_added`` grows strictly, whatever the number of ``liaison
serve`` processes on the same database. Nothing is cached in-process.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool

from liaison.errors import ConflictError, StorageError
from liaison.store.base import O_COLUMNS, Store
from liaison.store.compat import PgSqliteCompat

__all__ = ["PostgresStore"]

_WRITE_LOCK = 0x4C49_4149  # "LIAI": the advisory lock of object writers

_V1: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS collections (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
        alias TEXT)""",
    """CREATE TABLE IF NOT EXISTS parties (
        name TEXT PRIMARY KEY, identity_id TEXT NOT NULL, internal INTEGER NOT NULL,
        token_hash TEXT NOT NULL, public_key TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS parties_token ON parties (token_hash)",
    """CREATE TABLE IF NOT EXISTS permissions (
        party TEXT NOT NULL REFERENCES parties(name) ON DELETE CASCADE,
        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        can_read INTEGER NOT NULL, can_write INTEGER NOT NULL,
        PRIMARY KEY (party, collection_id))""",
    """CREATE TABLE IF NOT EXISTS objects (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        collection_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
        spec_version TEXT NOT NULL, version TEXT NOT NULL, version_us BIGINT NOT NULL,
        vkey TEXT NOT NULL, date_added TEXT NOT NULL, date_added_us BIGINT NOT NULL,
        is_first INTEGER NOT NULL, is_last INTEGER NOT NULL,
        body BYTEA NOT NULL, sha256 TEXT NOT NULL, handling TEXT NOT NULL,
        origins TEXT NOT NULL, received_from TEXT NOT NULL DEFAULT '')""",
    "CREATE UNIQUE INDEX IF NOT EXISTS objects_version ON objects (collection_id, id, vkey)",
    "CREATE INDEX IF NOT EXISTS objects_id ON objects (collection_id, id, version_us)",
    "CREATE INDEX IF NOT EXISTS objects_added ON objects (collection_id, date_added_us)",
    "CREATE INDEX IF NOT EXISTS objects_type ON objects (collection_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS objects_by_id ON objects (id, is_last)",
    """CREATE TABLE IF NOT EXISTS statuses (
        id TEXT PRIMARY KEY, collection_id TEXT NOT NULL, party TEXT NOT NULL,
        body TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS records (
        kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (kind, key))""",
)

_V2: tuple[str, ...] = (
    "ALTER TABLE objects ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    """ALTER TABLE objects ADD COLUMN search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_text) || to_tsvector('french', search_text)
        || to_tsvector('english', search_text)) STORED""",
    "CREATE INDEX objects_search ON objects USING GIN (search)",
)

#: Pages in seq order within a collection: an index range, no sort.
_V3: tuple[str, ...] = ("CREATE INDEX IF NOT EXISTS objects_seq ON objects (collection_id, seq)",)

#: Objects not yet correlated (correlation runs after the storing transaction).
_V4: tuple[str, ...] = (
    "ALTER TABLE objects ADD COLUMN correlated INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS objects_pending ON objects (seq) WHERE correlated = 0",
)

MIGRATIONS: tuple[tuple[int, Sequence[str]], ...] = (
    (1, _V1),
    (2, _V2),
    (3, _V3),
    (4, _V4),
)

_TERM = "(to_tsquery('simple', ?) || to_tsquery('french', ?) || to_tsquery('english', ?))"

_PW = re.compile(r"(://[^:/@]+:)[^@]*@")


class PostgresStore(Store):
    placeholder = "%s"
    driver_errors = (psycopg.Error,)
    integrity_errors = (psycopg.errors.UniqueViolation,)

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 20) -> None:
        self.url = url
        self._held = threading.local()
        self._compats: dict[int, PgSqliteCompat] = {}
        try:
            self.pool = psycopg_pool.ConnectionPool(
                url,
                min_size=min_size,
                max_size=max_size,
                open=True,
                timeout=30,
                kwargs={"autocommit": False},
            )
            self.pool.wait(timeout=30)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise StorageError(f"{self.description}: cannot connect: {exc}") from exc

    @property
    def description(self) -> str:
        return _PW.sub(r"\1***@", self.url)

    def _migrations(self) -> Sequence[tuple[int, Sequence[str]]]:
        return MIGRATIONS

    def _connection(self) -> Any:
        conn = getattr(self._held, "conn", None)
        if conn is None:
            raise StorageError("no connection checked out on this thread")
        return conn

    def raw_connection(self) -> Any:
        return PgSqliteCompat(self._connection())

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        owned = getattr(self._held, "conn", None) is None
        with self._checkout() as conn:
            try:
                yield self._compat(conn)
                if owned:
                    conn.commit()
            except BaseException:
                if owned:
                    with contextlib.suppress(Exception):
                        conn.rollback()
                raise

    def _compat(self, conn: Any) -> PgSqliteCompat:
        compat = self._compats.get(id(conn))
        if compat is None or compat.pg is not conn:
            compat = self._compats[id(conn)] = PgSqliteCompat(conn)
        return compat

    @contextlib.contextmanager
    def _checkout(self) -> Iterator[Any]:
        if getattr(self._held, "conn", None) is not None:  # nested: reuse
            yield self._held.conn
            return
        try:
            with self.pool.connection() as conn:
                self._held.conn = conn
                try:
                    yield conn
                finally:
                    self._held.conn = None
        except psycopg_pool.PoolTimeout as exc:
            raise StorageError(f"{self.description}: no free connection: {exc}") from exc

    @contextlib.contextmanager
    def _read(self) -> Iterator[Any]:
        with self._checkout() as conn:
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.rollback()
            except psycopg.Error as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise StorageError(f"storage read failed: {exc}") from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        with self._checkout() as conn:
            try:
                self._begin_write(conn)
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
            except psycopg.errors.UniqueViolation as exc:
                conn.rollback()
                raise ConflictError(f"already exists: {exc}") from exc
            except psycopg.Error as exc:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise StorageError(f"storage write failed: {exc}") from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise

    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str]
    ) -> tuple[str, list[Any]]:
        query = " && ".join([_TERM] * len(terms))
        marks = ",".join("?" * len(collection_ids))
        sql = (
            f"SELECT {O_COLUMNS} FROM objects o WHERE o.search @@ ({query})"
            f" AND o.is_last = 1 AND o.collection_id IN ({marks})"
            f" ORDER BY ts_rank(o.search, ({query})) DESC, o.seq"
        )
        targs = [t for t in terms for _ in range(3)]
        return sql, [*targs, *collection_ids, *targs]

    def _begin_write(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pool.close()
