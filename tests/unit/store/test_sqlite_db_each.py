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


@pytest.fixture
def names(tmp_path: Path) -> SqliteDb:
    conn = sqlite3.connect(tmp_path / "n.db", isolation_level=None)
    conn.execute(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, kind TEXT, name TEXT, UNIQUE (kind, name))"
    )
    return SqliteDb(conn)


# Text a JSON array carries badly or not at all: a NUL (SQLite's JSON ends a string at
# it), control characters, quotes and backslashes, beyond the BMP, an escape's look-alike.
_ODD = ["a\x00b", "ctl\x01\x1f", '"q\\', "😀 x", "\\u0000", "plain", ""]


@pytest.mark.parametrize("width", [1, 2])
def test_select_each_answers_as_execute_each(names: SqliteDb, width: int) -> None:
    names.executemany("INSERT INTO s (kind, name) VALUES (?, ?)", [("k", n) for n in _ODD])
    asked = [*_ODD, "absent"]
    keys: tuple[str, ...] = ("name",) if width == 1 else ("kind", "name")
    rows = [(n,) if width == 1 else ("k", n) for n in asked]
    sql = "SELECT id, name FROM s WHERE " + " AND ".join(f"{k} = ?" for k in keys)
    expected = sorted(names.execute_each(sql, rows))
    assert len(expected) == len(_ODD)
    # Each alone, and all together (one statement, or one by one where a NUL is).
    for row in rows:
        found = names.select_each("s", keys, ("id", "name"), [row])
        assert found == names.execute_each(sql, [row])
    assert sorted(names.select_each("s", keys, ("id", "name"), rows)) == expected
    plain = [r for r in rows if "\x00" not in r[-1] and "\\u" not in r[-1]]  # one statement
    found = names.select_each("s", keys, ("id", "name"), plain)
    assert sorted(found) == sorted(names.execute_each(sql, plain))
    assert len(found) == len(_ODD) - 2
    assert names.select_each("s", keys, ("id",), []) == []
    assert not names.in_transaction


def test_select_each_checks_the_width(names: SqliteDb) -> None:
    with pytest.raises(StorageError):
        names.select_each("s", ("kind", "name"), ("id",), [("k", "a"), ("k",)])
