"""The narrow database interface of the modules whose tables the store owns.

The audit log, the partners' ledgers, the gossip records and the correlation index keep
rows in the node's store, in the store's transactions. They see the database only
through ``Db``: parameterised SQL with ``?`` placeholders, rows back, and transactions
that join the caller's. The store provides the implementations (``liaison.store.db``:
SQLite and PostgreSQL), which turn every driver error into ``StorageError`` -- in one
place -- so these modules never name a driver. Tables are created by the store's
migrations only.

Usage::

    with db.transaction():                      # BEGIN, or a savepoint inside one
        db.execute("INSERT INTO t (a) VALUES (?)", (1,))
        new_id = db.insert_id("INSERT INTO u (a) VALUES (?) RETURNING id", (2,))
    for row in db.execute("SELECT a FROM t WHERE a > ?", (0,)):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

__all__ = ["Db", "Rows"]


class Rows(Protocol):
    """The result of ``Db.execute``: a DB-API cursor's reading side."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """A store connection for rows the store owns (see the module docstring)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def insert_id(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an ``INSERT … RETURNING <integer key>`` and give the key."""
        ...

    def execute_each(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Run the ``SELECT`` ``sql`` once per row of parameters, in a few statements for
        them all: the rows it finds, each led by the index of its parameters in ``rows``
        (no order across them; ``sql``'s own order within one)."""
        ...

    def select_each(
        self, table: str, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[Any, ...]]:
        """``execute_each`` of ``SELECT columns FROM table WHERE key1 = ? AND …``: the
        rows of ``table`` whose ``keys`` equal each row of ``rows``, each led by the
        index of its row (no order). ``table``, ``keys`` and ``columns`` are the
        caller's own names, never input."""
        ...

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """``INSERT … ON CONFLICT DO NOTHING`` of these rows (all of one width), in a
        few statements for them all, in their order."""
        ...

    def insert_ids(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[int | None]:
        """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of each of these rows, in
        their order, in a few statements for them all: the new ``id`` of each row, None
        for one that conflicted (with a stored row or an earlier one of ``rows``)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: a write transaction, or a savepoint inside the caller's."""
        ...

    @property
    def in_transaction(self) -> bool: ...
