"""The SQLite store: WAL and fsync settings, versions keyed by (id, modified), TAXII filters,
insertion order, first/last flags, and driver errors wrapped as ``StorageError``."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from liaison.errors import ConflictError, LiaisonError, NotFoundError, StorageError
from liaison.store import (
    VERSION_ALL,
    VERSION_FIRST,
    VERSION_LAST,
    Collection,
    NewObject,
    ObjectQuery,
    PartyRecord,
    Permission,
    SqliteStore,
    StatusRecord,
    format_us,
    open_store,
)

COL = "7b0b4cf2-2f0a-4d5e-9a55-000000000001"
OTHER = "7b0b4cf2-2f0a-4d5e-9a55-000000000002"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _us(dt: datetime) -> int:
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def obj(oid: str, minute: int | None = 0, type_: str = "indicator", spec: str = "2.1") -> NewObject:
    """A stored version of ``oid`` whose modified is T0 + minute (None: version-less SCO)."""
    version = None if minute is None else T0 + timedelta(minutes=minute)
    body = orjson.dumps({"id": oid, "type": type_, "v": minute})
    return NewObject(
        id=oid,
        type=type_,
        spec_version=spec,
        version=None if version is None else format_us(_us(version)),
        version_us=None if version is None else _us(version),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
    )


def ident(n: int, type_: str = "indicator") -> str:
    return f"{type_}--00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "liaison.db", create=True)
    s.migrate()
    s.add_collection(Collection(COL, "intel"))
    s.add_collection(Collection(OTHER, "other"))
    yield s
    s.close()


def q(**kw: object) -> ObjectQuery:
    kw.setdefault("collection_id", COL)
    return ObjectQuery(**kw)  # type: ignore[arg-type]


# --- the file -------------------------------------------------------------------------
def test_wal_mode_and_full_sync(store: SqliteStore) -> None:
    conn = store._connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_new_database_has_16_kib_pages_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """Rows of 2-3 KiB pack on 16 KiB pages (a commit writes fewer WAL frames); a database
    made before keeps its page size, and the checkpoint threshold stays 256 MiB."""
    new = SqliteStore(tmp_path / "new.db", create=True)
    conn = new._connection()
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 16384
    new.close()
    old_path = tmp_path / "old.db"
    old = sqlite3.connect(old_path)
    old.execute("PRAGMA page_size=4096")
    old.execute("CREATE TABLE t (x)")
    old.close()
    reopened = SqliteStore(old_path)
    conn = reopened._connection()
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 65536
    reopened.close()
    again = SqliteStore(tmp_path / "new.db")
    assert again._connection().execute("PRAGMA page_size").fetchone()[0] == 16384
    again.close()


def test_not_durable_means_normal_sync(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "x.db", create=True, durable=False)
    assert s._connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    s.close()


def test_missing_file_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="missing"):
        SqliteStore(tmp_path / "absent.db")


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    p = tmp_path / "junk.db"
    p.write_bytes(b"this is not sqlite" * 200)
    with pytest.raises(StorageError):
        s = SqliteStore(p)
        s.migrate()
        s.collections()


def test_open_store_rejects_unknown_schemes(tmp_path: Path) -> None:
    from liaison.errors import ConfigError

    with pytest.raises(ConfigError):
        open_store("mysql://x", home=tmp_path)


def test_driver_errors_leave_as_storage_error(store: SqliteStore) -> None:
    store._connection().execute("DROP TABLE statuses")
    with pytest.raises(StorageError):
        store.status("anything")
    with pytest.raises(StorageError):
        store.put_status(StatusRecord("s", COL, "p", {}))


def test_migrate_is_idempotent(store: SqliteStore) -> None:
    assert store.migrate() == []
    assert store.pending_migrations() == []


# --- collections, parties, statuses, records ------------------------------------------
def test_collections_and_duplicates(store: SqliteStore) -> None:
    assert [c.title for c in store.collections()] == ["intel", "other"]
    assert store.collection(COL).title == "intel"
    with pytest.raises(NotFoundError):
        store.collection("nope")
    with pytest.raises(ConflictError):
        store.add_collection(Collection(COL, "again"))


def test_parties_round_trip_with_permissions(store: SqliteStore) -> None:
    p = PartyRecord(
        "partner",
        "identity--00000000-0000-4000-8000-000000000001",
        internal=False,
        token_hash="ab" * 32,
        permissions=(Permission(COL, True, False), Permission(OTHER, False, True)),
    )
    store.add_party(p)
    got = store.party("partner")
    assert got == p
    assert got.can_read(COL) and not got.can_write(COL)
    assert got.can_write(OTHER) and not got.can_read(OTHER)
    assert store.party_by_token_hash("ab" * 32) == p
    assert store.party_by_token_hash("cd" * 32) is None
    with pytest.raises(ConflictError):
        store.add_party(p)
    with pytest.raises(NotFoundError):
        store.party("nobody")


def test_status_and_records(store: SqliteStore) -> None:
    store.put_status(StatusRecord("s1", COL, "analyst", {"status": "complete"}))
    assert store.status("s1").body == {"status": "complete"}
    with pytest.raises(NotFoundError):
        store.status("s2")
    store.put_record("peer", "x", {"a": 1})
    store.put_record("peer", "x", {"a": 2})
    assert store.record("peer", "x") == {"a": 2}
    assert store.records("peer") == [("x", {"a": 2})]
    assert store.delete_record("peer", "x") is True
    assert store.delete_record("peer", "x") is False
    assert store.record("peer", "x") is None


# --- object versions ------------------------------------------------------------------
def test_versions_are_keyed_by_id_and_modified(store: SqliteStore) -> None:
    first = store.add_objects(COL, [obj(ident(1), 0), obj(ident(1), 5)])
    assert [new for _, new in first] == [True, True]
    again = store.add_objects(COL, [obj(ident(1), 5), obj(ident(1), 9)])
    assert again[0] == (first[1][0], False)  # same version: idempotent, first date_added
    assert again[1][1] is True
    assert store.count_objects(COL) == 3
    # same id and version in another collection is another copy
    assert store.add_objects(OTHER, [obj(ident(1), 0)])[0][1] is True


def test_same_version_twice_in_one_batch_is_stored_once(store: SqliteStore) -> None:
    res = store.add_objects(COL, [obj(ident(1), 0), obj(ident(1), 0)])
    assert [new for _, new in res] == [True, False]
    assert res[0][0] == res[1][0]
    assert store.count_objects(COL) == 1


def test_version_less_objects_are_stored_once(store: SqliteStore) -> None:
    sco = ident(7, "ipv4-addr")
    ((d1, n1),) = store.add_objects(COL, [obj(sco, None, "ipv4-addr")])
    ((d2, n2),) = store.add_objects(COL, [obj(sco, None, "ipv4-addr")])
    assert (n1, n2) == (True, False) and d1 == d2
    (row,) = store.query_objects(q(ids=(sco,)))
    assert row.version == d1  # a version-less object's version is its first date_added


def test_date_added_is_one_per_batch_strictly_increasing_and_follows_seq(
    store: SqliteStore,
) -> None:
    for batch in range(5):
        store.add_objects(COL, [obj(ident(batch * 10 + i)) for i in range(4)])
    rows = store.query_objects(q(limit=100))
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    stamps = [r.date_added_us for r in rows]
    # One date_added per stored batch (it must not count what a reader does not see),
    # strictly increasing from batch to batch.
    per_batch = [stamps[i * 4 : i * 4 + 4] for i in range(5)]
    assert all(len(set(b)) == 1 for b in per_batch)
    firsts = [b[0] for b in per_batch]
    assert firsts == sorted(set(firsts))
    assert all(r.date_added == format_us(r.date_added_us) for r in rows)


def test_first_last_all_and_timestamp_filters(store: SqliteStore) -> None:
    a, b = ident(1), ident(2)
    # out of order on purpose: the flags follow modified, not arrival
    store.add_objects(COL, [obj(a, 5), obj(b, 0)])
    store.add_objects(COL, [obj(a, 0), obj(a, 9), obj(a, 7)])

    def versions(*v: str, stamps: tuple[int, ...] = ()) -> list[tuple[str, str]]:
        rows = store.query_objects(q(versions=v, version_us=stamps))
        return sorted((r.id, r.version) for r in rows)

    def ver(minute: int) -> str:
        return format_us(_us(T0 + timedelta(minutes=minute)))

    assert versions(VERSION_LAST) == [(a, ver(9)), (b, ver(0))]
    assert versions(VERSION_FIRST) == [(a, ver(0)), (b, ver(0))]
    assert len(versions(VERSION_ALL)) == 5
    assert versions(VERSION_FIRST, VERSION_LAST) == [(a, ver(0)), (a, ver(9)), (b, ver(0))]
    t7 = _us(T0 + timedelta(minutes=7))
    assert versions("timestamp", stamps=(t7,)) == [(a, ver(7))]
    assert versions(VERSION_LAST, "timestamp", stamps=(t7,)) == [
        (a, ver(7)),
        (a, ver(9)),
        (b, ver(0)),
    ]
    assert versions() == []  # no version asked for: nothing


def test_id_type_spec_version_and_added_after_filters(store: SqliteStore) -> None:
    store.add_objects(COL, [obj(ident(1)), obj(ident(2, "tool"), type_="tool")])
    store.add_objects(COL, [obj(ident(3), spec="2.0"), obj(ident(4))])
    store.add_objects(OTHER, [obj(ident(5))])
    rows = store.query_objects(q())
    assert [r.id for r in rows] == [ident(1), ident(2, "tool"), ident(3), ident(4)]
    assert [r.id for r in store.query_objects(q(types=("tool",)))] == [ident(2, "tool")]
    assert [r.id for r in store.query_objects(q(ids=(ident(4), ident(5))))] == [ident(4)]
    assert [r.id for r in store.query_objects(q(spec_versions=("2.0",)))] == [ident(3)]
    cut = rows[1].date_added_us
    after = store.query_objects(q(added_after_us=cut))
    assert [r.id for r in after] == [ident(3), ident(4)]  # exclusive
    assert [r.id for r in store.query_objects(q(after_seq=rows[2].seq))] == [ident(4)]
    assert len(store.query_objects(q(limit=2))) == 2


def test_delete_versions_repairs_first_and_last(store: SqliteStore) -> None:
    a = ident(1)
    store.add_objects(COL, [obj(a, 0), obj(a, 5), obj(a, 9)])
    rows = store.object_versions(COL, a)
    assert [r.version for r in rows] == sorted(r.version for r in rows)
    last = rows[-1]
    assert [r.seq for r in store.delete_versions(COL, a, [last.seq])] == [last.seq]
    (now_last,) = store.query_objects(q(ids=(a,), versions=(VERSION_LAST,)))
    assert now_last.version == rows[1].version
    first = rows[0]
    store.delete_versions(COL, a, [first.seq])
    (only,) = store.query_objects(q(ids=(a,), versions=(VERSION_FIRST,)))
    assert only.version == rows[1].version
    assert store.query_objects(q(ids=(a,), versions=(VERSION_LAST,)))[0].seq == only.seq
    assert store.delete_versions(COL, a, []) == []
    # a newer version after deletions is again the only "last"
    store.add_objects(COL, [obj(a, 20)])
    lasts = store.query_objects(q(ids=(a,), versions=(VERSION_LAST,)))
    assert [r.version for r in lasts] == [format_us(_us(T0 + timedelta(minutes=20)))]


def test_body_and_metadata_round_trip(store: SqliteStore) -> None:
    o = obj(ident(1))
    o = NewObject(**{**o.__dict__, "handling": {"tlp": "amber"}, "origins": ("identity--x",)})
    store.add_objects(COL, [o])
    (row,) = store.query_objects(q())
    assert row.body == o.body and row.sha256 == o.sha256
    assert row.handling == {"tlp": "amber"} and row.origins == ("identity--x",)
    assert [(r.id, r.version, r.sha256, w) for r, w in store.iter_versions()] == [
        (o.id, o.version, o.sha256, "")
    ]


def test_concurrent_writers_keep_seq_and_date_added_in_step(store: SqliteStore) -> None:
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for i in range(10):
                store.add_objects(COL, [obj(ident(k * 1000 + i * 10 + j)) for j in range(3)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = store.query_objects(q(limit=1000))
    assert len(rows) == 120
    stamps = [r.date_added_us for r in rows]
    assert stamps == sorted(stamps) and len(set(stamps)) == 40  # one per batch of three


def test_a_failed_batch_stores_nothing(store: SqliteStore) -> None:
    good = obj(ident(1))
    bad = NewObject(**{**obj(ident(2)).__dict__, "body": None})  # type: ignore[arg-type]
    with pytest.raises(LiaisonError):  # a constraint failure, wrapped
        store.add_objects(COL, [good, bad])
    assert store.count_objects() == 0


def test_database_files_are_owner_only(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        s = SqliteStore(tmp_path / "secret.db", create=True)
        s.migrate()
        s.add_collection(Collection(COL, "intel"))
        files = [p for p in tmp_path.iterdir() if p.name.startswith("secret.db")]
        assert {p.name for p in files} >= {"secret.db", "secret.db-wal"}
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
        s.close()
    finally:
        os.umask(old)


def test_shared_handling_and_provenance_are_stored_as_each_version_its_own(
    store: SqliteStore,
) -> None:
    """The versions of a batch may share one handling value (and provenance): each row
    holds the very text serialising its own gives, shared, equal or distinct."""
    shared = {"h": {"tlp": "green", "granular": []}, "topics": ["t"], "regions": []}
    handlings = [shared, dict(shared), {"h": {"tlp": "red"}, "topics": [], "regions": ["ML"]}]
    origins: list[object] = [(), ("identity--a",), ["identity--a"], ("identity--b", "x")]
    batch = [
        dataclasses.replace(
            obj(ident(i), i),
            handling=handlings[i % 3],
            origins=origins[i % 4],  # type: ignore[arg-type]
        )
        for i in range(24)
    ]
    store.add_objects(COL, batch)
    conn = store._connection()
    rows = dict(conn.execute("SELECT id, handling || '|' || origins FROM objects").fetchall())
    for o in batch:
        want = orjson.dumps(o.handling).decode() + "|" + orjson.dumps(list(o.origins)).decode()
        assert rows[o.id] == want


# --- object and owner rows in multi-row statements ------------------------------------
def test_a_large_batch_stores_every_row_in_order_with_its_owner(store: SqliteStore) -> None:
    """Rows go 32 a statement, the rest one by one: all of them, in seq order."""
    objs = [
        dataclasses.replace(obj(ident(i), i % 7), originator="" if i % 3 else "identity--p")
        for i in range(75)
    ]
    assert all(new for _, new in store.add_objects(COL, objs))
    rows = store.query_objects(q(limit=1000))
    assert [r.id for r in rows] == [o.id for o in objs]
    assert [r.body for r in rows] == [o.body for o in objs]
    assert [r.sha256 for r in rows] == [o.sha256 for o in objs]
    owners = store.owners([o.id for o in objs])
    assert owners == {o.id: o.originator for o in objs}


def test_a_row_the_unique_key_refuses_fails_the_whole_write(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a version already stored get past the look-up, the multi-row insert skips
    it, counts one row short and fails: nothing of the batch -- nor of ``within`` --
    stays."""
    objs = [obj(ident(i), 0) for i in range(40)]
    store.add_objects(COL, objs[5:6])
    monkeypatch.setattr(store, "_known_versions", lambda cur, cid, ids: ({}, {}))
    seen: list[object] = []
    with pytest.raises(StorageError, match="UNIQUE"):
        store.add_objects(COL, objs, within=seen.append)
    assert seen == []
    assert store.count_objects(COL) == 1


def test_bytes_bind_as_themselves() -> None:
    """``liaison.store.db`` registers ``bytes`` as its own adapter: a BLOB parameter is
    not sent through the protocol look-up (and its discarded AttributeError)."""
    import liaison.store.db  # noqa: F401  (the registration)

    assert sqlite3.adapters[(bytes, sqlite3.PrepareProtocol)] is bytes
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT typeof(?), ?", (b"\x00ab", b"\x00ab")).fetchone() == (
        "blob",
        b"\x00ab",
    )
