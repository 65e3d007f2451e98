"""``Store.snapshot``: one consistent, read-only view for the block, always ended.

What another connection writes meanwhile is not seen by any read of the store on this
thread inside the block (``connection()``, ``records``, ``iter_versions``), and is seen
after it; a write inside fails; the transaction ends however the block ends (SQLite: a
read transaction left open would hold back the WAL's checkpoint for good).
"""

from __future__ import annotations

import threading

import pytest

from liaison.errors import StorageError
from liaison.store import Store


def _elsewhere(store: Store, key: str) -> None:
    """A record written by another thread (another connection), committed."""
    t = threading.Thread(target=store.put_record, args=("probe", key, {"k": key}))
    t.start()
    t.join()


def _count(store: Store) -> int:
    with store.connection() as db:
        return int(db.execute("SELECT count(*) FROM records WHERE kind = 'probe'").fetchone()[0])


def _ended(store: Store) -> None:
    """No transaction of this thread's is left open, and the connection writes again."""
    store.put_record("probe", "after", {})
    if hasattr(store, "_local"):  # SQLite: this thread's connection
        conn = store._connection()
        assert not conn.in_transaction
        assert conn.execute("PRAGMA query_only").fetchone()[0] == 0
    else:
        assert getattr(store._held, "conn", None) is None  # type: ignore[attr-defined]


def test_a_snapshot_sees_one_moment(store: Store) -> None:
    store.put_record("probe", "before", {})
    with store.snapshot() as db:
        assert _count(store) == 1
        _elsewhere(store, "during")
        assert len(store.records("probe")) == 1
        assert (
            int(db.execute("SELECT count(*) FROM records WHERE kind = 'probe'").fetchone()[0]) == 1
        )
        assert sum(1 for _ in store.iter_versions()) == 0
    assert _count(store) == 2
    _ended(store)


def test_a_snapshot_is_read_only_and_ended_however_it_ends(store: Store) -> None:
    with pytest.raises(StorageError), store.snapshot():
        store.put_record("probe", "inside", {})
    _ended(store)
    with pytest.raises(RuntimeError), store.snapshot() as db:
        db.execute("SELECT count(*) FROM records").fetchone()
        raise RuntimeError("the reader failed")
    _ended(store)
    assert {k for k, _ in store.records("probe")} == {"after"}
