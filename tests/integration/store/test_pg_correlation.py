"""The correlation index on PostgreSQL finds what it finds on SQLite (issue #15).

A batch writes its ``corr_observable``, ``corr_name`` and ``corr_spelling_key`` rows at
its end, a few statements in all, and answers its own reads of them meanwhile; the
same objects, in the same batches, must leave both stores with the same index -- the
same correlations found in the same order -- whatever PostgreSQL's row order.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from liaison.correlate import CorrelationConfig, CorrelationIndex
from liaison.db import Db
from liaison.errors import StorageError
from liaison.store.db import PgDb
from liaison.store.postgres import PostgresStore
from liaison.store.sqlite import open_db

pytestmark = pytest.mark.postgres

PARTY = "identity--a0000000-0000-4000-8000-00000000000a"
STAMPS = ("2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z")
NAMES = (
    ("person", "Iyad Ag Ghali"),
    ("person", "Iyad ag Ghaly"),
    ("person", "إياد أغ غالي"),
    ("organization", "Katiba Macina"),
    ("organization", "Katibat Macina"),
    ("organization", "KM"),
    ("organization", "Réseau 7"),
    ("organization", "Reseau 7"),
    ("organization", "Réseau 77"),
)


def _obj(rng: random.Random, n: int) -> dict[str, Any]:
    kind, text = rng.choice(NAMES)
    out: dict[str, Any] = {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{rng.randrange(n):012d}",
        "created": STAMPS[0],
        "modified": rng.choice(STAMPS),
        "name": text,
        "aliases": [rng.choice(NAMES)[1]] if rng.random() < 0.3 else [],
        "x_phone": f"+223 76 12 34 5{rng.randrange(3)}",
        "x_email": f"contact{rng.randrange(4)}@katiba-macina.ml",
    }
    if kind == "person":
        out["resource_level"] = "individual"
    if rng.random() < 0.05:
        out["revoked"] = True
    return out


def _dump(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "objects": "SELECT object_id, modified, source, type FROM corr_object",
        "names": "SELECT s.kind, s.name, n.object_id FROM corr_name n"
        " JOIN corr_spelling s ON s.id = n.spelling_id",
        "keys": "SELECT k.key, s.name FROM corr_spelling_key k"
        " JOIN corr_spelling s ON s.id = k.spelling_id",
        "observables": "SELECT kind, value, object_id FROM corr_observable",
        "saturated": "SELECT kind, value FROM corr_saturated",
        "correlations": "SELECT id, object_a, object_b, kind, rule, score, value_a, value_b,"
        " explanation FROM corr_correlation",
    }
    out = {k: sorted(tuple(r) for r in db.execute(q).fetchall()) for k, q in queries.items()}
    # In the order found; ids themselves differ (PostgreSQL spends one on a conflict).
    out["correlations"] = [r[1:] for r in out["correlations"]]
    for k in ("names", "keys"):  # PostgreSQL text holds no NUL: stored as U+FFFD
        out[k] = [tuple(str(x).replace("\x00", "\ufffd") for x in r) for r in out[k]]
    return out


@pytest.fixture
def pg(pg_store: PostgresStore) -> PostgresStore:
    return pg_store


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_postgresql_and_sqlite_index_the_same_batches_alike(pg: PostgresStore, seed: int) -> None:
    rng = random.Random(seed)
    objs = [_obj(rng, 12) for _ in range(60)]
    config = CorrelationConfig(max_objects_per_value=4, max_objects_per_name=3)
    sizes = [rng.randrange(1, 9) for _ in objs]
    lite = open_db(":memory:")

    def index_in_batches(db: Db) -> None:
        index, start = CorrelationIndex(db, config), 0
        for size in sizes:
            if start < len(objs):
                index.apply(index.plan([(o, PARTY) for o in objs[start : start + size]]))
            start += size

    try:
        index_in_batches(lite)
        with pg.connection() as db:
            index_in_batches(db)
        with pg.connection() as db:
            assert _dump(db) == _dump(lite)
            assert len(_dump(db)["correlations"]) > 10
    finally:
        lite.close()


def test_execute_each_answers_alike_on_both_backends(pg: PostgresStore) -> None:
    """One statement for every row of parameters on PostgreSQL (arrays and a lateral
    join), one cached statement a row on SQLite: the same rows, led by their index."""
    lite = open_db(":memory:")
    try:
        rows = [("a\x00b", 2), ("c%d", 1), ("zz", 0), ("c%d", 3)]
        lite.execute("CREATE TABLE t (k TEXT NOT NULL, n BIGINT NOT NULL)")
        with pg.connection() as db:
            db.execute("CREATE TABLE t (k TEXT NOT NULL, n BIGINT NOT NULL)")
        for k, n in [("a\x00b", 1), ("a\x00b", 2), ("c%d", 5), ("c%d", 6), ("x", 1)]:
            lite.execute("INSERT INTO t (k, n) VALUES (?, ?)", (k, n))
            with pg.connection() as db:
                db.execute("INSERT INTO t (k, n) VALUES (?, ?)", (k, n))
        sql = "SELECT n, k LIKE '%d' FROM t WHERE k = ? ORDER BY n LIMIT ?"
        expected = sorted(lite.execute_each(sql, rows))
        with pg.connection() as db:
            got = sorted(db.execute_each(sql, rows))
            assert db.execute_each(sql, []) == []
            with pytest.raises(StorageError):
                db.execute_each(sql, [("a",)])
        assert [r[:2] for r in got] == [r[:2] for r in expected]
        assert [r[:2] for r in got] == [(0, 1), (0, 2), (1, 5), (3, 5), (3, 6)]
    finally:
        lite.close()


class _Recorder:
    """A connection that remembers the statements sent through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sent: list[tuple[str, Any]] = []

    def execute(self, query: str, params: Any = None, **kw: Any) -> Any:
        self.sent.append((query, params))
        return self.raw.execute(query, params, **kw)


def test_execute_each_probes_the_index_once_a_row(pg: PostgresStore) -> None:
    """The correlator's lookups by key (``_held``, ``_saturated``, ``stored_spellings``)
    each probe an index, whatever the planner thinks of the table's size: flattened
    into a hash join, they scanned all of ``corr_object`` on every call (issue #15)."""
    with pg.connection() as db:
        db.execute(
            "INSERT INTO corr_object (object_id, modified, source, type)"
            " SELECT 'x--' || g, '', 'local', 'x' FROM generate_series(1, 20000) g"
        )
        db.execute(
            "INSERT INTO corr_spelling (kind, name)"
            " SELECT 'person', 'n' || g FROM generate_series(1, 20000) g"
        )
    with pg.connection() as db:
        db.execute("ANALYZE corr_object")
        db.execute("ANALYZE corr_spelling")
    ids = [(f"x--{i}",) for i in range(1, 301)]
    names = [("person", f"n{i}") for i in range(1, 301)]
    lookups = [
        ("SELECT modified FROM corr_object WHERE object_id = ?", ids),
        ("SELECT id FROM corr_spelling WHERE kind = ? AND name = ?", names),
    ]
    with pg.connection() as db:
        for sql, rows in lookups:
            recorder = _Recorder(db.raw)
            assert len(PgDb(recorder, 0, locked=True).execute_each(sql, rows)) == 300
            ((query, params),) = recorder.sent
            plan = "\n".join(r[0] for r in db.raw.execute("EXPLAIN " + query, params))
            assert "Seq Scan" not in plan and "Index" in plan, plan


def test_counting_a_keys_spellings_probes_the_index_on_a_table_not_analysed(
    pg: PostgresStore,
) -> None:
    """``Lookup._sizes`` counts up to a bound written in the statement: passed as a
    parameter, PostgreSQL took the ``LIMIT`` for one row and, on a table filling up
    and not analysed yet, scanned all of ``corr_spelling_key`` for each key -- the
    count reads up to the bound, so the whole table (issue #15: 55 µs of the
    database's CPU an object at ingest)."""
    from liaison.correlate.lookup import Lookup

    with pg.connection() as db:
        db.execute(
            "INSERT INTO corr_spelling_key (key, spelling_id)"
            " SELECT 'c|' || substr(md5(g::text), 1, 3), g FROM generate_series(1, 1500) g"
        )
    keys = sorted({f"c|{k:03x}" for k in range(0, 4096, 37)})
    with pg.connection() as db:
        recorder = _Recorder(db.raw)
        sizes = Lookup._sizes(PgDb(recorder, 0, locked=True), keys, 65)
        ((query, params),) = recorder.sent
        plan = "\n".join(r[0] for r in db.raw.execute("EXPLAIN " + query, params))
        expected = dict(
            db.raw.execute(
                "SELECT key, LEAST(COUNT(*), 65) FROM corr_spelling_key"
                " WHERE key = ANY(%s) GROUP BY key",
                (keys,),
            ).fetchall()
        )
    assert "Seq Scan" not in plan and "corr_spelling_key_pkey" in plan, plan
    assert sizes == [expected.get(k, 0) for k in keys] and any(sizes)
