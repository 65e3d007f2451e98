"""One write transaction on a connection someone else may also be using."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

__all__ = ["ensure_tables", "write"]


def ensure_tables(conn: sqlite3.Connection, tables: Sequence[str], schema: Sequence[str]) -> None:
    """Run ``schema`` (``CREATE ... IF NOT EXISTS``) unless every table already exists.

    Checking first keeps readers (``audit show``) from taking the write lock.
    """
    marks = ",".join("?" * len(tables))
    row = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",  # noqa: S608
        tuple(tables),
    ).fetchone()
    if row[0] == len(tables):
        return
    with write(conn):
        for statement in schema:
            conn.execute(statement)


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` .. ``COMMIT``, or a savepoint inside the caller's transaction.

    Either way the block is all-or-nothing: an exception (or a crash) undoes it.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT audit_write")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO audit_write")
            conn.execute("RELEASE audit_write")
            raise
        conn.execute("RELEASE audit_write")
    else:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
