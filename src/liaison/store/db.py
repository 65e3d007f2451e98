"""``liaison.db.Db`` over SQLite and PostgreSQL: one place where driver errors end.

The audit log, the ledgers, gossip and the correlation index write through these, on
the very connection (and in the very transaction) the store is using, so that an
object and its audit entry commit together. Every ``sqlite3``/``psycopg`` error leaves
here as ``StorageError`` (for these tables a broken constraint is a storage failure too:
positions are assigned under the write lock).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

import orjson

from liaison.db import Rows
from liaison.errors import StorageError

__all__ = ["PgDb", "SqliteDb"]


#: ``bytes`` bind as themselves. The driver adapts every parameter that is not exactly an
#: int, float, str or bytearray: with no adapter registered for ``bytes`` it first asks
#: the protocol type for ``__adapt__``, whose AttributeError message is formatted and
#: thrown away -- 2,000 instructions a BLOB bound, four a stored object (its body, its
#: audit entry's body and leaf, a tree node): 1.5 % of an ingest (callgrind). Found in
#: the registry, ``bytes(b)`` is ``b`` itself. (Process-wide: the same value bound, for
#: any ``sqlite3`` user in the process.)
sqlite3.register_adapter(bytes, bytes)


def _equal_sql(table: str, keys: Sequence[str], columns: Sequence[str]) -> str:
    """``SELECT columns FROM table WHERE key = ? AND …`` (``Db.select_each``)."""
    where = " AND ".join(f"{k} = ?" for k in keys)
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"


class SqliteDb:
    """A ``Db`` on a ``sqlite3.Connection`` in autocommit mode (``isolation_level=None``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn
        self._depth = 0
        #: Inside a store write (``SqliteStore._write``): a nested ``transaction()`` is
        #: part of it, not a savepoint, and a failure inside one sets ``broken`` --
        #: the store then undoes the whole write, even if the failure was caught.
        self.flat = False
        self.broken = False

    def close(self) -> None:
        """Close the connection (for a ``SqliteDb`` made over a file by a tool or a test)."""
        self.raw.close()

    @staticmethod
    def _fail(exc: sqlite3.Error) -> Exception:
        return StorageError(f"storage failed: {exc}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        try:
            return cast(Rows, self.raw.execute(sql, params))
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    #: Rows of a plain insert sent in one multi-row statement (``executemany``).
    ROWS_PER_STATEMENT = 32

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` once per row; a plain ``INSERT INTO t (cols) VALUES (?, …)`` goes
        in ``ROWS_PER_STATEMENT`` rows a statement (the rest one by one): the same rows,
        in their order, with the same constraints -- a statement executed, reset and
        bound again per row cost more than the row itself (the audit log's index and
        tree rows: ~1 µs an entry of 3-4, issue #15).

        A multi-row statement is an ``INSERT OR IGNORE`` whose count of rows written is
        checked: one that can fail halfway (a plain ``INSERT``: a key taken, a NULL)
        makes SQLite copy, inside a transaction, every page it changes into a statement
        journal first -- 16 KiB each, past 64 KiB into a temporary file, a ``pwrite``
        a page -- so that the failure undoes the statement alone (issue #15: most of
        the correlator's writing of ``corr_object``, keyed by random ids, and a
        ``pwrite`` in three of an ingest). One that cannot fail needs none. A row it
        skips (a key taken, a NULL in a NOT NULL column, a CHECK broken) fails the call
        as before, with the rows of that statement written: as those of the statements
        before it were already -- the caller's transaction (or savepoint) undoes them.
        """
        try:
            many = _multi_row_of(sql, self.ROWS_PER_STATEMENT)
            if many is None:
                self.raw.executemany(sql, rows)
                return
            statement, width = many
            listed = rows if rows.__class__ is list else list(rows)
            k = self.ROWS_PER_STATEMENT
            full = len(listed) - len(listed) % k
            # Each row a tuple or list of exactly ``width`` values, or one by one (where
            # the driver refuses a wrong one): flattened, a row short and one long
            # would pass for two good ones.
            if full and set(map(type, listed)) <= _SEQUENCES and set(map(len, listed)) == {width}:
                run = self.raw.execute
                flat = itertools.chain.from_iterable
                for start in range(0, full, k):
                    # flattened in C, not a Python loop a value (an object row has 17)
                    values = list(flat(listed[start : start + k]))
                    if run(statement, values).rowcount != k:
                        raise StorageError(f"storage failed: {_refusal(values)} ({sql.strip()})")
                listed = listed[full:]
            if listed:
                self.raw.executemany(sql, listed)
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    def insert_id(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.execute(sql, params).fetchone()
        if row is None:
            raise StorageError("the insert returned no key")
        return int(row[0])

    def execute_each(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """``sql`` once a row: in-process, a cached statement run again costs less than
        compiling a compound SELECT of one subquery a row.

        Outside a transaction, in one read transaction for them all: each statement
        otherwise begins and ends one of its own -- the WAL's read lock taken and given
        back (``fcntl`` calls), the shared index checked -- which cost more than the
        look-up: 7 µs a row of the correlator's look-ups by id, 2.5-3.5 in one
        transaction (issue #15). The rows' answers then come from one state."""
        raw = self.raw
        own = len(rows) > 1 and not raw.in_transaction
        try:
            cur = raw.cursor()
            if own:
                cur.execute("BEGIN DEFERRED")
            try:
                return [(i, *r) for i, params in enumerate(rows) for r in cur.execute(sql, params)]
            finally:
                if own and raw.in_transaction:
                    raw.execute("COMMIT")  # a read: nothing to write, nothing to undo
        except sqlite3.Error as exc:
            if own and raw.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    raw.execute("ROLLBACK")
            raise self._fail(exc) from exc

    def select_each(
        self, table: str, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """One statement for all the rows: they go in as one JSON array, and SQLite
        probes ``table``'s index once an element (``json_each``). A statement a row
        (``execute_each``) cost 2 µs a look-up by one key, 1.4 by two; this 0.8 and 0.9
        (20,000 rows behind; the correlator asks one to five a stored object, issue
        #15). A NUL in a value goes the way of ``execute_each``: SQLite's JSON ends a
        string at it."""
        if not rows:
            return []
        if len(rows) == 1:
            return self.execute_each(_equal_sql(table, keys, columns), rows)
        width = len(keys)
        if any(len(r) != width for r in rows):
            raise StorageError("select_each: every row needs one value a key")
        try:
            text = orjson.dumps([r[0] for r in rows] if width == 1 else rows).decode()
        except (TypeError, orjson.JSONEncodeError):  # no JSON value: bound one by one
            text = "\\u0000"
        if "\\u0000" in text:
            return self.execute_each(_equal_sql(table, keys, columns), rows)
        found = ", ".join(f"t.{c}" for c in columns)
        if width == 1:
            where = f"t.{keys[0]} = j.value"
        else:
            where = " AND ".join(
                f"t.{k} = json_extract(j.value, '$[{n}]')" for n, k in enumerate(keys)
            )
        # CROSS JOIN: the array outside, the table's index probed (SQLite keeps the order).
        sql = f"SELECT j.key, {found} FROM json_each(?) AS j CROSS JOIN {table} AS t WHERE {where}"
        try:
            return [tuple(r) for r in self.raw.execute(sql, (text,))]
        except sqlite3.Error as exc:
            raise self._fail(exc) from exc

    #: Rows written by one multi-row INSERT (``insert_new``).
    ROWS_PER_INSERT = 300

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """An ``INSERT OR IGNORE`` of ``ROWS_PER_INSERT`` rows a statement: one that
        cannot fail halfway needs no statement journal (``executemany``), where ``ON
        CONFLICT DO NOTHING`` still fails on a NULL. Rows holding a NULL go through
        that statement, which refuses them as before (the tables it serves have no
        CHECK constraint, which ``OR IGNORE`` would skip too)."""
        if not rows:
            return
        marks = "(" + ", ".join("?" * len(columns)) + ")"
        names = ", ".join(columns)
        for start in range(0, len(rows), self.ROWS_PER_INSERT):
            chunk = rows[start : start + self.ROWS_PER_INSERT]
            values = list(itertools.chain.from_iterable(chunk))
            many = ", ".join([marks] * len(chunk))
            if None in values:
                self.execute(
                    f"INSERT INTO {table} ({names}) VALUES {many} ON CONFLICT DO NOTHING", values
                )
            else:
                self.execute(f"INSERT OR IGNORE INTO {table} ({names}) VALUES {many}", values)

    def insert_ids(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[int | None]:
        """One ``INSERT … RETURNING id`` a row: SQLite runs in this process, there is
        no round trip to save."""
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            " ON CONFLICT DO NOTHING RETURNING id"
        )
        out: list[int | None] = []
        for row in rows:
            found = self.execute(sql, row).fetchone()
            out.append(None if found is None else int(found[0]))
        return out

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.flat and self.raw.in_transaction:
            # No savepoint: SQLite copies each page changed after one into a
            # sub-journal first (the audit log's pages in a storing transaction: past
            # 64 KiB, a temporary file created, written and unlinked at every commit,
            # issue #15). The store's write is all or nothing for it instead.
            try:
                yield
            except BaseException:
                self.broken = True
                raise
            return
        if self.raw.in_transaction:
            name = f"liaison_{self._depth}"
            self._depth += 1
            self.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.execute(f"ROLLBACK TO {name}")
                self.execute(f"RELEASE {name}")
                raise
            finally:
                self._depth -= 1
            self.execute(f"RELEASE {name}")
            return
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.raw.execute("ROLLBACK")
            raise
        self.execute("COMMIT")


_SEQUENCES = {tuple, list}


@functools.lru_cache(maxsize=64)
def _multi_row_of(sql: str, rows: int) -> tuple[str, int] | None:
    """A plain ``INSERT INTO t (cols) VALUES (?, …)`` for ``rows`` rows at once, as an
    ``INSERT OR IGNORE`` (``SqliteDb.executemany`` checks the rows written), and the
    width of a row; None for any other statement."""
    plain = _plain_insert(sql)
    if plain is None:
        return None
    table, columns = plain
    row = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES "
    return head + ", ".join([row] * rows), len(columns)


def _refusal(values: Sequence[Any]) -> str:
    """Why an ``INSERT OR IGNORE`` of these values skipped a row, as SQLite says it."""
    if None in values:
        return "NOT NULL constraint failed (a row with a NULL)"
    return "UNIQUE constraint failed (a key taken), or a CHECK constraint"


def _no_nul(params: Sequence[Any]) -> tuple[Any, ...]:
    """The parameters, with NUL in strings replaced by U+FFFD: PostgreSQL text holds no
    NUL, and a name with one (a partner's object may carry any string) must not fail
    the transaction -- the correlation worker would retry it forever. Replaced alike
    in what is written and what is looked up; bytes are untouched."""
    out = tuple(params)
    # the strings searched at once: a generator a value cost more than the search
    if "\x00" in "".join([p for p in out if p.__class__ is str]):
        return tuple(p.replace("\x00", "\ufffd") if type(p) is str else p for p in out)
    return out


def _no_nul_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``_no_nul`` of each row, the strings of all of them searched at once: a check a
    row cost the audit log's three COPYs 1.5 µs a row, 2 ms an envelope of the storing
    transaction's (issue #15, eleventh round)."""
    listed = [r if r.__class__ is tuple else tuple(r) for r in rows]
    if "\x00" in "".join([p for r in listed for p in r if p.__class__ is str]):
        return [_no_nul(r) for r in listed]
    return listed


#: The PostgreSQL type of an array of parameters, by the Python type of its values.
_ARRAY_TYPES: dict[type, str] = {
    str: "text[]",
    int: "bigint[]",
    float: "double precision[]",
    bytes: "bytea[]",
    bool: "boolean[]",
}


#: The arrays of ``execute_each`` and ``insert_new`` go in binary (``%b``): psycopg dumps a
#: list to the text form in Python, quoting each element -- 1.4 µs of client CPU an
#: element against 0.14 in binary, and the server parses it faster too (issue #15,
#: tenth round; the values read back are the same, NULLs and empty arrays included).
def _array_type(values: Sequence[Any]) -> str:
    kinds = {type(v) for v in values if v is not None} or {str}
    if len(kinds) != 1 or (kind := kinds.pop()) not in _ARRAY_TYPES:
        raise StorageError(f"no array type for parameters of types {kinds}")
    return _ARRAY_TYPES[kind]


_PLAIN_INSERT = re.compile(
    r"\s*INSERT\s+INTO\s+(\w+)\s*\(([\w\s,]+)\)\s*VALUES\s*\(([?\s,]+)\)\s*", re.I
)


def _plain_insert(sql: str) -> tuple[str, list[str]] | None:
    """The table and columns of a plain ``INSERT INTO t (cols) VALUES (?, …)`` -- one
    ``?`` a column, nothing else -- else None."""
    m = _PLAIN_INSERT.fullmatch(sql)
    if m is None:
        return None
    columns = [c.strip() for c in m.group(2).split(",")]
    marks = [p.strip() for p in m.group(3).split(",")]
    if len(marks) != len(columns) or any(p != "?" for p in marks) or not all(columns):
        return None
    return m.group(1), columns


def _copy_of(sql: str) -> str | None:
    """The ``COPY … FROM STDIN`` equivalent of a plain multi-row insert, else None."""
    plain = _plain_insert(sql)
    if plain is None:
        return None
    table, columns = plain
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


#: The Python type of the values a binary COPY sends for a column, by the column's type
#: oid: bigint, integer, smallint, text, varchar, bytea, double precision, boolean.
_BINARY_KINDS: dict[int, type] = {
    20: int,
    23: int,
    21: int,
    25: str,
    1043: str,
    17: bytes,
    701: float,
    16: bool,
}

#: Per connection: (table, columns) -> the columns' type oids (``PgDb._binary_types``).
_COLUMN_TYPES: weakref.WeakKeyDictionary[Any, dict[tuple[str, tuple[str, ...]], tuple[int, ...]]]
_COLUMN_TYPES = weakref.WeakKeyDictionary()


class PgDb:
    """A ``Db`` on a psycopg 3 connection (autocommit off), ``?`` placeholders.

    A write transaction takes the store's writer advisory lock, so that audit appends
    from several ``liaison serve`` processes never race for a position; the caller that
    checked the connection out (``PostgresStore.connection``) commits. ``locked``: the
    transaction holds that lock already (it is held until the commit, so it is taken
    once per transaction, not once per savepoint).
    """

    def __init__(self, conn: Any, lock: int, *, locked: bool = False) -> None:
        self.raw = conn
        self._lock = lock
        self._locked = locked
        self._depth = 0

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    @staticmethod
    def _fail(exc: Exception) -> Exception:
        return StorageError(f"storage failed: {exc}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        import psycopg

        try:
            cur: Rows = self.raw.execute(self._sql(sql), _no_nul(params))
            return cur
        except psycopg.Error as exc:
            raise self._fail(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` once per row; a plain ``INSERT INTO t (cols) VALUES (?, …)`` goes
        in as one ``COPY`` (the same rows, constraints and all-or-nothing, a fraction of
        the round trips and client CPU) -- binary where every value is of the Python
        type of its column's (``_binary_types``): the audit log's entries cost the
        backend 12 µs each in text (their bodies and hashes in hex) against 5, and the
        client 6 against 3 (issue #15, ninth round)."""
        import psycopg

        try:
            with self.raw.cursor() as cur:
                plain = _plain_insert(sql)
                if plain is None:
                    cur.executemany(self._sql(sql), _no_nul_rows(rows))
                    return
                table, columns = plain
                listed = _no_nul_rows(rows)
                if not listed:
                    return
                names = ", ".join(columns)
                types = self._binary_types(table, tuple(columns), listed)
                if types is None:
                    with cur.copy(_copy_of(sql) or "") as out:
                        for row in listed:
                            out.write_row(row)
                    return
                try:
                    with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as out:
                        out.set_types(types)
                        for row in listed:
                            out.write_row(row)
                except psycopg.Error:
                    # The columns are looked up again next time (a table changed since?).
                    _COLUMN_TYPES.get(self.raw, {}).pop((table, tuple(columns)), None)
                    raise
        except psycopg.Error as exc:
            raise self._fail(exc) from exc

    def _binary_types(
        self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> list[int] | None:
        """The type oids of these columns, if each row has one value a column and every
        value is None or of the Python type a binary COPY sends for its column's type
        (an ``int`` for an integer column, ``str`` for text…); else None (text COPY,
        which takes a value of any type in its text form, as before). The columns'
        types are looked up once per connection and table."""
        known = _COLUMN_TYPES.setdefault(self.raw, {})
        oids = known.get((table, columns))
        if oids is None:
            found = self.raw.execute(
                "SELECT a.atttypid FROM unnest(%s::text[]) WITH ORDINALITY AS c(name, i)"
                " LEFT JOIN pg_attribute a ON a.attrelid = %s::regclass AND a.attname = c.name"
                " AND NOT a.attisdropped ORDER BY c.i",
                (list(columns), table),
            ).fetchall()
            oids = known[(table, columns)] = tuple(int(r[0] or 0) for r in found)
        if set(map(len, rows)) != {len(columns)}:
            return None  # the driver refuses them, as before
        # a column at a time, its values' types gathered in C (``zip``, ``map``)
        for oid, values in zip(oids, zip(*rows, strict=True), strict=True):
            kind = _BINARY_KINDS.get(oid)
            if kind is None:
                return None
            seen = set(map(type, values))
            seen.discard(type(None))
            if not seen <= {kind}:
                return None
        return list(oids)

    def insert_id(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.execute(sql, params).fetchone()
        if row is None:
            raise StorageError("the insert returned no key")
        return int(row[0])

    def execute_each(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """One statement whatever the number of rows, and the same text whatever it is
        (prepared once per connection): the parameters go in as one array a column, and
        ``sql`` runs for each row of them (``CROSS JOIN LATERAL``). A compound SELECT of
        one subquery a row -- SQLite's way -- cost PostgreSQL 1.5 ms to parse and plan
        for 80 rows, against 0.25 ms for this (issue #15)."""
        import psycopg

        if not rows:
            return []
        width = len(rows[0])
        if any(len(r) != width for r in rows) or sql.count("?") != width:
            raise StorageError("execute_each: every row needs one value a placeholder")
        columns = [[r[k] for r in rows] for k in range(width)]
        marks = iter(f"each_.p{k}" for k in range(width))
        inner = re.sub(r"\?", lambda _: next(marks), sql.replace("%", "%%"))
        arrays = ", ".join(f"%b::{_array_type(c)}" for c in columns)
        names = ", ".join(f"p{k}" for k in range(width))
        # OFFSET 0: the statement runs once a row, as written (an index probe each).
        # Flattened into a join, it made the planner hash the parameters and scan the
        # whole table -- ``corr_object`` 10,000 rows behind, 2.7 ms a call against 0.2,
        # and growing with the store (issue #15).
        query = (
            f"SELECT each_.i - 1, q.* FROM unnest({arrays}) WITH ORDINALITY AS each_({names}, i)"
            f" CROSS JOIN LATERAL (SELECT * FROM ({inner}) AS each_q OFFSET 0) AS q"
        )
        try:
            found = self.raw.execute(query, [list(_no_nul(c)) for c in columns]).fetchall()
        except psycopg.Error as exc:
            raise self._fail(exc) from exc
        return [tuple(r) for r in found]

    def select_each(
        self, table: str, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        return self.execute_each(_equal_sql(table, keys, columns), rows)

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """One statement of one text whatever the number of rows (prepared once per
        connection; a multi-row VALUES was a new text to parse and plan at each batch,
        issue #15): the rows go in as one array a column, in their order."""
        import psycopg

        if not rows:
            return
        width = len(columns)
        if any(len(r) != width for r in rows):
            raise StorageError("insert_new: every row needs one value a column")
        values = [list(_no_nul([r[k] for r in rows])) for k in range(width)]
        arrays = ", ".join(f"%b::{_array_type(c)}" for c in values)
        try:
            self.raw.execute(
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                values,
            )
        except psycopg.Error as exc:
            raise self._fail(exc) from exc

    def insert_ids(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[int | None]:
        """One statement for them all (a round trip and a plan a row cost the client
        60-75 µs and the database 60-80, against 1-2 and 10-13 a row so: issue #15,
        the correlator's new spellings): the rows go in as arrays, in their order (the
        ids are numbered in it), and each id comes back matched to the first row of its
        values -- as sent: ``_no_nul`` made them the values stored."""
        import psycopg

        if not rows:
            return []
        width = len(columns)
        if any(len(r) != width for r in rows):
            raise StorageError("insert_ids: every row needs one value a column")
        values = [list(_no_nul([r[k] for r in rows])) for k in range(width)]
        arrays = ", ".join(f"%b::{_array_type(c)}" for c in values)
        names = ", ".join(columns)
        given = ", ".join(f"c{k}" for k in range(width))
        same = " AND ".join(f"n.{c} = g.c{k}" for k, c in enumerate(columns))
        query = (
            f"WITH g AS (SELECT * FROM unnest({arrays}) WITH ORDINALITY AS g({given}, i)),"
            f" n AS (INSERT INTO {table} ({names}) SELECT {given} FROM g ORDER BY i"
            f" ON CONFLICT DO NOTHING RETURNING id, {names})"
            f" SELECT MIN(g.i), n.id FROM n JOIN g ON {same} GROUP BY n.id"
        )
        try:
            found = self.raw.execute(query, values).fetchall()
        except psycopg.Error as exc:
            raise self._fail(exc) from exc
        out: list[int | None] = [None] * len(rows)
        for i, new_id in found:
            out[int(i) - 1] = int(new_id)
        return out

    @property
    def in_transaction(self) -> bool:
        import psycopg

        return bool(self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if not self._locked:  # held until this transaction ends (the checkout's commit)
            self.execute("SELECT pg_advisory_xact_lock(?)", (self._lock,))
            self._locked = True
        name = f"liaison_{self._depth}"
        self._depth += 1
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.raw.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.raw.execute(f"RELEASE SAVEPOINT {name}")
            raise
        finally:
            self._depth -= 1
        self.execute(f"RELEASE SAVEPOINT {name}")
