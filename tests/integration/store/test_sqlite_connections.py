"""SQLite connections: one per live thread, handed on when a thread ends (a server's
worker threads come and go; their connections and page caches must not pile up)."""

from __future__ import annotations

import threading
from pathlib import Path

from liaison.store.sqlite import SqliteStore


def _in_thread(store: SqliteStore, work: str = "read") -> str:
    seen: list[str] = []

    def run() -> None:
        with store.connection() as db:
            if work == "derived":
                store.derived_writer()
            seen.append(str(db.execute("PRAGMA synchronous").fetchone()[0]))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return seen[0]


def test_threads_that_end_leave_no_connection_behind(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", create=True)
    store.migrate()
    for _ in range(30):
        _in_thread(store)
    # the opening thread's connection, and one handed from each ended thread to the next
    assert store.connections() == 2
    store.close()


def test_live_threads_each_have_their_own(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", create=True)
    store.migrate()
    go, done = threading.Barrier(5), threading.Event()
    conns: list[int] = []

    def run() -> None:
        with store.connection() as db:
            conns.append(id(db.raw))
            go.wait()
            done.wait(5)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    go.wait()
    done.set()
    for t in threads:
        t.join()
    assert len(set(conns)) == 4
    assert store.connections() == 5


def test_a_handed_on_connection_is_durable_again(tmp_path: Path) -> None:
    # A derived-index worker lowers synchronous on its own connection; when it ends,
    # the thread that inherits the connection stores with FULL again (2 = FULL).
    store = SqliteStore(tmp_path / "s.db", create=True)
    store.migrate()
    assert _in_thread(store, "derived") == "1"
    assert store.connections() == 2
    assert _in_thread(store) == "2"
    assert store.connections() == 2
    store.close()


def test_a_thread_that_ended_inside_a_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", create=True)
    store.migrate()

    def run() -> None:
        conn = store._connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE half (x)")

    t = threading.Thread(target=run)
    t.start()
    t.join()
    # the next thread gets that connection, rolled back: the table never existed, and
    # the write lock is free for it
    with store.connection() as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None
    assert _in_thread(store) == "2"
    store.close()
