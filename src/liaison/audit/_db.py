"""One write transaction on a connection someone else may also be using."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["write"]


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
