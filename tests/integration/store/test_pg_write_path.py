"""PostgreSQL's bulk write path (issue #15): COPY, and the writers' lock across processes.

New object rows go in by binary COPY, plain multi-row inserts of the audit log by text
COPY, and the full-text index is built after the storing transaction. These tests hold
the path to what the per-row statements guaranteed: every byte back as written, the
same rows and flags as SQLite for the same calls, all or nothing, and -- with two
processes writing at once -- ``seq`` order = commit order, so that a reader paging by
``seq`` never skips a row.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from liaison.audit import AuditLog
from liaison.audit.entry import AuditEntry, ObjectRef
from liaison.errors import StorageError
from liaison.service.search import fold, query_terms
from liaison.signing import SigningKey
from liaison.store import VERSION_ALL, Collection, NewObject, ObjectQuery, SqliteStore, Store
from liaison.store.db import _copy_of
from liaison.store.objects import ObjectStore
from liaison.store.postgres import _OBJECT_COLUMNS, PostgresStore

C = "c0ffee00-0000-4000-8000-0000000000bb"


def _clean(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture
def pg(pg_database: str) -> Iterator[PostgresStore]:
    _clean(pg_database)
    s = PostgresStore(pg_database)
    s.migrate()
    s.add_collection(Collection(C, "c"))
    yield s
    s.close()


def _obj(
    i: int, version: int = 1, *, body: bytes | None = None, text: str = "", **kw: Any
) -> NewObject:
    oid = f"report--{uuid.UUID(int=i)}"
    if body is None:
        body = orjson.dumps({"id": oid, "type": "report", "n": i, "v": version})
    return NewObject(
        id=oid,
        type="report",
        spec_version="2.1",
        version=f"2026-01-01T00:00:{version:02d}.000000Z",
        version_us=1_767_225_600_000_000 + version * 1_000_000,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        handling=kw.pop("handling", {"h": {"tlp": "green"}}),
        origins=kw.pop("origins", ()),
        received_from=kw.pop("received_from", ""),
        search_text=fold(text) if text else "",
        **kw,
    )


def _rows(store: Store) -> list[tuple[Any, ...]]:
    """What a store holds, without what differs by backend or moment (seq, date_added)."""
    out = []
    for r in store.query_objects(ObjectQuery(C, versions=(VERSION_ALL,), limit=100_000)):
        out.append((r.id, r.version, r.version_us, r.body, r.sha256, r.handling, r.origins))
    flags = {}
    with store._read() as cur:
        cur.execute("SELECT id, version_us, is_first, is_last FROM objects")
        for oid, v, first, last in cur.fetchall():
            flags[(oid, int(v))] = (int(first), int(last))
    return sorted((*r, flags[(r[0], r[2])]) for r in out)


def _count(store: Store, table: str) -> int:
    with store._read() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cur.fetchone()[0])


# --- COPY keeps every byte -----------------------------------------------------------------
ODD_TEXT = 'Katiba\tMacina\\n \\\\ "quoted" \r\n line\x00end كتيبة ماسينا 🛰 e\u0301 \u2028'


def test_copied_object_rows_keep_every_byte(pg: PostgresStore) -> None:
    odd_bodies = [
        orjson.dumps({"id": f"report--{uuid.UUID(int=1)}", "name": ODD_TEXT}),  # \u0000 escaped
        b'{"a":"\\\\N"}\t\n\\.\n\x00\xff\xfe\x80',  # COPY's markers, NUL, bytes not UTF-8
        b"\\N",
    ]
    objs = [
        _obj(i + 1, body=b, text=ODD_TEXT, handling={"h": {"note": ODD_TEXT}}, origins=("x\\y",))
        for i, b in enumerate(odd_bodies)
    ]
    pg.add_objects(C, objs)
    back = {r.id: r for r in pg.query_objects(ObjectQuery(C, versions=(VERSION_ALL,)))}
    assert len(back) == 3
    for o in objs:
        r = back[o.id]
        assert r.body == o.body
        assert hashlib.sha256(r.body).hexdigest() == r.sha256 == o.sha256
        assert r.handling == {"h": {"note": ODD_TEXT}}  # JSON text: the NUL escaped
        assert r.origins == ("x\\y",)
    # The search text held no NUL for PostgreSQL: the words around it are still words.
    found = {r.id for r in pg.search([C], query_terms("line end macina"), limit=10)}
    assert found == {o.id for o in objs}


def test_large_bodies_go_out_of_line_with_lz4_and_come_back_whole(pg: PostgresStore) -> None:
    """Pool connections write TOAST with lz4 (cheaper than pglz for the backend): the
    bytes read back are the bytes written, compressible or not."""
    big = [
        orjson.dumps({"id": f"report--{uuid.UUID(int=1)}", "description": "Katiba " * 2000}),
        bytes(range(256)) * 40,  # barely compressible
    ]
    objs = [_obj(i + 1, body=b, text="Katiba " * 2000) for i, b in enumerate(big)]
    pg.add_objects(C, objs)
    back = {r.id: r.body for r in pg.query_objects(ObjectQuery(C, versions=(VERSION_ALL,)))}
    assert back == {o.id: o.body for o in objs}
    with pg._read() as cur:
        cur.execute("SHOW default_toast_compression")
        if cur.fetchone()[0] != "lz4":
            pytest.skip("this PostgreSQL server has no lz4")
        cur.execute("SELECT pg_column_compression(body) FROM objects WHERE id = %s", (objs[0].id,))
        assert cur.fetchone()[0] == "lz4"


def test_audit_rows_copied_verify(pg: PostgresStore) -> None:
    key = SigningKey.generate()
    body = b"x"
    ref = ObjectRef(f"report--{uuid.UUID(int=5)}", "2026", hashlib.sha256(body).hexdigest())
    entries = [
        AuditEntry("object.created", f"actor\\{i}\t\n{ODD_TEXT.replace(chr(0), '')}", (ref,))
        for i in range(700)
    ]
    entries.append(AuditEntry("read.denied", "plain", details={"why": ODD_TEXT}))
    with pg.connection() as db:
        log = AuditLog(db, key)
        seqs = log.append_many(entries)
        seqs2 = log.append_many(entries[:3])
    assert (seqs, seqs2) == (range(0, 701), range(701, 704))
    with pg.connection() as db:
        log = AuditLog(db)
        report = log.verify(key.public_key_b64)
        assert report.ok, report.problems
        assert log.record(7).entry.actor == entries[7].actor
        assert log.record(700).entry.details == {"why": ODD_TEXT}
        assert [r.seq for r in log.query(object_id=ref.id, limit=5)] == [0, 1, 2, 3, 4]


def test_only_plain_inserts_become_copies() -> None:
    assert _copy_of("INSERT INTO audit_refs (ref, seq) VALUES (?, ?)") == (
        "COPY audit_refs (ref, seq) FROM STDIN"
    )
    for sql in (
        "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING",
        "INSERT INTO t (a) VALUES (?) RETURNING a",
        "INSERT INTO t (a, b) VALUES (?, 1)",
        "INSERT INTO t (a, b) VALUES (?)",
        "UPDATE t SET a = ?",
    ):
        assert _copy_of(sql) is None, sql


def test_the_copy_columns_are_the_insert_columns() -> None:
    insert = ObjectStore._INSERT_OBJECT
    names = insert[insert.index("(") + 1 : insert.index(")")].replace(" ", "").split(",")
    assert [c for c, _ in _OBJECT_COLUMNS] == names


# --- the same rows as SQLite, in large batches ----------------------------------------------
def test_large_batches_store_what_sqlite_stores(pg: PostgresStore, tmp_path: Path) -> None:
    lite = SqliteStore(tmp_path / "oracle.db", create=True)
    lite.migrate()
    lite.add_collection(Collection(C, "c"))
    first = [_obj(i, 2, text=f"rapport {i}") for i in range(3000)]
    # new versions (later and earlier) of stored ids, repeats, and two versions of one
    # id in the same batch: each flushes the COPY buffer before the flags are updated
    second = [_obj(i, 3) for i in range(0, 3000, 3)]
    second += [_obj(i, 1) for i in range(1, 3000, 3)]
    second += [_obj(i, 2) for i in range(2, 3000, 3)]
    second += [_obj(5000, 1), _obj(5000, 4), _obj(5000, 2)]
    for store in (pg, lite):
        a = store.add_objects(C, first)
        b = store.add_objects(C, second)
        assert [new for _, new in a] == [True] * 3000
        assert [new for _, new in b] == [i < 2000 or i >= 3000 for i in range(len(second))]
    assert _rows(pg) == _rows(lite)
    assert _count(pg, "objects") == 3000 + 2000 + 3
    assert pg.owner_count() == lite.owner_count() == 3001
    lite.close()


# --- all or nothing --------------------------------------------------------------------------
def test_a_failed_batch_leaves_nothing(pg: PostgresStore) -> None:
    pg.add_objects(C, [_obj(1)])
    before = {t: _count(pg, t) for t in ("objects", "owners", "audit_entries", "objects_fts")}

    def audit_then_fail(_: list[tuple[str, bool]]) -> None:
        with pg.connection() as db:
            AuditLog(db).append_many([AuditEntry("read.denied", "a") for _ in range(50)])
            db.execute("INSERT INTO no_such_table (x) VALUES (1)")

    batch = [_obj(i, text="perdu") for i in range(2, 1200)] + [_obj(1, 2)]
    with pytest.raises(StorageError):
        pg.add_objects(C, batch, within=audit_then_fail)

    def fail(_: list[tuple[str, bool]]) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        pg.add_objects(C, batch, within=fail)
    assert {t: _count(pg, t) for t in before} == before
    assert pg.search([C], query_terms("perdu"), limit=5) == []
    assert [r.version for r in pg.object_versions(C, _obj(1).id)] == [_obj(1).version]
    # and the store still takes the same batch afterwards
    assert all(new for _, new in pg.add_objects(C, batch))
    assert _count(pg, "objects") == before["objects"] + len(batch)


# --- two processes: seq order is commit order ----------------------------------------------
def _writer(url: str, seed: str, base: int, batches: int, size: int, start: Any) -> None:
    store = PostgresStore(url, max_size=2)
    key = SigningKey.from_seed_b64(seed)
    start.wait()
    for b in range(batches):
        objs = [_obj(base + b * size + i, text="ordre") for i in range(size)]

        def audit(res: list[tuple[str, bool]], objs: list[NewObject] = objs) -> None:
            with store.connection() as db:
                refs = [ObjectRef(o.id, o.version, o.sha256) for o in objs]
                AuditLog(db, key).append_many(
                    [AuditEntry("object.created", "w", (r,)) for r in refs]
                )

        store.add_objects(C, objs, within=audit)
    store.close()


def test_two_writer_processes_commit_in_seq_order(pg: PostgresStore) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    key = SigningKey.generate()
    batches, size = 30, 40
    procs = [
        ctx.Process(target=_writer, args=(pg.url, key.seed_b64(), base, batches, size, start))
        for base in (100_000, 200_000)
    ]
    for p in procs:
        p.start()
    start.set()
    seen: list[int] = []  # a reader paging by seq while they write, as TAXII readers do
    after = 0
    while True:
        running = any(p.is_alive() for p in procs)
        page = pg.query_objects(ObjectQuery(C, versions=(VERSION_ALL,), after_seq=after, limit=25))
        seen += [r.seq for r in page]
        after = page[-1].seq if page else after
        if not page and not running:
            break
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with pg._read() as cur:
        cur.execute("SELECT seq, date_added_us FROM objects ORDER BY seq")
        stored = [(int(s), int(d)) for s, d in cur.fetchall()]
    assert len(stored) == 2 * batches * size
    assert seen == [s for s, _ in stored]  # nothing skipped, nothing twice
    stamps = [d for _, d in stored]
    assert stamps == sorted(stamps)  # date_added grows with seq
    with pg.connection() as db:  # two processes appended: positions 0..n-1, one tree
        report = AuditLog(db).verify(key.public_key_b64)
    assert report.ok, report.problems
    assert report.size == 2 * batches * size and report.heads_checked == 2 * batches
    assert len(pg.search([C], query_terms("ordre"), limit=5000)) == 2 * batches * size


# --- the search index is built after the storing transaction --------------------------------
def test_storing_leaves_the_index_to_the_indexer(pg: PostgresStore) -> None:
    pg.add_objects(C, [_obj(1, text="Katiba Macina"), _obj(2, text="convoi vers Gao")])
    assert pg.search_backlog() == 2 and _count(pg, "objects_fts") == 0
    assert pg.index_search(limit=1) == 1 and pg.search_backlog() == 1
    assert {r.id for r in pg.search([C], query_terms("gao"), limit=5)} == {_obj(2).id}
    assert pg.search_backlog() == 1 and _count(pg, "objects_fts") == 1  # a read: no write
    assert pg.index_search() == 1
    assert pg.search_backlog() == 0 and _count(pg, "objects_fts") == 2
    assert {r.id for r in pg.search([C], query_terms("gao"), limit=5)} == {_obj(2).id}
    rows = pg.query_objects(ObjectQuery(C, ids=(_obj(1).id,), versions=(VERSION_ALL,)))
    pg.delete_versions(C, _obj(1).id, [r.seq for r in rows])
    assert _count(pg, "objects_fts") == 1  # the document left with its row
    pg.redate(_obj(2).id)
    assert pg.search_backlog() == 1
    assert {r.id for r in pg.search([C], query_terms("convoi"), limit=5)} == {_obj(2).id}
    assert _count(pg, "objects_fts") == 0  # found past the watermark, nothing written
    pg.catch_up_search()
    assert _count(pg, "objects_fts") == 1


def test_a_step_never_indexes_a_row_a_writer_is_removing(
    pg: PostgresStore, pg_database: str
) -> None:
    """No foreign key stops a document of a row deleted meanwhile since migration 14:
    a step waits for a remover (the removers' lock, shared), then no longer sees the
    row; and a delete after a step takes the step's documents with it (the trigger)."""
    import threading

    from liaison.store.postgres import _REMOVE_LOCK

    pg.add_objects(C, [_obj(1, text="Katiba Macina"), _obj(2, text="convoi vers Gao")])
    seq = pg.query_objects(ObjectQuery(C, ids=(_obj(1).id,), versions=(VERSION_ALL,)))[0].seq
    with psycopg.connect(pg_database) as remover:  # a writer midway through a delete
        remover.execute("SELECT pg_advisory_xact_lock(%s)", (_REMOVE_LOCK,))
        remover.execute("DELETE FROM objects WHERE seq = %s", (seq,))
        done: list[int] = []
        step = threading.Thread(target=lambda: done.append(pg.index_search()))
        step.start()
        step.join(timeout=1.0)
        assert step.is_alive() and not done  # it waits for the remover
        remover.commit()
    step.join(timeout=30)
    assert done == [1] and _count(pg, "objects_fts") == 1  # the deleted row: no document
    with pg._read() as cur:
        cur.execute("SELECT COUNT(*) FROM pg_constraint WHERE conname = 'objects_fts_seq_fkey'")
        assert cur.fetchone()[0] == 0
    pg.redate(_obj(2).id)  # its document leaves with the old row
    assert _count(pg, "objects_fts") == 0 and pg.search_backlog() == 1


def test_rows_without_text_get_no_document_and_searches_find_the_same(
    pg: PostgresStore,
) -> None:
    """The indexer writes no document for a row without text (issue #15): an empty
    ``tsvector`` matches no query. Proof on a mixed store: every query -- words, a
    stem, a stop word, an underscore (no lexeme at all), several words -- answers the
    same rows in the same order, by relevance and newest first, as once the empty
    documents the indexer used to write are added."""
    texts = [
        "Katiba Macina attaque un convoi",
        "",
        "the convoys were attacked near Gao",
        "",
        "le réseau de Macina",
        "",
        "attacks attaque attacked",
        "",
    ]
    pg.add_objects(C, [_obj(i + 1, text=t) for i, t in enumerate(texts)])
    assert pg.index_search(limit=3) == 3  # the rows passed, with text or not
    pg.catch_up_search()
    assert pg.search_backlog() == 0 and _count(pg, "objects_fts") == 4
    queries = ["macina", "attaque", "attack", "convoi", "the", "le", "_", "macina réseau", "gao"]

    def answers() -> list[list[str]]:
        return [
            [r.id for r in pg.search([C], query_terms(q), limit=50, recent=recent)]
            for q in queries
            for recent in (False, True)
        ]

    found = answers()
    assert any(found) and not all(found)
    with pg.connection() as db:  # what the indexer used to write for them
        db.execute(
            "INSERT INTO objects_fts (seq, search) SELECT seq, to_tsvector('simple', search_text)"
            " FROM objects WHERE search_text = ''"
        )
    assert _count(pg, "objects_fts") == 8
    assert answers() == found


def test_the_index_step_keeps_its_plans_with_sequential_scans_discouraged(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each document checks its row's foreign key, a query PostgreSQL keeps prepared:
    the pool's ``force_custom_plan`` planned it again for every row (issue #15). The
    step's transaction lets plans be kept, made with sequential scans discouraged (a
    kept plan is an index probe whatever the table's size when it was made); the
    setting ends with the step, and the documents are those of the rows."""
    seen: list[tuple[str, str]] = []
    execute = psycopg.Cursor.execute

    def traced(self: psycopg.Cursor[Any], query: Any, params: Any = None, **kw: Any) -> Any:
        if str(query).startswith("WITH step AS"):
            row = execute(
                self,
                "SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')",
            ).fetchone()
            seen.append((str(row[0]), str(row[1])))
        return execute(self, query, params, **kw)

    pg.add_objects(C, [_obj(i, text=f"convoi {i}") for i in range(1, 41)])
    monkeypatch.setattr(psycopg.Cursor, "execute", traced)
    while pg.index_search(limit=7):
        pass
    monkeypatch.undo()
    assert seen and set(seen) == {("auto", "off")}
    with pg._read() as cur:  # a later transaction on the pool: the pool's own settings
        cur.execute("SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')")
        assert cur.fetchone() == ("force_custom_plan", "on")
    assert _count(pg, "objects_fts") == 40
    assert len(pg.search([C], query_terms("convoi"), limit=100)) == 40


def _store_before(pg_database: str, version: int) -> PostgresStore:
    """A fresh store on ``pg_database`` holding the migrations before ``version`` only
    (the rest pending, as on a database of an older release), with collection C."""
    from liaison.store import postgres

    _clean(pg_database)
    store = PostgresStore(pg_database)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store, "_migrations", lambda: [m for m in postgres.MIGRATIONS if m[0] < version])
        store.migrate()
    store.add_collection(Collection(C, "c"))
    return store


def test_an_upgraded_database_keeps_what_its_generated_column_indexed(pg_database: str) -> None:
    old = _store_before(pg_database, 10)
    old.add_objects(C, [_obj(1, text="Jama'at Nusrat al-Islam"), _obj(2, text="Ségou")])
    assert old.migrate() == [10, 11, 12, 13, 14]
    assert old.search_backlog() == 0 and _count(old, "objects_fts") == 2
    old.add_objects(C, [_obj(3, text="Nusrat wa al-Muslimin")])
    assert {r.id for r in old.search([C], query_terms("nusrat"), limit=5)} == {
        _obj(1).id,
        _obj(3).id,
    }
    with old._read() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.columns"
            " WHERE table_name = 'objects' AND column_name = 'search'"
        )
        assert cur.fetchone()[0] == 0
    old.close()


def test_migration_13_rewrites_the_stemmed_documents(pg_database: str) -> None:
    """Documents indexed before migration 13 held French and English stems too: the
    migration writes each again of its words alone, so that a row indexed before it
    and one indexed after answer the same queries (and SQLite's answers)."""
    old = _store_before(pg_database, 13)
    old.add_objects(C, [_obj(1, text="the convoys were attacked"), _obj(2, text="")])
    with old.connection() as db:  # what the indexer wrote before migration 13
        db.execute(
            "INSERT INTO objects_fts (seq, search) SELECT seq, to_tsvector('simple', search_text)"
            " || to_tsvector('french', search_text) || to_tsvector('english', search_text)"
            " FROM objects WHERE search_text <> ''"
        )
        db.execute("UPDATE search_indexed SET seq = (SELECT MAX(seq) FROM objects)")
    stems = len(old.search([C], ["attack"], limit=5))
    assert stems == 1  # found by its English stem, before
    assert old.migrate() == [13, 14]
    assert old.search_backlog() == 0 and _count(old, "objects_fts") == 1
    old.add_objects(C, [_obj(3, text="an attack on the convoy")])
    old.catch_up_search()
    assert {r.id for r in old.search([C], ["attack"], limit=5)} == {_obj(3).id}
    assert {r.id for r in old.search([C], ["attacked"], limit=5)} == {_obj(1).id}
    assert {r.id for r in old.search([C], ["the"], limit=5)} == {_obj(1).id, _obj(3).id}
    with old._read() as cur:  # the GIN index is back
        cur.execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'objects_fts_search'")
        assert cur.fetchone()[0] == 1
    old.close()


# --- NUL: PostgreSQL text holds none ---------------------------------------------------------
def test_insert_ids_answers_as_one_insert_a_row_on_both_backends(
    pg: PostgresStore, tmp_path: Path
) -> None:
    """``Db.insert_ids`` (the correlator's new spellings, one statement on PostgreSQL):
    the id of each row in order, numbered in that order, None for a row that conflicts
    with a stored one or an earlier one -- a NUL made U+FFFD included -- as SQLite's
    one ``INSERT … RETURNING`` a row answers."""
    lite = SqliteStore(tmp_path / "s.db", create=True)
    lite.migrate()
    answers = []
    for store in (pg, lite):
        with store.connection() as db:
            first = db.insert_ids("corr_spelling", ("kind", "name"), [("name", "Macina")])
            rows = [
                ("name", "Gao"),
                ("name", "Macina"),
                ("org", "Macina"),
                ("name", "Gao"),
                ("name", "Ka\x00tiba"),
                ("name", "Ka\ufffdtiba"),
                ("place", "Ménaka"),
            ]
            ids = db.insert_ids("corr_spelling", ("kind", "name"), rows)
            assert db.insert_ids("corr_spelling", ("kind", "name"), []) == []
            stored = db.execute("SELECT id, kind, name FROM corr_spelling ORDER BY id").fetchall()
        assert first[0] is not None
        answers.append(([None if i is None else i - first[0] for i in ids], len(stored)))
    lite.close()
    pg_ids, lite_ids = answers[0][0], answers[1][0]
    assert lite_ids == [1, None, 2, None, 3, 4, 5]
    # The same spelling once PostgreSQL holds the NUL as U+FFFD; and a row that
    # conflicts uses up a value of the identity there (as one INSERT a row did).
    assert [i is None for i in pg_ids] == [False, True, False, True, False, True, False]
    new = [i for i in pg_ids if i is not None]
    assert new == sorted(new) and len(set(new)) == 4
    assert answers[0][1] == 5 and answers[1][1] == 6


def test_a_nul_in_a_parameter_is_written_and_looked_up_alike(pg: PostgresStore) -> None:
    with pg.connection() as db:
        db.execute("INSERT INTO corr_spelling (kind, name) VALUES (?, ?)", ("name", "Ka\x00tiba"))
        db.executemany(  # a plain insert: COPY
            "INSERT INTO records (kind, key, data) VALUES (?, ?, ?)", [("k", "a\x00b", "{}")]
        )
    with pg.connection() as db:
        found = db.execute(
            "SELECT name FROM corr_spelling WHERE name = ?", ("Ka\x00tiba",)
        ).fetchall()
        keys = db.execute("SELECT key FROM records WHERE kind = 'k'").fetchall()
    assert [tuple(r) for r in found] == [("Ka\ufffdtiba",)]
    assert [tuple(r) for r in keys] == [("a\ufffdb",)]


@pytest.mark.parametrize(
    "names",
    [
        ("Katiba\x00 Macina", "Katiba\x00 Macina"),
        # One spelling in PostgreSQL (NUL is kept as U+FFFD), two names in one batch.
        ("Katiba\x00 Macina", "Katiba\ufffd Macina"),
    ],
)
def test_a_partner_name_with_a_nul_is_stored_and_correlated(
    pg_database: str, tmp_path: Path, names: tuple[str, str]
) -> None:
    from liaison.node import Node
    from liaison.service import build_exchange
    from liaison.service.correlations import catch_up, correlations

    _clean(pg_database)
    node = Node.init(tmp_path / "n", org="DZ", country="DZ", store=pg_database)
    try:
        node.add_party("analyst", internal=True)
        party = next(p for p in node.store.parties() if p.name == "analyst")
        actors = [
            {
                "type": "threat-actor",
                "spec_version": "2.1",
                "id": f"threat-actor--00000000-0000-4000-8000-00000000000{i}",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": name,
            }
            for i, name in enumerate(names)
        ]
        exchange = build_exchange(node)
        exchange.correlator = None  # correlated here, by the reader's catch-up
        result = exchange.receive(party, node.default_collection_id, actors)
        assert len(result.successes) == 2 and not result.failures
        assert catch_up(node) == 2
        assert node.store.correlation_backlog() == 0
        pairs = {(c["object_a"], c["object_b"]) for c in correlations(node, None)}
        assert (actors[0]["id"], actors[1]["id"]) in pairs
    finally:
        node.close()


def test_correlators_of_two_processes_take_turns(pg: PostgresStore) -> None:
    """One process's correlator has the turn: another's is refused it when it would
    rather leave the rows (``wait=False``, ``serve``'s child), waits for it otherwise,
    and gets it as soon as the first lets go -- or dies (its session ends)."""
    import threading
    import time

    other = PostgresStore(pg.url)  # another process: a connection of its own
    try:
        with pg.correlator_turn() as mine:
            assert mine
            with other.correlator_turn(wait=False) as theirs:
                assert not theirs
            got: list[float] = []

            def waiter() -> None:
                with other.correlator_turn() as theirs:
                    got.append(time.monotonic() if theirs else -1.0)

            thread = threading.Thread(target=waiter)
            thread.start()
            time.sleep(0.3)
            assert got == []  # still waiting
            released = time.monotonic()
        thread.join(timeout=10)
        assert got and got[0] >= released
        with pg.correlator_turn(wait=False) as mine:  # and back: nobody holds it now
            assert mine
            pg._turn_conn.close()  # as if the process died: its session ends
            deadline = time.monotonic() + 10  # (the server notices at once, or nearly)
            while True:
                with other.correlator_turn(wait=False) as theirs:
                    if theirs or time.monotonic() > deadline:
                        break
                time.sleep(0.05)
            assert theirs
        with pg.correlator_turn(wait=False) as mine:  # a new session of its own
            assert mine
    finally:
        other.close()


def test_derived_writers_commit_without_waiting_for_the_flush(pg_database: str) -> None:
    """A thread that writes derived data only (``derived_writer``) commits without
    waiting for the WAL flush -- in its own transactions, and no other: the pool's
    connection it used next serves a durable write. Its batches (unordered) keep their
    plans, made without sequential scans; every other transaction plans afresh."""
    import threading

    _clean(pg_database)
    store = PostgresStore(pg_database, min_size=1, max_size=1)  # one connection for all
    settings = "current_setting('synchronous_commit') || ' ' || current_setting('plan_cache_mode')"
    settings += " || ' ' || current_setting('enable_seqscan')"
    try:
        store.migrate()
        seen: dict[str, str] = {}

        def derived() -> None:
            store.derived_writer()
            for ordered in (True, False):
                with store._write(ordered=ordered) as cur:
                    cur.execute(f"SELECT {settings}")
                    seen[f"derived {ordered}"] = cur.fetchone()[0]

        thread = threading.Thread(target=derived)
        thread.start()
        thread.join(timeout=30)
        for ordered in (True, False):
            with store._write(ordered=ordered) as cur:
                cur.execute(f"SELECT {settings}")
                seen[f"durable {ordered}"] = cur.fetchone()[0]
    finally:
        store.close()
    assert seen == {
        "derived True": "off force_custom_plan on",
        "derived False": "off auto off",
        "durable True": "on force_custom_plan on",
        "durable False": "on force_custom_plan on",
    }


def test_lookups_by_id_probe_indexes_before_any_analyze(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that grew fast has no statistics yet (autovacuum has not come by): the
    lookups of a store's write path -- the ids held, their owners, the versions held in
    the collection -- still probe an index an id, never scan the table (issue #15: at
    100,000 rows they cost 50, 22 and 8 ms an envelope, growing with the store)."""
    for k in range(6):
        pg.add_objects(C, [_obj(k * 1000 + i) for i in range(1000)])
    ids = [f"report--{uuid.UUID(int=i)}" for i in range(0, 6000, 13)] + ["report--nope"]
    sent: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def traced(self: psycopg.Cursor[Any], query: Any, params: Any = None, **kw: Any) -> Any:
        sent.append((str(query), params))
        return execute(self, query, params, **kw)

    monkeypatch.setattr(psycopg.Cursor, "execute", traced)
    held = pg.held_versions(ids)
    owners = pg.owners(ids)
    with pg._write() as cur:
        known, span = pg._known_versions(cur, C, ids)
    monkeypatch.undo()
    assert set(held) == set(owners) == {i for i in ids if i != "report--nope"}
    assert {k[0] for k in known} == set(span) == set(held)
    lookups = [(q, p) for q, p in sent if "FROM objects" in q or "FROM owners" in q]
    assert len(lookups) == 3
    with psycopg.connect(pg.url) as conn:
        for query, params in lookups:
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query, params))
            assert "Seq Scan on objects" not in plan and "Seq Scan on owners" not in plan, plan
            assert "objects_seq" not in plan and "Index" in plan, plan


def test_plain_inserts_copy_binary_when_every_value_fits_its_column(pg: PostgresStore) -> None:
    """Binary COPY where each value is of its column's Python type; text COPY, as
    before, where one is not (an int into a text column, a float column given ints):
    the same rows either way, NUL in text replaced as before, bytes untouched."""
    rows = [(i, f"t\x00{i}", bytes([0, i, 255])) for i in range(5)]
    odd = [(10, 11, b"z")]  # an int for the text column: text COPY writes "11"
    with pg.connection() as db:
        db.execute("CREATE TABLE copy_t (k BIGINT PRIMARY KEY, t TEXT, b BYTEA, n INTEGER)")
        db.executemany("INSERT INTO copy_t (k, t, b) VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO copy_t (k, t, b) VALUES (?, ?, ?)", odd)
        db.executemany("INSERT INTO copy_t (k, n, t) VALUES (?, ?, ?)", [(20, 7, None)])
        db.executemany("INSERT INTO copy_t (k, t, b) VALUES (?, ?, ?)", [])
        got = db.execute("SELECT k, t, b, n FROM copy_t ORDER BY k").fetchall()
    assert [tuple(r) for r in got] == [
        *[(i, f"t\ufffd{i}", bytes([0, i, 255]), None) for i in range(5)],
        (10, "11", b"z", None),
        (20, None, None, 7),
    ]
    with pg.connection() as db, pytest.raises(StorageError):
        db.executemany("INSERT INTO copy_t (k, t) VALUES (?, ?)", [(30, "a"), (31,)])


def test_a_copy_that_failed_looks_its_columns_up_again(pg: PostgresStore) -> None:
    """The columns' types are kept per connection; a binary COPY that fails (a column's
    type changed since) forgets them, and the next one is right again."""
    one = PostgresStore(pg.url, min_size=1, max_size=1)  # the same connection each time
    try:
        with one.connection() as db:
            db.execute("CREATE TABLE copy_u (k BIGINT PRIMARY KEY, t TEXT)")
            db.executemany("INSERT INTO copy_u (k, t) VALUES (?, ?)", [(1, "a")])
        with one.connection() as db:
            db.execute("ALTER TABLE copy_u ALTER COLUMN k TYPE INTEGER")
        with pytest.raises(StorageError), one.connection() as db:
            db.executemany("INSERT INTO copy_u (k, t) VALUES (?, ?)", [(2, "b")])
        with one.connection() as db:
            db.executemany("INSERT INTO copy_u (k, t) VALUES (?, ?)", [(3, "c")])
            got = db.execute("SELECT k, t FROM copy_u ORDER BY k").fetchall()
        assert [tuple(r) for r in got] == [(1, "a"), (3, "c")]
    finally:
        one.close()
