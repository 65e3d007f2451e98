"""Inside a write of ``SqliteStore`` what writes through ``connection()`` (the audit
log, the ledgers, the correlation index) opens no savepoint, and a part that fails
fails the whole write -- caught or not. Outside one, a nested transaction is still a
savepoint that undoes its own part only."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.errors import StorageError
from liaison.store.sqlite import SqliteStore

_PUT = "INSERT INTO records (kind, key, data) VALUES ('t', ?, '1')"


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "s.db", create=True)
    s.migrate()
    return s


def _keys(store: SqliteStore) -> list[str]:
    with store.connection() as db:
        return [r[0] for r in db.execute("SELECT key FROM records WHERE kind = 't' ORDER BY key")]


def test_no_savepoint_inside_a_write(store: SqliteStore) -> None:
    seen: list[str] = []
    with store._write() as cur, store.connection() as db:
        db.raw.set_trace_callback(seen.append)
        try:
            cur.execute(_PUT, ("a",))
            with db.transaction(), db.transaction():
                db.execute(_PUT, ("b",))
        finally:
            db.raw.set_trace_callback(None)
    assert not [s for s in seen if "SAVEPOINT" in s.upper()]
    assert _keys(store) == ["a", "b"]


def test_a_part_that_failed_fails_the_whole_write_even_caught(store: SqliteStore) -> None:
    with pytest.raises(StorageError, match="a part of it failed"), store._write() as cur:
        cur.execute(_PUT, ("a",))
        with store.connection() as db:
            try:
                with db.transaction():
                    db.execute(_PUT, ("b",))
                    raise RuntimeError("boom")
            except RuntimeError:
                pass
            db.execute(_PUT, ("c",))
    assert _keys(store) == []
    # the next write is whole again
    with store._write() as cur:
        cur.execute(_PUT, ("d",))
    assert _keys(store) == ["d"]


def test_a_failure_that_propagates_undoes_the_write(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store._write() as cur, store.connection() as db:
        cur.execute(_PUT, ("a",))
        with db.transaction():
            db.execute(_PUT, ("b",))
            raise RuntimeError("boom")
    assert _keys(store) == []


def test_outside_a_write_a_nested_transaction_is_a_savepoint(store: SqliteStore) -> None:
    with store.connection() as db, db.transaction():
        db.execute(_PUT, ("a",))
        with pytest.raises(RuntimeError), db.transaction():
            db.execute(_PUT, ("b",))
            raise RuntimeError("boom")
        db.execute(_PUT, ("c",))
    assert _keys(store) == ["a", "c"]
