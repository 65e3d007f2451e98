"""PostgreSQL's lean ingest (issue #15, sixth round): statements stay prepared across
reads, a correlator's batch writes beside the object writers, statistics follow a bulk
load, and one statement of one text writes a batch's index rows.

Each guarantee the change could break is held here: a correlator's batch commits only
if its rows are still stored and pending -- checked under the removers' lock, which
every writer that deletes or re-dates rows takes (ninth round: no longer the writers'
lock) -- and rolls back whole otherwise; a read inside a transaction does not end it.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Iterator

import orjson
import psycopg
import pytest

from liaison.errors import StorageError
from liaison.store import VERSION_ALL, Collection, NewObject, ObjectQuery
from liaison.store.postgres import PostgresStore
from liaison.store.sqlite import open_db

pytestmark = pytest.mark.postgres

C = "c0ffee00-0000-4000-8000-0000000000cc"


@pytest.fixture
def pg(pg_store: PostgresStore) -> PostgresStore:
    pg_store.add_collection(Collection(C, "c"))
    return pg_store


@pytest.fixture
def single(pg_database: str) -> Iterator[PostgresStore]:
    """A store on a fresh schema with one connection (each checkout gets the same),
    migrated, holding collection ``C``."""
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    pg = PostgresStore(pg_database, min_size=1, max_size=1)
    try:
        pg.migrate()
        pg.add_collection(Collection(C, "c"))
        yield pg
    finally:
        pg.close()


def _obj(i: int) -> NewObject:
    oid = f"report--{uuid.UUID(int=i)}"
    body = orjson.dumps({"id": oid, "type": "report", "n": i})
    return NewObject(
        id=oid,
        type="report",
        spec_version="2.1",
        version="2026-01-01T00:00:01.000000Z",
        version_us=1_767_225_601_000_000,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        handling={"h": {"tlp": "green"}},
    )


def _seqs(pg: PostgresStore) -> list[int]:
    rows = pg.query_objects(ObjectQuery(C, versions=(VERSION_ALL,), limit=1000))
    return sorted(r.seq for r in rows)


def _count(pg: PostgresStore, table: str) -> int:
    with pg.connection() as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_reads_keep_what_the_connection_prepared(single: PostgresStore) -> None:
    """Reads end with neither a ROLLBACK nor a transaction of their own: a ROLLBACK made
    psycopg forget (DEALLOCATE ALL) every statement it had prepared, so that nothing
    read or written stayed prepared."""
    pg = single
    pg.add_objects(C, [_obj(i) for i in range(3)])
    ids = [_obj(i).id for i in range(3)]
    for _ in range(8):  # psycopg prepares a statement at its fifth run
        assert set(pg.held_versions(ids)) == set(ids)
    with pg.connection() as db:
        prepared = db.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    assert any("vkey" in str(r[0]) for r in prepared), prepared


def test_a_read_inside_a_transaction_leaves_it_open(pg: PostgresStore) -> None:
    with pg._checkout() as conn:
        conn.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")
        assert pg.owners(["x"]) == {}  # a nested read: neither commits nor rolls back
        conn.rollback()
    assert _count(pg, "corr_saturated") == 0


def test_a_correlator_batch_writes_while_objects_are_stored(pg: PostgresStore) -> None:
    """The batch's index rows are written without the writers' lock: a storing request
    made meanwhile completes before the batch does (it waited for it before)."""
    pg.add_objects(C, [_obj(i) for i in range(4)])
    seqs = _seqs(pg)
    stored: list[bool] = []

    def work() -> None:
        with pg.connection() as db:
            db.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")
        other = threading.Thread(target=lambda: stored.append(bool(pg.add_objects(C, [_obj(100)]))))
        other.start()
        other.join(timeout=20)
        assert stored == [True]  # stored while this batch is still open

    assert pg.mark_correlated(seqs, work)
    assert pg.correlation_progress() == (seqs[-1], True)  # the row stored meanwhile
    assert _count(pg, "corr_saturated") == 1


def test_a_batch_whose_row_went_meanwhile_leaves_nothing(pg: PostgresStore) -> None:
    """A row deleted (committed) while the batch wrote: the check under the writers'
    lock fails, and the batch -- index rows and watermark -- rolls back whole."""
    pg.add_objects(C, [_obj(i) for i in range(4)])
    seqs = _seqs(pg)

    def work() -> None:
        with pg.connection() as db:
            db.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")
        gone = threading.Thread(target=lambda: pg.delete_versions(C, _obj(2).id, [seqs[2]]))
        gone.start()
        gone.join(timeout=20)
        assert not gone.is_alive()

    assert not pg.mark_correlated(seqs, work)
    assert _count(pg, "corr_saturated") == 0
    assert pg.correlation_progress() == (0, True)
    rest = _seqs(pg)
    assert pg.mark_correlated(rest, lambda: None)  # planned again: done
    assert pg.correlation_progress() == (rest[-1], False)


def test_a_batch_done_by_another_meanwhile_leaves_nothing(pg: PostgresStore) -> None:
    pg.add_objects(C, [_obj(i) for i in range(3)])
    seqs = _seqs(pg)

    def work() -> None:
        with pg.connection() as db:
            db.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")
        done = threading.Thread(target=lambda: pg.mark_correlated(seqs[:2], lambda: None))
        done.start()
        done.join(timeout=20)

    assert not pg.mark_correlated(seqs, work)
    assert _count(pg, "corr_saturated") == 0
    assert pg.correlation_progress() == (seqs[1], True)


def _waiting_on_advisory(pg: PostgresStore, deadline: float = 20.0) -> None:
    """Until some other session of the database waits for an advisory lock."""
    end = time.monotonic() + deadline
    with psycopg.connect(pg.url, autocommit=True) as conn:
        while time.monotonic() < end:
            row = conn.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            ).fetchone()
            if row and int(row[0]):
                return
            time.sleep(0.01)
    raise AssertionError("nobody waited for an advisory lock")


def test_a_batch_commits_while_objects_are_being_stored(pg: PostgresStore) -> None:
    """A storing transaction left open (the writers' lock held) does not hold up a
    correlator's check and watermark: the batch commits before the store does."""
    pg.add_objects(C, [_obj(i) for i in range(4)])
    seqs = _seqs(pg)
    marked: list[bool] = []

    def within(_: list[tuple[str, bool]]) -> None:
        other = threading.Thread(target=lambda: marked.append(pg.mark_correlated(seqs, noop)))
        other.start()
        other.join(timeout=20)
        assert marked == [True]  # done while the writers' lock is held

    def noop() -> None:
        return None

    pg.add_objects(C, [_obj(100)], within=within)
    assert pg.correlation_progress() == (seqs[-1], True)


@pytest.mark.parametrize("how", ["delete", "redate"])
def test_a_batch_waits_for_a_removal_under_way(pg: PostgresStore, how: str) -> None:
    """A deletion or a re-dating open (rows gone, not committed yet) when the batch
    checks its rows: the batch waits for it, sees the rows gone, and leaves nothing."""
    pg.add_objects(C, [_obj(i) for i in range(4)])
    seqs = _seqs(pg)
    result: list[bool] = []

    def mark() -> None:
        def work() -> None:
            with pg.connection() as db:
                db.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")

        result.append(pg.mark_correlated(seqs, work))

    def within(_: object) -> None:  # the rows are gone in this open transaction
        batch = threading.Thread(target=mark)
        batch.start()
        _waiting_on_advisory(pg)  # the batch waits for this transaction's commit
        assert batch.is_alive()
        threads.append(batch)

    threads: list[threading.Thread] = []
    if how == "delete":
        pg.delete_versions(C, _obj(2).id, [seqs[2]], within=within)
    else:
        with pg._write() as cur:  # a re-dating, as ``redate`` makes it, left open
            pg._removing(cur)
            cur.execute("DELETE FROM objects WHERE seq = %s", (seqs[2],))
            within(None)
    threads[0].join(timeout=20)
    assert result == [False]
    assert _count(pg, "corr_saturated") == 0
    assert pg.correlation_progress() == (0, True)


def test_statistics_follow_a_bulk_load(pg: PostgresStore) -> None:
    """The background indexer analyses the tables that changed by more than a tenth
    (autovacuum may be off, or not have come by): reads are then planned on them."""
    pg.add_objects(C, [_obj(i) for i in range(300)])
    with pg.connection() as db:
        db.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, now
    pg._analyze_next = 0.0
    pg.index_search()
    with pg.connection() as db:
        analysed = db.execute(
            "SELECT c.reltuples FROM pg_class c WHERE c.relname = 'objects'"
        ).fetchone()[0]
    assert analysed == 300
    pg.index_search()  # not again before ``_ANALYZE_EVERY``: nothing to assert but no error


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_insert_new_skips_what_is_there_and_keeps_the_order(
    pg: PostgresStore, backend: str
) -> None:
    rows = [(f"k{i % 7}", i) for i in range(700)]  # more than one SQLite statement
    rows += [("k1", 1), ("\x00nul", 5)]
    if backend == "sqlite":
        db = open_db(":memory:")
        try:
            db.insert_new("corr_spelling_key", ("key", "spelling_id"), rows)
            db.insert_new("corr_spelling_key", ("key", "spelling_id"), rows[:3])
            got = sorted(tuple(r) for r in db.execute("SELECT * FROM corr_spelling_key"))
        finally:
            db.close()
    else:
        with pg.connection() as pdb:
            pdb.insert_new("corr_spelling_key", ("key", "spelling_id"), rows)
            pdb.insert_new("corr_spelling_key", ("key", "spelling_id"), rows[:3])
            got = sorted(tuple(r) for r in pdb.execute("SELECT * FROM corr_spelling_key"))
        rows = [(k.replace("\x00", "\ufffd"), v) for k, v in rows]
    assert got == sorted(set(rows))


def test_prepared_statements_are_planned_for_the_tables_as_they_are(pg: PostgresStore) -> None:
    """A generic plan, made once while a table was small, was kept as it grew."""
    with pg.connection() as db:
        assert db.execute("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"


def test_reads_run_without_a_transaction_and_leave_none_behind(single: PostgresStore) -> None:
    """A read runs its statements in autocommit (no BEGIN, no COMMIT); the connection
    goes back to the pool as the writers expect it -- a failed write after a read, a
    failed read, still roll back whole."""
    pg = single
    with pg._read() as cur:
        cur.execute("SELECT txid_current_if_assigned(), now() = statement_timestamp()")
        assert cur.fetchone() == (None, True)  # no transaction opened before it
    with pytest.raises(StorageError), pg._read() as cur:
        cur.execute("SELECT no_such_column FROM objects")
    with pg._checkout() as conn:
        assert conn.autocommit is False
    with pytest.raises(RuntimeError), pg._write() as cur:
        cur.execute("INSERT INTO corr_saturated (kind, value) VALUES ('k', 'v')")
        assert pg.owners(["x"]) == {}  # a read inside: the transaction stays open
        raise RuntimeError("the write fails")
    assert _count(pg, "corr_saturated") == 0
    pg.add_objects(C, [_obj(1)])
    assert pg.count_objects(C) == 1
