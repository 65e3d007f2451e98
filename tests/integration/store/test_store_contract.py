"""One contract, every backend: the same tests against SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import uuid

import orjson
import pytest

from liaison.db import Db
from liaison.errors import ConflictError, NotFoundError
from liaison.store import (
    VERSION_ALL,
    VERSION_FIRST,
    VERSION_LAST,
    Collection,
    NewObject,
    ObjectQuery,
    PartyRecord,
    Permission,
    StatusRecord,
    Store,
)

C = "c0ffee00-0000-4000-8000-000000000001"


def _obj(oid: str, version_us: int | None, n: int = 0) -> NewObject:
    body = orjson.dumps({"id": oid, "n": n, "v": version_us})
    return NewObject(
        id=oid,
        type=oid.split("--")[0],
        spec_version="2.1",
        version=None if version_us is None else f"v{version_us}",
        version_us=version_us,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        handling={"h": {}},
        origins=("identity--x",) if n % 2 else (),
        received_from="",
    )


def _ind(i: int) -> str:
    return f"indicator--{uuid.UUID(int=i)}"


@pytest.fixture
def coll(store: Store) -> str:
    store.add_collection(Collection(C, "default", "the default"))
    return C


def test_collections(store: Store, coll: str) -> None:
    assert [c.id for c in store.collections()] == [coll]
    assert store.collection(coll).title == "default"
    with pytest.raises(NotFoundError):
        store.collection("nope")
    with pytest.raises(ConflictError):
        store.add_collection(Collection(C, "again"))


def test_parties_and_permissions(store: Store, coll: str) -> None:
    p = PartyRecord(
        "MR", "identity--1", False, "h" * 64, permissions=(Permission(coll, True, False),)
    )
    store.add_party(p)
    got = store.party("MR")
    assert got.can_read(coll) and not got.can_write(coll)
    assert store.party_by_token_hash("h" * 64) == got
    assert store.party_by_token_hash("x" * 64) is None
    with pytest.raises(ConflictError):
        store.add_party(p)
    from dataclasses import replace

    store.update_party(replace(got, disabled=True, permissions=()))
    assert store.party("MR").disabled and not store.party("MR").can_read(coll)
    with pytest.raises(NotFoundError):
        store.party("nobody")


def test_versions_first_last_and_idempotency(store: Store, coll: str) -> None:
    oid = _ind(1)
    first = store.add_objects(coll, [_obj(oid, 200), _obj(oid, 100), _obj(oid, 300)])
    assert all(new for _, new in first)
    again = store.add_objects(coll, [_obj(oid, 200)])
    assert again == [(first[0][0], False)]  # same date_added, not new
    rows = store.object_versions(coll, oid)
    assert [r.version for r in rows] == ["v100", "v200", "v300"]
    last = store.query_objects(ObjectQuery(coll, versions=(VERSION_LAST,)))
    assert [r.version for r in last] == ["v300"]
    firsts = store.query_objects(ObjectQuery(coll, versions=(VERSION_FIRST,)))
    assert [r.version for r in firsts] == ["v100"]
    assert len(store.query_objects(ObjectQuery(coll, versions=(VERSION_ALL,)))) == 3
    # An old version arriving late never becomes the latest.
    store.add_objects(coll, [_obj(oid, 50)])
    assert [r.version for r in store.query_objects(ObjectQuery(coll))] == ["v300"]
    assert [
        r.version for r in store.query_objects(ObjectQuery(coll, versions=(VERSION_FIRST,)))
    ] == ["v50"]


def test_versionless_objects_are_idempotent(store: Store, coll: str) -> None:
    sco = f"ipv4-addr--{uuid.UUID(int=7)}"
    a = store.add_objects(coll, [_obj(sco, None)])
    b = store.add_objects(coll, [_obj(sco, None)])
    assert a[0][0] == b[0][0] and a[0][1] and not b[0][1]
    rows = store.query_objects(ObjectQuery(coll))
    assert rows[0].version == rows[0].date_added


def test_filters_and_pagination(store: Store, coll: str) -> None:
    store.add_objects(coll, [_obj(_ind(i), 1000 + i, i) for i in range(5)])
    store.add_objects(coll, [_obj(_ind(i), 1000 + i, i) for i in range(5, 25)])
    rows = store.query_objects(ObjectQuery(coll, limit=10))
    assert len(rows) == 10
    rest = store.query_objects(ObjectQuery(coll, after_seq=rows[-1].seq, limit=100))
    assert len(rest) == 15 and rest[0].seq > rows[-1].seq
    ids = store.query_objects(ObjectQuery(coll, ids=(_ind(3), _ind(4))))
    assert {r.id for r in ids} == {_ind(3), _ind(4)}
    assert store.query_objects(ObjectQuery(coll, types=("malware",))) == []
    cut = rows[4].date_added_us
    after = store.query_objects(ObjectQuery(coll, added_after_us=cut, limit=100))
    assert len(after) == 20
    assert store.query_objects(ObjectQuery(coll, version_us=(1003,), versions=("x",)))[
        0
    ].id == _ind(3)
    assert store.count_objects(coll) == 25
    assert {r.id for r in store.latest_by_ids([_ind(1), _ind(2)])} == {_ind(1), _ind(2)}
    assert store.query_objects(ObjectQuery(coll, ids=(_ind(1),)))[0].origins == ("identity--x",)


def test_latest_by_ids_takes_any_number_of_ids(store: Store, coll: str) -> None:
    # A page of reports can link to more ids than a driver binds in one statement
    # (PostgreSQL: 65,535 parameters); the ids go in chunks, the answer is the same.
    store.add_objects(coll, [_obj(_ind(i), 1000 + i, i) for i in range(0, 70_000, 7_000)])
    asked = [_ind(i) for i in range(70_000)]
    full = store.latest_by_ids(asked)
    assert [r.id for r in full] == [_ind(i) for i in range(0, 70_000, 7_000)]
    heads = store.latest_by_ids(asked, bodies=False)
    assert [(r.seq, r.handling, r.origins) for r in heads] == [
        (r.seq, r.handling, r.origins) for r in full
    ]
    assert all(r.body == b"" for r in heads) and all(r.body for r in full)


def test_latest_heads_answers_as_latest_by_ids_with_the_rows_in_hand(
    store: Store, coll: str
) -> None:
    other = "c0ffee00-0000-4000-8000-000000000002"
    store.add_collection(Collection(other, "other"))
    store.add_objects(coll, [_obj(_ind(i), 1000 + i, i) for i in range(6)])
    store.add_objects(other, [_obj(_ind(i), 2000 + i, i) for i in range(0, 6, 2)])  # newer
    store.add_objects(coll, [_obj(_ind(1), 5000, 1)])  # a newer version in the same one
    ids = [_ind(i) for i in range(8)]  # 6 and 7: never stored
    want = [(r.seq, r.id, r.collection_id, r.handling) for r in store.latest_by_ids(ids)]
    page = store.query_objects(ObjectQuery(coll, versions=(VERSION_ALL,)))  # every version
    have = {r.seq: r for r in page}
    got = store.latest_heads(ids, have)
    assert [(r.seq, r.id, r.collection_id, r.handling) for r in got] == want
    held = [r for r in got if r.seq in have]
    assert held and all(r is have[r.seq] for r in held)  # taken, not read again
    assert [r.seq for r in store.latest_heads(ids, {})] == [w[0] for w in want]
    # a row in hand that is no longer the latest of its id is not taken
    stale = next(r for r in page if r.id == _ind(1) and r.version_us == 1001)
    assert stale.seq not in {r.seq for r in store.latest_heads([_ind(1)], {stale.seq: stale})}


def test_date_added_strictly_increases_with_seq_under_concurrent_writers(
    store: Store, coll: str
) -> None:
    def writer(k: int) -> None:
        for j in range(10):
            store.add_objects(coll, [_obj(_ind(k * 1000 + j * 10 + i), 1, 0) for i in range(5)])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = store.query_objects(ObjectQuery(coll, limit=1000))
    assert len(rows) == 200
    stamps = [r.date_added_us for r in rows]
    # One stamp per batch of five, strictly increasing with seq across batches.
    assert stamps == sorted(stamps) and len(set(stamps)) == 40


def test_delete_versions_repairs_first_last(store: Store, coll: str) -> None:
    oid = _ind(9)
    store.add_objects(coll, [_obj(oid, 1), _obj(oid, 2), _obj(oid, 3)])
    rows = store.object_versions(coll, oid)
    gone = store.delete_versions(coll, oid, [rows[-1].seq])
    assert [(r.seq, r.version) for r in gone] == [(rows[-1].seq, "v3")]
    assert [r.version for r in store.query_objects(ObjectQuery(coll))] == ["v2"]


def test_within_runs_in_the_same_transaction(store: Store, coll: str) -> None:
    def boom(results: list[tuple[str, bool]]) -> None:
        raise RuntimeError("audit append failed")

    with pytest.raises(RuntimeError):
        store.add_objects(coll, [_obj(_ind(5), 1)], within=boom)
    assert store.count_objects(coll) == 0  # nothing half-written


def test_status_and_records(store: Store, coll: str) -> None:
    store.put_status(StatusRecord("s1", coll, "MR", {"a": 1}))
    assert store.status("s1").body == {"a": 1}
    with pytest.raises(NotFoundError):
        store.status("s2")
    g0 = store.generation(("agreement",))
    store.put_record("agreement", "a@1", {"x": 1})
    store.put_record("agreement", "a@1", {"x": 2})
    assert store.record("agreement", "a@1") == {"x": 2}
    assert store.records("agreement") == [("a@1", {"x": 2})]
    assert store.generation(("agreement",)) > g0
    assert store.delete_record("agreement", "a@1")
    assert store.record("agreement", "a@1") is None


def _commit_waits(store: Store, db: Db) -> bool:
    """Whether a commit on this connection now would wait for the disk."""
    if store.placeholder == "?":
        return int(db.execute("PRAGMA synchronous").fetchone()[0]) >= 2
    return db.execute("SELECT current_setting('synchronous_commit')").fetchone()[0] != "off"


def test_a_status_commits_without_waiting_for_the_disk_and_the_objects_still_do(
    store: Store, coll: str
) -> None:
    """A status resource is written without an fsync (the client holds it already;
    issue #15: one fsync a POST less) -- in that transaction only: the connection's
    next write, an object's, waits for the disk again, and so flushes the status."""
    seen: list[bool] = []
    with store._write(ordered=False, flush=False) as cur, store.connection() as db:
        cur.execute(store._sql("SELECT 1"))
        seen.append(_commit_waits(store, db))
    store.put_status(StatusRecord("s1", coll, "MR", {"a": 1}))
    assert store.status("s1").body == {"a": 1}

    def inside(results: list[tuple[str, bool]]) -> None:
        with store.connection() as db:
            seen.append(_commit_waits(store, db))

    store.add_objects(coll, [_obj(_ind(6), 1)], within=inside)
    assert seen == [False, True]
    assert store.count_objects(coll) == 1


def test_migrations_are_idempotent(store: Store) -> None:
    v = store.schema_version()
    assert v >= 1 and store.pending_migrations() == []
    assert store.migrate() == []
    assert store.schema_version() == v


def test_full_text_search_folds_and_ranks(store: Store, coll: str) -> None:
    from dataclasses import replace

    from liaison.service.search import fold, query_terms

    texts = {
        1: "Saïd Chanegriha, chef d'état-major de l'ANP",
        2: "الفريق أول سعيد شنقريحة",
        3: "Convoy near Bordj Badji Mokhtar",
    }
    store.add_objects(
        coll, [replace(_obj(_ind(i), 1, i), search_text=fold(t)) for i, t in texts.items()]
    )
    other = "c0ffee00-0000-4000-8000-000000000002"
    store.add_collection(Collection(other, "other"))
    store.add_objects(other, [replace(_obj(_ind(9), 1), search_text=fold("Chanegriha"))])

    def ids(q: str, colls: list[str] | None = None) -> set[str]:
        rows = store.search(colls or [coll], query_terms(q), limit=10)
        return {r.id for r in rows}

    assert ids("chanegriha") == {_ind(1)}
    assert ids("SAID CHANEGRIHA") == {_ind(1)}  # diacritics and case folded
    assert ids("etat-major") == {_ind(1)}
    assert ids("سعيد") == {_ind(2)}
    assert ids("شنقريحه") == {_ind(2)}  # ta marbuta folded
    assert ids("bordj mokhtar") == {_ind(3)}
    assert ids("bordj nowhere") == set()
    assert ids("chanegriha", [coll, other]) == {_ind(1), _ind(9)}


def test_a_batch_of_new_ids_stores_what_the_general_path_stores(store: Store, coll: str) -> None:
    """A batch whose ids are all new to the collection, none twice, takes a shorter path
    in ``add_objects``: the rows, results and owners are those the general path makes
    (here made to run by the same batch with one version posted twice)."""
    other = "c0ffee00-0000-4000-8000-000000000002"
    store.add_collection(Collection(other, "other", ""))
    ids = [f"indicator--{uuid.uuid4()}" for _ in range(39)]  # new to the owners too
    batch = [_obj(oid, None if i % 4 == 0 else 1_000 + i, n=i) for i, oid in enumerate(ids)]
    batch[5] = NewObject(**{**vars(batch[5]), "origins": ["identity--y"], "originator": "z"})
    fast = store.add_objects(coll, batch)
    general = store.add_objects(other, [*batch, batch[3]])
    assert [new for _, new in fast] == [True] * len(batch)
    assert [new for _, new in general] == [True] * len(batch) + [False]
    assert len({d for d, _ in fast}) == len({d for d, _ in general}) == 1

    def rows(cid: str, date_added: str) -> list[tuple[object, ...]]:
        got = store.query_objects(ObjectQuery(cid, versions=(VERSION_ALL,), limit=1000))
        return [
            (
                r.id, r.type, r.spec_version, r.version_us if r.version != date_added else None,
                r.version if r.version != date_added else "date_added", r.date_added == date_added,
                bytes(r.body), r.sha256, r.handling, r.origins, r.received_from,
            )
            for r in got
        ]  # fmt: skip

    assert rows(coll, fast[0][0]) == rows(other, general[0][0])
    for cid in (coll, other):
        firsts = store.query_objects(ObjectQuery(cid, versions=(VERSION_FIRST,), limit=1000))
        lasts = store.query_objects(ObjectQuery(cid, versions=(VERSION_LAST,), limit=1000))
        assert len(firsts) == len(lasts) == len(batch)
    assert store.owners([o.id for o in batch]) == {o.id: o.originator for o in batch}


def test_an_owner_is_kept_and_outlives_the_rows(store: Store, coll: str) -> None:
    """The originator of an id: this node ('') or another party's; a later version
    claimed by someone else leaves it, and so does deleting every row of the id. (On
    SQLite this node's ids have no ``owners`` row: they are the ids held without one.)"""
    mine, theirs, other = _ind(9001), _ind(9002), _ind(9003)
    before = store.owner_count()

    def by(obj: NewObject, originator: str) -> NewObject:
        return NewObject(**{**vars(obj), "originator": originator})

    store.add_objects(coll, [_obj(mine, 1_000), by(_obj(theirs, 1_000), "identity--p")])
    assert store.owners([mine, theirs, other]) == {mine: "", theirs: "identity--p"}
    # versions said to be another's (admission refuses them; the store keeps the owner)
    store.add_objects(coll, [by(_obj(mine, 2_000), "identity--q"), _obj(theirs, 2_000)])
    store.add_objects(coll, [by(_obj(other, 1_000), "identity--q"), by(_obj(mine, 3_000), "z")])
    assert store.owners([mine, theirs, other]) == {
        mine: "",
        theirs: "identity--p",
        other: "identity--q",
    }
    assert store.owner_count() == before + 3
    for oid in (mine, theirs, other):
        seqs = [r.seq for r in store.object_versions(coll, oid)]
        assert store.delete_versions(coll, oid, seqs)
    assert store.owners([mine, theirs, other]) == {
        mine: "",
        theirs: "identity--p",
        other: "identity--q",
    }
    assert store.owner_count() == before + 3
    # an id deleted is not taken by the next to store it
    store.add_objects(coll, [by(_obj(mine, 4_000), "identity--q")])
    assert store.owners([mine]) == {mine: ""}
