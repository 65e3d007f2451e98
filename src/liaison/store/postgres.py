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

from liaison.errors import StorageError
from liaison.store.base import O_COLUMNS, Store
from liaison.store.compat import PgSqliteCompat
from liaison.store.schema import Dialect, migrations

__all__ = ["PostgresStore"]

_WRITE_LOCK = 0x4C49_4149  # "LIAI": the advisory lock of object writers

#: Full-text search: a generated tsvector (simple + French + English) and its index.
_V2: tuple[str, ...] = (
    "ALTER TABLE objects ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
    """ALTER TABLE objects ADD COLUMN search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', search_text) || to_tsvector('french', search_text)
        || to_tsvector('english', search_text)) STORED""",
    "CREATE INDEX objects_search ON objects USING GIN (search)",
)

MIGRATIONS = migrations(
    Dialect("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT", "BYTEA"), _V2
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
        try:  # one plain connection first: a missing database or server is one clear line
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()).removeprefix("connection failed: ")
            raise StorageError(f"{self.description}: cannot connect: {reason}") from exc
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

    def _search_sql(
        self, collection_ids: Sequence[str], terms: Sequence[str], recent: bool
    ) -> tuple[str, list[Any]]:
        query = " && ".join([_TERM] * len(terms))
        marks = ",".join("?" * len(collection_ids))
        sql = (
            f"SELECT {O_COLUMNS} FROM objects o WHERE o.search @@ ({query})"
            f" AND o.is_last = 1 AND o.collection_id IN ({marks})"
        )
        targs = [t for t in terms for _ in range(3)]
        if recent:
            return sql + " ORDER BY o.seq DESC", [*targs, *collection_ids]
        sql += f" ORDER BY ts_rank(o.search, ({query})) DESC, o.seq"
        return sql, [*targs, *collection_ids, *targs]

    def _begin_write(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pool.close()
