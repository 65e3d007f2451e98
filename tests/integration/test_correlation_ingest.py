"""Objects are correlated when they arrive; only the node's own people see correlations."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient
from stix_actors import actor

from liaison.correlate import LOCAL
from liaison.node import Node
from liaison.service import build_exchange
from liaison.service.correlations import (
    BATCH,
    FIRST,
    Batch,
    _apply,
    _index,
    catch_up,
    correlations,
)
from liaison.taxii import TAXII, create_app
from liaison.taxii.status import ingest as taxii_ingest

H = {"Accept": TAXII, "Content-Type": TAXII}


def test_correlations_at_ingest_are_local_knowledge(tmp_path: Path) -> None:
    node = Node.init(tmp_path / "n", org="DZ", country="DZ")
    _, analyst = node.add_party("analyst", internal=True)
    _, partner = node.add_party("MR")
    client = TestClient(create_app(node))
    url = f"/api/collections/{node.default_collection_id}/objects/"
    for i, name in ((1, "Iyad Ag Ghali"), (2, "إياد أغ غالي"), (3, "Amadou Koufa")):
        r = client.post(
            url, headers=H, auth=("analyst", analyst), json={"objects": [actor(i, name)]}
        )
        assert r.json()["success_count"] == 1
    got = client.get("/api/liaison/correlations/", headers=H, auth=("analyst", analyst))
    pairs = {frozenset((c["object_a"], c["object_b"])) for c in got.json()["correlations"]}
    assert frozenset((actor(1, "")["id"], actor(2, "")["id"])) in pairs
    assert not any(actor(3, "")["id"] in p for p in pairs)
    one = client.get(
        "/api/liaison/correlations/",
        headers=H,
        auth=("analyst", analyst),
        params={"object": actor(2, "")["id"]},
    ).json()["correlations"]
    assert one and "explanation" in one[0]
    denied = client.get("/api/liaison/correlations/", headers=H, auth=("MR", partner))
    assert denied.status_code == 403
    node.close()


def test_pending_correlations_survive_a_crash_and_are_done_once(tmp_path: Path) -> None:
    from liaison.service import build_exchange
    from liaison.service.correlations import _index, catch_up, correlation_index

    home = tmp_path / "n"
    node = Node.init(home, org="DZ", country="DZ")
    analyst, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)
    ex.correlator = None  # as if the process died right after the storing commit
    objs = [actor(i, n) for i, n in ((1, "Iyad Ag Ghali"), (2, "Iyad ag Ghaly"))]
    assert taxii_ingest(ex, analyst, node.default_collection_id, {"objects": objs})["success_count"]
    with _index(node) as raw:
        assert raw.count() == 0  # stored, not yet correlated
    node.close()
    node = Node.open(home)  # the next process catches up ...
    with correlation_index(node) as index:
        first = index.count()
    assert first >= 1
    assert catch_up(node) == 0  # ... once: nothing is left, nothing is done twice
    with correlation_index(node) as index:
        assert index.count() == first
    node.close()


# --- the worker: short write transactions, crash safety, the watermark (issue #15) -------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A node home on SQLite, or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        Node.init(tmp_path / "n", org="DZ", country="DZ").close()
        yield tmp_path / "n"
        return
    import psycopg

    admin = os.environ.get("LIAISON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {admin}: {exc}")
    name = f"liaison_corr_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{admin.rsplit('/', 1)[0]}/{name}"
        Node.init(tmp_path / "n", org="DZ", country="DZ", store=url).close()
        yield tmp_path / "n"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


FAMILIES = ("Réseau {}", "Katiba {}", "Katibat {}", "كتيبة {}")


def _similar(i: int) -> dict[str, object]:
    """Names sharing a word; "Katiba 7", "Katibat 7" and "كتيبة 7" name one group."""
    return actor(1000 + i, FAMILIES[i % 4].format(i // 4))


def _store_pending(home: Path, objs: list[dict[str, object]]) -> None:
    """Store objects as an internal party would, leaving them to be correlated."""
    node = Node.open(home)
    party = (
        node.party("analyst") if _has_party(node) else node.add_party("analyst", internal=True)[0]
    )
    ex = build_exchange(node)
    ex.correlator = None  # nobody correlates: they stay pending
    for start in range(0, len(objs), 500):
        envelope = {"objects": objs[start : start + 500]}
        assert taxii_ingest(ex, party, node.default_collection_id, envelope)["success_count"]
    node.close()


def _has_party(node: Node) -> bool:
    return any(p.name == "analyst" for p in node.store.parties())


def _pairs(node: Node) -> set[tuple[object, ...]]:
    keys = ("object_a", "object_b", "kind", "rule", "score", "value_a", "value_b")
    return {tuple(c[k] for k in keys) for c in correlations(node, None, 100_000)}


def _counts(node: Node) -> dict[str, int]:
    """Rows of the index's tables, counted raw (no catching up first)."""
    tables = ("corr_object", "corr_name", "corr_spelling", "corr_correlation")
    with node.store.connection() as db:
        return {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}


def _reference(tmp_path: Path, objs: list[dict[str, object]]) -> set[tuple[object, ...]]:
    """What correlating these objects gives when nothing goes wrong."""
    ref = tmp_path / "reference"
    Node.init(ref, org="DZ", country="DZ").close()
    _store_pending(ref, objs)
    node = Node.open(ref)
    try:
        assert catch_up(node) == len(objs)
        return _pairs(node)
    finally:
        node.close()


def test_the_worker_frees_the_write_lock_between_short_batches(home: Path) -> None:
    """A backlog is correlated in batches of at most BATCH rows, each its own write
    transaction: between two of them another writer stores objects at once, long
    before the backlog is done."""
    objs = [_similar(i) for i in range(230)]
    _store_pending(home, objs)
    node = Node.open(home)
    batches: list[Batch] = []
    paused, resume = threading.Event(), threading.Event()

    def on_batch(b: Batch) -> None:
        batches.append(b)
        if len(batches) == 1:  # hold the worker between its first and second batch
            paused.set()
            resume.wait(timeout=60)

    worker = threading.Thread(target=catch_up, args=(node,), kwargs={"on_batch": on_batch})
    worker.start()
    try:
        assert paused.wait(timeout=60)
        ex = build_exchange(node)
        ex.correlator = None
        late = {"objects": [_similar(500)]}
        status = taxii_ingest(ex, node.party("analyst"), node.default_collection_id, late)
        assert status["success_count"] == 1  # stored while the backlog is pending:
        assert len(node.store.pending_correlation(1000)) == 230 + 1 - batches[0].rows
    finally:
        resume.set()
        worker.join(timeout=120)
    assert not worker.is_alive()
    assert batches[0].rows <= FIRST <= 50  # a short first batch, then sized to its writes
    assert all(1 <= b.rows <= BATCH for b in batches), [b.rows for b in batches]
    assert sum(b.rows for b in batches) == 231
    assert node.store.pending_correlation(10) == []
    pairs = _pairs(node)
    one_group = sorted(str(_similar(i)["id"]) for i in (1, 2, 3))  # Katiba/Katibat/كتيبة 0
    assert sorted(p[:2] for p in pairs if set(p[:2]) <= set(one_group)) == [
        (one_group[0], one_group[1]),
        (one_group[0], one_group[2]),
        (one_group[1], one_group[2]),
    ]
    node.close()


def test_a_crash_between_plan_and_apply_loses_and_doubles_nothing(
    home: Path, tmp_path: Path
) -> None:
    objs = [_similar(i) for i in range(120)] + [actor(1, "Iyad Ag Ghali")]
    expected = _reference(tmp_path, objs)
    assert len(expected) >= 80
    _store_pending(home, objs)

    # 1. The process dies after planning a batch, before writing it.
    node = Node.open(home)
    rows = node.store.pending_correlation(FIRST)
    with _index(node) as index:
        planned = index.plan([(orjson.loads(r.body), LOCAL) for r in rows])
    assert len(planned) == FIRST
    node.close()

    # 2. The next one dies in the middle of writing a batch: nothing of it stays.
    node = Node.open(home)
    rows = node.store.pending_correlation(FIRST)
    with _index(node) as index:
        planned = index.plan([(orjson.loads(r.body), LOCAL) for r in rows])

    def apply_then_die() -> None:
        with _index(node) as index:
            index.apply(planned)
            assert index.count() > 0  # written, inside the transaction ...
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        node.store.mark_correlated([r.seq for r in rows], apply_then_die)
    assert set(_counts(node).values()) == {0}  # ... and rolled back with it
    assert len(node.store.pending_correlation(1000)) == len(objs)
    node.close()

    # 3. The one after catches up: everything correlated, once.
    node = Node.open(home)
    assert _pairs(node) == expected
    counts = _counts(node)
    assert counts["corr_object"] == len(objs)
    assert catch_up(node) == 0
    assert _counts(node) == counts
    node.close()


def test_a_plan_made_stale_by_another_correlator_is_not_applied(home: Path) -> None:
    objs = [_similar(i) for i in range(60)]
    _store_pending(home, objs)
    node = Node.open(home)
    rows = node.store.pending_correlation(FIRST)
    with _index(node) as index:
        planned = index.plan([(orjson.loads(r.body), LOCAL) for r in rows])
    assert catch_up(node) == 60  # another correlator (or process) did the work meanwhile
    counts, pairs = _counts(node), _pairs(node)

    def late_apply() -> None:
        with _index(node) as index:
            index.apply(planned)

    assert node.store.mark_correlated([r.seq for r in rows], late_apply) is False
    assert _counts(node) == counts and _pairs(node) == pairs
    node.close()


def test_a_reader_right_after_an_acknowledged_post_sees_it_correlated(home: Path) -> None:
    """The watermark: with the worker running, a read of correlations first catches up,
    so every acknowledged object is correlated when a reader asks."""
    node = Node.open(home)
    party, _ = node.add_party("analyst", internal=True)
    ex = build_exchange(node)  # with its correlation worker
    for start in range(0, 400, 100):
        envelope = {"objects": [_similar(i) for i in range(start, start + 100)]}
        assert taxii_ingest(ex, party, node.default_collection_id, envelope)["success_count"]
    last = [_similar(i)["id"] for i in (397, 398, 399)]  # Katiba, Katibat, كتيبة 99
    found = correlations(node, str(last[2]))
    assert {c["object_a"] for c in found} | {c["object_b"] for c in found} == set(last)
    assert node.store.pending_correlation(10) == []
    node.close()


def test_two_correlators_racing_correlate_each_object_once(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two correlators (as two processes: no turn-taking) on one backlog: each batch is
    applied by one of them, the other's plan of the same rows is refused; together they
    find what one correlator alone finds."""
    from liaison.service import correlations as module

    objs = [_similar(i) for i in range(240)]
    expected = _reference(tmp_path, objs)
    _store_pending(home, objs)
    monkeypatch.setattr(module, "_turn", lambda node: threading.Lock())  # no turns
    nodes = [Node.open(home), Node.open(home)]
    refused: list[int] = []
    done: list[int] = []

    def run(node: Node) -> None:
        total = 0
        while True:
            n = module.correlate_batch(node, 20)
            if n == 0:
                break
            if n < 0:
                refused.append(1)
            total += max(n, 0)
        done.append(total)

    threads = [threading.Thread(target=run, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(done) == len(objs)  # every row applied once, by one of them
    node = nodes[0]
    assert node.store.correlation_backlog() == 0
    assert _counts(node)["corr_object"] == len(objs)
    assert _pairs(node) == expected
    with node.store.connection() as db:
        row = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT object_a || ' ' || object_b || ' ' || kind"
            " || ' ' || value_a || ' ' || value_b) FROM corr_correlation"
        ).fetchone()
    assert row[0] == row[1] == len(expected)
    for n in nodes:
        n.close()


def test_a_batch_stretches_over_a_short_rest(home: Path) -> None:
    """``stretch``: the oldest pending rows -- all of them when they are at most that
    many above the limit, else the limit."""
    objs = [_similar(i) for i in range(30)]
    _store_pending(home, objs)
    node = Node.open(home)
    seqs = [r.seq for r in node.store.pending_correlation(1000)]
    assert len(seqs) == 30
    assert [r.seq for r in node.store.pending_correlation(20, 10)] == seqs
    assert [r.seq for r in node.store.pending_correlation(20, 9)] == seqs[:20]
    assert [r.seq for r in node.store.pending_correlation(20)] == seqs[:20]
    # Rows correlated already are neither read nor counted.
    first = node.store.pending_correlation(5)
    with _index(node) as index:
        planned = index.plan([(orjson.loads(r.body), LOCAL) for r in first])
    assert node.store.mark_correlated(seqs[:5], lambda: _apply(node, planned))
    assert [r.seq for r in node.store.pending_correlation(20, 5)] == seqs[5:]
    assert [r.seq for r in node.store.pending_correlation(20, 4)] == seqs[5:25]
    node.close()
