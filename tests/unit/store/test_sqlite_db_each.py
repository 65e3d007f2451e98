"""``SqliteDb.execute_each`` runs its statements in one read transaction of its own
outside a transaction -- ended however the call ends -- and in the caller's inside one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from liaison.errors import StorageError
from liaison.store.db import SqliteDb


@pytest.fixture
def db(tmp_path: Path) -> SqliteDb:
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    conn.executemany("INSERT INTO t (k, v) VALUES (?, ?)", [(i, f"v{i}") for i in range(10)])
    return SqliteDb(conn)


def test_answers_by_position_and_no_transaction_left(db: SqliteDb) -> None:
    sql = "SELECT v FROM t WHERE k = ?"
    found = db.execute_each(sql, [(3,), (42,), (5,)])
    assert sorted(found) == [(0, "v3"), (2, "v5")]
    assert not db.in_transaction
    assert db.execute_each(sql, [(1,)]) == [(0, "v1")]
    assert db.execute_each(sql, []) == []


def test_inside_a_transaction_it_joins_it(db: SqliteDb) -> None:
    with db.transaction():
        db.execute("INSERT INTO t (k, v) VALUES (?, ?)", (50, "mine"))
        assert db.execute_each("SELECT v FROM t WHERE k = ?", [(50,), (1,)]) == [
            (0, "mine"),
            (1, "v1"),
        ]
        assert db.in_transaction
    assert db.execute("SELECT v FROM t WHERE k = 50").fetchone() == ("mine",)


def test_a_failure_leaves_no_transaction(db: SqliteDb) -> None:
    with pytest.raises(StorageError):
        db.execute_each("SELECT v FROM t WHERE k = ?", [(1,), (1, 2)])  # a row too wide
    assert not db.in_transaction
    with db.transaction():  # the connection still writes
        db.execute("INSERT INTO t (k, v) VALUES (?, ?)", (60, "after"))
