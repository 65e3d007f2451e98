"""``SqliteDb.executemany`` sends a plain insert's rows in multi-row statements: the
same rows in their order, the same refusals, all or nothing in a transaction. And
``SqliteDb.insert_new`` skips the rows whose key is taken, and refuses a NULL."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from liaison.errors import StorageError
from liaison.store.db import SqliteDb


@pytest.fixture
def db() -> SqliteDb:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL, auto INTEGER)")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)")
    conn.execute("CREATE TABLE c (k INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v > 0))")
    return SqliteDb(conn)


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 64, 100, 500])
def test_rows_go_in_in_their_order(db: SqliteDb, n: int) -> None:
    rows = [(1000 - i, b"%d" % i) for i in range(n)]
    with db.transaction():
        db.executemany("INSERT INTO t (k, v) VALUES (?, ?)", rows)
        db.executemany("INSERT INTO a (v) VALUES (?)", ((f"v{i}",) for i in range(n)))
    assert db.execute("SELECT k, v FROM t ORDER BY rowid DESC").fetchall() == rows
    assert db.execute("SELECT v FROM a ORDER BY id").fetchall() == [(f"v{i}",) for i in range(n)]


def test_a_refused_row_refuses_the_batch_in_a_transaction(db: SqliteDb) -> None:
    rows: list[Any] = [(i, b"x") for i in range(100)]
    rows[70] = (3, b"again")  # a key taken
    with pytest.raises(StorageError, match="UNIQUE"), db.transaction():
        db.executemany("INSERT INTO t (k, v) VALUES (?, ?)", rows)
    for at in (70, 99):  # NOT NULL, in a multi-row statement, then among the last rows
        bad = [(i, None if i == at else b"x") for i in range(100)]
        with pytest.raises(StorageError, match="NOT NULL"), db.transaction():
            db.executemany("INSERT INTO t (k, v) VALUES (?, ?)", bad)
    assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    broken = [(i, 0 if i == 40 else 1) for i in range(64)]  # a CHECK broken
    with pytest.raises(StorageError, match="CHECK"), db.transaction():
        db.executemany("INSERT INTO c (k, v) VALUES (?, ?)", broken)
    assert db.execute("SELECT COUNT(*) FROM c").fetchone() == (0,)


def test_insert_new_skips_taken_keys_and_refuses_a_null(db: SqliteDb) -> None:
    with db.transaction():
        db.insert_new("t", ("k", "v"), [(i, b"x") for i in range(0, 400, 2)])
        db.insert_new("t", ("k", "v"), [(i, b"y") for i in range(400)])  # half taken
    rows = db.execute("SELECT k, v FROM t ORDER BY k").fetchall()
    assert rows == [(i, b"x" if i % 2 == 0 else b"y") for i in range(400)]
    with pytest.raises(StorageError, match="NOT NULL"), db.transaction():
        db.insert_new("t", ("k", "v"), [(1000, b"x"), (1001, None)])
    assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (400,)


@pytest.mark.parametrize("odd", [(5, "x", 1), (5,), {"p": 5, "q": "x"}])
def test_a_row_of_another_width_is_refused_as_the_driver_refuses_it(db: SqliteDb, odd: Any) -> None:
    """Flattened, a row too long and one too short would pass for two good ones."""
    db.execute("CREATE TABLE u (p, q)")  # anything goes in: only the count could refuse
    rows: list[Any] = [(i, "x") for i in range(64)]
    rows[10] = odd
    if isinstance(odd, tuple) and len(odd) == 1:
        rows[20] = (20, "x", 3)  # the same number of values in all
    if isinstance(odd, tuple) and len(odd) == 3:
        rows[20] = (20,)
    with pytest.raises(StorageError), db.transaction():
        db.executemany("INSERT INTO u (p, q) VALUES (?, ?)", rows)
    assert db.execute("SELECT COUNT(*) FROM u").fetchone() == (0,)


def test_other_statements_run_once_per_row(db: SqliteDb) -> None:
    rows = [(i, b"x") for i in range(40)]
    with db.transaction():
        db.executemany("INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", rows)
        db.executemany("INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", rows)
        db.executemany("UPDATE t SET auto = ? WHERE k = ?", [(i * 2, i) for i in range(40)])
    assert db.execute("SELECT SUM(auto), COUNT(*) FROM t").fetchone() == (1560, 40)
